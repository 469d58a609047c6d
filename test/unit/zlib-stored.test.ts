// The stored-block zlib encoder the long-lived writer uses for loose objects: node's zlib (the reader's) and
// native git must read what it writes, at every block boundary.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { adler32, adler32Replace, zlibStored } from '../../src/store/git/zlib-stored.js';

/** Adler-32 by its definition, byte by byte with a reduction each step. */
function adlerSlow(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

describe('zlibStored', () => {
  it('inflates back to its input at every size around a block boundary, split into any parts', () => {
    for (const size of [0, 1, 100, 5551, 5552, 5553, 65534, 65535, 65536, 65537, 131070, 131071, 200_000]) {
      const data = randomBytes(size);
      const cut = Math.floor(size / 3);
      for (const parts of [[data], [data.subarray(0, cut), data.subarray(cut)], [Buffer.alloc(0), data]]) {
        const z = zlibStored(parts);
        expect(zlib.inflateSync(z).equals(data), `size ${size}`).toBe(true);
        expect(z.length).toBe(2 + Math.max(1, Math.ceil(size / 65535)) * 5 + size + 4);
      }
    }
  });

  it('computes Adler-32 as the definition does, including bytes of 0xff that stress the deferred reduction', () => {
    for (const b of [Buffer.alloc(0), Buffer.from('Wikipedia'), Buffer.alloc(100_000, 0xff), randomBytes(12_345)]) {
      expect(adler32([b])).toBe(adlerSlow(b));
    }
    expect(adler32([Buffer.from('Wikipedia')])).toBe(0x11e60398);
  });

  it('updates Adler-32 for replaced bytes as summing again would, anywhere, with any values', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 70_000 }),
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        (data, where, bytes) => {
          const at = where % data.length;
          const after = bytes.subarray(0, data.length - at);
          const before = data.slice(at, at + after.length);
          const changed = Buffer.from(data);
          changed.set(after, at);
          expect(adler32Replace(adler32([data]), data.length, at, before, after)).toBe(adlerSlow(changed));
        },
      ),
      { numRuns: 300 },
    );
    // The largest swings: every byte from 0x00 to 0xff and back, at the start of a long run.
    const zeros = Buffer.alloc(100_000);
    const ones = Buffer.alloc(20, 0xff);
    const up = adler32Replace(adler32([zeros]), zeros.length, 0, zeros.subarray(0, 20), ones);
    expect(up).toBe(adlerSlow(Buffer.concat([ones, zeros.subarray(20)])));
    expect(adler32Replace(up, zeros.length, 0, ones, zeros.subarray(0, 20))).toBe(adler32([zeros]));
  });

  it('writes a loose object native git reads and fsck accepts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mreg-zstored-'));
    try {
      execFileSync('git', ['init', '-q', '--bare', dir]);
      const body = Buffer.from('name: fraud\n'.repeat(10_000));
      const oid = execFileSync('git', ['hash-object', '--stdin'], { input: body, encoding: 'utf8' }).trim();
      const file = path.join(dir, 'objects', oid.slice(0, 2), oid.slice(2));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, zlibStored([Buffer.from(`blob ${body.length}\0`), body]));
      expect(execFileSync('git', ['cat-file', '-p', oid], { cwd: dir }).equals(body)).toBe(true);
      execFileSync('git', ['fsck', '--strict', '--no-dangling'], { cwd: dir, stdio: 'pipe' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
