// The stored-block zlib encoder the long-lived writer uses for loose objects: node's zlib (the reader's) and
// native git must read what it writes, at every block boundary.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { adler32, zlibStored } from '../../src/store/git/zlib-stored.js';

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
