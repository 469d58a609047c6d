// The commit a parsed `at` (domain/at.ts) names: a revision resolved in the repository, or the newest commit
// on the branch's first-parent line made at or before a time. The library (`resolve(uri, { at })`,
// `commitAt`), the CLI (`--at`, through the library) and the daemon (`?at=`) all come here.
import type { At } from '../domain/at.js';
import { neitherMessage } from '../domain/at.js';
import { isRegistryError, RegistryError } from '../errors.js';

/** The read methods a resolution needs (GitReader has them). */
export interface RevisionReader {
  resolveRevision(rev: string): Promise<string>;
  commitAtTime(tip: string, whenMs: number, maxWalk?: number): Promise<string | null>;
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
  const found = await repo.commitAtTime(tip, at.ms, opts.maxWalk);
  if (found) return found;
  throw RegistryError.notFound(`The registry had no commits on '${opts.branch}' at ${new Date(at.ms).toISOString()}.`);
}
