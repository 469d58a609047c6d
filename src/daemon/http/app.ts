// The route table and the one error handler. Handlers turn a RequestInput into a Reply; `handle` adapts a
// Web Request (tests, hono-style, no socket) and `node.ts` adapts node:http. Read endpoints' replies are
// cached per (served state, route, query string): within one commit the same question has the same
// answer, and a swap starts a new cache because the key is the Served object itself.
import { performance } from 'node:perf_hooks';
import type { GitReader } from '../../store/git/reader.js';
import type { DaemonLimits } from '../config.js';
import type { StateHolder } from '../holder.js';
import type { Logger } from '../log.js';
import type { Served, ServingStatus, UiDeps } from '../ui-deps.js';
import { DaemonEvents } from './events.js';
import { gitHook, type GitHookCounts, type GitHookDeps } from './git-hook.js';
import { healthz, readyz } from './health.js';
import { Metrics, type RouteMetrics } from './metrics.js';
import {
  MLFLOW_ENDPOINTS,
  MLFLOW_PREFIXES,
  answerMlflow,
  permissionDenied,
  type MlflowEndpoint,
} from './mlflow-api.js';
import {
  BodyParams,
  BodyTooLarge,
  JSON_TYPE,
  QueryParams,
  RegistryError,
  errorReply,
  fromRegistryError,
  isRegistryError,
  parseJsonBody,
  type Params,
  type Reply,
  type RequestInput,
} from './reply.js';
import { resolveParams, resolveReply } from './resolve.js';
import { webInput, webStream } from './web.js';
import { eventMetrics } from './webhook-metrics.js';
import { toWire, tooLong, type WireReply } from './wire.js';

export type UiHandler = (request: Request, deps: UiDeps) => Promise<Response>;

/**
 * A write endpoint's handler, handed in by a process that writes (the gateway; `mreg serve` has none and
 * answers PERMISSION_DENIED): it authenticates, reads its parameters (mlflowParams) and answers.
 */
export type WriteHandler = (input: RequestInput, method: string, served: Served | undefined) => Promise<Reply>;

/** MLflow endpoint name (`model-versions/create`) → method → handler. */
export type WriteRoutes = ReadonlyMap<string, ReadonlyMap<string, WriteHandler>>;

/** Runs before every read route (MLflow reads, resolve, events, the UI): a Reply answers instead (401 on a private gateway). */
export type Guard = (input: RequestInput) => Promise<Reply | undefined> | Reply | undefined;

export interface AppDeps {
  holder: StateHolder;
  metrics: Metrics;
  logger: Logger;
  limits: DaemonLimits;
  branch: string;
  /** Read access for the UI's history pages. */
  repo: GitReader;
  /** The registry as of a commit, ref or time (cached by commit). */
  at(at: string): Promise<Served>;
  ui: UiHandler;
  startedAt?: number;
  /** The push webhook of a daemon that follows a git host. */
  gitHook?: Omit<GitHookDeps, 'counts' | 'branch'>;
  /** A replica's remote and last fetch, for the UI. */
  replica?: () => ServingStatus['replica'];
  /** Write endpoints' handlers (the gateway). */
  writes?: WriteRoutes;
  /** Checked before each read route; health, readiness and metrics stay open. Turns the reply cache off. */
  guard?: Guard;
}

interface CachedReply {
  readonly wire: WireReply;
  readonly metrics: RouteMetrics;
}

interface Route {
  readonly label: string;
  readonly metrics: RouteMetrics;
  /** GET replies with a query string may be reused within one served state. */
  readonly cacheable: boolean;
  readonly ui?: boolean;
  run(input: RequestInput, method: string, served: Served | undefined): Promise<Reply> | Reply;
}

const MAX_CACHED_BODY = 256 * 1024;
const MAX_CACHE_ENTRIES = 20_000;
/** Bytes of cached bodies per served state; past it the cache starts over (distinct junk queries cannot grow it). */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

const notLoaded = (): Reply =>
  errorReply('TEMPORARILY_UNAVAILABLE', 'The registry is still loading; try again shortly (see /readyz).', 503);

export class App {
  private readonly routes = new Map<string, Route>();
  private readonly unknown: Route;
  private readonly uiRoute: Route;
  /** Replies of the served state, by request target (path?query as received); replaced on a swap. */
  private cacheOf: Served | undefined;
  private cache = new Map<string, CachedReply>();
  private cacheBytes = 0;
  private requestSeq = 0;
  private readonly startedAt: number;
  readonly events: DaemonEvents;
  private readonly hookCounts: GitHookCounts = { accepted: 0, ignored: 0, rejected: 0 };

  constructor(private readonly deps: AppDeps) {
    this.startedAt = deps.startedAt ?? Date.now();
    for (const ep of MLFLOW_ENDPOINTS) {
      const route = this.mlflowRoute(ep);
      for (const prefix of MLFLOW_PREFIXES) this.routes.set(prefix + ep.name, route);
    }
    const m = deps.metrics;
    this.routes.set('/api/v1/resolve', {
      label: '/api/v1/resolve',
      metrics: m.route('/api/v1/resolve'),
      cacheable: true,
      run: (input, method, served) => this.guarded(input, () => this.resolve(input, method, served)),
    });
    const simple = (path: string, fn: () => Reply): void => {
      this.routes.set(path, {
        label: path,
        metrics: m.route(path),
        cacheable: false,
        run: (_i, method) => (method === 'GET' ? fn() : methodNotAllowed(path, method, ['GET'])),
      });
    };
    simple('/healthz', healthz);
    simple('/readyz', () => readyz(deps.holder, deps.branch, this.startedAt));
    simple('/metrics', () => {
      const r = deps.metrics.reply(deps.holder, deps.branch);
      return { ...r, body: r.body + eventMetrics(deps.repo.gitdir, this.hookCounts, this.events.streamCount) };
    });
    this.events = new DaemonEvents(deps.repo, deps.holder);
    const route = (path: string, cacheable: boolean, run: Route['run']): void =>
      void this.routes.set(path, { label: path, metrics: m.route(path), cacheable, run });
    route('/api/v1/events', true, (input, method, served) =>
      this.guarded(input, () => this.events.page(input, method, served)),
    );
    route('/api/v1/events/stream', false, (input, method, served) =>
      this.guarded(input, () => this.events.stream(input, method, served)),
    );
    route('/api/v1/hooks/git', false, (input, method) =>
      gitHook(input, method, {
        remote: false,
        secret: undefined,
        fetchNow: () => undefined,
        ...deps.gitHook,
        branch: deps.branch,
        counts: this.hookCounts,
      }),
    );
    this.unknown = {
      label: 'unknown',
      metrics: m.route('unknown'),
      cacheable: false,
      run: (input) =>
        errorReply(
          'ENDPOINT_NOT_FOUND',
          `No endpoint ${input.path}: see the MLflow REST API 2.0 registry paths under /api/2.0/mlflow/, /api/v1/resolve, /healthz, /readyz, /metrics and the UI at /.`,
          404,
        ),
    };
    // The UI only reads: GET and HEAD. (Any other method used to be answered as a GET, and TRACE made the
    // Web Request constructor throw: a 500.)
    this.uiRoute = {
      label: 'ui',
      metrics: m.route('ui'),
      cacheable: false,
      ui: true,
      run: (input, method, served) =>
        method === 'GET'
          ? this.guarded(input, () => this.ui(input, served))
          : {
              status: 405,
              body: `Method ${method} is not allowed here; the web UI is read-only (GET, HEAD).\n`,
              contentType: 'text/plain; charset=utf-8',
              headers: [['Allow', 'GET, HEAD']],
            },
    };
  }

  private mlflowRoute(ep: MlflowEndpoint): Route {
    const allow = [...ep.read.keys(), ...ep.write];
    return {
      label: ep.name,
      metrics: this.deps.metrics.route(ep.name),
      cacheable: ep.read.has('GET'),
      run: async (input, method, served) => {
        const handler = ep.read.get(method);
        if (!handler) {
          const write = this.deps.writes?.get(ep.name)?.get(method);
          if (write) return write(input, method, served);
          if (ep.write.includes(method)) return permissionDenied(input.path, method);
          return methodNotAllowed(input.path, method, allow);
        }
        return this.guarded(input, async () => {
          const params = await mlflowParams(input, method);
          if (!served) return notLoaded();
          return answerMlflow(handler, served, params);
        });
      },
    };
  }

  private async guarded(input: RequestInput, run: () => Promise<Reply> | Reply): Promise<Reply> {
    const denied = this.deps.guard ? await this.deps.guard(input) : undefined;
    return denied ?? run();
  }

  private async resolve(input: RequestInput, method: string, served: Served | undefined): Promise<Reply> {
    if (method !== 'GET') return methodNotAllowed(input.path, method, ['GET']);
    const params: Params =
      input.rawQuery !== '' ? new QueryParams(input.rawQuery) : new BodyParams(parseJsonBody(await input.readBody()));
    const { uri, at } = resolveParams(params);
    if (at !== undefined) {
      const past = await this.deps.at(at);
      return { ...resolveReply(past.loaded.state, past.commit, uri), commit: past.commit, cacheable: false };
    }
    if (!served) return notLoaded();
    return resolveReply(served.loaded.state, served.commit, uri);
  }

  private async ui(input: RequestInput, served: Served | undefined): Promise<Reply> {
    if (!served) {
      return {
        status: 503,
        body: 'The registry is still loading; reload this page in a moment.\n',
        contentType: 'text/plain; charset=utf-8',
        headers: [['Retry-After', '1']],
      };
    }
    const deps: UiDeps = {
      current: () => served,
      at: (a) => this.deps.at(a),
      repo: this.deps.repo,
      branch: this.deps.branch,
      status: () => this.servingStatus(served),
    };
    const res = await this.deps.ui(await input.toWebRequest(), deps);
    const headers: Array<[string, string]> = [];
    res.headers.forEach((value, name) => {
      if (name !== 'content-type' && name !== 'content-length') headers.push([name, value]);
    });
    return {
      status: res.status,
      body: new Uint8Array(await res.arrayBuffer()),
      contentType: res.headers.get('content-type') ?? 'text/html; charset=utf-8',
      headers,
      cacheable: false,
    };
  }

  /** A tip that failed to load while `served` (older) is served, and what a replica follows. */
  private servingStatus(served: Served): ServingStatus {
    const failure = this.deps.holder.lastError;
    const replica = this.deps.replica?.();
    return {
      ...(failure && failure.commit !== served.commit
        ? { skipped: { commit: failure.commit, at: failure.at, message: failure.message } }
        : {}),
      ...(replica ? { replica } : {}),
    };
  }

  private route(path: string): Route {
    const r = this.routes.get(path);
    if (r) return r;
    if (path === '/' || path.startsWith('/ui/') || path === '/ui' || path.startsWith('/static/')) return this.uiRoute;
    return this.unknown;
  }

  /**
   * The hot path: a GET whose answer is already cached for the state being served. Synchronous: one
   * read of the served state and one map lookup by the request target (path?query) as received.
   */
  cached(target: string): WireReply | undefined {
    // A guarded App checks every request's credentials: no reply is reused without that check.
    if (this.deps.guard || this.deps.holder.current !== this.cacheOf) return undefined;
    const hit = this.cache.get(target);
    if (!hit) return undefined;
    hit.metrics.observe('GET', hit.wire.status, 0);
    return hit.wire;
  }

  private remember(served: Served, target: string, wire: WireReply, metrics: RouteMetrics): void {
    // A reply computed from an older state must never land in the newer state's cache.
    if (served !== this.deps.holder.current) return;
    if (this.cacheOf !== served) {
      this.cacheOf = served;
      this.cache = new Map();
      this.cacheBytes = 0;
    }
    if (this.cache.size >= MAX_CACHE_ENTRIES || this.cacheBytes + wire.body.length > MAX_CACHE_BYTES) {
      this.cache.clear();
      this.cacheBytes = 0;
    }
    this.cache.set(target, { wire, metrics });
    this.cacheBytes += wire.body.length;
  }

  /** Answers any request; never throws. */
  async dispatch(input: RequestInput): Promise<WireReply> {
    const t0 = performance.now();
    // The one read of the served state for this request.
    const served = this.deps.holder.current;
    const method = input.method === 'HEAD' ? 'GET' : input.method;
    const route = this.route(input.path);
    let reply: Reply;
    try {
      reply = await route.run(input, method, served);
    } catch (e) {
      reply = this.onError(e, input);
    }
    const wire = toWire(reply, reply.commit !== undefined ? reply.commit : served?.commit, route.ui === true);
    if (
      route.cacheable &&
      !this.deps.guard &&
      served &&
      input.method === 'GET' &&
      input.rawQuery !== '' &&
      reply.cacheable !== false &&
      wire.body.length <= MAX_CACHED_BODY &&
      reply.status < 500
    ) {
      this.remember(served, input.path + '?' + input.rawQuery, wire, route.metrics);
    }
    route.metrics.observe(method, wire.status, (performance.now() - t0) / 1000);
    return wire;
  }

  /** The one error handler: RegistryError → MLflow's code and status; anything else → 500, logged with an id. */
  private onError(e: unknown, input: RequestInput): Reply {
    if (isRegistryError(e)) return fromRegistryError(e);
    if (e instanceof BodyTooLarge) return errorReply('BAD_REQUEST', e.message, 413, [['Connection', 'close']]);
    const id = `r${Date.now().toString(36)}-${(++this.requestSeq).toString(36)}`;
    this.deps.logger.error('request failed', { requestId: id, method: input.method, path: input.path, err: e });
    return errorReply('INTERNAL_ERROR', `Internal error (request ${id}); see the daemon's log.`, 500);
  }

  /** A Web Request in, a Web Response out: what tests call, without a socket. */
  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const target = url.pathname + url.search;
    let wire: WireReply | undefined;
    if (target.length > this.deps.limits.maxUrlLength) wire = tooLong(this.deps.limits.maxUrlLength);
    else if (request.method === 'GET') wire = this.cached(target);
    if (!wire) wire = await this.dispatch(webInput(request, url, this.deps.limits.maxBodyBytes));
    const headers = new Headers();
    for (let i = 0; i < wire.headers.length; i += 2) headers.append(wire.headers[i]!, wire.headers[i + 1]!);
    const nullBody = request.method === 'HEAD' || wire.status === 204 || wire.status === 304;
    if (wire.stream && !nullBody)
      return new Response(webStream(wire, request.signal), { status: wire.status, headers });
    // A Buffer over a plain ArrayBuffer: the cast only narrows the type for DOM-typed builds (the UI test's).
    return new Response(nullBody ? null : (wire.body as Uint8Array<ArrayBuffer> | null), {
      status: wire.status,
      headers,
    });
  }
}

function methodNotAllowed(path: string, method: string, allow: readonly string[]): Reply {
  return errorReply('BAD_REQUEST', `Method ${method} is not allowed on ${path}; allowed: ${allow.join(', ')}.`, 405, [
    ['Allow', allow.join(', ')],
  ]);
}

/** MLflow's request fields: the query of a GET (or its JSON body when it has no query), the JSON body of a POST. */
export async function mlflowParams(input: RequestInput, method: string): Promise<Params> {
  if (method === 'GET') {
    if (input.rawQuery !== '') return new QueryParams(input.rawQuery);
    return new BodyParams(parseJsonBody(await input.readBody()));
  }
  const ct = input.header('content-type');
  if (ct === undefined || ct.trim() === '') throw RegistryError.invalid('Bad Request. Content-Type header is missing.');
  if (ct.split(';')[0]!.trim().toLowerCase() !== JSON_TYPE)
    throw RegistryError.invalid("Bad Request. Content-Type must be one of ['application/json'].");
  return new BodyParams(parseJsonBody(await input.readBody()));
}
