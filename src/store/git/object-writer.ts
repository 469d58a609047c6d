// Writing loose objects. Not with git.writeBlob/writeTree/writeCommit: isomorphic-git writes objects in
// place (gotcha 6), so a process killed mid-write leaves a truncated object at its final path, which
// isomorphic-git then never repairs (it skips existing files) and `git fsck` reports as corrupt. Like
// native git, we write `objects/xx/tmp_obj_*`, optionally fsync it, and rename it into place, so an object
// file is either absent or complete.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ObjectReader } from './object-reader.js';
import {
  parseCommit,
  serializeCommit,
  serializeTree,
  type ObjectType,
  type Signature,
  type TreeEntry,
} from './objects.js';

const deflate = promisify(zlib.deflate);
/**
 * Loose objects are not fsynced, as native git's default (core.fsync=committed,-loose-object): the ref's
 * fsync before it is renamed commits the file system's journal, which writes the new objects' data too
 * (ext4's default data=ordered).
 */
const FSYNC_OBJECTS = false;

/** Writes objects into a repository and tells its reader's caches about the trees and commits written. */
export class ObjectWriter {
  constructor(
    private readonly objects: ObjectReader,
    private readonly objectsDir: string,
  ) {}

  write(type: ObjectType, body: Uint8Array): Promise<string> {
    return this.objects.limit(() => writeLooseObject(this.objectsDir, type, body, FSYNC_OBJECTS));
  }

  /** Writes a tree of entries already in git order (they are frozen and cached: never change them afterwards). */
  async writeTree(entries: TreeEntry[]): Promise<string> {
    const oid = await this.write('tree', serializeTree(entries));
    this.objects.rememberTree(oid, entries);
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
    const oid = await this.write('commit', body);
    this.objects.rememberCommit(parseCommit(oid, body));
    return oid;
  }
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
  const tmp = `${dir}/tmp_obj_${randomBytes(6).toString('hex')}`;
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
