// Replays exchanges recorded from a real MLflow server (scripts/record-mlflow.mjs → test/fixtures/mlflow-sync/)
// from a local node:http server on 127.0.0.1: a request gets the recorded answer to the same method, path,
// query and JSON body; identical requests get their recorded answers in order (the last one repeats). A request
// nobody recorded is answered 500 and listed in `unmatched`, so a test sees exactly what it sent that MLflow
// never saw.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { ROOT } from './cli.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/mlflow-sync');

export interface Exchange {
  request: { method: string; path: string; query: Array<[string, string]>; body: unknown };
  response: { status: number; contentType: string; body: string };
}

export interface StateFixture {
  state: string;
  about: string;
  subjects: string[];
  import: Exchange[];
  reads: Exchange[];
}

export function loadFixture<T = StateFixture>(file: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as T;
}

export function states(): StateFixture[] {
  const { states: files } = loadFixture<{ states: string[] }>('manifest.json');
  return files.map((f) => loadFixture(f));
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v ?? null);
}

export function requestKey(r: Exchange['request']): string {
  const query = [...r.query].sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1));
  return `${r.method} ${r.path} ${JSON.stringify(query)} ${stable(r.body)}`;
}

export interface ReplayServer {
  url: string;
  /** Requests that had no recorded answer. */
  unmatched: string[];
  /** Every request received, in order. */
  received: Exchange['request'][];
  /** Recorded exchanges not asked for yet (per key, first-in first-out). */
  remaining(): Exchange[];
  /** Serves another recording from now on. */
  use(exchanges: Exchange[]): void;
  close(): Promise<void>;
}

/** `cleanup: false` leaves closing to the caller (a server shared by several tests). */
export async function replayMlflow(exchanges: Exchange[], opts: { cleanup?: boolean } = {}): Promise<ReplayServer> {
  let queues = new Map<string, Exchange[]>();
  let last = new Map<string, Exchange>();
  const unmatched: string[] = [];
  const received: Exchange['request'][] = [];
  const use = (list: Exchange[]): void => {
    queues = new Map();
    last = new Map();
    for (const e of list) {
      const k = requestKey(e.request);
      queues.set(k, [...(queues.get(k) ?? []), e]);
    }
  };
  use(exchanges);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://replay');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      const request = { method: req.method ?? 'GET', path: url.pathname, query: [...url.searchParams], body };
      received.push(request);
      const k = requestKey(request);
      const queue = queues.get(k);
      const hit = queue?.length ? queue.shift()! : last.get(k);
      if (!hit) {
        unmatched.push(k);
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error_code: 'INTERNAL_ERROR', message: `replay: nothing recorded for ${k}` }));
        return;
      }
      last.set(k, hit);
      res.writeHead(hit.response.status, { 'Content-Type': hit.response.contentType || 'application/json' });
      res.end(hit.response.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  if (opts.cleanup !== false) onTestFinished(close);
  return { url, unmatched, received, remaining: () => [...queues.values()].flat(), use, close };
}

/** Any local HTTP server, for answers no MLflow gives (HTML pages, broken JSON, 401s, loops). */
export async function localServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
): Promise<{ url: string; requests: http.IncomingMessage[] }> {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

/**
 * A large registry in MLflow's wire form, generated, served with MLflow's paging (base64 `{"offset": N}` tokens):
 * for tests that need more data than a recording holds (an import interrupted halfway). `delayMs` slows every answer.
 */
export async function syntheticMlflow(
  models: number,
  versionsPerModel: number,
  opts: { delayMs?: number } = {},
): Promise<{ url: string; requests: () => number }> {
  const t0 = Date.UTC(2026, 0, 1);
  const names = Array.from({ length: models }, (_, i) => `model-${String(i).padStart(5, '0')}`);
  const version = (name: string, i: number, v: number) => ({
    name,
    version: String(v),
    creation_timestamp: t0 + i * 100 + v,
    last_updated_timestamp: t0 + i * 100 + v,
    current_stage: v === versionsPerModel ? 'Production' : 'None',
    description: '',
    source: `s3://bucket/${name}/${v}`,
    run_id: '',
    status: 'READY',
    tags: [{ key: 'n', value: String(v) }],
    run_link: '',
  });
  const model = (name: string, i: number) => ({
    name,
    creation_timestamp: t0 + i * 100,
    last_updated_timestamp: t0 + i * 100 + versionsPerModel,
    description: `model ${i}`,
    tags: [{ key: 'team', value: `team-${i % 5}` }],
    aliases: [{ alias: 'champion', version: String(versionsPerModel) }],
  });
  const page = <T>(items: T[], q: URLSearchParams, key: string) => {
    const max = Number(q.get('max_results') ?? 100);
    const token = q.get('page_token');
    const offset = token ? (JSON.parse(Buffer.from(token, 'base64').toString()) as { offset: number }).offset : 0;
    const out: Record<string, unknown> = { [key]: items.slice(offset, offset + max) };
    if (offset + max < items.length)
      out.next_page_token = Buffer.from(`{"offset": ${offset + max}}`).toString('base64'); // as Python's json.dumps
    return out;
  };
  let count = 0;
  const server = await localServer((req, res) => {
    count++;
    const url = new URL(req.url ?? '/', 'http://x');
    let body: unknown;
    if (url.pathname.endsWith('/registered-models/search'))
      body = page(
        names.map((n, i) => model(n, i)),
        url.searchParams,
        'registered_models',
      );
    else if (url.pathname.endsWith('/model-versions/search'))
      body = page(
        names.flatMap((n, i) => Array.from({ length: versionsPerModel }, (_, v) => version(n, i, v + 1))),
        url.searchParams,
        'model_versions',
      );
    const send = (): void => {
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body ?? { error_code: 'ENDPOINT_NOT_FOUND', message: 'not here' }));
    };
    if (opts.delayMs) setTimeout(send, opts.delayMs);
    else send();
  });
  return { url: server.url, requests: () => count };
}
