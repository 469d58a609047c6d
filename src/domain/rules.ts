// MLflow's validation rules for request values (spec §2), with MLflow's messages.
import { RegistryError } from '../errors.js';

export const MAX_TAG_KEY_LENGTH = 250;
export const MAX_TAG_VALUE_LENGTH = 100_000;
export const MAX_ALIAS_LENGTH = 255;

/** Lengths are counted in code points, as Python's len() does. */
function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Version numbers are 32-bit signed integers, as MLflow's stores keep them. */
export const MAX_VERSION = 2_147_483_647;

/** The alias `latest` (any case) is reserved: it means the highest live version and cannot be set. */
export function isLatestAlias(alias: string): boolean {
  return alias.toLowerCase() === 'latest';
}

const TAG_KEY = /^[/\p{L}\p{N}_.\- :]*$/u;
const ALIAS = /^[\p{L}\p{N}_-]*$/u;

/** POSIX os.path.normpath, as MLflow applies it to tag keys. */
export function normpath(p: string): string {
  if (p === '') return '.';
  const initial = p.startsWith('/') ? (p.startsWith('//') && !p.startsWith('///') ? 2 : 1) : 0;
  const out: string[] = [];
  for (const comp of p.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp !== '..' || (!initial && out.length === 0) || out[out.length - 1] === '..') out.push(comp);
    else if (out.length) out.pop();
  }
  const joined = '/'.repeat(initial) + out.join('/');
  return joined || '.';
}

export function validateTagKey(key: unknown): asserts key is string {
  if (key === undefined || key === null || key === '') throw RegistryError.missing('key');
  if (typeof key !== 'string')
    throw RegistryError.invalid(`Invalid value ${JSON.stringify(key)} for parameter 'key' supplied: must be a string.`);
  if (!TAG_KEY.test(key)) {
    throw RegistryError.invalid(
      `Invalid value "${key}" for parameter 'key' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
    );
  }
  const norm = normpath(key);
  if (norm !== key || key === '.' || key.startsWith('..') || key.startsWith('/')) {
    throw RegistryError.invalid(
      `Invalid value "${key}" for parameter 'key' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${norm}'`,
    );
  }
  if (codePoints(key) > MAX_TAG_KEY_LENGTH) {
    throw RegistryError.invalid(`'key' exceeds the maximum length of ${MAX_TAG_KEY_LENGTH} characters`);
  }
}

/** Tag values: a missing value becomes "" (as MLflow's REST handler does); at most 100,000 code points. */
export function validateTagValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'string' ? value : String(value);
  if (codePoints(s) > MAX_TAG_VALUE_LENGTH) {
    throw RegistryError.invalid(`'value' exceeds the maximum length of ${MAX_TAG_VALUE_LENGTH} characters`);
  }
  return s;
}

/** Tags given as a map or as MLflow's [{key, value}] list; the last duplicate wins. */
export function normalizeTags(tags: unknown): Record<string, string> {
  if (tags === undefined || tags === null) return {};
  const pairs: Array<[unknown, unknown]> = Array.isArray(tags)
    ? tags.map((t: { key?: unknown; value?: unknown }) => [t?.key, t?.value])
    : typeof tags === 'object'
      ? Object.entries(tags as Record<string, unknown>)
      : [];
  if (!Array.isArray(tags) && typeof tags !== 'object')
    throw RegistryError.invalid('Tags must be a map of key to value or a list of {key, value}.');
  const out: Array<[string, string]> = [];
  for (const [k, v] of pairs) {
    validateTagKey(k);
    out.push([k, validateTagValue(v)]);
  }
  // fromEntries defines own properties, so a key such as `__proto__` is kept as a tag rather than set as a prototype.
  return Object.fromEntries(out);
}

export function validateAliasName(alias: unknown, { forSet }: { forSet: boolean }): asserts alias is string {
  if (alias === undefined || alias === null || alias === '') {
    throw RegistryError.invalid('Registered model alias name cannot be empty.');
  }
  if (typeof alias !== 'string' || !ALIAS.test(alias)) {
    throw RegistryError.invalid(
      `Invalid alias name: '${String(alias)}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
    );
  }
  if (codePoints(alias) > MAX_ALIAS_LENGTH) {
    throw RegistryError.invalid(
      `'Registered model alias name' exceeds the maximum length of ${MAX_ALIAS_LENGTH} characters`,
    );
  }
  if (forSet) {
    if (isLatestAlias(alias)) throw RegistryError.invalid(`'latest' alias name (case insensitive) is reserved.`);
    if (/^[vV]\d+$/.test(alias)) throw RegistryError.invalid(`Version alias name '${alias}' is reserved.`);
  }
}

/** A version as MLflow accepts it: Python int() syntax (whitespace, a sign, '_' between digits). */
export function parseVersion(version: unknown, param = 'version'): number {
  if (version === undefined || version === null || version === '') throw RegistryError.missing(param);
  if (typeof version === 'number' && Number.isInteger(version)) return version;
  const s = String(version);
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(s)) {
    throw RegistryError.invalid(`Parameter '${param}' must be an integer, got '${s}'.`);
  }
  const n = Number(s.replace(/_/g, '').trim());
  if (!Number.isSafeInteger(n)) throw RegistryError.invalid(`Parameter '${param}' must be an integer, got '${s}'.`);
  return n;
}

/** Sources for new versions: MLflow's traversal check on non-local URIs (spec §2, behaviour 47). */
export function validateSource(source: unknown): asserts source is string {
  if (source === undefined || source === null || source === '') throw RegistryError.missing('source');
  if (typeof source !== 'string') throw RegistryError.invalid(`Invalid model version source: '${String(source)}'.`);
  let decoded = source;
  for (let i = 0; i < 10; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      break;
    }
    if (next === decoded) break;
    decoded = next;
  }
  const path = decoded.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:(\/\/[^/]*)?/, '');
  const bad = decoded.includes('\0') || /[\u0000-\u001f\u007f]/.test(source) || path.split(/[/\\]/).includes('..');
  if (bad) {
    throw RegistryError.invalid(
      `Invalid model version source: '${source}'. If supplying a source as an absolute path, the path must not contain '..' segments, NUL bytes or control characters.`,
    );
  }
}
