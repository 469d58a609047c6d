// Pack deltas as the pack reader applies them, and the bounded concurrency of traversals.
import { describe, expect, it } from 'vitest';
import { applyDelta, PackCorruptError } from '../../src/store/git/pack-reader.js';
import { createLimiter, mapLimit } from '../../src/util/concurrency.js';

describe('delta', () => {
  it('applies copy and insert instructions', () => {
    const base = Buffer.from('hello world');
    // source size 11, result size 11; copy 6 bytes from offset 0; insert "there"
    const delta = Buffer.from([11, 11, 0x80 | 0x10, 6, 5, ...Buffer.from('there')]);
    expect(applyDelta(base, delta).toString()).toBe('hello there');
    // copy with a 2-byte offset and a size of 0 meaning 0x10000
    const big = Buffer.alloc(0x10100, 7);
    big[0x100] = 1;
    const d2 = Buffer.from([0x80, 0x82, 0x04, 0x80, 0x80, 0x04, 0x80 | 0x02, 0x01]);
    const out = applyDelta(big, d2);
    expect(out.length).toBe(0x10000);
    expect(out[0]).toBe(1);
    expect(() => applyDelta(Buffer.from('short'), delta)).toThrow(PackCorruptError);
    expect(() => applyDelta(base, Buffer.from([11, 3, 0x80 | 0x10, 9]))).toThrow(PackCorruptError);
  });
});

describe('bounded concurrency', () => {
  it('never runs more than the limit at once and keeps results in order', async () => {
    let active = 0;
    let peak = 0;
    const task = async (i: number): Promise<number> => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      active--;
      return i * 2;
    };
    expect(await mapLimit([...Array(40).keys()], 4, task)).toEqual([...Array(40).keys()].map((i) => i * 2));
    expect(peak).toBe(4);
    peak = 0;
    const limit = createLimiter(3);
    await Promise.all([...Array(20).keys()].map((i) => limit(() => task(i))));
    expect(peak).toBe(3);
  });
});
