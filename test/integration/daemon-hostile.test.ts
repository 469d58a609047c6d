// Hostile input at the daemon's door: paths, query strings, bodies, headers and slow clients. Every
// answer is a JSON error (or a refusal by node:http itself), nothing is served from outside the
// registry, the process stays up and keeps answering.
import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSyntheticRegistry } from '../../scripts/lib/synth.mjs';
import { serveRepo, type TestDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/registry.js';

/** One raw HTTP/1.1 exchange; resolves with what came back before the server closed or `ms` passed. */
function raw(
  d: TestDaemon,
  request: string | Buffer,
  ms = 3_000,
): Promise<{ text: string; closed: boolean; elapsed: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = net.connect(d.port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve({ text, closed, elapsed: Date.now() - t0 });
    };
    sock.on('data', (b) => (text += b.toString('latin1')));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    setTimeout(() => finish(false), ms);
    sock.write(request);
  });
}

const status = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

async function daemon(): Promise<TestDaemon> {
  const dir = await tempDir('mreg-hostile-');
  await makeSyntheticRegistry(dir, { models: 3, versionsPerModel: 10, bare: true });
  const d = await serveRepo(dir, { limits: { headersTimeoutMs: 600, requestTimeoutMs: 1_200 } });
  await d.ready;
  return d;
}

describe('daemon under hostile input', () => {
  it('traversal, NUL, bad percent-encoding and absolute-form targets: JSON 4xx, nothing from disk', async () => {
    const d = await daemon();
    const targets = [
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/api/2.0/mlflow/../../../etc/passwd',
      '/static/../../package.json',
      '/api/2.0/mlflow/registered-models/get?name=..%2F..%2Fetc%2Fpasswd',
      '/api/2.0/mlflow/registered-models/get?name=%00',
      '/api/2.0/mlflow/registered-models/get?name=%ff%fe',
      '/api/2.0/mlflow/registered-models/get?name=%zz',
      '/api/2.0/mlflow/model-versions/get?name=model-000&version=99999999999999999999999',
      '/api/v1/resolve?uri=models:/..%2F..%2Fetc/1',
      '/api/v1/resolve?uri=models:/model-000/1&at=..%2F..%2Fconfig',
      'http://evil.example/api/2.0/mlflow/registered-models/get?name=model-000',
    ];
    for (const t of targets) {
      const r = await raw(d, `GET ${t} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      const s = status(r.text);
      expect(s, t).toBeGreaterThanOrEqual(200);
      expect(s, t).toBeLessThan(500);
      expect(r.text, t).not.toMatch(/root:|"name": "mreg"/);
    }
    expect((await d.get('/healthz')).status).toBe(200);
  });

  it('random paths, queries and bodies never produce a 5xx', async () => {
    const d = await daemon();
    const paths = fc.oneof(
      fc.constantFrom(
        '/api/2.0/mlflow/registered-models/get',
        '/api/2.0/mlflow/model-versions/get',
        '/api/2.0/mlflow/model-versions/search',
        '/api/2.0/mlflow/registered-models/search',
        '/api/2.0/mlflow/registered-models/get-latest-versions',
        '/api/2.0/mlflow/registered-models/alias',
        '/api/v1/resolve',
        '/api/2.0/mlflow/model-versions/get-download-uri',
      ),
      fc.webPath(),
    );
    const keys = fc.constantFrom(
      'name',
      'version',
      'filter',
      'order_by',
      'max_results',
      'page_token',
      'stages',
      'alias',
      'uri',
      'at',
      'x',
    );
    const values = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.constantFrom(
        "name LIKE '%'",
        "tag.`a` = 'b'",
        'eyJvZmZzZXQiOiAtMX0=',
        '1e309',
        '-1',
        'models:/model-000@champion',
        "name='model-000' AND version_number>=1",
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        paths,
        fc.array(fc.tuple(keys, values), { maxLength: 4 }),
        fc.option(fc.json(), { nil: undefined }),
        fc.constantFrom('GET', 'POST', 'DELETE', 'PATCH'),
        async (p, params, body, method) => {
          const q = new URLSearchParams(params).toString();
          const init: RequestInit = { method };
          if (body !== undefined && method !== 'GET') {
            init.body = body;
            init.headers = { 'Content-Type': 'application/json' };
          }
          const res = await fetch(`${d.url}${p}${q ? `?${q}` : ''}`, init);
          const text = await res.text();
          if (res.status >= 500) throw new Error(`${method} ${p}?${q} → ${res.status} ${text}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('nested and huge JSON bodies, oversized headers, slow clients: refused, and the daemon stays up', async () => {
    const d = await daemon();
    const lv = '/api/2.0/mlflow/registered-models/get-latest-versions';
    const nested = '['.repeat(100_000) + ']'.repeat(100_000);
    let r = await raw(
      d,
      `POST ${lv} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${nested.length}\r\nConnection: close\r\n\r\n${nested}`,
    );
    expect(status(r.text)).toBe(400);
    r = await raw(
      d,
      `POST ${lv} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{"name":`,
    );
    expect(status(r.text)).toBe(413);
    r = await raw(d, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expect(status(r.text)).toBe(431);
    // Slowloris: headers never finish. Node closes the connection after the headers timeout.
    r = await raw(d, 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 5_000);
    expect(r.closed).toBe(true);
    expect(r.elapsed).toBeLessThan(4_000);
    // A body that never finishes: closed after the request timeout.
    r = await raw(
      d,
      `POST ${lv} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na`,
      6_000,
    );
    expect(r.closed).toBe(true);
    expect(r.elapsed).toBeLessThan(5_000);
    expect((await d.get('/api/2.0/mlflow/registered-models/get?name=model-000')).status).toBe(200);
  });
});
