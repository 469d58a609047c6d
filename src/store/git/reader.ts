// The read side of a git repository: open it, resolve refs and revisions, read commits, trees and blobs,
// list, diff, log, ask about ancestry, read the work tree, and fetch a branch into its remote-tracking ref.
// Nothing reachable from here commits, moves a local branch, touches the index or takes the write lock:
// that is the write side (writer.ts), and the daemon imports only this side (architecture.test.ts).
//
// Reads never go through git.walk or isomorphic-git's unbounded fan-outs (see object-reader.ts); refs are
// read the way native git stores them (refs.ts).
import { RegistryError } from '../../errors.js';
import { commitAtTime, isAncestor, mergeBase } from './ancestry.js';
import type { GitContext } from './context.js';
import { fetchBranch, remoteUrl, trackingRef } from './fetch.js';
import { log, type LogEntry } from './log.js';
import { ObjectReader } from './object-reader.js';
import { checkBranchName, checkPrefix, checkRepoPath, type CommitInfo, type TreeEntry } from './objects.js';
import { RefStore } from './refs.js';
import { initRepository, locateRepository, type LocateOptions, type RepoPaths } from './repository.js';
import { commitOid, resolveRevision } from './revisions.js';
import { diffTrees, type FileChange } from './tree-diff.js';
import { listWorkTreeFiles, readWorkTreeFile } from './work-tree.js';

export type { CommitInfo, Signature, TreeEntry } from './objects.js';
export type { FileChange } from './tree-diff.js';
export { trackingRef } from './fetch.js';

export class GitReader {
  /** One long-lived isomorphic-git cache object, passed to every isomorphic-git call (gotcha 1). */
  readonly cache: object;
  /** The work tree, or the repository itself when bare. */
  readonly dir: string;
  readonly gitdir: string;
  readonly bare: boolean;
  protected readonly git: GitContext;

  /** `refs` lets the write side record the git locks it takes (write-lock.ts). */
  protected constructor(paths: RepoPaths, refs = new RefStore(paths.gitdir, paths.commondir)) {
    const objects = new ObjectReader(paths.commondir, paths.dir);
    this.git = { paths, objects, refs };
    this.cache = objects.cache;
    this.dir = paths.dir;
    this.gitdir = paths.gitdir;
    this.bare = paths.bare;
  }

  /**
   * Opens a repository: `dir` is a work tree containing `.git` (a directory, or a `.git` file pointing at
   * the git directory), or a bare repository. @throws INVALID_STATE when it is neither.
   */
  static async open(dir: string, opts: LocateOptions = {}): Promise<GitReader> {
    return new GitReader(await locateRepository(dir, opts));
  }

  /**
   * Creates an empty repository (no commit) whose HEAD names `branch` (default 'main'), to fetch into, then
   * opens it. An existing repository is opened untouched.
   */
  static async init(dir: string, opts: { bare?: boolean; branch?: string } = {}): Promise<GitReader> {
    await initRepository(dir, opts);
    return GitReader.open(dir);
  }

  // ---------------------------------------------------------------- refs and revisions

  /** Short name of the branch HEAD points at ('main'), or undefined when HEAD is detached. */
  async currentBranch(): Promise<string | undefined> {
    return this.git.refs.headBranch();
  }

  /** Commit oid of refs/heads/<branch> (loose or packed), or null when the branch does not exist yet. */
  async resolveBranch(branch: string): Promise<string | null> {
    checkBranchName(branch);
    return this.git.refs.resolve(`refs/heads/${branch}`);
  }

  /**
   * Resolves a revision to a commit oid: a full or abbreviated (>= 4 hex digits) oid, a branch, a tag
   * (peeled), a remote-tracking ref (origin/main), HEAD, followed by any of ~N, ^, ^N, ^0, ^{commit}, ^{}.
   * @throws RESOURCE_DOES_NOT_EXIST `Unknown revision '<rev>'.`; INVALID_PARAMETER_VALUE for an ambiguous short oid.
   */
  async resolveRevision(rev: string): Promise<string> {
    return resolveRevision(this.git, rev);
  }

  /** Commit oid of refs/remotes/<remote>/<branch>, or null when it was never fetched. */
  async resolveRemoteBranch(remote: string, branch: string): Promise<string | null> {
    try {
      return await this.resolveRevision(trackingRef(remote, branch));
    } catch (e) {
      if (e instanceof RegistryError && e.code === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw e;
    }
  }

  // ---------------------------------------------------------------- objects

  async readCommit(oid: string): Promise<CommitInfo> {
    return this.git.objects.readCommit(oid);
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    return this.git.objects.readBlob(oid);
  }

  /** Entries of the tree at `path` ('' = root) in `commit`, or null when absent or not a tree. */
  async readTreeAt(commit: string, treePath: string): Promise<TreeEntry[] | null> {
    const p = checkPrefix(treePath);
    const e = await this.git.objects.entryAt(await this.rootTree(commit), p);
    if (!e || e.type !== 'tree') return null;
    return (await this.git.objects.treeEntries(e.oid)).map((x) => ({ ...x }));
  }

  /** Oid of the blob or tree at `path` in `commit`, or null. */
  async oidAt(commit: string, p: string): Promise<string | null> {
    const e = await this.git.objects.entryAt(await this.rootTree(commit), checkPrefix(p));
    return e ? e.oid : null;
  }

  /** Bytes of the file at `path` in `commit`, or null. */
  async readFileAt(commit: string, p: string): Promise<Uint8Array | null> {
    const e = await this.git.objects.entryAt(await this.rootTree(commit), checkRepoPath(p));
    if (!e || e.type !== 'blob') return null;
    return this.git.objects.readBlob(e.oid);
  }

  /** Every blob under `prefix` ('' = all) at `commit`, recursively, in `git ls-tree -r` order. */
  async listFiles(commit: string, prefix = ''): Promise<Array<{ path: string; oid: string }>> {
    const p = checkPrefix(prefix);
    const e = await this.git.objects.entryAt(await this.rootTree(commit), p);
    if (!e) return [];
    if (e.type === 'blob') return [{ path: p, oid: e.oid }];
    if (e.type !== 'tree') return [];
    const files = await this.git.objects.listTree(e.oid, p === '' ? '' : p + '/');
    return files.map(({ path, oid }) => ({ path, oid }));
  }

  /** The root tree of a commit (or of a revision). */
  protected async rootTree(commit: string): Promise<string> {
    return (await this.git.objects.readCommit(await commitOid(this.git, commit))).tree;
  }

  // ---------------------------------------------------------------- diff and history

  /**
   * Blob-level differences between two commits (old null = the empty tree), restricted to `prefix`:
   * a merge of the two trees' entries that skips equal subtrees, in `git diff-tree -r` order.
   */
  async diff(oldCommit: string | null, newCommit: string, prefix?: string): Promise<FileChange[]> {
    const p = checkPrefix(prefix);
    const [a, b] = await Promise.all([oldCommit === null ? null : this.rootTree(oldCommit), this.rootTree(newCommit)]);
    const ops = await diffTrees(this.git.objects, a, b, p);
    return ops.map((o) => ({ path: o.path, before: o.oldOid, after: o.oid }));
  }

  /**
   * History from `start` (a revision), newest first by committer time; a commit is never yielded before a
   * child of it that is known at that point. With `paths`, only commits whose diff against their first
   * parent touches one of them (prefix match), with those `changes`. Streams: memory stays proportional to
   * the walk's frontier, not to the history.
   */
  async *log(start: string, opts: { paths?: string[]; limit?: number } = {}): AsyncGenerator<LogEntry> {
    const paths = opts.paths?.map((p) => checkPrefix(p));
    yield* log(this.git.objects, await commitOid(this.git, start), {
      ...(paths ? { paths } : {}),
      ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
    });
  }

  /** Whether commit `ancestor` is reachable from commit `descendant` (a commit is its own ancestor). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return isAncestor(this.git.objects, ancestor, descendant);
  }

  /** The best common ancestor of two commits (what `git merge-base` prints), or null when they share none. */
  async mergeBase(a: string, b: string): Promise<string | null> {
    return mergeBase(this.git.objects, a, b);
  }

  /**
   * The newest commit on `tip`'s first-parent line made at or before `whenMs` (committer time), or null
   * when there is none within `maxWalk` commits.
   */
  async commitAtTime(tip: string, whenMs: number, maxWalk?: number): Promise<string | null> {
    return commitAtTime(this.git.objects, tip, whenMs, maxWalk);
  }

  // ---------------------------------------------------------------- work tree

  /**
   * A file of the working tree as git would commit it, or null when absent. A symbolic link reads as the path
   * it holds (what git stores), never as the file it points to, and nothing is read below a linked folder;
   * anything but a file or a link (a FIFO, a device) is absent, as it is to git. So the links of a pull request
   * cannot make `mreg validate` read, and print, files from outside the repository, nor hang on /dev/zero.
   * @throws INVALID_STATE on a bare repository.
   */
  async readWorkTreeFile(p: string): Promise<Uint8Array | null> {
    return readWorkTreeFile(this.git.paths, p);
  }

  /** Files of the working tree under `prefix` ('' = all), repo-relative and sorted, without `.git`. */
  async listWorkTreeFiles(prefix = ''): Promise<string[]> {
    return listWorkTreeFiles(this.git.paths, prefix);
  }

  // ---------------------------------------------------------------- remote

  /** URL of a configured remote, or undefined. */
  async remoteUrl(remote = 'origin'): Promise<string | undefined> {
    return remoteUrl(this.git, remote);
  }

  /**
   * Fetches refs/heads/<branch> from the remote into refs/remotes/<remote>/<branch> (never a local branch).
   * Returns that tip, or null when the remote has no such branch.
   */
  async fetch(opts: { remote?: string; url?: string; branch: string }): Promise<string | null> {
    return fetchBranch(this.git, opts);
  }
}
