// The commit a parsed `at` (domain/at.ts) names: a revision resolved in the repository, or the newest commit
// on the branch's first-parent line made at or before a time. The library (`resolve(uri, { at })`,
// `commitAt`), the CLI (`--at`, through the library) and the daemon (`?at=`) all come here.
import type { At } from '../domain/at.js';
import { neitherMessage } from '../domain/at.js';
import { isRegistryError, RegistryError } from '../errors.js';
import type { CommitInfo } from './git-objects.js';

/** The read methods a resolution needs (GitRepo has them). */
export interface RevisionReader {
  resolveRevision(rev: string): Promise<string>;
  readCommit(oid: string): Promise<CommitInfo>;
}

export interface ResolveAtOptions {
  /** The branch `tip` is the head of, for messages. */
  branch: string;
  /** Give up after this many first-parent commits (the daemon bounds a request's work); default unbounded. */
  maxWalk?: number;
}

/**
 * The commit `at` means, starting from `tip` (the branch head the caller reads) for a time.
 * @throws INVALID_PARAMETER_VALUE for a revision that names nothing (or an ambiguous short id)
 * @throws RESOURCE_DOES_NOT_EXIST when the branch has no commit at or before the time
 * @throws INVALID_STATE for a time on a branch without commits
 */
export async function resolveAt(
  repo: RevisionReader,
  tip: string | null,
  at: At,
  opts: ResolveAtOptions,
): Promise<string> {
  if (at.kind === 'revision') {
    try {
      return await repo.resolveRevision(at.revision);
    } catch (e) {
      // A revision that names nothing gets the one message; an ambiguous short id keeps its own.
      if (isRegistryError(e) && e.code === 'RESOURCE_DOES_NOT_EXIST')
        throw RegistryError.invalid(neitherMessage(at.revision), { at: at.revision });
      throw e;
    }
  }
  if (!tip) throw new RegistryError('INVALID_STATE', `Branch '${opts.branch}' has no commits.`);
  const found = await commitAtTime(repo, tip, at.ms, opts.maxWalk);
  if (found) return found;
  throw RegistryError.notFound(`The registry had no commits on '${opts.branch}' at ${new Date(at.ms).toISOString()}.`);
}

/**
 * The newest commit on `tip`'s first-parent line whose committer time is at or before `ms`, or null.
 * First-parent history is the branch's own timeline: a merged branch's commits are not the branch's past.
 */
export async function commitAtTime(
  repo: RevisionReader,
  tip: string,
  ms: number,
  maxWalk = Infinity,
): Promise<string | null> {
  let oid: string | undefined = tip;
  for (let i = 0; oid && i < maxWalk; i++) {
    const c = await repo.readCommit(oid);
    if (c.committer.timestamp * 1000 <= ms) return oid;
    oid = c.parents[0];
  }
  return null;
}
