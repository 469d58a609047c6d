// Fetching one branch into its remote-tracking ref, refs/remotes/<remote>/<branch>, through the system's git
// (transport/native.ts: every transport git has, with the credentials git users set up). Only objects and
// the remote-tracking ref are written: never a local branch, the index or the work tree, so a read-only
// daemon can follow a remote with it.
import { RegistryError } from '../../errors.js';
import { configuredRemoteUrl, fetchNative, type RemoteTarget } from '../transport/index.js';
import type { GitContext } from './context.js';
import { checkBranchName } from './objects.js';

/** URL of a configured remote (as git uses it: url.<base>.insteadOf applied), or undefined. */
export async function remoteUrl(git: GitContext, remote = 'origin'): Promise<string | undefined> {
  return configuredRemoteUrl(git.paths, remote);
}

/** The remote-tracking ref of a branch. */
export function trackingRef(remote: string, branch: string): string {
  return `refs/remotes/${remote}/${branch}`;
}

/** The remote as git is told about it: by name when `url` is absent or is the configured one. */
export async function remoteTarget(git: GitContext, remote: string, url: string | undefined): Promise<RemoteTarget> {
  const configured = await remoteUrl(git, remote);
  const target = url ?? configured;
  if (!target)
    throw new RegistryError('INVALID_STATE', `No URL for remote '${remote}': configure it or pass one.`, { remote });
  return {
    name: remote,
    url: target,
    configured: configured !== undefined && (url === undefined || url === configured),
  };
}

/**
 * Fetches refs/heads/<branch> from the remote into refs/remotes/<remote>/<branch> (forced, so a rewound remote
 * is followed). Returns that tip, or null when the remote has no such branch.
 * @throws INVALID_STATE without a URL; PERMISSION_DENIED, RESOURCE_DOES_NOT_EXIST, TEMPORARILY_UNAVAILABLE when
 * the remote cannot be read.
 */
export async function fetchBranch(
  git: GitContext,
  opts: { remote?: string; url?: string; branch: string },
): Promise<string | null> {
  const branch = checkBranchName(opts.branch);
  const remote = checkBranchName(opts.remote ?? 'origin');
  const target = await remoteTarget(git, remote, opts.url);
  const tracking = trackingRef(remote, branch);
  return (await fetchNative(git.paths, target, branch, tracking)) ? git.refs.resolve(tracking) : null;
}
