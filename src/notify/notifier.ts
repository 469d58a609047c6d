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
import { REGISTRY_FILE } from '../domain/layout.js';
import { EventLog } from '../events/log.js';
import { loadRegistryFile } from '../events/source.js';
import { waitForMove } from '../events/watch.js';
import type { GitReader } from '../store/git/reader.js';
import type { WebhookStatus } from './state.js';
import { webhooksOf, type Webhook } from './webhooks.js';
import { Worker, type WorkerHost } from './worker.js';

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

export class Notifier implements WorkerHost {
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
