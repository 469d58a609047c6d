import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/errors.js';
import { formatModelUri, parseModelUri, type ModelUri } from '../../src/domain/uri.js';

function errorOf(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError);
    return e as RegistryError;
  }
  throw new Error('expected a RegistryError');
}

const improper = (uri: string): string =>
  `Not a proper models:/ URI: ${uri}. Models URIs must be of the form 'models:/model_name/suffix' or 'models:/model_name@alias' where suffix is a model version, stage, or the string 'latest' and where alias is a registered model alias. Only one of suffix or alias can be defined at a time.`;

describe('parseModelUri', () => {
  // Every expectation here is what MLflow's split_models_uri + _parse_model_uri return under Python 3.
  it.each<[string, ModelUri]>([
    ['models:/fraud/3', { kind: 'version', name: 'fraud', version: '3', path: '' }],
    ['models:/fraud/01', { kind: 'version', name: 'fraud', version: '01', path: '' }],
    ['models:/fraud/latest', { kind: 'latest', name: 'fraud', path: '' }],
    ['models:/fraud/LaTeSt', { kind: 'latest', name: 'fraud', path: '' }],
    ['models:/fraud/Production', { kind: 'stage', name: 'fraud', stage: 'Production', path: '' }],
    ['models:/fraud/production', { kind: 'stage', name: 'fraud', stage: 'production', path: '' }],
    ['models:/fraud/ 3', { kind: 'stage', name: 'fraud', stage: ' 3', path: '' }],
    ['models:/fraud@champion', { kind: 'alias', name: 'fraud', alias: 'champion', path: '' }],
    ['models:/fr@ud@champion', { kind: 'alias', name: 'fr@ud', alias: 'champion', path: '' }],
    ['models:/fraud/3/sub/path', { kind: 'version', name: 'fraud', version: '3', path: 'sub/path' }],
    ['models:/fraud/3/', { kind: 'version', name: 'fraud', version: '3', path: '' }],
    ['models:/fraud/3/sub/', { kind: 'version', name: 'fraud', version: '3', path: 'sub' }],
    ['models:/fraud/3//x', { kind: 'version', name: 'fraud', version: '3', path: '/x' }],
    ['models:/fraud@champion/sub/path', { kind: 'alias', name: 'fraud', alias: 'champion', path: 'sub/path' }],
    ['models:/fraud@champion/', { kind: 'alias', name: 'fraud', alias: 'champion', path: '' }],
    ['models:/a@b/1', { kind: 'alias', name: 'a', alias: 'b', path: '1' }],
    ['models:/fraud/Staging/a/b/c', { kind: 'stage', name: 'fraud', stage: 'Staging', path: 'a/b/c' }],
    ['models:/a/b/c/d/', { kind: 'stage', name: 'a', stage: 'b', path: 'c/d' }],
    ['MODELS:/fraud/3', { kind: 'version', name: 'fraud', version: '3', path: '' }],
    ['models:///fraud/3', { kind: 'version', name: 'fraud', version: '3', path: '' }],
    ['models:/fraud/3?x=1', { kind: 'version', name: 'fraud', version: '3', path: '' }],
    ['models:/fraud/3/sub/path?q', { kind: 'version', name: 'fraud', version: '3', path: 'sub/path' }],
    ['models:/fraud/3#x', { kind: 'version', name: 'fraud', version: '3', path: '' }],
    ['models:/fraud/3/a#b', { kind: 'version', name: 'fraud', version: '3', path: 'a' }],
    ['models:/fraud@a#b', { kind: 'alias', name: 'fraud', alias: 'a#b', path: '' }],
    ['models:/fr#aud/3', { kind: 'version', name: 'fr#aud', version: '3', path: '' }],
    ['models:/fraud@a?b', { kind: 'alias', name: 'fraud', alias: 'a', path: '' }],
    ['models:/fraud/3;p', { kind: 'stage', name: 'fraud', stage: '3;p', path: '' }],
    ['models:/fr;aud@a', { kind: 'alias', name: 'fr;aud', alias: 'a', path: '' }],
    ['models:/fr\taud/3', { kind: 'version', name: 'fraud', version: '3', path: '' }],
    ['  models:/fraud/3', { kind: 'version', name: 'fraud', version: '3', path: '' }],
    ['models:/my model/3', { kind: 'version', name: 'my model', version: '3', path: '' }],
    ['models:/Fraud Détection/2', { kind: 'version', name: 'Fraud Détection', version: '2', path: '' }],
  ])('%j', (uri, expected) => {
    expect(parseModelUri(uri)).toEqual(expected);
  });

  it.each([
    ['models:/'],
    ['models:'],
    ['models:fraud/3'],
    ['models:/ /3'],
    ['models:/fraud/ '],
    ['models:/fraud@'],
    ['models:/fraud@ '],
    ['models:/a//b'],
    ['runs:/abc/model'],
    ['s3://bucket/fraud/3'],
    ['fraud/3'],
    [''],
    // MLflow accepts an empty name here and then finds no model: rejected up front.
    ['models:/@champion'],
  ])('%j is not a proper models:/ URI', (uri) => {
    const e = errorOf(() => parseModelUri(uri));
    expect(e.code).toBe('INVALID_PARAMETER_VALUE');
    expect(e.message).toBe(improper(uri));
  });

  it.each([['models:/fraud'], ['models:/fraud/'], ['models:/m-0123456789abcdef'], ['models:/fraud#x']])(
    '%j is an MLflow 3 logged-model URI, which mreg does not support',
    (uri) => {
      const e = errorOf(() => parseModelUri(uri));
      expect(e.code).toBe('INVALID_PARAMETER_VALUE');
      expect(e.message.startsWith(improper(uri))).toBe(true);
      expect(e.message).toMatch(/logged-model/);
    },
  );

  it.each([['models://profile@databricks/fraud/3'], ['models://scope:prefix@databricks/fraud@champion']])(
    '%j names a Databricks workspace, which mreg does not support',
    (uri) => {
      const e = errorOf(() => parseModelUri(uri));
      expect(e.message.startsWith(improper(uri))).toBe(true);
      expect(e.message).toMatch(/databricks/);
    },
  );

  it('never throws anything but a RegistryError (2,000 random inputs up to 10k characters)', () => {
    const parts = [
      'models:',
      'models:/',
      '/',
      '//',
      '@',
      '#',
      '?',
      ';',
      ' ',
      '\t',
      'latest',
      '3',
      '01',
      'a',
      'é',
      '😀',
      'Production',
      '%',
    ];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 10_000, size: 'max' }),
          fc.array(fc.constantFrom(...parts), { maxLength: 2_000, size: 'max' }).map((a) => a.join('')),
          fc.array(fc.constantFrom(...parts), { maxLength: 8 }).map((a) => `models:/${a.join('')}`),
        ),
        (uri) => {
          try {
            parseModelUri(uri);
          } catch (e) {
            if (!(e instanceof RegistryError) || e.code !== 'INVALID_PARAMETER_VALUE') throw e;
          }
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('formatModelUri', () => {
  it.each<[ModelUri, string]>([
    [{ kind: 'version', name: 'fraud', version: '3', path: '' }, 'models:/fraud/3'],
    [{ kind: 'version', name: 'fraud', version: '01', path: 'sub/path' }, 'models:/fraud/01/sub/path'],
    [{ kind: 'latest', name: 'fraud', path: '' }, 'models:/fraud/latest'],
    [{ kind: 'stage', name: 'fraud', stage: 'production', path: '' }, 'models:/fraud/production'],
    [{ kind: 'alias', name: 'fraud', alias: 'champion', path: 'MLmodel' }, 'models:/fraud@champion/MLmodel'],
    [{ kind: 'alias', name: 'fr@ud', alias: 'x', path: '' }, 'models:/fr@ud@x'],
  ])('%j → %s', (u, uri) => {
    expect(formatModelUri(u)).toBe(uri);
  });

  it.each<[string, ModelUri]>([
    ['a slash in the name', { kind: 'version', name: 'a/b', version: '1', path: '' }],
    ['a blank name', { kind: 'latest', name: ' ', path: '' }],
    ['a query character', { kind: 'version', name: 'a?b', version: '1', path: '' }],
    ['a fragment character', { kind: 'alias', name: 'ab', alias: 'c#d', path: '' }],
    ['an @ outside an alias URI', { kind: 'version', name: 'a@b', version: '1', path: '' }],
    ['an @ in an alias', { kind: 'alias', name: 'a', alias: 'b@c', path: '' }],
    ['a non-digit version', { kind: 'version', name: 'a', version: '1a', path: '' }],
    ['a stage that reads as a version', { kind: 'stage', name: 'a', stage: '12', path: '' }],
    ['a stage that reads as latest', { kind: 'stage', name: 'a', stage: 'LATEST', path: '' }],
    ['a path with a trailing slash', { kind: 'version', name: 'a', version: '1', path: 'x/' }],
    ['a newline', { kind: 'version', name: 'a\nb', version: '1', path: '' }],
  ])('refuses %s', (_title, u) => {
    expect(errorOf(() => formatModelUri(u)).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('parseModelUri(formatModelUri(u)) equals u for generated valid URIs', () => {
    const chars = [
      'a',
      'Z',
      '0',
      '9',
      '-',
      '_',
      '.',
      ' ',
      ':',
      ';',
      '%',
      'é',
      '😀',
      '@',
      '/',
      '?',
      '#',
      '\t',
      '\u00a0',
    ];
    const text = fc.array(fc.constantFrom(...chars), { minLength: 1, maxLength: 12 }).map((a) => a.join(''));
    const segment = text.filter((s) => s.trim() !== '' && !/[/?#\t]/.test(s));
    const name = segment;
    const plainName = segment.filter((s) => !s.includes('@'));
    const path = fc.oneof(
      fc.constant(''),
      fc.array(segment, { minLength: 1, maxLength: 3 }).map((a) => a.join('/')),
    );
    const uri: fc.Arbitrary<ModelUri> = fc.oneof(
      fc.record({
        kind: fc.constant('version' as const),
        name: plainName,
        version: fc.stringMatching(/^[0-9]{1,6}$/),
        path,
      }),
      fc.record({ kind: fc.constant('latest' as const), name: plainName, path }),
      fc.record({
        kind: fc.constant('stage' as const),
        name: plainName,
        stage: segment.filter((s) => !/^[0-9]+$/.test(s) && s.toLowerCase() !== 'latest'),
        path,
      }),
      fc.record({ kind: fc.constant('alias' as const), name, alias: segment.filter((s) => !s.includes('@')), path }),
    );
    fc.assert(
      fc.property(uri, (u) => {
        expect(parseModelUri(formatModelUri(u))).toEqual(u);
      }),
      { numRuns: 2_000 },
    );
  });
});
