// A Reply as it goes on the wire: body bytes and node's flat header list, with the served commit, nosniff on the
// API and the security headers of every HTML page.
import { errorReply, type Reply, type StreamBody } from './reply.js';

/** A reply ready for the wire: body bytes and a flat header list (node's raw form). */
export interface WireReply {
  readonly status: number;
  readonly body: Buffer;
  /** [name, value, name, value, …] */
  readonly headers: readonly string[];
  readonly stream?: StreamBody;
}

/** Security headers of every HTML page (UI routes). The API answers JSON only and gets nosniff. */
const UI_SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  [
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  ],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'no-referrer'],
  ['X-Frame-Options', 'DENY'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
];

export function tooLong(limit: number): WireReply {
  return toWire(
    errorReply('BAD_REQUEST', `Request target exceeds ${limit} characters.`, 414, [['Connection', 'close']]),
    undefined,
    false,
  );
}

export function toWire(reply: Reply, commit: string | null | undefined, ui: boolean): WireReply {
  const body =
    typeof reply.body === 'string'
      ? Buffer.from(reply.body, 'utf8')
      : Buffer.from(reply.body.buffer, reply.body.byteOffset, reply.body.byteLength);
  // A streamed body has no length: node sends it chunked.
  const h: string[] = reply.stream
    ? ['Content-Type', reply.contentType]
    : ['Content-Type', reply.contentType, 'Content-Length', String(body.length)];
  if (commit) h.push('X-Mreg-Commit', commit);
  const extra = reply.headers ?? [];
  for (const [k, v] of extra) h.push(k, v);
  if (ui) {
    const has = new Set(extra.map(([k]) => k.toLowerCase()));
    for (const [k, v] of UI_SECURITY_HEADERS) {
      if (k === 'Content-Security-Policy' && has.has('content-security-policy')) {
        // The UI's own policy stands, but framing is always refused.
        const i = h.findIndex((x, j) => j % 2 === 0 && x.toLowerCase() === 'content-security-policy');
        if (i >= 0 && !/frame-ancestors/i.test(h[i + 1]!)) h[i + 1] = `${h[i + 1]}; frame-ancestors 'none'`;
      } else if (!has.has(k.toLowerCase())) h.push(k, v);
    }
  } else h.push('X-Content-Type-Options', 'nosniff');
  return { status: reply.status, body, headers: h, ...(reply.stream ? { stream: reply.stream } : {}) };
}
