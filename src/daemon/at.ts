// The registry as of a past moment (`?at=`, read by domain/at.ts and resolved by store/resolve-at.ts, as the
// CLI's --at is). Loaded incrementally from the served state (a tree diff away), cached by commit.
import { parseAt } from '../domain/at.js';
import { RegistryError, formatProblem } from '../errors.js';
import type { GitReader } from '../store/git/reader.js';
import { reloadCommit } from '../store/load-patch.js';
import { resolveAt } from '../store/resolve-at.js';
import type { StateHolder } from './holder.js';
import type { Served } from './ui-deps.js';

const MAX_CACHED = 16;
/** How many commits a time lookup walks back at most. */
const MAX_WALK = 100_000;

export function createAt(repo: GitReader, branch: string, holder: StateHolder): (at: string) => Promise<Served> {
  const byCommit = new Map<string, Promise<Served>>();
  const byTime = new Map<string, string>();

  async function commitAt(input: string, tip: string): Promise<string> {
    const at = parseAt(input);
    if (at.kind === 'revision') return resolveAt(repo, tip, at, { branch });
    const key = `${tip}@${at.ms}`;
    const known = byTime.get(key);
    if (known) return known;
    const oid = await resolveAt(repo, tip, at, { branch, maxWalk: MAX_WALK });
    if (byTime.size > 256) byTime.clear();
    byTime.set(key, oid);
    return oid;
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
