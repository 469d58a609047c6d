// Publishing a batch: one compare-and-swap of the branch and, with a remote, one push (rewound when rejected);
// and before planning, bringing the local branch up to the remote's tip.
import { RegistryError } from '../errors.js';
import type { GitWriter } from '../store/git/writer.js';

/** The remote refused the push: another writer got there first. */
export class LostRace extends Error {}

/** The branch a writer publishes to, and the remote it pushes to. */
export interface PublishTarget {
  repo: GitWriter;
  branch: string;
  remote: string | undefined;
  /** The remote's URL, when the repository does not configure it. */
  remoteUrl: string | undefined;
}

/** Moves the branch from `base` to `head` (and pushes it): LostRace or RefMovedError when another writer won. */
export async function publish(t: PublishTarget, base: string, head: string, subject: string): Promise<void> {
  await t.repo.resetBranch(t.branch, base, head, `commit: ${subject}`);
  const remote = t.remote;
  if (remote && !(await pushOrRewind(t, remote, base, head))) throw new LostRace();
}

/** Before planning: bring the local branch up to the remote's tip when it is behind. */
export async function syncWithRemote(t: PublishTarget, remote: string): Promise<void> {
  const remoteTip = await fetchRemote(t, remote);
  const local = await t.repo.resolveBranch(t.branch);
  if (!remoteTip || remoteTip === local) return;
  if (!local || (await t.repo.isAncestor(local, remoteTip))) {
    await t.repo.fastForward(t.branch, remoteTip);
    return;
  }
  if (await t.repo.isAncestor(remoteTip, local)) return; // we are ahead: the push carries our commits too
  throw new RegistryError(
    'RESOURCE_CONFLICT',
    `Local branch '${t.branch}' and ${remote}/${t.branch} have diverged: pull (or rebase) first.`,
  );
}

/**
 * Fetches the remote branch, trying again twice on a transient failure: another fetch into the same
 * remote-tracking ref (the gateway's follower) makes git's ref lock fail, and the network has its moments.
 */
async function fetchRemote(t: PublishTarget, remote: string): Promise<string | null> {
  const url = t.remoteUrl;
  for (let attempt = 1; ; attempt++) {
    try {
      return await t.repo.fetch({ remote, branch: t.branch, ...(url ? { url } : {}) });
    } catch (e) {
      if (attempt >= 3 || !(e instanceof RegistryError) || e.code !== 'TEMPORARILY_UNAVAILABLE') throw e;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 50 * attempt));
    }
  }
}

/** Pushes `oid`; on rejection drops it (the branch goes back to `parent`) so the next attempt re-plans on the new remote tip. */
async function pushOrRewind(t: PublishTarget, remote: string, parent: string, oid: string): Promise<boolean> {
  const expected = await t.repo.resolveRemoteBranch(remote, t.branch);
  // A push that cannot be made (credentials, host, permission) leaves nothing behind: the commit goes too.
  const r = await t.repo
    .push({
      remote,
      branch: t.branch,
      expectedRemoteTip: expected,
      ...(t.remoteUrl ? { url: t.remoteUrl } : {}),
    })
    .catch(async (e: unknown) => {
      await t.repo.resetBranch(t.branch, oid, parent);
      throw e;
    });
  // A successful push has moved the remote-tracking ref too.
  if (r.ok) return true;
  await t.repo.resetBranch(t.branch, oid, parent);
  return false;
}
