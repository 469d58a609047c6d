// Pushing a branch through the system's git (transport/native.ts), expecting the remote branch where the
// writer last saw it: `--force-with-lease`, checked again by the server's own compare-and-swap. Measured
// against the in-process smart-HTTP client this replaced: README, "Remotes and credentials".
import { RegistryError } from '../../errors.js';
import { pushNative } from '../transport/index.js';
import { isAncestor } from './ancestry.js';
import { remoteTarget } from './fetch.js';
import { checkBranchName } from './objects.js';
import type { WriteContext } from './write-context.js';

export interface PushResult {
  ok: boolean;
  reason?: 'rejected' | 'conflict';
  message?: string;
}

/**
 * Pushes refs/heads/<branch> to the remote, expecting the remote branch at `expectedRemoteTip` (null: absent).
 * Returns ok:false with reason 'conflict' when the remote branch is not the expected one (fetch, re-apply,
 * retry) and 'rejected' when the branch does not contain it.
 * @throws PERMISSION_DENIED, RESOURCE_DOES_NOT_EXIST, TEMPORARILY_UNAVAILABLE when the remote cannot be
 * written, or the server refuses the update for its own reasons (a hook, a protected branch).
 */
export async function push(
  w: WriteContext,
  opts: { remote?: string; url?: string; branch: string; expectedRemoteTip: string | null },
): Promise<PushResult> {
  const branch = checkBranchName(opts.branch);
  const remote = checkBranchName(opts.remote ?? 'origin');
  const target = await remoteTarget(w, remote, opts.url);
  const local = await w.refs.resolve(`refs/heads/${branch}`);
  if (local === null) throw new RegistryError('INVALID_STATE', `Branch '${branch}' does not exist.`, { branch });
  const expected = opts.expectedRemoteTip;
  // --force-with-lease would also let a non-fast-forward through: the branch must contain what it replaces.
  if (expected !== null && !((await w.objects.hasObject(expected)) && (await isAncestor(w.objects, expected, local)))) {
    return { ok: false, reason: 'rejected', message: `Non-fast-forward: ${branch} does not contain ${expected}.` };
  }
  return pushNative(w.paths, target, branch, local, expected);
}
