// The one adapter between node:http and the app. The hot path — a GET whose answer is cached for the
// served commit — writes the precomputed bytes without building a Web Request or parsing the query.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { DaemonLimits } from '../config.js';
import type { Logger } from '../log.js';
import type { App } from './app.js';
import { tooLong, type WireReply } from './wire.js';
import { BodyTooLarge, type RequestInput } from './reply.js';

export function createHttpServer(app: App, limits: DaemonLimits, logger: Logger): http.Server {
  const server = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // node checks the two timeouts above only this often (default 30 s): a client trickling its headers
      // (slowloris) would hold its connection for up to 30 s more than the limit says.
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)),
      ),
    },
    (req, res) => {
      let target = req.url ?? '/';
      if (target.length > limits.maxUrlLength) return send(res, tooLong(limits.maxUrlLength));
      if (req.method === 'GET') {
        const hit = app.cached(target);
        if (hit) return send(res, hit);
      }
      if (target.charCodeAt(0) !== 47 /* '/' */) target = originForm(target);
      app.dispatch(nodeInput(req, target, limits.maxBodyBytes)).then(
        (wire) => send(res, wire),
        (e: unknown) => {
          logger.error('adapter failed', { err: e });
          if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end('{"error_code": "INTERNAL_ERROR", "message": "Internal error."}');
        },
      );
    },
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  return server;
}

function send(res: ServerResponse, wire: WireReply): void {
  res.writeHead(wire.status, wire.headers as string[]);
  if (!wire.stream || res.req.method === 'HEAD') {
    res.end(wire.body);
    return;
  }
  // A streamed body (server-sent events): the connection stays open until either side ends it.
  if (wire.body.length) res.write(wire.body);
  res.flushHeaders();
  wire.stream({
    write: (chunk) => !res.writableEnded && res.write(chunk),
    buffered: () => res.writableLength,
    end: () => res.end(),
    onClose: (fn) => void res.once('close', fn),
  });
}

/** An absolute-form target (`http://host/path?q`, as proxies send) reduced to path?query. */
function originForm(target: string): string {
  try {
    const u = new URL(target);
    return u.pathname + u.search;
  } catch {
    return '/';
  }
}

function nodeInput(req: IncomingMessage, target: string, maxBody: number): RequestInput {
  const q = target.indexOf('?');
  let bodyRead: Promise<string> | undefined;
  const readBody = (): Promise<string> =>
    (bodyRead ??= new Promise<string>((resolve, reject) => {
      const declared = Number(req.headers['content-length'] ?? '0');
      if (declared > maxBody) {
        req.resume();
        return reject(new BodyTooLarge(maxBody));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBody) {
          if (size - c.length <= maxBody) reject(new BodyTooLarge(maxBody));
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    }));
  return {
    method: req.method ?? 'GET',
    path: q < 0 ? target : target.slice(0, q),
    rawQuery: q < 0 ? '' : target.slice(q + 1),
    ...(req.socket.remoteAddress !== undefined ? { remoteAddress: req.socket.remoteAddress } : {}),
    header: (name) => {
      const v = req.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    readBody,
    toWebRequest: async () => {
      const headers = new Headers();
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        try {
          headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
        } catch {
          // a header the fetch spec forbids or cannot carry: the UI does not need it
        }
      }
      const method = req.method ?? 'GET';
      const hasBody = method !== 'GET' && method !== 'HEAD';
      const body = hasBody ? await readBody() : null;
      let base = 'http://localhost';
      try {
        if (req.headers.host) base = new URL(`http://${req.headers.host}`).origin;
      } catch {
        // an unusable Host header: links are built against localhost
      }
      return new Request(base + target, { method, headers, ...(body !== null ? { body } : {}) });
    },
  };
}
