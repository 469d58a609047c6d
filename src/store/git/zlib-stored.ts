// A zlib stream (RFC 1950) of "stored" deflate blocks (RFC 1951 §3.2.4): the bytes as they are, framed, with
// their Adler-32. It is what `core.looseCompression=0` makes native git write, and every zlib reader (git's,
// ours) inflates it. The long-lived writer stores loose objects this way: node's zlib sets up a stream object
// per call, which cost more than the bytes of a small YAML file or a tree of ids were worth compressing, on
// every object of every commit; `git gc` packs and compresses them later.

const MAX_BLOCK = 0xffff;
const ADLER_MOD = 65521;
/** The most bytes whose sums stay below 2^32 before a reduction modulo ADLER_MOD (zlib's NMAX). */
const ADLER_NMAX = 5552;

/** Adler-32 of the concatenated parts. */
export function adler32(parts: readonly Uint8Array[]): number {
  let a = 1;
  let b = 0;
  for (const p of parts) {
    let i = 0;
    while (i < p.length) {
      const end = Math.min(p.length, i + ADLER_NMAX);
      for (; i < end; i++) {
        a += p[i]!;
        b += a;
      }
      a %= ADLER_MOD;
      b %= ADLER_MOD;
    }
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * The Adler-32 of data of `length` bytes whose checksum was `sum`, once the bytes at `at` change from `before` to
 * `after` (as long as each other): a byte at 0-based position p counts once in the first sum and `length - p`
 * times in the second. A patched tree (objects.ts) changes 20 bytes of 40 KB; this is O(20), not O(40 KB).
 */
export function adler32Replace(sum: number, length: number, at: number, before: Uint8Array, after: Uint8Array): number {
  let a = sum & 0xffff;
  let b = sum >>> 16;
  for (let k = 0; k < before.length; k++) {
    const d = after[k]! - before[k]!;
    if (d === 0) continue;
    a = (((a + d) % ADLER_MOD) + ADLER_MOD) % ADLER_MOD;
    b = (((b + ((length - at - k) % ADLER_MOD) * d) % ADLER_MOD) + ADLER_MOD) % ADLER_MOD;
  }
  return ((b << 16) | a) >>> 0;
}

/** The concatenated parts as a zlib stream of stored blocks; `adler` when the caller knows their Adler-32. */
export function zlibStored(parts: readonly Uint8Array[], adler?: number): Buffer {
  let size = 0;
  for (const p of parts) size += p.length;
  const blocks = Math.max(1, Math.ceil(size / MAX_BLOCK));
  const out = Buffer.allocUnsafe(2 + blocks * 5 + size + 4);
  // CMF: deflate with a 32 KiB window; FLG: no dictionary, "fastest", check bits making CMF·256+FLG ≡ 0 (mod 31).
  out[0] = 0x78;
  out[1] = 0x01;
  let pos = 2;
  let part = 0;
  let offset = 0;
  let left = size;
  for (let blk = 0; blk < blocks; blk++) {
    const len = Math.min(MAX_BLOCK, left);
    left -= len;
    out[pos] = left === 0 ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
    out.writeUInt16LE(len, pos + 1);
    out.writeUInt16LE(~len & 0xffff, pos + 3);
    pos += 5;
    let need = len;
    while (need > 0) {
      const p = parts[part]!;
      const n = Math.min(need, p.length - offset);
      out.set(p.subarray(offset, offset + n), pos);
      pos += n;
      need -= n;
      offset += n;
      if (offset === p.length) {
        part++;
        offset = 0;
      }
    }
  }
  out.writeUInt32BE(adler ?? adler32(parts), pos);
  return out;
}
