// `mreg notify`: delivers the event log to the webhooks of registry.yaml, at least once and in order per webhook.
//
// - One worker per webhook, each with its own cursor (state.ts), its own connection and its own retries: a
//   receiver that is down holds back only its own deliveries.
// - A delivery counts when the receiver answers 2xx; only then does the cursor move, written atomically. A
//   crash between the answer and the write resends that one event after a restart (its delivery id, the event
//   id, lets the receiver drop it); nothing is ever skipped.
// - Network errors, timeouts, 408, 429 and 5xx are retried with exponential backoff and jitter (honouring
//   Retry-After); after `retries` failures in a row, or at once on an answer that retrying cannot fix (another
//   4xx, a redirect, a refused address, a missing secret), the webhook is *parked*: it is retried every
//   `parkMs` and at once when its URL or secret changes in registry.yaml or notify restarts.
// - A webhook added to registry.yaml receives the events of the commits after the one that added it.
import { spawn } from 'node:child_process';
import type http from 'node:http';
import { createInterface } from 'node:readline';
import { REGISTRY_FILE } from '../domain/layout.js';
import { rangeCommits } from '../events/graph.js';
import { EventLog, afterCommit, afterEvent, type Position } from '../events/log.js';
import { loadRegistryFile } from '../events/source.js';
import { formatEventId, parseEventId, type RegistryEvent } from '../events/types.js';
import { waitForMove } from '../events/watch.js';
import type { GitReader } from '../store/git/reader.js';
import { AddressRefused } from './address.js';
import { webhookBody, webhookHeaders } from './payload.js';
import { agentFor, postJson, RequestTimeout } from './post.js';
import { readStatus, writeStatus, type WebhookStatus } from './state.js';
import { destinationOf, wants, webhooksOf, type Webhook } from './webhooks.js';

export interface NotifierOptions {
  repo: GitReader;
  branch: string;
  /** Follow a git host: fetch `url` every `intervalMs` into the remote-tracking ref and deliver from it. */
  remote?: { url: string; intervalMs: number };
  allowPrivate: boolean;
  timeoutMs: number;
  /** Failed attempts in a row before a webhook is parked. */
  retries: number;
  /** The first retry's delay; each next one doubles, up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** How often a parked webhook is tried again. */
  parkMs: number;
  /** The value of an environment variable (webhook secrets); the notifier never logs it. */
  secret(envName: string): string | undefined;
  /** Diagnostics, one line each. */
  log(line: string): void;
  /** Also log every delivery. */
  verbose?: boolean;
  userAgent: string;
  /** Deliver what is pending, then stop (`--once`). */
  once?: boolean;
  /**
   * The mreg CLI script: a backlog of more than BACKLOG_COMMITS commits is derived by `mreg events --json` in a
   * second process, so deriving and delivering use two cores. Without it, everything runs in this process.
   */
  cli?: string;
  clock?: () => number;
  random?: () => number;
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

/** A position as `mreg events --since` takes it; undefined for the start. */
function sinceArg(pos: Position): string | undefined {
  if (pos.kind === 'start') return undefined;
  if (pos.kind === 'ref') return pos.commit;
  return formatEventId({ ...pos.cursor, index: Math.min(pos.cursor.index, 999_999_999) });
}

/** The events after `pos` up to `tip`, from `mreg events --json` run as a child process. */
async function* childEvents(cli: string, dir: string, tip: string, pos: Position): AsyncGenerator<RegistryEvent> {
  const since = sinceArg(pos);
  const child = spawn(
    process.execPath,
    [cli, 'events', '--json', '--repo', dir, '--until', tip, ...(since !== undefined ? ['--since', since] : [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let finished = false;
  try {
    for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
      if (line.trim() !== '') yield JSON.parse(line) as RegistryEvent;
    }
    const code = await exited;
    if (code !== 0) throw new Error(`mreg events exited with ${code}: ${stderr.trim().split('\n')[0] ?? ''}`);
    finished = true;
  } finally {
    if (!finished) child.kill();
  }
}

/**
 * Iterates `source` while pulling up to `depth` items ahead of the consumer, so producing the next items
 * overlaps with whatever the consumer awaits. Stopping early stops the source.
 */
export async function* readAhead<T>(source: AsyncGenerator<T>, depth: number): AsyncGenerator<T> {
  const buffer: Array<IteratorResult<T>> = [];
  let error: unknown;
  let failed = false;
  let waiting: (() => void) | undefined;
  let pulling = false;
  let finished = false;
  let stopped = false;
  const pull = async (): Promise<void> => {
    if (pulling) return;
    pulling = true;
    try {
      while (!stopped && !finished && buffer.length < depth) {
        const r = await source.next();
        buffer.push(r);
        if (r.done) finished = true;
        waiting?.();
      }
    } catch (e) {
      error = e;
      failed = true;
      waiting?.();
    } finally {
      pulling = false;
    }
  };
  try {
    for (;;) {
      void pull();
      while (buffer.length === 0 && !failed) await new Promise<void>((r) => (waiting = r));
      waiting = undefined;
      if (buffer.length === 0 && failed) throw error;
      const r = buffer.shift()!;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    stopped = true;
    if (!finished) await source.return(undefined as never).catch(() => undefined);
  }
}

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

class Worker {
  private readonly alarm = new Alarm();
  private stopped = false;
  private agent: http.Agent | undefined;
  private pos: Position | undefined;
  state!: WebhookStatus;
  running: Promise<void> | undefined;

  constructor(
    private readonly n: Notifier,
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

export class Notifier {
  readonly log: EventLog;
  tip: string | null = null;
  private readonly workers = new Map<string, Worker>();
  private stopped = false;
  private readonly abort = new AbortController();
  private following: Promise<void> | undefined;
  private configCommit: string | undefined;
  private readonly introCache = new Map<string, string | null>();

  constructor(readonly opts: NotifierOptions) {
    this.log = new EventLog(opts.repo);
  }

  /** Where the tip is read from: the branch, or (with a remote) the ref fetched into. */
  private async readTip(): Promise<string | null> {
    const { repo, branch, remote } = this.opts;
    if (!remote) return repo.resolveBranch(branch);
    return repo.resolveRemoteBranch('origin', branch);
  }

  private async fetch(): Promise<void> {
    const { repo, branch, remote } = this.opts;
    if (!remote) return;
    try {
      await repo.fetch({ remote: 'origin', url: remote.url, branch });
    } catch (e) {
      this.opts.log(`fetch from ${remote.url} failed: ${(e as Error).message}`);
    }
  }

  /**
   * The commit that added webhook `name` to registry.yaml: on the tip's first-parent line, the newest commit
   * whose registry.yaml has it while its parent's does not (null: it was there from the first commit).
   */
  async addedIn(name: string, tip: string): Promise<string | null> {
    const key = `${name}@${tip}`;
    if (this.introCache.has(key)) return this.introCache.get(key)!;
    const { repo } = this.opts;
    const has = async (commit: string): Promise<boolean> => {
      const r = await loadRegistryFile(repo, commit);
      return !!r && (r.webhooks ?? []).some((w) => w.name === name);
    };
    let c = tip;
    let blob = await repo.oidAt(c, REGISTRY_FILE);
    let found: string | null = null;
    for (;;) {
      const parent = (await repo.readCommit(c)).parents[0];
      if (!parent) break;
      const pb = await repo.oidAt(parent, REGISTRY_FILE);
      if (pb !== blob && !(await has(parent))) {
        found = c;
        break;
      }
      c = parent;
      blob = pb;
    }
    this.introCache.set(key, found);
    return found;
  }

  /** Reads registry.yaml at the tip and starts, reconfigures or stops workers to match. */
  private async configure(tip: string): Promise<void> {
    if (this.configCommit === tip) return;
    this.configCommit = tip;
    const registry = await loadRegistryFile(this.opts.repo, tip);
    if (!registry) {
      this.opts.log(`registry.yaml at ${tip.slice(0, 10)} does not validate; keeping the webhooks as they were`);
      return;
    }
    let hooks: Webhook[];
    try {
      hooks = webhooksOf(registry);
    } catch (e) {
      this.opts.log(`${(e as Error).message} Keeping the webhooks as they were.`);
      return;
    }
    const names = new Set(hooks.map((h) => h.name));
    for (const [name, w] of this.workers) {
      if (!names.has(name)) {
        this.opts.log(`${name}: removed from registry.yaml; no longer delivered`);
        this.workers.delete(name);
        await w.stop();
      }
    }
    for (const h of hooks) {
      const w = this.workers.get(h.name);
      if (w) w.reconfigure(h);
      else {
        const nw = new Worker(this, h);
        await nw.init(tip);
        this.workers.set(h.name, nw);
        if (!this.stopped) nw.start();
        this.opts.log(`${h.name}: delivering ${h.events.length} event type(s) to ${h.url}`);
      }
    }
  }

  /** Moves to a new tip: configuration first (so a webhook added by this commit starts after it), then the workers. */
  private async advance(tip: string): Promise<void> {
    this.tip = tip;
    await this.configure(tip);
    for (const w of this.workers.values()) w.wake();
  }

  /** Starts delivering; with `once`, resolves when everything pending was delivered or its webhook parked. */
  async run(): Promise<void> {
    await this.fetch();
    const tip = await this.readTip();
    if (!tip) this.opts.log(`branch '${this.opts.branch}' has no commits yet; waiting`);
    else await this.advance(tip);
    if (this.opts.once) {
      await Promise.all([...this.workers.values()].map((w) => w.running));
      return;
    }
    this.following = this.follow();
    await this.following;
  }

  private async follow(): Promise<void> {
    const { repo, branch, remote } = this.opts;
    while (!this.stopped) {
      let next: string | null;
      if (remote) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, remote.intervalMs);
          this.abort.signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve();
          });
        });
        if (this.stopped) return;
        await this.fetch();
        next = await this.readTip();
      } else {
        next = await waitForMove(repo.gitdir, `refs/heads/${branch}`, this.tip, () => this.readTip(), {
          signal: this.abort.signal,
          pollMs: 1000,
        });
      }
      if (this.stopped) return;
      if (next && next !== this.tip) {
        try {
          await this.advance(next);
        } catch (e) {
          this.opts.log(`cannot read ${next.slice(0, 10)}: ${(e as Error).message}`);
        }
      }
    }
  }

  /** Saved state of every configured webhook. */
  statuses(): WebhookStatus[] {
    return [...this.workers.values()].map((w) => w.state);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    await this.following;
  }
}
