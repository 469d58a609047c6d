import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeName, encodeName, nameProblem } from '../../src/domain/names.js';

describe('name → folder rule', () => {
  it.each([
    ['fraud', 'fraud'],
    ['fraud_detector-v2.1', 'fraud_detector-v2.1'],
    ['Fraud', '^fraud'],
    ['FRAUD', '^f^r^a^u^d'],
    ['my model', 'my~20model'],
    ['café', 'caf~C3~A9'],
    ['.hidden', '~2Ehidden'],
    ['trailing.', 'trailing~2E'],
    ['con', '~63on'],
    ['NUL', '^n^u^l'],
    ['com1.txt', '~63om1.txt'],
    ['a:b*c?', 'a~3Ab~2Ac~3F'],
  ])('%j → %j and back', (name, dir) => {
    expect(encodeName(name)).toBe(dir);
    expect(decodeName(dir)).toBe(name);
  });

  it.each([
    '',
    ' ',
    ' fraud',
    'fraud ',
    'fraud\u00a0',
    '../x',
    'a/b',
    'a\\b',
    'a%b',
    '.',
    '..',
    'a\u0000',
    'a\nb',
    'a\u0085b',
    'e\u0301',
    'x'.repeat(257),
    'rlo\u202eexe',
    'zero\u200bwidth',
    '\ufeffbom',
    'soft\u00adhyphen',
    'lri\u2066x',
  ])('rejects %j', (name) => {
    expect(nameProblem(name)).toBeDefined();
  });

  it.each(['Fraud', 'fraud~', '~2e', '~C3', 'a b', 'A', '.x', 'x.', '^F', 'con'])(
    'rejects the non-canonical folder %j',
    (dir) => {
      expect(decodeName(dir)).toBeUndefined();
    },
  );

  it('is reversible, injective under case folding, and safe, for any valid name', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        (a, b) => {
          for (const n of [a, b]) {
            if (nameProblem(n)) continue;
            const dir = encodeName(n);
            expect(decodeName(dir)).toBe(n);
            expect(dir).toMatch(/^[a-z0-9._\-~^A-F]+$/);
            expect(dir.startsWith('.') || dir.endsWith('.')).toBe(false);
          }
          if (!nameProblem(a) && !nameProblem(b) && a !== b) {
            expect(encodeName(a).toLowerCase()).not.toBe(encodeName(b).toLowerCase());
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
