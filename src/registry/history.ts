// The registry's past as the library tells it: a commit's summary, and the audit log (store/history.ts walks
// the branch and turns each commit into registry operations).
import { RegistryError } from '../errors.js';
import { parseVersion } from '../domain/rules.js';
import type { GitReader } from '../store/git/reader.js';
import { registryHistory, type HistoryEntry } from '../store/history.js';
import type { CommitSummary, HistoryQuery } from './types.js';

/** A commit named by any revision. @throws RESOURCE_DOES_NOT_EXIST when it names nothing */
export async function commitSummary(repo: GitReader, revision: string): Promise<CommitSummary> {
  const c = await repo.readCommit(await repo.resolveRevision(revision));
  return {
    commit: c.oid,
    parents: c.parents,
    time: c.committer.timestamp * 1000,
    author: { name: c.author.name, email: c.author.email },
    message: c.message.trim(),
  };
}

/** The audit log of `branch` (or from `q.ref`), newest first. */
export async function* historyOf(repo: GitReader, branch: string, q: HistoryQuery): AsyncGenerator<HistoryEntry> {
  const version = q.version !== undefined ? parseVersion(q.version) : undefined;
  const start = q.ref !== undefined ? await repo.resolveRevision(q.ref) : await repo.resolveBranch(branch);
  if (!start) throw new RegistryError('INVALID_STATE', `Branch '${branch}' has no commits.`);
  yield* registryHistory(repo, start, {
    ...(q.model !== undefined ? { model: q.model } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
  });
}
