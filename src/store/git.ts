// The only module of mreg that talks to git. Design (see shared/isomorphic-git-at-scale.md):
//
// - Reads: loose objects are read and inflated here; packed ones through isomorphic-git with ONE
//   long-lived `cache` (gotcha 1). Trees are parsed once and kept in a bounded LRU by oid.
//   Traversals are breadth-first readTree with bounded concurrency, never git.walk (gotchas 2, 9).
// - Writes: objects are serialized and written here, atomically (git-objects.ts explains why not
//   git.writeBlob/writeTree/writeCommit); only the trees on changed paths are rewritten. The branch
//   moves by a compare-and-swap under native git's lockfile protocol (refs.ts), never git.writeRef,
//   git.commit or git.add (gotchas 4-7, 17). In a checkout, the index is patched in place
//   (index-file.ts) so native git sees a clean tree and never commits from a stale index (gotcha 18).
// - Remote: fetch through isomorphic-git (fine per the measurements); push builds its own pack of
//   exactly the new objects and speaks receive-pack directly (gotcha 10).
import { randomBytes } from 'node:crypto';
import fs, { promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { HttpClient } from 'isomorphic-git';
import { RegistryError } from '../errors.js';
import { createLimiter, mapLimit } from '../util/concurrency.js';
import { heldLock, withFileLock, type LockOwner } from '../util/lock.js';
import {
  checkBranchName,
  checkPrefix,
  checkRepoPath,
  compareTreeNames,
  comparePaths,
  EMPTY_TREE_OID,
  findInRawTree,
  hashObject,
  isUnder,
  OID_RE,
  parseCommit,
  parseTagTarget,
  parseTree,
  serializeCommit,
  serializeTree,
  typeOfMode,
  writeLooseObject,
  writeLooseObjectSync,
  ZERO_OID,
  type CommitInfo,
  type ObjectType,
  type Signature,
  type TreeEntry,
} from './git-objects.js';
import {
  buildIndex,
  GitIndexFile,
  statFromStats,
  statMatches,
  UnsupportedIndexError,
  type IndexUpsert,
  type StatData,
} from './index-file.js';
import { GitLockFile, type LockTracker } from './lockfile.js';
import { PackCorruptError, PackReader } from './pack-reader.js';
import { buildPack, type PackObject } from './pack-writer.js';
import { discoverReceivePack, redact, sendReceivePack } from './receive-pack.js';
import { RefStore } from './refs.js';

export type { CommitInfo, Signature, TreeEntry } from './git-objects.js';

export interface FileChange {
  path: string;
  /** Blob oid before, or null when the path was absent. */
  before: string | null;
  /** Blob oid after, or null when the path is gone. */
  after: string | null;
}

/** content = new file bytes; null = delete that path (a file, or a whole directory subtree). */
export type ChangeSet = Map<string, Uint8Array | null>;

export interface PushResult {
  ok: boolean;
  reason?: 'rejected' | 'conflict';
  message?: string;
  /** Objects sent in the pack (0 when nothing needed sending). */
  objectCount?: number;
}

/** Concurrent object reads and file operations per traversal (isomorphic-git's unbounded fan-out hits EMFILE). */
const IO_CONCURRENCY = 16;
/** Parsed trees kept in memory, counted in entries (a 10k-model `models/` tree is 10k). */
const TREE_CACHE_ENTRIES = 400_000;
const COMMIT_CACHE_SIZE = 20_000;
/** Leftover git locks older than this are removed when a crashed mreg writer's lock is taken over. */
const CRASH_LEFTOVER_MS = 2_000;
/**
 * fsync as native git does by default (core.fsync=committed,-loose-object): the ref lock before it is renamed
 * onto the ref, not loose objects nor the index. (On ext4's default data=ordered the ref's fsync commits the
 * journal, which writes the new objects' data too.)
 */
const FSYNC_REFS = true;

/**
 * isomorphic-git is loaded on first use (fetch, remotes, a few rare reads): a CLI write never needs it, and
 * loading it costs ~30 ms of every process's start.
 */
let isoLoaded: Promise<{ git: typeof import('isomorphic-git').default; http: HttpClient }> | undefined;
function iso(): Promise<{ git: typeof import('isomorphic-git').default; http: HttpClient }> {
  isoLoaded ??= Promise.all([import('isomorphic-git'), import('isomorphic-git/http/node')]).then(([g, h]) => ({
    git: g.default,
    http: h.default,
  }));
  return isoLoaded;
}

/** `core.logAllRefUpdates` from a repository's config file, read without loading a git library. */
async function logAllRefUpdates(commondir: string): Promise<string | undefined> {
  const text = await fsp.readFile(path.join(commondir, 'config'), 'utf8');
  let inCore = false;
  let value: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const section = /^\[\s*([^\]\s"]+)(?:\s+"[^"]*")?\s*\]$/.exec(line);
    if (section) {
      inCore = section[1]!.toLowerCase() === 'core';
      continue;
    }
    const kv = inCore ? /^logallrefupdates\s*(?:=\s*(.*))?$/i.exec(line) : null;
    if (kv)
      value = (kv[1] ?? 'true')
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
  }
  return value;
}
const FSYNC_OBJECTS = false;

/** A file-level change inside commit/fast-forward, with modes (the public FileChange has none). */
interface FileOp {
  path: string;
  oid: string | null;
  mode: string | null;
  oldOid: string | null;
  oldMode: string | null;
}

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

interface RawObject {
  type: ObjectType;
  body: Buffer;
}

class Lru<V> {
  private readonly map = new Map<string, { v: V; w: number }>();
  private weight = 0;
  constructor(private readonly capacity: number) {}
  get(k: string): V | undefined {
    const hit = this.map.get(k);
    if (!hit) return undefined;
    this.map.delete(k);
    this.map.set(k, hit);
    return hit.v;
  }
  set(k: string, v: V, w = 1): void {
    const old = this.map.get(k);
    if (old) {
      this.weight -= old.w;
      this.map.delete(k);
    }
    this.map.set(k, { v, w });
    this.weight += w;
    for (const [key, val] of this.map) {
      if (this.weight <= this.capacity || this.map.size <= 1) break;
      this.map.delete(key);
      this.weight -= val.w;
    }
  }
}

function errCode(e: unknown): string | undefined {
  return (e as { code?: string } | undefined)?.code;
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

function isMissing(e: unknown): boolean {
  const c = errCode(e);
  return c === 'ENOENT' || c === 'ENOTDIR';
}

function unknownRevision(rev: string): RegistryError {
  return new RegistryError('RESOURCE_DOES_NOT_EXIST', `Unknown revision '${rev}'.`, { revision: rev });
}

export class GitRepo {
  /** One long-lived isomorphic-git cache object, passed to every isomorphic-git call (gotcha 1). */
  readonly cache: object = {};
  private readonly refs: RefStore;
  private readonly objectsDir: string;
  private readonly packs: PackReader;
  private readonly trees = new Lru<readonly TreeEntry[]>(TREE_CACHE_ENTRIES);
  private readonly commits = new Lru<CommitInfo>(COMMIT_CACHE_SIZE);
  private readonly limit = createLimiter(IO_CONCURRENCY);
  /** Objects of writeCommit({ deferObjects }) not yet on disk: readable here until flushDeferredObjects(). */
  private readonly deferred = new Map<string, RawObject>();
  /** Fan-out folders of objects/ known to exist (flushDeferredObjects). */
  private readonly objectDirs = new Set<string>();
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

  private constructor(
    readonly dir: string,
    readonly gitdir: string,
    readonly bare: boolean,
    /** Where refs, objects and config live: gitdir, except in a linked work tree. */
    private readonly commondir: string,
    private readonly logRefUpdates: boolean,
  ) {
    this.refs = new RefStore(gitdir, commondir, this.tracker);
    this.objectsDir = path.join(commondir, 'objects');
    this.packs = new PackReader(path.join(this.objectsDir, 'pack'), (oid) => this.readRawNow(oid));
  }

  // ---------------------------------------------------------------- open / init

  /**
   * Opens a repository: `dir` is a work tree containing `.git` (a directory, or a `.git` file pointing at
   * the git directory), or a bare repository. @throws INVALID_STATE when it is neither.
   */
  static async open(dir: string): Promise<GitRepo> {
    const abs = path.resolve(dir);
    const notRepo = (): RegistryError => new RegistryError('INVALID_STATE', `${dir} is not a git repository`, { dir });
    const dotgit = path.join(abs, '.git');
    const st = await fsp.lstat(dotgit).catch(() => undefined);
    let gitdir: string;
    let bare: boolean;
    if (st?.isDirectory()) {
      gitdir = dotgit;
      bare = false;
    } else if (st?.isFile()) {
      const m = /^gitdir:\s*(.+?)\s*$/m.exec(await fsp.readFile(dotgit, 'utf8'));
      if (!m?.[1]) throw notRepo();
      gitdir = path.resolve(abs, m[1]);
      bare = false;
    } else {
      gitdir = abs;
      bare = true;
    }
    const commondirFile = await fsp.readFile(path.join(gitdir, 'commondir'), 'utf8').catch(() => undefined);
    const commondir = commondirFile ? path.resolve(gitdir, commondirFile.trim()) : gitdir;
    const looksLikeGitdir = await Promise.all([
      fsp.stat(path.join(gitdir, 'HEAD')).then((s) => s.isFile()),
      fsp.stat(path.join(commondir, 'objects')).then((s) => s.isDirectory()),
      fsp.stat(path.join(commondir, 'refs')).then((s) => s.isDirectory()),
    ]).then(
      (r) => r.every(Boolean),
      () => false,
    );
    if (!looksLikeGitdir) throw notRepo();
    let logRefUpdates = !bare;
    try {
      const v = await logAllRefUpdates(commondir);
      if (v !== undefined) logRefUpdates = v === 'true' || v === 'always' || v === 'yes' || v === 'on' || v === '1';
    } catch {
      // unreadable config: keep git's default
    }
    return new GitRepo(abs, gitdir, bare, commondir, logRefUpdates);
  }

  /**
   * Creates a repository (no commit) whose HEAD names `branch` (default 'main'), then opens it. An existing
   * repository is opened untouched. The config is native git's own init on this platform, not isomorphic-git's
   * init, which writes `filemode = false` and `ignorecase = true` and so changes how native git sees the work tree.
   */
  static async init(dir: string, opts: { bare?: boolean; branch?: string } = {}): Promise<GitRepo> {
    const abs = path.resolve(dir);
    const bare = opts.bare ?? false;
    const branch = checkBranchName(opts.branch ?? 'main');
    const gitdir = bare ? abs : path.join(abs, '.git');
    if (
      await fsp.stat(path.join(gitdir, 'config')).then(
        () => true,
        () => false,
      )
    )
      return GitRepo.open(abs);
    for (const sub of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags', 'info']) {
      await fsp.mkdir(path.join(gitdir, sub), { recursive: true });
    }
    await fsp.writeFile(path.join(gitdir, 'HEAD'), `ref: refs/heads/${branch}\n`);
    await fsp.writeFile(
      path.join(gitdir, 'description'),
      "Unnamed repository; edit this file 'description' to name the repository.\n",
    );
    let config = '[core]\n\trepositoryformatversion = 0\n';
    config += `\tfilemode = ${process.platform === 'win32' ? 'false' : 'true'}\n`;
    config += `\tbare = ${bare}\n`;
    if (!bare) config += '\tlogallrefupdates = true\n';
    // Probe case sensitivity as native git does.
    const probe = path.join(gitdir, 'CoNfIg');
    await fsp.writeFile(path.join(gitdir, 'config'), config);
    if (
      await fsp.stat(probe).then(
        () => true,
        () => false,
      )
    ) {
      await fsp.writeFile(path.join(gitdir, 'config'), config + '\tignorecase = true\n');
    }
    return GitRepo.open(abs);
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
    const cut = rev.search(/[~^]/);
    const base = cut < 0 ? rev : rev.slice(0, cut);
    const suffix = cut < 0 ? '' : rev.slice(cut);
    if (base === '') throw unknownRevision(rev);
    let oid = await this.resolveBase(base === '@' ? 'HEAD' : base, rev);
    oid = await this.peelToCommit(oid, rev);
    const re = /~(\d*)|\^\{(commit|)\}|\^(\d*)/gy;
    let pos = 0;
    while (pos < suffix.length) {
      re.lastIndex = pos;
      const m = re.exec(suffix);
      if (!m) throw unknownRevision(rev);
      pos = re.lastIndex;
      if (m[1] !== undefined) {
        const n = m[1] === '' ? 1 : Number(m[1]);
        for (let i = 0; i < n; i++) {
          const parent = (await this.readCommit(oid)).parents[0];
          if (!parent) throw unknownRevision(rev);
          oid = parent;
        }
      } else if (m[3] !== undefined) {
        const n = m[3] === '' ? 1 : Number(m[3]);
        if (n === 0) continue;
        const parent = (await this.readCommit(oid)).parents[n - 1];
        if (!parent) throw unknownRevision(rev);
        oid = parent;
      }
      // ^{commit} and ^{}: already peeled to a commit
    }
    return oid;
  }

  private async resolveBase(base: string, rev: string): Promise<string> {
    if (/^[0-9a-fA-F]{40}$/.test(base)) {
      const oid = base.toLowerCase();
      if (await this.hasObject(oid)) return oid;
      throw unknownRevision(rev);
    }
    // git's ref_rev_parse_rules. Top-level names are only pseudo-refs (HEAD, FETCH_HEAD…), never `config`.
    const candidates = [
      ...(/^[A-Z_]+$/.test(base) || base.startsWith('refs/') ? [base] : []),
      `refs/${base}`,
      `refs/tags/${base}`,
      `refs/heads/${base}`,
      `refs/remotes/${base}`,
      `refs/remotes/${base}/HEAD`,
    ];
    for (const name of candidates) {
      if (name.includes('..') || name.includes('//')) continue;
      const oid = await this.refs.resolve(name);
      if (oid) return oid;
    }
    if (/^[0-9a-fA-F]{4,39}$/.test(base)) {
      try {
        return await (
          await iso()
        ).git.expandOid({ fs, gitdir: this.commondir, oid: base.toLowerCase(), cache: this.cache });
      } catch (e) {
        if (errCode(e) === 'AmbiguousError') {
          throw RegistryError.invalid(`Ambiguous revision '${rev}': several objects start with ${base}.`, {
            revision: rev,
          });
        }
      }
    }
    throw unknownRevision(rev);
  }

  private async peelToCommit(oid: string, rev: string): Promise<string> {
    let current = oid;
    for (let depth = 0; depth < 10; depth++) {
      const obj = await this.readRaw(current).catch(() => undefined);
      if (!obj) throw unknownRevision(rev);
      if (obj.type === 'commit') return current;
      if (obj.type !== 'tag') throw unknownRevision(rev);
      current = parseTagTarget(obj.body).object;
    }
    throw unknownRevision(rev);
  }

  /** A commit oid, or a revision resolved to one. */
  private async commitOid(commit: string): Promise<string> {
    return OID_RE.test(commit) ? commit : this.resolveRevision(commit);
  }

  // ---------------------------------------------------------------- objects

  private async hasObject(oid: string): Promise<boolean> {
    try {
      await this.readRaw(oid);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Reads an object: from the packs (pack-reader.ts), else loose (fs + zlib), else — packs written since
   * the last look, or a pack format the reader leaves alone — through isomorphic-git with the shared cache.
   */
  private async readRaw(oid: string): Promise<RawObject> {
    if (!OID_RE.test(oid)) throw new RegistryError('RESOURCE_DOES_NOT_EXIST', `Invalid object id '${oid}'.`, { oid });
    return this.limit(() => this.readRawNow(oid));
  }

  /** readRaw without the concurrency limit (a delta base is read while its delta holds a slot). */
  private async readRawNow(oid: string): Promise<RawObject> {
    const fromPack = async (): Promise<RawObject | undefined> => {
      try {
        return await this.packs.read(oid);
      } catch (e) {
        if (e instanceof PackCorruptError)
          throw new RegistryError(
            'INTERNAL_ERROR',
            `Could not read object ${oid}: ${e.message}`,
            { oid },
            { cause: e },
          );
        if (isMissing(e)) return undefined; // a pack removed by gc since the last look
        throw e;
      }
    };
    const waiting = this.deferred.get(oid);
    if (waiting) return waiting;
    const packed = await fromPack();
    if (packed) return packed;
    let data: Buffer | undefined;
    try {
      data = await fsp.readFile(path.join(this.objectsDir, oid.slice(0, 2), oid.slice(2)));
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    if (data) {
      const raw = zlib.inflateSync(data);
      const sp = raw.indexOf(0x20);
      const nul = raw.indexOf(0, sp);
      const type = raw.toString('latin1', 0, sp) as ObjectType;
      return { type, body: raw.subarray(nul + 1) };
    }
    this.packs.rescan();
    const repacked = await fromPack();
    if (repacked) return repacked;
    try {
      const r = await (
        await iso()
      ).git.readObject({ fs, gitdir: this.commondir, oid, format: 'content', cache: this.cache });
      const body = r.object as Uint8Array;
      return { type: r.type as ObjectType, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
    } catch (e) {
      if (errCode(e) === 'NotFoundError') {
        throw new RegistryError('RESOURCE_DOES_NOT_EXIST', `Object ${oid} does not exist in ${this.dir}.`, { oid });
      }
      throw new RegistryError(
        'INTERNAL_ERROR',
        `Could not read object ${oid}: ${(e as Error).message}`,
        { oid },
        { cause: e },
      );
    }
  }

  private async writeObject(type: ObjectType, body: Uint8Array, defer = false): Promise<string> {
    if (defer) {
      const oid = hashObject(type, body);
      if (!this.deferred.has(oid)) this.deferred.set(oid, { type, body: Buffer.from(body) });
      return oid;
    }
    return this.limit(() => writeLooseObject(this.objectsDir, type, body, FSYNC_OBJECTS));
  }

  /**
   * Writes the objects that writeCommit({ deferObjects: true }) kept in memory, as loose objects, synchronously
   * (one tight loop: a long-lived writer's batch of commits costs its file creations, not a thread-pool round trip
   * per system call). Call it before any ref points at them. Returns how many were written.
   */
  flushDeferredObjects(): number {
    let written = 0;
    for (const [oid, o] of this.deferred) {
      if (writeLooseObjectSync(this.objectsDir, oid, o.type, o.body, this.objectDirs)) written++;
      this.deferred.delete(oid);
    }
    return written;
  }

  /** Forgets deferred objects (their commits will never be published). */
  dropDeferredObjects(): void {
    this.deferred.clear();
  }

  async readCommit(oid: string): Promise<CommitInfo> {
    const hit = this.commits.get(oid);
    if (hit) return { ...hit, parents: [...hit.parents] };
    const obj = await this.readRaw(oid);
    if (obj.type !== 'commit')
      throw new RegistryError('RESOURCE_DOES_NOT_EXIST', `Object ${oid} is a ${obj.type}, not a commit.`, { oid });
    const info = parseCommit(oid, obj.body);
    this.commits.set(oid, info);
    return { ...info, parents: [...info.parents] };
  }

  /** Parsed entries of a tree object, shared from the cache: never mutate them. */
  private async treeEntries(oid: string): Promise<readonly TreeEntry[]> {
    const hit = this.trees.get(oid);
    if (hit) return hit;
    const obj = await this.readRaw(oid);
    if (obj.type !== 'tree')
      throw new RegistryError('INTERNAL_ERROR', `Object ${oid} is a ${obj.type}, not a tree.`, { oid });
    const entries = parseTree(obj.body).map((e) => Object.freeze(e));
    this.trees.set(oid, entries, entries.length + 1);
    return entries;
  }

  private async rootTree(commit: string): Promise<string> {
    return (await this.readCommit(await this.commitOid(commit))).tree;
  }

  /** The entry at `p` below tree `treeOid` ('' = the tree itself), or null. */
  private async entryAt(treeOid: string, p: string): Promise<TreeEntry | null> {
    let entry: TreeEntry = { path: '', mode: '040000', oid: treeOid, type: 'tree' };
    if (p === '') return entry;
    for (const name of p.split('/')) {
      if (entry.type !== 'tree') return null;
      const cached = this.trees.get(entry.oid);
      if (cached) {
        const found = findEntry(cached, name);
        if (!found) return null;
        entry = found;
      } else {
        // Uncached (history walks): look the name up in the raw bytes without parsing the whole tree.
        const obj = await this.readRaw(entry.oid);
        const found = findInRawTree(obj.body, name);
        if (!found) return null;
        entry = { path: name, mode: found.mode, oid: found.oid, type: typeOfMode(found.mode) };
      }
    }
    return entry;
  }

  /** Entries of the tree at `path` ('' = root) in `commit`, or null when absent or not a tree. */
  async readTreeAt(commit: string, treePath: string): Promise<TreeEntry[] | null> {
    const p = checkPrefix(treePath);
    const e = await this.entryAt(await this.rootTree(commit), p);
    if (!e || e.type !== 'tree') return null;
    return (await this.treeEntries(e.oid)).map((x) => ({ ...x }));
  }

  /** Oid of the blob or tree at `path` in `commit`, or null. */
  async oidAt(commit: string, p: string): Promise<string | null> {
    const e = await this.entryAt(await this.rootTree(commit), checkPrefix(p));
    return e ? e.oid : null;
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    const obj = await this.readRaw(oid);
    if (obj.type !== 'blob')
      throw new RegistryError('RESOURCE_DOES_NOT_EXIST', `Object ${oid} is a ${obj.type}, not a blob.`, { oid });
    return obj.body;
  }

  /** Bytes of the file at `path` in `commit`, or null. */
  async readFileAt(commit: string, p: string): Promise<Uint8Array | null> {
    const e = await this.entryAt(await this.rootTree(commit), checkRepoPath(p));
    if (!e || e.type !== 'blob') return null;
    return this.readBlob(e.oid);
  }

  /** Every blob (and gitlink) under tree `treeOid`, breadth-first with bounded concurrency. */
  private async listTree(
    treeOid: string,
    prefix: string,
    withGitlinks = false,
  ): Promise<Array<{ path: string; oid: string; mode: string }>> {
    const out: Array<{ path: string; oid: string; mode: string }> = [];
    let level: Array<{ oid: string; prefix: string }> = [{ oid: treeOid, prefix }];
    while (level.length > 0) {
      const next: Array<{ oid: string; prefix: string }> = [];
      const listed = await mapLimit(level, IO_CONCURRENCY, async (t) => ({
        t,
        entries: await this.treeEntries(t.oid),
      }));
      for (const { t, entries } of listed) {
        for (const e of entries) {
          const p = t.prefix + e.path;
          if (e.type === 'tree') next.push({ oid: e.oid, prefix: p + '/' });
          else if (e.type === 'blob' || withGitlinks) out.push({ path: p, oid: e.oid, mode: e.mode });
        }
      }
      level = next;
    }
    return out.sort((a, b) => comparePaths(a.path, b.path));
  }

  /** Every blob under `prefix` ('' = all) at `commit`, recursively, in `git ls-tree -r` order. */
  async listFiles(commit: string, prefix = ''): Promise<Array<{ path: string; oid: string }>> {
    const p = checkPrefix(prefix);
    const e = await this.entryAt(await this.rootTree(commit), p);
    if (!e) return [];
    if (e.type === 'blob') return [{ path: p, oid: e.oid }];
    if (e.type !== 'tree') return [];
    return (await this.listTree(e.oid, p === '' ? '' : p + '/')).map(({ path: fp, oid }) => ({ path: fp, oid }));
  }

  // ---------------------------------------------------------------- diff and log

  /**
   * Blob-level differences between two commits (old null = the empty tree), restricted to `prefix`:
   * a merge of the two trees' entries that skips equal subtrees, in `git diff-tree -r` order.
   */
  async diff(oldCommit: string | null, newCommit: string, prefix?: string): Promise<FileChange[]> {
    const p = checkPrefix(prefix);
    const [a, b] = await Promise.all([oldCommit === null ? null : this.rootTree(oldCommit), this.rootTree(newCommit)]);
    const ops = await this.diffTreesAt(a, b, p);
    return ops.map((o) => ({ path: o.path, before: o.oldOid, after: o.oid }));
  }

  /** Changes between two root trees below `p`, with modes. */
  private async diffTreesAt(oldRoot: string | null, newRoot: string | null, p: string): Promise<FileOp[]> {
    const [ea, eb] = await Promise.all([
      oldRoot === null ? null : this.entryAt(oldRoot, p),
      newRoot === null ? null : this.entryAt(newRoot, p),
    ]);
    const out: FileOp[] = [];
    await this.diffEntries(ea, eb, p, out);
    return out.sort((x, y) => comparePaths(x.path, y.path));
  }

  private async diffEntries(a: TreeEntry | null, b: TreeEntry | null, p: string, out: FileOp[]): Promise<void> {
    if (a && b && a.oid === b.oid && a.mode === b.mode) return;
    const aTree = a?.type === 'tree';
    const bTree = b?.type === 'tree';
    if (aTree && bTree) return this.diffTrees(a.oid, b.oid, p === '' ? '' : p + '/', out);
    const tasks: Array<Promise<void>> = [];
    const aFile = a && !aTree ? a : null;
    const bFile = b && !bTree ? b : null;
    if (aFile || bFile) {
      out.push({
        path: p,
        oldOid: aFile?.oid ?? null,
        oldMode: aFile?.mode ?? null,
        oid: bFile?.oid ?? null,
        mode: bFile?.mode ?? null,
      });
    }
    const sub = p === '' ? '' : p + '/';
    if (aTree)
      tasks.push(
        this.listTree(a.oid, sub, true).then(
          (fs_) =>
            void fs_.forEach((f) => out.push({ path: f.path, oldOid: f.oid, oldMode: f.mode, oid: null, mode: null })),
        ),
      );
    if (bTree)
      tasks.push(
        this.listTree(b.oid, sub, true).then(
          (fs_) =>
            void fs_.forEach((f) => out.push({ path: f.path, oldOid: null, oldMode: null, oid: f.oid, mode: f.mode })),
        ),
      );
    await Promise.all(tasks);
  }

  private async diffTrees(aOid: string, bOid: string, prefix: string, out: FileOp[]): Promise<void> {
    const [as, bs] = await Promise.all([this.treeEntries(aOid), this.treeEntries(bOid)]);
    const tasks: Array<Promise<void>> = [];
    let i = 0;
    let j = 0;
    // Both lists are in git's tree order; a name that changed type sorts apart and yields a delete + an add.
    while (i < as.length || j < bs.length) {
      const x = as[i];
      const y = bs[j];
      const c = !x ? 1 : !y ? -1 : compareTreeNames(x.path, x.type === 'tree', y.path, y.type === 'tree');
      if (c === 0) {
        i++;
        j++;
        if (x!.oid !== y!.oid || x!.mode !== y!.mode) tasks.push(this.diffEntries(x!, y!, prefix + x!.path, out));
      } else if (c < 0) {
        i++;
        tasks.push(this.diffEntries(x!, null, prefix + x!.path, out));
      } else {
        j++;
        tasks.push(this.diffEntries(null, y!, prefix + y!.path, out));
      }
    }
    await Promise.all(tasks);
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
    const limit = opts.limit ?? Infinity;
    if (limit <= 0) return;
    const heap = new CommitHeap();
    const seen = new Set<string>();
    /** Unyielded commits in the heap that list this oid as a parent. */
    const pendingChildren = new Map<string, number>();
    const deferred = new Map<string, { info: CommitInfo; rank: number }>();
    const enqueue = async (oid: string, cap: number): Promise<void> => {
      if (seen.has(oid)) return;
      seen.add(oid);
      const info = await this.readCommit(oid);
      for (const p of info.parents) pendingChildren.set(p, (pendingChildren.get(p) ?? 0) + 1);
      heap.push({ info, rank: Math.min(info.committer.timestamp, cap) });
    };
    await enqueue(await this.commitOid(start), Infinity);
    let yielded = 0;
    while (heap.size > 0 && yielded < limit) {
      const item = heap.pop()!;
      const { info } = item;
      if ((pendingChildren.get(info.oid) ?? 0) > 0) {
        // A child is still queued (clock skew made it look older): wait for it.
        deferred.set(info.oid, item);
        continue;
      }
      for (const p of info.parents) {
        const left = (pendingChildren.get(p) ?? 1) - 1;
        if (left > 0) pendingChildren.set(p, left);
        else {
          pendingChildren.delete(p);
          const waiting = deferred.get(p);
          if (waiting) {
            deferred.delete(p);
            heap.push({ info: waiting.info, rank: Math.min(waiting.rank, item.rank) });
          }
        }
      }
      await Promise.all(info.parents.map((p) => enqueue(p, item.rank)));
      if (!paths) {
        yielded++;
        yield info;
        continue;
      }
      const parentTree = info.parents[0] ? (await this.readCommit(info.parents[0])).tree : null;
      const changes = await this.changesUnder(parentTree, info.tree, paths);
      if (changes.length === 0) continue;
      yielded++;
      yield { ...info, changes };
    }
  }

  private async changesUnder(oldRoot: string | null, newRoot: string, paths: readonly string[]): Promise<FileChange[]> {
    if (oldRoot === newRoot) return [];
    const byPath = new Map<string, FileChange>();
    for (const p of paths) {
      for (const o of await this.diffTreesAt(oldRoot, newRoot, p))
        byPath.set(o.path, { path: o.path, before: o.oldOid, after: o.oid });
    }
    return [...byPath.values()].sort((x, y) => comparePaths(x.path, y.path));
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
    const branch = checkBranchName(opts.branch);
    const committer = opts.committer ?? opts.author;
    const { oid, root, ops, contents } = await this.buildCommit(opts, false);
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
   * Writes the objects of a commit of `changes` on top of `parent` — blobs, the trees on changed paths, the
   * commit — and returns its oid, moving no ref. With `deferObjects`, the objects stay in memory (readable) until
   * flushDeferredObjects(): a long-lived writer chains several commits and writes them together before one ref
   * update (resetBranch) publishes them all.
   */
  async writeCommit(opts: {
    parent: string | null;
    changes: ChangeSet;
    message: string;
    author: Signature;
    committer?: Signature;
    deferObjects?: boolean;
  }): Promise<string> {
    return (await this.buildCommit(opts, opts.deferObjects === true)).oid;
  }

  private async buildCommit(
    opts: { parent: string | null; changes: ChangeSet; message: string; author: Signature; committer?: Signature },
    defer: boolean,
  ): Promise<{ oid: string; root: string; ops: Map<string, FileOp>; contents: Map<string, Uint8Array> }> {
    if (opts.parent !== null && !OID_RE.test(opts.parent))
      throw RegistryError.invalid(`Invalid parent commit '${opts.parent}'.`);
    const tree = buildChangeTree(opts.changes);
    const parentTree = opts.parent === null ? null : (await this.readCommit(opts.parent)).tree;
    // Objects: blobs, the trees on changed paths, the commit. Unreferenced until the ref moves, so a
    // crash here leaves only garbage that `git gc` prunes.
    const ops = new Map<string, FileOp>();
    const contents = new Map<string, Uint8Array>();
    const root =
      (await this.buildTree(parentTree, tree, '', ops, contents, defer)) ??
      (await this.writeObject('tree', Buffer.alloc(0), defer));
    const body = serializeCommit({
      tree: root,
      parents: opts.parent === null ? [] : [opts.parent],
      author: opts.author,
      committer: opts.committer ?? opts.author,
      message: opts.message,
    });
    const oid = await this.writeObject('commit', body, defer);
    this.commits.set(oid, parseCommit(oid, body));
    return { oid, root, ops, contents };
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
    defer = false,
  ): Promise<string | null> {
    const old = oldOid === null ? [] : await this.treeEntries(oldOid);
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
      for (const f of await this.listTree(e.oid, p + '/', true))
        record({ path: f.path, oid: null, mode: null, oldOid: f.oid, oldMode: f.mode });
    };
    await Promise.all(
      [...node.children].map(async ([name, child]) => {
        const before = findEntry(old, name);
        const p = prefix + name;
        if (child.write) {
          const oid = await this.writeObject('blob', child.write, defer);
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
        const sub = child.children.size === 0 ? null : await this.buildTree(base, child, p + '/', ops, contents, defer);
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
    const oid = await this.writeObject('tree', serializeTree(entries), defer);
    this.trees.set(
      oid,
      entries.map((e) => Object.freeze(e)),
      entries.length + 1,
    );
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
    /** The file changes, for the checkout: a function when they cost a tree diff that a bare repository never needs. */
    ops: FileOp[] | (() => Promise<FileOp[]>);
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
        const ops = typeof u.ops === 'function' ? await u.ops() : u.ops;
        journaled = await this.updateCheckout(ops, u.content, u.newTree, {
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
        const all = newTree === null ? [] : await this.listTree(newTree, '', true);
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
    const target = await this.commitOid(oid);
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
    const ops = await this.diffTreesAt(oldTree, newTree, '');
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
  async resetBranch(branch: string, from: string, to: string, reflog?: string): Promise<void> {
    checkBranchName(branch);
    const target = await this.commitOid(to);
    if (from === target) return;
    const [oldTree, newTree] = await Promise.all([this.rootTree(from), this.rootTree(target)]);
    const who = (await this.readCommit(target)).committer;
    await this.moveBranch({
      branch,
      expected: from,
      newOid: target,
      newTree,
      ops: () => this.diffTreesAt(oldTree, newTree, ''),
      content: (op) => this.readBlob(op.oid!),
      who,
      reflog: reflog ?? `reset: moving to ${target}`,
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

  /** Whether `ancestor` is reachable from `descendant`. */
  private async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const floor = (await this.readCommit(ancestor)).committer.timestamp - 86_400; // clock-skew slop, as git's
    const seen = new Set<string>([descendant]);
    let frontier = [descendant];
    while (frontier.length > 0) {
      if (frontier.includes(ancestor)) return true;
      const infos = await mapLimit(frontier, IO_CONCURRENCY, (o) => this.readCommit(o));
      const next: string[] = [];
      for (const c of infos) {
        for (const p of c.parents) {
          if (seen.has(p)) continue;
          seen.add(p);
          const pc = await this.readCommit(p);
          if (p === ancestor || pc.committer.timestamp >= floor) next.push(p);
        }
      }
      frontier = next;
    }
    return false;
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
    if (remoteTip !== null && !(await this.hasObject(remoteTip))) {
      return {
        ok: false,
        reason: 'conflict',
        message: `The remote tip ${remoteTip} is unknown here: fetch and retry.`,
        objectCount: 0,
      };
    }

    const { commits, fastForward } = await this.commitsToSend(local, remoteTip);
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
   * Commits reachable from `local` but not from `remoteTip` (git's rev-list painting: walk both sides
   * newest first, stop when only commits the remote has are left), and whether `remoteTip` is an ancestor.
   */
  private async commitsToSend(
    local: string,
    remoteTip: string | null,
  ): Promise<{ commits: CommitInfo[]; fastForward: boolean }> {
    const state = new Map<string, { info: CommitInfo; theirs: boolean; expanded: boolean }>();
    const heap = new CommitHeap();
    let ours = 0;
    let reachedTip = remoteTip === null;
    const add = async (oid: string, theirs: boolean): Promise<void> => {
      const known = state.get(oid);
      if (known) {
        if (theirs) markTheirs(oid);
        return;
      }
      const info = await this.readCommit(oid);
      state.set(oid, { info, theirs, expanded: false });
      if (!theirs) ours++;
      heap.push({ info, rank: info.committer.timestamp });
    };
    const markTheirs = (oid: string): void => {
      const stack = [oid];
      while (stack.length > 0) {
        const s = state.get(stack.pop()!);
        if (!s || s.theirs) continue;
        s.theirs = true;
        if (!s.expanded) ours--;
        else stack.push(...s.info.parents);
      }
    };
    await add(local, false);
    if (remoteTip !== null) await add(remoteTip, true);
    while (heap.size > 0 && ours > 0) {
      const { info } = heap.pop()!;
      const s = state.get(info.oid)!;
      if (s.expanded) continue;
      s.expanded = true;
      if (!s.theirs) {
        ours--;
        if (info.parents.includes(remoteTip ?? '')) reachedTip = true;
      }
      for (const p of info.parents) await add(p, s.theirs);
      if (s.theirs) for (const p of info.parents) markTheirs(p);
    }
    if (local === remoteTip) reachedTip = true;
    const commits = [...state.values()].filter((s) => !s.theirs).map((s) => s.info);
    return { commits, fastForward: reachedTip };
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
        this.treeEntries(tree),
        Promise.all(theirs.map((t) => this.treeEntries(t))),
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
      const obj = await this.readRaw(oid);
      if (obj.type !== type)
        throw new RegistryError('INTERNAL_ERROR', `Object ${oid} is a ${obj.type}, expected a ${type}.`);
      return { type, body: obj.body };
    });
  }
}

// ---------------------------------------------------------------- helpers

/** An entry by name in a tree sorted in git order (a name may be a blob or a tree: try both keys). */
function findEntry(entries: readonly TreeEntry[], name: string): TreeEntry | null {
  for (const asTree of [false, true]) {
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = entries[mid]!;
      const c = compareTreeNames(e.path, e.type === 'tree', name, asTree);
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    const e = entries[lo];
    if (e && e.path === name && (e.type === 'tree') === asTree) return e;
  }
  return null;
}

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

/** A max-heap of commits by rank (committer time, possibly capped by a child's), FIFO among equals. */
class CommitHeap {
  private items: Array<{ info: CommitInfo; rank: number; seq: number }> = [];
  private seq = 0;
  get size(): number {
    return this.items.length;
  }
  push(x: { info: CommitInfo; rank: number }): void {
    const item = { ...x, seq: this.seq++ };
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): { info: CommitInfo; rank: number } | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < a.length && this.above(a[l]!, a[best]!)) best = l;
        if (r < a.length && this.above(a[r]!, a[best]!)) best = r;
        if (best === i) break;
        [a[i], a[best]] = [a[best]!, a[i]!];
        i = best;
      }
    }
    return top;
  }
  private above(x: { rank: number; seq: number }, y: { rank: number; seq: number }): boolean {
    return x.rank > y.rank || (x.rank === y.rank && x.seq < y.seq);
  }
}

export { EMPTY_TREE_OID };
