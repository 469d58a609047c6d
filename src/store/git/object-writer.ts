// Writing loose objects. Not with git.writeBlob/writeTree/writeCommit: isomorphic-git writes objects in
// place (gotcha 6), so a process killed mid-write leaves a truncated object at its final path, which
// isomorphic-git then never repairs (it skips existing files) and `git fsck` reports as corrupt. Like
// native git, we write `objects/xx/tmp_obj_*`, optionally fsync it, and rename it into place, so an object
// file is either absent or complete.
import { createHash, randomBytes } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ObjectReader, RawObject } from './object-reader.js';
import { zlibStored } from './zlib-stored.js';
import {
  looseChecksum,
  parseCommit,
  serializeCommit,
  serializeTree,
  setTreeBody,
  type ObjectType,
  type Signature,
  type TreeEntry,
} from './objects.js';

const deflate = promisify(zlib.deflate);

/** Temp file names: unique to this process (random), then counted — a random draw per object showed in profiles. */
const TMP_PREFIX = `tmp_obj_${randomBytes(4).toString('hex')}`;
let tmpCount = 0;
const tmpName = (dir: string): string => `${dir}/${TMP_PREFIX}${(tmpCount++).toString(36)}`;

/**
 * Writes objects into a repository and tells its reader's caches about the trees and commits written.
 *
 * A deferring writer (`defer: true`) keeps its objects in memory instead — readable through the reader, which
 * looks here first — until flush() writes them all in one synchronous loop: a long-lived writer chains several
 * commits and writes their objects together before one ref update publishes them (a thread-pool round trip
 * per system call cost more than the writes). drop() forgets objects whose commits will never be published.
 */
export class ObjectWriter {
  private readonly pending = new Map<string, RawObject>();
  /** Fan-out folders known to exist (flush). */
  private readonly knownDirs = new Set<string>();

  constructor(
    private readonly objects: ObjectReader,
    private readonly objectsDir: string,
    private readonly defer = false,
    /** fsync each object before it is renamed into place (core.fsync names `loose-object`; off by default, as in git). */
    private readonly fsync = false,
  ) {
    if (defer) objects.readPendingFrom(this.pending);
  }

  write(type: ObjectType, body: Uint8Array): Promise<string> {
    return this.writeOwned(type, body, true);
  }

  /** write(); a deferring writer copies what it keeps unless the buffer is its own (a tree or commit made here). */
  private writeOwned(type: ObjectType, body: Uint8Array, copy = false): Promise<string> {
    if (this.defer) {
      const oid = hashObject(type, body);
      if (!this.pending.has(oid)) this.pending.set(oid, { type, body: copy ? Buffer.from(body) : (body as Buffer) });
      return Promise.resolve(oid);
    }
    return this.objects.limit(() => writeLooseObject(this.objectsDir, type, body, this.fsync));
  }

  /**
   * Writes a tree of entries already in git order (they and the array are frozen and cached: never change them
   * afterwards), from its serialized body when the caller has it (patchTreeBody). `edit`: the tree it replaces
   * and its only new entries (ObjectReader.rememberTree).
   */
  async writeTree(
    entries: readonly TreeEntry[],
    body?: Buffer,
    edit?: { fresh: Iterable<TreeEntry>; replaces: string },
  ): Promise<string> {
    if (!body) {
      body = serializeTree(entries);
      setTreeBody(entries, body);
    }
    const oid = await this.writeOwned('tree', body);
    this.objects.rememberTree(oid, entries, edit);
    return oid;
  }

  async writeCommit(c: {
    tree: string;
    parents: string[];
    author: Signature;
    committer: Signature;
    message: string;
  }): Promise<string> {
    const body = serializeCommit(c);
    const oid = await this.writeOwned('commit', body);
    this.objects.rememberCommit(parseCommit(oid, body));
    return oid;
  }

  /** Writes the deferred objects as loose objects; call it before any ref points at them. Returns how many. */
  flush(): number {
    let written = 0;
    for (const [oid, o] of this.pending) {
      if (writeLooseObjectSync(this.objectsDir, oid, o.type, o.body, this.knownDirs, this.fsync)) written++;
      this.pending.delete(oid);
    }
    return written;
  }

  /** Forgets the deferred objects. */
  drop(): void {
    this.pending.clear();
  }
}

function hashObject(type: ObjectType, body: Uint8Array): string {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
}

/**
 * writeLooseObject, synchronously (flush's loop), stored uncompressed (zlib-stored.ts: what
 * core.looseCompression=0 writes). Trees are mostly SHA-1s, which deflate shrinks by a third at ten times the
 * CPU on the `models/` tree every commit rewrites, and a one-off zlib call costs more than a small YAML file
 * saves; `git gc` packs and compresses them later.
 */
function writeLooseObjectSync(
  objectsDir: string,
  oid: string,
  type: ObjectType,
  body: Uint8Array,
  knownDirs: Set<string>,
  fsync: boolean,
): boolean {
  const dir = `${objectsDir}/${oid.slice(0, 2)}`;
  const file = `${dir}/${oid.slice(2)}`;
  if (fs.existsSync(file)) return false;
  const data = zlibStored([Buffer.from(`${type} ${body.length}\0`), body], looseChecksum(body));
  if (!knownDirs.has(dir)) {
    fs.mkdirSync(dir, { recursive: true });
    knownDirs.add(dir);
  }
  const tmp = tmpName(dir);
  const fd = fs.openSync(tmp, 'wx', 0o444);
  try {
    fs.writeFileSync(fd, data);
    if (fsync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  return true;
}

/**
 * Writes one loose object atomically (temp file, fsync, rename) unless it already exists loose.
 * Compression level 1, native git's default for loose objects (core.looseCompression).
 */
async function writeLooseObject(
  objectsDir: string,
  type: ObjectType,
  body: Uint8Array,
  fsync: boolean,
): Promise<string> {
  const header = Buffer.from(`${type} ${body.length}\0`);
  const oid = createHash('sha1').update(header).update(body).digest('hex');
  const dir = `${objectsDir}/${oid.slice(0, 2)}`;
  const file = `${dir}/${oid.slice(2)}`;
  try {
    await fsp.access(file);
    return oid;
  } catch {
    // absent: write it
  }
  const data = await deflate(Buffer.concat([header, body]), { level: 1 });
  await fsp.mkdir(dir, { recursive: true });
  // `tmp_obj_` is the prefix native git uses; `git fsck` and `git gc` know to ignore and clean such files.
  const tmp = tmpName(dir);
  const handle = await fsp.open(tmp, 'wx', 0o444);
  try {
    await handle.writeFile(data);
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
  return oid;
}
