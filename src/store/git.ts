// The only module of mreg that talks to git. Design (see shared/isomorphic-git-at-scale.md):
//
// - Reads: git/object-reader.ts (loose and packed objects, caches, tree listing), git/tree-diff.ts,
//   git/revisions.ts.
// - Writes: objects are serialized and written here, atomically (git/objects.ts explains why not
//   git.writeBlob/writeTree/writeCommit); only the trees on changed paths are rewritten. The branch
//   moves by a compare-and-swap under native git's lockfile protocol (git/refs.ts), never git.writeRef,
//   git.commit or git.add (gotchas 4-7, 17). In a checkout, the index is patched in place
//   (git/index-file.ts) so native git sees a clean tree and never commits from a stale index (gotcha 18).
// - Remote: fetch through isomorphic-git (fine per the measurements); push builds its own pack of
//   exactly the new objects and speaks receive-pack directly (gotcha 10).
import fs from 'node:fs';
import path from 'node:path';
import { RegistryError } from '../errors.js';
import { mapLimit } from '../util/concurrency.js';
import { commitAtTime, commitsNotIn, isAncestor, mergeBase } from './git/ancestry.js';
import { commit } from './git/commit.js';
import type { GitContext } from './git/context.js';
import { errCode, IO_CONCURRENCY } from './git/io.js';
import { iso } from './git/iso.js';
import { log } from './git/log.js';
import { fastForward, resetBranch } from './git/move-branch.js';
import { ObjectReader } from './git/object-reader.js';
import { ObjectWriter } from './git/object-writer.js';
import {
  checkBranchName,
  checkPrefix,
  checkRepoPath,
  EMPTY_TREE_OID,
  findEntry,
  ZERO_OID,
  type CommitInfo,
  type ObjectType,
  type Signature,
  type TreeEntry,
} from './git/objects.js';
import { buildPack, type PackObject } from './git/pack-writer.js';
import { discoverReceivePack, redact, sendReceivePack } from './git/receive-pack.js';
import { FSYNC_REFS, RefStore } from './git/refs.js';
import { initRepository, locateRepository, type RepoPaths } from './git/repository.js';
import { commitOid, resolveRevision } from './git/revisions.js';
import { diffTrees, type FileChange } from './git/tree-diff.js';
import { listWorkTreeFiles, readWorkTreeFile } from './git/work-tree.js';
import { writeWorkTree } from './git/work-tree-writes.js';
import type { ChangeSet, WriteContext } from './git/write-context.js';
import { WriteLock } from './git/write-lock.js';

export type { CommitInfo, Signature, TreeEntry } from './git/objects.js';
export type { FileChange } from './git/tree-diff.js';

export type { ChangeSet } from './git/write-context.js';

export interface PushResult {
  ok: boolean;
  reason?: 'rejected' | 'conflict';
  message?: string;
  /** Objects sent in the pack (0 when nothing needed sending). */
  objectCount?: number;
}

export class GitRepo {
  /** One long-lived isomorphic-git cache object, passed to every isomorphic-git call (gotcha 1). */
  readonly cache: object;
  readonly dir: string;
  readonly gitdir: string;
  readonly bare: boolean;
  private readonly paths: RepoPaths;
  /** Where refs, objects and config live: gitdir, except in a linked work tree. */
  private readonly commondir: string;
  private readonly refs: RefStore;
  private readonly objects: ObjectReader;
  private readonly lock: WriteLock;
  private readonly git: GitContext;
  private readonly w: WriteContext;

  private constructor(paths: RepoPaths) {
    this.paths = paths;
    this.dir = paths.dir;
    this.gitdir = paths.gitdir;
    this.bare = paths.bare;
    this.commondir = paths.commondir;
    this.lock = new WriteLock(paths);
    this.refs = new RefStore(paths.gitdir, paths.commondir, this.lock.tracker);
    this.objects = new ObjectReader(paths.commondir, paths.dir);
    this.cache = this.objects.cache;
    this.w = {
      paths,
      objects: this.objects,
      refs: this.refs,
      writer: new ObjectWriter(this.objects, path.join(paths.commondir, 'objects')),
      tracker: this.lock.tracker,
    };
    this.git = this.w;
  }

  // ---------------------------------------------------------------- open / init

  /**
   * Opens a repository: `dir` is a work tree containing `.git` (a directory, or a `.git` file pointing at
   * the git directory), or a bare repository. @throws INVALID_STATE when it is neither.
   */
  static async open(dir: string): Promise<GitRepo> {
    return new GitRepo(await locateRepository(dir));
  }

  /**
   * Creates a repository (no commit) whose HEAD names `branch` (default 'main'), then opens it. An existing
   * repository is opened untouched.
   */
  static async init(dir: string, opts: { bare?: boolean; branch?: string } = {}): Promise<GitRepo> {
    await initRepository(dir, opts);
    return GitRepo.open(dir);
  }

  // ---------------------------------------------------------------- refs and revisions

  /** Short name of the branch HEAD points at ('main'), or undefined when HEAD is detached. */
  async currentBranch(): Promise<string | undefined> {
    return this.refs.headBranch();
  }

  /** Commit oid of refs/heads/<branch> (loose or packed), or null when the branch does not exist yet. */
  async resolveBranch(branch: string): Promise<string | null> {
    checkBranchName(branch);
    return this.refs.resolve(`refs/heads/${branch}`);
  }

  /**
   * Resolves a revision to a commit oid: a full or abbreviated (>= 4 hex digits) oid, a branch, a tag
   * (peeled), a remote-tracking ref (origin/main), HEAD, followed by any of ~N, ^, ^N, ^0, ^{commit}, ^{}.
   * @throws RESOURCE_DOES_NOT_EXIST `Unknown revision '<rev>'.`; INVALID_PARAMETER_VALUE for an ambiguous short oid.
   */
  async resolveRevision(rev: string): Promise<string> {
    return resolveRevision(this.git, rev);
  }

  // ---------------------------------------------------------------- objects

  async readCommit(oid: string): Promise<CommitInfo> {
    return this.objects.readCommit(oid);
  }

  private async rootTree(commit: string): Promise<string> {
    return (await this.objects.readCommit(await commitOid(this.git, commit))).tree;
  }

  /** Entries of the tree at `path` ('' = root) in `commit`, or null when absent or not a tree. */
  async readTreeAt(commit: string, treePath: string): Promise<TreeEntry[] | null> {
    const p = checkPrefix(treePath);
    const e = await this.objects.entryAt(await this.rootTree(commit), p);
    if (!e || e.type !== 'tree') return null;
    return (await this.objects.treeEntries(e.oid)).map((x) => ({ ...x }));
  }

  /** Oid of the blob or tree at `path` in `commit`, or null. */
  async oidAt(commit: string, p: string): Promise<string | null> {
    const e = await this.objects.entryAt(await this.rootTree(commit), checkPrefix(p));
    return e ? e.oid : null;
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    return this.objects.readBlob(oid);
  }

  /** Bytes of the file at `path` in `commit`, or null. */
  async readFileAt(commit: string, p: string): Promise<Uint8Array | null> {
    const e = await this.objects.entryAt(await this.rootTree(commit), checkRepoPath(p));
    if (!e || e.type !== 'blob') return null;
    return this.objects.readBlob(e.oid);
  }

  /** Every blob under `prefix` ('' = all) at `commit`, recursively, in `git ls-tree -r` order. */
  async listFiles(commit: string, prefix = ''): Promise<Array<{ path: string; oid: string }>> {
    const p = checkPrefix(prefix);
    const e = await this.objects.entryAt(await this.rootTree(commit), p);
    if (!e) return [];
    if (e.type === 'blob') return [{ path: p, oid: e.oid }];
    if (e.type !== 'tree') return [];
    return (await this.objects.listTree(e.oid, p === '' ? '' : p + '/')).map(({ path: fp, oid }) => ({
      path: fp,
      oid,
    }));
  }

  // ---------------------------------------------------------------- diff and log

  /**
   * Blob-level differences between two commits (old null = the empty tree), restricted to `prefix`:
   * a merge of the two trees' entries that skips equal subtrees, in `git diff-tree -r` order.
   */
  async diff(oldCommit: string | null, newCommit: string, prefix?: string): Promise<FileChange[]> {
    const p = checkPrefix(prefix);
    const [a, b] = await Promise.all([oldCommit === null ? null : this.rootTree(oldCommit), this.rootTree(newCommit)]);
    const ops = await diffTrees(this.objects, a, b, p);
    return ops.map((o) => ({ path: o.path, before: o.oldOid, after: o.oid }));
  }

  /**
   * History from `start` (a revision), newest first by committer time; a commit is never yielded before a
   * child of it that is known at that point. With `paths`, only commits whose diff against their first
   * parent touches one of them (prefix match), with those `changes`. Streams: memory stays proportional to
   * the walk's frontier, not to the history.
   */
  async *log(
    start: string,
    opts: { paths?: string[]; limit?: number } = {},
  ): AsyncGenerator<CommitInfo & { changes?: FileChange[] }> {
    const paths = opts.paths?.map((p) => checkPrefix(p));
    yield* log(this.objects, await commitOid(this.git, start), {
      ...(paths ? { paths } : {}),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    });
  }

  /** Whether commit `ancestor` is reachable from commit `descendant` (a commit is its own ancestor). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return isAncestor(this.objects, ancestor, descendant);
  }

  /** The best common ancestor of two commits (what `git merge-base` prints), or null when they share none. */
  async mergeBase(a: string, b: string): Promise<string | null> {
    return mergeBase(this.objects, a, b);
  }

  /**
   * The newest commit on `tip`'s first-parent line made at or before `whenMs` (committer time), or null
   * when there is none within `maxWalk` commits.
   */
  async commitAtTime(tip: string, whenMs: number, maxWalk?: number): Promise<string | null> {
    return commitAtTime(this.objects, tip, whenMs, maxWalk);
  }

  // ---------------------------------------------------------------- work tree

  /**
   * A file of the working tree as git would commit it, or null when absent. A symbolic link reads as the path
   * it holds (what git stores), never as the file it points to, and nothing is read below a linked folder;
   * anything but a file or a link (a FIFO, a device) is absent, as it is to git.
   * @throws INVALID_STATE on a bare repository.
   */
  async readWorkTreeFile(p: string): Promise<Uint8Array | null> {
    return readWorkTreeFile(this.paths, p);
  }

  /** Files of the working tree under `prefix` ('' = all), repo-relative and sorted, without `.git`. */
  async listWorkTreeFiles(prefix = ''): Promise<string[]> {
    return listWorkTreeFiles(this.paths, prefix);
  }

  // ---------------------------------------------------------------- the write path

  /**
   * Commits `changes` on top of `parent` and compare-and-swaps refs/heads/<branch> from `parent` to the new
   * commit. The caller holds withWriteLock. Returns the new commit oid.
   *
   * Only the trees on changed paths are rewritten; deletions that empty a directory remove it from its
   * parent. When the repository has a work tree with `branch` checked out, the changed files and the
   * index are updated too, so `git status` stays clean and native commits see our files.
   * @throws RESOURCE_CONFLICT when the branch no longer points at `parent` (nothing is changed then).
   * @throws INVALID_STATE when a changed path has uncommitted edits in the checkout (nothing is changed then).
   */
  async commit(opts: {
    branch: string;
    parent: string | null;
    changes: ChangeSet;
    message: string;
    author: Signature;
    committer?: Signature;
  }): Promise<string> {
    return commit(this.w, opts);
  }

  /**
   * For --no-commit: applies the changes to the working tree files only (not the index, not the ref).
   * A null deletes the file or the whole directory, then any directory left empty.
   * @throws INVALID_STATE on a bare repository.
   */
  async writeWorkTree(changes: ChangeSet): Promise<void> {
    return writeWorkTree(this.paths, changes);
  }

  /**
   * Runs `fn` holding this repository's inter-process write lock (`<commondir>/mreg-write.lock`). Waiters
   * poll with jittered backoff; in-process callers queue. A lock left by a dead process (or untouched for
   * `staleMs`) is taken over at once, and the crashed writer's leftover git locks and temp files removed.
   * @throws RESOURCE_CONFLICT after `timeoutMs` (default 30 s).
   */
  async withWriteLock<T>(fn: () => Promise<T>, opts: { timeoutMs?: number; staleMs?: number } = {}): Promise<T> {
    return this.lock.run(fn, opts);
  }

  /**
   * Fast-forwards refs/heads/<branch> to `oid` (compare-and-swap under the ref lock) and, when the branch is
   * checked out, updates only the files and index entries that differ between the two commits.
   * @throws RESOURCE_CONFLICT when `oid` does not descend from the branch tip, or the branch moved meanwhile.
   * @throws INVALID_STATE when uncommitted edits would be overwritten.
   */
  async fastForward(branch: string, oid: string): Promise<void> {
    return fastForward(this.w, branch, oid);
  }

  /**
   * Moves refs/heads/<branch> from `from` to `to` whatever their relation (compare-and-swap: RESOURCE_CONFLICT
   * when the branch is not at `from`), updating the checkout by the diff of the two commits. Used to drop
   * a local commit whose push lost a race, before re-applying the operation on the remote's new tip.
   */
  async resetBranch(branch: string, from: string, to: string): Promise<void> {
    return resetBranch(this.w, branch, from, to);
  }

  /** Commit oid of refs/remotes/<remote>/<branch>, or null when it was never fetched. */
  async resolveRemoteBranch(remote: string, branch: string): Promise<string | null> {
    try {
      return await this.resolveRevision(`refs/remotes/${remote}/${branch}`);
    } catch (e) {
      if (e instanceof RegistryError && e.code === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw e;
    }
  }

  // ---------------------------------------------------------------- remote

  /** URL of a configured remote, or undefined. */
  async remoteUrl(remote = 'origin'): Promise<string | undefined> {
    try {
      const v: unknown = await (
        await iso()
      ).git.getConfig({ fs, gitdir: this.commondir, path: `remote.${remote}.url` });
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Fetches refs/heads/<branch> from the remote into refs/remotes/<remote>/<branch> (isomorphic-git over
   * smart HTTP, with the shared cache). Returns that tip, or null when the remote has no such branch.
   */
  async fetch(opts: { remote?: string; url?: string; branch: string }): Promise<string | null> {
    const branch = checkBranchName(opts.branch);
    const remote = opts.remote ?? 'origin';
    checkBranchName(remote);
    const configured = await this.remoteUrl(remote);
    const url = opts.url ?? configured;
    if (!url)
      throw new RegistryError('INVALID_STATE', `No URL for remote '${remote}': configure it or pass one.`, { remote });
    // isomorphic-git looks up the remote's refspec before it writes the packfile: with no remote configured it
    // throws NoRefspecError and stores nothing. A URL given for an unconfigured remote therefore becomes that remote.
    if (!configured) await (await iso()).git.addRemote({ fs, gitdir: this.commondir, remote, url });
    const tracking = `refs/remotes/${remote}/${branch}`;
    // Our best "have": the last fetched tip, else the local branch.
    const have = (await this.refs.resolve(tracking)) !== null ? tracking : `refs/heads/${branch}`;
    let fetched: string | null;
    try {
      const { git, http } = await iso();
      const res = await git.fetch({
        fs,
        http,
        gitdir: this.commondir,
        cache: this.cache,
        url,
        remote,
        ref: have,
        remoteRef: `refs/heads/${branch}`,
        singleBranch: true,
        tags: false,
      });
      fetched = res.fetchHead;
    } catch (e) {
      const code = errCode(e);
      if (code === 'NotFoundError') return null;
      if (code === 'NoRefspecError' && !configured) {
        // A URL with no configured remote: isomorphic-git has stored the objects but not the ref.
        fetched = await this.remoteTip(url, branch);
        if (fetched === null) return null;
      } else {
        throw new RegistryError(
          'INTERNAL_ERROR',
          `Fetch from ${redact(url)} failed: ${(e as Error).message}`,
          { remote, code },
          { cause: e },
        );
      }
    }
    if (fetched === null) return null;
    const written = await this.refs.resolve(tracking);
    if (written !== fetched) {
      // isomorphic-git writes remote refs in place (gotcha 6); make sure the final value is there, atomically.
      const lock = await this.refs.lockForUpdate(tracking, undefined);
      try {
        await lock.write(`${fetched}\n`, FSYNC_REFS);
        await lock.commit();
      } catch (e) {
        await lock.rollback();
        throw e;
      }
    }
    return fetched;
  }

  private async remoteTip(url: string, branch: string): Promise<string | null> {
    const { git, http } = await iso();
    const refs = await git.listServerRefs({ http, url, prefix: `refs/heads/${branch}` });
    return refs.find((r) => r.ref === `refs/heads/${branch}`)?.oid ?? null;
  }

  /**
   * Pushes refs/heads/<branch> to the remote, expecting the remote branch at `expectedRemoteTip` (null: absent).
   * Sends one pack holding exactly the objects of the new commits that the remote cannot have: for each new
   * commit, subtrees and blobs equal to its parents' at the same path are skipped, so the cost follows the
   * change, not the repository. Returns ok:false with reason 'conflict' when the remote tip is not the
   * expected one (fetch, re-apply, retry) and 'rejected' when the server refuses the update.
   * @throws INTERNAL_ERROR on transport errors.
   */
  async push(opts: {
    remote?: string;
    url?: string;
    branch: string;
    expectedRemoteTip: string | null;
  }): Promise<PushResult> {
    const branch = checkBranchName(opts.branch);
    const remote = opts.remote ?? 'origin';
    const configured = await this.remoteUrl(remote);
    const url = opts.url ?? configured;
    if (!url)
      throw new RegistryError('INVALID_STATE', `No URL for remote '${remote}': configure it or pass one.`, { remote });
    const local = await this.resolveBranch(branch);
    if (local === null) throw new RegistryError('INVALID_STATE', `Branch '${branch}' does not exist.`, { branch });
    const refName = `refs/heads/${branch}`;

    const adv = await discoverReceivePack(url);
    const remoteTip = adv.refs.get(refName) ?? null;
    if (remoteTip !== opts.expectedRemoteTip) {
      return {
        ok: false,
        reason: 'conflict',
        message: `The remote branch is at ${remoteTip ?? 'nothing'}, not ${opts.expectedRemoteTip ?? 'nothing'}: fetch and retry.`,
        objectCount: 0,
      };
    }
    if (remoteTip === local) return { ok: true, objectCount: 0 };
    if (remoteTip !== null && !(await this.objects.hasObject(remoteTip))) {
      return {
        ok: false,
        reason: 'conflict',
        message: `The remote tip ${remoteTip} is unknown here: fetch and retry.`,
        objectCount: 0,
      };
    }

    const { commits, containsOther: fastForward } = await commitsNotIn(this.objects, local, remoteTip);
    if (!fastForward) {
      return {
        ok: false,
        reason: 'rejected',
        message: `Non-fast-forward: ${branch} does not contain the remote tip ${remoteTip}. Fetch and retry.`,
        objectCount: 0,
      };
    }
    const objects = await this.objectsToSend(commits);
    const pack = await buildPack(objects);
    const report = await sendReceivePack(url, [{ old: remoteTip ?? ZERO_OID, new: local, ref: refName }], pack);
    if (!report.unpackOk) {
      throw new RegistryError(
        'INTERNAL_ERROR',
        `The server could not unpack the pushed objects: ${report.unpackMessage}`,
        { remote },
      );
    }
    const status = report.refs.get(refName);
    if (!status?.ok) {
      const message = status?.message ?? 'no status reported';
      // receive-pack's own compare-and-swap failed: someone else pushed between our two requests.
      const raced = /failed to (update|lock)|cannot lock|stale info|fetch first|non-fast-forward/i.test(message);
      return {
        ok: false,
        reason: raced ? 'conflict' : 'rejected',
        message: `The remote refused ${refName}: ${message}`,
        objectCount: objects.length,
      };
    }
    if (configured !== undefined && (opts.url === undefined || opts.url === configured)) {
      const tracking = `refs/remotes/${remote}/${branch}`;
      const lock = await this.refs.lockForUpdate(tracking, undefined).catch(() => undefined);
      if (lock) {
        try {
          await lock.write(`${local}\n`, FSYNC_REFS);
          await lock.commit();
        } catch {
          await lock.rollback();
        }
      }
    }
    return { ok: true, objectCount: objects.length };
  }

  /**
   * Objects of `commits` the remote lacks: each commit, plus its trees and blobs except those equal to one of
   * its parents' at the same path. Sound because every parent is either in `commits` (so sent, recursively)
   * or on the remote with all its objects.
   */
  private async objectsToSend(commits: readonly CommitInfo[]): Promise<PackObject[]> {
    const sent = new Set<string>();
    const order: Array<{ oid: string; type: ObjectType }> = [];
    const add = (oid: string, type: ObjectType): boolean => {
      if (sent.has(oid)) return false;
      sent.add(oid);
      order.push({ oid, type });
      return true;
    };
    const walk = async (tree: string, theirs: readonly string[]): Promise<void> => {
      if (theirs.includes(tree) || !add(tree, 'tree')) return;
      const [entries, parentEntries] = await Promise.all([
        this.objects.treeEntries(tree),
        Promise.all(theirs.map((t) => this.objects.treeEntries(t))),
      ]);
      const subtasks: Array<Promise<void>> = [];
      for (const e of entries) {
        if (e.type === 'commit') continue; // gitlinks point into other repositories
        const same = parentEntries.map((pe) => findEntry(pe, e.path)).filter((x): x is TreeEntry => x !== null);
        if (same.some((x) => x.oid === e.oid)) continue;
        if (e.type === 'blob') add(e.oid, 'blob');
        else
          subtasks.push(
            walk(
              e.oid,
              same.filter((x) => x.type === 'tree').map((x) => x.oid),
            ),
          );
      }
      await Promise.all(subtasks);
    };
    for (const c of commits) {
      add(c.oid, 'commit');
      const parentTrees = await Promise.all(c.parents.map(async (p) => (await this.readCommit(p)).tree));
      await walk(c.tree, parentTrees);
    }
    return mapLimit(order, IO_CONCURRENCY, async ({ oid, type }) => {
      const obj = await this.objects.readRaw(oid);
      if (obj.type !== type)
        throw new RegistryError('INTERNAL_ERROR', `Object ${oid} is a ${obj.type}, expected a ${type}.`);
      return { type, body: obj.body };
    });
  }
}

export { EMPTY_TREE_OID };
