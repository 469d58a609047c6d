// The model name ⇄ folder rule. Pure: no fs, no git.
//
// A folder name is the model name with every character that is not safe everywhere spelled out:
//   a-z 0-9 - _           kept as they are
//   .                     kept, except as the first or last character
//   A-Z                   '^' followed by the lower-case letter ("Fraud" → "^fraud")
//   anything else         '~' and two upper-case hex digits per UTF-8 byte (" " → "~20", "é" → "~C3~A9")
// and a folder whose stem is a reserved Windows device name (con, nul, com1, …) gets its first
// character spelled out. Upper-case letters only appear inside hex escapes, so two different names
// never map to folders that differ only by case: the rule stays injective on case-insensitive disks.
// Non-ASCII is always escaped, so Unicode normalisation by the file system (macOS) cannot merge names.
import { RegistryError } from '../errors.js';

export const MAX_NAME_LENGTH = 256;
/** Leaves room under the common 255-byte file name limit. */
export const MAX_DIR_LENGTH = 240;

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
/**
 * Unicode format characters (category Cf): zero-width ones (U+200B–U+200D, U+2060, U+FEFF, U+00AD) make a
 * name look exactly like another, and bidirectional overrides (U+202A–U+202E, U+2066–U+2069) make it display
 * as something else ("Trojan Source", CVE-2021-42574). A registry deciding what runs in production refuses both.
 */
const FORMAT = /\p{Cf}/u;

function hex(byte: number): string {
  return '~' + byte.toString(16).toUpperCase().padStart(2, '0');
}

function escapeChar(ch: string): string {
  return [...new TextEncoder().encode(ch)].map(hex).join('');
}

/** Why a name cannot be a registered model's name, or undefined when it can. */
export function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'must not be empty';
  if (name.trim().length === 0) return 'must not be blank';
  if ([...name].length > MAX_NAME_LENGTH) return `exceeds the maximum length of ${MAX_NAME_LENGTH} characters`;
  if (CONTROL.test(name)) return 'must not contain control characters';
  if (FORMAT.test(name))
    return 'must not contain invisible or bidirectional formatting characters (such as U+200B or U+202E)';
  // ' fraud' and 'fraud' would be two models that look like one in every listing, log and pull request.
  if (/^\s|\s$/u.test(name)) return 'must not begin or end with white space';
  if (/[/\\]/.test(name)) return 'must not contain a path separator (/ or \\)';
  if (name.includes('%')) return "must not contain '%'";
  if (name === '.' || name === '..') return "must not be '.' or '..'";
  if (name !== name.normalize('NFC')) return 'must be in Unicode normal form C (NFC)';
  if (/\p{Cs}/u.test(name) || !isWellFormed(name)) return 'must be well-formed Unicode';
  if (encodeName(name).length > MAX_DIR_LENGTH)
    return `is too long for a folder name once encoded (more than ${MAX_DIR_LENGTH} characters)`;
  return undefined;
}

function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** Throws INVALID_PARAMETER_VALUE unless `name` is a valid registered model name. */
export function assertValidName(name: unknown, param = 'name'): asserts name is string {
  if (name === undefined || name === null || name === '') throw RegistryError.missing(param);
  const problem = nameProblem(name);
  if (problem) {
    throw RegistryError.invalid(
      `Invalid ${param === 'new_name' ? 'new name' : 'name'} ${JSON.stringify(clip(String(name)))}: a registered model name ${problem}.`,
      { param },
    );
  }
}

function clip(s: string, max = 80): string {
  const cps = [...s];
  return cps.length > max ? cps.slice(0, max).join('') + '…' : s;
}

/** The folder under `models/` for a model name (assumes a valid name). */
export function encodeName(name: string): string {
  const chars = [...name];
  let out = '';
  chars.forEach((ch, i) => {
    if (/^[a-z0-9_-]$/.test(ch)) out += ch;
    else if (ch === '.') out += i === 0 || i === chars.length - 1 ? hex(0x2e) : '.';
    else if (/^[A-Z]$/.test(ch)) out += '^' + ch.toLowerCase();
    else out += escapeChar(ch);
  });
  const stem = out.split('.')[0] ?? '';
  if (WINDOWS_DEVICE.test(stem)) out = escapeChar(out[0]!) + out.slice(1);
  return out;
}

/** The model name a folder stands for, or undefined when the folder is not in canonical form. */
export function decodeName(dir: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < dir.length; i++) {
    const ch = dir[i]!;
    if (ch === '~') {
      const h = dir.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(h)) return undefined;
      bytes.push(parseInt(h, 16));
      i += 2;
    } else if (ch === '^') {
      const next = dir[i + 1];
      if (!next || !/^[a-z]$/.test(next)) return undefined;
      bytes.push(next.toUpperCase().charCodeAt(0));
      i += 1;
    } else if (/^[a-z0-9._-]$/.test(ch)) bytes.push(ch.charCodeAt(0));
    else return undefined;
  }
  let name: string;
  try {
    name = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  if (nameProblem(name) !== undefined) return undefined;
  return encodeName(name) === dir ? name : undefined;
}
