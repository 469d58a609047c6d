// The daemon under faults it must survive without a restart: schema and invariant violations, a deleted
// registry.yaml, a 50 MB file, a commit of 10,000 changed files, a rewind whose old commits are pruned by
// `git gc`. Each time it keeps answering from the last good commit (X-Mreg-Commit), reports the problem
// in /readyz and /metrics, answers every endpoint without a 5xx, and serves the fix when it lands.
// (daemon-reload.test.ts covers broken YAML, model deletion, a plain rewind, pack-refs and bursts.)
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { makeSyntheticRegistry, synthModelName, synthVersionYaml } from '../../scripts/lib/synth.mjs';
import { reportFigures } from '../helpers/figures.js';
import { commitFiles, serveRepo, waitForCommit, waitForReady, type TestDaemon } from '../helpers/daemon.js';
import { git, tempDir } from '../helpers/registry.js';

const API = '/api/2.0/mlflow';
const M0 = 'model-000';
const V3 = `models/${M0}/versions/3.yaml`;

/** One request to every kind of endpoint (API, resolve, UI, health), as a client would make them. */
const PROBES = [
  `${API}/registered-models/search?max_results=5`,
  `${API}/registered-models/get?name=${M0}`,
  `${API}/registered-models/get-latest-versions?name=${M0}&stages=Production`,
  `${API}/registered-models/alias?name=${M0}&alias=champion`,
  `${API}/model-versions/get?name=${M0}&version=3`,
  `${API}/model-versions/get-download-uri?name=${M0}&version=3`,
  `${API}/model-versions/search?filter=${encodeURIComponent(`name='${M0}'`)}`,
  `/api/v1/resolve?uri=${encodeURIComponent(`models:/${M0}/Production`)}`,
  `/ajax-api/2.0/mlflow/registered-models/search`,
  '/',
  '/healthz',
];

let requests = 0;

/** Every endpoint answers, without a 5xx, from `commit` (JSON where the API answers). */
async function expectServing(d: TestDaemon, commit: string): Promise<void> {
  const replies = await Promise.all(PROBES.map(async (p) => ({ p, r: await d.get(p) })));
  requests += replies.length;
  for (const { p, r } of replies) {
    expect(r.status, `${p}: ${r.text.slice(0, 200)}`).toBeLessThan(500);
    if (p.startsWith('/api') || p.startsWith('/ajax-api')) {
      expect(r.body, p).toBeTypeOf('object');
      expect(r.commit, p).toBe(commit);
    }
  }
}

/** The Prometheus text format, line by line: HELP/TYPE comments and `name{labels} value` samples only. */
function expectPrometheusText(text: string): void {
  const label = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"`;
  const sample = new RegExp(String.raw`^[a-zA-Z_:][a-zA-Z0-9_:]*(\{${label}(,${label})*\})? [-+0-9.eEInfNa]+$`);
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    expect(line, 'a malformed /metrics line').toMatch(sample);
  }
}

/** Commits a fault, checks the daemon keeps serving `good` and reports it, then commits the fix and checks it is served. */
async function survives(
  d: TestDaemon,
  dir: string,
  good: string,
  fault: Record<string, string | null>,
  fix: Record<string, string | null>,
  reported: RegExp,
): Promise<string> {
  const bad = await commitFiles(dir, fault, 'fault');
  const ready = await waitForReady(d, (b) => b.last_reload_error?.commit === bad);
  expect(ready.status).toBe('stale');
  expect(ready.commit).toBe(good);
  expect(ready.last_reload_error.message).toMatch(reported);
  await expectServing(d, good);
  const metrics = await d.get('/metrics');
  expect(metrics.status).toBe(200);
  expect(metrics.text).toContain('mreg_last_reload_failed 1');
  expect(metrics.text).toContain(`mreg_loaded_commit_info{branch="main",commit="${good}"} 1`);
  expect(metrics.text).toContain(`mreg_last_reload_error_info{commit="${bad}"`);
  expectPrometheusText(metrics.text);
  const fixed = await commitFiles(dir, fix, 'fix');
  await waitForCommit(d, fixed);
  expect((await waitForReady(d, (b) => b.status === 'ready')).last_reload_error).toBeNull();
  expect((await d.get('/metrics')).text).toContain('mreg_last_reload_failed 0');
  await expectServing(d, fixed);
  return fixed;
}

/** A commit on `branch` changing many files at once, written with `git fast-import` (no work tree involved). */
async function fastImportCommit(
  dir: string,
  parent: string,
  files: Array<[string, string]>,
  message: string,
): Promise<string> {
  const child = spawn('git', ['fast-import', '--quiet', '--done', '--force'], {
    cwd: dir,
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve, reject) =>
    child.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`fast-import exited ${c}`)))),
  );
  let s = `commit refs/heads/main\ncommitter Bulk <bulk@example.com> ${Math.floor(Date.now() / 1000)} +0000\ndata ${Buffer.byteLength(message)}\n${message}\nfrom ${parent}\n`;
  for (const [p, text] of files) s += `M 100644 inline ${p}\ndata ${Buffer.byteLength(text)}\n${text}\n`;
  child.stdin.end(s + 'done\n');
  await exited;
  return (await git(dir, 'rev-parse', 'main')).trim();
}

describe('daemon under faults', () => {
  it('schema and invariant violations (with hostile text in the message), a deleted registry.yaml: last good state served, reported, recovered', async () => {
    const dir = await tempDir('mreg-faults-');
    const head = await makeSyntheticRegistry(dir, { models: 3, versionsPerModel: 10 });
    const d = await serveRepo(dir);
    await d.ready;
    await expectServing(d, head);
    const v3 = synthVersionYaml(0, 3, 3, 10);
    const model0 = await git(dir, 'show', `${head}:models/${M0}/model.yaml`);
    const registry = await git(dir, 'show', `${head}:registry.yaml`);

    // A stage that does not exist, and an unknown key whose name carries quotes, a backslash and a newline.
    let good = await survives(
      d,
      dir,
      head,
      { [V3]: v3.replace('stage: None', 'stage: Prod') + '"evil\\"key\\\\\\n}": 1\n' },
      { [V3]: v3 },
      /^models\/model-000\/versions\/3\.yaml:\d+: /,
    );
    // Schema-valid, invariant-broken: an alias to a version that does not exist.
    good = await survives(
      d,
      dir,
      good,
      { [`models/${M0}/aliases/champion.yaml`]: 'alias: champion\nversion: 99\n' },
      { [`models/${M0}/aliases/champion.yaml`]: 'alias: champion\nversion: 10\n' },
      /alias 'champion' points to version 99/,
    );
    // A folder that does not match its model's name (a traversal-looking name in the file).
    good = await survives(
      d,
      dir,
      good,
      { [`models/${M0}/model.yaml`]: model0.replace(`name: ${M0}`, 'name: ../../etc') },
      { [`models/${M0}/model.yaml`]: model0 },
      /model\.yaml:\d+: invalid model name/,
    );
    // registry.yaml deleted.
    good = await survives(
      d,
      dir,
      good,
      { 'registry.yaml': null },
      { 'registry.yaml': registry },
      /registry\.yaml:1: registry\.yaml is missing/,
    );
    expect((await d.get('/healthz')).status).toBe(200);
    reportFigures('daemon-faults-small', { faults: 4, requests });
  });

  it('a 50 MB file and a 10,000-file commit: never served broken, every request answered meanwhile, recovered', async () => {
    const dir = await tempDir('mreg-faults-');
    const MODELS = 1000;
    const head = await makeSyntheticRegistry(dir, { models: MODELS, versionsPerModel: 10 });
    const d = await serveRepo(dir);
    await d.ready;
    const m0 = synthModelName(0, MODELS);
    const v3 = synthVersionYaml(0, 3, MODELS, 10);
    const probe = `${API}/model-versions/get?name=${m0}&version=3`;

    // 50 MB: a version file past the size limit, and a stray blob beside it. Neither is parsed or served.
    const big = v3.replace(/^description: .*$/m, `description: ${'x'.repeat(50 * 1024 * 1024)}`);
    const bad = await commitFiles(
      dir,
      { [`models/${m0}/versions/3.yaml`]: big, [`models/${m0}/weights.bin`]: 'w'.repeat(50 * 1024 * 1024) },
      '50 MB',
    );
    const ready = await waitForReady(d, (b) => b.last_reload_error?.commit === bad, 60_000);
    expect(ready.commit).toBe(head);
    expect(ready.last_reload_error.problems.map((p: { message: string }) => p.message).join('\n')).toMatch(
      /file is \d+ bytes; the limit is 4194304[\s\S]*unexpected file/,
    );
    expect((await d.get(probe)).body.model_version.description).toBe(`version 3 of ${m0}`);
    await git(dir, 'rm', '-q', '--cached', `models/${m0}/weights.bin`);
    const fixed = await commitFiles(dir, { [`models/${m0}/versions/3.yaml`]: v3 }, 'fix');
    await waitForCommit(d, fixed, '/readyz', 60_000);

    // 10,000 version files changed in one commit: requests made while it loads see the old or the new
    // commit, never a mix; then one broken file among 10,000 changes keeps the whole commit out.
    const files = (i: number, v: number, text: string): [string, string] => [
      `models/${synthModelName(i, MODELS)}/versions/${v}.yaml`,
      synthVersionYaml(i, v, MODELS, 10).replace(/^description: .*$/m, `description: ${text}`),
    ];
    const all: Array<[string, string]> = [];
    for (let i = 0; i < MODELS; i++) for (let v = 1; v <= 10; v++) all.push(files(i, v, `bulk edit ${i}/${v}`));
    const bulk = await fastImportCommit(dir, fixed, all, 'bulk edit of 10,000 versions');
    const seen = new Set<string>();
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000) {
      const r = await d.get(probe);
      requests++;
      expect(r.status).toBe(200);
      seen.add(r.commit!);
      expect(r.body.model_version.description).toBe(r.commit === bulk ? 'bulk edit 0/3' : `version 3 of ${m0}`);
      if (r.commit === bulk) break;
    }
    expect([...seen].every((c) => c === fixed || c === bulk)).toBe(true);
    await waitForCommit(d, bulk, probe, 60_000);
    expect(
      (await d.get(`${API}/model-versions/get?name=${synthModelName(MODELS - 1, MODELS)}&version=10`)).body
        .model_version.description,
    ).toBe(`bulk edit ${MODELS - 1}/10`);

    const broken = all.map(([p, t], k): [string, string] => [
      p,
      k === 7_777 ? t.replace('status: READY', 'status: [') : t.replace('bulk edit', 'second edit'),
    ]);
    const bad2 = await fastImportCommit(dir, bulk, broken, 'second bulk edit, one file broken');
    const stale = await waitForReady(d, (b) => b.last_reload_error?.commit === bad2, 60_000);
    expect(stale.commit).toBe(bulk);
    expect(stale.last_reload_error.message).toMatch(/^models\/model-777\/versions\/8\.yaml:\d+: invalid YAML/);
    await expectServing(d, bulk);
    const good = await fastImportCommit(
      dir,
      bad2,
      [broken[7_777]!].map(([p, t]) => [p, t.replace('status: [', 'status: READY')] as [string, string]),
      'fix the broken file',
    );
    await waitForCommit(d, good, probe, 60_000);
    expect((await d.get(probe)).body.model_version.description).toBe('second edit 0/3');
    reportFigures('daemon-faults-large', {
      big_file_bytes: Buffer.byteLength(big),
      files_in_bulk_commit: all.length,
      requests,
    });
  }, 240_000);

  it('a force-push that rewinds past the served commit, then gc --prune=now deletes it: the daemon serves the new tip', async () => {
    const dir = await tempDir('mreg-faults-');
    const head = await makeSyntheticRegistry(dir, { models: 3, versionsPerModel: 10 });
    const d = await serveRepo(dir);
    await d.ready;
    const v3 = synthVersionYaml(0, 3, 3, 10);
    const a = await commitFiles(dir, { [V3]: v3.replace('description: version 3 of model-000', 'description: a') });
    await waitForCommit(d, a);
    // Rewind to the root and make a different commit; the served commit `a` becomes unreachable and is pruned.
    await git(dir, 'reset', '-q', '--hard', head);
    const b = await commitFiles(dir, { [V3]: v3.replace('description: version 3 of model-000', 'description: b') });
    await git(dir, 'reflog', 'expire', '--expire=now', '--all');
    await git(dir, 'gc', '-q', '--prune=now');
    await expect(git(dir, 'cat-file', '-e', a)).rejects.toThrow();
    await waitForCommit(d, b, `${API}/model-versions/get?name=${M0}&version=3`);
    expect((await d.get(`${API}/model-versions/get?name=${M0}&version=3`)).body.model_version.description).toBe('b');
    await expectServing(d, b);
    expect((await waitForReady(d, (x) => x.status === 'ready')).commit).toBe(b);
  });
});
