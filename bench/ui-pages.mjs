#!/usr/bin/env node
// Web UI page loads (issue 5): a model with 10,000 versions against one with 10, on loopback, from the built
// package (dist/). For each page: the daemon's own time (its Server-Timing header: routing, state lookup,
// rendering), the HTTP round trip, and Chromium's navigation timing (response end, DOMContentLoaded, load).
// Three registries, made with native git fast-import:
//   single   one model × N versions in one commit, and one model × 10 (what the brief compares);
//   history  one model whose N versions were registered one commit each (a long history: the version
//            page walks it back to the version's registration; the activity page reads its head).
// Usage: npm run build && node bench/ui-pages.mjs [--versions 10000] [--loads 15] [--json FILE]
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fastImportCommit, fastImportFile as file, startFastImport } from '../scripts/lib/fast-import.mjs';
import { launchChromium } from '../scripts/lib/chromium.mjs';
import { makeSyntheticRegistry } from '../scripts/lib/synth.mjs';
import { fmt, importDist, median, options, percentile, printSummary, scratch, timer } from './lib/common.mjs';

const opts = options({ versions: 10_000, loads: 15, json: undefined });
const N = opts.versions;
const LOADS = opts.loads;
const JSON_OUT = opts.json;

const { buildDaemonConfig } = await importDist('daemon/config.js');
const { createLogger } = await importDist('daemon/log.js');
const { startDaemon } = await importDist('daemon/serve.js');

/** One model, `n` versions, each registered by its own commit (git fast-import). */
async function makeLongHistory(dir, n) {
  mkdirSync(dir, { recursive: true });
  const git = (...a) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q', '--bare', '-b', 'main');
  git('config', 'gc.auto', '0');
  const fi = startFastImport(dir);
  const t0 = Date.UTC(2026, 0, 1) / 1000;
  const iso = (s) => new Date(s * 1000).toISOString();
  for (let i = 0; i <= n; i++) {
    const when = t0 + i * 60;
    let out = fastImportCommit({
      ref: 'refs/heads/main',
      who: 'ci <ci@example.com>',
      seconds: when,
      message: i === 0 ? 'init' : `history-model: v${i} registered`,
    });
    if (i === 0) out += file('registry.yaml', 'format_version: 2\n');
    out += file(
      'models/history-model/model.yaml',
      `name: history-model\ncreated_at: ${iso(t0)}\nupdated_at: ${iso(t0)}\n`,
    );
    if (i > 0)
      out += file(
        `models/history-model/versions/${i}.yaml`,
        `version: ${i}\nsource: s3://bucket/history-model/${i}\nstage: None\nstatus: READY\nuser_id: ci\ncreated_at: ${iso(when)}\nupdated_at: ${iso(when)}\n`,
      );
    await fi.write(out);
  }
  await fi.end();
}

const serverMs = (res) => Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN);

async function measureHttp(base, p) {
  const first = timer();
  const r0 = await fetch(base + p);
  const body0 = await r0.text();
  const cold = {
    server: serverMs(r0),
    total: first(),
    status: r0.status,
    bytes: Buffer.byteLength(body0),
  };
  const server = [];
  const total = [];
  for (let i = 0; i < LOADS; i++) {
    const elapsed = timer();
    const r = await fetch(base + p);
    await r.text();
    total.push(elapsed());
    server.push(serverMs(r));
  }
  return {
    cold,
    server: { median: median(server), p95: percentile(server, 0.95) },
    roundTrip: { median: median(total), p95: percentile(total, 0.95) },
  };
}

async function measureBrowser(browser, base, p) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const runs = [];
  for (let i = 0; i < Math.min(LOADS, 10); i++) {
    await page.goto(base + p, { waitUntil: 'load' });
    runs.push(
      await page.evaluate(() => {
        const n = performance.getEntriesByType('navigation')[0];
        return {
          ttfb: n.responseStart - n.startTime,
          response: n.responseEnd - n.startTime,
          dcl: n.domContentLoadedEventEnd - n.startTime,
          load: n.loadEventEnd - n.startTime,
        };
      }),
    );
  }
  await page.close();
  const pick = (k) => median(runs.map((r) => r[k]));
  return { ttfb: pick('ttfb'), responseEnd: pick('response'), domContentLoaded: pick('dcl'), load: pick('load') };
}

const tmp = scratch('ui-pages');
const daemons = [];
const results = {
  when: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  versions: N,
  loads: LOADS,
  pages: {},
};
let browser;
try {
  const big = path.join(tmp, 'big');
  const small = path.join(tmp, 'small');
  const long = path.join(tmp, 'long');
  const building = timer();
  await makeSyntheticRegistry(big, { models: 1, versionsPerModel: N, bare: true });
  await makeSyntheticRegistry(small, { models: 1, versionsPerModel: 10, bare: true });
  await makeLongHistory(long, N);
  console.error(`registries built in ${fmt(building() / 1000, 1)} s`);
  const serve = async (repo) => {
    const d = await startDaemon(buildDaemonConfig({ repo, port: 0, snapshot: false, pollMs: 600_000 }, {}), {
      logger: createLogger('silent'),
    });
    daemons.push(d);
    const elapsed = timer();
    await d.ready;
    return { url: d.url, readyMs: elapsed() };
  };
  const B = await serve(big);
  const S = await serve(small);
  const L = await serve(long);
  results.readyMs = {
    [`${N} versions, one commit`]: B.readyMs,
    '10 versions': S.readyMs,
    [`${N} versions, ${N} commits`]: L.readyMs,
  };
  browser = await launchChromium();
  const cases = [
    [`model page, ${N} versions`, B.url, '/ui/models/model-000'],
    ['model page, 10 versions', S.url, '/ui/models/model-000'],
    [`model page, ${N} versions, last page`, B.url, `/ui/models/model-000?page=${Math.ceil(N / 50)}`],
    [`model page, ${N} versions, Production only`, B.url, '/ui/models/model-000?stage=Production'],
    [`version page v${N} (${N} files in one commit)`, B.url, `/ui/models/model-000/versions/${N}`],
    ['version page v10 (10 versions)', S.url, '/ui/models/model-000/versions/10'],
    [`version page v${N}, long history`, L.url, `/ui/models/history-model/versions/${N}`],
    [`version page v1, long history (walks ${N} commits)`, L.url, '/ui/models/history-model/versions/1'],
    [`model page, ${N} versions, long history`, L.url, '/ui/models/history-model'],
    ['models list', B.url, '/'],
    [`activity, long history`, L.url, '/ui/history'],
    [`activity of the model, long history`, L.url, '/ui/history?model=history-model'],
    [
      `time travel: model page at v${N / 2} of the long history`,
      L.url,
      `/ui/models/history-model?at=${encodeURIComponent(new Date(Date.UTC(2026, 0, 1) + (N / 2) * 60_000).toISOString())}`,
    ],
  ];
  for (const [label, base, p] of cases) {
    const http = await measureHttp(base, p);
    const chrome = await measureBrowser(browser, base, p);
    results.pages[label] = { path: p, ...http, browser: chrome };
    const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '—');
    console.log(
      `${label.padEnd(62)} ${String(http.cold.status).padEnd(4)} ${(http.cold.bytes / 1024).toFixed(0).padStart(4)} KB  cold server ${f(http.cold.server).padStart(7)} ms  warm server ${f(http.server.median).padStart(6)} ms (p95 ${f(http.server.p95)})  round trip ${f(http.roundTrip.median).padStart(6)} ms  browser DCL ${f(chrome.domContentLoaded).padStart(6)} ms, load ${f(chrome.load).padStart(6)} ms`,
    );
  }
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(results, null, 2) + '\n');
  const round = (x, digits) => (Number.isFinite(x) ? +x.toFixed(digits) : null);
  printSummary('ui-pages', {
    versions: N,
    pages: Object.fromEntries(
      Object.entries(results.pages).map(([label, r]) => [
        label,
        { server_ms: round(r.server.median, 2), browser_load_ms: round(r.browser.load, 1) },
      ]),
    ),
  });
} finally {
  await browser?.close();
  for (const d of daemons) await d.stop();
  rmSync(tmp, { recursive: true, force: true });
}
