// The fast reader for canonical YAML must agree with `yaml` on everything it accepts, and accept what mreg writes.
import fc from 'fast-check';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { emitCanonical, parseCanonical } from '../../src/store/canonical-yaml.js';
import { STRINGIFY_OPTIONS, stringifyDocument } from '../../src/store/yaml.js';

const OPTIONS = { uniqueKeys: true, merge: false, strict: true, schema: 'core' as const };

/** What the general parser makes of `text`, or 'error'. */
function reference(text: string): unknown {
  const d = YAML.parseDocument(text, OPTIONS);
  if (d.errors.length) return 'error';
  return d.toJS({ maxAliasCount: 0 });
}

let fastTaken = 0;

function agrees(text: string): boolean {
  const fast = parseCanonical(text);
  if (fast === undefined) return true;
  fastTaken++;
  const ref = reference(text);
  expect(ref, JSON.stringify(text)).not.toBe('error');
  expect(fast, JSON.stringify(text)).toEqual(ref);
  return true;
}

// Strings that exercise quoting, block literals, numbers-as-text, YAML keywords and Unicode.
const tricky = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom(
    '',
    ' ',
    'true',
    'True',
    'no',
    'null',
    '~',
    '1',
    '01',
    '1.0',
    '1e3',
    '0x1F',
    '.inf',
    '-',
    '- a',
    'a: b',
    'a #b',
    'a#b',
    '#x',
    '"q"',
    "'s'",
    '|',
    '>',
    '&a',
    '*a',
    '!t',
    '%',
    '@',
    '`',
    '[a]',
    '{a: 1}',
    'line\nbreak',
    'trail\n',
    'trail\n\n',
    '\n lead',
    '  indented\nx',
    'tab\there',
    'é',
    '\u2028',
    '\ufeff',
    'a\\b',
    's3://b/k?x=1&y=2',
    '2026-01-01T00:00:00.000Z',
  ),
  fc
    .array(fc.constantFrom('a', ' ', '\n', ':', '#', '-', '"', '\\', '1', 'é', '|', "'"), { maxLength: 12 })
    .map((a) => a.join('')),
);
const tagKey = fc.oneof(
  fc.constantFrom('team', 'true', '1', 'a.b', 'a/b', 'x-y', 'with space', 'k:v', 'null'),
  fc.stringMatching(/^[a-z0-9_.\-/ :]{1,12}$/),
);

const versionDoc = fc.record(
  {
    version: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    source: tricky.filter((s) => s.length > 0),
    run_id: tricky,
    stage: fc.constantFrom('None', 'Staging', 'Production', 'Archived'),
    status: fc.constant('READY'),
    description: tricky,
    tags: fc.dictionary(tagKey, tricky, { maxKeys: 4 }),
    user_id: tricky,
    created_at: fc.constant('2026-01-01T00:00:00.000Z'),
    updated_at: fc.constant('2026-01-02T00:00:00.000Z'),
  },
  { requiredKeys: ['version', 'source', 'stage', 'status', 'created_at', 'updated_at'] },
);
const modelDoc = fc.record(
  {
    name: tricky.filter((s) => s.length > 0),
    description: tricky,
    tags: fc.dictionary(tagKey, tricky, { maxKeys: 4 }),
    aliases: fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), fc.integer({ min: 1, max: 999 }), { maxKeys: 3 }),
    latest_version: fc.nat(),
    created_at: fc.constant('2026-01-01T00:00:00.000Z'),
    updated_at: fc.constant('2026-01-02T00:00:00.000Z'),
  },
  { requiredKeys: ['name', 'latest_version', 'created_at', 'updated_at'] },
);

const ordinaryVersion = fc.record({
  version: fc.integer({ min: 1, max: 5000 }),
  source: fc.stringMatching(/^s3:\/\/[a-z0-9-]{1,10}\/[a-z0-9/._-]{1,30}$/),
  run_id: fc.stringMatching(/^[0-9a-f]{32}$/),
  stage: fc.constantFrom('None', 'Staging', 'Production', 'Archived'),
  status: fc.constant('READY'),
  description: fc.constantFrom(
    'Retrained on March data.',
    'Line one\n\n| a | b |\n|---|---|\n| 1 | 2 |',
    '# Heading\n\n- item: with colon\n- `code`',
  ),
  tags: fc.dictionary(
    fc.constantFrom('team', 'auc', 'framework', 'validated'),
    fc.constantFrom('risk', '0.93', 'true', 'xgboost', '1'),
    { maxKeys: 3 },
  ),
  created_at: fc.constant('2026-01-01T00:00:00.000Z'),
  updated_at: fc.constant('2026-01-02T00:00:00.000Z'),
});

describe('parseCanonical', () => {
  it('agrees with yaml on every canonical version file it accepts', () => {
    fastTaken = 0;
    fc.assert(
      fc.property(versionDoc, (doc) => agrees(stringifyDocument('model-version', doc))),
      { numRuns: 3000 },
    );
    expect(fastTaken).toBeGreaterThan(300); // the comparison is not vacuous
  });

  it('agrees with yaml on every canonical model file it accepts', () => {
    fastTaken = 0;
    fc.assert(
      fc.property(modelDoc, (doc) => agrees(stringifyDocument('model', doc))),
      { numRuns: 3000 },
    );
    expect(fastTaken).toBeGreaterThan(300);
  });

  it('agrees with yaml on hand-edited (mutated) files: it accepts a subset, never a different reading', () => {
    fastTaken = 0;
    const edit = fc.tuple(
      fc.oneof(versionDoc, ordinaryVersion),
      fc.nat(),
      fc.nat({ max: 3 }),
      fc.constantFrom(
        ' ',
        '\n',
        ':',
        '#',
        '"',
        '  ',
        '- ',
        '|',
        'x: y\n',
        '\n  ',
        '\t',
        "'",
        '\\',
        '&a ',
        '---\n',
        '...\n',
        '%YAML 1.2\n',
      ),
    );
    fc.assert(
      fc.property(edit, ([doc, at, cut, insert]) => {
        const text = stringifyDocument('model-version', doc);
        const i = at % (text.length + 1);
        return agrees(text.slice(0, i) + insert + text.slice(i + cut));
      }),
      { numRuns: 5000 },
    );
    expect(fastTaken).toBeGreaterThan(500);
  });

  it('accepts what mreg writes for ordinary registries (the fast path is actually taken)', () => {
    let accepted = 0;
    fc.assert(
      fc.property(ordinaryVersion, (doc) => {
        const text = stringifyDocument('model-version', doc);
        if (parseCanonical(text) !== undefined) accepted++;
        return agrees(text);
      }),
      { numRuns: 500 },
    );
    expect(accepted).toBe(500);
  });

  it.each([
    ['a: 1\n', { a: 1 }],
    ['a: "1"\n', { a: '1' }],
    ['a: |-\n  x\n\n  y\nb: 2\n', { a: 'x\n\ny', b: 2 }],
    ['a: |\n  x\n\n\nb: 2\n', { a: 'x\n', b: 2 }],
    ['# comment\na: b\n', { a: 'b' }],
    ['t:\n  "true": yes\n  k: "a: b"\n', { t: { true: 'yes', k: 'a: b' } }],
  ])('reads %j', (text, doc) => {
    expect(parseCanonical(text)).toEqual(doc);
    expect(reference(text)).toEqual(doc);
  });

  it.each([
    'a: 1\na: 2\n',
    'a: 1.0\n',
    'a: 01\n',
    'a: null\n',
    'a:\n',
    'a: &x 1\n',
    'a: b\n  c\n',
    'a: |2-\n    x\n',
    'a: |+\n  x\n\n',
    'a: [1]\n',
    'a: 1',
    'a: b\r\n',
    '---\na: 1\n',
    'a: "\\u00e9\\N"\n',
    '__proto__: 1\n',
  ])('leaves %j to the general parser', (text) => {
    expect(parseCanonical(text)).toBeUndefined();
  });
});

describe('emitCanonical', () => {
  // Any document, in any key order: whenever the fast writer takes it, its bytes are yaml's.
  const anyDoc = fc.dictionary(
    fc.oneof(tagKey, fc.constantFrom('name', 'version', 'source', 'tags', '__proto__', '1', 'é')),
    fc.oneof(
      tricky,
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.constant([]),
      fc.dictionary(tagKey, fc.oneof(tricky, fc.integer(), fc.boolean(), fc.constant({})), { maxKeys: 3 }),
    ),
    { maxKeys: 6 },
  );

  it('writes exactly what yaml writes, whenever it writes anything', () => {
    let taken = 0;
    const check = (doc: Record<string, unknown>): void => {
      const fast = emitCanonical(doc);
      if (fast === undefined) return;
      taken++;
      expect(fast, JSON.stringify(doc)).toBe(YAML.stringify(doc, STRINGIFY_OPTIONS));
    };
    fc.assert(
      fc.property(anyDoc, (d) => check(d)),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(versionDoc, (d) => check(d)),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(ordinaryVersion, (d) => check(d)),
      { numRuns: 1000 },
    );
    // One-line ASCII around the characters that decide between plain and quoted.
    const edgy = fc
      .array(
        fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom('a', 'Z', '0', '7', '_') },
          { weight: 1, arbitrary: fc.constantFrom(...' :#\'"/.,&*!|>%@`?{}[]~-') },
        ),
        { minLength: 1, maxLength: 12 },
      )
      .map((a) => a.join(''));
    const edgyDoc = fc.dictionary(
      fc.oneof(tagKey, edgy),
      fc.oneof(
        edgy,
        fc.integer(),
        fc.boolean(),
        fc.dictionary(fc.oneof(tagKey, edgy), edgy, { minKeys: 1, maxKeys: 3 }),
      ),
      { minKeys: 1, maxKeys: 5 },
    );
    fc.assert(
      fc.property(edgyDoc, (d) => check(d)),
      { numRuns: 20000 },
    );
    expect(taken).toBeGreaterThan(1000); // the comparison is not vacuous // the comparison is not vacuous
  });

  it('takes the documents a pipeline writes every day', () => {
    const doc = {
      name: 'fraud-model',
      version: 12,
      source: 's3://models/fraud/12/model.pkl',
      run_id: '0123456789abcdef0123456789abcdef',
      stage: 'Staging',
      status: 'READY',
      tags: { team: 'risk', 'mlflow.source.type': 'JOB' },
      created_at: '2026-01-01T00:00:00.000Z',
    };
    expect(emitCanonical(doc)).toBe(YAML.stringify(doc, STRINGIFY_OPTIONS));
  });

  it('leaves to yaml what it does not handle: multi-line text, numbers-as-text, non-ASCII, lists', () => {
    for (const doc of [
      { description: 'a\nb' },
      { run_id: '123' },
      { name: 'é' },
      { name: 'true' },
      { aliases: ['x'] },
      { tags: {} },
      { version: 1.5 },
      { source: '' },
    ])
      expect(emitCanonical(doc), JSON.stringify(doc)).toBeUndefined();
  });
});
