// The index patcher on hand-built indexes (the integration tests run it against indexes native git wrote).
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildIndex,
  decodeVarint,
  encodeVarint,
  GitIndexFile,
  statMatches,
  UnsupportedIndexError,
  type IndexUpsert,
  type StatData,
} from '../../src/store/git/index-file.js';
import { patchCacheTree } from '../../src/store/git/index-cache-tree.js';

const oid = (n: number): string => n.toString(16).padStart(40, '0');
const stat = (n: number): StatData => ({
  ctimeSec: n,
  ctimeNsec: n + 1,
  mtimeSec: n + 2,
  mtimeNsec: n + 3,
  dev: 7,
  ino: n + 4,
  uid: 1000,
  gid: 1000,
  size: n + 5,
});
const entry = (path: string, n: number, mode = 0o100644): IndexUpsert => ({ path, oid: oid(n), mode, stat: stat(n) });

function checksumOk(buf: Buffer): boolean {
  return createHash('sha1')
    .update(buf.subarray(0, buf.length - 20))
    .digest()
    .equals(buf.subarray(buf.length - 20));
}

function summary(buf: Buffer): string[] {
  return GitIndexFile.parse(buf)
    .entries()
    .map((e) => `${e.path} ${parseInt(e.oid, 16)} ${e.stage}`);
}

/** Re-encodes a version 2 index as version 4 (prefix-compressed paths, no padding). */
function toV4(v2: Buffer): Buffer {
  const idx = GitIndexFile.parse(v2);
  const parts: Buffer[] = [Buffer.from('DIRC', 'latin1'), Buffer.alloc(8)];
  parts[1]!.writeUInt32BE(4, 0);
  parts[1]!.writeUInt32BE(idx.count, 4);
  let prev = Buffer.alloc(0);
  let pos = 12;
  for (const e of idx.entries()) {
    const p = Buffer.from(e.path);
    const nameLen = v2.readUInt16BE(pos + 60) & 0xfff;
    const fixed = v2.subarray(pos, pos + 62);
    pos += (62 + nameLen + 8) & ~7;
    let common = 0;
    while (common < Math.min(prev.length, p.length) && prev[common] === p[common]) common++;
    parts.push(fixed, encodeVarint(prev.length - common), p.subarray(common), Buffer.alloc(1));
    prev = p;
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

/** Appends extensions to an index (before its checksum) and fixes the checksum. */
function withExtensions(buf: Buffer, exts: Array<[string, Buffer]>): Buffer {
  const parts = [buf.subarray(0, buf.length - 20)];
  for (const [sig, data] of exts) {
    const h = Buffer.alloc(8);
    h.write(sig, 0, 'latin1');
    h.writeUInt32BE(data.length, 4);
    parts.push(h, data);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

function treeExt(): Buffer {
  // root (4 entries, 2 subtrees) → a (1 entry), b (2 entries, 1 subtree) → c (1 entry)
  const node = (name: string, entries: number, subtrees: number, withOid = true): Buffer =>
    Buffer.concat([
      Buffer.from(`${name}\0${entries} ${subtrees}\n`, 'latin1'),
      withOid ? Buffer.alloc(20, entries) : Buffer.alloc(0),
    ]);
  return Buffer.concat([node('', 4, 2), node('a', 1, 0), node('b', 2, 1), node('c', 1, 0)]);
}

function treeText(data: Buffer): string {
  // Names and counts only, oids elided: "name:entries:subtrees" in pre-order.
  const out: string[] = [];
  let pos = 0;
  while (pos < data.length) {
    const nul = data.indexOf(0, pos);
    const nl = data.indexOf(0x0a, nul);
    const [entries, subtrees] = data.toString('latin1', nul + 1, nl).split(' ');
    out.push(`${data.toString('latin1', pos, nul)}:${entries}:${subtrees}`);
    pos = nl + 1 + (Number(entries) >= 0 ? 20 : 0);
  }
  return out.join(' ');
}

describe('GitIndexFile', () => {
  const base = [entry('b/c/x', 1), entry('a', 2), entry('b/d', 3), entry('b/c/y', 4), entry('z', 5)];

  it('builds sorted version 2 indexes that parse back with their stat data', () => {
    const buf = buildIndex(base);
    expect(buf.toString('latin1', 0, 4)).toBe('DIRC');
    expect(buf.readUInt32BE(4)).toBe(2);
    expect(checksumOk(buf)).toBe(true);
    const idx = GitIndexFile.parse(buf);
    expect(idx.entries().map((e) => e.path)).toEqual(['a', 'b/c/x', 'b/c/y', 'b/d', 'z']);
    expect(idx.lookup('b/d')).toEqual({ path: 'b/d', oid: oid(3), mode: 0o100644, stage: 0, stat: stat(3) });
    expect(idx.lookup('b')).toBeUndefined();
    expect(idx.lookup('b/c')).toBeUndefined();
  });

  it('patches: replaces, inserts and removes only the given paths', () => {
    const idx = GitIndexFile.parse(buildIndex(base));
    const out = idx.patch(
      [entry('b/c/y', 40), entry('b/e', 41), entry('0first', 42), entry('zz', 43)],
      ['a', 'b/d', 'not-there'],
    );
    expect(checksumOk(out)).toBe(true);
    expect(summary(out)).toEqual(['0first 42 0', 'b/c/x 1 0', 'b/c/y 40 0', 'b/e 41 0', 'z 5 0', 'zz 43 0']);
    expect(out.readUInt32BE(8)).toBe(6);
    // Untouched entries are copied byte for byte (their stat data included).
    expect(GitIndexFile.parse(out).lookup('b/c/x')).toEqual(GitIndexFile.parse(buildIndex(base)).lookup('b/c/x'));
    // Nothing to do: the same bytes.
    expect(idx.patch([], []).equals(buildIndex(base))).toBe(true);
  });

  it('leaves no file/directory clash: a file replaces a directory and the reverse', () => {
    const idx = GitIndexFile.parse(buildIndex(base));
    expect(summary(idx.patch([entry('b', 50)], []))).toEqual(['a 2 0', 'b 50 0', 'z 5 0']);
    expect(summary(idx.patch([entry('a/inner', 51), entry('z/deep/file', 52)], []))).toEqual([
      'a/inner 51 0',
      'b/c/x 1 0',
      'b/c/y 4 0',
      'b/d 3 0',
      'z/deep/file 52 0',
    ]);
    // 'b.txt' and 'b0' sort around 'b/': only 'b/…' goes.
    const idx2 = GitIndexFile.parse(buildIndex([...base, entry('b.txt', 6), entry('b0', 7)]));
    expect(summary(idx2.patch([entry('b', 53)], []))).toEqual(['a 2 0', 'b 53 0', 'b.txt 6 0', 'b0 7 0', 'z 5 0']);
  });

  it('replaces every conflict stage of a path', () => {
    const buf = buildIndex([entry('a', 1), entry('c', 2), entry('c', 3), entry('c', 4), entry('d', 5)]);
    // Mark the three 'c' entries as stages 1, 2, 3 (flags bits 12-13), then fix the checksum.
    let pos = 12 + 64; // after 'a': 62 + 1 name byte + NUL padding to a multiple of 8
    for (const stage of [1, 2, 3]) {
      buf.writeUInt16BE((stage << 12) | 1, pos + 60);
      pos += 64;
    }
    const fixed = Buffer.concat([
      buf.subarray(0, buf.length - 20),
      createHash('sha1')
        .update(buf.subarray(0, buf.length - 20))
        .digest(),
    ]);
    const idx = GitIndexFile.parse(fixed);
    expect(idx.lookup('c')).toBeUndefined(); // no stage-0 entry
    expect(summary(idx.patch([entry('c', 9)], []))).toEqual(['a 1 0', 'c 9 0', 'd 5 0']);
    expect(summary(idx.patch([], ['c']))).toEqual(['a 1 0', 'd 5 0']);
  });

  it('reads and writes version 4 (prefix-compressed) indexes', () => {
    const v4 = toV4(buildIndex(base));
    const idx = GitIndexFile.parse(v4);
    expect(idx.version).toBe(4);
    expect(idx.entries()).toEqual(GitIndexFile.parse(buildIndex(base)).entries());
    const out = idx.patch([entry('b/c/xx', 60)], ['b/d']);
    expect(out.readUInt32BE(4)).toBe(4);
    expect(checksumOk(out)).toBe(true);
    expect(summary(out)).toEqual(['a 2 0', 'b/c/x 1 0', 'b/c/xx 60 0', 'b/c/y 4 0', 'z 5 0']);
  });

  it('keeps TREE (invalidated along the changed paths) and REUC, drops other optional extensions', () => {
    const buf = withExtensions(buildIndex(base), [
      ['TREE', treeExt()],
      ['UNTR', Buffer.from('untracked cache')],
      ['REUC', Buffer.from('resolve undo')],
      ['EOIE', Buffer.alloc(24)],
    ]);
    const out = GitIndexFile.parse(buf).patch([entry('b/c/new', 70)], []);
    expect(checksumOk(out)).toBe(true);
    const text = out.toString('latin1');
    expect(text).toContain('REUCresolve undo'.slice(0, 4));
    expect(text).not.toContain('UNTR');
    expect(text).not.toContain('EOIE');
    const treeAt = out.indexOf('TREE', 12 + 6 * 8, 'latin1');
    const size = out.readUInt32BE(treeAt + 4);
    expect(treeText(out.subarray(treeAt + 8, treeAt + 8 + size))).toBe(':-1:2 a:1:0 b:-1:1 c:-1:0');
  });

  it('refuses required extensions it cannot patch', () => {
    expect(() => GitIndexFile.parse(withExtensions(buildIndex(base), [['link', Buffer.alloc(20)]]))).toThrow(
      UnsupportedIndexError,
    );
    expect(() => GitIndexFile.parse(withExtensions(buildIndex(base), [['sdir', Buffer.alloc(0)]]))).toThrow(
      UnsupportedIndexError,
    );
    expect(() => GitIndexFile.parse(Buffer.from('not an index at all, not at all'))).toThrow(UnsupportedIndexError);
  });
});

describe('patchCacheTree', () => {
  it.each([
    [['b/c/x'], ':-1:2 a:1:0 b:-1:1 c:-1:0'],
    [['b/c'], ':-1:2 a:1:0 b:-1:0'], // a path naming a subtree drops it
    [['a'], ':-1:1 b:2:1 c:1:0'],
    [['top-level-file'], ':-1:2 a:1:0 b:2:1 c:1:0'],
    [['x/y/z'], ':-1:2 a:1:0 b:2:1 c:1:0'],
    [['a/new', 'b/c/x'], ':-1:2 a:-1:0 b:-1:1 c:-1:0'],
  ])('invalidates %j like git', (paths, expected) => {
    expect(treeText(patchCacheTree(treeExt(), paths))).toBe(expected);
  });
});

describe('varint (index v4 and ofs-delta offsets)', () => {
  it.each([0, 1, 127, 128, 129, 16511, 16512, 16513, 2_113_663, 2_113_664, 1e9])('round-trips %d', (n) => {
    const b = encodeVarint(n);
    expect(decodeVarint(b, 0)).toEqual({ value: n, next: b.length });
  });
  it('matches git’s encoding', () => {
    expect([...encodeVarint(128)]).toEqual([0x80, 0x00]);
    expect([...encodeVarint(16512)]).toEqual([0x80, 0x80, 0x00]);
  });
});

describe('statMatches', () => {
  const e = { path: 'f', oid: oid(1), mode: 0o100644, stage: 0, stat: stat(1_700_000_000) };
  const fake = (over: Partial<Record<string, bigint>> = {}, kind: 'file' | 'link' = 'file'): BigIntStats =>
    ({
      ctimeNs: 1_700_000_000n * 1_000_000_000n + 1_700_000_001n,
      mtimeNs: 1_700_000_002n * 1_000_000_000n + 1_700_000_003n,
      dev: 9n,
      ino: 1_700_000_004n,
      uid: 1000n,
      gid: 1000n,
      size: 1_700_000_005n,
      mode: 0o100644n,
      ...over,
      isFile: () => kind === 'file',
      isSymbolicLink: () => kind === 'link',
    }) as unknown as BigIntStats;
  const e2: typeof e = { ...e, stat: { ...e.stat, ctimeNsec: 1_700_000_001 % 1e9, mtimeNsec: 1_700_000_003 % 1e9 } };

  it('matches equal stat data and not a changed one', () => {
    const st = fake({
      ctimeNs: 1_700_000_000n * 1_000_000_000n + BigInt(e2.stat.ctimeNsec),
      mtimeNs: 1_700_000_002n * 1_000_000_000n + BigInt(e2.stat.mtimeNsec),
    });
    expect(statMatches(e2, st, undefined)).toBe(true);
    expect(statMatches(e2, st, { sec: 2_000_000_000, nsec: 0 })).toBe(true);
    expect(
      statMatches(
        e2,
        { ...st, size: 1n, isFile: () => true, isSymbolicLink: () => false } as unknown as BigIntStats,
        undefined,
      ),
    ).toBe(false);
    expect(
      statMatches(
        e2,
        { ...st, mode: 0o100755n, isFile: () => true, isSymbolicLink: () => false } as unknown as BigIntStats,
        undefined,
      ),
    ).toBe(false);
    // Racily clean: the entry is not older than the index file itself.
    expect(statMatches(e2, st, { sec: 1_700_000_002, nsec: 0 })).toBe(false);
    expect(statMatches(e2, fake({}, 'link'), undefined)).toBe(false);
  });
});
