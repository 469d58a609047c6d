// The daemon's internal request/response shapes. Handlers are functions of a RequestInput returning a
// Reply; `app.ts` adapts Web Request/Response (tests, hono-style) and node:http (the server) to them.
import { RegistryError, isRegistryError, type ErrorCode } from '../../errors.js';
import { HTTP_STATUS } from '../../mlflow/errors.js';

export const JSON_TYPE = 'application/json';

export interface Reply {
  status: number;
  body: string | Uint8Array;
  contentType: string;
  /** Extra headers (security headers, Allow, Cache-Control …). */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** The commit the answer was read from; set by the app when absent. */
  commit?: string | null;
  /** false: never reuse this reply for the same (commit, route, query). */
  cacheable?: boolean;
  /** A body written over time (server-sent events): after the headers, `body` is sent and then this runs. */
  stream?: StreamBody;
}

/** Where a streamed body goes: the open connection. */
export interface StreamSink {
  /** Queues a chunk; false when the client is not reading (the caller decides when to give up). */
  write(chunk: string): boolean;
  /** Bytes queued and not yet taken by the client. */
  buffered(): number;
  end(): void;
  /** Runs once when the connection closes, whoever closed it. */
  onClose(fn: () => void): void;
}

export type StreamBody = (sink: StreamSink) => void;

export interface RequestInput {
  method: string;
  /** The path, percent-encoded as received. */
  path: string;
  /** The query string without '?', as received ('' when none). */
  rawQuery: string;
  header(name: string): string | undefined;
  /** The client's address (the socket's peer), when known. */
  remoteAddress?: string;
  /** The body as text; rejects with BodyTooLarge past the limit. Read at most once. */
  readBody(): Promise<string>;
  /** The same request as a Web Request (for the UI handler). */
  toWebRequest(): Promise<Request>;
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`Request body exceeds ${limit} bytes.`);
  }
}

/** A success body as MLflow writes it: 2-space indent, no trailing newline. */
export function ok(body: unknown, status = 200): Reply {
  return { status, body: JSON.stringify(body, null, 2), contentType: JSON_TYPE };
}

/** Python json.dumps spacing, one line, as MLflow's error bodies are. */
function errorBody(code: string, message: string): string {
  return `{"error_code": ${JSON.stringify(code)}, "message": ${JSON.stringify(message)}}`;
}

export function errorReply(
  code: ErrorCode,
  message: string,
  status: number = HTTP_STATUS[code] ?? 500,
  headers?: ReadonlyArray<readonly [string, string]>,
): Reply {
  return { status, body: errorBody(code, message), contentType: JSON_TYPE, ...(headers ? { headers } : {}) };
}

export function fromRegistryError(e: RegistryError): Reply {
  return errorReply(e.code, e.message);
}

export { isRegistryError, RegistryError };

// ---------------------------------------------------------------- request parameters

/** Request fields from a query string (GET) or a JSON object (POST, or a GET without a query). */
export interface Params {
  /** The field's value: the first query value, or the JSON value as sent. */
  one(name: string): unknown;
  /** A repeated field: every query value, or the JSON array; undefined when absent. */
  list(name: string): unknown;
}

export class QueryParams implements Params {
  private readonly q: URLSearchParams;
  constructor(raw: string) {
    this.q = new URLSearchParams(raw);
  }
  one(name: string): unknown {
    return this.q.get(name) ?? undefined;
  }
  list(name: string): unknown {
    const all = this.q.getAll(name);
    return all.length ? all : undefined;
  }
}

export class BodyParams implements Params {
  constructor(private readonly body: Record<string, unknown>) {}
  one(name: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.body, name) ? this.body[name] : undefined;
  }
  list(name: string): unknown {
    return this.one(name);
  }
}

/**
 * A JSON request body as MLflow reads it: malformed JSON counts as an empty body (so the error names
 * the missing field), and a body that is a JSON string holding JSON is decoded twice.
 */
export function parseJsonBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
    if (typeof v === 'string') v = JSON.parse(v);
  } catch {
    return {};
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Python's name for a JSON value's type, for MLflow's "Value was of type" hint. */
function pyType(v: unknown): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  return 'dict';
}

export function badType(name: string, v: unknown): RegistryError {
  return RegistryError.invalid(
    `Invalid value ${shownValue(v)} for parameter '${name}' supplied: Hint: Value was of type '${pyType(v)}'. See the API docs for more information about request parameters.`,
    { param: name },
  );
}

/** A request value as JSON for an error message: clipped, and safe on values nested too deep to stringify. */
function shownValue(v: unknown, max = 200): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = Array.isArray(v) ? '[…]' : '{…}'; // deeper than the stack allows (a hostile body)
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/** A string field; `required` gives MLflow's "Missing value" error for an absent or empty value. */
export function stringParam(p: Params, name: string, required: true): string;
export function stringParam(p: Params, name: string, required?: false): string | undefined;
export function stringParam(p: Params, name: string, required = false): string | undefined {
  const v = p.one(name);
  if (v === undefined || v === null || v === '') {
    if (required) throw RegistryError.missing(name);
    return undefined;
  }
  if (typeof v === 'number' && name === 'version') return String(v);
  if (typeof v !== 'string') throw badType(name, v);
  return v;
}

/** A repeated string field. */
export function stringListParam(p: Params, name: string): string[] | undefined {
  const v = p.list(name);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw badType(name, v);
  for (const item of v) if (typeof item !== 'string') throw badType(name, v);
  return v as string[];
}
