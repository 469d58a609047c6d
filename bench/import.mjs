#!/usr/bin/env node
// `mreg import` from a real MLflow tracking server holding 1,000 models with 10,000 versions: the first import
// (target: at most 60 s end to end) and a sync with nothing changed (target: at most 5 s), each split into
// the time MLflow spends answering (wall time with a request in flight) and mreg's own work.
//
//   MREG_BENCH_MLFLOW_URL=http://127.0.0.1:5000 node bench/import.mjs [--runs 3] [--models 1000] [--versions 10]
//
// The server needs the benchmark's registry: the first run creates what is missing over REST (bench/lib/
// mlflow-populate.mjs; ~20 minutes for 1,000 × 10 on 2 cores), so keep the server's database for later runs.
// Without a server configured, the benchmark says so and is skipped: CI has no MLflow.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchModelName, populateMlflow } from './lib/mlflow-populate.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/mreg.js');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const URL_ = arg('url', process.env.MREG_BENCH_MLFLOW_URL);
const runs = Number(arg('runs', 3));
const models = Number(arg('models', 1000));
const versions = Number(arg('versions', 10));
const TARGET_FIRST_S = 60;
const TARGET_SYNC_S = 5;

if (!URL_) {
  const why = 'no MLflow server configured (set MREG_BENCH_MLFLOW_URL, or pass --url)';
  console.log(`bench/import: skipped: ${why}.`);
  console.log(JSON.stringify({ bench: 'import', skipped: why }));
  process.exit(0);
}

async function complete() {
  // The populator works through the names in order, a few at a time: the last few tell whether it finished.
  for (let i = models - 1; i >= Math.max(0, models - 8); i--) {
    const url = new URL(`api/2.0/mlflow/registered-models/get?name=${benchModelName(i)}`, URL_.replace(/\/?$/, '/'));
    const r = await fetch(url).catch(() => undefined);
    if (!r || r.status !== 200) return false;
    const body = await r.json();
    if (versions >= 10 && !body.registered_model?.aliases?.length) return false;
  }
  return true;
}

if (!(await complete())) {
  console.log(`filling ${URL_} with ${models} models × ${versions} versions over REST (only what is missing)…`);
  const t0 = performance.now();
  let last = 0;
  await populateMlflow(URL_, {
    models,
    versions,
    onProgress: (done, total) => {
      if (performance.now() - last > 10_000 || done === total) {
        last = performance.now();
        console.log(`  ${done}/${total} models, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
    },
  });
}

/** One `mreg import --json` as a process: wall time, CPU time and the CLI's own split. */
function importRun(dir) {
  const start = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, BIN, 'import', '--from', URL_, '--json'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const wallMs = performance.now() - start;
  const cpu = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  if (r.status !== 0) throw new Error(`mreg import exited ${r.status}: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  return {
    wallMs,
    cpuMs: (cpu[0] + cpu[1]) * 1000,
    mlflowMs: out.timing.mlflowMs,
    ownMs: wallMs - out.timing.mlflowMs,
    requests: out.timing.requests,
    commits: out.commits.length,
    counted: out.mlflow,
  };
}

const s = (ms) => (ms / 1000).toFixed(1);
const median = (xs, key) => [...xs].sort((a, b) => a[key] - b[key])[Math.floor(xs.length / 2)];
const line = (label, t, target) =>
  console.log(
    `  ${label}: ${s(t.wallMs)} s end to end — MLflow answering ${s(t.mlflowMs)} s (${t.requests} requests), mreg ${s(t.ownMs)} s (CPU ${s(t.cpuMs)} s); ${t.wallMs / 1000 <= target ? 'within' : 'OVER'} the ${target} s target`,
  );

const firsts = [];
const syncs = [];
let keepDir;
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mreg-bench-import-'));
  spawnSync(process.execPath, [BIN, 'init', dir], { encoding: 'utf8' });
  const t = importRun(dir);
  if (t.commits !== 1) throw new Error(`the first import made ${t.commits} commits`);
  firsts.push(t);
  if (i === 0) {
    console.log(`first import of ${t.counted.models} models, ${t.counted.versions} versions (one commit):`);
    keepDir = dir;
  } else rmSync(dir, { recursive: true, force: true });
  line(`run ${i + 1}`, t, TARGET_FIRST_S);
}
console.log('sync with nothing changed in MLflow:');
for (let i = 0; i < runs; i++) {
  const t = importRun(keepDir);
  if (t.commits !== 0) throw new Error(`a no-change sync made ${t.commits} commits`);
  syncs.push(t);
  line(`run ${i + 1}`, t, TARGET_SYNC_S);
}
rmSync(keepDir, { recursive: true, force: true });

const first = median(firsts, 'wallMs');
const sync = median(syncs, 'wallMs');
console.log(
  `median: first import ${s(first.wallMs)} s (MLflow ${s(first.mlflowMs)} s, mreg ${s(first.ownMs)} s); no-change sync ${s(sync.wallMs)} s (MLflow ${s(sync.mlflowMs)} s, mreg ${s(sync.ownMs)} s); load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
);
console.log(
  JSON.stringify({
    bench: 'import',
    models,
    versions: models * versions,
    first_import_s: +(first.wallMs / 1000).toFixed(2),
    first_import_mlflow_s: +(first.mlflowMs / 1000).toFixed(2),
    first_import_mreg_s: +(first.ownMs / 1000).toFixed(2),
    no_change_sync_s: +(sync.wallMs / 1000).toFixed(2),
    no_change_sync_mlflow_s: +(sync.mlflowMs / 1000).toFixed(2),
    no_change_sync_mreg_s: +(sync.ownMs / 1000).toFixed(2),
    targets_s: { first_import: TARGET_FIRST_S, no_change_sync: TARGET_SYNC_S },
  }),
);
