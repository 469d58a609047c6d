// An HTTP client for an MLflow tracking server's REST API 2.0, as `mreg import` and `mreg export` use it:
// MLflow's own auth variables, a timeout, bounded retries of reads, paged searches that stop on a page-token
// loop, and errors that name the server and say what went wrong — never a credential.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { RegistryError, ERROR_CODES, type ErrorCode } from '../errors.js';
import { parseErrorBody, parseSearchPage, WireShapeError } from '../mlflow/from-wire.js';

/** How to reach and authenticate to a server; built from MLflow's environment variables by the CLI. */
export interface MlflowConnection {
  /** The tracking server's base URL, e.g. `http://127.0.0.1:5000` (a path prefix is kept). */
  url: string;
  /** MLFLOW_TRACKING_TOKEN: sent as a Bearer token. */
  token?: string | undefined;
  /** MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD: Basic auth (wins over a token, as MLflow's client does). */
  username?: string | undefined;
  password?: string | undefined;
  /** MLFLOW_TRACKING_INSECURE_TLS=true: do not verify the server's certificate. */
  insecureTls?: boolean | undefined;
  /** MLFLOW_TRACKING_SERVER_CERT_PATH: a CA bundle to verify the server's certificate with. */
  caCertPath?: string | undefined;
  /** MLFLOW_HTTP_REQUEST_TIMEOUT (seconds, MLflow's default 120), here in milliseconds. */
  timeoutMs?: number | undefined;
  /** MLFLOW_HTTP_REQUEST_MAX_RETRIES: retries of a read after a reset connection, 429 or 502–504. */
  maxRetries?: number | undefined;
}

const API = 'api/2.0/mlflow/';
const MAX_BODY_BYTES = 512 * 1024 * 1024;
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

/** An error answer of the server in MLflow's form (`{"error_code", "message"}`). */
export class MlflowApiError extends RegistryError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly status: number,
    readonly mlflowCode: string,
    readonly mlflowMessage: string,
  ) {
    super(code, message, { status, mlflow_error_code: mlflowCode });
  }
}

export function isMlflowApiError(e: unknown, mlflowCode?: string): e is MlflowApiError {
  return e instanceof MlflowApiError && (mlflowCode === undefined || e.mlflowCode === mlflowCode);
}

/** The URL as it may be shown: no user or password, no query. */
function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

export interface RequestOptions {
  query?: Record<string, string | string[] | undefined>;
  body?: unknown;
}

export class MlflowHttpClient {
  /** The server as messages name it (credentials removed). */
  readonly server: string;
  private readonly base: URL;
  private readonly authorization: string | undefined;
  private readonly authHint: string;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  /** Requests sent, and wall-clock milliseconds with at least one request in flight (the benchmark's split). */
  readonly stats = { requests: 0, waitMs: 0 };
  private inFlight = 0;
  private busySince = 0;

  constructor(conn: MlflowConnection) {
    let url: URL;
    try {
      url = new URL(conn.url);
    } catch {
      throw RegistryError.invalid(
        `'${conn.url.replace(/\/\/[^@/]*@/, '//')}' is not a URL (expected http(s)://host:port).`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw RegistryError.invalid(`${displayUrl(url)}: only http and https MLflow servers are supported.`);
    const user = conn.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
    const password = conn.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.base = url;
    this.server = `MLflow server ${displayUrl(url)}`;
    if (user !== undefined && user !== '' && password !== undefined) {
      this.authorization = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
      this.authHint = 'with the user name and password of MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD';
    } else if (conn.token) {
      this.authorization = `Bearer ${conn.token}`;
      this.authHint = 'with the token of MLFLOW_TRACKING_TOKEN';
    } else {
      this.authHint =
        'without credentials (set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD)';
    }
    this.timeoutMs = conn.timeoutMs ?? 120_000;
    this.maxRetries = conn.maxRetries ?? 3;
    const tls: https.AgentOptions = { keepAlive: true, maxSockets: 8 };
    if (conn.insecureTls) tls.rejectUnauthorized = false;
    if (conn.caCertPath) {
      try {
        tls.ca = readFileSync(conn.caCertPath);
      } catch (e) {
        throw RegistryError.invalid(
          `Cannot read the CA bundle of MLFLOW_TRACKING_SERVER_CERT_PATH: ${(e as Error).message}`,
        );
      }
    }
    this.agent = url.protocol === 'https:' ? new https.Agent(tls) : new http.Agent({ keepAlive: true, maxSockets: 8 });
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * One REST call, e.g. `('GET', 'registered-models/get', { query: { name } })`. Returns the JSON body of a
   * 2xx answer; throws MlflowApiError for MLflow's error answers and RegistryError for everything else.
   */
  async call(method: string, endpoint: string, opts: RequestOptions = {}): Promise<unknown> {
    const url = new URL(API + endpoint, this.base);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, one);
    }
    const what = `${method} ${endpoint}`;
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const retries = method === 'GET' ? this.maxRetries : 0;
    let res: RawResponse;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.send(method, url, body);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (attempt < retries && (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT')) {
          await backoff(attempt);
          continue;
        }
        throw this.transportError(e, what);
      }
      if (attempt < retries && RETRY_STATUSES.has(res.status)) {
        await backoff(attempt);
        continue;
      }
      break;
    }
    return this.interpret(res, what);
  }

  /**
   * Every item of a paged search, following next_page_token; a token seen twice is a loop, not an endless list.
   * A page the server fails to produce in time (a gunicorn worker killed at its timeout resets the connection)
   * is asked for again at half the size: the cost of a page grows with its size, the token stays valid.
   *
   * With `parallel` > 1, and a server whose tokens are MLflow's (base64 of `{"offset": N}`, N the items so far),
   * the following pages are asked for `parallel` at a time: MLflow answers a listing page by page, each a
   * query of its own, so two workers halve the wait. Anything unexpected falls back to following tokens.
   */
  async searchAll(
    endpoint: string,
    key: string,
    query: Record<string, string | undefined>,
    opts: { pageSize: number; parallel?: number; onPage?: (count: number) => void },
  ): Promise<unknown[]> {
    const items: unknown[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    let size = opts.pageSize;
    for (;;) {
      let page: SearchPage;
      try {
        page = await this.page(endpoint, key, query, size, token);
      } catch (e) {
        if (isSlow(e) && size > 10) {
          size = Math.max(10, Math.floor(size / 2));
          continue;
        }
        throw e;
      }
      items.push(...page.items);
      opts.onPage?.(items.length);
      if (!page.nextPageToken) return items;
      if (seen.has(page.nextPageToken)) {
        throw new RegistryError(
          'INVALID_STATE',
          `${this.server} sent the page token '${clip(page.nextPageToken)}' twice while listing ${endpoint} (a page-token loop): stopped after ${items.length} items.`,
          { server: this.server, endpoint },
        );
      }
      seen.add(page.nextPageToken);
      token = page.nextPageToken;
      if ((opts.parallel ?? 1) > 1 && offsetOf(token) === items.length && page.items.length === size) {
        const rest = await this.parallelPages(endpoint, key, query, size, items.length, opts.parallel!, (n) =>
          opts.onPage?.(items.length + n),
        );
        items.push(...rest.items);
        if (rest.nextPageToken === undefined) return items;
        token = rest.nextPageToken;
        seen.add(token);
      }
    }
  }

  /** Pages at offset, offset + size, … `parallel` at a time, while each is full and points at the next. */
  private async parallelPages(
    endpoint: string,
    key: string,
    query: Record<string, string | undefined>,
    size: number,
    offset: number,
    parallel: number,
    onPage: (count: number) => void,
  ): Promise<{ items: unknown[]; nextPageToken: string | undefined }> {
    const items: unknown[] = [];
    for (;;) {
      const offsets = Array.from({ length: parallel }, (_, i) => offset + i * size);
      const pages = await Promise.all(
        offsets.map((o) => this.page(endpoint, key, query, size, tokenOf(o)).catch((e: unknown) => e)),
      );
      for (const [i, p] of pages.entries()) {
        const o = offsets[i]!;
        // A failed page, or one that is not what offset paging promises: go on one token at a time from it.
        if (p instanceof Error || !p || typeof p !== 'object') {
          if (isSlow(p)) return { items, nextPageToken: tokenOf(o) };
          throw p;
        }
        const page = p as SearchPage;
        items.push(...page.items);
        onPage(items.length);
        if (!page.nextPageToken) return { items, nextPageToken: undefined };
        if (page.items.length !== size || offsetOf(page.nextPageToken) !== o + size)
          return { items, nextPageToken: page.nextPageToken };
      }
      offset += parallel * size;
    }
  }

  private async page(
    endpoint: string,
    key: string,
    query: Record<string, string | undefined>,
    size: number,
    token: string | undefined,
  ): Promise<SearchPage> {
    const body = await this.call('GET', endpoint, {
      query: { ...query, max_results: String(size), page_token: token },
    });
    try {
      return parseSearchPage(body, key);
    } catch (e) {
      if (e instanceof WireShapeError) throw this.malformed(`GET ${endpoint}`, e.message);
      throw e;
    }
  }

  malformed(what: string, detail: string): RegistryError {
    return new RegistryError('INVALID_STATE', `${this.server} sent a malformed answer to ${what}: ${detail}.`, {
      server: this.server,
    });
  }

  private send(method: string, url: URL, body: string | undefined): Promise<RawResponse> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': 'mreg-sync',
    };
    if (this.authorization) headers.Authorization = this.authorization;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const lib = url.protocol === 'https:' ? https : http;
    this.stats.requests++;
    if (this.inFlight++ === 0) this.busySince = performance.now();
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      if (--this.inFlight === 0) this.stats.waitMs += performance.now() - this.busySince;
    };
    return new Promise<RawResponse>((resolve, reject) => {
      const req = lib.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(Object.assign(new Error('answer too large'), { code: 'ETOOBIG' }));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          done();
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => {
        done();
        reject(e);
      });
      req.end(body);
    });
  }

  private transportError(e: unknown, what: string): RegistryError {
    const err = e as NodeJS.ErrnoException;
    const reason =
      err.code === 'ECONNREFUSED'
        ? 'connection refused'
        : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
          ? 'host not found'
          : err.code === 'ETIMEDOUT'
            ? `no answer within ${Math.round(this.timeoutMs / 1000)} s (MLFLOW_HTTP_REQUEST_TIMEOUT)`
            : err.code === 'ETOOBIG'
              ? `the answer exceeded ${MAX_BODY_BYTES / 1024 / 1024} MB`
              : /certificate|self.signed|CERT_|UNABLE_TO/i.test(`${err.code ?? ''} ${err.message}`)
                ? `TLS certificate not trusted (${err.code ?? err.message}; set MLFLOW_TRACKING_SERVER_CERT_PATH, or MLFLOW_TRACKING_INSECURE_TLS=true)`
                : `${err.code ?? err.message}`;
    return new RegistryError('TEMPORARILY_UNAVAILABLE', `${this.server} is unreachable (${what}): ${reason}.`, {
      server: this.server,
    });
  }

  private interpret(res: RawResponse, what: string): unknown {
    if (res.status === 401 || res.status === 403) {
      throw new RegistryError(
        'PERMISSION_DENIED',
        `${this.server} refused ${what} (HTTP ${res.status}) ${this.authHint}.`,
        { server: this.server, status: res.status },
      );
    }
    const isJson = /\bjson\b/i.test(res.contentType);
    let body: unknown;
    let parseError: string | undefined;
    try {
      body = JSON.parse(res.text);
    } catch (e) {
      parseError = (e as Error).message;
    }
    if (res.status >= 200 && res.status < 300) {
      if (parseError !== undefined) {
        if (!isJson) throw this.notMlflow(what, res);
        throw this.malformed(what, `not JSON (${parseError})`);
      }
      return body;
    }
    const mlflowError = parseError === undefined ? parseErrorBody(body) : undefined;
    if (mlflowError) {
      const code = (ERROR_CODES as readonly string[]).includes(mlflowError.error_code)
        ? (mlflowError.error_code as ErrorCode)
        : 'INTERNAL_ERROR';
      throw new MlflowApiError(
        code,
        `${this.server} answered ${what} with ${mlflowError.error_code}: ${mlflowError.message}`,
        res.status,
        mlflowError.error_code,
        mlflowError.message,
      );
    }
    if (res.status === 404 || res.status === 405 || !isJson) throw this.notMlflow(what, res);
    throw new RegistryError(
      'INTERNAL_ERROR',
      `${this.server} answered ${what} with HTTP ${res.status} and no MLflow error: ${clip(res.text, 200)}`,
      { server: this.server, status: res.status },
    );
  }

  private notMlflow(what: string, res: RawResponse): RegistryError {
    return new RegistryError(
      'ENDPOINT_NOT_FOUND',
      `${this.server} does not look like an MLflow tracking server: ${what} answered HTTP ${res.status}${res.contentType ? ` (${res.contentType.split(';')[0]})` : ''}, not MLflow's JSON.`,
      { server: this.server, status: res.status },
    );
  }
}

type SearchPage = { items: unknown[]; nextPageToken: string | undefined };

/** A read that failed because the server was too slow or overloaded, not because the request was wrong. */
function isSlow(e: unknown): boolean {
  if (!(e instanceof RegistryError)) return false;
  const status = e.details.status;
  return e.code === 'TEMPORARILY_UNAVAILABLE' || status === 502 || status === 503 || status === 504;
}

/** MLflow's page token: standard base64 of Python's `json.dumps({"offset": N})`. */
function tokenOf(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }).replace(':', ': ')).toString('base64');
}

/** The offset in an MLflow page token, or undefined for a token of another form. */
function offsetOf(token: string): number | undefined {
  const text = Buffer.from(token, 'base64').toString('utf8');
  const m = /^\{"offset": (\d+)\}$/.exec(text);
  return m && tokenOf(Number(m[1])) === token ? Number(m[1]) : undefined;
}

function backoff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
}

function clip(s: string, max = 80): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > max ? one.slice(0, max) + '…' : one;
}
