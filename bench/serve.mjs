#!/usr/bin/env node
// Daemon benchmarks (issue 4, item 6), against the built package (dist/), on loopback only, each load
// bounded in time and requests:
//   (d) cold start of a synthetic registry (default 100k versions): first-ever (no snapshot) and restart
//       (snapshot), time to /readyz 200 and peak RSS of the daemon process;
//   (a) throughput of model-versions/get and /api/v1/resolve against a bare node:http server returning an
//       equal precomputed body (same headers count: Content-Type + Content-Length), as a ratio;
//   (b) p50/p99 latency at 10 connections;
//   (c) reload latency: a one-file native commit (git fast-import) to the new answer being served.
// Usage: npm run build && node bench/serve.mjs [--versions 100000] [--duration 3] [--rounds 9] [--reloads 7] [--keep DIR]
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { fastImportCommit, fastImportFile } from '../scripts/lib/fast-import.mjs';
import { makeSyntheticRegistry, synthModelName, synthVersionYaml } from '../scripts/lib/synth.mjs';
import { BIN, ROOT, built, fmt, median, options, percentile, printSummary, scratch, timer } from './lib/common.mjs';

const opts = options({ versions: 100_000, duration: 3, rounds: 9, reloads: 7, keep: undefined });
const VERSIONS = opts.versions;
const PER_MODEL = 10;
const MODELS = Math.ceil(VERSIONS / PER_MODEL);
const DURATION = opts.duration;
const RELOADS = opts.reloads;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

built('bundle/main.mjs'); // what bin/mreg.js runs

const children = new Set();
const results = { when: new Date().toISOString(), node: process.version, cpus: os.cpus().length, versions: VERSIONS };

// ---------------------------------------------------------------- helpers

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in USER_HZ (100)
}

/** One bounded load run; also the server process's CPU time per answered request. */
async function measured(url, pid, opts = {}) {
  const c0 = cpuSeconds(pid);
  const r = await cannon(url, opts);
  const cpu = cpuSeconds(pid) - c0;
  return {
    rps: r.requests.average,
    total: r.requests.total,
    cpuUsPerReq: (cpu * 1e6) / Math.max(1, r.requests.total),
    errors: r.errors + r.non2xx,
  };
}

function rssPeakMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return hwm ? Math.round(Number(hwm[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** Starts `mreg serve` on a free port; resolves with its URL once it listens. */
function startDaemon(repo, extraEnv = {}) {
  const elapsed = timer();
  const child = spawn(process.execPath, [BIN, 'serve', '--repo', repo, '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, MREG_LOG_LEVEL: 'info', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (log += d));
  const url = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`daemon exited ${code}: ${log}`)));
  });
  return { child, url, elapsed, log: () => log };
}

async function untilReady(url, timeoutMs = 300_000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) return r.json();
    } catch {}
    await sleep(20);
  }
  throw new Error('daemon not ready in time');
}

async function stop(d) {
  if (d.child.exitCode !== null) return;
  const exited = new Promise((r) => d.child.once('exit', r));
  d.child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000).then(() => d.child.kill('SIGKILL'))]);
}

function cannon(url, opts = {}) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, connections: 10, pipelining: 1, duration: DURATION, maxOverallRequests: 3_000_000, ...opts },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}

/** A bare node:http server in its own process, answering every request with `body`. */
async function startBare(body) {
  const code = `
    const http = require('node:http');
    const body = Buffer.from(process.env.BODY, 'base64');
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port));`;
  const child = spawn(process.execPath, ['-e', code], {
    env: { ...process.env, BODY: body.toString('base64') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const url = await new Promise((resolve) => child.stdout.setEncoding('utf8').once('data', (d) => resolve(d.trim())));
  return { child, url };
}

/** (b) 10 keep-alive connections, each sending its next request when the last one is answered; µs timing. */
async function latencies(url, seconds = Math.min(DURATION, 5), maxRequests = 300_000) {
  const { default: http } = await import('node:http');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const samples = new Float64Array(maxRequests);
  let n = 0;
  let errors = 0;
  const until = performance.now() + seconds * 1000;
  const one = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      http
        .get(url, { agent }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) errors++;
            if (n < maxRequests) samples[n++] = performance.now() - t0;
            resolve();
          });
        })
        .on('error', () => {
          errors++;
          resolve();
        });
    });
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (performance.now() < until && n < maxRequests) await one();
    }),
  );
  agent.destroy();
  const taken = samples.subarray(0, n);
  return { p50: percentile(taken, 0.5), p99: percentile(taken, 0.99), requests: n, errors };
}

// ---------------------------------------------------------------- the registry

const keep = opts.keep;
const work = keep ?? scratch('serve');
const repo = path.join(work, `registry-${VERSIONS}.git`);
if (!existsSync(repo)) {
  const elapsed = timer();
  await makeSyntheticRegistry(repo, { models: MODELS, versionsPerModel: PER_MODEL, bare: true });
  results.synth_seconds = elapsed() / 1000;
  console.log(
    `built ${MODELS} models × ${PER_MODEL} versions with git fast-import in ${fmt(results.synth_seconds, 1)} s`,
  );
}
const git = (...a) => execFileSync('git', a, { cwd: repo, encoding: 'utf8' }).trim();

try {
  // -------------------------------------------------------------- (d) cold start
  rmSync(path.join(repo, 'mreg'), { recursive: true, force: true });
  let d = startDaemon(repo);
  let url = await d.url;
  let ready = await untilReady(url);
  results.cold_first = {
    seconds: d.elapsed() / 1000,
    peak_rss_mb: rssPeakMb(d.child.pid),
    versions: ready.versions,
  };
  console.log(
    `(d) first-ever start: ${fmt(results.cold_first.seconds, 2)} s to ready, peak RSS ${results.cold_first.peak_rss_mb} MB (${ready.versions} versions)`,
  );
  // The snapshot is written in the background after the first load.
  const t1 = Date.now();
  while (
    Date.now() - t1 < 120_000 &&
    !/mreg_snapshots_written_total [1-9]/.test(await (await fetch(`${url}/metrics`)).text())
  )
    await sleep(100);
  await stop(d);
  d = startDaemon(repo);
  url = await d.url;
  ready = await untilReady(url);
  results.cold_restart = {
    seconds: d.elapsed() / 1000,
    peak_rss_mb: rssPeakMb(d.child.pid),
    versions: ready.versions,
  };
  console.log(
    `(d) restart from snapshot: ${fmt(results.cold_restart.seconds, 2)} s to ready, peak RSS ${results.cold_restart.peak_rss_mb} MB`,
  );

  // -------------------------------------------------------------- (a)+(b) throughput and latency
  const name = synthModelName(Math.floor(MODELS / 2), MODELS);
  const targets = [
    ['model-versions/get', `/api/2.0/mlflow/model-versions/get?name=${name}&version=10`],
    ['/api/v1/resolve', `/api/v1/resolve?uri=${encodeURIComponent(`models:/${name}/Production`)}`],
  ];
  results.throughput = {};
  const ROUNDS = opts.rounds;
  for (const [label, p] of targets) {
    const body = Buffer.from(await (await fetch(url + p)).arrayBuffer());
    const bare = await startBare(body);
    await cannon(url + p, { duration: 2 }); // warm-up
    await cannon(bare.url + p, { duration: 2 });
    // Alternating rounds, so that load from elsewhere on the machine hits both sides alike.
    const ours = [];
    const base = [];
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await measured(url + p, d.child.pid));
      base.push(await measured(bare.url + p, bare.child.pid));
    }
    const lat = await latencies(url + p);
    const bareLat = await latencies(bare.url + p);
    bare.child.kill();
    const r = {
      body_bytes: body.length,
      rps: median(ours.map((o) => o.rps)),
      bare_rps: median(base.map((o) => o.rps)),
      // Paired rounds (ours, then bare, back to back): the median of the per-round ratios.
      ratio: median(ours.map((o, i) => o.rps / base[i].rps)),
      rounds: ours.map((o, i) => +(o.rps / base[i].rps).toFixed(3)),
      cpu_us_per_req: median(ours.map((o) => o.cpuUsPerReq)),
      bare_cpu_us_per_req: median(base.map((o) => o.cpuUsPerReq)),
      cpu_ratio: median(base.map((o) => o.cpuUsPerReq)) / median(ours.map((o) => o.cpuUsPerReq)),
      p50_ms: lat.p50,
      p99_ms: lat.p99,
      bare_p50_ms: bareLat.p50,
      bare_p99_ms: bareLat.p99,
      errors: lat.errors + ours.reduce((n, o) => n + o.errors, 0),
    };
    results.throughput[label] = r;
    console.log(
      `(a) ${label}: ${fmt(r.rps)} req/s vs bare node:http ${fmt(r.bare_rps)} req/s → ${fmt(r.ratio, 2)}x  (median of ${ROUNDS} paired ${DURATION} s rounds, per round ${r.rounds.join(' / ')}; ${r.body_bytes} B body)`,
    );
    console.log(
      `    server CPU per request: ${fmt(r.cpu_us_per_req, 1)} µs vs bare ${fmt(r.bare_cpu_us_per_req, 1)} µs → ${fmt(r.cpu_ratio, 2)}x (throughput at equal CPU; steadier than req/s on a shared machine)`,
    );
    console.log(
      `(b) ${label} at 10 connections: p50 ${fmt(r.p50_ms, 3)} ms, p99 ${fmt(r.p99_ms, 3)} ms (bare: p50 ${fmt(r.bare_p50_ms, 3)} ms, p99 ${fmt(r.bare_p99_ms, 3)} ms; ${r.errors} errors)`,
    );
  }

  // -------------------------------------------------------------- (c) reload latency
  const probeName = synthModelName(42 % MODELS, MODELS);
  const probe = `${url}/api/2.0/mlflow/model-versions/get?name=${probeName}&version=5`;
  const reloadTimes = [];
  for (let i = 1; i <= RELOADS; i++) {
    const text = synthVersionYaml(42 % MODELS, 5, MODELS, PER_MODEL).replace(
      /^description: .*$/m,
      `description: reload ${i} ${Date.now()}`,
    );
    const stream =
      fastImportCommit({
        ref: 'refs/heads/main',
        who: 'bench <b@example.com>',
        seconds: Math.floor(Date.now() / 1000),
        message: `bench reload ${i}`,
        from: 'refs/heads/main^0',
      }) + `${fastImportFile(`models/${probeName}/versions/5.yaml`, text)}\ndone\n`;
    execFileSync('git', ['fast-import', '--quiet', '--done'], { cwd: repo, input: stream });
    const elapsed = timer();
    const head = git('rev-parse', 'refs/heads/main');
    for (;;) {
      const r = await fetch(probe);
      const c = r.headers.get('x-mreg-commit');
      await r.arrayBuffer();
      if (c === head) break;
      if (elapsed() > 30_000) throw new Error('reload not served within 30 s');
      await sleep(2);
    }
    reloadTimes.push(elapsed());
    await sleep(300);
  }
  results.reload_ms = {
    median: median(reloadTimes),
    min: Math.min(...reloadTimes),
    max: Math.max(...reloadTimes),
    runs: reloadTimes.length,
  };
  console.log(
    `(c) reload, one-file native commit → new answer served: median ${fmt(results.reload_ms.median)} ms (min ${fmt(results.reload_ms.min)}, max ${fmt(results.reload_ms.max)}, ${reloadTimes.length} commits)`,
  );
  await stop(d);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (!keep) rmSync(work, { recursive: true, force: true });
}

mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench/results/serve.json'), JSON.stringify(results, null, 2) + '\n');
console.log('\nsummary');
console.log(
  `  (a) model-versions/get ${fmt(results.throughput['model-versions/get'].ratio, 2)}x req/s, ${fmt(results.throughput['model-versions/get'].cpu_ratio, 2)}x CPU/req; resolve ${fmt(results.throughput['/api/v1/resolve'].ratio, 2)}x req/s, ${fmt(results.throughput['/api/v1/resolve'].cpu_ratio, 2)}x CPU/req of bare node:http (target ≥ 0.8x)`,
);
console.log(
  `  (b) p50/p99 at 10 connections: get ${fmt(results.throughput['model-versions/get'].p50_ms, 3)}/${fmt(results.throughput['model-versions/get'].p99_ms, 3)} ms, resolve ${fmt(results.throughput['/api/v1/resolve'].p50_ms, 3)}/${fmt(results.throughput['/api/v1/resolve'].p99_ms, 3)} ms`,
);
console.log(`  (c) reload median ${fmt(results.reload_ms.median)} ms (target ≤ 200 ms)`);
console.log(
  `  (d) cold start ${VERSIONS} versions: first-ever ${fmt(results.cold_first.seconds, 1)} s / ${results.cold_first.peak_rss_mb} MB; restart ${fmt(results.cold_restart.seconds, 2)} s / ${results.cold_restart.peak_rss_mb} MB (target ≤ 5 s, ≤ 500 MB)`,
);
printSummary('serve', {
  versions: VERSIONS,
  get_ratio: +results.throughput['model-versions/get'].ratio.toFixed(3),
  get_cpu_ratio: +results.throughput['model-versions/get'].cpu_ratio.toFixed(3),
  resolve_ratio: +results.throughput['/api/v1/resolve'].ratio.toFixed(3),
  resolve_cpu_ratio: +results.throughput['/api/v1/resolve'].cpu_ratio.toFixed(3),
  get_p50_ms: results.throughput['model-versions/get'].p50_ms,
  get_p99_ms: results.throughput['model-versions/get'].p99_ms,
  reload_median_ms: Math.round(results.reload_ms.median),
  cold_first_s: +results.cold_first.seconds.toFixed(2),
  cold_first_rss_mb: results.cold_first.peak_rss_mb,
  cold_restart_s: +results.cold_restart.seconds.toFixed(2),
  cold_restart_rss_mb: results.cold_restart.peak_rss_mb,
});
