// One webhook's delivery: its cursor, its connection, its retries and its parking (see notifier.ts for the
// guarantees). A worker reads the tip, the event log and the options from its notifier (WorkerHost).
import type http from 'node:http';
import { rangeCommits } from '../events/graph.js';
import { afterCommit, afterEvent, type EventLog, type Position } from '../events/log.js';
import { parseEventId, type RegistryEvent } from '../events/types.js';
import { AddressRefused } from './address.js';
import { childEvents, readAhead } from './event-source.js';
import type { NotifierOptions } from './notifier.js';
import { webhookBody, webhookHeaders } from './payload.js';
import { agentFor, postJson, RequestTimeout } from './post.js';
import { readStatus, writeStatus, type WebhookStatus } from './state.js';
import { destinationOf, wants, type Webhook } from './webhooks.js';

/** What a worker reads from the notifier that runs it. */
export interface WorkerHost {
  readonly opts: NotifierOptions;
  readonly log: EventLog;
  readonly tip: string | null;
  addedIn(name: string, tip: string): Promise<string | null>;
}

/** The cursor after every event of `commit`, as stored: an event id past any real position. */
function afterCommitId(commit: string): string {
  return `${commit}:999999999`;
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);
/** Events derived ahead of the delivery in flight (the derivation runs while the receiver answers). */
const READ_AHEAD = 256;
/** A range longer than this is derived in a second process (see NotifierOptions.cli). */
const BACKLOG_COMMITS = 200;
/** After an unexpected error (a read that failed), a worker tries again this much later. */
const ERROR_PAUSE_MS = 2_000;

class Stopped extends Error {}

/** A wake-up call: `wait(ms)` resolves after `ms`, or at once when `wake()` is called. */
class Alarm {
  private pending: (() => void) | undefined;
  private early = false;
  wait(ms?: number): Promise<void> {
    if (this.early) {
      this.early = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const t = ms === undefined ? undefined : setTimeout(done, Math.max(0, ms));
      const self = this;
      function done(): void {
        if (t) clearTimeout(t);
        if (self.pending === done) self.pending = undefined;
        resolve();
      }
      this.pending = done;
    });
  }
  wake(): void {
    if (this.pending) this.pending();
    else this.early = true;
  }
}

export class Worker {
  private readonly alarm = new Alarm();
  private stopped = false;
  private agent: http.Agent | undefined;
  private pos: Position | undefined;
  state!: WebhookStatus;
  running: Promise<void> | undefined;

  constructor(
    private readonly n: WorkerHost,
    public hook: Webhook,
  ) {}

  private get o(): NotifierOptions {
    return this.n.opts;
  }

  private now(): number {
    return (this.o.clock ?? Date.now)();
  }

  async init(tip: string): Promise<void> {
    const addedIn = await this.n.addedIn(this.hook.name, tip);
    const saved = await readStatus(this.o.repo.gitdir, this.hook.name);
    const stamp = new Date(this.now()).toISOString();
    if (saved && saved.added_in === addedIn) {
      // A restart: resume from the cursor, and try a parked webhook again at once.
      this.state = { ...saved, url: this.hook.url, updated_at: stamp };
      if (this.state.state !== 'ok') {
        this.state.state = 'retrying';
        this.state.failures = 0;
        this.state.next_attempt = stamp;
      }
    } else {
      this.state = {
        name: this.hook.name,
        url: this.hook.url,
        added_in: addedIn,
        cursor: null,
        state: 'ok',
        delivered: 0,
        failures: 0,
        updated_at: stamp,
      };
    }
    const c = this.state.cursor ? parseEventId(this.state.cursor) : undefined;
    this.pos = c ? { kind: 'cursor', cursor: c } : addedIn ? afterCommit(addedIn) : { kind: 'start' };
    await this.save();
  }

  /** A new configuration of the same webhook (by name). */
  reconfigure(hook: Webhook): void {
    const moved = destinationOf(hook) !== destinationOf(this.hook);
    this.hook = hook;
    if (moved) {
      this.agent?.destroy();
      this.agent = undefined;
      if (this.state.state !== 'ok') {
        this.o.log(`${hook.name}: URL or secret changed in registry.yaml; trying again now`);
        this.state.failures = 0;
        this.state.next_attempt = new Date(this.now()).toISOString();
      }
      this.state.url = hook.url;
      this.alarm.wake();
    }
  }

  wake(): void {
    this.alarm.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.alarm.wake();
    await this.running?.catch(() => undefined);
    this.agent?.destroy();
  }

  private async save(): Promise<void> {
    this.state.updated_at = new Date(this.now()).toISOString();
    writeStatus(this.o.repo.gitdir, this.state);
  }

  start(): void {
    this.running = (async () => {
      for (;;) {
        try {
          return await this.loop();
        } catch (e) {
          if (e instanceof Stopped || this.stopped) return;
          // A read that failed (a git object missing after a gc, a child that died): try again, from the cursor.
          this.o.log(`${this.hook.name}: ${(e as Error).message}; trying again in ${ERROR_PAUSE_MS / 1000} s`);
          const c = this.state.cursor ? parseEventId(this.state.cursor) : undefined;
          this.pos = c ? { kind: 'cursor', cursor: c } : this.pos;
          if (this.o.once) return;
          await this.alarm.wait(ERROR_PAUSE_MS);
        }
      }
    })();
  }

  /** The events after the worker's position up to `tip`: here (read ahead), or from a second process for a long backlog. */
  private async source(tip: string): Promise<AsyncGenerator<RegistryEvent>> {
    const pos = this.pos!;
    if (this.o.cli) {
      const exclude = pos.kind === 'start' ? [] : [pos.kind === 'ref' ? pos.commit : pos.cursor.commit];
      const range = await rangeCommits(this.n.log.src, tip, exclude);
      if (range.size > BACKLOG_COMMITS) {
        if (this.o.verbose)
          this.o.log(`${this.hook.name}: ${range.size} commits to catch up; deriving them in a second process`);
        return childEvents(this.o.cli, this.o.repo.dir, tip, pos);
      }
    }
    return readAhead(this.n.log.read(tip, pos), READ_AHEAD);
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const tip = this.n.tip;
      if (!tip) {
        if (this.o.once) return;
        await this.alarm.wait();
        continue;
      }
      if (this.state.state === 'parked') {
        const due = Date.parse(this.state.next_attempt ?? '') - this.now();
        if (due > 0) {
          if (this.o.once) return;
          await this.alarm.wait(due);
          continue;
        }
      }
      let rewinding = false;
      for await (const e of await this.source(tip)) {
        if (this.stopped) return;
        const rewind = e.id.includes('..');
        if (rewind && !rewinding) {
          const from = e.id.slice(0, e.id.indexOf('..'));
          this.state.last_rewind = { from, to: e.commit, at: new Date(this.now()).toISOString() };
          this.o.log(
            `${this.hook.name}: commit ${from.slice(0, 10)} is no longer on the branch (force-push); delivering what undoes it back to ${e.commit.slice(0, 10)}`,
          );
        }
        rewinding = rewind;
        if (wants(this.hook, e)) {
          const ok = await this.deliver(e);
          if (!ok) break; // parked: the loop comes back to this event
        }
        this.pos = afterEvent(e);
        if (wants(this.hook, e)) {
          this.state.cursor = e.id;
          await this.save();
        }
      }
      if (this.state.state === 'parked') {
        if (this.o.once) return;
        continue;
      }
      // Everything up to the tip is delivered or not wanted: the cursor moves past it.
      const here = afterCommitId(tip);
      this.pos = afterCommit(tip);
      if (this.state.cursor !== here) {
        this.state.cursor = here;
        await this.save();
      }
      if (this.o.once) return;
      if (this.n.tip === tip) await this.alarm.wait();
    }
  }

  /** Delivers one event, retrying; false when the webhook got parked on it. @throws Stopped */
  private async deliver(e: RegistryEvent): Promise<boolean> {
    for (;;) {
      if (this.stopped) throw new Stopped();
      const outcome = await this.attempt(e);
      if (outcome.ok) {
        const wasDown = this.state.state !== 'ok';
        this.state.state = 'ok';
        this.state.failures = 0;
        this.state.delivered++;
        delete this.state.next_attempt;
        delete this.state.parked_at;
        this.state.last_delivery = {
          id: e.id,
          type: e.type,
          status: outcome.status!,
          at: new Date(this.now()).toISOString(),
          ms: Math.round(outcome.ms ?? 0),
        };
        if (wasDown) this.o.log(`${this.hook.name}: delivering again (${e.id} answered ${outcome.status})`);
        if (this.o.verbose) this.o.log(`${this.hook.name}: ${e.id} ${e.type} → ${outcome.status}`);
        return true;
      }
      this.state.failures++;
      this.state.last_error = {
        id: e.id,
        message: outcome.message!,
        ...(outcome.status !== undefined ? { status: outcome.status } : {}),
        at: new Date(this.now()).toISOString(),
      };
      const park = !outcome.retryable || this.state.failures >= this.o.retries;
      if (park) {
        const first = this.state.state !== 'parked';
        this.state.state = 'parked';
        if (first) this.state.parked_at = new Date(this.now()).toISOString();
        this.state.next_attempt = new Date(this.now() + this.o.parkMs).toISOString();
        await this.save();
        if (first)
          this.o.log(
            `${this.hook.name}: parked after ${this.state.failures} failed attempt${this.state.failures === 1 ? '' : 's'} (${outcome.message}); next try ${this.state.next_attempt}`,
          );
        return false;
      }
      const exp = Math.min(this.o.maxBackoffMs, this.o.backoffMs * 2 ** (this.state.failures - 1));
      const jitter = (this.o.random ?? Math.random)() * this.o.backoffMs;
      const delay = Math.max(exp + jitter, outcome.retryAfterMs ?? 0);
      this.state.state = 'retrying';
      this.state.next_attempt = new Date(this.now() + delay).toISOString();
      await this.save();
      this.o.log(
        `${this.hook.name}: ${e.id} failed (${outcome.message}); retry ${this.state.failures} in ${Math.round(delay)} ms`,
      );
      await this.alarm.wait(delay);
    }
  }

  private async attempt(e: RegistryEvent): Promise<{
    ok: boolean;
    status?: number;
    ms?: number;
    retryable?: boolean;
    retryAfterMs?: number;
    message?: string;
  }> {
    const w = this.hook;
    let secret: string | undefined;
    if (w.secret_env !== undefined) {
      secret = this.o.secret(w.secret_env);
      if (secret === undefined || secret === '')
        return { ok: false, retryable: false, message: `environment variable ${w.secret_env} is not set` };
    }
    let url: URL;
    try {
      url = new URL(w.url);
    } catch {
      return { ok: false, retryable: false, message: `not a URL: ${w.url}` };
    }
    const now = this.now();
    const body = webhookBody(e, now);
    const headers = webhookHeaders(e.id, body, now, secret, this.o.userAgent);
    this.agent ??= agentFor(url, this.o.allowPrivate);
    try {
      const r = await postJson(url, body, headers, {
        timeoutMs: this.o.timeoutMs,
        allowPrivate: this.o.allowPrivate,
        agent: this.agent,
      });
      if (r.status >= 200 && r.status < 300) return { ok: true, status: r.status, ms: r.ms };
      const redirect = r.status >= 300 && r.status < 400;
      return {
        ok: false,
        status: r.status,
        retryable: RETRYABLE.has(r.status),
        ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}),
        message: `HTTP ${r.status}${redirect ? ' (redirects are not followed)' : ''}`,
      };
    } catch (err) {
      this.agent?.destroy();
      this.agent = undefined;
      if (err instanceof AddressRefused) return { ok: false, retryable: false, message: err.message };
      const m =
        err instanceof RequestTimeout
          ? err.message
          : `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${(err as Error).message}`;
      return { ok: false, retryable: true, message: m };
    }
  }
}
