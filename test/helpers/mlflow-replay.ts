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

export const FIXTURES = path.join(ROOT, 'test/fixtures/mlflow-sync');

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
