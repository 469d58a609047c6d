// One webhook request: a POST that times out as a whole, never follows a redirect, and connects only to
// addresses the guard allows. Each webhook keeps one keep-alive connection (deliveries are one at a time).
import http from 'node:http';
import https from 'node:https';
import { checkLiteralHost, guardedLookup } from './address.js';

export interface PostResult {
  status: number;
  /** `Retry-After` in ms, when the receiver sent one. */
  retryAfterMs?: number;
  /** The start of the response body (for messages and `--test`). */
  body: string;
  ms: number;
}

export interface PostOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  agent?: http.Agent;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

export class RequestTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no response within ${ms / 1000} s`);
  }
}

/** `Retry-After` as seconds or an HTTP date → ms from now (undefined when absent or unreadable). */
export function parseRetryAfter(v: string | undefined, now = Date.now()): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

export function agentFor(url: URL, allowPrivate: boolean): http.Agent {
  const opts = { keepAlive: true, maxSockets: 1, lookup: guardedLookup(allowPrivate) } as http.AgentOptions;
  return url.protocol === 'https:' ? new https.Agent(opts) : new http.Agent(opts);
}

/** POSTs `body`; resolves with any HTTP status, rejects on network errors, refusals and timeouts. */
export function postJson(
  url: URL,
  body: string,
  headers: Record<string, string>,
  opts: PostOptions,
): Promise<PostResult> {
  checkLiteralHost(url, opts.allowPrivate);
  const t0 = performance.now();
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    let settled = false;
    const payload = Buffer.from(body, 'utf8');
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(payload.length) },
        agent: opts.agent ?? agentFor(url, opts.allowPrivate),
        lookup: guardedLookup(opts.allowPrivate),
      } as http.RequestOptions,
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_RESPONSE_BYTES) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const retryAfterMs = parseRetryAfter(res.headers['retry-after'] as string | undefined);
          resolve({
            status: res.statusCode ?? 0,
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
            body: Buffer.concat(chunks).toString('utf8').slice(0, 2000),
            ms: performance.now() - t0,
          });
        });
        res.on('error', fail);
      },
    );
    function fail(e: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(e);
    }
    // The whole exchange, not just the idle time between packets: a receiver that trickles bytes times out too.
    const timer = setTimeout(() => fail(new RequestTimeout(opts.timeoutMs)), opts.timeoutMs);
    req.on('error', fail);
    req.end(payload);
  });
}
