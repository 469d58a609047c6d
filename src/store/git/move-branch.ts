// Moving a branch: the ref's compare-and-swap under native git's lockfile protocol (refs.ts), with the
// checkout brought along when the branch is checked out (checkout.ts) and the reflogs appended. A commit,
// a fast-forward after a fetch and the rewind after a lost push race all move a branch this one way.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { RegistryError } from '../../errors.js';
import { isAncestor } from './ancestry.js';
import { journalPath, recoverCheckout, updateCheckout } from './checkout.js';
import { checkBranchName, type Signature } from './objects.js';
import type { RepoPaths } from './repository.js';
import { commitOid } from './revisions.js';
import { diffTrees, type FileOp } from './tree-diff.js';
import type { WriteContext } from './write-context.js';

/**
 * Moves refs/heads/<branch> from `expected` to `newOid`, updating the checkout when `branch` is checked out.
 *
 * Step order, and what a SIGKILL between two steps leaves behind:
 *   (objects already written)
 *   1. take `<ref>.lock` (O_EXCL), verify the ref still equals `expected`, write the new value (fsynced when
 *      core.fsync asks)
 *      → crash: a stale ref lock; the ref is old; the next mreg writer removes the lock (stale takeover).
 *   2. take `index.lock`, check the changed paths have no uncommitted edits
 *      → crash: stale locks as above; nothing else changed.
 *   3. write the changed work-tree files (temp file in `<gitdir>/mreg-tmp`, then rename: each file is old or new)
 *      → crash: ref and index old, some files new: `git status` shows them modified; no corruption.
 *   4. write the patched index into index.lock, fsync, rename onto `index`
 *      → crash: index new, ref old: status shows the change as staged; a native commit would commit it
 *        (data kept), whereas the reverse order (ref first) would let a native commit silently revert it.
 *   5. append reflogs, rename the ref lock onto the ref: the commit is published atomically.
 */
export async function moveBranch(
  w: WriteContext,
  u: {
    branch: string;
    expected: string | null;
    newOid: string;
    newTree: string;
    ops: FileOp[];
    content: (op: FileOp) => Promise<Uint8Array>;
    who: Signature;
    reflog: string;
  },
): Promise<void> {
  const refName = `refs/heads/${u.branch}`;
  const refLock = await w.refs.lockForUpdate(refName, u.expected);
  let journaled = false;
  try {
    await refLock.write(`${u.newOid}\n`, w.refs.fsync);
    const headBranch = await w.refs.headBranch();
    if (!w.paths.bare && headBranch === u.branch) {
      await recoverCheckout(w, u.branch, u.expected);
      journaled = await updateCheckout(w, u.ops, u.content, u.newTree, {
        journal: { branch: u.branch, from: u.expected, to: u.newOid },
      });
    }
    if (w.paths.logRefUpdates || hasReflog(w.paths, refName)) {
      await w.refs.appendReflog(refName, u.expected, u.newOid, u.who, u.reflog);
      if (headBranch === u.branch) await w.refs.appendReflog('HEAD', u.expected, u.newOid, u.who, u.reflog);
    }
    await refLock.commit();
  } catch (e) {
    await refLock.rollback();
    throw e;
  }
  // After the ref moved: a crash before this line leaves a journal whose `to` is the ref, which the next
  // writer "rolls forward" (a no-op on a checkout that is already at `to`).
  if (journaled) await fsp.rm(journalPath(w.paths), { force: true });
}

function hasReflog(paths: RepoPaths, refName: string): boolean {
  return fs.existsSync(path.join(paths.commondir, 'logs', refName));
}

/**
 * Fast-forwards refs/heads/<branch> to `oid` (compare-and-swap under the ref lock) and, when the branch is
 * checked out, updates only the files and index entries that differ between the two commits.
 * @throws RESOURCE_CONFLICT when `oid` does not descend from the branch tip, or the branch moved meanwhile.
 * @throws INVALID_STATE when uncommitted edits would be overwritten.
 */
export async function fastForward(w: WriteContext, branch: string, oid: string): Promise<void> {
  checkBranchName(branch);
  const target = await commitOid(w, oid);
  const current = await w.refs.resolve(`refs/heads/${branch}`);
  if (current === target) return;
  if (current !== null && !(await isAncestor(w.objects, current, target))) {
    throw new RegistryError(
      'RESOURCE_CONFLICT',
      `Cannot fast-forward '${branch}' from ${current} to ${target}: not a descendant.`,
      { branch, current, target },
    );
  }
  await moveTo(w, branch, current, target, current === null ? 'branch: Created from fetch' : 'fast-forward');
}

/**
 * Moves refs/heads/<branch> from `from` to `to` whatever their relation (compare-and-swap: RESOURCE_CONFLICT
 * when the branch is not at `from`), updating the checkout by the diff of the two commits. Used to drop
 * a local commit whose push lost a race, before re-applying the operation on the remote's new tip.
 */
export async function resetBranch(
  w: WriteContext,
  branch: string,
  from: string | null,
  to: string,
  reflog?: string,
): Promise<void> {
  checkBranchName(branch);
  const target = await commitOid(w, to);
  if (from === target) return;
  await moveTo(w, branch, from, target, reflog ?? `reset: moving to ${target}`);
}

/** Moves a branch from `current` to the existing commit `target`, the checkout following by their diff. */
async function moveTo(
  w: WriteContext,
  branch: string,
  current: string | null,
  target: string,
  reflog: string,
): Promise<void> {
  const [oldTree, info] = await Promise.all([
    current === null ? null : w.objects.readCommit(current).then((c) => c.tree),
    w.objects.readCommit(target),
  ]);
  // Only a checkout needs the file-level diff: a bare repository's branch moves by its ref alone.
  const ops = w.paths.bare ? [] : await diffTrees(w.objects, oldTree, info.tree, '');
  await moveBranch(w, {
    branch,
    expected: current,
    newOid: target,
    newTree: info.tree,
    ops,
    content: (op) => w.objects.readBlob(op.oid!),
    who: info.committer,
    reflog,
  });
}
