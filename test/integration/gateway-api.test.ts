// The gateway's MLflow write API against what MLflow really does: the write flow captured from a real MLflow
// 2.22 server (test/fixtures/mlflow-responses/_index.json) and the real Python client's request sequence
// (_python-client-wire.jsonl), replayed with Bearer and with Basic credentials; MLflow's request validation on
// every write endpoint; and what each write leaves in git (one commit, its caller as author).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { API, makeToken, startTestGateway, type Credentials, type TestGateway } from '../helpers/gateway.js';
import { AUTHOR, freshRegistry, git } from '../helpers/registry.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/mlflow-responses');

interface Case {
  file: string;
  request: { method: string; path: string; json_body: unknown };
  status: number;
}

function normalise(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normalise(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x, k)]));
  if (key.endsWith('_timestamp'))
    return typeof v === 'number' && Number.isInteger(v) && v > 1e12 ? '<ms>' : `<bad timestamp ${JSON.stringify(v)}>`;
  return v;
}

/** Pretty JSON text with timestamps blanked, for comparing a recording cut at 600 characters. */
const blankTimes = (s: string): string => s.replace(/"(creation_timestamp|last_updated_timestamp)": \d+/g, '"$1": 0');

async function gatewayWithWriter(): Promise<{ gw: TestGateway; dir: string; token: string }> {
  const { dir } = await freshRegistry({ bare: true });
  const token = await makeToken(dir, 'pipeline');
  const gw = await startTestGateway(dir);
  return { gw, dir, token };
}

async function commits(dir: string): Promise<Array<{ author: string; subject: string }>> {
  const out = await git(dir, 'log', '--format=%an <%ae>%x09%s', 'main');
  return out
    .trim()
    .split('\n')
    .map((l) => {
      const [author, subject] = l.split('\t');
      return { author: author!, subject: subject! };
    });
}

describe('gateway: the write flow captured from MLflow 2.22', () => {
  const cases: Case[] = (JSON.parse(readFileSync(path.join(FIXTURES, '_index.json'), 'utf8')) as Case[]).filter(
    (c) => c.request.method !== 'GET' && !c.request.path.endsWith('get-latest-versions'),
  );

  it('answers every write with MLflow status and body (timestamps aside), errors byte for byte, one commit per write', async () => {
    const { gw, dir, token } = await gatewayWithWriter();
    expect(cases.length).toBe(24);
    let made = 0;
    for (const c of cases) {
      const before = await git(dir, 'rev-parse', 'main');
      const r = await gw.call(c.request.method, c.request.path, c.request.json_body, { token });
      const expected = readFileSync(path.join(FIXTURES, c.file), 'utf8');
      expect(r.status, c.file).toBe(c.status);
      expect(r.headers.get('content-type'), c.file).toBe('application/json');
      if (c.status === 200) {
        expect(normalise(r.body), c.file).toEqual(normalise(JSON.parse(expected)));
        // Pretty-printed with MLflow's indent, keys in MLflow's order.
        expect(blankTimes(r.text), c.file).toBe(blankTimes(expected));
        const after = (await git(dir, 'rev-parse', 'main')).trim();
        expect(after, c.file).not.toBe(before.trim());
        expect(r.headers.get('x-mreg-commit'), c.file).toBe(after);
        made++;
      } else {
        expect(r.text, c.file).toBe(expected);
        expect((await git(dir, 'rev-parse', 'main')).trim(), `${c.file} changed nothing`).toBe(before.trim());
      }
    }
    const log = await commits(dir);
    expect(log.length).toBe(made + 1);
    expect(log.slice(0, made).every((c) => c.author === 'pipeline <pipeline@example.com>')).toBe(true);
    expect(log.map((c) => c.subject).slice(0, 3)).toEqual([
      'demo-model-renamed: deleted',
      'demo-model-renamed: v2 deleted',
      'demo-model: renamed to demo-model-renamed',
    ]);
    // The committer is the gateway's own identity; the author is the caller.
    expect((await git(dir, 'log', '-1', '--format=%cn', 'main')).trim()).not.toBe('pipeline');
    await git(dir, 'fsck', '--strict', '--no-progress');
  });
});

describe('gateway: the MLflow Python client, as recorded on the wire', () => {
  interface WireLine {
    method: string;
    path: string;
    req_headers?: Record<string, string>;
    req_body: string | null;
    status: number;
    resp_body: string;
  }
  const wire: WireLine[] = readFileSync(path.join(FIXTURES, '_python-client-wire.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as WireLine)
    // The registry's requests; runs/* belong to MLflow's tracking server, which mreg is not.
    .filter((l) => l.method !== 'MARK' && /\/mlflow\/(registered-models|model-versions)\//.test(l.path));

  const replay = async (creds: (token: string) => Credentials): Promise<void> => {
    const { gw, dir, token } = await gatewayWithWriter();
    expect(wire.length).toBeGreaterThan(30);
    let writes = 0;
    for (const l of wire) {
      const headers: Record<string, string> = {};
      if (l.req_headers?.['Content-Type']) headers['Content-Type'] = l.req_headers['Content-Type'];
      const a = creds(token);
      const auth = a.basic
        ? `Basic ${Buffer.from(`${a.basic.user}:${a.basic.password}`).toString('base64')}`
        : `Bearer ${a.token}`;
      const res = await fetch(gw.url + l.path, {
        method: l.method,
        headers: { ...headers, Authorization: auth, 'User-Agent': 'mlflow-python-client/2.22.1.dev0' },
        ...(l.req_body !== null ? { body: l.req_body } : {}),
      });
      const text = await res.text();
      const what = `${l.method} ${l.path} ${l.req_body ?? ''}`;
      expect(res.status, what).toBe(l.status);
      // The recording keeps 600 characters of each response.
      expect(blankTimes(text).startsWith(blankTimes(l.resp_body)), `${what}\n${text}`).toBe(true);
      if (l.method !== 'GET' && !l.path.endsWith('get-latest-versions') && l.status === 200) writes++;
    }
    const log = await commits(dir);
    expect(log.length).toBe(writes + 1);
    expect(new Set(log.slice(0, writes).map((c) => c.author))).toEqual(new Set(['pipeline <pipeline@example.com>']));
    await git(dir, 'fsck', '--strict', '--no-progress');
  };

  it('with a Bearer token (MLFLOW_TRACKING_TOKEN)', () => replay((token) => ({ token })));
  it('with Basic credentials (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD)', () =>
    replay((token) => ({ basic: { user: 'pipeline', password: token } })));
});

describe("gateway: MLflow's request validation on every write endpoint", () => {
  const required: Array<[string, string, Record<string, unknown>]> = [
    ['POST', 'registered-models/create', { name: 'm' }],
    ['POST', 'registered-models/rename', { name: 'm', new_name: 'n' }],
    ['PATCH', 'registered-models/update', { name: 'm' }],
    ['DELETE', 'registered-models/delete', { name: 'm' }],
    ['POST', 'registered-models/set-tag', { name: 'm', key: 'k' }],
    ['DELETE', 'registered-models/delete-tag', { name: 'm', key: 'k' }],
    ['POST', 'registered-models/alias', { name: 'm', alias: 'a', version: '1' }],
    ['DELETE', 'registered-models/alias', { name: 'm', alias: 'a' }],
    ['POST', 'model-versions/create', { name: 'm', source: 's3://b/m/1' }],
    ['PATCH', 'model-versions/update', { name: 'm', version: '1' }],
    ['DELETE', 'model-versions/delete', { name: 'm', version: '1' }],
    ['POST', 'model-versions/transition-stage', { name: 'm', version: '1', stage: 'Staging' }],
    ['POST', 'model-versions/set-tag', { name: 'm', version: '1', key: 'k' }],
    ['DELETE', 'model-versions/delete-tag', { name: 'm', version: '1', key: 'k' }],
  ];

  it('a missing or empty required field is 400 with MLflow message, and changes nothing', async () => {
    const { gw, dir, token } = await gatewayWithWriter();
    const head = await git(dir, 'rev-parse', 'main');
    let checked = 0;
    for (const [method, endpoint, body] of required) {
      for (const field of Object.keys(body)) {
        for (const variant of [undefined, '']) {
          const b = { ...body } as Record<string, unknown>;
          if (variant === undefined) delete b[field];
          else b[field] = variant;
          const r = await gw.call(method, endpoint, b, { token });
          expect(r.status, `${method} ${endpoint} without ${field}`).toBe(400);
          expect(r.text).toBe(
            `{"error_code": "INVALID_PARAMETER_VALUE", "message": "Missing value for required parameter '${field}'. See the API docs for more information about request parameters."}`,
          );
          checked++;
        }
      }
    }
    expect(checked).toBe(58);
    expect(await git(dir, 'rev-parse', 'main')).toBe(head);
  });

  it('wrong JSON types are 400 INVALID_PARAMETER_VALUE naming the field', async () => {
    const { gw, token } = await gatewayWithWriter();
    const bad: Array<[string, string, Record<string, unknown>, string]> = [
      ['POST', 'registered-models/create', { name: 7 }, 'name'],
      ['POST', 'registered-models/create', { name: 'm', tags: 'x' }, 'tags'],
      ['POST', 'registered-models/create', { name: 'm', tags: [{ key: 1, value: 'v' }] }, 'tags'],
      ['POST', 'registered-models/create', { name: 'm', description: ['d'] }, 'description'],
      ['POST', 'model-versions/create', { name: 'm', source: { s: 1 } }, 'source'],
      [
        'POST',
        'model-versions/transition-stage',
        { name: 'm', version: '1', stage: 'Staging', archive_existing_versions: 'yes' },
        'archive_existing_versions',
      ],
      ['POST', 'registered-models/set-tag', { name: 'm', key: 'k', value: 5 }, 'value'],
      ['POST', 'registered-models/alias', { name: 'm', alias: 'a', version: [1] }, 'version'],
    ];
    for (const [method, endpoint, body, field] of bad) {
      const r = await gw.call(method, endpoint, body, { token });
      expect(r.status, `${endpoint} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(r.body.message).toContain(`'${field}'`);
    }
    const v = await gw.call(
      'POST',
      'model-versions/transition-stage',
      { name: 'm', version: 'x1', stage: 'Staging' },
      { token },
    );
    expect(v.body.message).toBe("Parameter 'version' must be an integer, got 'x1'.");
  });

  it('a write without Content-Type, or with malformed JSON, is answered as MLflow does', async () => {
    const { gw, token } = await gatewayWithWriter();
    const noType = await fetch(gw.url + API + 'registered-models/create', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain' },
      body: '{"name":"m"}',
    });
    expect(noType.status).toBe(400);
    expect(await noType.text()).toBe(
      `{"error_code": "INVALID_PARAMETER_VALUE", "message": "Bad Request. Content-Type must be one of ['application/json']."}`,
    );
    const malformed = await gw.call('POST', 'registered-models/create', '{"name": "m"', { token });
    const recorded = readFileSync(path.join(FIXTURES, 'ERR-malformed-json-body.http'), 'utf8');
    expect(recorded.endsWith(malformed.text)).toBe(true);
    expect(malformed.status).toBe(400);
  });
});

describe('gateway: writes and reads', () => {
  it('a read right after a write sees it, answered from the commit the write made', async () => {
    const { gw, dir, token } = await gatewayWithWriter();
    await gw.call('POST', 'registered-models/create', { name: 'fraud' }, { token });
    for (let i = 1; i <= 5; i++) {
      const w = await gw.call(
        'POST',
        'model-versions/create',
        { name: 'fraud', source: `s3://b/fraud/${i}` },
        { token },
      );
      expect(w.body.model_version.version).toBe(String(i));
      const r = await gw.call('GET', `model-versions/get?name=fraud&version=${i}`);
      expect(r.status).toBe(200);
      expect(r.body.model_version.source).toBe(`s3://b/fraud/${i}`);
      expect(r.headers.get('x-mreg-commit')).toBe(w.headers.get('x-mreg-commit'));
    }
    expect((await git(dir, 'rev-parse', 'main')).trim()).toBe(
      (await gw.call('GET', 'registered-models/get?name=fraud')).headers.get('x-mreg-commit'),
    );
  });

  it('a no-op (deleting an absent tag or alias) commits nothing and answers {}', async () => {
    const { gw, dir, token } = await gatewayWithWriter();
    await gw.call('POST', 'registered-models/create', { name: 'fraud' }, { token });
    const head = await git(dir, 'rev-parse', 'main');
    expect(
      (await gw.call('DELETE', 'registered-models/delete-tag', { name: 'fraud', key: 'nope' }, { token })).text,
    ).toBe('{}');
    expect((await gw.call('DELETE', 'registered-models/alias', { name: 'fraud', alias: 'nope' }, { token })).text).toBe(
      '{}',
    );
    expect(await git(dir, 'rev-parse', 'main')).toBe(head);
  });

  it('copy_model_version: a version whose source is models:/<name>/<n> downloads from the original', async () => {
    const { gw, token } = await gatewayWithWriter();
    await gw.call('POST', 'registered-models/create', { name: 'a' }, { token });
    await gw.call('POST', 'model-versions/create', { name: 'a', source: 's3://b/a/1', run_id: 'r1' }, { token });
    await gw.call('POST', 'registered-models/create', { name: 'b' }, { token });
    const copy = await gw.call(
      'POST',
      'model-versions/create',
      { name: 'b', source: 'models:/a/1', run_id: 'r1', run_link: '', description: '' },
      { token },
    );
    expect(copy.status).toBe(200);
    expect(copy.body.model_version.source).toBe('models:/a/1');
    const uri = await gw.call('GET', 'model-versions/get-download-uri?name=b&version=1');
    expect(uri.body).toEqual({ artifact_uri: 's3://b/a/1' });
    const missing = await gw.call('POST', 'model-versions/create', { name: 'b', source: 'models:/a/9' }, { token });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain(
      "Unable to fetch model from model URI source artifact location 'models:/a/9'",
    );
  });

  it('a broken model file refuses writes to that model only (INVALID_STATE), as the CLI does', async () => {
    const { dir, registry } = await freshRegistry();
    await registry.createRegisteredModel('ok');
    await registry.createRegisteredModel('bad');
    const token = await makeToken(dir, 'pipeline');
    // A hand edit that breaks the schema, committed with native git.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dir, 'models/bad/model.yaml'), 'name: bad\nlatest_version: nope\n');
    await git(dir, 'commit', '-qam', 'break bad');
    const gw = await startTestGateway(dir);
    const broken = await gw.call('POST', 'model-versions/create', { name: 'bad', source: 's3://x' }, { token });
    expect(broken.status).toBe(500);
    expect(broken.body.error_code).toBe('INVALID_STATE');
    const fine = await gw.call('POST', 'model-versions/create', { name: 'ok', source: 's3://x' }, { token });
    expect(fine.status).toBe(200);
  });

  it('commits by the CLI (or native git) between gateway writes are built on, never lost', async () => {
    const { dir, registry } = await freshRegistry({ author: AUTHOR });
    await registry.createRegisteredModel('fraud');
    const token = await makeToken(dir, 'pipeline');
    const gw = await startTestGateway(dir);
    const a = await gw.call('POST', 'model-versions/create', { name: 'fraud', source: 's3://g/1' }, { token });
    expect(a.body.model_version.version).toBe('1');
    const cli = await registry.createModelVersion('fraud', 's3://cli/2');
    expect(cli.version).toBe('2');
    const b = await gw.call('POST', 'model-versions/create', { name: 'fraud', source: 's3://g/3' }, { token });
    expect(b.body.model_version.version).toBe('3');
    // A model the CLI created since the gateway's last write is there for the next one (not a stale 404).
    await registry.createRegisteredModel('late');
    const late = await gw.call('POST', 'model-versions/create', { name: 'late', source: 's3://g/l' }, { token });
    expect(late.status).toBe(200);
    const log = await commits(dir);
    expect(log.slice(0, 5).map((c) => c.subject)).toEqual([
      'late: v1 registered',
      'late: created',
      'fraud: v3 registered',
      'fraud: v2 registered',
      'fraud: v1 registered',
    ]);
    expect(log[3]!.author).toBe(`${AUTHOR.name} <${AUTHOR.email}>`);
    expect(await git(dir, 'status', '--porcelain')).toBe('');
  });
});
