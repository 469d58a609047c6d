// The client side of git's smart-HTTP receive-pack (Documentation/gitprotocol-http.txt and
// gitprotocol-pack.txt), spoken directly over node:http(s): isomorphic-git's push walks the whole
// repository on every push (8.4 s at 100k files, gotcha 10), so the store builds the pack itself and
// only needs this thin transport.
import http from 'node:http';
import https from 'node:https';
import { RegistryError } from '../../errors.js';

export interface Advertisement {
  /** Ref name → oid, as the server advertised them. */
  refs: Map<string, string>;
  capabilities: Set<string>;
}

export interface RefCommand {
  old: string;
  new: string;
  ref: string;
}

export interface ReceivePackReport {
  unpackOk: boolean;
  unpackMessage: string;
  refs: Map<string, { ok: boolean; message?: string }>;
}

const TIMEOUT_MS = 120_000;

export function pktLine(payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'latin1'), body]);
}

export const FLUSH_PKT = Buffer.from('0000', 'latin1');

/** Splits a pkt-line stream; null stands for a flush-pkt. */
export function parsePktLines(buf: Buffer): Array<Buffer | null> {
  const out: Array<Buffer | null> = [];
  let pos = 0;
  while (pos + 4 <= buf.length) {
    const len = parseInt(buf.toString('latin1', pos, pos + 4), 16);
    if (Number.isNaN(len)) throw new RegistryError('INTERNAL_ERROR', 'Malformed pkt-line from the git server.');
    if (len === 0) {
      out.push(null);
      pos += 4;
      continue;
    }
    if (len < 4 || pos + len > buf.length)
      throw new RegistryError('INTERNAL_ERROR', 'Truncated pkt-line from the git server.');
    out.push(buf.subarray(pos + 4, pos + len));
    pos += len;
  }
  return out;
}

function trimLf(b: Buffer): string {
  const s = b.toString('utf8');
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

export function parseAdvertisement(body: Buffer): Advertisement {
  const lines = parsePktLines(body);
  const refs = new Map<string, string>();
  let capabilities = new Set<string>();
  let first = true;
  for (const line of lines) {
    if (line === null) continue;
    const text = trimLf(line);
    if (text.startsWith('# service=')) continue;
    let refPart = text;
    if (first) {
      const nul = text.indexOf('\0');
      if (nul >= 0) {
        capabilities = new Set(
          text
            .slice(nul + 1)
            .split(' ')
            .filter(Boolean),
        );
        refPart = text.slice(0, nul);
      }
      first = false;
    }
    const sp = refPart.indexOf(' ');
    if (sp !== 40) continue;
    const name = refPart.slice(41);
    if (name === 'capabilities^{}') continue; // empty repository
    refs.set(name, refPart.slice(0, 40));
  }
  return { refs, capabilities };
}

export function parseReport(body: Buffer): ReceivePackReport {
  const report: ReceivePackReport = { unpackOk: false, unpackMessage: 'no report from the server', refs: new Map() };
  for (const line of parsePktLines(body)) {
    if (line === null) continue;
    const text = trimLf(line);
    if (text.startsWith('unpack ')) {
      report.unpackMessage = text.slice(7);
      report.unpackOk = report.unpackMessage === 'ok';
    } else if (text.startsWith('ok ')) {
      report.refs.set(text.slice(3), { ok: true });
    } else if (text.startsWith('ng ')) {
      const rest = text.slice(3);
      const sp = rest.indexOf(' ');
      report.refs.set(sp < 0 ? rest : rest.slice(0, sp), { ok: false, message: sp < 0 ? '' : rest.slice(sp + 1) });
    }
  }
  return report;
}

export async function discoverReceivePack(url: string): Promise<Advertisement> {
  const res = await request('GET', `${stripSlash(url)}/info/refs?service=git-receive-pack`, {
    Accept: 'application/x-git-receive-pack-advertisement',
  });
  const type = String(res.headers['content-type'] ?? '');
  if (!type.startsWith('application/x-git-receive-pack-advertisement')) {
    throw new RegistryError(
      'INTERNAL_ERROR',
      `${redact(url)} does not speak git's smart HTTP protocol for push (content-type '${type}').`,
    );
  }
  return parseAdvertisement(res.body);
}

export async function sendReceivePack(
  url: string,
  commands: readonly RefCommand[],
  pack: Buffer,
): Promise<ReceivePackReport> {
  const parts: Buffer[] = [];
  commands.forEach((c, i) => {
    // Capabilities ride on the first command after a NUL. No side-band: the report comes back plain.
    const caps = i === 0 ? '\0report-status agent=mreg' : '';
    parts.push(pktLine(`${c.old} ${c.new} ${c.ref}${caps}\n`));
  });
  parts.push(FLUSH_PKT, pack);
  const res = await request(
    'POST',
    `${stripSlash(url)}/git-receive-pack`,
    { 'Content-Type': 'application/x-git-receive-pack-request', Accept: 'application/x-git-receive-pack-result' },
    Buffer.concat(parts),
  );
  return parseReport(res.body);
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

async function request(
  method: string,
  rawUrl: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<Response> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw RegistryError.invalid(`Invalid remote URL '${redact(rawUrl)}'.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw RegistryError.invalid(`Unsupported remote URL '${redact(rawUrl)}': only http(s) remotes can be pushed to.`);
  }
  const h: Record<string, string> = { 'User-Agent': 'git/mreg', ...headers };
  if (url.username || url.password) {
    h.Authorization =
      'Basic ' +
      Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
    url.username = '';
    url.password = '';
  }
  if (body) h['Content-Length'] = String(body.length);
  const lib = url.protocol === 'https:' ? https : http;
  const res = await new Promise<Response>((resolve, reject) => {
    const req = lib.request(url, { method, headers: h }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks) }));
      r.on('error', reject);
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  }).catch((e: unknown) => {
    throw new RegistryError(
      'INTERNAL_ERROR',
      `Could not reach ${redact(rawUrl)}: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  });
  if (res.status < 200 || res.status >= 300) {
    throw new RegistryError('INTERNAL_ERROR', `${method} ${redact(rawUrl)} failed with HTTP ${res.status}.`, {
      status: res.status,
    });
  }
  return res;
}

function stripSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

/** The URL without credentials, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//');
}
