import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/errors.js';
import { decodePageToken, encodePageToken, paginate, parseMaxResults } from '../../src/domain/filter/index.js';

function errorOf(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError);
    return e as RegistryError;
  }
  throw new Error('expected a RegistryError');
}

describe('page tokens', () => {
  it.each([
    [100, 'eyJvZmZzZXQiOiAxMDB9'],
    [5, 'eyJvZmZzZXQiOiA1fQ=='],
    // next_page_token values captured from a real MLflow server (test/fixtures/mlflow-responses/*search*.json)
    [2, 'eyJvZmZzZXQiOiAyfQ=='],
    [3, 'eyJvZmZzZXQiOiAzfQ=='],
    [6, 'eyJvZmZzZXQiOiA2fQ=='],
  ])('encodes offset %i as MLflow does: %s', (offset, token) => {
    expect(encodePageToken(offset)).toBe(token);
    expect(decodePageToken(token)).toBe(offset);
  });

  it.each([undefined, null, ''])('%j means offset 0', (token) => {
    expect(decodePageToken(token)).toBe(0);
  });

  it('round-trips every offset', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (n) => {
        expect(decodePageToken(encodePageToken(n))).toBe(n);
      }),
    );
  });

  // Expected values produced by running MLflow's parse_start_offset_from_page_token under Python 3.
  it.each([
    ['fields Python decodes leniently (skips non-alphabet characters)', 'eyJvZmZz!ZXQiOiAx*MDB9', 100],
    ['stops at a complete padding', 'eyJvZmZzZXQiOiA1fQ==junk', 5],
    ['an offset given as a string', 'eyJvZmZzZXQiOiAiIDEyICJ9', 12],
    ['a float offset is truncated', 'eyJvZmZzZXQiOiAyLjd9', 2],
    ['true is 1', 'eyJvZmZzZXQiOiB0cnVlfQ==', 1],
  ])('accepts what MLflow accepts: %s', (_title, token, offset) => {
    expect(decodePageToken(token)).toBe(offset);
  });

  it.each([
    ['122: evilhax', 'evilhax', 'Invalid page token, could not base64-decode'],
    ['missing padding', 'eyJvZmZzZXQiOiA1fQ', 'Invalid page token, could not base64-decode'],
    ['one character too many', 'abcde', 'Invalid page token, could not base64-decode'],
    ['non-ASCII', 'eyJvZmZzZXQiOiA1fQ==é', 'Invalid page token, could not base64-decode'],
    ['not JSON', 'bm90IGpzb24=', "Invalid page token, decoded value=b'not json'"],
    ['not UTF-8', '/wAiJw==', `Invalid page token, decoded value=b'\\xff\\x00"\\''`],
    ['offset 0', 'eyJvZmZzZXQiOiAwfQ==', "Invalid page token, parsed value={'offset': 0}"],
    ['offset 0.0', 'eyJvZmZzZXQiOiAwLjB9', "Invalid page token, parsed value={'offset': 0.0}"],
    ['no offset', 'e30=', 'Invalid page token, parsed value={}'],
    [
      'a null offset',
      'eyJvZmZzZXQiOiBudWxsLCAieCI6IFsxLCAyLjUsICJhJ2IiLCB7ImsiOiBmYWxzZX1dfQ==',
      `Invalid page token, parsed value={'offset': None, 'x': [1, 2.5, "a'b", {'k': False}]}`,
    ],
    ['a word', 'eyJvZmZzZXQiOiAiYWJjIn0=', 'Invalid page token, not stringable abc'],
    ['NaN', 'eyJvZmZzZXQiOiBOYU59', 'Invalid page token, not stringable nan'],
    [
      'a negative offset (MLflow would pass it to SQL)',
      encodeJson('{"offset": -5}'),
      "Invalid page token, parsed value={'offset': -5}",
    ],
    ['a list', encodeJson('[1]'), 'Invalid page token, parsed value=[1]'],
  ])('%s → IPV', (_title, token, message) => {
    const e = errorOf(() => decodePageToken(token));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toBe(message);
  });

  it('never throws anything but a RegistryError on random tokens', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.base64String(), fc.json().map(encodeJson)),
        (token) => {
          try {
            expect(decodePageToken(token)).toBeGreaterThanOrEqual(0);
          } catch (e) {
            if (!(e instanceof RegistryError)) throw e;
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

function encodeJson(json: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(json)));
}

describe('paginate', () => {
  const ALL = Array.from({ length: 23 }, (_, i) => `m${String(i).padStart(2, '0')}`);

  function pages(list: readonly string[], max: number): { pages: string[][]; tokens: (string | undefined)[] } {
    const out: string[][] = [];
    const tokens: (string | undefined)[] = [];
    let token: string | undefined;
    do {
      const { page, nextPageToken } = paginate(list, max, token);
      out.push(page);
      tokens.push(nextPageToken);
      token = nextPageToken;
    } while (token);
    return { pages: out, tokens };
  }

  it.each([1, 5, 8, 10, 20, 100])(
    '121: pages of %i concatenate to the whole sorted result; the last has no token',
    (max) => {
      const { pages: got, tokens } = pages(ALL, max);
      expect(got.flat()).toEqual(ALL);
      expect(tokens.at(-1)).toBeUndefined();
      expect(got.slice(0, -1).every((p) => p.length === max)).toBe(true);
    },
  );

  it('121: also in name DESC order', () => {
    const desc = [...ALL].reverse();
    expect(pages(desc, 8).pages.flat()).toEqual(desc);
  });

  it('138: the token depends only on the offset', () => {
    expect(paginate(ALL, 3).nextPageToken).toBe('eyJvZmZzZXQiOiAzfQ==');
    expect(paginate(ALL, 3, 'eyJvZmZzZXQiOiAzfQ==').page).toEqual(['m03', 'm04', 'm05']);
    expect(paginate(ALL, 3, 'eyJvZmZzZXQiOiAzfQ==').nextPageToken).toBe('eyJvZmZzZXQiOiA2fQ==');
  });

  it('an exact fit has no next page, and an offset past the end is an empty page', () => {
    expect(paginate(ALL, 23)).toEqual({ page: ALL });
    expect(paginate(ALL, 5, encodePageToken(40))).toEqual({ page: [] });
    expect(paginate([], 5)).toEqual({ page: [] });
  });

  it('rejects max_results below 1', () => {
    expect(errorOf(() => paginate(ALL, 0)).message).toBe(
      'Invalid value for max_results. It must be a positive integer, but got 0',
    );
  });

  it('random lists and page sizes concatenate to the whole list', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), (list, max) => {
        const seen: number[] = [];
        let token: string | undefined;
        let calls = 0;
        do {
          const { page, nextPageToken } = paginate(list, max, token);
          seen.push(...page);
          token = nextPageToken;
          calls++;
        } while (token);
        expect(seen).toEqual(list);
        expect(calls).toBe(Math.max(1, Math.ceil(list.length / max)));
      }),
    );
  });
});

describe('max_results', () => {
  it.each([
    ['model', undefined, 100],
    ['model', null, 100],
    ['version', undefined, 200_000],
    ['model', 1000, 1000],
    ['model', '1000', 1000],
    ['model', ' 7 ', 7],
    ['model', 1, 1],
    ['version', 10_000, 10_000],
    ['version', '200000', 200_000],
  ] as const)('%s %j → %i', (kind, value, expected) => {
    expect(parseMaxResults(kind, value)).toBe(expected);
  });

  it.each([
    [
      '120: above 1000 (query string)',
      'model',
      '5000',
      `Invalid value "5000" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters.`,
    ],
    [
      '120: above 1000 (JSON)',
      'model',
      1001,
      `Invalid value 1001 for parameter 'max_results' supplied:  Hint: Value was of type 'int'. See the API docs for more information about request parameters.`,
    ],
    [
      '120: 1e15',
      'model',
      '1e15',
      `Invalid value "1e15" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters.`,
    ],
    ['120: 0', 'model', 0, 'Invalid value for max_results. It must be a positive integer, but got 0'],
    ['120: negative', 'model', '-3', 'Invalid value for max_results. It must be a positive integer, but got -3'],
    [
      'not a number',
      'model',
      'ten',
      `Invalid value "ten" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters.`,
    ],
    [
      'an empty query value',
      'model',
      '',
      `Invalid value "" for parameter 'max_results' supplied:  Hint: Value was of type 'str'. See the API docs for more information about request parameters.`,
    ],
    [
      'a fraction',
      'model',
      2.5,
      `Invalid value 2.5 for parameter 'max_results' supplied:  Hint: Value was of type 'float'. See the API docs for more information about request parameters.`,
    ],
    [
      'a boolean',
      'model',
      true,
      `Invalid value true for parameter 'max_results' supplied:  Hint: Value was of type 'bool'. See the API docs for more information about request parameters.`,
    ],
    [
      '138: above 200000',
      'version',
      200_001,
      `Invalid value 200001 for parameter 'max_results' supplied:  Hint: Value was of type 'int'. See the API docs for more information about request parameters.`,
    ],
    ['138: below 1', 'version', '0', 'Invalid value for max_results. It must be a positive integer, but got 0'],
  ] as const)('%s → IPV', (_title, kind, value, message) => {
    const e = errorOf(() => parseMaxResults(kind, value));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toBe(message);
  });
});
