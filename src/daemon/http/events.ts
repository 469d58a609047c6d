// The event log over HTTP, read from git like everything the daemon serves (it writes nothing):
//
//   GET /api/v1/events?since=&until=&model=&type=&max_results=&page_token=
//       {"events": [...], "next_page_token"?, "cursor"}: oldest first, at most max_results (default 100,
//       at most 1000); `cursor` is where to continue from later (`since=<cursor>`: only newer events).
//   GET /api/v1/events/stream?since=&model=&type=
//       server-sent events: `id: <event id>`, `event: <type>`, `data: <event JSON>`; resumes after the
//       `Last-Event-ID` a reconnecting client sends (else after `since`, else from now). After each commit it
//       sends an `id:` line alone, so a client that reconnects resumes from there even when a filter let
//       nothing through.
// Both read up to the commit being served (a commit that does not validate is not served, so its events wait
// for the commit that repairs it).
import { RegistryError } from '../../errors.js';
import { EventLog, afterCommit, afterEvent, concernsModel, type Position } from '../../events/log.js';
import { EVENT_TYPES, isEventType, type EventType, type RegistryEvent } from '../../events/types.js';
import type { GitReader } from '../../store/git/reader.js';
import type { StateHolder } from '../holder.js';
import type { Served } from '../ui-deps.js';
import {
  QueryParams,
  errorReply,
  stringListParam,
  stringParam,
  type Reply,
  type RequestInput,
  type StreamSink,
} from './reply.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const MAX_STREAMS = 1000;
/** A client that has not read this much is dropped (it reconnects with Last-Event-ID and loses nothing). */
const MAX_STREAM_BACKLOG = 8 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

interface Filter {
  model?: string;
  types?: EventType[];
}

function filterOf(q: QueryParams): Filter {
  const model = stringParam(q, 'model');
  const types = stringListParam(q, 'type');
  for (const t of types ?? [])
    if (!isEventType(t)) throw RegistryError.invalid(`Unknown event type '${t}'; one of: ${EVENT_TYPES.join(', ')}.`);
  return { ...(model !== undefined ? { model } : {}), ...(types ? { types: types as EventType[] } : {}) };
}

function wanted(f: Filter, e: RegistryEvent): boolean {
  return (f.model === undefined || concernsModel(e, f.model)) && (!f.types || f.types.includes(e.type));
}

interface PageToken {
  /** The tip the first page read up to: later pages read the same history. */
  t: string;
  /** The `since` of the first page. */
  s: string | null;
  /** The last event returned. */
  a: string;
}

function encodeToken(t: PageToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeToken(s: string): PageToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as PageToken;
    if (typeof t.t === 'string' && typeof t.a === 'string' && (t.s === null || typeof t.s === 'string')) return t;
  } catch {
    // fall through
  }
  throw RegistryError.invalid('Invalid page_token.');
}

export class DaemonEvents {
  readonly log: EventLog;
  private readonly streams = new Set<(s: Served) => void>();

  constructor(
    repo: GitReader,
    private readonly holder: StateHolder,
  ) {
    this.log = new EventLog(repo);
    holder.onSwap((s) => {
      for (const fn of this.streams) fn(s);
    });
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** GET /api/v1/events */
  async page(input: RequestInput, method: string, served: Served | undefined): Promise<Reply> {
    if (method !== 'GET') return notAllowed(input.path);
    if (!served) return loading();
    const q = new QueryParams(input.rawQuery);
    const filter = filterOf(q);
    const max = pageSize(stringParam(q, 'max_results'));
    const tokenText = stringParam(q, 'page_token');
    let tip: string;
    let since: string | null;
    let pos: Position;
    let skipThrough: string | undefined;
    if (tokenText !== undefined) {
      const token = decodeToken(tokenText);
      tip = token.t;
      since = token.s;
      const first = await this.log.position(since ?? undefined, tip);
      // A range given by a ref is re-read and skipped through; anything else continues after the last event.
      if (first.kind === 'ref') {
        pos = first;
        skipThrough = token.a;
      } else pos = await this.log.position(token.a, tip);
    } else {
      const until = stringParam(q, 'until');
      tip = until !== undefined ? await this.log.revision(until, 'until') : served.commit;
      since = stringParam(q, 'since') ?? null;
      pos = await this.log.position(since ?? undefined, tip);
    }
    const events: RegistryEvent[] = [];
    let more = false;
    let skipping = skipThrough !== undefined;
    for await (const e of this.log.read(tip, pos)) {
      if (skipping) {
        if (e.id === skipThrough) skipping = false;
        continue;
      }
      if (!wanted(filter, e)) continue;
      if (events.length === max) {
        more = true;
        break;
      }
      events.push(e);
    }
    const last = events.at(-1);
    const body: Record<string, unknown> = { events };
    if (more && last) body.next_page_token = encodeToken({ t: tip, s: since, a: last.id });
    body.cursor = more && last ? last.id : `${tip}:999999999`;
    return { status: 200, body: JSON.stringify(body), contentType: 'application/json', commit: served.commit };
  }

  /** GET /api/v1/events/stream */
  async stream(input: RequestInput, method: string, served: Served | undefined): Promise<Reply> {
    if (method !== 'GET') return notAllowed(input.path);
    if (!served) return loading();
    if (this.streams.size >= MAX_STREAMS)
      return errorReply('TEMPORARILY_UNAVAILABLE', 'Too many event streams are open; try again later.', 503, [
        ['Retry-After', '5'],
      ]);
    const q = new QueryParams(input.rawQuery);
    const filter = filterOf(q);
    const lastId = input.header('last-event-id')?.trim();
    const since = lastId ? lastId : stringParam(q, 'since');
    // Checked before the stream opens, so a bad `since` is a 400 and not a broken stream.
    let pos: Position =
      since !== undefined ? await this.log.position(since, served.commit) : afterCommit(served.commit);
    const log = this.log;
    const streams = this.streams;
    const holder = this.holder;
    const start = (sink: StreamSink): void => {
      // The stream starts after the request was answered: a commit served in between must not be missed, so
      // listen first, then read what is served now (a swap after this is delivered by onSwap).
      let tip = served.commit;
      let running = false;
      let again = false;
      let closed = false;
      // One read at a time; a swap during a read asks for one more. `running` is cleared in the same synchronous
      // step as the last look at `again` — a swap landing between the two would otherwise be dropped, and the
      // client would wait for the next commit to hear of this one.
      const pump = (): void => {
        again = true;
        if (running) return;
        running = true;
        void (async () => {
          while (again && !closed) {
            again = false;
            const target = tip;
            try {
              for await (const e of log.read(target, pos)) {
                if (closed) break;
                pos = afterEvent(e);
                if (wanted(filter, e)) sink.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
                if (sink.buffered() > MAX_STREAM_BACKLOG) {
                  closed = true;
                  sink.end();
                }
              }
              if (closed) break;
              pos = afterCommit(target);
              sink.write(`id: ${target}:999999999\n\n`);
            } catch (e) {
              sink.write(`event: error\ndata: ${JSON.stringify({ message: (e as Error).message })}\n\n`);
              closed = true;
              sink.end();
            }
          }
          running = false;
        })();
      };
      const onSwap = (s: Served): void => {
        tip = s.commit;
        pump();
      };
      const heartbeat = setInterval(() => sink.write(': keep-alive\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      streams.add(onSwap);
      tip = holder.current?.commit ?? tip;
      sink.onClose(() => {
        closed = true;
        clearInterval(heartbeat);
        streams.delete(onSwap);
      });
      // Reconnect after 1 s when the connection drops (the EventSource default is about 3 s).
      sink.write('retry: 1000\n\n');
      pump();
    };
    return {
      status: 200,
      body: '',
      contentType: 'text/event-stream; charset=utf-8',
      headers: [
        ['Cache-Control', 'no-store'],
        ['X-Accel-Buffering', 'no'],
      ],
      cacheable: false,
      stream: start,
    };
  }
}

function pageSize(v: string | undefined): number {
  if (v === undefined) return DEFAULT_PAGE;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE)
    throw RegistryError.invalid(`max_results must be an integer from 1 to ${MAX_PAGE}, got '${v}'.`);
  return n;
}

function notAllowed(path: string): Reply {
  return errorReply('BAD_REQUEST', `Method not allowed on ${path}; allowed: GET.`, 405, [['Allow', 'GET']]);
}

function loading(): Reply {
  return errorReply('TEMPORARILY_UNAVAILABLE', 'The registry is still loading; try again shortly (see /readyz).', 503);
}
