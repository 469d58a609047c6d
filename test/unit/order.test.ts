import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/errors.js';
import {
  compareCodePoints,
  compileModelOrder,
  compileVersionOrder,
  type OrderableModel,
  type OrderableVersion,
} from '../../src/domain/filter/index.js';

const rm = (name: string, created_ms: number, updated_ms: number): OrderableModel => ({ name, created_ms, updated_ms });
const MODELS: OrderableModel[] = [rm('b', 3, 20), rm('a', 1, 20), rm('C', 2, 10), rm('d', 4, 30), rm('é', 5, 10)];
const sortModels = (orderBy?: string[]): string[] => [...MODELS].sort(compileModelOrder(orderBy)).map((m) => m.name);

// model-042's versions as a real MLflow server returned them
// (test/fixtures/mlflow-responses/model-versions-search__filter-name.json): v10 and v8 share a timestamp.
const MODEL_042: OrderableVersion[] = [
  [1, 1795697001319, 1795697007340],
  [2, 1795697001329, 1795697001329],
  [3, 1795697001336, 1795697001336],
  [4, 1795697001342, 1795697001342],
  [5, 1795697001349, 1795697001349],
  [6, 1795697001357, 1795697001357],
  [7, 1795697001366, 1795697001366],
  [8, 1795697001373, 1795697007324],
  [9, 1795697001380, 1795697007333],
  [10, 1795697001386, 1795697007324],
].map(([version, created_ms, updated_ms]) => ({
  name: 'model-042',
  version: version!,
  created_ms: created_ms!,
  updated_ms: updated_ms!,
}));

const mv = (name: string, version: number, created_ms: number, updated_ms: number): OrderableVersion => ({
  name,
  version,
  created_ms,
  updated_ms,
});
const VERSIONS: OrderableVersion[] = [
  mv('a', 1, 1, 5),
  mv('a', 2, 2, 5),
  mv('a', 10, 3, 7),
  mv('b', 1, 4, 5),
  mv('b', 2, 5, 1),
];
const sortVersions = (orderBy?: string[]): string[] =>
  [...VERSIONS].sort(compileVersionOrder(orderBy)).map((v) => `${v.name}/${v.version}`);

function errorOf(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError);
    return e as RegistryError;
  }
  throw new Error('expected a RegistryError');
}

describe('registered-model order_by', () => {
  it.each([
    ['106: default is name ASC (code-point order: upper case first)', undefined, ['C', 'a', 'b', 'd', 'é']],
    ['106: an empty list is the default', [], ['C', 'a', 'b', 'd', 'é']],
    ['121: name DESC', ['name DESC'], ['é', 'd', 'b', 'a', 'C']],
    ['123: no direction is ASC', ['last_updated_timestamp'], ['C', 'é', 'a', 'b', 'd']],
    ['123: timestamp  asc', ['timestamp  asc'], ['C', 'é', 'a', 'b', 'd']],
    ['123: timestamp\\tASC', ['timestamp\tASC'], ['C', 'é', 'a', 'b', 'd']],
    ['123: timestamp\\nASC', ['timestamp\nASC'], ['C', 'é', 'a', 'b', 'd']],
    ['123: timestamp deSc', ['timestamp deSc'], ['d', 'a', 'b', 'C', 'é']],
    ['124: ties are broken by name ASC', ['last_updated_timestamp DESC'], ['d', 'a', 'b', 'C', 'é']],
    ['125: compound ordering', ['last_updated_timestamp ASC', 'name DESC'], ['é', 'C', 'b', 'a', 'd']],
    [
      '126: creation_timestamp is accepted (MLflow SQL rejects it)',
      ['creation_timestamp DESC'],
      ['é', 'd', 'b', 'C', 'a'],
    ],
    ['a backticked key', ['`name` DESC'], ['é', 'd', 'b', 'a', 'C']],
    ['an attribute. prefix (MLflow file store)', ['attribute.last_updated_timestamp DESC'], ['d', 'a', 'b', 'C', 'é']],
    ['surrounding whitespace', ['  name   DESC  '], ['é', 'd', 'b', 'a', 'C']],
  ])('%s', (_title, orderBy, expected) => {
    expect(sortModels(orderBy)).toEqual(expected);
  });

  it.each([
    [
      '126: description',
      ['description'],
      "Invalid order by key 'description' specified. Valid keys are '{'name', 'timestamp', 'last_updated_timestamp', 'creation_timestamp'}'",
    ],
    [
      '126: extra tokens',
      ['last_updated_timestamp DESC blah'],
      "Invalid order_by clause 'last_updated_timestamp DESC blah'. Could not be parsed.",
    ],
    ['126: a bad direction', ['name ASCENDING'], "Invalid ordering key in order_by clause 'name ASCENDING'."],
    ['126: a tag key', ['tag.x'], 'Invalid order_by entity: tag'],
    [
      '126: an unknown entity',
      ['metric.x DESC'],
      "Invalid entity type 'metric'. Valid entity types are ('attribute', 'tag', 'tags')",
    ],
    [
      '126: two keys in one element',
      ['name, timestamp'],
      "Invalid order_by clause 'name, timestamp'. Could not be parsed.",
    ],
    ['126: an empty element', [''], "Invalid order_by clause ''. Could not be parsed."],
    ['126: a quoted string', ["'name'"], "Invalid order_by clause ''name''. Could not be parsed."],
    [
      '126: keys are case-sensitive',
      ['NAME'],
      "Invalid order by key 'NAME' specified. Valid keys are '{'name', 'timestamp', 'last_updated_timestamp', 'creation_timestamp'}'",
    ],
    ['126: a direction without a key', ['DESC'], "Invalid order_by clause 'DESC'. Could not be parsed."],
    ['a duplicate field', ['name ASC', 'name DESC'], "`order_by` contains duplicate fields: ['name ASC', 'name DESC']"],
    [
      'timestamp duplicates last_updated_timestamp',
      ['timestamp', 'last_updated_timestamp DESC'],
      "`order_by` contains duplicate fields: ['timestamp', 'last_updated_timestamp DESC']",
    ],
  ])('%s → IPV', (_title, orderBy, message) => {
    const e = errorOf(() => compileModelOrder(orderBy));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toBe(message);
  });

  it('a non-string element is the handler’s type error', () => {
    expect(errorOf(() => compileModelOrder([1] as unknown as string[])).message).toBe(
      "Invalid value [1] for parameter 'order_by' supplied:  Hint: Value was of type 'list'. See the API docs for more information about request parameters.",
    );
  });
});

describe('model-version order_by', () => {
  it('135: the default order reproduces a real MLflow server’s pages', () => {
    const sorted = [...MODEL_042].sort(compileVersionOrder(undefined)).map((v) => v.version);
    // page 1 and page 2 of model-versions-search__page{1,2}-max3.json, then the rest
    expect(sorted).toEqual([1, 9, 10, 8, 7, 6, 5, 4, 3, 2]);
  });

  it('136: version_number DESC as captured (model-versions-search__order-by.json)', () => {
    expect(
      [...MODEL_042]
        .sort(compileVersionOrder(['version_number DESC']))
        .map((v) => v.version)
        .slice(0, 2),
    ).toEqual([10, 9]);
  });

  it.each([
    ['135: default: last_updated DESC, name ASC, version DESC', undefined, ['a/10', 'a/2', 'a/1', 'b/1', 'b/2']],
    ['135: an empty list is the default', [], ['a/10', 'a/2', 'a/1', 'b/1', 'b/2']],
    ['136: name DESC, then version DESC within a name', ['name DESC'], ['b/2', 'b/1', 'a/10', 'a/2', 'a/1']],
    [
      '136: version_number DESC, ties by name ASC (numeric, not string order)',
      ['version_number DESC'],
      ['a/10', 'a/2', 'b/2', 'a/1', 'b/1'],
    ],
    ['136: version_number ASC', ['version_number'], ['a/1', 'b/1', 'a/2', 'b/2', 'a/10']],
    ['136: creation_timestamp DESC', ['creation_timestamp DESC'], ['b/2', 'b/1', 'a/10', 'a/2', 'a/1']],
    ['136: last_updated_timestamp ASC', ['last_updated_timestamp ASC'], ['b/2', 'a/2', 'a/1', 'b/1', 'a/10']],
    ['an attribute. prefix', ['attribute.version_number DESC'], ['a/10', 'a/2', 'b/2', 'a/1', 'b/1']],
    ['name ASC alone keeps version DESC as the tie-break', ['name ASC'], ['a/10', 'a/2', 'a/1', 'b/2', 'b/1']],
  ])('%s', (_title, orderBy, expected) => {
    expect(sortVersions(orderBy)).toEqual(expected);
  });

  it.each([
    [
      '137: run_id',
      ['name ASC', 'run_id DESC'],
      "Invalid attribute key 'run_id' specified. Valid keys are '{'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}'",
    ],
    [
      'timestamp is a model key only',
      ['timestamp'],
      "Invalid attribute key 'timestamp' specified. Valid keys are '{'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}'",
    ],
    [
      'current_stage',
      ['current_stage'],
      "Invalid attribute key 'current_stage' specified. Valid keys are '{'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'}'",
    ],
    ['a tag', ['tags.x DESC'], 'Invalid order_by entity: tag'],
    [
      'extra tokens',
      ['version_number DESC blah'],
      "Invalid order_by clause 'version_number DESC blah'. Could not be parsed.",
    ],
    [
      'a duplicate',
      ['version_number', 'version_number DESC'],
      "`order_by` contains duplicate fields: ['version_number', 'version_number DESC']",
    ],
  ])('%s → IPV', (_title, orderBy, message) => {
    const e = errorOf(() => compileVersionOrder(orderBy));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toBe(message);
  });
});

describe('compareCodePoints', () => {
  it.each([
    ['a', 'b', -1],
    ['B', 'a', -1],
    ['a', 'a', 0],
    ['a', 'ab', -1],
    ['\uffff', '😀', -1], // UTF-16 order would put the surrogate pair first
    ['😀', '\ue000', 1],
    ['é', 'z', 1],
  ])('%j vs %j', (a, b, expected) => {
    expect(Math.sign(compareCodePoints(a, b))).toBe(expected);
  });

  it('is UTF-8 byte order for random strings', () => {
    const bytes = (s: string) => Buffer.from(s, 'utf8');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Math.sign(Buffer.compare(bytes(a), bytes(b))));
      }),
      { numRuns: 2_000 },
    );
  });

  it('random orders are total and stable under any permutation', () => {
    const version = fc.record({
      name: fc.constantFrom('a', 'b', 'Z'),
      version: fc.integer({ min: 1, max: 30 }),
      created_ms: fc.integer({ min: 0, max: 3 }),
      updated_ms: fc.integer({ min: 0, max: 3 }),
    });
    const key = fc.constantFrom('name', 'version_number', 'creation_timestamp', 'last_updated_timestamp');
    fc.assert(
      fc.property(
        fc.uniqueArray(version, { selector: (v) => `${v.name}/${v.version}`, maxLength: 30 }),
        fc.uniqueArray(key, { maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        (list, keys, desc) => {
          const compare = compileVersionOrder(keys.map((k, i) => `${k} ${desc[i] ? 'DESC' : 'ASC'}`));
          const once = [...list].sort(compare);
          const again = [...list].reverse().sort(compare);
          expect(again).toEqual(once);
        },
      ),
      { numRuns: 500 },
    );
  });
});
