// The registry as of a past moment: a commit, a ref, or a time (the newest commit on the branch's
// first-parent line made at or before it). Loaded incrementally from the served state (a tree diff
// away), cached by commit.
import { RegistryError, formatProblem } from '../errors.js';
import type { GitReader } from '../store/git/reader.js';
import { reloadCommit } from '../store/load.js';
import type { StateHolder } from './holder.js';
import type { Served } from './ui-deps.js';

const MAX_CACHED = 16;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._\/-]{0,199}((~\d{0,6})|(\^\d?))*$/;
/** How many commits a time lookup walks back at most. */
const MAX_WALK = 100_000;

export function createAt(repo: GitReader, branch: string, holder: StateHolder): (at: string) => Promise<Served> {
  const byCommit = new Map<string, Promise<Served>>();
  const byTime = new Map<string, string>();

  async function commitAt(at: string, tip: string): Promise<string> {
    const trimmed = at.trim();
    if (trimmed === '') throw RegistryError.missing('at');
    // An ISO-8601 date or epoch milliseconds is a time; anything else must name a revision.
    const isTime = /^\d{4}-\d{2}-\d{2}/.test(trimmed) || /^\d{10,13}$/.test(trimmed);
    if (!isTime) {
      // Revisions come from a query string: only plain ref names and oids (with ~N / ^N), nothing
      // that could name a file outside refs/.
      if (
        !REVISION.test(trimmed) ||
        trimmed.includes('..') ||
        trimmed.includes('//') ||
        /(^|\/)\./.test(trimmed) ||
        trimmed.endsWith('.lock')
      ) {
        throw RegistryError.invalid(
          `'${trimmed}' is neither a commit, a ref nor a time (ISO-8601 or epoch milliseconds).`,
          { at: trimmed },
        );
      }
      try {
        return await repo.resolveRevision(trimmed);
      } catch {
        throw RegistryError.invalid(
          `'${trimmed}' is neither a commit, a ref nor a time (ISO-8601 or epoch milliseconds).`,
          { at: trimmed },
        );
      }
    }
    const when = /^\d+$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed);
    if (!Number.isFinite(when))
      throw RegistryError.invalid(`'${trimmed}' is not a valid time (ISO-8601 or epoch milliseconds).`, {
        at: trimmed,
      });
    const key = `${tip}@${when}`;
    const known = byTime.get(key);
    if (known) return known;
    const oid = await repo.commitAtTime(tip, when, MAX_WALK);
    if (oid) {
      if (byTime.size > 256) byTime.clear();
      byTime.set(key, oid);
      return oid;
    }
    throw RegistryError.notFound(`The registry had no commits on '${branch}' at ${new Date(when).toISOString()}.`);
  }

  return async (at: string): Promise<Served> => {
    const current = holder.current;
    if (!current)
      throw new RegistryError(
        'TEMPORARILY_UNAVAILABLE',
        'The registry is still loading; try again shortly (see /readyz).',
      );
    const commit = await commitAt(at, current.commit);
    if (commit === current.commit) return current;
    let p = byCommit.get(commit);
    if (!p) {
      p = (async () => {
        const loaded = await reloadCommit(repo, current.loaded, commit);
        if (loaded.problems.length) {
          throw new RegistryError(
            'INVALID_STATE',
            `The registry at commit ${commit} does not validate, so it cannot be answered from: ${formatProblem(loaded.problems[0]!)}`,
            { commit },
          );
        }
        return { commit, loaded, loadedAt: Date.now() };
      })();
      p.catch(() => byCommit.delete(commit));
      if (byCommit.size >= MAX_CACHED) byCommit.delete(byCommit.keys().next().value!);
      byCommit.set(commit, p);
    }
    return p;
  };
}
