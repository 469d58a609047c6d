// The write side of a git repository: everything the reader does, plus commits, the --no-commit work-tree
// writes, the write lock, branch moves (fast-forward, reset) and push. Used by the library (src/registry/);
// the daemon never imports it (architecture.test.ts).
//
// Objects are written atomically (object-writer.ts), only the trees on changed paths are rewritten
// (commit.ts), and a branch moves by compare-and-swap under native git's lockfile protocol (refs.ts), never
// through git.writeRef, git.commit or git.add (gotchas 4-7, 17). In a checkout, the index is patched in
// place (checkout.ts) so native git sees a clean tree and never commits from a stale index (gotcha 18).
import path from 'node:path';
import { commit, writeCommit } from './commit.js';
import { fastForward, resetBranch } from './move-branch.js';
import { ObjectWriter } from './object-writer.js';
import type { Signature } from './objects.js';
import { push, type PushResult } from './push.js';
import { GitReader } from './reader.js';
import { RefStore } from './refs.js';
import { initRepository, locateRepository, type LocateOptions, type RepoPaths } from './repository.js';
import { writeWorkTree } from './work-tree-writes.js';
import type { ChangeSet, WriteContext } from './write-context.js';
import { WriteLock } from './write-lock.js';

export type { ChangeSet } from './write-context.js';
export type { PushResult } from './push.js';

export class GitWriter extends GitReader {
  private readonly lock: WriteLock;
  private readonly w: WriteContext;
  /** The same, with an object writer that keeps objects in memory until flushObjects() (writeCommit). */
  private readonly deferred: WriteContext;

  protected constructor(paths: RepoPaths) {
    const lock = new WriteLock(paths);
    // Every git lock a writer takes (refs, index) is recorded for the next writer's crash recovery.
    super(paths, new RefStore(paths.gitdir, paths.commondir, lock.tracker, paths.fsync.refs));
    this.lock = lock;
    this.w = {
      ...this.git,
      writer: new ObjectWriter(this.git.objects, path.join(paths.commondir, 'objects'), false, paths.fsync.objects),
      tracker: lock.tracker,
    };
    this.deferred = {
      ...this.w,
      writer: new ObjectWriter(this.git.objects, path.join(paths.commondir, 'objects'), true, paths.fsync.objects),
    };
  }

  /** Opens a repository for writing (see GitReader.open). */
  static override async open(dir: string, opts: LocateOptions = {}): Promise<GitWriter> {
    return new GitWriter(await locateRepository(dir, opts));
  }

  /**
   * Creates a repository (no commit) whose HEAD names `branch` (default 'main'), then opens it. An existing
   * repository is opened untouched.
   */
  static override async init(dir: string, opts: { bare?: boolean; branch?: string } = {}): Promise<GitWriter> {
    await initRepository(dir, opts);
    return GitWriter.open(dir);
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
   * Builds a commit of `changes` on top of `parent` (which may itself be a commit built here and not yet
   * flushed) and returns its oid, moving no ref. Its objects stay in memory, readable through this repository,
   * until flushObjects() writes them: a long-lived writer chains several commits this way and publishes them
   * together with one resetBranch.
   */
  async writeCommit(opts: {
    parent: string | null;
    changes: ChangeSet;
    message: string;
    author: Signature;
    committer?: Signature;
  }): Promise<string> {
    return writeCommit(this.deferred, opts);
  }

  /** Writes the objects writeCommit kept in memory (before any ref points at them). Returns how many were new. */
  flushObjects(): number {
    return this.deferred.writer.flush();
  }

  /** Forgets the objects writeCommit kept in memory: their commits will never be published. */
  dropObjects(): void {
    this.deferred.writer.drop();
  }

  /**
   * For --no-commit: applies the changes to the working tree files only (not the index, not the ref).
   * A null deletes the file or the whole directory, then any directory left empty.
   * @throws INVALID_STATE on a bare repository.
   */
  async writeWorkTree(changes: ChangeSet): Promise<void> {
    return writeWorkTree(this.git.paths, changes);
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
   * Moves refs/heads/<branch> from `from` (null: absent) to `to` whatever their relation (compare-and-swap:
   * RefMovedError when the branch is not at `from`), updating the checkout by the diff of the two commits.
   * Publishes commits chained by writeCommit (`reflog` says what they are), and drops a local commit whose
   * push lost a race, before re-applying the operation on the remote's new tip.
   */
  async resetBranch(branch: string, from: string | null, to: string, reflog?: string): Promise<void> {
    return resetBranch(this.w, branch, from, to, reflog);
  }

  /**
   * Pushes refs/heads/<branch> to the remote, expecting the remote branch at `expectedRemoteTip` (null:
   * absent); see push.ts. Returns ok:false with reason 'conflict' (fetch, re-apply, retry) or 'rejected'.
   * @throws INTERNAL_ERROR on transport errors.
   */
  async push(opts: {
    remote?: string;
    url?: string;
    branch: string;
    expectedRemoteTip: string | null;
  }): Promise<PushResult> {
    return push(this.w, opts);
  }
}
