// The write path of the library: under the repository's write lock, read the head, plan (a pure planner from
// domain/ops), check (schema of each written document, invariants, policies), then commit — or, with
// `commit: false`, write the working tree. A lost race (the ref moved under us, a push rejected) re-plans on
// the new head, a bounded number of times.
import { RefMovedError, RegistryError, formatProblem, type Problem } from '../errors.js';
import { checkModel } from '../domain/invariants.js';
import { parsePath } from '../domain/layout.js';
import type { Change, Doc, OpContext } from '../domain/ops/change.js';
import { checkChangePolicies } from '../domain/policies.js';
import type { ModelEntry, RegistryFile, RegistryState } from '../domain/state.js';
import type { SchemaName } from '../schema/validate.js';
import type { Signature } from '../store/git/reader.js';
import type { ChangeSet, GitWriter } from '../store/git/writer.js';
import { parseDocumentText, stringifyDocument } from '../store/yaml.js';
import type { Author } from './config.js';
import { commitReader, loadModel, readRegistryFile, workTreeReader, type Need, type Reader } from './reader.js';

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
  maxAttempts: number;
  lockTimeoutMs: number | undefined;
  /** The branch `protected` policies judge by. */
  policyBranch: string;
  now: () => number;
}

/** A planner over the current models of `names` (undefined: no such model); null plans nothing (a no-op). */
export type Plan = (ctx: OpContext, entries: Array<ModelEntry | undefined>, state?: RegistryState) => Change | null;

/** How one write departs from the usual: an author other than the registry's, a fixed time, the whole registry. */
export interface RunOptions {
  /** The commit's author (the registry's author stays the committer). */
  author?: Author;
  /** The time the change is planned at, instead of the clock. */
  now?: number;
  /** Hands the planner the whole registry at the commit the write plans on. */
  wholeState?: (commit: string | null) => Promise<RegistryState>;
}

export class Writer {
  /** The last write's commit. */
  lastWrite: WriteInfo = { commit: null, message: null };

  constructor(
    private readonly repo: GitWriter,
    private readonly branch: string,
    private readonly author: Author,
    private readonly settings: WriteSettings,
  ) {}

  /** The side a write plans on: the branch head, or the working tree. */
  async reader(): Promise<Reader> {
    if (!this.settings.commit) return workTreeReader(this.repo);
    return commitReader(this.repo, await this.repo.resolveBranch(this.branch));
  }

  /**
   * Runs one write of the models `names` (reading the versions `need` names), returning what `result` makes
   * of the change (null for a no-op) and the models as they were.
   */
  async run<T>(
    names: string[],
    need: Need,
    plan: Plan,
    result: (change: Change | null, entries: Array<ModelEntry | undefined>) => T,
    how: RunOptions = {},
  ): Promise<T> {
    const { maxAttempts, lockTimeoutMs } = this.settings;
    return this.repo.withWriteLock(
      async () => {
        let lastError: unknown;
        for (let attempt = 1; attempt <= maxAttempts; attempt++) {
          if (this.settings.remote) await this.syncWithRemote(this.settings.remote);
          const reader = await this.reader();
          if (this.settings.commit && !reader.commit) {
            throw new RegistryError('INVALID_STATE', `Branch '${this.branch}' has no commits: run 'mreg init' first.`);
          }
          // A limit on None counts every version a registration adds to: then it reads them all.
          const registry = await readRegistryFile(reader);
          const needed =
            need === 'model' && registry.policies?.max_versions_per_stage?.None !== undefined ? 'all' : need;
          const entries = await Promise.all(names.map((n) => loadModel(reader, n, needed)));
          const state = how.wholeState ? await how.wholeState(reader.commit) : undefined;
          const ctx: OpContext = { now: how.now ?? this.settings.now(), user: this.author.name };
          const change = plan(ctx, entries, state);
          if (!change) {
            this.lastWrite = { commit: null, message: null };
            return result(null, entries);
          }
          const files = serialize(change);
          await this.check(registry, change, files, needed === 'all');
          if (!this.settings.commit) {
            await this.repo.writeWorkTree(files);
            this.lastWrite = { commit: null, message: change.message };
            return result(change, entries);
          }
          try {
            const oid = await this.repo.commit({
              branch: this.branch,
              parent: reader.commit,
              changes: files,
              message: change.message + '\n',
              author: this.signature(ctx.now, how.author),
              committer: this.signature(ctx.now),
            });
            if (this.settings.remote && !(await this.pushOrRewind(this.settings.remote, reader.commit!, oid))) {
              lastError = new RegistryError(
                'RESOURCE_CONFLICT',
                `Push to ${this.settings.remote} was rejected ${attempt} times: another writer keeps winning.`,
              );
              continue;
            }
            this.lastWrite = { commit: oid, message: change.message };
            return result(change, entries);
          } catch (e) {
            // A native git commit slipped in between our read and our ref update, or git held the ref lock.
            if (!(e instanceof RefMovedError)) throw e;
            lastError = e;
            await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
          }
        }
        throw lastError ?? new RegistryError('RESOURCE_CONFLICT', 'The write lost every race for the branch head.');
      },
      lockTimeoutMs !== undefined ? { timeoutMs: lockTimeoutMs } : {},
    );
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

  private signature(ms: number, who: Author = this.author): Signature {
    return { name: who.name, email: who.email, timestamp: Math.floor(ms / 1000), timezoneOffset: 0 };
  }

  /** Schema of every written document (as written), invariants of every fully loaded model, and policies. */
  private async check(registry: RegistryFile, change: Change, files: ChangeSet, complete: boolean): Promise<void> {
    const problems: Problem[] = [];
    for (const [path, d] of change.writes) {
      const r = parseDocumentText(SCHEMA_OF[d.kind], path, files.get(path)!);
      if (!r.ok) problems.push(...r.problems);
    }
    if (problems.length) throw rejected(problems);
    if (complete) for (const after of change.after.values()) if (after) problems.push(...checkModel(after));
    problems.push(
      ...checkChangePolicies([registry], change.before, change.after, { branch: this.settings.policyBranch }),
    );
    if (problems.length) throw rejected(problems);
  }

  // ---------------------------------------------------------------- remotes

  /** Before planning: bring the local branch up to the remote's tip when it is behind. */
  private async syncWithRemote(remote: string): Promise<void> {
    const remoteTip = await this.repo.fetch({ remote, branch: this.branch });
    const local = await this.repo.resolveBranch(this.branch);
    if (!remoteTip || remoteTip === local) return;
    if (!local || (await this.repo.isAncestor(local, remoteTip))) {
      await this.repo.fastForward(this.branch, remoteTip);
      return;
    }
    if (await this.repo.isAncestor(remoteTip, local)) return; // we are ahead: the push carries our commits too
    throw new RegistryError(
      'RESOURCE_CONFLICT',
      `Local branch '${this.branch}' and ${remote}/${this.branch} have diverged: pull (or rebase) first.`,
    );
  }

  /** Pushes `oid`; on rejection drops it (the branch goes back to `parent`) so the next attempt re-plans on the new remote tip. */
  private async pushOrRewind(remote: string, parent: string, oid: string): Promise<boolean> {
    const expected = await this.repo.resolveRemoteBranch(remote, this.branch);
    // A push that cannot be made (credentials, host, permission) leaves nothing behind: the commit goes too.
    const r = await this.repo
      .push({ remote, branch: this.branch, expectedRemoteTip: expected })
      .catch(async (e: unknown) => {
        await this.repo.resetBranch(this.branch, oid, parent);
        throw e;
      });
    // A successful push has moved the remote-tracking ref too.
    if (r.ok) return true;
    await this.repo.resetBranch(this.branch, oid, parent);
    return false;
  }
}

/** The schema of each kind of document a change writes. */
const SCHEMA_OF: Record<Doc['kind'], SchemaName> = {
  model: 'model',
  version: 'model-version',
  alias: 'alias',
  tombstone: 'tombstone',
};

/** Every written document in canonical YAML, and every deleted path: serialized once, checked and committed as is. */
function serialize(change: Change): ChangeSet {
  const files: ChangeSet = new Map();
  for (const path of change.deletes) files.set(path, null);
  for (const [path, d] of change.writes) {
    files.set(path, new TextEncoder().encode(stringifyDocument(SCHEMA_OF[d.kind], d.doc)));
  }
  return files;
}

/** A refused write: the first problem in the message, all of them in `details`; a policy's code wins. */
export function rejected(problems: Problem[]): RegistryError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  const code = problems.find((p) => p.code)?.code ?? 'INVALID_PARAMETER_VALUE';
  return new RegistryError(code, `Rejected: ${formatProblem(first)}${more}`, { problems });
}
