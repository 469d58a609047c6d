// The long-lived write session: one writer process (`mreg gateway`) in front of a repository. What a commit
// costs when the writer stays up:
//
// - The branch's state stays loaded in memory (the daemon's own `Loaded`), so a write reads nothing from git:
//   it is planned on the entries in memory, with the Registry's planners, checks, policies and messages
//   (Registry.withSession routes every Registry write here), and the state moves on from the written files
//   themselves (store/load.applyChanges), never by re-reading the head.
// - Trees come from the store's tree cache; objects are built in memory and written together, synchronously,
//   once per batch (store/git.writeCommit with deferObjects, flushDeferredObjects). A bare repository has no
//   index to patch; a work tree is brought along once per batch (resetBranch), not once per commit.
// - Writes that arrive while a batch is being committed wait for the next one: the batch's commits are chained
//   (each write its own commit, authored by its caller) and published by ONE compare-and-swap of the branch ref
//   — with a remote, one push — before any of them is acknowledged. A lost race (the ref or the remote moved)
//   re-plans the whole batch on the new tip, so version numbers stay distinct and nothing is half-applied.
// - The repository's write lock is taken per busy period, not per write: it is released once the queue has
//   been empty for `lingerMs`, or after `maxHoldMs` so that other writers (the CLI) get their turn.
import { RegistryError, isRegistryError, type Problem } from '../errors.js';
import type { Change, OpContext } from '../domain/ops/change.js';
import { encodeName } from '../domain/names.js';
import type { ModelEntry, RegistryFile, RegistryState } from '../domain/state.js';
import type { ChangeSet, GitRepo, Signature } from '../store/git.js';
import { applyChanges, loadCommit, reloadCommit, type Loaded } from '../store/load.js';
import type { Author } from './config.js';
import { brokenFile } from './registry.js';

/** One write, as the Registry hands it over (see Registry.write). */
export interface SessionWrite<T> {
  /** The models the planner reads (undefined in `entries` when absent). */
  names: string[];
  plan(ctx: OpContext, entries: Array<ModelEntry | undefined>): Change | null;
  /** The Registry's checks (schema of the written documents, invariants, policies); the files to commit. @throws RegistryError */
  check(registry: RegistryFile, change: Change): ChangeSet;
  result(change: Change | null, entries: Array<ModelEntry | undefined>): T;
  /** The commit's author. */
  author: Author;
}

export interface SessionOutcome<T> {
  value: T;
  /** The write's own commit; null for a no-op. */
  commit: string | null;
  message: string | null;
}

export interface WriteSessionOptions {
  repo: GitRepo;
  branch: string;
  /** The committer of every commit (the process's identity); each commit's author is its writer. */
  committer: Author;
  /**
   * Push every batch to this configured remote before acknowledging it. The session then writes on top of
   * refs/remotes/<remote>/<branch> (what the remote had at the last fetch or push), not the local branch.
   */
  remote?: string;
  /** A state already loaded elsewhere (the daemon's), used instead of loading the tip when it is at the tip. */
  known?: () => Loaded | undefined;
  /** Refuses a planned change beyond the Registry's checks (the gateway's rules). @throws RegistryError */
  guard?: (change: Change, state: RegistryState) => void;
  /** Awaited with each published state before the writes in it are acknowledged (the gateway serves it). */
  onPublished?: (loaded: Loaded) => Promise<void>;
  clock?: () => number;
  /** Writes chained under one ref update at most. Default 64. */
  maxBatch?: number;
  /** Lost races (ref moved, push rejected) a batch is re-planned after. Default 8, with a remote 40. */
  maxAttempts?: number;
  /** How long the write lock is kept once the queue is empty. Default 25 ms. */
  lingerMs?: number;
  /** Longest hold of the write lock while busy, then it is released for a moment. Default 1,000 ms. */
  maxHoldMs?: number;
  /** Waiting for the write lock (another writer holds it) fails queued writes after this. Default 30 s. */
  lockTimeoutMs?: number;
}

/** Counters for /metrics and the benchmark. */
export interface SessionStats {
  batches: number;
  commits: number;
  writes: number;
  /** Batches re-planned after a lost race. */
  retries: number;
  objects: number;
}

interface Queued {
  write: SessionWrite<unknown>;
  resolve(o: SessionOutcome<unknown>): void;
  reject(e: unknown): void;
}

type Result =
  { ok: true; value: unknown; commit: string | null; message: string | null } | { ok: false; error: unknown };

/** A lost race: the branch (or the remote) moved under the batch. */
class LostRace extends Error {}

const YIELD_MS = 30;

export class WriteSession {
  readonly repo: GitRepo;
  readonly branch: string;
  readonly stats: SessionStats = { batches: 0, commits: 0, writes: 0, retries: 0, objects: 0 };
  private loaded: Loaded | undefined;
  private readonly queue: Queued[] = [];
  private draining: Promise<unknown> | undefined;
  private wakeUp: (() => void) | undefined;
  private closed = false;

  constructor(private readonly o: WriteSessionOptions) {
    this.repo = o.repo;
    this.branch = o.branch;
  }

  /** The state the last batch left (undefined before the first write). */
  get state(): Loaded | undefined {
    return this.loaded;
  }

  /** Queues a write; resolves once its commit is published (and pushed), or with its error. */
  run<T>(write: SessionWrite<T>): Promise<SessionOutcome<T>> {
    if (this.closed)
      return Promise.reject(new RegistryError('TEMPORARILY_UNAVAILABLE', 'The writer is shutting down; retry.'));
    return new Promise<SessionOutcome<T>>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as Queued['resolve'], reject });
      this.wake();
    });
  }

  /** Finishes the writes already queued, then refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await this.draining;
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
    if (this.draining) return;
    let yielded = false;
    this.draining = this.drain()
      .then((held) => (yielded = held))
      .finally(() => {
        this.draining = undefined;
        if (this.queue.length === 0) return;
        // Held the lock for maxHoldMs: give other writers of the repository a moment before taking it again.
        if (yielded) setTimeout(() => this.wake(), YIELD_MS);
        else this.wake();
      });
  }

  /** Resolves true when a write arrives, false after `ms`. */
  private waitForWork(ms: number): Promise<boolean> {
    if (this.queue.length) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = undefined;
        resolve(false);
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve(true);
      };
    });
  }

  /** One busy period under the write lock; true when it ended because it held the lock too long. */
  private async drain(): Promise<boolean> {
    const maxBatch = this.o.maxBatch ?? 64;
    const maxHold = this.o.maxHoldMs ?? 1_000;
    const linger = this.o.lingerMs ?? 25;
    try {
      return await this.repo.withWriteLock(
        async () => {
          const since = Date.now();
          for (;;) {
            if (this.queue.length === 0 && (this.closed || !(await this.waitForWork(linger)))) return false;
            await this.processBatch(this.queue.splice(0, maxBatch));
            if (Date.now() - since >= maxHold) return true;
          }
        },
        { timeoutMs: this.o.lockTimeoutMs ?? 30_000 },
      );
    } catch (e) {
      // The write lock could not be taken (another writer held it too long): what waits fails with that.
      for (const q of this.queue.splice(0)) q.reject(e);
      return false;
    }
  }

  private async tip(): Promise<string | null> {
    return this.o.remote
      ? this.repo.resolveRemoteBranch(this.o.remote, this.branch)
      : this.repo.resolveBranch(this.branch);
  }

  /** Brings the in-memory state to `commit` (another writer moved the branch): reuse, or reload what changed. */
  private async follow(commit: string): Promise<Loaded> {
    if (this.loaded?.commit === commit) return this.loaded;
    const known = this.o.known?.();
    if (known?.commit === commit) return (this.loaded = known);
    this.loaded = this.loaded
      ? await reloadCommit(this.repo, this.loaded, commit)
      : await loadCommit(this.repo, commit);
    return this.loaded;
  }

  private async processBatch(batch: Queued[]): Promise<void> {
    // Two gateways on one remote race at every push; the loser fetches and re-plans at once, and rarely needs many.
    const maxAttempts = this.o.maxAttempts ?? (this.o.remote ? 40 : 8);
    let results: Result[] = [];
    for (let attempt = 1; ; attempt++) {
      let base: string | null;
      // Optimistic: build on the commit the last batch published; the ref's compare-and-swap (or the push)
      // tells when another writer moved it, and the retry reads the tip.
      const optimistic = attempt === 1 && this.loaded !== undefined;
      try {
        base = optimistic ? this.loaded!.commit : await this.tip();
        if (!base)
          throw new RegistryError('INVALID_STATE', `Branch '${this.branch}' has no commits: run 'mreg init' first.`);
        await this.follow(base);
      } catch (e) {
        for (const q of batch) q.reject(e);
        return;
      }
      let loaded = this.loaded!;
      let head = base;
      let commits = 0;
      let lastMessage = '';
      results = [];
      for (const q of batch) {
        try {
          const r = await this.plan(q.write, loaded, head);
          if (r.commit) {
            loaded = r.loaded;
            head = r.commit;
            commits++;
            lastMessage = r.message;
          }
          results.push({ ok: true, value: r.value, commit: r.commit, message: r.message });
        } catch (e) {
          results.push({ ok: false, error: e });
        }
      }
      if (commits === 0) {
        // Nothing to publish, so no compare-and-swap vouches for the state these answers (errors, no-ops) came
        // from: when another writer moved the branch meanwhile, answer from the tip instead.
        if (optimistic && (await this.tip().catch(() => base)) !== base) continue;
        break;
      }
      try {
        this.stats.objects += this.repo.flushDeferredObjects();
        await this.publish(base, head, commits === 1 ? `commit: ${lastMessage}` : `commit: ${commits} writes`);
      } catch (e) {
        this.repo.dropDeferredObjects();
        if (e instanceof LostRace && attempt < maxAttempts) {
          this.stats.retries++;
          // The first retries go at once (the loser is already behind); later ones spread out with jitter.
          if (attempt > 2) await new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 10 * attempt)));
          continue;
        }
        const error =
          e instanceof LostRace
            ? new RegistryError(
                'RESOURCE_CONFLICT',
                `The write lost the race for branch '${this.branch}' ${attempt} times: ${e.message}`,
              )
            : e;
        // Only the writes that made a commit failed; the others' answers stand.
        results = results.map((r) => (r.ok && r.commit ? { ok: false, error } : r));
        break;
      }
      this.loaded = loaded;
      this.stats.batches++;
      this.stats.commits += commits;
      await this.o.onPublished?.(loaded);
      break;
    }
    this.stats.writes += batch.length;
    batch.forEach((q, i) => {
      const r = results[i]!;
      if (r.ok) q.resolve({ value: r.value, commit: r.commit, message: r.message });
      else q.reject(r.error);
    });
  }

  /** Plans, checks and builds the commit of one write on `loaded` (at `parent`); objects stay in memory. */
  private async plan(
    w: SessionWrite<unknown>,
    loaded: Loaded,
    parent: string,
  ): Promise<
    | { value: unknown; commit: null; message: null; loaded?: undefined }
    | { value: unknown; commit: string; message: string; loaded: Loaded }
  > {
    if (loaded.registryProblems.length) throw brokenFile(loaded.registryProblems);
    const entries = w.names.map((name) => {
      const rec = loaded.dirs.get(encodeName(name));
      const problems: Problem[] = rec ? [...rec.fileProblems.values()].flat() : [];
      if (problems.length) throw brokenFile(problems);
      return loaded.state.models.get(name);
    });
    const now = this.o.clock ? this.o.clock() : Date.now();
    const change = w.plan({ now, user: w.author.name }, entries);
    if (!change) return { value: w.result(null, entries), commit: null, message: null };
    const files = w.check(loaded.state.registry, change);
    this.o.guard?.(change, loaded.state);
    const commit = await this.repo.writeCommit({
      parent,
      changes: files,
      message: change.message + '\n',
      author: signature(w.author, now),
      committer: signature(this.o.committer, now),
      deferObjects: true,
    });
    return {
      value: w.result(change, entries),
      commit,
      message: change.message,
      loaded: await applyChanges(loaded, commit, files),
    };
  }

  /** Moves the branch from `base` to `head` (and pushes it): LostRace when another writer got there first. */
  private async publish(base: string, head: string, reflog: string): Promise<void> {
    const { repo, branch } = this;
    const remote = this.o.remote;
    if (!remote) {
      try {
        await repo.resetBranch(branch, base, head, reflog);
      } catch (e) {
        if (isMoved(e)) throw new LostRace((e as Error).message);
        throw e;
      }
      return;
    }
    // With a remote, the local branch is only the vehicle of the push: bring it to `base`, move it to `head`,
    // push, and put it back when the remote refuses.
    const local = await repo.resolveBranch(branch);
    try {
      if (local === null) await repo.fastForward(branch, base);
      else if (local !== base) await repo.resetBranch(branch, local, base);
      await repo.resetBranch(branch, base, head, reflog);
    } catch (e) {
      if (isMoved(e)) throw new LostRace((e as Error).message);
      throw e;
    }
    let pushed;
    try {
      pushed = await repo.push({ remote, branch, expectedRemoteTip: base });
    } catch (e) {
      await repo.resetBranch(branch, head, base).catch(() => undefined);
      throw e;
    }
    if (pushed.ok) return;
    await repo.resetBranch(branch, head, base).catch(() => undefined);
    await repo.fetch({ remote, branch });
    throw new LostRace(pushed.message ?? 'the remote refused the push');
  }
}

function isMoved(e: unknown): boolean {
  return isRegistryError(e) && e.code === 'RESOURCE_CONFLICT' && ('actual' in e.details || 'lockPath' in e.details);
}

function signature(a: Author, ms: number): Signature {
  return { name: a.name, email: a.email, timestamp: Math.floor(ms / 1000), timezoneOffset: 0 };
}
