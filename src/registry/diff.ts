// `mreg diff` as a library function: what a head (a commit, or the working tree) changes since its merge base
// with a base, as registry operations (domain/diff.ts), read only from the model folders that differ.
import { RegistryError, type Problem } from '../errors.js';
import { FORMAT_VERSION, olderFormatMessage } from '../domain/state.js';
import { declaredFormatAt } from '../store/load.js';
import { diffStates, type Operation } from '../domain/diff.js';
import { GitReader } from '../store/git/reader.js';
import { statePair } from './changes.js';

export type { Operation } from '../domain/diff.js';

export interface DiffOptions {
  /** The head: a commit or ref; default the working tree (HEAD in a bare repository). */
  head?: string | undefined;
  /** Called while the working tree is read and hashed: (done, total). */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface DiffResult {
  /** The commit compared against: the merge base of the base and the head (the base itself when they share none). */
  base: string;
  /** The head commit, or null for the working tree. */
  head: string | null;
  operations: Operation[];
  /** Files that could not be read as registry documents on either side; their folders are left out. */
  problems: Problem[];
}

/**
 * What the head changes since `base` in the registry at `dir`, as a pull request shows it: from their merge base.
 * @throws RESOURCE_DOES_NOT_EXIST for a revision that names nothing, INVALID_STATE outside a git repository
 */
export async function diffRegistry(dir: string, base: string, opts: DiffOptions = {}): Promise<DiffResult> {
  const repo = await GitReader.open(dir, { discover: true });
  const baseCommit = await repo.resolveRevision(base);
  const useWorkTree = opts.head === undefined && !repo.bare;
  const head = useWorkTree ? null : await repo.resolveRevision(opts.head ?? 'HEAD');
  const headCommit = head ?? (await repo.resolveRevision('HEAD').catch(() => null));
  const from = headCommit ? ((await repo.mergeBase(baseCommit, headCommit)) ?? baseCommit) : baseCommit;
  // Both sides must be read in this format: a diff across `mreg migrate` would show the files' move as changes.
  for (const side of [from, headCommit]) {
    const found = side ? await declaredFormatAt(repo, side) : undefined;
    if (found !== undefined && found < FORMAT_VERSION)
      throw new RegistryError('INVALID_STATE', `${shortRef(side!)}: ${olderFormatMessage(found)}`);
  }
  const pair = await statePair(repo, from, head, opts.onProgress ? { onProgress: opts.onProgress } : {});
  return { base: from, head, operations: diffStates(pair.before, pair.after), problems: pair.problems };
}

function shortRef(oid: string): string {
  return oid.slice(0, 10);
}
