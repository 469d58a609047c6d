// MLflow's search pagination (spec §4): a page token is standard base64 of Python's
// `json.dumps({"offset": N})`, and a page is `sorted[offset : offset + max_results]`. Decoding
// follows SearchUtils.parse_start_offset_from_page_token step by step (lenient base64, json.loads,
// a truthy `offset`, int()), so a bad token gets the message MLflow would give.
import { RegistryError } from '../../errors.js';
import { parsePyInt, parsePyJson, pyBytesRepr, pyRepr, pyTruthy, type PyValue } from './python-compat.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

function base64Encode(ascii: string): string {
  let out = '';
  for (let i = 0; i < ascii.length; i += 3) {
    const a = ascii.charCodeAt(i);
    const b = i + 1 < ascii.length ? ascii.charCodeAt(i + 1) : -1;
    const c = i + 2 < ascii.length ? ascii.charCodeAt(i + 2) : -1;
    out += ALPHABET[a >> 2];
    out += ALPHABET[((a & 3) << 4) | (b < 0 ? 0 : b >> 4)];
    out += b < 0 ? '=' : ALPHABET[((b & 15) << 2) | (c < 0 ? 0 : c >> 6)];
    out += c < 0 ? '=' : ALPHABET[c & 63];
  }
  return out;
}

/**
 * Python's `base64.b64decode(s)` (binascii.a2b_base64, non-strict): characters outside the
 * alphabet are skipped, a complete pad sequence ends the input, and a dangling quad is an error.
 * Undefined where Python raises.
 */
function base64DecodePython(s: string): Uint8Array | undefined {
  // b64decode only takes ASCII strings (MLflow then fails with a 500; we say the token is bad).
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return undefined;
  const out: number[] = [];
  let quadPos = 0;
  let left = 0;
  let pads = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0x3d) {
      if (quadPos >= 2 && quadPos + ++pads >= 4) return Uint8Array.from(out);
      continue;
    }
    const v = DECODE[ch]!;
    if (v < 0) continue;
    pads = 0;
    switch (quadPos) {
      case 0:
        left = v;
        quadPos = 1;
        break;
      case 1:
        out.push(((left << 2) | (v >> 4)) & 0xff);
        left = v & 0x0f;
        quadPos = 2;
        break;
      case 2:
        out.push(((left << 4) | (v >> 2)) & 0xff);
        left = v & 0x03;
        quadPos = 3;
        break;
      default:
        out.push(((left << 6) | v) & 0xff);
        quadPos = 0;
    }
  }
  return quadPos === 0 ? Uint8Array.from(out) : undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The page token for a result offset: base64 of `{"offset": N}` exactly as MLflow writes it.
 * @example encodePageToken(100) // 'eyJvZmZzZXQiOiAxMDB9'
 */
export function encodePageToken(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0)
    throw RegistryError.invalid(`Invalid page offset ${offset}: must be a non-negative integer.`);
  return base64Encode(`{"offset": ${offset}}`);
}

/**
 * The offset a page token stands for; 0 when the token is absent or `''`.
 * @throws RegistryError INVALID_PARAMETER_VALUE `Invalid page token, …` as MLflow words it.
 */
export function decodePageToken(token: string | undefined | null): number {
  if (token === undefined || token === null || token === '') return 0;
  if (typeof token !== 'string') throw RegistryError.invalid('Invalid page token, could not base64-decode');
  const bytes = base64DecodePython(token);
  if (!bytes) throw RegistryError.invalid('Invalid page token, could not base64-decode');
  let parsed: PyValue;
  try {
    parsed = parsePyJson(UTF8.decode(bytes));
  } catch {
    throw RegistryError.invalid(`Invalid page token, decoded value=${pyBytesRepr(bytes)}`);
  }
  const offset = parsed.t === 'dict' ? parsed.v.get('offset') : undefined;
  if (!offset || !pyTruthy(offset)) throw RegistryError.invalid(`Invalid page token, parsed value=${pyRepr(parsed)}`);
  const n = pyInt(offset);
  if (n === undefined) {
    throw RegistryError.invalid(`Invalid page token, not stringable ${offset.t === 'str' ? offset.v : pyRepr(offset)}`);
  }
  // MLflow passes a negative offset on to SQL; it cannot come from a token MLflow issued.
  if (n < 0n) throw RegistryError.invalid(`Invalid page token, parsed value=${pyRepr(parsed)}`);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/** Python's `int(v)` for a JSON value; undefined where Python raises. */
function pyInt(v: PyValue): bigint | undefined {
  switch (v.t) {
    case 'int':
      return v.v;
    case 'bool':
      return v.v ? 1n : 0n;
    case 'float':
      return Number.isFinite(v.v) ? BigInt(Math.trunc(v.v)) : undefined;
    case 'str':
      return parsePyInt(v.v);
    default:
      return undefined;
  }
}

/**
 * One page of an already filtered and sorted result, and the token of the next page when more
 * results follow (absent on the last page).
 * @throws RegistryError INVALID_PARAMETER_VALUE for a bad token or a max_results below 1.
 * @example paginate(sorted, 100, request.page_token)
 */
export function paginate<T>(
  sorted: readonly T[],
  maxResults: number,
  pageToken?: string | null,
): { page: T[]; nextPageToken?: string } {
  if (!Number.isSafeInteger(maxResults) || maxResults < 1) {
    throw RegistryError.invalid(`Invalid value for max_results. It must be a positive integer, but got ${maxResults}`);
  }
  const offset = decodePageToken(pageToken);
  const end = offset + maxResults;
  const page = sorted.slice(offset, end);
  return end < sorted.length ? { page, nextPageToken: encodePageToken(end) } : { page };
}
