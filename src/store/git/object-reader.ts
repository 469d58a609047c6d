// Reading git objects: from the packs (pack-reader.ts), else loose (fs + zlib), else through isomorphic-git
// with ONE long-lived `cache` (gotcha 1 of the isomorphic-git measurements). Parsed commits and trees are
// kept in bounded LRUs by oid; traversals are breadth-first with bounded concurrency, never git.walk
// (gotchas 2, 9). The write side adds what it writes to the same caches (remember*).
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { RegistryError } from '../../errors.js';
import { createLimiter, mapLimit } from '../../util/concurrency.js';
import { Lru } from '../../util/lru.js';
import { errCode, IO_CONCURRENCY, isMissing } from './io.js';
import { iso } from './iso.js';
import {
  comparePaths,
  findEntry,
  findInRawTree,
  OID_RE,
  parseCommit,
  parseTree,
  typeOfMode,
  type CommitInfo,
  type ObjectType,
  type TreeEntry,
} from './objects.js';
import { PackCorruptError, PackReader } from './pack-reader.js';

/** Parsed trees kept in memory, counted in entries (a 10k-model `models/` tree is 10k). */
const TREE_CACHE_ENTRIES = 400_000;
const COMMIT_CACHE_SIZE = 20_000;

export interface RawObject {
  type: ObjectType;
  body: Buffer;
}

/** A file (blob, symbolic link or gitlink) found by listTree. */
export interface ListedFile {
  path: string;
  oid: string;
  mode: string;
}

export class ObjectReader {
  /** One long-lived isomorphic-git cache object, passed to every isomorphic-git call (gotcha 1). */
  readonly cache: object = {};
  /** Bounds concurrent object and file operations, reads and writes alike. */
  readonly limit = createLimiter(IO_CONCURRENCY);
  private readonly objectsDir: string;
  private readonly packs: PackReader;
  private readonly trees = new Lru<readonly TreeEntry[]>(TREE_CACHE_ENTRIES);
  private readonly commits = new Lru<CommitInfo>(COMMIT_CACHE_SIZE);
  /** Objects a deferring writer holds in memory, not yet on disk (object-writer.ts). */
  private pending: ReadonlyMap<string, RawObject> | undefined;

  /** `commondir` holds `objects/`; `label` names the repository in error messages. */
  constructor(
    private readonly commondir: string,
    private readonly label: string,
  ) {
    this.objectsDir = path.join(commondir, 'objects');
    this.packs = new PackReader(path.join(this.objectsDir, 'pack'), (oid) => this.readRawNow(oid));
  }

  async hasObject(oid: string): Promise<boolean> {
    try {
      await this.readRaw(oid);
      return true;
    } catch {
      return false;
    }
  }

  /** Reads an object's type and body. @throws RESOURCE_DOES_NOT_EXIST for an invalid or unknown oid. */
  async readRaw(oid: string): Promise<RawObject> {
    if (!OID_RE.test(oid)) throw new RegistryError('RESOURCE_DOES_NOT_EXIST', `Invalid object id '${oid}'.`, { oid });
    const held = this.pending?.get(oid);
    if (held) return held;
    return this.limit(() => this.readRawNow(oid));
  }

  /** Reads the objects a deferring writer of this repository holds in memory too (see ObjectWriter). */
  readPendingFrom(pending: ReadonlyMap<string, RawObject>): void {
    this.pending = pending;
  }

  /**
   * readRaw without the concurrency limit (a delta base is read while its delta holds a slot). Packs
   * written since the last look, or a pack format the reader leaves alone, go through isomorphic-git.
   */
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
        throw new RegistryError('RESOURCE_DOES_NOT_EXIST', `Object ${oid} does not exist in ${this.label}.`, { oid });
      }
      throw new RegistryError(
        'INTERNAL_ERROR',
        `Could not read object ${oid}: ${(e as Error).message}`,
        { oid },
        { cause: e },
      );
    }
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

  async readBlob(oid: string): Promise<Uint8Array> {
    const obj = await this.readRaw(oid);
    if (obj.type !== 'blob')
      throw new RegistryError('RESOURCE_DOES_NOT_EXIST', `Object ${oid} is a ${obj.type}, not a blob.`, { oid });
    return obj.body;
  }

  /** Parsed entries of a tree object, shared from the cache: never mutate them. */
  async treeEntries(oid: string): Promise<readonly TreeEntry[]> {
    const hit = this.trees.get(oid);
    if (hit) return hit;
    const obj = await this.readRaw(oid);
    if (obj.type !== 'tree')
      throw new RegistryError('INTERNAL_ERROR', `Object ${oid} is a ${obj.type}, not a tree.`, { oid });
    const entries = parseTree(obj.body).map((e) => Object.freeze(e));
    this.trees.set(oid, entries, entries.length + 1);
    return entries;
  }

  /** Puts a commit just written into the cache. */
  rememberCommit(info: CommitInfo): void {
    this.commits.set(info.oid, info);
  }

  /**
   * Puts a tree just written into the cache (the entries are frozen and must not be changed afterwards). `edit`
   * says what it was made from: only its `fresh` entries are new (the others come from a cached tree, frozen
   * already), and the tree it `replaces` leaves the cache — a writer that rewrites the 1000-entry `models/` tree
   * on every commit would otherwise fill the cache with its past versions and push out the trees still in use.
   */
  rememberTree(
    oid: string,
    entries: readonly TreeEntry[],
    edit?: { fresh: Iterable<TreeEntry>; replaces: string },
  ): void {
    for (const e of edit ? edit.fresh : entries) Object.freeze(e);
    if (edit && edit.replaces !== oid) this.trees.delete(edit.replaces);
    this.trees.set(oid, entries, entries.length + 1);
  }

  /** The entry at `p` below tree `treeOid` ('' = the tree itself), or null. */
  async entryAt(treeOid: string, p: string): Promise<TreeEntry | null> {
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

  /** Every blob (and, with `withGitlinks`, gitlink) under tree `treeOid`, breadth-first, in path order. */
  async listTree(treeOid: string, prefix: string, withGitlinks = false): Promise<ListedFile[]> {
    const out: ListedFile[] = [];
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
}
