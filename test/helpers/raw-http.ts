// HTTP/1.1 over a raw socket on loopback: the request goes out byte for byte (no client normalises the
// path, encodes the query or fixes the headers), and the response is parsed strictly, so a test can
// assert it is well formed.
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
  /** The whole response as received (latin1). */
  raw: string;
}

/**
 * Sends `request` (with `Connection: close` expected in it) and reads until the server closes. The client
 * does not half-close its side: node's HTTP server drops a request whose client sent FIN before the answer.
 */
export function rawRequest(port: number, request: Buffer | string, timeoutMs = 15_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.write(request));
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no end of response after ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    // A reset after the server answered (it closes on a request it rejects) is not a failure.
    s.on('error', () => undefined);
  });
}

/**
 * Parses one HTTP/1.1 response (after any interim 1xx, such as 100 Continue); throws when it is malformed
 * (status line, headers, Content-Length vs body). A response to HEAD has no body whatever it declares.
 */
export function parseResponse(buf: Buffer, opts: { head?: boolean } = {}): RawResponse {
  let raw = buf.toString('latin1');
  while (/^HTTP\/1\.[01] 1\d\d [^\r\n]*\r\n\r\n/.test(raw)) {
    const skip = raw.indexOf('\r\n\r\n') + 4;
    raw = raw.slice(skip);
    buf = buf.subarray(skip);
  }
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no end of headers in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3}) [^\r\n]*$/.exec(statusLine ?? '');
  if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const h = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!h) throw new Error(`bad header line ${JSON.stringify(line)}`);
    const name = h[1]!.toLowerCase();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${h[2]}` : h[2]!);
  }
  let body = buf.subarray(Buffer.byteLength(raw.slice(0, end + 4), 'latin1'));
  if (opts.head) {
    if (body.length) throw new Error(`a response to HEAD with ${body.length} body bytes`);
  } else if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') {
    const parts: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const nl = body.indexOf('\r\n', pos);
      const size = parseInt(body.subarray(pos, nl).toString('latin1'), 16);
      if (!(nl >= 0) || Number.isNaN(size)) throw new Error('bad chunked body');
      if (size === 0) break;
      parts.push(body.subarray(nl + 2, nl + 2 + size));
      pos = nl + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers.has('content-length')) {
    const n = Number(headers.get('content-length'));
    if (!Number.isInteger(n) || n !== body.length)
      throw new Error(`Content-Length ${headers.get('content-length')} but ${body.length} body bytes`);
  }
  return { status: Number(m[1]), headers, body, raw };
}

/** A GET of a raw request target. */
export async function rawGet(port: number, target: string, extraHeaders = ''): Promise<RawResponse> {
  return parseResponse(
    await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extraHeaders}Connection: close\r\n\r\n`),
  );
}

/**
 * Sends `parts` one at a time, `gapMs` apart, on one connection (a slow client). Resolves when the server
 * closes the connection, with how many parts had been sent by then and what came back.
 */
export function trickle(port: number, parts: string[], gapMs: number): Promise<{ sent: number; response: string }> {
  return new Promise((resolve) => {
    let sent = 0;
    let response = '';
    const s = net.connect(port, '127.0.0.1');
    const timer = setInterval(() => {
      if (sent < parts.length && !s.destroyed) s.write(parts[sent++]!);
    }, gapMs);
    s.on('data', (c: Buffer) => (response += c.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearInterval(timer);
      resolve({ sent, response });
    });
    // Once everything is sent, give the server a moment to answer, then stop waiting.
    const done = setInterval(() => {
      if (sent >= parts.length) {
        clearInterval(done);
        setTimeout(() => s.destroy(), 2_000);
      }
    }, gapMs);
  });
}
