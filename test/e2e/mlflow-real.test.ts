// Against REAL MLflow tracking servers, when they are configured (CI has none: there the same flows run from
// recordings, see mlflow-sync.test.ts):
//   MREG_TEST_MLFLOW_URL         a server to import from (the test creates and deletes its own models there)
//   MREG_TEST_MLFLOW_EXPORT_URL  another server to export to (the test's models must not exist there)
// MLflow → mreg: every read of the test's models through mreg's daemon equals MLflow's answer, field by field;
// a sync commits what changed; mreg → a second MLflow: the same REST answers, timestamps aside.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDaemonConfig } from '../../src/daemon/config.js';
import { SILENT } from '../../src/daemon/log.js';
import { startDaemon, type Daemon } from '../../src/daemon/serve.js';
import { mregOk } from '../helpers/cli.js';
import { compareReads, danglingAliases, firstDifference } from '../helpers/mlflow-compare.js';
import type { Exchange } from '../helpers/mlflow-replay.js';
import { git } from '../helpers/registry.js';

const SOURCE = process.env.MREG_TEST_MLFLOW_URL;
const TARGET = process.env.MREG_TEST_MLFLOW_EXPORT_URL;
const WHY = 'set MREG_TEST_MLFLOW_URL and MREG_TEST_MLFLOW_EXPORT_URL to two MLflow servers to run';

async function api(base: string, method: string, endpoint: string, body?: Record<string, unknown>): Promise<any> {
  const url = new URL(`api/2.0/mlflow/${endpoint}`, base.endsWith('/') ? base : base + '/');
  const init: RequestInit = { method };
  if (body && method === 'GET') for (const [k, v] of Object.entries(body)) url.searchParams.set(k, String(v));
  else if (body) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const res = await fetch(url, init);
  const json = await res.json().catch(() => ({}));
  if (res.status !== 200) throw new Error(`${method} ${endpoint} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Real exchanges: the requests the comparison needs, answered by `base` now. */
async function record(base: string, requests: Array<[string, Array<[string, string]>]>): Promise<Exchange[]> {
  const out: Exchange[] = [];
  for (const [endpoint, query] of requests) {
    const url = new URL(`api/2.0/mlflow/${endpoint}`, base.endsWith('/') ? base : base + '/');
    for (const [k, v] of query) url.searchParams.append(k, v);
    const res = await fetch(url);
    out.push({
      request: { method: 'GET', path: `/api/2.0/mlflow/${endpoint}`, query, body: null },
      response: { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() },
    });
  }
  return out;
}

if (!SOURCE || !TARGET) console.info(`test/e2e/mlflow-real.test.ts is skipped: ${WHY}.`);

describe.skipIf(!SOURCE || !TARGET)(`real MLflow: import, sync, export and the round trip (${WHY})`, () => {
  const p = `rt-${Date.now().toString(36)}-`;
  const fraud = `${p}fraud`;
  const churn = `${p}churn`;
  const copy = `${p}copy`;
  let repo: string;
  let daemon: Daemon;

  function reads(models: Array<[string, number]>): Array<[string, Array<[string, string]>]> {
    const out: Array<[string, Array<[string, string]>]> = [];
    for (const [name, top] of models) {
      out.push(['registered-models/get', [['name', name]]]);
      out.push(['registered-models/get-latest-versions', [['name', name]]]);
      for (const alias of ['champion', 'challenger', 'old', 'nope'])
        out.push([
          'registered-models/alias',
          [
            ['name', name],
            ['alias', alias],
          ],
        ]);
      for (let n = 1; n <= top + 1; n++) {
        out.push([
          'model-versions/get',
          [
            ['name', name],
            ['version', String(n)],
          ],
        ]);
        out.push([
          'model-versions/get-download-uri',
          [
            ['name', name],
            ['version', String(n)],
          ],
        ]);
      }
      out.push(['model-versions/search', [['filter', `name = '${name}'`]]]);
    }
    out.push(['registered-models/search', [['filter', `name LIKE '${p}%'`]]]);
    out.push([
      'registered-models/search',
      [
        ['filter', `name LIKE '${p}%'`],
        ['max_results', '2'],
      ],
    ]);
    return out;
  }

  beforeAll(async () => {
    const post = (e: string, b: Record<string, unknown>) => api(SOURCE!, 'POST', e, b);
    await post('registered-models/create', {
      name: fraud,
      description: 'Round trip',
      tags: [{ key: 'team', value: 'risk' }],
    });
    for (let v = 1; v <= 5; v++)
      await post('model-versions/create', {
        name: fraud,
        source: `s3://rt/${fraud}/${v}`,
        run_link: `https://ci.example.com/${v}`,
        tags: [{ key: 'n', value: String(v) }],
      });
    await post('model-versions/transition-stage', {
      name: fraud,
      version: '3',
      stage: 'Production',
      archive_existing_versions: false,
    });
    await post('model-versions/transition-stage', {
      name: fraud,
      version: '2',
      stage: 'Staging',
      archive_existing_versions: false,
    });
    await api(SOURCE!, 'DELETE', 'model-versions/delete', { name: fraud, version: '4' });
    await post('registered-models/alias', { name: fraud, alias: 'champion', version: '3' });
    await post('registered-models/create', { name: churn });
    await post('model-versions/create', { name: churn, source: `s3://rt/${churn}/1` });
    await post('registered-models/alias', { name: churn, alias: 'old', version: '1' });
    await post('model-versions/create', { name: churn, source: `s3://rt/${churn}/2`, description: 'second' });
    await api(SOURCE!, 'DELETE', 'model-versions/delete', { name: churn, version: '1' });
    await post('registered-models/create', { name: copy });
    await post('model-versions/create', { name: copy, source: `models:/${fraud}/3` });
    repo = await mkdtemp(path.join(os.tmpdir(), 'mreg-real-mlflow-'));
    await mregOk(['init', repo]);
  });

  afterAll(async () => {
    await daemon?.stop();
    for (const base of [SOURCE!, TARGET!])
      for (const name of [fraud, churn, copy])
        await api(base, 'DELETE', 'registered-models/delete', { name }).catch(() => undefined);
    if (repo) await rm(repo, { recursive: true, force: true });
  });

  it('import: every read through the daemon equals MLflow’s answer', async () => {
    await mregOk(['import', '--from', SOURCE!], { cwd: repo, timeoutMs: 600_000 });
    daemon = await startDaemon(buildDaemonConfig({ repo, port: 0, snapshot: false }, {}), { logger: SILENT });
    await daemon.ready;
    const expected = await record(
      SOURCE!,
      reads([
        [fraud, 5],
        [churn, 2],
        [copy, 1],
      ]),
    );
    const c = await compareReads(daemon.url, expected);
    expect(c.mismatches).toEqual([]);
    expect(c.adjusted).toBeGreaterThan(0); // churn's alias `old`, whose version MLflow deleted
  });

  it('sync: one commit per changed model, saying what changed; then the answers agree again', async () => {
    await api(SOURCE!, 'POST', 'model-versions/transition-stage', {
      name: fraud,
      version: '2',
      stage: 'Production',
      archive_existing_versions: true,
    });
    await api(SOURCE!, 'POST', 'model-versions/create', { name: churn, source: `s3://rt/${churn}/3` });
    const r = await mregOk(['import', '--from', SOURCE!], { cwd: repo, timeoutMs: 600_000 });
    expect(r.stdout).toContain(`${churn}: v3 registered [`);
    expect(r.stdout).toContain(`${fraud}: v2 Staging → Production; v3 Production → Archived [`);
    const headNow = (await git(repo, 'rev-parse', 'HEAD')).trim();
    for (let t0 = Date.now(); Date.now() - t0 < 20_000; await new Promise((res) => setTimeout(res, 20)))
      if ((await fetch(`${daemon.url}/readyz`)).headers.get('x-mreg-commit') === headNow) break;
    const c = await compareReads(
      daemon.url,
      await record(
        SOURCE!,
        reads([
          [fraud, 5],
          [churn, 3],
          [copy, 1],
        ]),
      ),
    );
    expect(c.mismatches).toEqual([]);
    const again = await mregOk(['import', '--from', SOURCE!], { cwd: repo, timeoutMs: 600_000 });
    expect(again.stdout).toContain('Nothing to import');
  });

  it('export: a second MLflow answers as the first, timestamps aside; a second export sends nothing', async () => {
    // Only this test's models go to the target.
    const others = (await git(repo, 'ls-tree', '--name-only', 'HEAD', 'models/')).split('\n').filter(Boolean);
    for (const dir of others) {
      const name = (await git(repo, 'show', `HEAD:${dir}/model.yaml`))
        .match(/^name: (.*)$/m)![1]!
        .replace(/^"|"$/g, '');
      if (!name.startsWith(p)) await mregOk(['delete', name], { cwd: repo });
    }
    const r = await mregOk(['export', '--to', TARGET!], { cwd: repo, timeoutMs: 600_000 });
    expect(r.stdout).toMatch(/3 models and 7 versions created, 2 numbers of deleted versions used up/);
    const requests = reads([
      [fraud, 5],
      [churn, 3],
      [copy, 1],
    ]);
    const a = await record(SOURCE!, requests);
    const b = await record(TARGET!, requests);
    const dangling = danglingAliases(a);
    const strip = (v: unknown, key = ''): unknown =>
      Array.isArray(v)
        ? v.map((x) => strip(x))
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .filter(([k]) => !k.endsWith('_timestamp'))
                .map(([k, x]) => [k, strip(x, k)]),
            )
          : key === 'next_page_token'
            ? '<token>'
            : v;
    const mismatches: string[] = [];
    for (const [i, ex] of a.entries()) {
      const q = new Map(ex.request.query);
      // Not exported: an alias whose version MLflow had deleted; and a search's order by update time.
      if (ex.request.path.endsWith('/registered-models/alias') && dangling.has(`${q.get('name')}\0${q.get('alias')}`))
        continue;
      let want = JSON.parse(ex.response.body);
      if (want.registered_model?.aliases)
        want.registered_model.aliases = want.registered_model.aliases.filter(
          (x: { alias: string }) => !dangling.has(`${want.registered_model.name}\0${x.alias}`),
        );
      if (want.registered_model?.aliases?.length === 0) delete want.registered_model.aliases;
      let got = JSON.parse(b[i]!.response.body);
      if (ex.request.path.endsWith('/model-versions/search')) {
        const byNumber = (x: { version: string }, y: { version: string }) => Number(x.version) - Number(y.version);
        want = { model_versions: [...(want.model_versions ?? [])].sort(byNumber) };
        got = { model_versions: [...(got.model_versions ?? [])].sort(byNumber) };
      }
      if (ex.request.path.endsWith('/registered-models/search')) continue; // compared model by model through /get
      const d = b[i]!.response.status !== ex.response.status ? 'status' : firstDifference(strip(got), strip(want));
      if (d) mismatches.push(`${ex.request.path}?${new URLSearchParams(ex.request.query)}: ${d}`);
    }
    expect(mismatches).toEqual([]);
    const again = await mregOk(['export', '--to', TARGET!], { cwd: repo, timeoutMs: 600_000 });
    expect(again.stdout).toContain('Nothing to export');
  });

  it('export --update: changes made in git reach the second MLflow, which then answers as mreg does', async () => {
    for (const edit of [
      ['describe', fraud, 'Changed in git.'],
      ['tag', fraud, 'team=ml-platform'],
      ['transition', fraud, '5', 'Staging'],
      ['alias', fraud, 'challenger', '5'],
      ['tag', churn, '2', 'reviewed=yes'],
    ])
      await mregOk(edit, { cwd: repo });
    const r = await mregOk(['export', '--to', TARGET!, '--update'], { cwd: repo, timeoutMs: 600_000 });
    expect(r.stdout).toContain('5 changes sent');
    const headNow = (await git(repo, 'rev-parse', 'HEAD')).trim();
    for (let t0 = Date.now(); Date.now() - t0 < 20_000; await new Promise((res) => setTimeout(res, 20)))
      if ((await fetch(`${daemon.url}/readyz`)).headers.get('x-mreg-commit') === headNow) break;
    const requests = reads([
      [fraud, 5],
      [churn, 3],
    ]).filter(([e]) => e !== 'registered-models/search');
    const fromMlflow = await record(TARGET!, requests);
    const fromMreg = await record(daemon.url, requests);
    const strip = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(strip)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .filter(([k]) => !k.endsWith('_timestamp'))
                .map(([k, x]) => [k, strip(x)]),
            )
          : v;
    const byNumber = (x: { version: string }, y: { version: string }) => Number(x.version) - Number(y.version);
    const mismatches = fromMlflow.flatMap((a, i) => {
      let want = JSON.parse(a.response.body);
      let got = JSON.parse(fromMreg[i]!.response.body);
      if (a.request.path.endsWith('/model-versions/search')) {
        want = { model_versions: [...(want.model_versions ?? [])].sort(byNumber) };
        got = { model_versions: [...(got.model_versions ?? [])].sort(byNumber) };
      }
      const d =
        a.response.status !== fromMreg[i]!.response.status ? 'status' : firstDifference(strip(got), strip(want));
      return d ? [`${a.request.path}?${new URLSearchParams(a.request.query)}: ${d}`] : [];
    });
    expect(mismatches).toEqual([]);
  });
});
