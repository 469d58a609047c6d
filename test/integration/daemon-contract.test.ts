// Contract: our bodies against real MLflow's (test/fixtures/mlflow-responses/, recorded from MLflow 2.22 on
// the 100-model preload that scripts/lib/synth.mjs reproduces). Same requests, same statuses, same keys
// in the same order, same types and values once timestamps and run ids are normalised; error bodies
// byte for byte. Write requests are the documented exception: this daemon is read-only.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticRegistry } from '../../scripts/lib/synth.mjs';
import { buildDaemonConfig } from '../../src/daemon/config.js';
import { SILENT } from '../../src/daemon/log.js';
import { startDaemon, type Daemon } from '../../src/daemon/serve.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { afterAll } from 'vitest';

const CAPTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/mlflow-responses');

interface Case {
  file: string;
  request: { method: string; path: string; query: Record<string, string> | null; json_body: unknown };
  status: number;
  headers: Record<string, string>;
}

/** The write flow of the capture ran against a scratch model; a read-only daemon refuses those writes. */
const WRITE_PATHS = /\/(create|update|delete|rename|set-tag|delete-tag|transition-stage)$/;
const isWrite = (c: Case): boolean =>
  WRITE_PATHS.test(c.request.path) ||
  (c.request.path.endsWith('/registered-models/alias') && c.request.method !== 'GET');

function normalise(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normalise(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x, k)]));
  if (key.endsWith('_timestamp'))
    return typeof v === 'number' && Number.isInteger(v) && v > 1e12 ? '<ms>' : `<bad timestamp ${JSON.stringify(v)}>`;
  if (key === 'run_id')
    return typeof v === 'string' && /^[0-9a-f]{32}$/.test(v) ? '<run>' : `<bad run id ${JSON.stringify(v)}>`;
  return v;
}

function url(c: Case): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(c.request.query ?? {})) q.append(k, v);
  const s = q.toString();
  return c.request.path + (s ? `?${s}` : '');
}

describe('MLflow contract (test/fixtures/mlflow-responses)', () => {
  let daemon: Daemon;
  let dir: string;
  const cases: Case[] = JSON.parse(readFileSync(path.join(CAPTURE, '_index.json'), 'utf8'));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mreg-contract-'));
    await makeSyntheticRegistry(dir, { models: 100, versionsPerModel: 10, bare: true });
    daemon = await startDaemon(buildDaemonConfig({ repo: dir, port: 0, snapshot: false }, {}), { logger: SILENT });
    await daemon.ready;
  });
  afterAll(async () => {
    await daemon?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function send(c: Case): Promise<Response> {
    const init: RequestInit = { method: c.request.method };
    if (c.request.json_body !== null) {
      init.body = JSON.stringify(c.request.json_body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    return fetch(daemon.url + url(c), init);
  }

  const reads = cases.filter(
    (c) =>
      !isWrite(c) &&
      !c.request.query?.name?.startsWith('demo-model') &&
      !(c.request.json_body as { name?: string } | null)?.name?.startsWith('demo-model'),
  );

  it('covers every read case of the capture', () => {
    expect(reads.length).toBeGreaterThanOrEqual(25);
  });

  for (const c of reads) {
    it(`${c.request.method} ${url(c)} → ${c.status} (${c.file})`, async () => {
      const res = await send(c);
      const text = await res.text();
      const expected = readFileSync(path.join(CAPTURE, c.file), 'utf8');
      expect(res.status).toBe(c.status);
      expect(res.headers.get('content-type')).toBe(c.headers['Content-Type']);
      if (c.status !== 200) {
        expect(text).toBe(expected); // error bodies carry no times or ids: byte for byte
        return;
      }
      // Formatting as MLflow's: 2-space indent, no trailing newline.
      expect(text).toBe(JSON.stringify(JSON.parse(text), null, 2));
      // Keys in the same order, same types, same values once times and run ids are normalised.
      expect(JSON.stringify(normalise(JSON.parse(text)), null, 2)).toBe(
        JSON.stringify(normalise(JSON.parse(expected)), null, 2),
      );
    });
  }

  it('the Python client filter (prompt exclusion) on registered-models/search', async () => {
    const q = new URLSearchParams({
      filter: "name LIKE 'model-04%' AND tag.`mlflow.prompt.is_prompt` != 'true'",
      max_results: '2',
    });
    const res = await fetch(`${daemon.url}/api/2.0/mlflow/registered-models/search?${q}`);
    const expected = readFileSync(
      path.join(CAPTURE, 'registered-models-search__python-client-prompt-filter.json'),
      'utf8',
    );
    expect(res.status).toBe(200);
    expect(JSON.stringify(normalise(await res.json()))).toBe(JSON.stringify(normalise(JSON.parse(expected))));
  });

  it('write requests of the capture are refused: PERMISSION_DENIED 403, JSON, naming the read-only mode', async () => {
    for (const c of cases.filter(isWrite)) {
      const res = await send(c);
      expect(res.status, c.file).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = await res.json();
      expect(body.error_code).toBe('PERMISSION_DENIED');
      expect(body.message).toMatch(/read-only/);
    }
  });

  it('HTTP-layer cases: /ajax-api, malformed body, missing Content-Type (bodies as MLflow); unknown path and wrong method as JSON', async () => {
    const ajax = await fetch(`${daemon.url}/ajax-api/2.0/mlflow/registered-models/get?name=model-042`);
    expect(ajax.status).toBe(200);
    const head = readFileSync(path.join(CAPTURE, 'ajax-api-registered-models-get.head.http'), 'utf8');
    const bodyStart = head.slice(head.indexOf('\n{') + 1);
    expect((await ajax.text()).startsWith(bodyStart.split('\n').slice(0, 3).join('\n'))).toBe(true);
    // MLflow 2.22 no longer serves /api/2.0/preview; we keep it for 1.x clients.
    expect((await fetch(`${daemon.url}/api/2.0/preview/mlflow/registered-models/get?name=model-042`)).status).toBe(200);
    const lastBody = (f: string): string => {
      const t = readFileSync(path.join(CAPTURE, f), 'utf8');
      return t
        .split(/\r?\n\r?\n/)
        .slice(1)
        .join('\n\n')
        .trimEnd();
    };
    const lv = `${daemon.url}/api/2.0/mlflow/registered-models/get-latest-versions`;
    const malformed = await fetch(lv, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name": "model-042",',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toBe(lastBody('ERR-malformed-json-body.http'));
    const noType = await fetch(lv, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: '{"name": "model-042"}',
    });
    expect(noType.status).toBe(400);
    expect(await noType.text()).toBe(lastBody('ERR-post-without-content-type.http'));
    const unknown = await fetch(`${daemon.url}/api/2.0/mlflow/no-such-endpoint`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error_code).toBe('ENDPOINT_NOT_FOUND');
    const wrong = await fetch(`${daemon.url}/api/2.0/mlflow/registered-models/create`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    const wrong2 = await fetch(`${daemon.url}/api/2.0/mlflow/model-versions/get-download-uri`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(wrong2.status).toBe(405);
    const unknownParam = await fetch(
      `${daemon.url}/api/2.0/mlflow/model-versions/get?name=model-042&version=10&bogus=1`,
    );
    expect(unknownParam.status).toBe(200);
  });
});
