// Reads objects out of packfiles (Documentation/gitformat-pack.txt: .idx version 2, .pack version 2,
// OFS_DELTA and REF_DELTA). isomorphic-git builds a Map of every oid in hex when it first opens a pack
// index (35-80 ms at 130k objects) and then costs ≈0.2 ms per object, 14× native `cat-file` on a packed
// repository; this reader binary-searches the .idx in place and inflates with node's native zlib.
//
// Packs are loaded whole into memory on first use, as isomorphic-git does; a pack larger than
// MAX_PACK_BYTES is left to isomorphic-git (the caller's fallback), as is an index in another version.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { ObjectType } from './objects.js';

export interface PackedObject {
  type: ObjectType;
  body: Buffer;
}

const MAX_PACK_BYTES = 1024 * 1024 * 1024;
/** Inflated objects kept as delta bases, in bytes (git's core.deltaBaseCacheLimit defaults to 96 MiB). */
const BASE_CACHE_BYTES = 64 * 1024 * 1024;
const TYPES: Record<number, ObjectType | undefined> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
const REF_DELTA = 7;

export class PackCorruptError extends Error {
  override readonly name = 'PackCorruptError';
}

class Pack {
  private data: Promise<Buffer> | undefined;
  private ends: { offsets: Float64Array; ends: Float64Array } | undefined;

  constructor(
    readonly packPath: string,
    private readonly idx: Buffer,
    private readonly count: number,
  ) {}

  static async open(idxPath: string): Promise<Pack | undefined> {
    const idx = await fsp.readFile(idxPath);
    if (idx.length < 8 + 1024 + 40 || idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) return undefined;
    const count = idx.readUInt32BE(8 + 255 * 4);
    const packPath = idxPath.slice(0, -4) + '.pack';
    const st = await fsp.stat(packPath).catch(() => undefined);
    if (!st || st.size > MAX_PACK_BYTES) return undefined;
    return new Pack(packPath, idx, count);
  }

  /** Offset of `oid` in the pack, or -1. */
  find(oid: Buffer): number {
    const idx = this.idx;
    const first = oid[0] as number;
    let lo = first === 0 ? 0 : idx.readUInt32BE(8 + (first - 1) * 4);
    let hi = idx.readUInt32BE(8 + first * 4);
    const names = 8 + 1024;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = idx.compare(oid, 0, 20, names + mid * 20, names + mid * 20 + 20);
      if (c === 0) return this.offsetAt(mid);
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }

  private offsetAt(i: number): number {
    const idx = this.idx;
    const offsets = 8 + 1024 + this.count * 24;
    const small = idx.readUInt32BE(offsets + i * 4);
    if ((small & 0x80000000) === 0) return small;
    const large = offsets + this.count * 4 + (small & 0x7fffffff) * 8;
    return idx.readUInt32BE(large) * 2 ** 32 + idx.readUInt32BE(large + 4);
  }

  bytes(): Promise<Buffer> {
    this.data ??= fsp.readFile(this.packPath).catch((e: unknown) => {
      this.data = undefined;
      throw e;
    });
    return this.data;
  }

  /** Where the object at `offset` ends: the next object's offset, or the trailing checksum. */
  endOf(offset: number, packLength: number): number {
    if (!this.ends) {
      const offsets = new Float64Array(this.count);
      for (let i = 0; i < this.count; i++) offsets[i] = this.offsetAt(i);
      offsets.sort();
      const ends = new Float64Array(this.count);
      for (let i = 0; i < this.count; i++) ends[i] = i + 1 < this.count ? (offsets[i + 1] as number) : packLength - 20;
      this.ends = { offsets, ends };
    }
    const { offsets, ends } = this.ends;
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((offsets[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    if (offsets[lo] !== offset) throw new PackCorruptError(`no object at offset ${offset} of ${this.packPath}`);
    return ends[lo] as number;
  }
}

/** The packs of one object directory. */
export class PackReader {
  private packs: Promise<Pack[]> | undefined;
  /** Opened packs by path, reused across rescans so their loaded bytes are not read again. */
  private readonly opened = new Map<string, Pack>();
  private readonly baseCache = new Map<string, PackedObject>();
  private baseCacheBytes = 0;

  /**
   * @param readAny reads any object by oid (for REF_DELTA bases, which may live in another pack or loose).
   */
  constructor(
    private readonly packDir: string,
    private readonly readAny: (oid: string) => Promise<PackedObject>,
  ) {}

  /** Forgets the list of packs, so the next read sees packs written (or removed) since. */
  rescan(): void {
    this.packs = undefined;
  }

  private list(): Promise<Pack[]> {
    this.packs ??= (async () => {
      const names = await fsp.readdir(this.packDir).catch(() => [] as string[]);
      const idxPaths = names.filter((n) => n.endsWith('.idx')).map((n) => path.join(this.packDir, n));
      const packs = await Promise.all(
        idxPaths.map(async (idxPath) => {
          const known = this.opened.get(idxPath);
          if (known) return known;
          const opened = await Pack.open(idxPath).catch(() => undefined);
          if (opened) this.opened.set(idxPath, opened);
          return opened;
        }),
      );
      for (const known of this.opened.keys()) if (!idxPaths.includes(known)) this.opened.delete(known);
      // Newest first: after a repack, recently written packs hold most of what is read.
      const withTime = await Promise.all(
        packs
          .filter((p): p is Pack => p !== undefined)
          .map(async (p) => ({ p, t: (await fsp.stat(p.packPath).catch(() => undefined))?.mtimeMs ?? 0 })),
      );
      return withTime.sort((a, b) => b.t - a.t).map((x) => x.p);
    })();
    return this.packs;
  }

  /** The object, or undefined when no pack this reader handles holds it. */
  async read(oid: string): Promise<PackedObject | undefined> {
    const key = Buffer.from(oid, 'hex');
    for (const pack of await this.list()) {
      const offset = pack.find(key);
      if (offset >= 0) return this.readAt(pack, offset);
    }
    return undefined;
  }

  private async readAt(pack: Pack, offset: number): Promise<PackedObject> {
    const cacheKey = `${pack.packPath}:${offset}`;
    const cached = this.baseCache.get(cacheKey);
    if (cached) return cached;
    const data = await pack.bytes();
    let p = offset;
    let c = data[p++] as number;
    const kind = (c >> 4) & 7;
    let size = c & 15;
    let shift = 4;
    while (c & 0x80) {
      c = data[p++] as number;
      size += (c & 0x7f) * 2 ** shift;
      shift += 7;
    }
    let base: Promise<PackedObject> | undefined;
    if (kind === OFS_DELTA) {
      c = data[p++] as number;
      let back = c & 127;
      while (c & 128) {
        back += 1;
        c = data[p++] as number;
        back = back * 128 + (c & 127);
      }
      base = this.readAt(pack, offset - back);
    } else if (kind === REF_DELTA) {
      const baseOid = data.toString('hex', p, p + 20);
      p += 20;
      base = this.readBase(pack, baseOid);
    }
    const end = pack.endOf(offset, data.length);
    // The header gives the inflated size: one output chunk of exactly that (+1, so zlib sees the end without
    // asking for another) instead of 16 KB chunks — most objects are a few hundred bytes, and at 100k files the
    // default allocated gigabytes for the garbage collector.
    const inflated = zlib.inflateSync(data.subarray(p, end), { chunkSize: Math.max(64, size + 1) });
    let obj: PackedObject;
    if (base) {
      const b = await base;
      obj = { type: b.type, body: applyDelta(b.body, inflated) };
    } else {
      const type = TYPES[kind];
      if (!type) throw new PackCorruptError(`unknown object type ${kind} at offset ${offset} of ${pack.packPath}`);
      if (inflated.length !== size)
        throw new PackCorruptError(`object at offset ${offset} of ${pack.packPath} has the wrong size`);
      obj = { type, body: inflated };
    }
    // Trees and the objects deltas are built on are read again and again; blobs rarely are.
    if (obj.type !== 'blob' || base) this.remember(cacheKey, obj);
    return obj;
  }

  /** A REF_DELTA base: in this pack if it is there, else anywhere. */
  private async readBase(pack: Pack, oid: string): Promise<PackedObject> {
    const offset = pack.find(Buffer.from(oid, 'hex'));
    return offset >= 0 ? this.readAt(pack, offset) : this.readAny(oid);
  }

  private remember(key: string, obj: PackedObject): void {
    if (obj.body.length > BASE_CACHE_BYTES / 8) return;
    // Concurrent reads of one object both arrive here: replace, never count twice (a drifting count made
    // every later insert flush the whole cache).
    const previous = this.baseCache.get(key);
    if (previous) {
      this.baseCache.delete(key);
      this.baseCacheBytes -= previous.body.length;
    }
    this.baseCache.set(key, obj);
    this.baseCacheBytes += obj.body.length;
    while (this.baseCacheBytes > BASE_CACHE_BYTES) {
      const oldest = this.baseCache.entries().next();
      if (oldest.done) break;
      this.baseCache.delete(oldest.value[0]);
      this.baseCacheBytes -= oldest.value[1].body.length;
    }
  }
}

function deltaVarint(delta: Buffer, pos: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  let c: number;
  do {
    c = delta[pos++] as number;
    value += (c & 0x7f) * 2 ** shift;
    shift += 7;
  } while (c & 0x80);
  return { value, next: pos };
}

/** Applies a git delta (copy-from-base and insert instructions) to `base`. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  const src = deltaVarint(delta, 0);
  if (src.value !== base.length) throw new PackCorruptError('delta base has the wrong size');
  const dst = deltaVarint(delta, src.next);
  const out = Buffer.allocUnsafe(dst.value);
  let p = dst.next;
  let o = 0;
  while (p < delta.length) {
    const op = delta[p++] as number;
    if (op & 0x80) {
      let off = 0;
      let size = 0;
      if (op & 0x01) off += delta[p++] as number;
      if (op & 0x02) off += (delta[p++] as number) * 0x100;
      if (op & 0x04) off += (delta[p++] as number) * 0x10000;
      if (op & 0x08) off += (delta[p++] as number) * 0x1000000;
      if (op & 0x10) size += delta[p++] as number;
      if (op & 0x20) size += (delta[p++] as number) * 0x100;
      if (op & 0x40) size += (delta[p++] as number) * 0x10000;
      if (size === 0) size = 0x10000;
      if (off + size > base.length || o + size > out.length) throw new PackCorruptError('delta copies out of range');
      base.copy(out, o, off, off + size);
      o += size;
    } else if (op !== 0) {
      if (p + op > delta.length || o + op > out.length) throw new PackCorruptError('delta inserts out of range');
      delta.copy(out, o, p, p + op);
      p += op;
      o += op;
    } else {
      throw new PackCorruptError('delta opcode 0 is reserved');
    }
  }
  if (o !== out.length) throw new PackCorruptError('delta result has the wrong size');
  return out;
}
