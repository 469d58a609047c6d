// The write path of the library, the only one: the CLI's one-off writes and the gateway's stream of writes both
// come through Writer.run. Under the repository's write lock, for each write: plan (a pure planner from
// domain/ops) on the models as the branch has them, check (schema of each written document, invariants,
// policies, a caller's guard), build the commit — or, with `commit: false`, write the working tree. Writes that
// queue while a batch is being committed form the next batch: each write stays its own commit, authored by its
// caller, chained on the previous one, and the batch is published by ONE compare-and-swap of the branch (with a
// remote, one push) before any of its writes is acknowledged. A lost race (the ref moved, the push was rejected)
// re-plans the whole batch on the new head, a bounded number of times, so numbers stay distinct and nothing is
// half-applied.
//
// Where the models come from is the one difference between a one-off writer and a long-lived one (`keep`):
// the first reads only the files a write needs from the head commit; the second keeps the branch's whole state
// in memory and moves it on from the files it writes (store/load.applyChanges), never reading back from git,
// and holds the write lock for a busy period rather than for each write.
import { RefMovedError, RegistryError } from '../errors.js';
import type { Change, OpContext } from '../domain/ops/change.js';
import { parsePath } from '../domain/layout.js';
import type { ModelEntry, RegistryFile, RegistryState } from '../domain/state.js';
import type { Signature } from '../store/git/reader.js';
import type { ChangeSet, GitWriter } from '../store/git/writer.js';
import { loadCommit, type Loaded } from '../store/load.js';
import { reloadCommit } from '../store/load-patch.js';
import { authorUnknown, type Author } from './config.js';
import { commitReader, workTreeReader, type Need, type Reader } from './reader.js';
import { fileBase, memoryBase, type Base } from './write-base.js';
import { checkChange, notARegistry, serialize } from './write-check.js';
import { LostRace, publish, syncWithRemote, type PublishTarget } from './write-publish.js';

/** What a write did: the commit it made (null for a no-op or --no-commit). */
export interface WriteInfo {
  commit: string | null;
  message: string | null;
}

export interface WriteSettings {
  /** false: write the working tree only. */
  commit: boolean;
  /** Push every write to this remote. */
  remote: string | undefined;
  /** The remote's URL, when the repository does not configure it (a gateway's --remote clone). */
  remoteUrl?: string | undefined;
  maxAttempts: number;
  lockTimeoutMs: number | undefined;
  /** The branch `protected` policies judge by. */
  policyBranch: string;
  now: () => number;
  /** A long-lived writer (the gateway): keeps the branch's state in memory. */
  keep?: KeepSettings;
}

/** How a long-lived writer keeps and publishes its state. */
export interface KeepSettings {
  /** A state loaded elsewhere in the process (the daemon's), used instead of loading when it is at the tip. */
  known?: () => Loaded | undefined;
  /** Refuses a planned change beyond the registry's checks (the gateway's rules). @throws RegistryError */
  guard?: (change: Change, registry: RegistryFile) => void;
  /** Awaited with each published state before the writes in it are acknowledged (the gateway serves it). */
  onPublished?: (loaded: Loaded) => Promise<void>;
  /** Writes chained under one ref update at most. Default 64. */
  maxBatch?: number;
  /** How long the write lock is kept once the queue is empty. Default 25 ms. */
  lingerMs?: number;
  /** Longest hold of the write lock while busy; then it is released for a moment. Default 1,000 ms. */
  maxHoldMs?: number;
}

/** A planner over the current models of `names` (undefined: no such model); null plans nothing (a no-op). */
export type Plan = (ctx: OpContext, entries: Array<ModelEntry | undefined>, state?: RegistryState) => Change | null;

/** How one write departs from the usual: an author other than the registry's, a fixed time, the whole registry. */
export interface RunOptions {
  /** The commit's author (the registry's author stays the committer). */
  author?: Author;
  /** The user_id a new version records (default: the registry's author's name). */
  user?: string;
  /** The time the change is planned at, instead of the clock. */
  now?: number;
  /** Hands the planner the whole registry at the commit the write plans on. */
  wholeState?: (commit: string | null) => Promise<RegistryState>;
  /** Told what this write did (its commit), once it is acknowledged. */
  report?: (info: WriteInfo) => void;
}

/** Counters for /metrics and the benchmark. */
export interface WriterStats {
  batches: number;
  commits: number;
  writes: number;
  /** Batches re-planned after a lost race. */
  retries: number;
}

interface Job {
  names: string[];
  need: Need;
  plan: Plan;
  result: (change: Change | null, entries: Array<ModelEntry | undefined>) => unknown;
  how: RunOptions;
  resolve(value: unknown): void;
  reject(e: unknown): void;
}

type Outcome = { ok: true; value: unknown; info: WriteInfo } | { ok: false; error: unknown };

/** Pause before the lock is taken again after a long hold, so other writers of the repository get a turn. */
const YIELD_MS = 30;

export class Writer {
  /** The last write's commit. */
  lastWrite: WriteInfo = { commit: null, message: null };
  readonly stats: WriterStats = { batches: 0, commits: 0, writes: 0, retries: 0 };
  private kept: Loaded | undefined;
  /** Whether the repository's trees were read into its cache (a long-lived writer's first state). */
  private warmed = false;
  private readonly queue: Job[] = [];
  private draining: Promise<unknown> | undefined;
  private wakeUp: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly repo: GitWriter,
    private readonly branch: string,
    private readonly identity: Author | undefined,
    private readonly settings: WriteSettings,
  ) {}

  /** Who commits. @throws INVALID_STATE when no author is configured anywhere (git refuses such a commit too) */
  private get author(): Author {
    if (!this.identity) throw authorUnknown();
    return this.identity;
  }

  /** The state the last published batch left (a long-lived writer's; undefined before its first write). */
  get state(): Loaded | undefined {
    return this.kept;
  }

  /** The side a write plans on: the branch head, or the working tree. */
  async reader(): Promise<Reader> {
    if (!this.settings.commit) return workTreeReader(this.repo);
    return commitReader(this.repo, await this.repo.resolveBranch(this.branch));
  }

  /**
   * Runs one write of the models `names` (reading the versions `need` names), returning what `result` makes
   * of the change (null for a no-op) and the models as they were. Resolves once the write is committed (and
   * pushed), with the other writes of its batch.
   */
  run<T>(
    names: string[],
    need: Need,
    plan: Plan,
    result: (change: Change | null, entries: Array<ModelEntry | undefined>) => T,
    how: RunOptions = {},
  ): Promise<T> {
    if (this.closed)
      return Promise.reject(new RegistryError('TEMPORARILY_UNAVAILABLE', 'The writer is shutting down; retry.'));
    if (!this.identity) return Promise.reject(authorUnknown());
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ names, need, plan, result, how, resolve: resolve as Job['resolve'], reject });
      this.wake();
    });
  }

  /** Finishes the writes already queued, then refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await this.draining;
  }

  /**
   * One commit of files beside the registry (a README, CI configuration): paths outside registry.yaml and
   * models/, so there is nothing to plan or check. Not pushed. @throws INVALID_PARAMETER_VALUE for a registry path
   */
  async commitOtherFiles(files: ChangeSet, message: string): Promise<string | null> {
    for (const p of files.keys()) {
      if (parsePath(p).kind !== 'other')
        throw RegistryError.invalid(`'${p}' is a registry file: change it with the registry's operations.`);
    }
    if (!this.identity) throw authorUnknown();
    return this.repo.withWriteLock(async () => {
      if (!this.settings.commit) {
        await this.repo.writeWorkTree(files);
        this.lastWrite = { commit: null, message };
        return null;
      }
      const oid = await this.repo.commit({
        branch: this.branch,
        parent: await this.repo.resolveBranch(this.branch),
        changes: files,
        message: message + '\n',
        author: this.signature(this.settings.now()),
      });
      this.lastWrite = { commit: oid, message };
      return oid;
    });
  }

  // ---------------------------------------------------------------- the queue and the lock

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
        if (yielded) setTimeout(() => this.wake(), YIELD_MS);
        else this.wake();
      });
  }

  /** Resolves true when a write arrives, false after `ms`. */
  private waitForWork(ms: number): Promise<boolean> {
    if (this.queue.length) return Promise.resolve(true);
    if (ms <= 0) return Promise.resolve(false);
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
    const keep = this.settings.keep;
    const maxBatch = keep?.maxBatch ?? 64;
    const linger = keep ? (keep.lingerMs ?? 25) : 0;
    const maxHold = keep?.maxHoldMs ?? 1_000;
    const { lockTimeoutMs } = this.settings;
    try {
      return await this.repo.withWriteLock(
        async () => {
          const since = Date.now();
          for (;;) {
            if (this.queue.length === 0 && (this.closed || !(await this.waitForWork(linger)))) return false;
            // Let the requests that arrived meanwhile join the batch: each is queued from its own I/O callback,
            // and a batch's work resolves without returning to the event loop, so taking the queue at once
            // would make every batch a batch of one (measured: 1.03 writes per batch with 10 clients).
            if (keep) await new Promise((resolve) => setImmediate(resolve));
            await this.processBatch(this.queue.splice(0, maxBatch));
            if (keep && Date.now() - since >= maxHold) return true;
          }
        },
        lockTimeoutMs !== undefined ? { timeoutMs: lockTimeoutMs } : {},
      );
    } catch (e) {
      // The write lock could not be taken (another writer held it too long): what waits fails with that.
      for (const job of this.queue.splice(0)) job.reject(e);
      return false;
    }
  }

  // ---------------------------------------------------------------- one batch

  private async processBatch(batch: Job[]): Promise<void> {
    const { maxAttempts, remote } = this.settings;
    let lastError: unknown;
    let outcomes: Outcome[] = [];
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      // A long-lived writer builds on the commit it published last; the ref's compare-and-swap (or the push)
      // tells when another writer moved the branch meanwhile, and the retry reads the tip.
      const optimistic = attempt === 1 && this.kept !== undefined && this.settings.commit;
      // A one-off writer with a remote pushes first and fetches only when that is refused, as a git user does:
      // the push's lease (the remote-tracking tip) catches a remote that moved, and the retry fetches. That
      // saves a round trip to the remote on every write of an up-to-date clone. An answer that made no commit
      // (an error, a no-op) is only given after fetching: the remote may know what this clone does not.
      const pushFirst = attempt === 1 && !optimistic && this.settings.commit && maxAttempts > 1;
      const fetched = !!remote && !optimistic && !pushFirst;
      let start: Base;
      try {
        if (fetched) await syncWithRemote(this.target, remote);
        start = await this.base(optimistic);
        if (this.settings.commit && !start.commit)
          throw new RegistryError('INVALID_STATE', `Branch '${this.branch}' has no commits: run 'mreg init' first.`);
        // A git repository that is not a registry (the wrong --repo, a code checkout) is never written to.
        if (!(await start.isRegistry())) throw notARegistry(this.repo.dir, this.branch, this.settings.commit);
      } catch (e) {
        if (remote && pushFirst) continue;
        return this.settle(
          batch,
          batch.map(() => ({ ok: false, error: e })),
        );
      }
      let base = start;
      let commits = 0;
      let lastMessage = '';
      outcomes = [];
      for (const job of batch) {
        try {
          const r = await this.one(job, base);
          if (r.base) {
            base = r.base;
            commits++;
            lastMessage = r.info.message!;
          }
          outcomes.push({ ok: true, value: r.value, info: r.info });
        } catch (e) {
          outcomes.push({ ok: false, error: e });
        }
      }
      if (commits === 0) {
        // No compare-and-swap vouches for the state these answers (errors, no-ops) came from: when another
        // writer moved the branch meanwhile, answer from the tip instead.
        if (optimistic && (await this.repo.resolveBranch(this.branch).catch(() => start.commit)) !== start.commit)
          continue;
        if (remote && pushFirst) continue;
        return this.settle(batch, outcomes);
      }
      try {
        this.repo.flushObjects();
        await publish(this.target, start.commit!, base.commit!, commits === 1 ? lastMessage : `${commits} writes`);
      } catch (e) {
        this.repo.dropObjects();
        if (e instanceof LostRace || e instanceof RefMovedError) {
          lastError =
            e instanceof LostRace
              ? new RegistryError(
                  'RESOURCE_CONFLICT',
                  `Push to ${remote} was rejected ${attempt} times: another writer keeps winning.`,
                )
              : e;
          this.stats.retries++;
          // The first retries go at once (the loser is already behind); later ones spread out with jitter.
          if (attempt > 1) await new Promise((r) => setTimeout(r, 5 + Math.random() * Math.min(200, 20 * attempt)));
          continue;
        }
        return this.settle(batch, failCommitted(outcomes, e));
      }
      this.stats.batches++;
      this.stats.commits += commits;
      if (this.settings.keep) {
        this.kept = base.loaded;
        await this.settings.keep.onPublished?.(this.kept!);
      }
      return this.settle(batch, outcomes);
    }
    lastError ??= new RegistryError('RESOURCE_CONFLICT', 'The write lost every race for the branch head.');
    return this.settle(batch, failCommitted(outcomes, lastError));
  }

  private settle(batch: Job[], outcomes: Outcome[]): void {
    this.stats.writes += batch.length;
    batch.forEach((job, i) => {
      const o = outcomes[i]!;
      if (!o.ok) return job.reject(o.error);
      this.lastWrite = o.info;
      job.how.report?.(o.info);
      job.resolve(o.value);
    });
  }

  /** Plans, checks and builds one write on `base`: the commit's objects stay in memory until the batch is published. */
  private async one(job: Job, base: Base): Promise<{ value: unknown; info: WriteInfo; base?: Base }> {
    // A limit on None counts every version a registration adds to: then it reads them all.
    const registry = await base.registry();
    const need =
      job.need === 'model' && registry.policies?.max_versions_per_stage?.None !== undefined ? 'all' : job.need;
    const entries = await base.entries(job.names, need);
    const state = job.how.wholeState ? await job.how.wholeState(base.commit) : undefined;
    const ctx: OpContext = { now: job.how.now ?? this.settings.now(), user: job.how.user ?? this.author.name };
    const change = job.plan(ctx, entries, state);
    if (!change) return { value: job.result(null, entries), info: { commit: null, message: null } };
    const files = serialize(change);
    checkChange(registry, change, files, need === 'all', this.settings.policyBranch);
    this.settings.keep?.guard?.(change, registry);
    if (!this.settings.commit) {
      await this.repo.writeWorkTree(files);
      return { value: job.result(change, entries), info: { commit: null, message: change.message } };
    }
    const oid = await this.repo.writeCommit({
      parent: base.commit,
      changes: files,
      message: change.message + '\n',
      author: this.signature(ctx.now, job.how.author),
      committer: this.signature(ctx.now),
    });
    return {
      value: job.result(change, entries),
      info: { commit: oid, message: change.message },
      base: await base.next(oid, files),
    };
  }

  private signature(ms: number, who: Author = this.author): Signature {
    return { name: who.name, email: who.email, timestamp: Math.floor(ms / 1000), timezoneOffset: 0 };
  }

  /** Where batches are published: the branch, and the remote it is pushed to. */
  private get target(): PublishTarget {
    return { repo: this.repo, branch: this.branch, remote: this.settings.remote, remoteUrl: this.settings.remoteUrl };
  }

  // ---------------------------------------------------------------- where the models come from

  private async base(optimistic: boolean): Promise<Base> {
    if (!this.settings.commit) return fileBase(this.repo, null, true);
    if (optimistic) return memoryBase(this.kept!);
    const tip = await this.repo.resolveBranch(this.branch);
    if (!this.settings.keep || tip === null) return fileBase(this.repo, tip, false);
    return memoryBase(await this.follow(tip));
  }

  /** Brings the kept state to `commit` (another writer moved the branch): reuse, or reload what changed. */
  private async follow(commit: string): Promise<Loaded> {
    if (!this.warmed) {
      // A state handed over by the daemon (`known`) was read through another reader: every write's first commit
      // to a model would read that model's trees from disk. Reading them all once, beside the first writes,
      // keeps them in memory (a few ms per thousand models; the cache holds hundreds of thousands of entries).
      this.warmed = true;
      void this.repo.listFiles(commit).catch(() => undefined);
    }
    if (this.kept?.commit === commit) return this.kept;
    const known = this.settings.keep?.known?.();
    if (known?.commit === commit) return (this.kept = known);
    this.kept = this.kept ? await reloadCommit(this.repo, this.kept, commit) : await loadCommit(this.repo, commit);
    return this.kept;
  }
}

/** Only the writes that made a commit failed with the batch; the others' answers stand. */
function failCommitted(outcomes: Outcome[], error: unknown): Outcome[] {
  return outcomes.map((o) => (o.ok && o.info.commit ? { ok: false, error } : o));
}
