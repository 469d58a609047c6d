import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_LENGTH, RegistryError } from '../../src/errors.js';
import { assertValidName } from '../../src/domain/names.js';
import { validateAliasName, validateTagKey } from '../../src/domain/rules.js';

describe('RegistryError messages', () => {
  it('quote a megabyte-long value clipped in the middle: the start says what is wrong, the end keeps the hint', () => {
    const e = RegistryError.invalid(
      `Invalid value "${'!'.repeat(1024 * 1024)}" for parameter 'key' supplied: Names may only contain alphanumerics.`,
    );
    expect(e.message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH + 60);
    expect(e.message).toMatch(/^Invalid value "!!!/);
    expect(e.message).toMatch(
      /characters left out\] …!*" for parameter 'key' supplied: Names may only contain alphanumerics\.$/,
    );
  });

  it('never split a surrogate pair where they clip', () => {
    for (let shift = 0; shift < 4; shift++) {
      const e = new RegistryError('INVALID_PARAMETER_VALUE', 'x'.repeat(shift) + '😀'.repeat(5_000));
      expect(/\p{Cs}/u.test(e.message), `shift ${shift}`).toBe(false);
    }
  });

  it.each([
    ['tag key', () => validateTagKey('%'.repeat(1024 * 1024))],
    ['alias', () => validateAliasName('.'.repeat(1024 * 1024), { forSet: true })],
    ['name', () => assertValidName('n'.repeat(1024 * 1024))],
  ])('a 1 MB %s gets an error of a readable size', (_what, fn) => {
    expect(fn).toThrow(RegistryError);
    try {
      fn();
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(2_100);
    }
  });

  it('short messages are left as they are', () => {
    expect(RegistryError.missing('name').message).toBe(
      "Missing value for required parameter 'name'. See the API docs for more information about request parameters.",
    );
  });
});
