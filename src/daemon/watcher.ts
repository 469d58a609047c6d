// Follows the served branch: a chokidar watch on the refs directory (not the ref file, which `git gc`
// and `pack-refs` delete, leaving a file watcher deaf), packed-refs and HEAD; a leading check on the
// first event plus a trailing re-check after a quiet period (chokidar throttles `change` per path and
// drops the last event of a burst); and a periodic poll as a backstop. Every check compares the tip
// with the served commit and, when it moved, reloads incrementally (tree diff, changed files only).
// A force-push or rewind is just another target commit: reloadCommit diffs any two commits.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { watch, type FSWatcher } from 'chokidar';
import { formatProblem, type Problem } from '../errors.js';
import type { GitReader } from '../store/git/reader.js';
import { loadCommit, type Loaded } from '../store/load.js';
import { reloadCommit } from '../store/load-patch.js';
import type { StateHolder } from './holder.js';
import type { Metrics } from './http/metrics.js';
import type { Logger } from './log.js';

export interface ReloaderDeps {
  repo: GitReader;
  branch: string;
  holder: StateHolder;
  metrics: Metrics;
  logger: Logger;
  /** Where the tip is read from; default refs/heads/<branch>. (--remote serves the remote-tracking ref.) */
  tip?: () => Promise<string | null>;
}

/** How far back a first load looks for a good commit when the tip does not validate. */
const MAX_WALK_BACK = 50;

/** Loads branch tips into the holder, one load at a time. */
export class Reloader {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** The tip that failed validation: not retried until the branch moves. */
  private failedTip: string | undefined;
  /** Where the first load starts when there is a snapshot. */
  private seed: Loaded | undefined;
  /** The last state that did not validate (a cheap starting point for the walk back). */
  private broken: Loaded | undefined;
  /** A state a writer in this process just committed (see adopt). */
  private offered: Loaded | undefined;

  constructor(private readonly d: ReloaderDeps) {}

  /**
   * A writer in this process (the gateway) committed `loaded`: serve it without reading it back when it is the
   * tip, else load the tip from it. Resolves once the served state is at least the tip seen after the call, so
   * the writer can acknowledge: a read that follows sees the write. Every swap still happens here, one at a time.
   */
  adopt(loaded: Loaded): Promise<void> {
    this.offered = loaded;
    return this.check();
  }

  stop(): void {
    this.stopped = true;
  }

  /** Brings the served state to the branch tip. Calls during a load coalesce into one more check. */
  check(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          if (this.stopped) return;
          await this.syncToTip();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /**
   * The first load: from `base` (a snapshot) when given, else in full. When the tip does not validate
   * and nothing is served yet, the branch's first-parent history is searched for the newest good commit,
   * so a daemon started on a broken tip still serves the last good state.
   */
  async initial(base: Loaded | undefined): Promise<void> {
    const { repo, branch, holder, logger } = this.d;
    // Nothing is served until the tip is reached: the snapshot is only where the first reload starts.
    if (base && base.commit && base.problems.length === 0 && !holder.current) {
      this.seed = base;
      logger.info('snapshot loaded', { commit: base.commit });
    }
    await this.check();
    this.seed = undefined;
    if (holder.current || this.stopped) return;
    const failed = holder.lastError;
    const tip = failed?.commit;
    let broken = this.broken;
    this.broken = undefined;
    if (!failed || !tip) return;
    let oid: string | undefined = tip;
    for (let i = 0; i < MAX_WALK_BACK && oid; i++) {
      const parent: string | undefined = (await repo.readCommit(oid)).parents[0];
      if (!parent) break;
      broken = broken ? await reloadCommit(repo, broken, parent) : await loadCommit(repo, parent);
      if (broken.problems.length === 0) {
        holder.swap({ commit: parent, loaded: broken, loadedAt: Date.now() });
        holder.fail(failed);
        logger.warn('serving an older commit: the branch tip does not validate', { branch, tip, commit: parent });
        return;
      }
      oid = parent;
    }
  }

  private failure(commit: string | null, problems: readonly Problem[], message?: string) {
    const first = problems[0];
    return {
      commit,
      at: Date.now(),
      problems,
      message:
        message ??
        (first
          ? `${formatProblem(first)}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`
          : 'unknown error'),
    };
  }

  private async syncToTip(): Promise<void> {
    const { repo, branch, holder, metrics, logger } = this.d;
    let tip: string | null;
    try {
      tip = this.d.tip ? await this.d.tip() : await repo.resolveBranch(branch);
    } catch (e) {
      // A ref caught mid-write by a non-atomic writer reads empty; the next event or poll retries.
      holder.fail(this.failure(null, [], `cannot read branch '${branch}': ${(e as Error).message}`));
      return;
    }
    // Taken after the tip is read: a writer's offer made while the read was in flight is used, not loaded again.
    const offered = this.offered;
    this.offered = undefined;
    const cur = holder.current;
    if (!tip) {
      if (!holder.lastError || holder.lastError.commit !== null) {
        holder.fail(this.failure(null, [], `branch '${branch}' does not exist`));
        logger.warn('branch not found', { branch });
      }
      return;
    }
    if (cur?.commit === tip) {
      // e.g. a broken commit was rewound away: the served state is the tip again.
      if (holder.lastError) holder.swap(cur);
      this.failedTip = undefined;
      return;
    }
    if (this.failedTip === tip) return;
    const t0 = performance.now();
    let next: Loaded;
    try {
      const from = offered ?? cur?.loaded ?? this.seed;
      try {
        next = from ? await reloadCommit(repo, from, tip) : await loadCommit(repo, tip);
      } catch (e) {
        if (!from) throw e;
        // The served commit's objects may be gone (force-push + prune): load the tip in full.
        logger.warn('incremental reload failed; loading in full', { commit: tip, err: (e as Error).message });
        next = await loadCommit(repo, tip);
      }
    } catch (e) {
      metrics.observeReload(false, (performance.now() - t0) / 1000);
      holder.fail(this.failure(tip, [], `cannot load ${tip}: ${(e as Error).message}`));
      logger.error('reload failed', { branch, commit: tip, err: e });
      return;
    }
    const seconds = (performance.now() - t0) / 1000;
    if (this.stopped) return;
    if (next.problems.length) {
      this.failedTip = tip;
      if (!cur && this.seed) {
        // The snapshot's commit is the last good state known: serve it, and report the tip.
        holder.swap({ commit: this.seed.commit!, loaded: this.seed, loadedAt: Date.now() });
      } else if (!cur) this.broken = next;
      metrics.observeReload(false, seconds);
      const f = this.failure(tip, next.problems);
      holder.fail(f);
      logger.warn('commit not served: the registry does not validate; keeping the last good state', {
        branch,
        commit: tip,
        serving: cur?.commit ?? null,
        problems: next.problems.slice(0, 20).map(formatProblem),
      });
      return;
    }
    this.failedTip = undefined;
    holder.swap({ commit: tip, loaded: next, loadedAt: Date.now() });
    metrics.observeReload(true, seconds);
    // A writer's own commits (the gateway's, many a second) are routine: only other commits are news.
    (next === offered ? logger.debug : logger.info).call(logger, 'serving new commit', {
      branch,
      commit: tip,
      previous: cur?.commit ?? null,
      ms: Math.round(seconds * 1000),
    });
  }
}

export interface WatcherOptions {
  debounceMs: number;
  pollMs: number;
  logger: Logger;
  /** false: no file-system events, the poll alone. */
  events?: boolean;
  /** How long start() waits for the watch to be set up before relying on the poll (default 5 s). */
  readyTimeoutMs?: number;
}

/** When the watch is ready: checks this long after, while it may still miss a change (RefWatcher.settle). */
const SETTLE_CHECKS_MS = [100, 1_000];

/** Turns ref events and a poll into Reloader checks. */
export class RefWatcher {
  private watcher: FSWatcher | undefined;
  private trailing: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private readonly settling: NodeJS.Timeout[] = [];
  private lastKick = 0;

  constructor(
    private readonly gitdir: string,
    private readonly branch: string,
    private readonly onChange: () => Promise<void>,
    private readonly opts: WatcherOptions,
  ) {}

  async start(): Promise<void> {
    if (this.opts.events === false) {
      this.poll = setInterval(() => void this.fire(), this.opts.pollMs);
      this.poll.unref();
      return;
    }
    const dir = path.posix.dirname(this.branch);
    // A nested branch (team/main) lives in a subdirectory; depth 0 keeps the watch to one folder.
    const refsDir = path.join(this.gitdir, 'refs', 'heads', ...(dir === '.' ? [] : dir.split('/')));
    const w = watch([refsDir, path.join(this.gitdir, 'packed-refs'), path.join(this.gitdir, 'HEAD')], {
      depth: 0,
      ignoreInitial: true,
      persistent: true,
    });
    this.watcher = w;
    w.on('all', () => this.kick());
    w.on('error', (e) => this.opts.logger.warn('ref watcher error', { err: e }));
    // The poll covers a watcher that never becomes ready (an odd file system): do not wait for it forever.
    const readyTimeoutMs = this.opts.readyTimeoutMs ?? 5_000;
    const ready = new Promise<void>((resolve) => w.once('ready', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      ready.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), readyTimeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (late) {
      this.opts.logger.warn('ref watcher not ready yet: relying on the poll until it is', { readyTimeoutMs });
      // Its first scan takes the refs as they are then as the starting point: what moved before is not reported.
      void ready.then(() => {
        void this.fire();
        this.settle();
      });
    } else this.settle();
    this.poll = setInterval(() => void this.fire(), this.opts.pollMs);
    this.poll.unref();
  }

  /**
   * chokidar reports 'ready' a moment before its watch sees every change: a commit made at once after it went
   * unreported (3 of 3 tries), one made 20 ms later was seen — and the daemon's first check runs just before
   * that. A caller that commits as soon as the daemon is ready (a CI run timed out on it) would wait for the
   * poll. Two more checks a little later close the gap.
   */
  private settle(): void {
    for (const ms of SETTLE_CHECKS_MS) {
      const t = setTimeout(() => void this.fire(), ms);
      t.unref();
      this.settling.push(t);
    }
  }

  /** An event: check now unless one just ran, and always once more after the burst goes quiet. */
  kick(): void {
    const now = performance.now();
    if (now - this.lastKick > this.opts.debounceMs) void this.fire();
    this.lastKick = now;
    if (this.trailing) clearTimeout(this.trailing);
    this.trailing = setTimeout(() => {
      this.trailing = undefined;
      void this.fire();
    }, this.opts.debounceMs);
    this.trailing.unref();
  }

  private async fire(): Promise<void> {
    try {
      await this.onChange();
    } catch (e) {
      this.opts.logger.error('reload check failed', { err: e });
    }
  }

  async stop(): Promise<void> {
    for (const t of this.settling.splice(0)) clearTimeout(t);
    if (this.trailing) clearTimeout(this.trailing);
    if (this.poll) clearInterval(this.poll);
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
