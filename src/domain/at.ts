// "As of when?": the one reading of `--at` (CLI), `?at=` (daemon: resolve and UI) and `{ at }` (library).
// Pure: it decides whether the input is a time or a revision; the store turns either into a commit.
//
// The rule, in order (the README's "As of a past moment" repeats it):
// 1. A Date, or a number, is a time (a number is milliseconds since the epoch).
// 2. Digits only, 10 to 13 of them, are milliseconds since the epoch (1970-01-12 … 2286-11-20). Any other
//    run of digits is a revision (an abbreviated commit id such as `2026` or `1234567`, or a ref of that name).
// 3. Text starting with a date, `YYYY-MM-DD`, is an ISO-8601 time: the date alone is 00:00 UTC, a time of
//    day may follow after `T` or a space (`HH:MM`, `HH:MM:SS`, `HH:MM:SS.fff`), then `Z` or `±HH:MM`; without
//    an offset the time is UTC. A ref whose name looks like a date is named in full: `refs/tags/2026-03-01`.
// 4. Anything else is a revision: a full or abbreviated commit id, a branch, a tag, a remote-tracking ref,
//    `HEAD`, each optionally followed by `~N`, `^N`, `^{commit}` or `^{}`. Only those characters are
//    accepted, so the text cannot name a file outside `refs/`.
import { RegistryError } from '../errors.js';

/** A parsed `at`: a point in time, or a revision for the store to resolve. */
export type At = { kind: 'time'; ms: number } | { kind: 'revision'; revision: string };

/** What callers may pass as `at`. */
export type AtInput = string | number | Date;

const EPOCH_MS = /^\d{10,13}$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}(?:~\d{0,6}|\^\d?|\^\{(?:commit)?\})*$/;

/** The message every reader of `at` gives for input that is neither a time nor a plausible revision. */
export function neitherMessage(input: string): string {
  return `'${input}' is neither a commit, a ref nor a time.`;
}

function invalidTime(input: string): RegistryError {
  return RegistryError.invalid(`'${input}' is not a valid time (ISO 8601, e.g. 2026-03-01T12:00Z, or epoch ms).`, {
    at: input,
  });
}

function parseIso(input: string, m: RegExpExecArray): number {
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const ms = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0').slice(0, 3)));
  const check = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to 2 March; a calendar date must be one.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  )
    throw invalidTime(input);
  if (zone.toUpperCase() === 'Z') return ms;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  const offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  if (Number(z[2]) > 23 || Number(z[3]) > 59) throw invalidTime(input);
  return z[1] === '+' ? ms - offset : ms + offset;
}

/**
 * Reads an `at` as a time or a revision, by the rule above.
 * @throws INVALID_PARAMETER_VALUE for an empty value, an impossible date, or text that can be neither
 * @example parseAt('2026-03-01') // { kind: 'time', ms: 1772323200000 }
 * @example parseAt('HEAD~2') // { kind: 'revision', revision: 'HEAD~2' }
 */
export function parseAt(input: AtInput): At {
  if (input instanceof Date) {
    const ms = input.getTime();
    if (Number.isNaN(ms)) throw RegistryError.invalid(`'at' is an invalid Date.`);
    return { kind: 'time', ms };
  }
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw RegistryError.invalid(`'${input}' is not a time in epoch milliseconds.`);
    return { kind: 'time', ms: Math.trunc(input) };
  }
  if (typeof input !== 'string') throw RegistryError.invalid(`'at' must be a string, a number or a Date.`);
  const text = input.trim();
  if (text === '') throw RegistryError.missing('at');
  if (EPOCH_MS.test(text)) return { kind: 'time', ms: Number(text) };
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const m = ISO.exec(text);
    if (!m) throw invalidTime(text);
    return { kind: 'time', ms: parseIso(text, m) };
  }
  if (
    !REVISION.test(text) ||
    text.includes('..') ||
    text.includes('//') ||
    /(^|\/)\./.test(text) ||
    /\.lock($|[~^/])/.test(text)
  )
    throw RegistryError.invalid(neitherMessage(text), { at: text });
  return { kind: 'revision', revision: text };
}
