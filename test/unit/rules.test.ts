import { describe, expect, it } from 'vitest';
import { normpath, parseVersion, validateAliasName, validateTagKey } from '../../src/domain/rules.js';

describe('MLflow validation rules', () => {
  it.each([
    ['a//b', 'a/b'],
    ['a/./b', 'a/b'],
    ['a/', 'a'],
    ['/a', '/a'],
    ['../x', '../x'],
    ['a/../b', 'b'],
    ['', '.'],
    ['//a', '//a'],
    ['///a', '/a'],
  ])('normpath(%j) = %j', (p, n) => expect(normpath(p)).toBe(n));

  it.each([
    ['1', 1],
    [' 7 ', 7],
    ['+3', 3],
    ['-1', -1],
    ['1_000', 1000],
    ['01', 1],
    [5, 5],
  ])('parseVersion(%j) = %j', (v, n) => {
    expect(parseVersion(v)).toBe(n);
  });
  it.each(['abc', '1.5', '1e3', '_1', '1__0', '0x10'])('parseVersion(%j) is IPV', (v) => {
    expect(() => parseVersion(v)).toThrow(/must be an integer/);
  });

  it('counts lengths in code points', () => {
    // U+1D49C is a letter outside the BMP: two UTF-16 units, one code point.
    expect(() => validateTagKey('\u{1D49C}'.repeat(250))).not.toThrow();
    expect(() => validateTagKey('\u{1D49C}'.repeat(251))).toThrow(/exceeds the maximum length of 250/);
    expect(() => validateAliasName('\u{1D49C}'.repeat(255), { forSet: true })).not.toThrow();
  });

  it('allows Unicode letters in keys and aliases, rejects punctuation', () => {
    expect(() => validateTagKey('ключ/под:ключ')).not.toThrow();
    expect(() => validateAliasName('чемпион_1', { forSet: true })).not.toThrow();
    expect(() => validateAliasName('a.b', { forSet: true })).toThrow(/Invalid alias name/);
  });
});
