// MLflow's `order_by` for registry searches (spec §4): each clause is `key [ASC|DESC]`, parsed as
// SearchUtils._parse_order_by_string does, then MLflow's default order and tie-breaks are appended,
// so the comparator is total and pages are stable.
import { RegistryError } from '../../errors.js';
import { lexFilter } from './lex-filter.js';
import { pyJsonDumps, pyStrip, pyStrRepr, pyTypeName } from './python-compat.js';

export type OrderKind = 'model' | 'version';

export interface OrderableModel {
  name: string;
  created_ms: number;
  updated_ms: number;
}

export interface OrderableVersion {
  name: string;
  version: number;
  created_ms: number;
  updated_ms: number;
}

type Field = 'name' | 'version' | 'created' | 'updated';
interface OrderKey {
  readonly field: Field;
  readonly ascending: boolean;
}

// `timestamp` is MLflow's alias of last_updated_timestamp. MLflow's SQL store rejects
// creation_timestamp for models and its file store rejects timestamp; mreg accepts all four.
const KEYS: Record<OrderKind, ReadonlyMap<string, Field>> = {
  model: new Map<string, Field>([
    ['name', 'name'],
    ['timestamp', 'updated'],
    ['last_updated_timestamp', 'updated'],
    ['creation_timestamp', 'created'],
  ]),
  version: new Map<string, Field>([
    ['name', 'name'],
    ['version_number', 'version'],
    ['creation_timestamp', 'created'],
    ['last_updated_timestamp', 'updated'],
  ]),
};

const DEFAULT_VERSION_ORDER = ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'] as const;

const invalid = (message: string): RegistryError => RegistryError.invalid(message);

/** shlex.split (POSIX): whitespace-separated words, quotes grouping; undefined when a quote is open. */
function shlexSplit(s: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && (s[i + 1] === '"' || s[i + 1] === '\\')) word += s[++i]!;
      else word += ch;
    } else if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (ch === '\\') {
      if (i + 1 >= s.length) return undefined;
      word = (word ?? '') + s[++i]!;
    } else word = (word ?? '') + ch;
  }
  if (quote) return undefined;
  if (word !== undefined) words.push(word);
  return words;
}

/** Parses one `order_by` element into a field and a direction, with MLflow's messages. */
function parseOrderByClause(clause: string, kind: OrderKind): OrderKey {
  const unparsable = invalid(`Invalid order_by clause '${clause}'. Could not be parsed.`);
  // sqlparse must see exactly one identifier, optionally followed by one word (the direction).
  const tokens = lexFilter(clause).filter((t) => t.kind !== 'ws');
  if (tokens.length === 0 || tokens.length > 2 || tokens.some((t) => t.kind !== 'ident')) throw unparsable;
  // A lone direction keyword is not an identifier to sqlparse.
  if (/^(asc|desc)$/i.test(clause.slice(tokens[0]!.start, tokens[0]!.end))) throw unparsable;
  const words = shlexSplit(clause.replaceAll('`', '"'));
  if (!words || words.length === 0 || words.length > 2) throw unparsable;
  let ascending = true;
  if (words.length === 2) {
    const direction = words[1]!.toLowerCase();
    if (direction !== 'asc' && direction !== 'desc')
      throw invalid(`Invalid ordering key in order_by clause '${clause}'.`);
    ascending = direction === 'asc';
  }
  // SearchExperimentsUtils._get_identifier
  const identifier = pyStrip(words[0]!);
  const dot = identifier.indexOf('.');
  let key = identifier;
  if (dot >= 0) {
    const entity = identifier.slice(0, dot);
    key = identifier.slice(dot + 1);
    if (entity !== 'attribute' && entity !== 'tag' && entity !== 'tags') {
      throw invalid(`Invalid entity type '${entity}'. Valid entity types are ('attribute', 'tag', 'tags')`);
    }
    if (entity !== 'attribute') throw invalid('Invalid order_by entity: tag');
  }
  key = trimQuotes(key);
  const field = KEYS[kind].get(key);
  if (!field) {
    const valid = `{${[...KEYS[kind].keys()].map(pyStrRepr).join(', ')}}`;
    throw invalid(
      kind === 'model'
        ? `Invalid order by key '${key}' specified. Valid keys are '${valid}'`
        : `Invalid attribute key '${key}' specified. Valid keys are '${valid}'`,
    );
  }
  return { field, ascending };
}

function trimQuotes(key: string): string {
  const quoted = (q: string): boolean => key.length >= 2 && key.startsWith(q) && key.endsWith(q);
  if (quoted("'") || quoted('"')) key = key.slice(1, -1);
  return quoted('`') ? key.slice(1, -1) : key;
}

function parseOrderBy(orderBy: readonly string[], kind: OrderKind): OrderKey[] {
  if (!Array.isArray(orderBy) || orderBy.some((c) => typeof c !== 'string')) {
    throw invalid(
      `Invalid value ${pyJsonDumps(orderBy)} for parameter 'order_by' supplied:  Hint: Value was of type '${pyTypeName(orderBy)}'. See the API docs for more information about request parameters.`,
    );
  }
  const keys: OrderKey[] = [];
  const seen = new Set<Field>();
  for (const clause of orderBy) {
    const key = parseOrderByClause(clause, kind);
    // MLflow raises this without an error code (HTTP 500); it is the caller's mistake, so IPV.
    if (seen.has(key.field))
      throw invalid(`\`order_by\` contains duplicate fields: [${orderBy.map(pyStrRepr).join(', ')}]`);
    seen.add(key.field);
    keys.push(key);
  }
  return keys;
}

/** Code-point order (SQLite's binary collation on UTF-8), not UTF-16 order and not locale order. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after U+E000–U+FFFF in code-point order.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function comparator<T>(keys: readonly OrderKey[], get: (x: T, f: Field) => string | number): (a: T, b: T) => number {
  return (a, b) => {
    for (const { field, ascending } of keys) {
      const x = get(a, field);
      const y = get(b, field);
      const c =
        typeof x === 'string' ? compareCodePoints(x, y as string) : x < (y as number) ? -1 : x > (y as number) ? 1 : 0;
      if (c !== 0) return ascending ? c : -c;
    }
    return 0;
  };
}

/**
 * MLflow's registered-model order: the given clauses, then `name ASC` unless name is among them.
 * @throws RegistryError INVALID_PARAMETER_VALUE for a bad key or direction, extra tokens or a duplicate field.
 * @example models.sort(compileModelOrder(['last_updated_timestamp DESC']))
 */
export function compileModelOrder(
  orderBy: readonly string[] | undefined,
): (a: OrderableModel, b: OrderableModel) => number {
  const keys = parseOrderBy(orderBy ?? [], 'model');
  if (!keys.some((k) => k.field === 'name')) keys.push({ field: 'name', ascending: true });
  return comparator<OrderableModel>(keys, (m, f) =>
    f === 'name' ? m.name : f === 'created' ? m.created_ms : m.updated_ms,
  );
}

/**
 * MLflow's model-version order: the given clauses (default `last_updated_timestamp DESC, name ASC,
 * version_number DESC` when none), then `name ASC` and `version_number DESC` unless present.
 * @throws RegistryError INVALID_PARAMETER_VALUE for a bad key or direction, extra tokens or a duplicate field.
 * @example versions.sort(compileVersionOrder(['version_number DESC']))
 */
export function compileVersionOrder(
  orderBy: readonly string[] | undefined,
): (a: OrderableVersion, b: OrderableVersion) => number {
  const keys = parseOrderBy(orderBy && orderBy.length > 0 ? orderBy : DEFAULT_VERSION_ORDER, 'version');
  if (!keys.some((k) => k.field === 'name')) keys.push({ field: 'name', ascending: true });
  if (!keys.some((k) => k.field === 'version')) keys.push({ field: 'version', ascending: false });
  return comparator<OrderableVersion>(keys, (v, f) =>
    f === 'name' ? v.name : f === 'version' ? v.version : f === 'created' ? v.created_ms : v.updated_ms,
  );
}
