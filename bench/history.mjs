#!/usr/bin/env node
// `mreg history` on a long history: 100 models, then 10,000 commits that each register a version or move
// one between stages, as years of pipelines and promotions would. Built with native `git fast-import`.
//
//   node bench/history.mjs [--models 100] [--commits 10000] [--keep DIR]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fastImportCommit, fastImportFile as file, startFastImport } from '../scripts/lib/fast-import.mjs';
import { fmt, options, printSummary, scratch, timeMreg, timer } from './lib/common.mjs';

const opts = options({ models: 100, commits: 10_000, keep: undefined });
const MODELS = opts.models;
const COMMITS = opts.commits;
const keep = opts.keep;
const dir = keep ?? scratch('history');
const T0 = Date.UTC(2024, 0, 1) / 1000;
const iso = (s) => new Date(s * 1000).toISOString();
const name = (i) => `model-${String(i).padStart(3, '0')}`;
const STAGES = ['Staging', 'Production', 'Archived'];
const AUTHORS = ['CI <ci@example.com>', 'Alice <alice@example.com>', 'Bob <bob@example.com>'];

// Format 2: model.yaml holds model-level fields only (a registration leaves it as it is).
function modelYaml(i, _latest, created) {
  return `name: ${name(i)}\ncreated_at: ${iso(created)}\nupdated_at: ${iso(created)}\n`;
}
function versionYaml(i, v, stage, created, updated) {
  return `version: ${v}\nsource: s3://bench/${name(i)}/${v}\nrun_id: r${i}x${v}\nstage: ${stage}\nstatus: READY\nuser_id: ci\ncreated_at: ${iso(created)}\nupdated_at: ${iso(updated)}\n`;
}

async function build() {
  mkdirSync(dir, { recursive: true });
  const git = (...a) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'gc.auto', '0');
  const fi = startFastImport(dir);
  const commit = (n, t, author, message, body) =>
    fi.write(
      fastImportCommit({
        ref: 'refs/heads/main',
        mark: n,
        who: author,
        seconds: t,
        message,
        from: n > 1 ? `:${n - 1}` : undefined,
      }) + body,
    );
  let t = T0;
  let body = file('registry.yaml', 'format_version: 2\nname: history bench\n');
  const latest = new Array(MODELS).fill(0);
  const stage = Array.from({ length: MODELS }, () => []);
  const created = new Array(MODELS).fill(T0);
  for (let i = 0; i < MODELS; i++) body += file(`models/${name(i)}/model.yaml`, modelYaml(i, 0, T0, T0));
  await commit(1, t, AUTHORS[0], `${MODELS} models created`, body);
  for (let n = 2; n <= COMMITS + 1; n++) {
    t += 3600;
    const i = (n * 7919) % MODELS;
    const m = `models/${name(i)}`;
    if (n % 4 !== 0 || latest[i] === 0) {
      const v = ++latest[i];
      stage[i][v] = { stage: 'None', created: t };
      await commit(
        n,
        t,
        AUTHORS[0],
        `${name(i)}: v${v} registered`,
        file(`${m}/model.yaml`, modelYaml(i, v, created[i], t)) +
          file(`${m}/versions/${v}.yaml`, versionYaml(i, v, 'None', t, t)),
      );
    } else {
      const v = 1 + ((n * 31) % latest[i]);
      const from = stage[i][v].stage;
      const to = STAGES[(STAGES.indexOf(from) + 1) % STAGES.length];
      stage[i][v].stage = to;
      await commit(
        n,
        t,
        AUTHORS[1 + (n % 2)],
        `${name(i)}: v${v} ${from} → ${to}`,
        file(`${m}/model.yaml`, modelYaml(i, latest[i], created[i], t)) +
          file(`${m}/versions/${v}.yaml`, versionYaml(i, v, to, stage[i][v].created, t)),
      );
    }
  }
  await fi.end();
  git('reset', '-q', '--hard', 'main');
}

if (!(keep && existsSync(path.join(dir, '.git')))) {
  const elapsed = timer();
  await build();
  console.log(
    `built ${COMMITS + 1} commits over ${MODELS} models with git fast-import in ${fmt(elapsed() / 1000, 1)} s: ${dir}`,
  );
}

const results = [];
function time(label, args) {
  const { ms, cpuMs, stdout } = timeMreg(args, { cwd: dir });
  const entries = args.includes('--json')
    ? JSON.parse(stdout).entries.length
    : stdout.split('\n').filter((l) => /^[0-9a-f]{10}  /.test(l)).length;
  results.push({ label, ms, cpu_ms: cpuMs, entries });
  console.log(
    `  ${label.padEnd(48)} ${fmt(ms / 1000, 2).padStart(7)} s  (CPU ${fmt(cpuMs / 1000, 2)} s, ${entries} entries)`,
  );
}

console.log(`mreg history on ${COMMITS + 1} commits:`);
time('latest 50 commits (history --limit 50)', ['history', '--limit', '50']);
time('one model, whole history (history model-007)', ['history', name(7)]);
time('one version, whole history (history model-007 3)', ['history', name(7), '3', '--json']);
time('everything (history --json)', ['history', '--json']);
printSummary('history', { commits: COMMITS + 1, models: MODELS, results });
if (!keep) rmSync(dir, { recursive: true, force: true });
