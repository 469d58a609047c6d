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
import { randomBytes } from 'node:crypto';
import fs, { promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { RegistryError } from '../errors.js';
import { mapLimit } from '../util/concurrency.js';
import { heldLock, withFileLock, type LockOwner } from '../util/lock.js';
import type { GitContext } from './git/context.js';
import {
  buildIndex,
  GitIndexFile,
  statFromStats,
  statMatches,
  UnsupportedIndexError,
  type IndexUpsert,
  type StatData,
} from './git/index-file.js';
import { errCode, IO_CONCURRENCY, isMissing } from './git/io.js';
import { iso } from './git/iso.js';
import { GitLockFile, type LockTracker } from './git/lockfile.js';
import { ObjectReader } from './git/object-reader.js';
import {
  checkBranchName,
  checkPrefix,
  checkRepoPath,
  compareTreeNames,
  comparePaths,
  EMPTY_TREE_OID,
  findEntry,
  hashObject,
  OID_RE,
  parseCommit,
  serializeCommit,
  serializeTree,
  ZERO_OID,
  type CommitInfo,
  type ObjectType,
  type Signature,
  type TreeEntry,
} from './git/objects.js';
import { buildPack, type PackObject } from './git/pack-writer.js';
import { discoverReceivePack, redact, sendReceivePack } from './git/receive-pack.js';
import { RefStore } from './git/refs.js';
import { initRepository, locateRepository, type RepoPaths } from './git/repository.js';
import { commitOid, resolveRevision } from './git/revisions.js';
import { diffTrees, type FileChange, type FileOp } from './git/tree-diff.js';
import { commitAtTime, commitsNotIn, isAncestor, mergeBase } from './git/ancestry.js';
import { log } from './git/log.js';
import { writeLooseObject } from './git/object-writer.js';

export type { CommitInfo, Signature, TreeEntry } from './git/objects.js';
export type { FileChange } from './git/tree-diff.js';

/** content = new file bytes; null = delete that path (a file, or a whole directory subtree). */
export type ChangeSet = Map<string, Uint8Array | null>;

export interface PushResult {
  ok: boolean;
  reason?: 'rejected' | 'conflict';
  message?: string;
  /** Objects sent in the pack (0 when nothing needed sending). */
  objectCount?: number;
}

/** Leftover git locks older than this are removed when a crashed mreg writer's lock is taken over. */
const CRASH_LEFTOVER_MS = 2_000;
/**
 * fsync as native git does by default (core.fsync=committed,-loose-object): the ref lock before it is renamed
 * onto the ref, not loose objects nor the index. (On ext4's default data=ordered the ref's fsync commits the
 * journal, which writes the new objects' data too.)
 */
const FSYNC_REFS = true;
const FSYNC_OBJECTS = false;

/** What a writer records before touching the work tree (see recoverCheckout). */
interface CheckoutJournal {
  version: 1;
  pid: number;
  branch: string;
  from: string | null;
  to: string;
  ops: FileOp[];
}

interface UpToDateContext {
  index: GitIndexFile | undefined;
  indexMtime: { sec: number; nsec: number } | undefined;
  /** Paths this update deletes. */
  deleted: ReadonlySet<string>;
  /** Whether a non-directory that this update does not delete sits at `dir` (memoised). */
  isBlockingFile(dir: string): Promise<boolean>;
  /** The first folder on the way to `rel` that is a symbolic link, or null (memoised per folder). */
  linkedFolder(rel: string): Promise<string | null>;
}

interface ChangeNode {
  children: Map<string, ChangeNode>;
  write?: Uint8Array;
  remove?: boolean;
}

/** Whether a process with this pid runs on this host (EPERM: it does, under another user). */
function isPidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errCode(e) !== 'ESRCH';
  }
}

export class GitRepo {
  /** One long-lived isomorphic-git cache object, passed to every isomorphic-git call (gotcha 1). */
  readonly cache: object;
  readonly dir: string;
  readonly gitdir: string;
  readonly bare: boolean;
  /** Where refs, objects and config live: gitdir, except in a linked work tree. */
  private readonly commondir: string;
  private readonly logRefUpdates: boolean;
  private readonly refs: RefStore;
  private readonly objectsDir: string;
  private readonly objects: ObjectReader;
  private readonly git: GitContext;
  /** Git lock files this process holds under the write lock, by path → inode (see removeCrashLeftovers). */
  private readonly tracked = new Map<string, number>();
  private trackedToken = '';
  private readonly tracker: LockTracker = {
    acquired: async (lockPath, ino) => {
      const owner = heldLock(this.writeLockPath);
      if (!owner) return;
      this.tracked.set(lockPath, ino);
      this.trackedToken = owner.token;
      await this.saveTracked();
    },
    released: async (lockPath) => {
      if (this.tracked.delete(lockPath)) await this.saveTracked();
    },
  };

  private constructor(paths: RepoPaths) {
    this.dir = paths.dir;
    this.gitdir = paths.gitdir;
    this.bare = paths.bare;
    this.commondir = paths.commondir;
    this.logRefUpdates = paths.logRefUpdates;
    this.refs = new RefStore(paths.gitdir, paths.commondir, this.tracker);
    this.objectsDir = path.join(paths.commondir, 'objects');
    this.objects = new ObjectReader(paths.commondir, paths.dir);
    this.cache = this.objects.cache;
    this.git = { paths, objects: this.objects, refs: this.refs };
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

  // ---------------------------------------------------------------- the write path

  private async writeObject(type: ObjectType, body: Uint8Array): Promise<string> {
    return this.objects.limit(() => writeLooseObject(this.objectsDir, type, body, FSYNC_OBJECTS));
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
    const branch = checkBranchName(opts.branch);
    if (opts.parent !== null && !OID_RE.test(opts.parent))
      throw RegistryError.invalid(`Invalid parent commit '${opts.parent}'.`);
    const tree = buildChangeTree(opts.changes);
    const committer = opts.committer ?? opts.author;
    const parentTree = opts.parent === null ? null : (await this.readCommit(opts.parent)).tree;

    // 1. Objects: blobs, the trees on changed paths, the commit. Unreferenced until the ref moves, so a
    //    crash here leaves only garbage that `git gc` prunes.
    const ops = new Map<string, FileOp>();
    const contents = new Map<string, Uint8Array>();
    const root =
      (await this.buildTree(parentTree, tree, '', ops, contents)) ?? (await this.writeObject('tree', Buffer.alloc(0)));
    const body = serializeCommit({
      tree: root,
      parents: opts.parent === null ? [] : [opts.parent],
      author: opts.author,
      committer,
      message: opts.message,
    });
    const oid = await this.writeObject('commit', body);
    this.objects.rememberCommit(parseCommit(oid, body));

    const subject = opts.message.split('\n', 1)[0] ?? '';
    await this.moveBranch({
      branch,
      expected: opts.parent,
      newOid: oid,
      newTree: root,
      ops: [...ops.values()].sort((x, y) => comparePaths(x.path, y.path)),
      content: async (op) => contents.get(op.path) ?? this.readBlob(op.oid!),
      who: committer,
      reflog: `commit${opts.parent === null ? ' (initial)' : ''}: ${subject}`,
    });
    return oid;
  }

  /**
   * Rewrites the tree `oldOid` (null = none) with the changes below `node`; returns the new oid, or null
   * when the tree ends up empty. Records every file-level change in `ops` (deleted subtrees file by file).
   */
  private async buildTree(
    oldOid: string | null,
    node: ChangeNode,
    prefix: string,
    ops: Map<string, FileOp>,
    contents: Map<string, Uint8Array>,
  ): Promise<string | null> {
    const old = oldOid === null ? [] : await this.objects.treeEntries(oldOid);
    const edits = new Map<string, TreeEntry | null>();
    const record = (op: FileOp): void => {
      const prev = ops.get(op.path);
      // A subtree deleted and a file written at the same path: one op from the old to the new version.
      ops.set(op.path, prev ? { ...op, oldOid: prev.oldOid ?? op.oldOid, oldMode: prev.oldMode ?? op.oldMode } : op);
    };
    const recordDeletion = async (e: TreeEntry, p: string): Promise<void> => {
      if (e.type !== 'tree') {
        record({ path: p, oid: null, mode: null, oldOid: e.oid, oldMode: e.mode });
        return;
      }
      for (const f of await this.objects.listTree(e.oid, p + '/', true))
        record({ path: f.path, oid: null, mode: null, oldOid: f.oid, oldMode: f.mode });
    };
    await Promise.all(
      [...node.children].map(async ([name, child]) => {
        const before = findEntry(old, name);
        const p = prefix + name;
        if (child.write) {
          const oid = await this.writeObject('blob', child.write);
          const mode = before?.mode === '100755' ? '100755' : '100644';
          if (before && before.type !== 'tree' && before.oid === oid && before.mode === mode) return;
          if (before?.type === 'tree') await recordDeletion(before, p);
          const replaced = before && before.type !== 'tree' ? before : null;
          record({ path: p, oid, mode, oldOid: replaced?.oid ?? null, oldMode: replaced?.mode ?? null });
          contents.set(p, child.write);
          edits.set(name, { path: name, oid, mode, type: 'blob' });
          return;
        }
        let base: string | null = null;
        if (before) {
          if (child.remove || before.type !== 'tree') await recordDeletion(before, p);
          else base = before.oid;
        }
        const sub = child.children.size === 0 ? null : await this.buildTree(base, child, p + '/', ops, contents);
        if (before && sub === base && !child.remove && before.type === 'tree') return; // unchanged
        if (sub === null) {
          if (before) edits.set(name, null);
          return;
        }
        edits.set(name, { path: name, oid: sub, mode: '040000', type: 'tree' });
      }),
    );
    if (edits.size === 0) return oldOid;
    const entries = applyTreeEdits(old, edits);
    if (entries.length === 0) return null;
    const oid = await this.writeObject('tree', serializeTree(entries));
    this.objects.rememberTree(oid, entries);
    return oid;
  }

  /**
   * Moves refs/heads/<branch> from `expected` to `newOid`, updating the checkout when `branch` is checked out.
   *
   * Step order, and what a SIGKILL between two steps leaves behind:
   *   (objects already written)
   *   1. take `<ref>.lock` (O_EXCL), verify the ref still equals `expected`, write and fsync the new value
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
  private async moveBranch(u: {
    branch: string;
    expected: string | null;
    newOid: string;
    newTree: string;
    ops: FileOp[];
    content: (op: FileOp) => Promise<Uint8Array>;
    who: Signature;
    reflog: string;
  }): Promise<void> {
    const refName = `refs/heads/${u.branch}`;
    const refLock = await this.refs.lockForUpdate(refName, u.expected);
    let journaled = false;
    try {
      await refLock.write(`${u.newOid}\n`, FSYNC_REFS);
      const headBranch = await this.refs.headBranch();
      if (!this.bare && headBranch === u.branch) {
        await this.recoverCheckout(u.branch, u.expected);
        journaled = await this.updateCheckout(u.ops, u.content, u.newTree, {
          journal: { branch: u.branch, from: u.expected, to: u.newOid },
        });
      }
      if (this.logRefUpdates || (await this.hasReflog(refName))) {
        await this.refs.appendReflog(refName, u.expected, u.newOid, u.who, u.reflog);
        if (headBranch === u.branch) await this.refs.appendReflog('HEAD', u.expected, u.newOid, u.who, u.reflog);
      }
      await refLock.commit();
    } catch (e) {
      await refLock.rollback();
      throw e;
    }
    // After the ref moved: a crash before this line leaves a journal whose `to` is the ref, which the next
    // writer "rolls forward" (a no-op on a checkout that is already at `to`).
    if (journaled) await fsp.rm(this.journalPath, { force: true });
  }

  private get journalPath(): string {
    return path.join(this.gitdir, 'mreg-checkout.json');
  }

  /**
   * Repairs the checkout after a writer died between its first work-tree write and its ref rename (steps
   * 3-5 of moveBranch). It left `mreg-checkout.json`: the branch, the commits it moved from and to, and the
   * file changes. We hold the branch's ref lock, so that writer is gone; the ref tells which state won:
   * at `from`, its file and index changes are undone; at `to` (it died after the rename), they are redone.
   * Paths edited by hand since are left as they are. Without this, the half-written files would count
   * as uncommitted edits and block every later write to them.
   */
  private async recoverCheckout(branch: string, current: string | null): Promise<void> {
    let journal: CheckoutJournal;
    try {
      journal = JSON.parse(await fsp.readFile(this.journalPath, 'utf8')) as CheckoutJournal;
    } catch (e) {
      if (!isMissing(e)) await fsp.rm(this.journalPath, { force: true });
      return;
    }
    if (journal.branch === branch && (current === journal.from || current === journal.to)) {
      const forward = current === journal.to && journal.to !== journal.from;
      const ops = forward
        ? journal.ops
        : journal.ops.map((op) => ({
            path: op.path,
            oid: op.oldOid,
            mode: op.oldMode,
            oldOid: op.oid,
            oldMode: op.mode,
          }));
      const target = forward ? journal.to : journal.from;
      const tree = target === null ? null : await this.rootTree(target);
      await this.updateCheckout(ops, (op) => this.readBlob(op.oid!), tree, { lenient: true });
    }
    await fsp.rm(this.journalPath, { force: true });
  }

  private async hasReflog(refName: string): Promise<boolean> {
    return fsp.stat(path.join(this.commondir, 'logs', refName)).then(
      () => true,
      () => false,
    );
  }

  /**
   * Steps 2-4 of moveBranch: work-tree files and the index, under index.lock. With `journal`, records the
   * changes in `mreg-checkout.json` before the first file is touched (returns true then). `lenient` (for
   * recovery) skips paths with uncommitted edits instead of refusing.
   */
  private async updateCheckout(
    allOps: FileOp[],
    content: (op: FileOp) => Promise<Uint8Array>,
    newTree: string | null,
    opts: { journal?: { branch: string; from: string | null; to: string }; lenient?: boolean },
  ): Promise<boolean> {
    const indexPath = path.join(this.gitdir, 'index');
    const lock = await GitLockFile.acquire(indexPath, { tracker: this.tracker });
    let journaled = false;
    try {
      let index: GitIndexFile | undefined;
      let indexMtime: { sec: number; nsec: number } | undefined;
      try {
        const [buf, st] = await Promise.all([fsp.readFile(indexPath), fsp.stat(indexPath, { bigint: true })]);
        indexMtime = { sec: Number(st.mtimeNs / 1_000_000_000n), nsec: Number(st.mtimeNs % 1_000_000_000n) };
        index = GitIndexFile.parse(buf);
      } catch (e) {
        if (!(e instanceof UnsupportedIndexError) && !isMissing(e)) throw e;
      }

      const deleted = new Set(allOps.filter((op) => op.oid === null).map((op) => op.path));
      const fileInTheWay = new Map<string, Promise<boolean>>();
      const links = new Map<string, Promise<string | null>>();
      const ctx: UpToDateContext = {
        index,
        indexMtime,
        deleted,
        linkedFolder: (rel) => this.linkedFolder(rel, links),
        isBlockingFile: (dir) => {
          let hit = fileInTheWay.get(dir);
          if (!hit) {
            hit = fsp.lstat(path.join(this.dir, dir)).then(
              (st) => !st.isDirectory() && !deleted.has(dir),
              () => false,
            );
            fileInTheWay.set(dir, hit);
          }
          return hit;
        },
      };
      const dirty = new Set(
        (
          await mapLimit(allOps, IO_CONCURRENCY, async (op) => ((await this.isUpToDate(op, ctx)) ? null : op.path))
        ).filter((p): p is string => p !== null),
      );
      if (dirty.size > 0 && !opts.lenient) {
        const list = [...dirty];
        const shown = list.slice(0, 5).join(', ') + (list.length > 5 ? ` and ${list.length - 5} more` : '');
        throw new RegistryError(
          'INVALID_STATE',
          `Uncommitted changes in the working tree would be overwritten: ${shown}. Commit, stash or discard them first.`,
          { paths: list },
        );
      }
      const ops = dirty.size > 0 ? allOps.filter((op) => !dirty.has(op.path)) : allOps;
      if (opts.journal) {
        const journal: CheckoutJournal = { version: 1, pid: process.pid, ...opts.journal, ops: allOps };
        const tmp = `${this.journalPath}.${randomBytes(4).toString('hex')}.tmp`;
        await fsp.writeFile(tmp, JSON.stringify(journal));
        await fsp.rename(tmp, this.journalPath);
        journaled = true;
      }

      // Deletions first (a deleted file may be where a new directory goes), then empty directories, then writes.
      const files = ops.filter((op) => op.mode !== '160000' && op.oldMode !== '160000');
      const deletions = files.filter((op) => op.oid === null);
      await mapLimit(deletions, IO_CONCURRENCY, async (op) => {
        try {
          await fsp.unlink(path.join(this.dir, op.path));
        } catch (e) {
          if (!isMissing(e)) throw e;
        }
      });
      await this.pruneEmptyDirs(deletions.map((op) => op.path));
      const stats = new Map<string, StatData>();
      await mapLimit(
        files.filter((op) => op.oid !== null),
        IO_CONCURRENCY,
        async (op) => {
          const st = await this.writeWorkFile(op.path, await content(op), op.mode ?? '100644');
          stats.set(op.path, statFromStats(st));
        },
      );

      let data: Buffer[];
      const upserts: IndexUpsert[] = allOps
        .filter((op) => op.oid !== null)
        .map((op) => ({
          path: op.path,
          oid: op.oid!,
          mode: parseInt(op.mode ?? '100644', 8),
          stat: stats.get(op.path) ?? null,
        }));
      if (index) {
        data = index.patchChunks(
          upserts,
          allOps.filter((op) => op.oid === null).map((op) => op.path),
        );
      } else {
        // No index yet (first commit of a fresh repository) or one we cannot patch (split/sparse index):
        // write one for the whole tree; entries we did not just write get no stat data, so git re-hashes them once.
        const all = newTree === null ? [] : await this.objects.listTree(newTree, '', true);
        data = [
          buildIndex(
            all.map((f) => ({ path: f.path, oid: f.oid, mode: parseInt(f.mode, 8), stat: stats.get(f.path) ?? null })),
          ),
        ];
      }
      // Not fsynced, like native git (core.fsync leaves the index out): it is derived data, and a torn
      // index after a power loss is rebuilt from HEAD with `git reset`.
      await lock.write(data, false);
      await lock.commit();
      return journaled;
    } catch (e) {
      await lock.rollback();
      throw e;
    }
  }

  /**
   * Whether a path can be overwritten without losing uncommitted work: the index holds the old (or the new)
   * version, and the work-tree file is absent, or holds the old or the new content. A directory where a
   * file goes must hold only files this update deletes; no untracked file may sit where a directory goes.
   */
  private async isUpToDate(op: FileOp, ctx: UpToDateContext): Promise<boolean> {
    if (op.mode === '160000' || op.oldMode === '160000') return true;
    // Below a linked folder the path is not in the work tree at all: fine when this update removes the link
    // (git has it as a file), never to be written or deleted through otherwise.
    const link = await ctx.linkedFolder(op.path);
    if (link !== null) return ctx.deleted.has(link);
    const entry = ctx.index?.lookup(op.path);
    if (ctx.index) {
      const staged = entry?.oid ?? null;
      if (staged !== op.oldOid && staged !== op.oid) return false;
    }
    if (op.oid !== null && op.oldOid === null) {
      for (let s = op.path.indexOf('/'); s >= 0; s = op.path.indexOf('/', s + 1)) {
        if (await ctx.isBlockingFile(op.path.slice(0, s))) return false;
      }
    }
    const abs = path.join(this.dir, op.path);
    let st: BigIntStats;
    try {
      st = await fsp.lstat(abs, { bigint: true });
    } catch (e) {
      if (isMissing(e)) return true;
      throw e;
    }
    if (st.isDirectory()) {
      if (op.oid === null) return false;
      const inside = await this.listWorkTreeFiles(op.path);
      return inside.every((f) => ctx.deleted.has(f));
    }
    if (entry && statMatches(entry, st, ctx.indexMtime)) return true;
    const data = st.isSymbolicLink() ? Buffer.from(await fsp.readlink(abs)) : await fsp.readFile(abs);
    const h = hashObject('blob', data);
    return h === op.oldOid || h === op.oid;
  }

  /**
   * The first folder on the way to the work-tree path `rel` (itself excluded) that is a symbolic link, or null.
   * Git stores a link as a file, so nothing below one is in the work tree; reading or writing through it would
   * reach outside the repository (a pull request can commit `models/x -> /etc`). `memo` caches by folder.
   */
  private async linkedFolder(rel: string, memo?: Map<string, Promise<string | null>>): Promise<string | null> {
    const dir = path.posix.dirname(rel);
    if (dir === '.' || dir === '') return null;
    let hit = memo?.get(dir);
    if (!hit) {
      hit = (async () => {
        const above = await this.linkedFolder(dir, memo);
        if (above !== null) return above;
        const st = await fsp.lstat(path.join(this.dir, dir)).catch(() => undefined);
        return st?.isSymbolicLink() ? dir : null;
      })();
      memo?.set(dir, hit);
    }
    return hit;
  }

  private async refuseLinkedFolder(rel: string): Promise<void> {
    const link = await this.linkedFolder(rel);
    if (link !== null) {
      throw new RegistryError(
        'INVALID_STATE',
        `Cannot write '${rel}': '${link}' is a symbolic link, and mreg never writes through one (it could point outside the repository).`,
        { path: rel, link },
      );
    }
  }

  /** Writes a work-tree file atomically: a temp file in `<gitdir>/mreg-tmp` renamed into place. Returns its lstat. */
  private async writeWorkFile(rel: string, data: Uint8Array, mode: string): Promise<BigIntStats> {
    await this.refuseLinkedFolder(rel);
    const abs = path.join(this.dir, rel);
    try {
      await fsp.mkdir(path.dirname(abs), { recursive: true });
    } catch (e) {
      throw new RegistryError(
        'INVALID_STATE',
        `Cannot create the directory of '${rel}': an untracked file is in the way.`,
        { path: rel },
        { cause: e },
      );
    }
    // Temp files live in the git directory: a crash leaves them out of `git status`, and the next stale-lock
    // takeover deletes them. Same file system as the work tree in every normal layout (EXDEV falls back).
    const tmpDir = path.join(this.gitdir, 'mreg-tmp');
    await fsp.mkdir(tmpDir, { recursive: true });
    let tmp = path.join(tmpDir, randomBytes(8).toString('hex'));
    const create = async (file: string): Promise<void> => {
      if (mode === '120000') await fsp.symlink(Buffer.from(data).toString(), file);
      else await fsp.writeFile(file, data, { mode: mode === '100755' ? 0o777 : 0o666, flag: 'wx' });
    };
    await create(tmp);
    try {
      await fsp.rename(tmp, abs);
    } catch (e) {
      await fsp.unlink(tmp).catch(() => undefined);
      if (errCode(e) === 'EXDEV') {
        tmp = `${abs}.mreg-${randomBytes(4).toString('hex')}.tmp`;
        await create(tmp);
        await fsp.rename(tmp, abs);
      } else if (errCode(e) === 'EISDIR' || errCode(e) === 'ENOTEMPTY' || errCode(e) === 'EEXIST') {
        throw new RegistryError(
          'INVALID_STATE',
          `Cannot write '${rel}': an untracked directory is in the way.`,
          { path: rel },
          { cause: e },
        );
      } else {
        throw e;
      }
    }
    return fsp.lstat(abs, { bigint: true });
  }

  /** Removes directories left empty by deletions, deepest first, up to (not including) the work tree root. */
  private async pruneEmptyDirs(deleted: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const p of deleted) {
      const d = path.posix.dirname(p);
      if (d !== '.') dirs.add(d);
    }
    const sorted = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1));
    const done = new Set<string>();
    for (const start of sorted) {
      let d = start;
      while (d !== '.' && !done.has(d)) {
        done.add(d);
        try {
          await fsp.rmdir(path.join(this.dir, d));
        } catch {
          break; // not empty (or already gone): its parents are not empty either
        }
        d = path.posix.dirname(d);
      }
    }
  }

  /**
   * For --no-commit: applies the changes to the working tree files only (not the index, not the ref).
   * A null deletes the file or the whole directory, then any directory left empty.
   * @throws INVALID_STATE on a bare repository.
   */
  async writeWorkTree(changes: ChangeSet): Promise<void> {
    this.requireWorkTree();
    const entries = [...changes].map(([p, c]) => [checkRepoPath(p), c] as const);
    for (const [p] of entries) await this.refuseLinkedFolder(p);
    const deletions = entries.filter(([, c]) => c === null).map(([p]) => p);
    for (const p of deletions) await fsp.rm(path.join(this.dir, p), { recursive: true, force: true });
    await this.pruneEmptyDirs(deletions);
    await mapLimit(
      entries.filter((e): e is readonly [string, Uint8Array] => e[1] !== null),
      IO_CONCURRENCY,
      async ([p, c]) => {
        const st = await fsp.lstat(path.join(this.dir, p)).catch(() => undefined);
        const executable = st?.isFile() && (st.mode & 0o100) !== 0;
        await this.writeWorkFile(p, c, executable ? '100755' : '100644');
      },
    );
  }

  /**
   * A file of the working tree as git would commit it, or null when absent. A symbolic link reads as the path
   * it holds (what git stores), never as the file it points to, and nothing is read below a linked folder;
   * anything but a file or a link (a FIFO, a device) is absent, as it is to git. So the links of a pull request
   * cannot make `mreg validate` read, and print, files from outside the repository, nor hang on /dev/zero.
   * @throws INVALID_STATE on a bare repository.
   */
  async readWorkTreeFile(p: string): Promise<Uint8Array | null> {
    this.requireWorkTree();
    const rel = checkRepoPath(p);
    if ((await this.linkedFolder(rel)) !== null) return null;
    const abs = path.join(this.dir, rel);
    try {
      const st = await fsp.lstat(abs);
      if (st.isSymbolicLink()) return await fsp.readlink(abs, { encoding: 'buffer' });
      if (!st.isFile()) return null;
      return await fsp.readFile(abs, { flag: fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) });
    } catch (e) {
      if (isMissing(e) || errCode(e) === 'EISDIR' || errCode(e) === 'ELOOP') return null;
      throw e;
    }
  }

  /** Files of the working tree under `prefix` ('' = all), repo-relative and sorted, without `.git`. */
  async listWorkTreeFiles(prefix = ''): Promise<string[]> {
    this.requireWorkTree();
    const p = checkPrefix(prefix);
    const out: string[] = [];
    if (p !== '' && (await this.linkedFolder(`${p}/-`)) !== null) return [];
    const top = await fsp.lstat(path.join(this.dir, p)).catch(() => undefined);
    if (!top) return [];
    if (!top.isDirectory()) return [p];
    let level = [p];
    while (level.length > 0) {
      const next: string[] = [];
      await mapLimit(level, IO_CONCURRENCY, async (d) => {
        const dirents = await fsp.readdir(path.join(this.dir, d), { withFileTypes: true }).catch(() => []);
        for (const de of dirents) {
          if (de.name === '.git') continue;
          const rel = d === '' ? de.name : `${d}/${de.name}`;
          if (de.isDirectory()) next.push(rel);
          else if (de.isFile() || de.isSymbolicLink()) out.push(rel);
        }
      });
      level = next;
    }
    return out.sort(comparePaths);
  }

  private requireWorkTree(): void {
    if (this.bare)
      throw new RegistryError('INVALID_STATE', `${this.dir} is a bare repository: it has no working tree.`, {
        dir: this.dir,
      });
  }

  // ---------------------------------------------------------------- locking

  /**
   * Runs `fn` holding this repository's inter-process write lock (`<gitdir>/mreg-write.lock`). Waiters
   * poll with jittered backoff; in-process callers queue. A lock left by a dead process (or untouched for
   * `staleMs`) is taken over at once, and the crashed writer's leftover git locks and temp files removed.
   * @throws RESOURCE_CONFLICT after `timeoutMs` (default 30 s).
   */
  async withWriteLock<T>(fn: () => Promise<T>, opts: { timeoutMs?: number; staleMs?: number } = {}): Promise<T> {
    return withFileLock(this.writeLockPath, fn, {
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.staleMs !== undefined ? { staleMs: opts.staleMs } : {}),
      timeoutError: (p, owner, waited) =>
        new RegistryError(
          'RESOURCE_CONFLICT',
          `Timed out waiting for the write lock ${p} after ${waited} ms` +
            (owner ? ` (held by pid ${owner.pid} on ${owner.hostname} since ${owner.started}).` : '.'),
          { lockPath: p, owner },
        ),
      onTakeover: (stale) => this.removeCrashLeftovers(stale),
    });
  }

  private get writeLockPath(): string {
    return path.join(this.commondir, 'mreg-write.lock');
  }

  /** `<commondir>/mreg-write.lock.held`: the git locks the write-lock holder has open, for removal if it dies. */
  private async saveTracked(): Promise<void> {
    const file = `${this.writeLockPath}.held`;
    if (this.tracked.size === 0) {
      await fsp.rm(file, { force: true });
      return;
    }
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fsp.writeFile(
      tmp,
      JSON.stringify({ token: this.trackedToken, locks: [...this.tracked].map(([p, ino]) => ({ path: p, ino })) }),
    );
    await fsp.rename(tmp, file);
  }

  /**
   * After taking over a crashed writer's lock: the git locks it had recorded as held are removed at once
   * when their inode still matches (so a native git lock created since is never touched); any other
   * index.lock, ref lock or temp file older than a native git operation takes is removed too.
   */
  private async removeCrashLeftovers(stale: LockOwner | undefined): Promise<void> {
    const heldFile = `${this.writeLockPath}.held`;
    try {
      const rec = JSON.parse(await fsp.readFile(heldFile, 'utf8')) as {
        token: string;
        locks: Array<{ path: string; ino: number }>;
      };
      if (stale && rec.token === stale.token) {
        for (const l of rec.locks) {
          const st = await fsp.lstat(l.path).catch(() => undefined);
          if (st && st.ino === l.ino) await fsp.rm(l.path, { force: true });
        }
      }
    } catch {
      // no record (the crashed writer held no git lock) or an unreadable one
    }
    await fsp.rm(heldFile, { force: true });
    const old = async (file: string): Promise<boolean> => {
      const st = await fsp.lstat(file).catch(() => undefined);
      return !!st && Date.now() - st.mtimeMs > CRASH_LEFTOVER_MS;
    };
    const removeIfOld = async (file: string): Promise<void> => {
      if (await old(file)) await fsp.rm(file, { force: true }).catch(() => undefined);
    };
    await removeIfOld(path.join(this.gitdir, 'index.lock'));
    await removeIfOld(path.join(this.gitdir, 'HEAD.lock'));
    const walk = async (d: string): Promise<void> => {
      const dirents = await fsp.readdir(d, { withFileTypes: true }).catch(() => []);
      for (const de of dirents) {
        const f = path.join(d, de.name);
        if (de.isDirectory()) await walk(f);
        else if (de.name.endsWith('.lock')) await removeIfOld(f);
      }
    };
    await walk(path.join(this.commondir, 'refs', 'heads'));
    const tmpDir = path.join(this.gitdir, 'mreg-tmp');
    for (const name of await fsp.readdir(tmpDir).catch(() => [])) await removeIfOld(path.join(tmpDir, name));
    // Temp files of the lock's owner record and the held-locks record (`<name>.<pid>.<random>.tmp`, then
    // linked or renamed into place) and of the checkout journal: a writer killed in between leaves them. An
    // owner record's temp file lives as long as its writer waits for the lock, so only a dead pid's goes.
    for (const dir of new Set([this.gitdir, this.commondir])) {
      for (const name of await fsp.readdir(dir).catch(() => [])) {
        const owned = /^mreg-write\.lock(?:\.held)?\.(\d+)\..+\.tmp$/.exec(name);
        if (owned ? !isPidAlive(Number(owned[1])) : /^mreg-checkout\.json\..+\.tmp$/.test(name))
          await removeIfOld(path.join(dir, name));
      }
    }
  }

  // ---------------------------------------------------------------- fast-forward

  /**
   * Fast-forwards refs/heads/<branch> to `oid` (compare-and-swap under the ref lock) and, when the branch is
   * checked out, updates only the files and index entries that differ between the two commits.
   * @throws RESOURCE_CONFLICT when `oid` does not descend from the branch tip, or the branch moved meanwhile.
   * @throws INVALID_STATE when uncommitted edits would be overwritten.
   */
  async fastForward(branch: string, oid: string): Promise<void> {
    checkBranchName(branch);
    const target = await commitOid(this.git, oid);
    const current = await this.resolveBranch(branch);
    if (current === target) return;
    if (current !== null && !(await this.isAncestor(current, target))) {
      throw new RegistryError(
        'RESOURCE_CONFLICT',
        `Cannot fast-forward '${branch}' from ${current} to ${target}: not a descendant.`,
        { branch, current, target },
      );
    }
    const [oldTree, newTree] = await Promise.all([
      current === null ? null : this.rootTree(current),
      this.rootTree(target),
    ]);
    const ops = await diffTrees(this.objects, oldTree, newTree, '');
    const who = (await this.readCommit(target)).committer;
    await this.moveBranch({
      branch,
      expected: current,
      newOid: target,
      newTree,
      ops,
      content: (op) => this.readBlob(op.oid!),
      who,
      reflog: current === null ? 'branch: Created from fetch' : 'fast-forward',
    });
  }

  /**
   * Moves refs/heads/<branch> from `from` to `to` whatever their relation (compare-and-swap: RESOURCE_CONFLICT
   * when the branch is not at `from`), updating the checkout by the diff of the two commits. Used to drop
   * a local commit whose push lost a race, before re-applying the operation on the remote's new tip.
   */
  async resetBranch(branch: string, from: string, to: string): Promise<void> {
    checkBranchName(branch);
    const target = await commitOid(this.git, to);
    if (from === target) return;
    const [oldTree, newTree] = await Promise.all([this.rootTree(from), this.rootTree(target)]);
    const ops = await diffTrees(this.objects, oldTree, newTree, '');
    const who = (await this.readCommit(target)).committer;
    await this.moveBranch({
      branch,
      expected: from,
      newOid: target,
      newTree,
      ops,
      content: (op) => this.readBlob(op.oid!),
      who,
      reflog: `reset: moving to ${target}`,
    });
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

// ---------------------------------------------------------------- helpers

/** The old entries with edits applied (null = remove), in git order, without re-sorting the untouched ones. */
function applyTreeEdits(old: readonly TreeEntry[], edits: ReadonlyMap<string, TreeEntry | null>): TreeEntry[] {
  const out: TreeEntry[] = [];
  const adds: TreeEntry[] = [];
  const matched = new Set<string>();
  for (const e of old) {
    if (!edits.has(e.path)) {
      out.push(e);
      continue;
    }
    matched.add(e.path);
    const r = edits.get(e.path);
    if (!r) continue;
    // Same kind keeps the same sort key, so it stays in place; a blob↔tree switch moves.
    if ((r.type === 'tree') === (e.type === 'tree')) out.push(r);
    else adds.push(r);
  }
  for (const [name, r] of edits) if (r && !matched.has(name)) adds.push(r);
  for (const a of adds) {
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = out[mid]!;
      if (compareTreeNames(m.path, m.type === 'tree', a.path, a.type === 'tree') < 0) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, a);
  }
  return out;
}

/** Validates a ChangeSet and arranges it as a tree of path segments. */
function buildChangeTree(changes: ChangeSet): ChangeNode {
  const root: ChangeNode = { children: new Map() };
  for (const [raw, content] of changes) {
    const p = checkRepoPath(raw);
    let node = root;
    for (const seg of p.split('/')) {
      let child = node.children.get(seg);
      if (!child) {
        child = { children: new Map() };
        node.children.set(seg, child);
      }
      node = child;
    }
    if (content === null) node.remove = true;
    else node.write = content;
  }
  const check = (node: ChangeNode, p: string): void => {
    if (node.write && node.children.size > 0) {
      throw RegistryError.invalid(`Conflicting changes: '${p}' is written as a file and has changes below it.`, {
        path: p,
      });
    }
    for (const [seg, c] of node.children) check(c, p === '' ? seg : `${p}/${seg}`);
  };
  check(root, '');
  return root;
}

export { EMPTY_TREE_OID };
