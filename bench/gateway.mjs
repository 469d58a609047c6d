#!/usr/bin/env node
// The gateway's write throughput (issue 11): REST `model-versions/create` through `mreg gateway` (a real process
// on 127.0.0.1, keep-alive clients), sequentially and with 10 concurrent clients, at 10k and 100k versions, on a
// bare repository and on one with a work tree. Every write is its own commit; the run checks that the branch
// gained exactly one commit per acknowledged write. Reference measured in the same run: the library's own
// write path (Registry.createModelVersion in this process: plan, check, commit, one ref update per call — what
// a CLI write costs without the process start), and the gateway's long-lived write loop alone (a Registry with
// `keep`, in this process: the writer's own cost, without HTTP or the daemon), and native git making the same
// kind of commit with plumbing (five git processes per commit). MLflow 2.22 on sqlite did 143–238 create_model_version/s
// sequentially on this kind of machine (issue 11), and keeps no history; with MREG_BENCH_MLFLOW_URL set to a
// running MLflow server, the same load is sent to it, the two servers taking turns in slices of each phase.
//
//   npm run build && [MREG_BENCH_MLFLOW_URL=http://127.0.0.1:5000] node bench/gateway.mjs [--sizes 10000,100000]
//     [--layouts bare,worktree] [--writes 500]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { makeSyntheticRegistry, synthModelName } from '../scripts/lib/synth.mjs';
import { BIN, importDist, options } from './lib/common.mjs';

const { Registry } = await importDist('index.js');
const { addToken, tokenFileOf } = await importDist('gateway/tokens.js');
const opts = options({ sizes: '10000,100000', layouts: 'bare,worktree', writes: 500 });
const SIZES = String(opts.sizes).split(',').map(Number);
const LAYOUTS = String(opts.layouts).split(',');
const WRITES = Number(opts.writes);
const CLIENTS = 10;
/** Slices each phase is cut into when the gateway and MLflow take turns (load). */
const ROUNDS = 5;
const env = {
  ...process.env,
  MREG_LOG_LEVEL: 'warn',
  MREG_AUTHOR_NAME: 'Bench',
  MREG_AUTHOR_EMAIL: 'bench@example.com',
};

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
/** CPU milliseconds a process has used (Linux), or NaN elsewhere. */
function cpuOf(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * (1000 / 100);
  } catch {
    return NaN;
  }
}

function startGateway(dir) {
  const child = spawn(process.execPath, [BIN, 'gateway', '--repo', dir, '--port', '0', '--no-snapshot'], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('exit', (c) => reject(new Error(`mreg gateway exited ${c}`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /mreg gateway: (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: new URL(m[1]) });
    });
  });
}

/** POSTs `body` as JSON to `p` at `url` (keep-alive `agent`); resolves with the response once it is read. */
function postJson(url, agent, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: p,
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * A client of `model-versions/create` at `url` (keep-alive `agent`): each call registers a version of one of
 * `models` synthetic models, spread over all of them, and resolves with its latency in ms.
 */
function creator(url, agent, models, headers, onOk = () => undefined) {
  let n = 0;
  return async () => {
    const i = n++;
    const body = { name: synthModelName((i * 7919) % models, models), source: `s3://bench/${i}` };
    const t = process.hrtime.bigint();
    const res = await postJson(url, agent, '/api/2.0/mlflow/model-versions/create', body, headers);
    if (res.statusCode !== 200) throw new Error(`write ${i}: HTTP ${res.statusCode}`);
    onOk(res);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
}

/**
 * `count` calls of each target's `fn` one after the other, then from CLIENTS concurrent callers, the targets taking
 * turns in ROUNDS slices so that each sees the same moments of a machine whose speed swings: per target and
 * phase, calls per second and every latency. A target's `around` wraps each of its slices (the server's CPU).
 */
async function load(targets, count) {
  const out = targets.map(() => ({}));
  for (const [phase, clients] of [
    ['sequential', 1],
    ['clients10', CLIENTS],
  ]) {
    const ms = targets.map(() => 0);
    const latencies = targets.map(() => []);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [k, { fn, around = async (_phase, go) => go() }] of targets.entries()) {
        const t = performance.now();
        await around(phase, () =>
          Promise.all(
            Array.from({ length: clients }, async () => {
              for (let i = 0; i < count / ROUNDS / clients; i++) latencies[k].push(await fn());
            }),
          ),
        );
        ms[k] += performance.now() - t;
      }
    }
    targets.forEach((_, k) => (out[k][phase] = { perS: count / (ms[k] / 1000), latencies: latencies[k] }));
  }
  return out;
}

/**
 * A client of a real MLflow server (MREG_BENCH_MLFLOW_URL, e.g. `mlflow server --backend-store-uri
 * sqlite:///<dir>/db.sqlite --host 127.0.0.1 --port 5000 --workers 2`) sending the same load as the gateway gets,
 * in turns with it: its `models` registered models are created first when missing. Undefined when no server is
 * configured.
 */
async function prepareMlflow(models) {
  const raw = process.env.MREG_BENCH_MLFLOW_URL;
  if (!raw) return undefined;
  const url = new URL(raw);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  for (let m = 0; m < models; m += CLIENTS) {
    await Promise.all(
      Array.from({ length: Math.min(CLIENTS, models - m) }, (_, k) =>
        postJson(url, agent, '/api/2.0/mlflow/registered-models/create', { name: synthModelName(m + k, models) }),
      ),
    );
  }
  const create = creator(url, agent, models, {});
  for (let i = 0; i < 20; i++) await create();
  return { create, close: () => agent.destroy() };
}

async function run(size, layout) {
  const models = size / 10;
  const dir = mkdtempSync(path.join(os.tmpdir(), `mreg-bench-gateway-${size}-`));
  try {
    process.stderr.write(`building ${size} versions (${models} models, ${layout}) …\n`);
    await makeSyntheticRegistry(dir, { models, versionsPerModel: 10, bare: layout === 'bare' });
    // The registry was just written: let the disk settle, so its write-back is not charged to the first writes.
    execFileSync('sync');
    const { token } = await addToken(await tokenFileOf(dir), { name: 'bench', email: 'bench@example.com' });
    const t0 = Date.now();
    const { child, url } = await startGateway(dir);
    const startMs = Date.now() - t0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
    const commits = new Set();
    const create = creator(url, agent, models, { Authorization: `Bearer ${token}` }, (res) =>
      commits.add(res.headers['x-mreg-commit']),
    );
    const count = () => Number(execFileSync('git', ['rev-list', '--count', 'main'], { cwd: dir, encoding: 'utf8' }));
    for (let i = 0; i < 20; i++) await create(); // warm: JIT, caches
    const before = count();
    const acked0 = commits.size;

    const cpu = { sequential: 0, clients10: 0 };
    const gatewayTarget = {
      fn: create,
      around: async (phase, go) => {
        const c0 = cpuOf(child.pid);
        await go();
        cpu[phase] += (cpuOf(child.pid) - c0) / WRITES;
      },
    };
    const mlflow = await prepareMlflow(models);
    const [measured, mlflowMeasured] = await load(
      mlflow ? [gatewayTarget, { fn: mlflow.create }] : [gatewayTarget],
      WRITES,
    );
    mlflow?.close();
    const seq = measured.sequential.latencies;
    const par = measured.clients10.latencies;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    agent.destroy();
    const gained = count() - before;
    const acked = commits.size - acked0;

    // Reference: the library's per-call write path on the same repository, in this process.
    const registry = await Registry.open(dir, { author: { name: 'Bench', email: 'bench@example.com' } });
    const lib = [];
    for (let i = 0; i < 23; i++) {
      const t = process.hrtime.bigint();
      await registry.createModelVersion(synthModelName(i % models, models), `s3://bench/lib-${i}`);
      if (i >= 3) lib.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const libPerS = 1000 / pct(lib, 50);

    // The same long-lived write loop the gateway runs, in this process without HTTP or the daemon: what the
    // writer itself costs, apart from serving.
    const kept = await Registry.open(dir, { author: { name: 'Bench', email: 'bench@example.com' }, keep: {} });
    const as = kept.actingAs({ name: 'bench', email: 'bench@example.com' });
    let k = 0;
    const keptWrite = () =>
      as.createModelVersion(synthModelName((k * 7919) % models, models), `s3://bench/kept-${k++}`);
    for (let i = 0; i < 20; i++) await keptWrite();
    const [keptMeasured] = await load([{ fn: keptWrite }], WRITES);
    const keptSeq = keptMeasured.sequential.perS;
    const keptPar = keptMeasured.clients10.perS;
    await kept.close();

    // Native git making the same kind of commit on the same repository, as a script on a server would without
    // mreg: the version file hashed, staged in a private index, the tree written, the commit made, the branch
    // moved by compare-and-swap — five git processes per commit. It moves with the machine like the rest of the
    // row, so the ratio to it says more than an absolute figure on a machine whose speed swings.
    const nativeEnv = {
      ...env,
      GIT_INDEX_FILE: path.join(dir, 'bench-native.index'),
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.com',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'bench@example.com',
    };
    const g = (args, input) =>
      execFileSync('git', args, { cwd: dir, env: nativeEnv, encoding: 'utf8', ...(input ? { input } : {}) }).trim();
    g(['read-tree', 'main']);
    const NATIVE = Math.min(WRITES, 100);
    let parent = g(['rev-parse', 'main']);
    const t1 = performance.now();
    for (let i = 0; i < NATIVE; i++) {
      const m = synthModelName((i * 7919) % models, models);
      const blob = g(['hash-object', '-w', '--stdin'], `version: ${100 + i}\nsource: s3://bench/native-${i}\n`);
      g(['update-index', '--add', '--cacheinfo', `100644,${blob},models/${m}/versions/${100 + i}.yaml`]);
      const tree = g(['write-tree']);
      const commit = g(['commit-tree', tree, '-p', parent, '-m', `native ${i}`]);
      g(['update-ref', 'refs/heads/main', commit, parent]);
      parent = commit;
    }
    const nativePerS = NATIVE / ((performance.now() - t1) / 1000);
    const row = {
      versions: size,
      layout,
      start_ms: startMs,
      sequential_per_s: Math.round(measured.sequential.perS),
      sequential_p50_ms: +pct(seq, 50).toFixed(2),
      sequential_p99_ms: +pct(seq, 99).toFixed(2),
      sequential_cpu_ms: +cpu.sequential.toFixed(2),
      clients10_per_s: Math.round(measured.clients10.perS),
      clients10_p50_ms: +pct(par, 50).toFixed(2),
      clients10_p99_ms: +pct(par, 99).toFixed(2),
      clients10_cpu_ms: +cpu.clients10.toFixed(2),
      commits_per_write: +(gained / (2 * WRITES)).toFixed(3),
      distinct_commits: acked === 2 * WRITES,
      library_per_s: Math.round(libPerS),
      writer_sequential_per_s: Math.round(keptSeq),
      writer_clients10_per_s: Math.round(keptPar),
      native_git_per_s: Math.round(nativePerS),
      ...(mlflowMeasured
        ? {
            mlflow_sequential_per_s: Math.round(mlflowMeasured.sequential.perS),
            mlflow_clients10_per_s: Math.round(mlflowMeasured.clients10.perS),
          }
        : {}),
    };
    console.log(
      `gateway ${size} versions, ${layout}: sequential ${row.sequential_per_s} writes/s (p50 ${row.sequential_p50_ms} ms, ` +
        `${row.sequential_cpu_ms} ms CPU each; target ≥ 250 at 10k), 10 clients ${row.clients10_per_s} writes/s ` +
        `(p50 ${row.clients10_p50_ms} ms, ${row.clients10_cpu_ms} ms CPU each; target ≥ 500 at 10k); ` +
        `${gained} commits for ${2 * WRITES} writes; library per-call path ${row.library_per_s} writes/s ` +
        `(gateway ${(row.sequential_per_s / libPerS).toFixed(1)}× sequential, ${(row.clients10_per_s / libPerS).toFixed(1)}× with 10 clients); ` +
        `the long-lived writer alone, in process: ${row.writer_sequential_per_s} writes/s sequential, ` +
        `${row.writer_clients10_per_s} with 10 callers; native git (plumbing, one commit at a time) ` +
        `${row.native_git_per_s} commits/s (gateway ${(row.sequential_per_s / nativePerS).toFixed(1)}× sequential, ` +
        `${(row.clients10_per_s / nativePerS).toFixed(1)}× with 10 clients)` +
        (mlflowMeasured
          ? `; MLflow, taking turns with the gateway: ${row.mlflow_sequential_per_s} sequential, ` +
            `${row.mlflow_clients10_per_s} with 10 clients (gateway ` +
            `${(row.sequential_per_s / row.mlflow_sequential_per_s).toFixed(1)}× and ` +
            `${(row.clients10_per_s / row.mlflow_clients10_per_s).toFixed(1)}×)`
          : '') +
        `; start ${startMs} ms`,
    );
    return row;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadAverage = () => os.loadavg()[0].toFixed(1);
const results = [];
console.log(`${os.cpus().length} CPUs, load average ${loadAverage()} at the start`);
for (const size of SIZES) for (const layout of LAYOUTS) results.push(await run(size, layout));
if (!process.env.MREG_BENCH_MLFLOW_URL)
  console.log('MLflow: not measured (set MREG_BENCH_MLFLOW_URL to a server to send it the same load, in turns)');
console.log(
  `load average ${loadAverage()} at the end; MLflow 2.22 on sqlite (issue 11): 143–238 create_model_version/s sequential`,
);
console.log(JSON.stringify({ bench: 'gateway', results }));
