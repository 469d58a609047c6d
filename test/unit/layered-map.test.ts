// LayeredMap against a plain Map: the same contents, size and order after any sequence of derivations, and the
// older versions unchanged (readers keep them while the writer derives the next).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LayeredMap } from '../../src/util/layered-map.js';

type Op = { key: string; value: number | undefined };

describe('LayeredMap', () => {
  it('behaves as a copied Map with the changes applied, and leaves every earlier version as it was', () => {
    const key = fc.constantFrom(...Array.from({ length: 150 }, (_, i) => `k${i}`));
    const change = fc.record({ key, value: fc.option(fc.integer(), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(fc.array(change, { maxLength: 12 }), { maxLength: 60 }), (steps: Op[][]) => {
        const start = new Map(Array.from({ length: 100 }, (_, i) => [`k${i}`, i] as [string, number]));
        let layered: ReadonlyMap<string, number> = start;
        let plain = new Map(start);
        const history: Array<[ReadonlyMap<string, number>, Map<string, number>]> = [];
        for (const ops of steps) {
          const changes = new Map<string, number | undefined>();
          for (const op of ops) changes.set(op.key, op.value);
          layered = LayeredMap.derive(layered, changes);
          plain = new Map(plain);
          for (const [k, v] of changes) {
            if (v === undefined) plain.delete(k);
            else plain.set(k, v);
          }
          history.push([layered, plain]);
        }
        for (const [l, p] of history) {
          expect(l.size).toBe(p.size);
          expect(new Map(l)).toEqual(p);
          for (const k of ['k0', 'k99', 'k120', 'nope']) {
            expect(l.get(k)).toBe(p.get(k));
            expect(l.has(k)).toBe(p.has(k));
          }
          expect([...l.keys()].sort()).toEqual([...p.keys()].sort());
          expect([...l.values()].length).toBe(p.size);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a changed key in its place and appends new keys; becomes a plain Map once the layer is large', () => {
    const base = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    const next = LayeredMap.derive(
      base,
      new Map<string, number | undefined>([
        ['b', 20],
        ['d', 4],
        ['a', undefined],
      ]),
    );
    expect([...next]).toEqual([
      ['b', 20],
      ['c', 3],
      ['d', 4],
    ]);
    expect(base.get('a')).toBe(1);
    const big = new Map(Array.from({ length: 100 }, (_, i) => [i, i] as [number, number]));
    const changes = new Map(Array.from({ length: 65 }, (_, i) => [1000 + i, i] as [number, number | undefined]));
    const flat = LayeredMap.derive(big, changes);
    expect(flat instanceof LayeredMap).toBe(false);
    expect(flat.size).toBe(165);
    const layered = LayeredMap.derive(big, new Map([[5, 50]]));
    expect(layered instanceof LayeredMap).toBe(true);
    const seen: number[] = [];
    layered.forEach((v) => seen.push(v));
    expect(seen[5]).toBe(50);
  });
});
