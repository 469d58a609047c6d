import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocumentText, stringifyDocument } from '../../src/store/yaml.js';
import type { VersionFile } from '../../src/schema/types.generated.js';

const BASE: VersionFile = {
  version: 3,
  source: 's3://models/fraud/3',
  stage: 'Production',
  status: 'READY',
  created_at: '2026-03-02T10:00:00.000Z',
  updated_at: '2026-03-04T12:00:00.000Z',
};

describe('YAML documents', () => {
  it('round-trips any strings byte-identically in canonical form', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.dictionary(
          fc.stringMatching(/^[a-z][a-z0-9_.:/ -]{0,20}[a-z0-9]$/),
          fc.string({ unit: 'grapheme', maxLength: 80 }),
          { maxKeys: 5 },
        ),
        (description, tags) => {
          const doc: VersionFile = { ...BASE, description, tags };
          const text = stringifyDocument('model-version', doc);
          const back = parseDocumentText<VersionFile>('model-version', 'v.yaml', text);
          expect(back.ok).toBe(true);
          if (!back.ok) return;
          expect(stringifyDocument('model-version', back.doc)).toBe(text);
          expect(back.doc.description ?? '').toBe(description);
          expect(back.doc.tags ?? {}).toEqual(tags);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('writes keys in schema order whatever order they come in', () => {
    const shuffled = {
      updated_at: BASE.updated_at,
      stage: BASE.stage,
      version: 3,
      status: 'READY',
      created_at: BASE.created_at,
      source: BASE.source,
    };
    expect(stringifyDocument('model-version', shuffled)).toBe(stringifyDocument('model-version', BASE));
  });

  it.each([
    [
      'unknown key',
      'version: 1\nsource: s\nstage: None\nstatus: READY\ncreated_at: 2026-01-01T00:00:00.000Z\nupdated_at: 2026-01-01T00:00:00.000Z\nstagee: x\n',
      7,
      /unknown key 'stagee'/,
    ],
    [
      'bad stage',
      'version: 1\nsource: s\nstage: Prod\nstatus: READY\ncreated_at: 2026-01-01T00:00:00.000Z\nupdated_at: 2026-01-01T00:00:00.000Z\n',
      3,
      /stage must be one of/,
    ],
    ['duplicate key', 'version: 1\nversion: 2\n', 2, /invalid YAML/],
    ['syntax error', 'version: [1\n', 1, /invalid YAML/],
    ['alias expansion', 'a: &x [1, 2]\nb: *x\n', 1, /anchors, aliases/],
    ['explicit tag', 'version: !!python/object 1\n', 1, /invalid YAML|anchors, aliases and explicit tags/],
    ['missing key', 'version: 1\n', 1, /missing required key 'source'/],
  ])('reports %s with its line', (_name, text, line, message) => {
    const r = parseDocumentText('model-version', 'models/m/versions/1.yaml', text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.some((p) => p.line === line && message.test(p.message))).toBe(true);
  });

  it('refuses malformed UTF-8 and oversized files', () => {
    const bad = parseDocumentText('model', 'm.yaml', Uint8Array.from([0x6e, 0x3a, 0x20, 0xff, 0xfe]));
    expect(bad.ok ? '' : bad.problems[0]!.message).toMatch(/not valid UTF-8/);
    const big = parseDocumentText('model', 'm.yaml', 'x'.repeat(5 * 1024 * 1024));
    expect(big.ok ? '' : big.problems[0]!.message).toMatch(/limit/);
  });

  it('names a megabyte-long key clipped, not repeated', () => {
    const r = parseDocumentText(
      'model',
      'm.yaml',
      `name: x\ntags:\n  ? ${'k'.repeat(1024 * 1024)}\n  : v\n? ${'u'.repeat(1024 * 1024)}\n: 1\n`,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    for (const p of r.problems) expect(p.message.length).toBeLessThan(300);
    expect(r.problems.map((p) => p.message)).toContain(`unknown key '${'u'.repeat(120)}…'`);
    const token = parseDocumentText('model', 'm.yaml', `name: x\n]${'x'.repeat(1024 * 1024)}\n`);
    expect(token.ok ? [] : token.problems.map((p) => p.message.length)).toEqual([
      expect.any(Number),
      expect.any(Number),
    ]);
    for (const p of token.ok ? [] : token.problems) expect(p.message.length).toBeLessThan(300);
  });

  it.each([
    ['100 nested flow sequences', 'name: ' + '['.repeat(100) + ']'.repeat(100) + '\n'],
    ['100 nested block maps', Array.from({ length: 100 }, (_, i) => ' '.repeat(i) + `k${i}:`).join('\n') + ' 1\n'],
    [
      "50,000 nested flow sequences (deeper than the parser's stack)",
      'name: ' + '['.repeat(50_000) + ']'.repeat(50_000) + '\n',
    ],
  ])('reports %s as too deep (not as anchors, not as a crash)', (_what, text) => {
    const r = parseDocumentText('model', 'm.yaml', text);
    expect(r.ok ? [] : r.problems.map((p) => p.message)).toEqual(['document is nested more than 64 levels deep']);
  });

  it('survives a billion-laughs document without expanding it', () => {
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++)
      lol.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill('*' + String.fromCharCode(96 + i))
          .join(',')}]`,
      );
    const r = parseDocumentText('model', 'm.yaml', lol.join('\n') + '\n');
    expect(r.ok).toBe(false);
  });
});
