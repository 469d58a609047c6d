// The one reading of `--at` / `?at=` / `{ at }`: time or revision, by the rule in src/domain/at.ts.
import { describe, expect, it } from 'vitest';
import { parseAt } from '../../src/domain/at.js';
import { isRegistryError } from '../../src/errors.js';

function codeOf(input: string): string {
  try {
    parseAt(input);
  } catch (e) {
    if (isRegistryError(e)) return e.code;
    throw e;
  }
  return 'accepted';
}

describe('parseAt', () => {
  it.each([
    // ISO dates and times: a date alone is 00:00 UTC, a time without an offset is UTC.
    ['2026-03-01', '2026-03-01T00:00:00.000Z'],
    ['2026-03-01T12:00', '2026-03-01T12:00:00.000Z'],
    ['2026-03-01T12:00Z', '2026-03-01T12:00:00.000Z'],
    ['2026-03-01T12:00:30.250Z', '2026-03-01T12:00:30.250Z'],
    ['2026-03-01 12:00:00+02:00', '2026-03-01T10:00:00.000Z'],
    ['2026-03-01T12:00:00-0130', '2026-03-01T13:30:00.000Z'],
    ['  2026-03-01t23:59:59z  ', '2026-03-01T23:59:59.000Z'],
    // 10 to 13 digits: epoch milliseconds.
    ['1772323200000', '2026-03-01T00:00:00.000Z'],
    ['1000000000', '1970-01-12T13:46:40.000Z'],
    ['9999999999999', '2286-11-20T17:46:39.999Z'],
  ])('%s is the time %s', (input, iso) => {
    expect(parseAt(input)).toEqual({ kind: 'time', ms: Date.parse(iso) });
  });

  it.each([
    // Fewer or more digits than epoch ms: an abbreviated commit id (or a ref of that name), never a year.
    '2026',
    '123456789',
    '12345678901234',
    '0123456789abcdef0123456789abcdef01234567',
    'abc1234',
    'HEAD',
    'HEAD~3',
    'HEAD^',
    'HEAD^2',
    'main~2^{commit}',
    'v1.2^{}',
    'origin/main',
    'refs/tags/2026-03-01',
    'release-1',
  ])('%s is a revision', (input) => {
    expect(parseAt(input)).toEqual({ kind: 'revision', revision: input });
  });

  it('takes a Date and a number as times', () => {
    expect(parseAt(new Date('2026-03-01T00:00:00Z'))).toEqual({ kind: 'time', ms: Date.parse('2026-03-01') });
    expect(parseAt(1772323200000)).toEqual({ kind: 'time', ms: 1772323200000 });
  });

  it.each([
    // Text that starts like a date but is not one is an invalid time, not a ref.
    ['2026-02-30', /not a valid time/],
    ['2026-13-01', /not a valid time/],
    ['2026-03-01T24:00', /not a valid time/],
    ['2026-03-01 noon', /not a valid time/],
    ['2026-03-01T12:00+25:00', /not a valid time/],
    // Text no revision can be: the one message every reader gives.
    ['../../etc/passwd', /'\.\.\/\.\.\/etc\/passwd' is neither a commit, a ref nor a time\./],
    ['refs/heads/../../config', /neither a commit, a ref nor a time/],
    ['.hidden', /neither a commit, a ref nor a time/],
    ['main.lock', /neither a commit, a ref nor a time/],
    ['a//b', /neither a commit, a ref nor a time/],
    ['yesterday at noon', /neither a commit, a ref nor a time/],
    ['HEAD@{1}', /neither a commit, a ref nor a time/],
    ['\u00ff', /neither a commit, a ref nor a time/],
    ['', /Missing value for required parameter 'at'/],
    ['   ', /Missing value for required parameter 'at'/],
  ])('%j is refused (INVALID_PARAMETER_VALUE)', (input, message) => {
    expect(codeOf(input)).toBe('INVALID_PARAMETER_VALUE');
    expect(() => parseAt(input)).toThrow(message);
  });

  it('refuses an invalid Date and a number that is not finite', () => {
    expect(() => parseAt(new Date('nope'))).toThrow(/invalid Date/);
    expect(() => parseAt(Number.NaN)).toThrow(/epoch milliseconds/);
  });
});
