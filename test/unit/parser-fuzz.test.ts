// Property-based fuzzing of the three parsers untrusted text reaches: the YAML loader (files of a pull
// request), the filter grammar (search requests) and models:/ URIs (resolve requests). It extends the
// random-string and token-soup properties of yaml/filter/uri.test.ts with structure-aware inputs: valid
// inputs mutated at random, adversarial YAML constructs (anchors, aliases, tags, merge keys, directives,
// depth), and families of inputs built to be slow, scaled up. Every input ends in a result or a clear
// RegistryError/Problem — never another exception, a hang, or an alias expansion.
import fc from 'fast-check';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/errors.js';
import { compileModelFilter, compileVersionFilter, type SearchableVersion } from '../../src/domain/filter/index.js';
import { encodeName, nameProblem } from '../../src/domain/names.js';
import { formatModelUri, parseModelUri } from '../../src/domain/uri.js';
import { parseDocumentText, stringifyDocument } from '../../src/store/yaml.js';
import type { ModelFile, VersionFile } from '../../src/schema/types.generated.js';
import { reportFigures } from '../helpers/figures.js';

const tried = { yaml: 0, filter: 0, uri: 0 };

/** Inserts, deletes, duplicates or replaces random spans of `base` with pieces from `pieces`. */
function mutated(base: string, pieces: readonly string[]): fc.Arbitrary<string> {
  const edit = fc.tuple(
    fc.nat(),
    fc.nat({ max: 12 }),
    fc.constantFrom(...pieces),
    fc.constantFrom('insert', 'delete', 'replace', 'duplicate'),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let s = base;
    for (const [at, len, piece, kind] of edits) {
      const i = s.length ? at % (s.length + 1) : 0;
      if (kind === 'insert') s = s.slice(0, i) + piece + s.slice(i);
      else if (kind === 'delete') s = s.slice(0, i) + s.slice(i + len);
      else if (kind === 'replace') s = s.slice(0, i) + piece + s.slice(i + len);
      else s = s.slice(0, i) + s.slice(i, i + len).repeat(2) + s.slice(i + len);
    }
    return s;
  });
}

function isParseResult(r: ReturnType<typeof parseDocumentText>): void {
  if (r.ok) return;
  expect(r.problems.length).toBeGreaterThan(0);
  for (const p of r.problems) {
    expect(p.path).toBe('m.yaml');
    expect(Number.isInteger(p.line) && p.line! >= 1).toBe(true);
    expect(p.message).not.toMatch(/\n/);
    expect(p.message.length).toBeLessThan(1_000);
  }
}

const VERSION: VersionFile = {
  version: 7,
  source: 's3://models/fraud/7',
  run_id: 'abc123',
  stage: 'Production',
  status: 'READY',
  description: 'Retrained on **March** data.',
  tags: { team: 'risk', 'data.version': '2026-03' },
  created_at: '2026-03-02T10:00:00.000Z',
  updated_at: '2026-03-04T12:00:00.000Z',
};
const MODEL: ModelFile = {
  name: 'fraud',
  description: 'Card fraud scoring',
  tags: { owner: 'risk-team' },
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-03-04T12:00:00.000Z',
};

describe('YAML loader under fuzz', () => {
  const YAML_PIECES = [
    '&a ',
    '*a',
    '&b [1, 2]',
    '*b',
    '<<: *a\n',
    '!!str ',
    '!!python/object/apply:os.system ["id"] ',
    '!<tag:yaml.org,2002:int> ',
    '!local ',
    '%YAML 1.1\n---\n',
    '---\n',
    '...\n',
    '? ',
    ': ',
    '- ',
    '[',
    ']',
    '{',
    '}',
    ',',
    '"',
    "'",
    '\\',
    '\\u0000',
    '\\ud800',
    '#',
    '|',
    '>',
    '|-',
    '>+',
    '\n',
    '\n  ',
    '\t',
    ' ',
    '\u0000',
    '\u00a0',
    '\ufeff',
    '\u2028',
    'é',
    '😀',
    '0x1F',
    '0o17',
    '.nan',
    '.inf',
    '~',
    'null',
    'yes',
    'no',
    '2026-01-01',
    '1e309',
    '99999999999999999999',
    '-0',
    'version',
    'stage',
    'Production',
    'aliases',
    'latest_version',
    'tags',
    'x'.repeat(2_000),
    '@',
    '`',
    '%',
  ];

  it('valid documents mutated at random: a result or problems with lines, never an exception; accepted ones are schema-valid and stable', () => {
    const base = fc.constantFrom(
      ['model-version', stringifyDocument('model-version', VERSION)] as const,
      ['model', stringifyDocument('model', MODEL)] as const,
    );
    fc.assert(
      fc.property(
        base.chain(([kind, text]) => mutated(text, YAML_PIECES).map((t) => [kind, t] as const)),
        ([kind, text]) => {
          tried.yaml++;
          const r = parseDocumentText(kind, 'm.yaml', text);
          isParseResult(r);
          if (r.ok) {
            // What was accepted writes back canonically and reads back the same.
            const again = parseDocumentText(kind, 'm.yaml', stringifyDocument(kind, r.doc as object));
            expect(again.ok).toBe(true);
            if (again.ok) expect(again.doc).toEqual(r.doc);
          }
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('random bytes (malformed UTF-8, NULs, BOMs) and random JSON-shaped YAML: never an exception', () => {
    const bytes = fc.uint8Array({ maxLength: 2_000 }).map((b) => ['bytes', b] as const);
    const jsonish = fc
      .jsonValue({ maxDepth: 6 })
      .chain((v) =>
        fc
          .constantFrom<YAML.ToStringOptions>(
            {},
            { collectionStyle: 'flow' },
            { defaultStringType: 'QUOTE_DOUBLE' },
            { indent: 7 },
            { defaultKeyType: 'PLAIN', doubleQuotedAsJSON: true },
          )
          .map((o) => ['yaml', YAML.stringify(v, o)] as const),
      );
    fc.assert(
      fc.property(
        fc.oneof(bytes, jsonish),
        fc.constantFrom('model', 'model-version', 'registry' as const),
        ([, input], kind) => {
          tried.yaml++;
          isParseResult(parseDocumentText(kind, 'm.yaml', input));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('entity expansion in every shape (alias chains of random width and depth, merge keys, aliases as keys) is refused without expanding', () => {
    const laughs = fc
      .record({
        width: fc.integer({ min: 1, max: 12 }),
        depth: fc.integer({ min: 1, max: 12 }),
        style: fc.constantFrom('flow', 'block', 'merge', 'key'),
      })
      .map(({ width, depth, style }) => {
        const lines = ['a0: &a0 "lol"'];
        for (let i = 1; i <= depth; i++) {
          const refs = Array.from({ length: width }, () => `*a${i - 1}`);
          if (style === 'flow') lines.push(`a${i}: &a${i} [${refs.join(', ')}]`);
          else if (style === 'block') lines.push(`a${i}: &a${i}\n${refs.map((r) => `  - ${r}`).join('\n')}`);
          else if (style === 'merge')
            lines.push(`a${i}: &a${i}\n  <<: [${refs.map(() => `*a${i - 1}`).join(', ')}]\n  k${i}: v`);
          else lines.push(`a${i}: &a${i}\n  ? *a${i - 1}\n  : x`);
        }
        return lines.join('\n') + `\nname: *a${depth}\n`;
      });
    fc.assert(
      fc.property(laughs, (text) => {
        tried.yaml++;
        const r = parseDocumentText('model', 'm.yaml', text);
        expect(r.ok).toBe(false);
        if (!r.ok)
          expect(r.problems.map((p) => p.message).join('\n')).toMatch(
            /anchors, aliases and explicit tags are not allowed|invalid YAML/,
          );
      }),
      { numRuns: 300 },
    );
  });

  it('nesting of any depth and style is refused as too deep or accepted, never a stack overflow', () => {
    const nested = fc
      .record({ depth: fc.integer({ min: 1, max: 60_000 }), style: fc.constantFrom('[', '{a: ', '- ', 'k:\n') })
      .map(({ depth, style }) => {
        if (style === '[') return 'name: ' + '['.repeat(depth) + ']'.repeat(depth) + '\n';
        if (style === '{a: ') return 'name: ' + '{a: '.repeat(depth) + '1' + '}'.repeat(depth) + '\n';
        const d = Math.min(depth, 2_000); // block styles grow quadratically with indentation
        if (style === '- ') return Array.from({ length: d }, (_, i) => ' '.repeat(i * 2) + '-').join('\n') + ' 1\n';
        return Array.from({ length: d }, (_, i) => ' '.repeat(i) + `k${i}:`).join('\n') + ' 1\n';
      });
    fc.assert(
      fc.property(nested, (text) => {
        tried.yaml++;
        const r = parseDocumentText('model', 'm.yaml', text);
        isParseResult(r);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 60 },
    );
  }, 300_000);
});

describe('filter grammar under fuzz', () => {
  const VERSIONS: SearchableVersion[] = [
    { name: 'fraud', version: 1, run_id: 'r1', source: 's3://a/1', tags: { t: 'x', 'k with space': 'v' } },
    { name: 'Fraud%_x', version: 12, run_id: '', source: 'file:///tmp/m', tags: {} },
    { name: 'é😀', version: 3, run_id: "r'3", source: 's3://b/"q"', tags: { t: '%_' } },
  ];
  const VALID = [
    "name = 'fraud'",
    "name LIKE 'fr%'",
    "name ILIKE '%A%' AND tags.t = 'x'",
    "run_id IN ('r1', 'r2')",
    'version_number >= 2',
    "tag.`k with space` != 'v'",
    "attribute.name = 'x' AND version_number < 10 AND source_path LIKE 's3://%'",
    "tags.t ILIKE '\\%\\_'",
  ];
  const PIECES = [
    "'",
    '"',
    '`',
    '(',
    ')',
    ',',
    ' ',
    '\\',
    '%',
    '_',
    '=',
    '!=',
    '<>',
    '<',
    '>=',
    'AND',
    'OR',
    'NOT',
    'IN',
    'LIKE',
    'ILIKE',
    'IS',
    'NULL',
    'tags.',
    'tag.',
    'attribute.',
    'metrics.',
    'params.',
    'name',
    'run_id',
    'version_number',
    '1',
    '-1',
    '1e309',
    '0x10',
    '\u0000',
    '\n',
    ';',
    '--',
    '/*',
    '*/',
    'é',
    '😀',
    '\ud800',
  ];

  it('valid filters mutated at random: compile and evaluate to booleans, or a RegistryError INVALID_PARAMETER_VALUE', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID).chain((f) => mutated(f, PIECES)),
        fc.boolean(),
        (filter, isModel) => {
          tried.filter++;
          let test: ((x: SearchableVersion) => boolean) | undefined;
          try {
            test = (isModel ? compileModelFilter(filter) : compileVersionFilter(filter)) as (
              x: SearchableVersion,
            ) => boolean;
          } catch (e) {
            expect(e).toBeInstanceOf(RegistryError);
            expect((e as RegistryError).code).toBe('INVALID_PARAMETER_VALUE');
            expect((e as Error).message.length).toBeLessThan(2_100);
            return;
          }
          for (const v of VERSIONS) expect(typeof test(v)).toBe('boolean');
        },
      ),
      { numRuns: 4_000 },
    );
  });

  it('families built to be slow, scaled to the 100,000-character limit, terminate', () => {
    const family = fc
      .record({
        n: fc.integer({ min: 1, max: 12_000 }),
        kind: fc.constantFrom('parens', 'not', 'and', 'in', 'like', 'ilike', 'quotes', 'backslashes', 'or'),
      })
      .map(({ n, kind }) => {
        switch (kind) {
          case 'parens':
            return '('.repeat(n) + "name = 'x'" + ')'.repeat(n);
          case 'not':
            return 'NOT '.repeat(n) + "name = 'x'";
          case 'and':
            return Array.from({ length: Math.min(n, 3_000) }, (_, i) => `tags.t${i} LIKE '%${i}%'`).join(' AND ');
          case 'in':
            return `run_id IN (${Array.from({ length: n }, (_, i) => `'r${i}'`).join(',')})`;
          case 'like':
            return `name LIKE '${'%a'.repeat(Math.min(n, 40_000))}%b'`;
          case 'ilike':
            return `tags.t ILIKE '${'_%'.repeat(Math.min(n, 40_000))}'`;
          case 'quotes':
            return `name = '${"''".repeat(n)}'`;
          case 'backslashes':
            return `name = '${'\\'.repeat(n)}'`;
          default:
            return Array.from({ length: n }, () => "name = 'x'").join(' OR ');
        }
      });
    const long: SearchableVersion = {
      name: 'a'.repeat(50_000),
      version: 1,
      run_id: 'r',
      source: 's',
      tags: { t: 'a'.repeat(50_000) },
    };
    fc.assert(
      fc.property(family, (filter) => {
        tried.filter++;
        try {
          const test = compileVersionFilter(filter);
          expect(typeof test(long)).toBe('boolean');
          for (const v of VERSIONS) expect(typeof test(v)).toBe('boolean');
        } catch (e) {
          expect(e).toBeInstanceOf(RegistryError);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('models:/ URIs under fuzz', () => {
  const VALID = [
    'models:/fraud/7',
    'models:/fraud/Production',
    'models:/fraud/latest',
    'models:/fraud@champion',
    'models:/Fraud Model/1/path/to/artifact',
    'models:/é😀@a-b_c',
  ];
  const PIECES = [
    '/',
    '//',
    '@',
    '@@',
    '#',
    '?',
    ';',
    '%',
    '%2e',
    '%2e%2e',
    '%2f',
    '%00',
    '%ff',
    '..',
    '.',
    '\\',
    ' ',
    '\t',
    '\n',
    '\u0000',
    ':',
    'models:',
    'models://',
    'runs:/',
    'databricks',
    'latest',
    'Production',
    '01',
    '-1',
    '99999999999999999999',
    'é',
    '😀',
    '\ud800',
    '\u202e',
  ];

  it('valid URIs mutated at random: a parsed URI whose name either is refused or maps to one safe folder, or a RegistryError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID).chain((u) => mutated(u, PIECES)),
        (uri) => {
          tried.uri++;
          let u;
          try {
            u = parseModelUri(uri);
          } catch (e) {
            expect(e).toBeInstanceOf(RegistryError);
            expect((e as RegistryError).code).toBe('INVALID_PARAMETER_VALUE');
            return;
          }
          expect(typeof u.name).toBe('string');
          expect(typeof u.path).toBe('string');
          // Whatever name a URI yields, the registry either refuses it or reads one folder directly under models/.
          if (nameProblem(u.name) === undefined) {
            const dir = encodeName(u.name);
            expect(dir).not.toMatch(/[/\\]|^\.\.?$/);
            expect(dir).toMatch(/^[A-Za-z0-9._~^-]+$/);
          }
          // A parsed URI formats back to one that parses to the same thing (or the formatter says it cannot).
          let formatted: string;
          try {
            formatted = formatModelUri(u);
          } catch (e) {
            expect(e).toBeInstanceOf(RegistryError);
            return;
          }
          expect(parseModelUri(formatted)).toEqual(u);
        },
      ),
      { numRuns: 4_000 },
    );
    reportFigures('parser-fuzz', {
      yaml_inputs: tried.yaml,
      filter_inputs: tried.filter,
      uri_inputs: tried.uri,
      total: tried.yaml + tried.filter + tried.uri,
      crashes: 0,
    });
  });
});
