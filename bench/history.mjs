#!/usr/bin/env node
// `mreg history` on a long history: 100 models, then 10,000 commits that each register a version or move
// one between stages, as years of pipelines and promotions would. Built with native `git fast-import`.
//
//   node bench/history.mjs [--models 100] [--commits 10000] [--keep DIR]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/mreg.js');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const MODELS = Number(arg('models', 100));
const COMMITS = Number(arg('commits', 10_000));
const keep = arg('keep');
const dir = keep ?? mkdtempSync(path.join(os.tmpdir(), 'mreg-bench-history-'));
const T0 = Date.UTC(2024, 0, 1) / 1000;
const iso = (s) => new Date(s * 1000).toISOString();
const name = (i) => `model-${String(i).padStart(3, '0')}`;
const STAGES = ['Staging', 'Production', 'Archived'];
const AUTHORS = ['CI <ci@example.com>', 'Alice <alice@example.com>', 'Bob <bob@example.com>'];

function modelYaml(i, latest, created, updated) {
  return `name: ${name(i)}\nlatest_version: ${latest}\ncreated_at: ${iso(created)}\nupdated_at: ${iso(updated)}\n`;
}
function versionYaml(i, v, stage, created, updated) {
  return `version: ${v}\nsource: s3://bench/${name(i)}/${v}\nrun_id: r${i}x${v}\nstage: ${stage}\nstatus: READY\nuser_id: ci\ncreated_at: ${iso(created)}\nupdated_at: ${iso(updated)}\n`;
}

async function build() {
  mkdirSync(dir, { recursive: true });
  const git = (...a) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'gc.auto', '0');
  const child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: dir, stdio: ['pipe', 'inherit', 'inherit'] });
  const exited = new Promise((res, rej) =>
    child.on('exit', (c) => (c === 0 ? res() : rej(new Error(`fast-import ${c}`)))),
  );
  let buf = '';
  const flush = async (force) => {
    if (!force && buf.length < 1 << 20) return;
    if (!child.stdin.write(buf)) await new Promise((r) => child.stdin.once('drain', r));
    buf = '';
  };
  const file = (p, text) => `M 100644 inline ${p}\ndata ${Buffer.byteLength(text)}\n${text}\n`;
  const commit = (n, t, author, message, body) => {
    const msg = `${message}\n`;
    buf += `commit refs/heads/main\nmark :${n}\nauthor ${author} ${t} +0000\ncommitter ${author} ${t} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}${n > 1 ? `from :${n - 1}\n` : ''}${body}\n`;
  };
  let t = T0;
  let body = file('registry.yaml', 'format_version: 1\nname: history bench\n');
  const latest = new Array(MODELS).fill(0);
  const stage = Array.from({ length: MODELS }, () => []);
  const created = new Array(MODELS).fill(T0);
  for (let i = 0; i < MODELS; i++) body += file(`models/${name(i)}/model.yaml`, modelYaml(i, 0, T0, T0));
  commit(1, t, AUTHORS[0], `${MODELS} models created`, body);
  for (let n = 2; n <= COMMITS + 1; n++) {
    t += 3600;
    const i = (n * 7919) % MODELS;
    const m = `models/${name(i)}`;
    if (n % 4 !== 0 || latest[i] === 0) {
      const v = ++latest[i];
      stage[i][v] = { stage: 'None', created: t };
      commit(
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
      commit(
        n,
        t,
        AUTHORS[1 + (n % 2)],
        `${name(i)}: v${v} ${from} → ${to}`,
        file(`${m}/model.yaml`, modelYaml(i, latest[i], created[i], t)) +
          file(`${m}/versions/${v}.yaml`, versionYaml(i, v, to, stage[i][v].created, t)),
      );
    }
    await flush(false);
  }
  buf += 'done\n';
  await flush(true);
  child.stdin.end();
  await exited;
  git('reset', '-q', '--hard', 'main');
}

if (!(keep && existsSync(path.join(dir, '.git')))) {
  const t0 = performance.now();
  await build();
  console.log(
    `built ${COMMITS + 1} commits over ${MODELS} models with git fast-import in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${dir}`,
  );
}

const results = [];
function time(label, args) {
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`mreg ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const [u, s] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  const entries = args.includes('--json')
    ? JSON.parse(r.stdout).entries.length
    : r.stdout.split('\n').filter((l) => /^[0-9a-f]{10}  /.test(l)).length;
  results.push({ label, ms, cpu_ms: (u + s) * 1000, entries });
  console.log(
    `  ${label.padEnd(48)} ${(ms / 1000).toFixed(2).padStart(7)} s  (CPU ${(u + s).toFixed(2)} s, ${entries} entries)`,
  );
}

console.log(`mreg history on ${COMMITS + 1} commits:`);
time('latest 50 commits (history --limit 50)', ['history', '--limit', '50']);
time('one model, whole history (history model-007)', ['history', name(7)]);
time('one version, whole history (history model-007 3)', ['history', name(7), '3', '--json']);
time('everything (history --json)', ['history', '--json']);
console.log(JSON.stringify({ bench: 'history', commits: COMMITS + 1, models: MODELS, results }));
if (!keep) rmSync(dir, { recursive: true, force: true });
