// Security of the daemon over real HTTP on loopback: where it listens, that no request changes anything,
// that nothing outside the served registry is reachable, the UI's security headers, request size and
// time limits, and a fuzz of its whole HTTP surface (methods, paths, query strings, headers, bodies)
// through a raw socket, so that no client normalises what is sent.
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSyntheticRegistry } from '../../scripts/lib/synth.mjs';
import { buildDaemonConfig } from '../../src/daemon/config.js';
import { MLFLOW_ENDPOINTS, MLFLOW_PREFIXES } from '../../src/daemon/http/mlflow-api.js';
import { reportFigures } from '../helpers/figures.js';
import { serveRepo } from '../helpers/daemon.js';
import { parseResponse, rawGet, rawRequest, trickle } from '../helpers/raw-http.js';
import { git, tempDir } from '../helpers/registry.js';

const API = '/api/2.0/mlflow';

async function registry(): Promise<{ dir: string; head: string }> {
  const dir = await tempDir('mreg-sec-');
  const head = await makeSyntheticRegistry(dir, { models: 3, versionsPerModel: 10 });
  return { dir, head };
}

/** Every file under `dir` (the work tree and .git) with its size and mtime: any write shows. */
async function fingerprint(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      const st = await stat(p);
      h.update(`${path.relative(dir, p)} ${e.isDirectory() ? 'd' : st.size} ${st.mtimeMs}\n`);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  h.update(await git(dir, 'for-each-ref'));
  h.update(await git(dir, 'rev-parse', 'HEAD'));
  return h.digest('hex');
}

/** Text that would mean a file outside the served registry (or a listing) leaked into a response. */
const LEAKS = [
  'root:x:0:0',
  '[core]',
  'repositoryformatversion',
  'ref: refs/heads/',
  '"devDependencies"',
  'Index of',
  'format_version',
  'import {',
];

function expectNoLeak(body: Buffer, what: string): void {
  const text = body.toString('latin1');
  for (const marker of LEAKS) expect(text.includes(marker), `${what} leaked ${marker}`).toBe(false);
}

describe('daemon security', () => {
  it('listens on 127.0.0.1 only unless told otherwise', async () => {
    expect(buildDaemonConfig({}, {}).host).toBe('127.0.0.1');
    const { dir } = await registry();
    const d = await serveRepo(dir); // no host given
    await d.ready;
    expect(d.host).toBe('127.0.0.1');
    expect((await rawGet(d.port, '/healthz')).status).toBe(200);
    // Another loopback address reaches nothing: the socket is bound to 127.0.0.1, not to every interface.
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(d.port, '127.0.0.2', () => {
        s.destroy();
        resolve('connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    // Told otherwise, it listens where it is told (another loopback address here).
    const other = await serveRepo(dir, { host: '127.0.0.2' });
    await other.ready;
    expect(other.host).toBe('127.0.0.2');
    expect(other.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    expect((await other.get('/healthz')).status).toBe(200);
  });

  it('is read-only by construction: every MLflow write endpoint, under every prefix and method, changes nothing on disk', async () => {
    const { dir, head } = await registry();
    const d = await serveRepo(dir);
    await d.ready;
    const before = await fingerprint(dir);
    const body = JSON.stringify({
      name: 'model-000',
      new_name: 'renamed',
      version: '3',
      stage: 'Production',
      archive_existing_versions: true,
      key: 'k',
      value: 'v',
      alias: 'champion',
      source: 's3://evil/x',
      run_id: 'r',
      description: 'pwned',
      tags: [{ key: 'k', value: 'v' }],
    });
    let writes = 0;
    for (const ep of MLFLOW_ENDPOINTS) {
      for (const prefix of MLFLOW_PREFIXES) {
        for (const method of [...ep.write, 'PUT', 'DELETE', 'PATCH', 'POST']) {
          if (ep.read.has(method)) continue;
          const res = parseResponse(
            await rawRequest(
              d.port,
              `${method} ${prefix}${ep.name} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
            ),
          );
          writes++;
          expect([403, 405], `${method} ${prefix}${ep.name}`).toContain(res.status);
          const err = JSON.parse(res.body.toString('utf8'));
          expect(err.error_code).toBe(res.status === 403 ? 'PERMISSION_DENIED' : 'BAD_REQUEST');
        }
      }
    }
    expect(writes).toBeGreaterThan(40);
    expect(await fingerprint(dir)).toBe(before);
    const still = await d.get(`${API}/model-versions/get?name=model-000&version=3`);
    expect(still.commit).toBe(head);
    expect(still.body.model_version.current_stage).toBe('None');
    reportFigures('daemon-read-only', { write_requests: writes, files_changed: 0 });
  });

  it('no file outside the registry and no directory listing is reachable, however the path is spelled', async () => {
    const { dir } = await registry();
    const d = await serveRepo(dir);
    await d.ready;
    const targets = [
      '/static/../../etc/passwd',
      '/static/../../../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/static/%2e%2e/%2e%2e/etc/passwd',
      '/static/..%2f..%2f..%2fetc%2fpasswd',
      '/static/..%5c..%5c..%5cetc%5cpasswd',
      '/static/%252e%252e/%252e%252e/etc/passwd',
      '/static/..%c0%af..%c0%afetc/passwd',
      '/static/..;/..;/etc/passwd',
      '/static/....//....//etc/passwd',
      '/ui/../../../etc/passwd',
      '/ui/%2e%2e/%2e%2e/.git/config',
      '//etc/passwd',
      '/\\..\\..\\etc\\passwd',
      '/static/%00',
      '/static/x%00.css',
      '/..',
      '/.',
      '/.git/config',
      '/.git/HEAD',
      '/.git/',
      '/static/../.git/config',
      '/%2e%2e%2f.git/HEAD',
      '/registry.yaml',
      '/models/',
      '/models/model-000/model.yaml',
      '/static/',
      '/static',
      '/package.json',
      '/static/../package.json',
      '/static/../../src/daemon/serve.ts',
      '/etc/passwd',
      '/file:///etc/passwd',
      'http://127.0.0.1/../../etc/passwd',
      '/api/2.0/mlflow/../../../etc/passwd',
      '/api/2.0/mlflow/%2e%2e/%2e%2e/.git/config',
    ];
    for (const t of targets) {
      const res = await rawGet(d.port, t);
      expectNoLeak(res.body, t);
      expect(res.status, t).toBeGreaterThanOrEqual(400);
      expect(res.status, t).toBeLessThan(500);
    }
    reportFigures('daemon-traversal', { targets: targets.length, leaks: 0 });
  });

  it('UI responses carry the security headers (pages, 404s, HEAD, other methods); API responses are JSON with nosniff', async () => {
    const { dir } = await registry();
    const d = await serveRepo(dir);
    await d.ready;
    const ui = [
      ['GET', '/'],
      ['HEAD', '/'],
      ['GET', '/ui/'],
      ['GET', '/ui/models/model-000'],
      ['GET', '/ui/does-not-exist'],
      ['GET', '/static/none.css'],
      ['POST', '/'],
      ['PUT', '/ui/'],
      ['DELETE', '/'],
      ['OPTIONS', '/'],
      ['TRACE', '/'],
      ['PATCH', '/static/x.js'],
    ];
    for (const [method, p] of ui) {
      const res = parseResponse(
        await rawRequest(
          d.port,
          `${method} ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        ),
        { head: method === 'HEAD' },
      );
      const what = `${method} ${p} → ${res.status}`;
      expect(res.status, what).toBeLessThan(500);
      expect(res.headers.get('content-security-policy'), what).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('content-security-policy'), what).toMatch(/default-src 'none'|default-src 'self'/);
      expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), what).toBe('DENY');
      expect(res.headers.get('referrer-policy'), what).toBe('no-referrer');
      // Only GET and HEAD read pages; anything else is refused rather than answered as a GET.
      if (method !== 'GET' && method !== 'HEAD') expect(res.status, what).toBe(405);
    }
    for (const p of [
      `${API}/registered-models/search`,
      `${API}/nope`,
      '/api/v1/resolve?uri=models:/nope/1',
      '/readyz',
    ]) {
      const res = await rawGet(d.port, p);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      JSON.parse(res.body.toString('utf8'));
    }
  });

  it('request size limits: a body over 1 MB (declared or chunked) is 413, headers over 16 KB 431, a target over 8 KB 414', async () => {
    const { dir } = await registry();
    const d = await serveRepo(dir);
    await d.ready;
    const big = JSON.stringify({ name: 'model-000', pad: 'x'.repeat(2 * 1024 * 1024) });
    const post = (headers: string, body: string) =>
      rawRequest(
        d.port,
        `POST ${API}/registered-models/get-latest-versions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${headers}Connection: close\r\n\r\n${body}`,
      );
    const declared = parseResponse(await post(`Content-Length: ${big.length}\r\n`, big));
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body.toString()).message).toMatch(/exceeds 1048576 bytes/);
    const chunks =
      big
        .match(/[\s\S]{1,65536}/g)!
        .map((c) => `${c.length.toString(16)}\r\n${c}\r\n`)
        .join('') + '0\r\n\r\n';
    const chunked = parseResponse(await post('Transfer-Encoding: chunked\r\n', chunks));
    expect(chunked.status).toBe(413);
    const headers = parseResponse(
      await rawRequest(
        d.port,
        `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
      ),
    );
    expect(headers.status).toBe(431);
    const target = await rawGet(d.port, `${API}/registered-models/get?name=${'a'.repeat(9_000)}`);
    expect(target.status).toBe(414);
    expect((await d.get('/healthz')).status).toBe(200);
  });

  it('hostile JSON bodies and query strings (deep nesting, malformed UTF-8, 1 MB values, prototype keys) get a 4xx JSON error', async () => {
    const { dir } = await registry();
    const d = await serveRepo(dir);
    await d.ready;
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const bodies: Array<[string, Buffer | string]> = [
      ['registered-models/get-latest-versions', `{"name": ${deep(10_000)}}`],
      ['registered-models/get-latest-versions', `{"name": "model-000", "stages": ${deep(10_000)}}`],
      ['registered-models/search', `{"filter": ${deep(10_000)}}`],
      ['model-versions/search', `{"max_results": {"a": ${deep(10_000)}}}`],
      ['registered-models/get-latest-versions', deep(200_000)],
      [
        'registered-models/get-latest-versions',
        Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d]),
      ],
      ['registered-models/get-latest-versions', '{"name": "\\ud800\\udc00\\ud800"}'],
      ['registered-models/get-latest-versions', JSON.stringify({ name: 'n'.repeat(1_000_000) })],
      [
        'registered-models/get-latest-versions',
        '{"__proto__": {"name": "model-000"}, "constructor": {"prototype": {"name": "x"}}}',
      ],
      ['registered-models/search', JSON.stringify({ filter: `name LIKE '${'%_'.repeat(200_000)}'` })],
    ];
    for (const [ep, body] of bodies) {
      const b = Buffer.from(body);
      const res = parseResponse(
        await rawRequest(
          d.port,
          Buffer.concat([
            Buffer.from(
              `POST ${API}/${ep} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\nConnection: close\r\n\r\n`,
            ),
            b,
          ]),
        ),
      );
      const what = `${ep} ${b.subarray(0, 60).toString('latin1')}… → ${res.status} ${res.body.subarray(0, 200).toString()}`;
      expect(res.status, what).toBeGreaterThanOrEqual(400);
      expect(res.status, what).toBeLessThan(500);
      expect(JSON.parse(res.body.toString('utf8')).error_code, what).toMatch(/^[A-Z_]+$/);
      expect(res.body.length, `${what}: the error echoes the whole value`).toBeLessThan(2_000_000);
    }
    const queries = [
      `${API}/registered-models/get?name=%ff%fe%c3%28`,
      `${API}/registered-models/get?name=%`,
      `${API}/registered-models/get?name=%zz%`,
      `${API}/model-versions/get?name=model-000&version=%00`,
      `${API}/model-versions/get?name=model-000&version=99999999999999999999999`,
      `${API}/registered-models/search?filter=%ff`,
      `${API}/registered-models/search?max_results=1e999`,
      `${API}/registered-models/search?page_token=${'A'.repeat(7_000)}`,
      `/api/v1/resolve?uri=models:/%ff/1`,
      `/api/v1/resolve?uri=models:/model-000/1&at=%ff`,
      `/api/v1/resolve?uri=models:/model-000/1&at=HEAD~999999`,
      `/api/v1/resolve?uri=models:/model-000/1&at=../../etc/passwd`,
      `/api/v1/resolve?uri=models:/model-000/1&at=refs/../config`,
      `/api/v1/resolve?uri=${'models:/'.repeat(900)}`,
    ];
    for (const q of queries) {
      const res = await rawGet(d.port, q);
      const what = `${q.slice(0, 100)} → ${res.status} ${res.body.subarray(0, 200).toString()}`;
      expect(res.status, what).toBeGreaterThanOrEqual(400);
      expect(res.status, what).toBeLessThan(500);
      expect(JSON.parse(res.body.toString('utf8')).error_code, what).toMatch(/^[A-Z_]+$/);
    }
    expect(d.logs.filter((l) => l.includes('"level":"error"'))).toEqual([]);
    reportFigures('daemon-hostile-requests', { bodies: bodies.length, queries: queries.length, server_errors: 0 });
  });

  it('time limits: a client sending its headers or body slowly, or nothing at all, is cut off', async () => {
    const { dir } = await registry();
    const d = await serveRepo(dir, {
      limits: { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000, keepAliveTimeoutMs: 1_000 },
    });
    await d.ready;
    // 40 steps 300 ms apart: 12 s if the server let them run; the limits are 1 s and 2 s.
    const STEPS = 40;
    const [headers, body, idle] = await Promise.all([
      trickle(
        d.port,
        [
          'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n',
          ...Array.from({ length: STEPS }, (_, i) => `X-Slow-${i}: x\r\n`),
        ],
        300,
      ),
      trickle(
        d.port,
        [
          `POST ${API}/registered-models/get-latest-versions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${STEPS}\r\n\r\n`,
          ...Array.from({ length: STEPS }, () => ' '),
        ],
        300,
      ),
      trickle(
        d.port,
        Array.from({ length: STEPS }, () => ''),
        300,
      ),
    ]);
    for (const [what, r] of [
      ['slow headers', headers],
      ['slow body', body],
      ['idle', idle],
    ] as const) {
      expect(r.sent, `${what}: the server let the client finish (${r.response.split('\r\n')[0]})`).toBeLessThan(STEPS);
      expect(r.response === '' || r.response.startsWith('HTTP/1.1 408'), `${what}: ${r.response.slice(0, 80)}`).toBe(
        true,
      );
    }
    expect((await d.get('/healthz')).status).toBe(200);
  }, 60_000);

  it('fuzz: 1,500 random requests (methods, paths, query strings, headers, bodies): every answer well formed, JSON on API paths, no 5xx, still up', async () => {
    const { dir } = await registry();
    const d = await serveRepo(dir);
    await d.ready;
    const before = await fingerprint(dir);
    const enc = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
    const junk = fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2f',
      '%5c',
      '%00',
      '%ff',
      '%c0%af',
      '%',
      '%%',
      '%zz',
      '//',
      '\\',
      '~',
      ';',
      '@',
      ':',
      'é',
      '%e2%80%ae',
      'model-000',
      'latest',
      '1',
      '-1',
      'Production',
      '?',
      '#',
      '&',
      '=',
      '+',
    );
    const segment = fc
      .array(fc.oneof(junk, fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/)), { maxLength: 4 })
      .map((a) => a.join(''));
    const endpoint = fc.constantFrom(
      ...MLFLOW_PREFIXES.flatMap((p) => MLFLOW_ENDPOINTS.map((e) => p + e.name)),
      '/api/v1/resolve',
      '/',
      '/ui/',
      '/ui/models/model-000',
      '/static/app.js',
      '/healthz',
      '/readyz',
      '/metrics',
      '/api/2.0/mlflow/',
      '/api/',
      '',
    );
    const pathArb = fc
      .tuple(endpoint, fc.array(segment, { maxLength: 3 }), fc.boolean())
      .map(([e, segs, more]) => (more ? [e, ...segs].join('/') : e) || '/');
    const hostile = fc.oneof(
      fc.string({ maxLength: 40 }).map(enc),
      fc.uint8Array({ maxLength: 40 }).map((b) => [...b].map((x) => '%' + x.toString(16).padStart(2, '0')).join('')),
      fc.constantFrom(
        'model-000',
        '3',
        'Production',
        'champion',
        'models:/model-000/1',
        'models:/model-000@champion',
        'models:/..%2f..%2fetc/1',
        "name='model-000'",
        "name LIKE '%'",
        "tags.team = 'team-0'",
        'HEAD~1',
        'HEAD~99999',
        '2026-01-01T00:00:00Z',
        '1e309',
        '-0',
        '99999999999999999999999',
        '',
      ),
      fc.constantFrom(
        enc("name LIKE '" + '%_'.repeat(200) + "'"),
        enc('('.repeat(500)),
        enc("'".repeat(999)),
        'a'.repeat(2_000),
      ),
    );
    const key = fc.constantFrom(
      'name',
      'version',
      'alias',
      'stages',
      'filter',
      'max_results',
      'order_by',
      'page_token',
      'uri',
      'at',
      'new_name',
      'x',
      '',
      '%00',
      'name[]',
    );
    const query = fc
      .array(
        fc.tuple(key, hostile).map(([k, v]) => `${k}=${v}`),
        { maxLength: 5 },
      )
      .map((a) => (a.length ? '?' + a.join('&') : ''));
    const deep = (n: number) => '{"name":' + '['.repeat(n) + ']'.repeat(n) + '}';
    const bodyArb = fc.oneof(
      fc.constant(Buffer.alloc(0)),
      fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
      fc
        .record(
          {
            name: fc.oneof(fc.string(), fc.constant('model-000'), fc.jsonValue({ maxDepth: 3 })),
            version: fc.oneof(fc.string(), fc.integer(), fc.jsonValue()),
            stages: fc.jsonValue(),
            filter: fc.string(),
            max_results: fc.jsonValue(),
            uri: fc.string(),
          },
          { requiredKeys: [] },
        )
        .map((v) => Buffer.from(JSON.stringify(v))),
      fc
        .constantFrom(
          deep(5_000),
          deep(100_000).slice(0, 200_000),
          '"' + '\\"'.repeat(1_000) + '"',
          '{"name": "\\ud800"}',
          '{"name": 1e999}',
          '{"__proto__": {"name": "x"}}',
          '{"name": "model-000", "stages": {"length": 1e9}}',
        )
        .map((s) => Buffer.from(s)),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.constant(Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d])),
    );
    const method = fc.constantFrom(
      'GET',
      'GET',
      'GET',
      'GET',
      'GET',
      'GET',
      'POST',
      'POST',
      'POST',
      'HEAD',
      'PUT',
      'DELETE',
      'PATCH',
      'OPTIONS',
      'TRACE',
      'M-SEARCH',
      'PROPFIND',
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '',
      undefined,
    );
    const extra = fc.constantFrom(
      '',
      'X-Forwarded-For: 10.0.0.1\r\n',
      'Accept: */*\r\n',
      'Accept-Encoding: gzip\r\n',
      'Cookie: a=b\r\n',
      'Expect: 100-continue\r\n',
      'Origin: http://evil.example\r\n',
      'Range: bytes=0-10\r\n',
      'If-None-Match: *\r\n',
      'Host: evil.example\r\n',
      'X-Weird: \u00ff\u00fe\r\n',
    );
    const request = fc.record({
      method,
      path: pathArb,
      query,
      body: bodyArb,
      contentType,
      extra,
      chunked: fc.boolean(),
    });

    let count = 0;
    const statuses = new Map<number, number>();
    const shown = (r: { body: Buffer }) => ({
      ...r,
      body:
        r.body.length > 200
          ? `<${r.body.length} bytes: ${r.body.subarray(0, 100).toString('latin1')}…>`
          : r.body.toString('latin1'),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const hasBody = r.body.length > 0 || r.method === 'POST';
        let head = `${r.method} ${r.path}${r.query} HTTP/1.1\r\n`;
        if (!r.extra.startsWith('Host:')) head += 'Host: 127.0.0.1\r\n';
        head += r.extra;
        if (r.contentType !== undefined) head += `Content-Type: ${r.contentType}\r\n`;
        let payload = r.body;
        if (hasBody && r.chunked && r.body.length) {
          head += 'Transfer-Encoding: chunked\r\n';
          payload = Buffer.concat([
            Buffer.from(`${r.body.length.toString(16)}\r\n`),
            r.body,
            Buffer.from('\r\n0\r\n\r\n'),
          ]);
        } else if (hasBody) head += `Content-Length: ${r.body.length}\r\n`;
        const raw = await rawRequest(
          d.port,
          Buffer.concat([Buffer.from(head + 'Connection: close\r\n\r\n', 'latin1'), payload]),
        );
        count++;
        if (raw.length === 0)
          throw new Error(
            `no response at all to ${r.method} ${r.path}${r.query}; daemon log: ${d.logs.slice(-5).join(' | ')}`,
          );
        const res = parseResponse(raw, { head: r.method === 'HEAD' });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const what = `${r.method} ${r.path}${r.query.slice(0, 200)} [${r.body.length} bytes] → ${res.status} ${res.body.toString('utf8').slice(0, 300)}`;
        expect(res.status, what).toBeLessThan(500);
        expectNoLeak(res.body, what);
        // Bodiless 400s come from node's HTTP parser (a request it cannot read); everything our code answers on an API path is JSON.
        const apiPath = /^\/(api|ajax-api)\//.test(r.path);
        if (apiPath && r.method !== 'HEAD' && res.body.length > 0) {
          expect(res.headers.get('content-type'), what).toBe('application/json');
          const json = JSON.parse(res.body.toString('utf8'));
          if (res.status >= 400) expect(typeof json.error_code, what).toBe('string');
        }
      }),
      {
        numRuns: 1_500,
        reporter: (out) => {
          if (out.failed)
            throw new Error(
              `HTTP fuzz failed (seed ${out.seed}, path ${out.counterexamplePath}) on ${JSON.stringify(out.counterexample ? shown(out.counterexample[0]) : null)}: ${String(out.errorInstance)}`,
            );
        },
      },
    );
    expect((await d.get('/healthz')).status).toBe(200);
    expect((await d.get('/readyz')).body.status).toBe('ready');
    expect(d.logs.filter((l) => l.includes('"level":"error"'))).toEqual([]);
    expect(await fingerprint(dir)).toBe(before);
    reportFigures('daemon-http-fuzz', {
      requests: count,
      server_errors: 0,
      crashes: 0,
      statuses: [...statuses]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}:${n}`)
        .join(','),
    });
  }, 180_000);
});
