// The daemon's HTTP layer as functions: Web Request in, Response out, no socket, no git.
import { describe, expect, it } from 'vitest';
import {
  modelEntry,
  type ModelEntry,
  type ModelFile,
  type RegistryState,
  type VersionFile,
} from '../../src/domain/state.js';
import { StateHolder } from '../../src/daemon/holder.js';
import { App } from '../../src/daemon/http/app.js';
import { Metrics } from '../../src/daemon/http/metrics.js';
import { DEFAULT_LIMITS } from '../../src/daemon/config.js';
import { SILENT } from '../../src/daemon/log.js';
import type { Served, UiDeps } from '../../src/daemon/ui-deps.js';
import type { GitReader } from '../../src/store/git/reader.js';
import type { Loaded } from '../../src/store/load.js';

const C1 = 'a'.repeat(40);
const C2 = 'b'.repeat(40);

function version(n: number, stage: VersionFile['stage'], extra: Partial<VersionFile> = {}): VersionFile {
  return {
    version: n,
    source: `s3://bucket/fraud/${n}`,
    run_id: `run${n}`,
    stage,
    status: 'READY',
    description: `v${n}`,
    created_at: `2026-01-01T00:00:0${n}.000Z`,
    updated_at: `2026-01-01T00:01:0${n}.000Z`,
    ...extra,
  };
}

function stateOf(
  models: Array<{ file: ModelFile; versions: VersionFile[]; aliases?: Record<string, number>; latest?: number }>,
): RegistryState {
  const map = new Map<string, ModelEntry>();
  for (const m of models) {
    const deleted = new Map<number, string>();
    for (let n = 1; n <= (m.latest ?? 0); n++)
      if (!m.versions.some((v) => v.version === n)) deleted.set(n, m.file.updated_at);
    map.set(
      m.file.name,
      modelEntry({
        dir: m.file.name,
        file: m.file,
        versions: new Map(m.versions.map((v) => [v.version, v])),
        aliases: m.aliases ?? {},
        deleted,
      }),
    );
  }
  return { registry: { format_version: 2 }, models: map };
}

function served(commit: string, state: RegistryState): Served {
  const loaded: Loaded = { commit, state, problems: [], dirs: new Map(), registryProblems: [] };
  return { commit, loaded, loadedAt: Date.now() };
}

const fraud: ModelFile = {
  name: 'fraud',
  description: 'Card fraud scorer',
  tags: { team: 'risk' },
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:02:00.000Z',
};
const STATE = stateOf([
  {
    file: fraud,
    aliases: { champion: 3, challenger: 2 },
    versions: [
      version(1, 'Archived'),
      version(2, 'Staging', { tags: { validated: 'pending' } }),
      version(3, 'Production'),
      version(4, 'None'),
    ],
  },
  {
    file: {
      name: 'empty',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    },
    versions: [],
  },
]);

function makeApp(opts: { loaded?: boolean; ui?: (r: Request, d: UiDeps) => Promise<Response> } = {}) {
  const holder = new StateHolder();
  if (opts.loaded !== false) holder.swap(served(C1, STATE));
  const metrics = new Metrics();
  const app = new App({
    holder,
    metrics,
    logger: SILENT,
    limits: DEFAULT_LIMITS,
    branch: 'main',
    repo: {} as GitReader,
    at: async () => {
      throw new Error('no history here');
    },
    ui:
      opts.ui ??
      (async (_r, d) =>
        new Response(`<p>${d.current().commit}</p>`, { headers: { 'Content-Type': 'text/html; charset=utf-8' } })),
  });
  const call = (path: string, init?: RequestInit) => app.handle(new Request(`http://127.0.0.1${path}`, init));
  return { app, holder, metrics, call };
}

const API = '/api/2.0/mlflow';

describe('MLflow read endpoints', () => {
  it('registered-models/get: pretty body, MLflow shape, the commit header', async () => {
    const { call } = makeApp();
    const res = await call(`${API}/registered-models/get?name=fraud`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-mreg-commit')).toBe(C1);
    const text = await res.text();
    expect(text.startsWith('{\n  "registered_model": {\n    "name": "fraud",')).toBe(true);
    expect(text.endsWith('\n')).toBe(false);
    const body = JSON.parse(text).registered_model;
    expect(body.creation_timestamp).toBe(Date.parse('2026-01-01T00:00:00.000Z'));
    expect(body.aliases).toEqual([
      { alias: 'challenger', version: '2' },
      { alias: 'champion', version: '3' },
    ]);
    expect(
      body.latest_versions.map((v: { version: string; current_stage: string }) => `${v.current_stage}:${v.version}`),
    ).toEqual(['Archived:1', 'Staging:2', 'Production:3', 'None:4']);
    expect(body.latest_versions.every((v: object) => !('aliases' in v))).toBe(true);
    expect(body.tags).toEqual([{ key: 'team', value: 'risk' }]);
  });

  it('errors are compact MLflow bodies with MLflow statuses', async () => {
    const { call } = makeApp();
    let res = await call(`${API}/registered-models/get?name=nope`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe(
      '{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Registered Model with name=nope not found"}',
    );
    res = await call(`${API}/registered-models/get?other=1`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message:
        "Missing value for required parameter 'name'. See the API docs for more information about request parameters.",
    });
    res = await call(`${API}/model-versions/get?name=fraud&version=abc`);
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe("Parameter 'version' must be an integer, got 'abc'.");
    res = await call(`${API}/model-versions/get?name=fraud`);
    expect((await res.json()).message).toMatch(/parameter 'version'/);
    res = await call(`${API}/model-versions/get?name=fraud&version=9`);
    expect(res.status).toBe(404);
    expect((await res.json()).message).toBe('Model Version (name=fraud, version=9) not found');
    res = await call(`${API}/registered-models/alias?name=fraud&alias=nope`);
    expect(res.status).toBe(400);
    expect((await res.json()).message).toBe('Registered model alias nope not found.');
  });

  it('model-versions/get, get-download-uri, alias: aliases listed on the version', async () => {
    const { call } = makeApp();
    const mv = (await (await call(`${API}/model-versions/get?name=fraud&version=3&unknown=ignored`)).json())
      .model_version;
    expect(mv).toMatchObject({
      name: 'fraud',
      version: '3',
      current_stage: 'Production',
      aliases: ['champion'],
      run_link: '',
      description: 'v3',
    });
    expect(await (await call(`${API}/model-versions/get-download-uri?name=fraud&version=01`)).json()).toEqual({
      artifact_uri: 's3://bucket/fraud/1',
    });
    const byAlias = (await (await call(`${API}/registered-models/alias?name=fraud&alias=challenger`)).json())
      .model_version;
    expect(byAlias).toMatchObject({
      version: '2',
      aliases: ['challenger'],
      tags: [{ key: 'validated', value: 'pending' }],
    });
    const latest = (await (await call(`${API}/registered-models/alias?name=fraud&alias=LATEST`)).json()).model_version;
    expect(latest.version).toBe('4');
  });

  it('get-latest-versions: GET with repeated stages, POST with JSON, stage case, bad stage, empty = {}', async () => {
    const { call } = makeApp();
    const get = await (
      await call(`${API}/registered-models/get-latest-versions?name=fraud&stages=production&stages=Staging`)
    ).json();
    expect(get.model_versions.map((v: { version: string }) => v.version)).toEqual(['2', '3']);
    const post = await call(`${API}/registered-models/get-latest-versions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ name: 'fraud', stages: ['Production'] }),
    });
    expect((await post.json()).model_versions[0]).toMatchObject({ version: '3', aliases: ['champion'] });
    const bad = await call(`${API}/registered-models/get-latest-versions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"fraud","stages":["Prod"]}',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toBe(
      'Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived.',
    );
    const none = await call(`${API}/registered-models/get-latest-versions?name=empty`);
    expect(await none.text()).toBe('{}');
  });

  it('protocol: content type, malformed and double-encoded bodies, GET body fallback, prefixes', async () => {
    const { call } = makeApp();
    const path = `${API}/registered-models/get-latest-versions`;
    let res = await call(path, { method: 'POST', body: '{"name":"fraud"}' });
    expect(res.status).toBe(400);
    res = await call(path, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"name":"fraud"}' });
    expect(await res.json()).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: "Bad Request. Content-Type must be one of ['application/json'].",
    });
    res = await call(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"name": "fra' });
    expect((await res.json()).message).toMatch(/^Missing value for required parameter 'name'/);
    res = await call(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(JSON.stringify({ name: 'fraud' })),
    });
    expect(res.status).toBe(200);
    res = await call(`${API}/registered-models/get`, {
      method: 'GET',
      headers: { 'Content-Type': 'application/json' },
      body: undefined,
    });
    expect(res.status).toBe(400);
    res = await call(`${API}/registered-models/get`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"fraud"}',
    });
    expect(res.status).toBe(405);
    for (const prefix of ['/ajax-api/2.0/mlflow', '/api/2.0/preview/mlflow']) {
      res = await call(`${prefix}/registered-models/get?name=fraud`);
      expect(res.status).toBe(200);
    }
    res = await call(`${API}/registered-models/get?name=${'x'.repeat(9000)}`);
    expect(res.status).toBe(414);
  });

  it('a GET without a query string reads its JSON body', async () => {
    const { app } = makeApp();
    // Web Requests cannot carry a GET body, so this goes through dispatch directly, as node:http does.
    const wire = await app.dispatch({
      method: 'GET',
      path: `${API}/registered-models/get`,
      rawQuery: '',
      header: () => undefined,
      readBody: async () => '{"name": "fraud"}',
      toWebRequest: async () => new Request('http://x/'),
    });
    expect(wire.status).toBe(200);
    expect(JSON.parse(wire.body.toString()).registered_model.name).toBe('fraud');
  });

  it('write endpoints are refused with PERMISSION_DENIED naming the read-only mode; wrong methods 405; unknown 404', async () => {
    const { call } = makeApp();
    const writes: Array<[string, string]> = [
      ['POST', 'registered-models/create'],
      ['POST', 'registered-models/rename'],
      ['PATCH', 'registered-models/update'],
      ['DELETE', 'registered-models/delete'],
      ['POST', 'registered-models/set-tag'],
      ['DELETE', 'registered-models/delete-tag'],
      ['POST', 'registered-models/alias'],
      ['DELETE', 'registered-models/alias'],
      ['POST', 'model-versions/create'],
      ['PATCH', 'model-versions/update'],
      ['POST', 'model-versions/transition-stage'],
      ['DELETE', 'model-versions/delete'],
      ['POST', 'model-versions/set-tag'],
      ['DELETE', 'model-versions/delete-tag'],
    ];
    for (const [method, p] of writes) {
      const res = await call(`${API}/${p}`, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: '{"name":"fraud"}',
      });
      expect(res.status, `${method} ${p}`).toBe(403);
      const body = await res.json();
      expect(body.error_code).toBe('PERMISSION_DENIED');
      expect(body.message).toMatch(/read-only/);
      expect(body.message).toMatch(/git/);
      expect(body.message).toMatch(/mreg/);
    }
    let res = await call(`${API}/registered-models/create`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((await res.json()).error_code).toBeDefined();
    res = await call(`${API}/model-versions/get-download-uri`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(405);
    res = await call(`${API}/experiments/list`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect((await res.json()).error_code).toBe('ENDPOINT_NOT_FOUND');
  });

  it('a body over 1 MB is refused with 413', async () => {
    const { call } = makeApp();
    const res = await call(`${API}/registered-models/get-latest-versions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'fraud', pad: 'x'.repeat(1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error_code).toBe('BAD_REQUEST');
  });
});

describe('state, cache and operations endpoints', () => {
  it('answers 503 until loaded, then from the swapped state; a swap never serves a stale cached body', async () => {
    const { call, holder } = makeApp({ loaded: false });
    expect((await call(`${API}/registered-models/get?name=fraud`)).status).toBe(503);
    expect((await call('/readyz')).status).toBe(503);
    expect((await call('/healthz')).status).toBe(200);
    holder.swap(served(C1, STATE));
    const a = await call(`${API}/model-versions/get?name=fraud&version=3`);
    expect(a.headers.get('x-mreg-commit')).toBe(C1);
    const a2 = await call(`${API}/model-versions/get?name=fraud&version=3`);
    expect(await a2.text()).toBe(await a.text());
    const moved = stateOf([{ file: fraud, versions: [version(3, 'Archived')] }]);
    holder.swap(served(C2, moved));
    const b = await call(`${API}/model-versions/get?name=fraud&version=3`);
    expect(b.headers.get('x-mreg-commit')).toBe(C2);
    expect((await b.json()).model_version.current_stage).toBe('Archived');
    const ready = await call('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      commit: C2,
      models: 1,
      versions: 1,
      last_reload_error: null,
    });
  });

  it('/readyz and /metrics report a failed reload while the last good state is served', async () => {
    const { call, holder, metrics } = makeApp();
    metrics.observeReload(true, 0.05);
    holder.fail({
      commit: C2,
      at: Date.now(),
      message: 'models/fraud/model.yaml:3: invalid YAML',
      problems: [{ path: 'models/fraud/model.yaml', line: 3, message: 'invalid YAML' }],
    });
    metrics.observeReload(false, 0.01);
    const ready = await (await call('/readyz')).json();
    expect(ready).toMatchObject({
      status: 'stale',
      commit: C1,
      last_reload_error: { commit: C2, message: 'models/fraud/model.yaml:3: invalid YAML' },
    });
    await call(`${API}/registered-models/get?name=fraud`);
    await call(`${API}/registered-models/get?name=fraud`);
    const text = await (await call('/metrics')).text();
    expect(text).toContain('mreg_reloads_total 2');
    expect(text).toContain('mreg_reloads_failed_total 1');
    expect(text).toContain(`mreg_loaded_commit_info{branch="main",commit="${C1}"} 1`);
    expect(text).toContain('mreg_last_reload_failed 1');
    expect(text).toMatch(
      /mreg_last_reload_error_info\{commit="b{40}",message="models\/fraud\/model.yaml:3: invalid YAML"\} 1/,
    );
    expect(text).toContain('mreg_http_requests_total{route="registered-models/get",method="GET",status="200"} 2');
    expect(text).toMatch(/mreg_http_request_duration_seconds_bucket\{route="registered-models\/get",le="\+Inf"\} 2/);
    expect(text).toMatch(/mreg_reload_duration_seconds_count 2/);
  });

  it('UI routes get the security headers and one consistent state; failures are 500 with a request id', async () => {
    const { call } = makeApp();
    const res = await call('/');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`<p>${C1}</p>`);
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-mreg-commit')).toBe(C1);
    const broken = makeApp({
      ui: async () => {
        throw new Error('boom');
      },
    });
    const err = await broken.call('/ui/models/fraud');
    expect(err.status).toBe(500);
    const body = await err.json();
    expect(body.error_code).toBe('INTERNAL_ERROR');
    expect(body.message).toMatch(/request r/);
  });
});
