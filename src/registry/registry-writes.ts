// The Registry's door to the write loop (write.ts): the one Writer a Registry and those made by actingAs share,
// each write run as this Registry's author, a caller's planner over the whole registry, and files committed beside
// the registry. Registry (registry.ts) extends it with MlflowClient's write operations.
import { RegistryError, formatProblem } from '../errors.js';
import type { Change, OpContext } from '../domain/ops/change.js';
import type { ModelEntry, RegistryState } from '../domain/state.js';
import type { GitWriter } from '../store/git/writer.js';
import { loadCommit, loadWorkTree } from '../store/load.js';
import { reloadCommit } from '../store/load-patch.js';
import type { Author } from './config.js';
import type { Need } from './reader.js';
import { RegistryReads } from './registry-reads.js';
import type { RegistryOptions } from './types.js';
import { Writer, type Plan, type RunOptions, type WriteInfo } from './write.js';

/** The Registry's write loop and what runs through it besides MlflowClient's operations. */
export abstract class RegistryWrites extends RegistryReads {
  protected readonly writer: Writer;
  /** This Registry's last write (a Registry made by actingAs shares the writer, not this). */
  private last: WriteInfo = { commit: null, message: null };

  protected constructor(
    repo: GitWriter,
    branch: string,
    author: Author | undefined,
    opts: RegistryOptions,
    shared?: { writer: Writer; as: Author },
  ) {
    super(repo, branch, opts);
    this.writer =
      shared?.writer ??
      new Writer(repo, branch, author, {
        commit: opts.commit !== false,
        remote: opts.push ? (typeof opts.push === 'string' ? opts.push : 'origin') : undefined,
        remoteUrl: opts.pushUrl,
        // Several gateways on one remote race at every push; the loser fetches and re-plans at once.
        maxAttempts: opts.maxAttempts ?? (opts.keep && opts.push ? 40 : 8),
        lockTimeoutMs: opts.lockTimeoutMs,
        policyBranch: opts.policyBranch ?? branch,
        now: () => (opts.clock ? opts.clock() : Date.now()),
        ...(opts.keep ? { keep: opts.keep } : {}),
      });
    this.as = shared?.as;
  }

  /** The author of this Registry's writes when it was made by actingAs. */
  protected readonly as: Author | undefined;

  /** The long-lived writer's counters and state (see RegistryOptions.keep). */
  get writes(): Pick<Writer, 'stats' | 'state'> {
    return this.writer;
  }

  /** Finishes the writes already queued, then refuses new ones (a long-lived writer's shutdown). */
  async close(): Promise<void> {
    await this.writer.close();
  }

  /** Every write of this Registry goes through the one write loop, acting as its author when it has one. */
  protected write<T>(
    names: string[],
    need: Need,
    plan: Plan,
    result: (change: Change | null, entries: Array<ModelEntry | undefined>) => T,
    how: RunOptions = {},
  ): Promise<T> {
    return this.writer.run(names, need, plan, result, {
      ...(this.as ? { author: this.as, user: this.as.name } : {}),
      ...how,
      report: (info) => (this.last = info),
    });
  }

  /** The last write's commit, for callers that want to print or push it. */
  get lastWrite(): WriteInfo {
    return this.last;
  }

  /**
   * Runs a caller's planner (an importer's) through the write loop: it sees the whole registry at the branch
   * head — re-read if the write has to be re-planned — and returns one Change, or null when nothing is to be
   * done; the Change is checked (schema, invariants, policies) and committed as one commit like any write.
   * `author` (default: the registry's author, who is always the committer) and `now` are the commit's.
   */
  async applyPlanned(
    plan: (state: RegistryState, ctx: OpContext) => Change | null,
    opts: { author?: Author; now?: number } = {},
  ): Promise<WriteInfo> {
    await this.write(
      [],
      'all',
      (ctx, _entries, state) => plan(state!, ctx),
      () => undefined,
      { ...opts, wholeState: (commit) => this.stateAt(commit) },
    );
    return this.lastWrite;
  }

  private async stateAt(commit: string | null): Promise<RegistryState> {
    if (this.workTreeMode || commit === null) return (this.loaded = await loadWorkTree(this.repo)).state;
    if (!this.loaded || this.loaded.commit === null) this.loaded = await loadCommit(this.repo, commit);
    else if (this.loaded.commit !== commit) this.loaded = await reloadCommit(this.repo, this.loaded, commit);
    // A planner over the whole registry must not mistake a model with a broken file for an absent one.
    if (this.loaded.problems.length)
      throw new RegistryError(
        'INVALID_STATE',
        `The registry has broken files: ${this.loaded.problems.map(formatProblem).join('; ')}`,
      );
    return this.loaded.state;
  }

  /**
   * Commits files that live beside the registry (a README, CI configuration) as one commit by this registry's
   * author: `path → text`, null deletes. Registry files change only through the operations below.
   * @throws INVALID_PARAMETER_VALUE for a path under models/ or registry.yaml
   */
  async commitFiles(files: Readonly<Record<string, string | null>>, message: string): Promise<WriteInfo> {
    const changes = new Map(
      Object.entries(files).map(([p, text]) => [p, text === null ? null : new TextEncoder().encode(text)] as const),
    );
    await this.writer.commitOtherFiles(changes, message);
    this.last = this.writer.lastWrite;
    return this.lastWrite;
  }
}
