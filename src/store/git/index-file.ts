// A patcher for git's index file (`.git/index`, "DIRC" versions 2, 3 and 4; see git's
// Documentation/gitformat-index.txt). Replaces, inserts and removes only the entries of the paths a
// commit changed and copies every other entry byte for byte, instead of rebuilding 110k entries
// (isomorphic-git's git.add rewrites the whole 12 MB index: 224-329 ms at 100k files).
//
// Extensions: TREE (cache-tree) is kept with the changed paths invalidated exactly as git's
// cache_tree_invalidate_path does; REUC (resolve-undo) is kept; every other optional extension
// (signature starting with A-Z: UNTR, FSMN, EOIE, IEOT, …) is dropped, which the format allows and
// which is required for EOIE/IEOT since entry offsets move. A required extension (lower-case: `link`
// for split index, `sdir` for sparse index) cannot be patched: UnsupportedIndexError, and the caller
// rebuilds the index from the tree.
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { patchCacheTree, UnsupportedIndexError } from './index-cache-tree.js';

export interface StatData {
  ctimeSec: number;
  ctimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
  dev: number;
  ino: number;
  uid: number;
  gid: number;
  size: number;
}

export interface IndexEntryInfo {
  path: string;
  oid: string;
  /** Unix mode as git stores it: 0o100644, 0o100755, 0o120000, 0o160000. */
  mode: number;
  stage: number;
  stat: StatData;
}

export interface IndexUpsert {
  path: string;
  oid: string;
  mode: number;
  /** Stat data of the work-tree file just written; null when unknown (git then re-hashes the file once). */
  stat: StatData | null;
}

export { UnsupportedIndexError };

const ZERO_STAT: StatData = {
  ctimeSec: 0,
  ctimeNsec: 0,
  mtimeSec: 0,
  mtimeNsec: 0,
  dev: 0,
  ino: 0,
  uid: 0,
  gid: 0,
  size: 0,
};
const ENTRY_FIXED = 62; // 10 × uint32 stat fields, 20-byte oid, 16-bit flags
const FLAG_EXTENDED = 0x4000;
const NAME_MASK = 0x0fff;

export function statFromStats(st: BigIntStats): StatData {
  const u32 = (v: bigint): number => Number(v & 0xffffffffn);
  return {
    ctimeSec: u32(st.ctimeNs / 1_000_000_000n),
    ctimeNsec: Number(st.ctimeNs % 1_000_000_000n),
    mtimeSec: u32(st.mtimeNs / 1_000_000_000n),
    mtimeNsec: Number(st.mtimeNs % 1_000_000_000n),
    dev: u32(st.dev),
    ino: u32(st.ino),
    uid: u32(st.uid),
    gid: u32(st.gid),
    size: u32(st.size),
  };
}

/**
 * Whether the work-tree file's stat data still matches the entry, as git's ie_match_stat decides
 * (dev is not compared: git is built without USE_STDEV). An entry not older than the index file itself
 * is "racily clean" and never matches, so the caller hashes the file.
 */
export function statMatches(
  entry: IndexEntryInfo,
  st: BigIntStats,
  indexMtime: { sec: number; nsec: number } | undefined,
): boolean {
  const s = statFromStats(st);
  const e = entry.stat;
  if (!st.isFile() && !st.isSymbolicLink()) return false;
  const modeType = entry.mode & 0o170000;
  if (st.isSymbolicLink() !== (modeType === 0o120000)) return false;
  if (modeType === 0o100000 && ((Number(st.mode) & 0o100) !== 0) !== ((entry.mode & 0o100) !== 0)) return false;
  const same =
    e.mtimeSec === s.mtimeSec &&
    e.mtimeNsec === s.mtimeNsec &&
    e.ctimeSec === s.ctimeSec &&
    e.ctimeNsec === s.ctimeNsec &&
    e.ino === s.ino &&
    e.uid === s.uid &&
    e.gid === s.gid &&
    e.size === s.size;
  if (!same) return false;
  if (indexMtime && (e.mtimeSec > indexMtime.sec || (e.mtimeSec === indexMtime.sec && e.mtimeNsec >= indexMtime.nsec)))
    return false;
  return true;
}

export class GitIndexFile {
  /** Byte offset of each entry, plus the offset just past the last one. */
  private readonly starts: Uint32Array;
  private readonly pathStarts: Uint32Array;
  private readonly pathEnds: Uint32Array;
  /** Full paths, only for version 4 (prefix-compressed on disk). */
  private readonly v4Paths: Buffer[] | undefined;
  private readonly extensions: Array<{ sig: string; data: Buffer }>;

  private constructor(
    private readonly buf: Buffer,
    readonly version: number,
    readonly count: number,
    parsed: {
      starts: Uint32Array;
      pathStarts: Uint32Array;
      pathEnds: Uint32Array;
      v4Paths: Buffer[] | undefined;
      extensions: Array<{ sig: string; data: Buffer }>;
    },
  ) {
    this.starts = parsed.starts;
    this.pathStarts = parsed.pathStarts;
    this.pathEnds = parsed.pathEnds;
    this.v4Paths = parsed.v4Paths;
    this.extensions = parsed.extensions;
  }

  static parse(buf: Buffer): GitIndexFile {
    if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC')
      throw new UnsupportedIndexError('not a git index file');
    const version = buf.readUInt32BE(4);
    if (version < 2 || version > 4) throw new UnsupportedIndexError(`index version ${version} is not supported`);
    const count = buf.readUInt32BE(8);
    const end = buf.length - 20;
    const starts = new Uint32Array(count + 1);
    const pathStarts = new Uint32Array(count);
    const pathEnds = new Uint32Array(count);
    const v4Paths: Buffer[] | undefined = version === 4 ? new Array<Buffer>(count) : undefined;
    let pos = 12;
    let prev: Buffer = Buffer.alloc(0);
    for (let i = 0; i < count; i++) {
      if (pos + ENTRY_FIXED > end) throw new UnsupportedIndexError('truncated index');
      starts[i] = pos;
      const flags = buf.readUInt16BE(pos + 60);
      let hdr = ENTRY_FIXED;
      if (flags & FLAG_EXTENDED) {
        if (version < 3) throw new UnsupportedIndexError('extended flags in a version 2 index');
        hdr += 2;
      }
      const ps = pos + hdr;
      if (v4Paths) {
        const { value: strip, next } = decodeVarint(buf, ps);
        const nul = buf.indexOf(0, next);
        if (nul < 0 || nul >= end || strip > prev.length) throw new UnsupportedIndexError('corrupt version 4 path');
        const full = Buffer.concat([prev.subarray(0, prev.length - strip), buf.subarray(next, nul)]);
        v4Paths[i] = full;
        prev = full;
        pathStarts[i] = next;
        pathEnds[i] = nul;
        pos = nul + 1;
      } else {
        const len = flags & NAME_MASK;
        const pe = len < NAME_MASK ? ps + len : buf.indexOf(0, ps);
        if (pe < 0 || pe >= end) throw new UnsupportedIndexError('corrupt index path');
        pathStarts[i] = ps;
        pathEnds[i] = pe;
        pos += (hdr + (pe - ps) + 8) & ~7;
      }
    }
    starts[count] = pos;
    const extensions: Array<{ sig: string; data: Buffer }> = [];
    while (pos + 8 <= end) {
      const sig = buf.toString('latin1', pos, pos + 4);
      const size = buf.readUInt32BE(pos + 4);
      if (pos + 8 + size > end) throw new UnsupportedIndexError('corrupt index extension');
      extensions.push({ sig, data: buf.subarray(pos + 8, pos + 8 + size) });
      pos += 8 + size;
    }
    for (const ext of extensions) {
      const c = ext.sig.charCodeAt(0);
      if (!(c >= 0x41 && c <= 0x5a))
        throw new UnsupportedIndexError(`required index extension '${ext.sig}' is not supported`);
    }
    return new GitIndexFile(buf, version, count, { starts, pathStarts, pathEnds, v4Paths, extensions });
  }

  private pathOf(i: number): Buffer {
    return this.v4Paths ? (this.v4Paths[i] as Buffer) : this.buf.subarray(this.pathStarts[i], this.pathEnds[i]);
  }

  /** Sign of (entry i's path − target). */
  private cmp(i: number, target: Buffer): number {
    if (this.v4Paths) return Buffer.compare(this.v4Paths[i] as Buffer, target);
    return this.buf.compare(target, 0, target.length, this.pathStarts[i], this.pathEnds[i]);
  }

  /** First entry whose path is >= target. */
  private lowerBound(target: Buffer): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmp(mid, target) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private entryAt(i: number): IndexEntryInfo {
    const b = this.buf;
    const p = this.starts[i] as number;
    return {
      path: this.pathOf(i).toString('utf8'),
      oid: b.toString('hex', p + 40, p + 60),
      mode: b.readUInt32BE(p + 24),
      stage: (b.readUInt16BE(p + 60) >> 12) & 3,
      stat: {
        ctimeSec: b.readUInt32BE(p),
        ctimeNsec: b.readUInt32BE(p + 4),
        mtimeSec: b.readUInt32BE(p + 8),
        mtimeNsec: b.readUInt32BE(p + 12),
        dev: b.readUInt32BE(p + 16),
        ino: b.readUInt32BE(p + 20),
        uid: b.readUInt32BE(p + 28),
        gid: b.readUInt32BE(p + 32),
        size: b.readUInt32BE(p + 36),
      },
    };
  }

  /** The stage-0 entry of a path, if any. */
  lookup(path: string): IndexEntryInfo | undefined {
    const target = Buffer.from(path);
    for (let i = this.lowerBound(target); i < this.count && this.cmp(i, target) === 0; i++) {
      const e = this.entryAt(i);
      if (e.stage === 0) return e;
    }
    return undefined;
  }

  /** Every entry (for tests and diagnostics; the write path never materialises them all). */
  entries(): IndexEntryInfo[] {
    const out: IndexEntryInfo[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.entryAt(i));
    return out;
  }

  /**
   * The new index bytes: `upserts` replace every entry (all stages) of their path, entries under
   * `<path>/` and entries named like one of its parent directories (no file/directory clash can remain);
   * `removals` drop every entry of their path. Everything else is copied unchanged.
   */
  patch(upserts: readonly IndexUpsert[], removals: readonly string[]): Buffer {
    return Buffer.concat(this.patchChunks(upserts, removals));
  }

  /** `patch` as the list of byte ranges to write one after the other (no 12 MB copy). */
  patchChunks(upserts: readonly IndexUpsert[], removals: readonly string[]): Buffer[] {
    const n = this.count;
    const removed = new Uint8Array(n);
    const removeRange = (lo: number, hi: number): void => {
      for (let i = lo; i < hi; i++) removed[i] = 1;
    };
    const removeExact = (p: Buffer): void => {
      const lo = this.lowerBound(p);
      let hi = lo;
      while (hi < n && this.cmp(hi, p) === 0) hi++;
      removeRange(lo, hi);
    };
    const touched: string[] = [];
    for (const r of removals) {
      removeExact(Buffer.from(r));
      touched.push(r);
    }
    const inserts = upserts.map((u) => ({ u, key: Buffer.from(u.path) })).sort((a, b) => Buffer.compare(a.key, b.key));
    for (const { u, key } of inserts) {
      removeExact(key);
      removeRange(this.lowerBound(Buffer.from(u.path + '/')), this.lowerBound(Buffer.from(u.path + '0'))); // '0' follows '/'
      for (let s = u.path.indexOf('/'); s >= 0; s = u.path.indexOf('/', s + 1))
        removeExact(Buffer.from(u.path.slice(0, s)));
      touched.push(u.path);
    }
    const positions = inserts.map(({ key }) => this.lowerBound(key));
    let outCount = inserts.length;
    for (let i = 0; i < n; i++) if (!removed[i]) outCount++;

    const chunks: Buffer[] = [];
    const header = Buffer.alloc(12);
    header.write('DIRC', 0, 'latin1');
    header.writeUInt32BE(this.version, 4);
    header.writeUInt32BE(outCount, 8);
    chunks.push(header);

    if (this.v4Paths) {
      // Prefix compression chains every path to the previous one: re-encode them all.
      let prev: Buffer = Buffer.alloc(0);
      const emit = (fixed: Buffer, p: Buffer): void => {
        let common = 0;
        const max = Math.min(prev.length, p.length);
        while (common < max && prev[common] === p[common]) common++;
        chunks.push(fixed, encodeVarint(prev.length - common), p.subarray(common), Buffer.alloc(1));
        prev = p;
      };
      let k = 0;
      for (let i = 0; i <= n; i++) {
        while (k < inserts.length && positions[k] === i) {
          const { u, key } = inserts[k++]!;
          emit(fixedPart(u, key.length), key);
        }
        if (i < n && !removed[i]) {
          const p = this.starts[i] as number;
          const hdr = ENTRY_FIXED + (this.buf.readUInt16BE(p + 60) & FLAG_EXTENDED ? 2 : 0);
          emit(this.buf.subarray(p, p + hdr), this.v4Paths[i] as Buffer);
        }
      }
    } else {
      let k = 0;
      let runStart = -1;
      const flush = (i: number): void => {
        if (runStart >= 0) chunks.push(this.buf.subarray(this.starts[runStart], this.starts[i]));
        runStart = -1;
      };
      for (let i = 0; i <= n; i++) {
        if (k < inserts.length && positions[k] === i) {
          flush(i);
          while (k < inserts.length && positions[k] === i) {
            const { u, key } = inserts[k++]!;
            chunks.push(encodeEntryV2(u, key));
          }
        }
        if (i === n) break;
        if (removed[i]) flush(i);
        else if (runStart < 0) runStart = i;
      }
      flush(n);
    }

    for (const ext of this.extensions) {
      if (ext.sig === 'TREE') {
        const data = patchCacheTree(ext.data, touched);
        chunks.push(extHeader('TREE', data.length), data);
      } else if (ext.sig === 'REUC') {
        chunks.push(extHeader('REUC', ext.data.length), ext.data);
      }
    }
    // Few large ranges are written as they are (writev); thousands of small pieces (v4) are joined first.
    const out = chunks.length > 512 ? [Buffer.concat(chunks)] : chunks;
    const hash = createHash('sha1');
    for (const c of out) hash.update(c);
    out.push(hash.digest());
    return out;
  }
}

/** A fresh index (version 2, no extensions) holding exactly these entries. */
export function buildIndex(entries: readonly IndexUpsert[]): Buffer {
  const sorted = entries.map((u) => ({ u, key: Buffer.from(u.path) })).sort((a, b) => Buffer.compare(a.key, b.key));
  const header = Buffer.alloc(12);
  header.write('DIRC', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(sorted.length, 8);
  return withChecksum([header, ...sorted.map(({ u, key }) => encodeEntryV2(u, key))]);
}

function fixedPart(u: IndexUpsert, pathLength: number): Buffer {
  const out = Buffer.alloc(ENTRY_FIXED);
  const s = u.stat ?? ZERO_STAT;
  const fields = [s.ctimeSec, s.ctimeNsec, s.mtimeSec, s.mtimeNsec, s.dev, s.ino, u.mode, s.uid, s.gid, s.size];
  fields.forEach((v, i) => out.writeUInt32BE(v >>> 0, i * 4));
  out.write(u.oid, 40, 20, 'hex');
  out.writeUInt16BE(Math.min(pathLength, NAME_MASK), 60);
  return out;
}

function encodeEntryV2(u: IndexUpsert, key: Buffer): Buffer {
  const size = (ENTRY_FIXED + key.length + 8) & ~7;
  const out = Buffer.alloc(size); // zero-filled: the NUL padding
  fixedPart(u, key.length).copy(out, 0);
  key.copy(out, ENTRY_FIXED);
  return out;
}

function extHeader(sig: string, size: number): Buffer {
  const h = Buffer.alloc(8);
  h.write(sig, 0, 'latin1');
  h.writeUInt32BE(size, 4);
  return h;
}

function withChecksum(chunks: Buffer[]): Buffer {
  const hash = createHash('sha1');
  for (const c of chunks) hash.update(c);
  chunks.push(hash.digest());
  return Buffer.concat(chunks);
}

// git's varint.c (offset encoding, used by index v4 and ofs-delta).
export function encodeVarint(value: number): Buffer {
  const bytes = [value & 127];
  let v = value;
  while ((v = Math.floor(v / 128)) > 0) {
    v -= 1;
    bytes.unshift(128 | (v & 127));
  }
  return Buffer.from(bytes);
}

export function decodeVarint(buf: Buffer, pos: number): { value: number; next: number } {
  let c = buf[pos++] ?? 0;
  let value = c & 127;
  while (c & 128) {
    value += 1;
    c = buf[pos++] ?? 0;
    value = value * 128 + (c & 127);
  }
  return { value, next: pos };
}
