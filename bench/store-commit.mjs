#!/usr/bin/env node
// One registry write (a new version file + an edited model.yaml) on a non-bare repository of
// 10,000 models × 10 files = 100,000 files: GitWriter.commit() against native `git add <2 files> && git commit`.
//
//   npm run build && node bench/store-commit.mjs [--models 10000] [--rounds 10] [--fresh]
//
// The synthetic repository is built once with `git fast-import` + `git reset --hard` and kept in
// $TMPDIR/mreg-bench-store-commit-<models> for reruns (--fresh rebuilds it). gc.auto=0, so no automatic gc
// lands inside a round. Prints per-round times, medians and the ratio ours ÷ native.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fastImportCommit, fastImportFile } from '../scripts/lib/fast-import.mjs';
import { BENCH_ENV as env, fmt, importDist, median, options, printSummary, timer } from './lib/common.mjs';

const opts = options({ models: 10_000, rounds: 10, fresh: false });
const MODELS = opts.models;
const ROUNDS = opts.rounds;
const { GitWriter } = await importDist('store/git/writer.js');
const dir = path.join(os.tmpdir(), `mreg-bench-store-commit-${MODELS}`);
const git = (...args) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 1 << 28 });

const name = (m) => `model-${String(m).padStart(5, '0')}`;
const yaml = (m, v) =>
  `# yaml-language-server: $schema=../../../schemas/model-version.schema.json\nversion: ${v}\nsource: s3://bucket/${name(m)}/${v}/model\nrun_id: ${(m * 31 + v).toString(16).padStart(32, '0')}\nrun_link: ''\nstage: None\nstatus: READY\nstatus_message: ''\ndescription: ''\ntags: {}\nuser_id: bench\ncreated_at: '2026-01-01T00:00:00.000Z'\nupdated_at: '2026-01-01T00:00:00.000Z'\n`;
const modelYaml = (m) =>
  `name: ${name(m)}\ndescription: ''\ntags: {}\ncreated_at: '2026-01-01T00:00:00.000Z'\nupdated_at: '2026-01-01T00:00:00.000Z'\n`;

async function build() {
  await fsp.rm(dir, { recursive: true, force: true });
  await fsp.mkdir(dir, { recursive: true });
  git('init', '-q', '-b', 'main');
  git('config', 'gc.auto', '0');
  const elapsed = timer();
  const chunks = [
    fastImportCommit({
      ref: 'refs/heads/main',
      who: 'Bench <bench@example.com>',
      seconds: 1767225600,
      message: 'bulk',
    }),
  ];
  const inline = (p, content) => chunks.push(fastImportFile(p, content));
  inline('registry.yaml', 'format_version: 2\n');
  for (let m = 0; m < MODELS; m++) {
    inline(`models/${name(m)}/model.yaml`, modelYaml(m));
    for (let v = 1; v <= 9; v++) inline(`models/${name(m)}/versions/${v}.yaml`, yaml(m, v));
  }
  const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, env, input: chunks.join(''), maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`fast-import failed: ${r.stderr}`);
  git('reset', '-q', '--hard', 'main');
  console.log(`built ${MODELS * 10 + 1} files in ${fmt(elapsed() / 1000, 1)} s at ${dir}`);
}

if (opts.fresh || !existsSync(path.join(dir, '.git'))) await build();
git('status', '--porcelain'); // warm the page cache and refresh the index stat data, for both contenders

const repo = await GitWriter.open(dir);
const enc = new TextEncoder();
const ours = [];
const native = [];
let model = Math.floor(Math.random() * MODELS);
let seconds = 1_800_000_000;
// Format 2: the highest number is the highest version file (this bench deletes none).
const latestOf = async (m) =>
  Math.max(...(await fsp.readdir(path.join(dir, `models/${name(m)}/versions`))).map((f) => Number(f.split('.')[0])));

for (let round = 0; round < ROUNDS; round++) {
  // Ours: the whole write (blobs, path trees, commit, ref CAS, work-tree files, index patch).
  {
    const m = (model = (model + 7919) % MODELS);
    const next = (await latestOf(m)) + 1;
    const parent = await repo.resolveBranch('main');
    const elapsed = timer();
    await repo.withWriteLock(() =>
      repo.commit({
        branch: 'main',
        parent,
        changes: new Map([[`models/${name(m)}/versions/${next}.yaml`, enc.encode(yaml(m, next))]]),
        message: `${name(m)}: register v${next}`,
        author: { name: 'Bench', email: 'bench@example.com', timestamp: seconds++, timezoneOffset: 0 },
      }),
    );
    ours.push(elapsed());
  }
  // Native: the files are written first (not timed), then `git add` of the 2 paths + `git commit`.
  {
    const m = (model = (model + 7919) % MODELS);
    const next = (await latestOf(m)) + 1;
    const files = [`models/${name(m)}/versions/${next}.yaml`];
    await fsp.writeFile(path.join(dir, files[0]), yaml(m, next));
    const elapsed = timer();
    git('add', '--', ...files);
    git('commit', '-q', '-m', `${name(m)}: register v${next}`);
    native.push(elapsed());
  }
}

const status = git('status', '--porcelain');
const fsck = spawnSync('git', ['fsck', '--no-dangling'], { cwd: dir, encoding: 'utf8' });
const each = (xs) => xs.map((x) => fmt(x)).join(' ');
console.log(`files: ${MODELS * 10 + 1}, rounds: ${ROUNDS}`);
console.log(
  `GitWriter.commit (ms):          ${each(ours)}   first ${ours[0].toFixed(0)}, median ${median(ours).toFixed(1)}, median after the first ${median(ours.slice(1)).toFixed(1)}`,
);
console.log(
  `native git add + commit (ms):   ${each(native)}   first ${native[0].toFixed(0)}, median ${median(native).toFixed(1)}`,
);
console.log(`ratio ours / native (medians):  ${(median(ours) / median(native)).toFixed(2)}`);
console.log(
  `git status --porcelain afterwards: ${status.split('\n').filter(Boolean).length} lines; git fsck: ${fsck.status === 0 ? 'ok' : 'FAILED ' + fsck.stderr}`,
);
printSummary('store-commit', {
  files: MODELS * 10 + 1,
  rounds: ROUNDS,
  ours_ms: +median(ours).toFixed(1),
  native_ms: +median(native).toFixed(1),
  ratio: +(median(ours) / median(native)).toFixed(2),
  status_clean: status.trim() === '',
  fsck_ok: fsck.status === 0,
});
