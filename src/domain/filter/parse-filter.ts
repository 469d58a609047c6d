// MLflow's search-filter grammar (spec §4), parsed the way MLflow parses it: sqlparse statements
// and groupings (SearchUtils.parse_search_filter), then the registry-specific identifier and value
// rules (SearchModelUtils / SearchModelVersionUtils), then the SQL store's comparator checks — in
// that order, so a filter with several mistakes reports the one MLflow reports. Messages are
// MLflow's, verbatim. Linear time; never recursive on the input's nesting.
import { RegistryError } from '../../errors.js';
import { lexFilter, type Token } from './lex-filter.js';
import { pyIsLower } from './python-compat.js';
import { LINEAGE_KEYS } from '../queries.js';

export type FilterKind = 'model' | 'version';

/** One `key op value` clause, after validation. */
export interface Clause {
  readonly entity: 'attribute' | 'tag';
  /** Attribute name (`name`, `run_id`, `source_path`, `version_number`, a lineage key) or tag key, unquoted. */
  readonly key: string;
  /** Upper-cased: `=`, `!=`, `<`, `<=`, `>`, `>=`, `LIKE`, `ILIKE`, `IN`. */
  readonly comparator: string;
  /** A string, a number (only for version_number), or the run ids of an IN list. */
  readonly value: string | number | readonly string[];
}

/** Filters longer than this are rejected outright: they are untrusted input. */
export const MAX_FILTER_LENGTH = 100_000;

// Python set reprs exactly as MLflow printed them (set order is hash-seeded in Python; these are the
// orders captured from a real server, see test/fixtures/mlflow-responses/ERR-model-versions-search__bad-filter-key.json).
// The lineage keys are accepted too but left out of the message, which stays MLflow's word for word.
const VALID_KEYS: Record<FilterKind, { keys: ReadonlySet<string>; repr: string }> = {
  model: { keys: new Set(['name']), repr: "{'name'}" },
  version: {
    keys: new Set(['name', 'run_id', 'source_path', 'version_number', ...LINEAGE_KEYS]),
    repr: "{'source_path', 'version_number', 'run_id', 'name'}",
  },
};
const MV_NUMERIC_ATTRIBUTES = new Set(['version_number', 'creation_timestamp', 'last_updated_timestamp']);
const MV_NUMERIC_ATTRIBUTES_REPR = "{'version_number', 'creation_timestamp', 'last_updated_timestamp'}";
const STRING_COMPARATORS = new Set(['=', '!=', 'LIKE', 'ILIKE']);
const NUMERIC_COMPARATORS = new Set(['=', '!=', '<', '<=', '>', '>=']);
// SQLite's text → number conversion for a quoted version_number ("2", " 3 ", "2.0").
const SQL_NUMERIC_TEXT = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

interface Paren {
  readonly kind: 'paren';
  readonly start: number;
  readonly end: number;
  /** Direct children, whitespace included; nested parentheses are Paren nodes. */
  readonly children: readonly Node[];
}
interface Comparison {
  readonly kind: 'comparison';
  readonly start: number;
  readonly end: number;
  readonly left: Node;
  /** The operator's text; for a joined IN clause, `IN` or `NOT IN`. */
  readonly op: string;
  readonly right: Node;
}
/** A group of tokens that is never a valid clause or value: an identifier list, a function call. */
interface Span {
  readonly kind: 'list' | 'func';
  readonly start: number;
  readonly end: number;
}
type Node = Token | Paren | Span;
/** After grouping: a comparison, or an identifier merged from an alias (`name = 'a' x`). */
type Top = Node | Comparison | { readonly kind: 'ident'; readonly start: number; readonly end: number };

const invalid = (message: string): RegistryError => RegistryError.invalid(message);

/**
 * Parses and validates `filter` for registered models or model versions. Absent or `''` → no
 * clauses. Throws INVALID_PARAMETER_VALUE with MLflow's message for anything MLflow rejects.
 */
export function parseFilter(filter: string | undefined | null, kind: FilterKind): Clause[] {
  if (filter === undefined || filter === null || filter === '') return [];
  if (typeof filter !== 'string') throw invalid(`Invalid filter '${String(filter)}'. Could not be parsed.`);
  if (filter.length > MAX_FILTER_LENGTH) {
    throw invalid(`Search filter is too long (${filter.length} characters); the maximum is ${MAX_FILTER_LENGTH}.`);
  }
  const text = (node: { start: number; end: number }): string => filter.slice(node.start, node.end);

  const statements = splitStatements(lexFilter(filter));
  if (statements.length === 0) throw invalid(`Invalid filter '${filter}'. Could not be parsed.`);
  if (statements.length > 1) {
    throw invalid(`Search filter contained multiple expression '${filter}'. Provide AND-ed expression list.`);
  }
  const nodes = groupFunctions(groupParentheses(statements[0]!), text).filter((n) => n.kind !== 'ws');
  const top = joinInComparisons(groupLists(groupAliases(groupComparisons(nodes, text)), text), text);

  // Every top-level token must be a comparison or AND (MLflow's _invalid_statement_token_*).
  const invalids = top.filter(
    (t) => t.kind !== 'comparison' && !(t.kind === 'keyword' && text(t).toUpperCase() === 'AND'),
  );
  if (invalids.length > 0) throw invalid(`Invalid clause(s) in filter string: ${invalids.map(text).join(', ')}`);

  const parsed = top.filter((t): t is Comparison => t.kind === 'comparison').map((c) => readComparison(c, kind, text));
  return parsed.map((c) => checkComparator(c, kind));
}

/** sqlparse's StatementSplitter: `;` at parenthesis level ≤ 0 ends a statement. */
function splitStatements(tokens: readonly Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  let level = 0;
  let ended = false;
  for (const t of tokens) {
    if (ended && t.kind !== 'ws') {
      statements.push(current);
      current = [];
      ended = false;
    }
    if (t.kind === 'open') level++;
    else if (t.kind === 'close') level--;
    current.push(t);
    if (level <= 0 && t.kind === 'semicolon') ended = true;
  }
  if (current.some((t) => t.kind !== 'ws')) statements.push(current);
  return statements;
}

/** sqlparse's group_parenthesis: matched pairs become nodes; unmatched ones stay plain tokens. */
function groupParentheses(tokens: readonly Token[]): Node[] {
  const root: Node[] = [];
  const stack: { open: Token; children: Node[] }[] = [];
  const sink = (): Node[] => stack[stack.length - 1]?.children ?? root;
  for (const t of tokens) {
    if (t.kind === 'open') stack.push({ open: t, children: [] });
    else if (t.kind === 'close' && stack.length > 0) {
      const frame = stack.pop()!;
      sink().push({ kind: 'paren', start: frame.open.start, end: t.end, children: frame.children });
    } else sink().push(t);
  }
  // Unclosed parentheses stay plain tokens. Each open frame is the last thing in the one below
  // it, so flattening bottom-up keeps the source order (and stays linear).
  for (const frame of stack) {
    root.push(frame.open);
    for (const child of frame.children) root.push(child);
  }
  return root;
}

/** sqlparse's group_functions: a name followed by a parenthesis, `lower('x')` or `f ('x')`. */
function groupFunctions(nodes: readonly Node[], text: (n: Top) => string): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    let j = i + 1;
    while (nodes[j]?.kind === 'ws') j++;
    const next = nodes[j];
    // A "double-quoted" identifier is a string to sqlparse, never a function name.
    if (n.kind === 'ident' && next?.kind === 'paren' && !text(n).startsWith('"')) {
      out.push({ kind: 'func', start: n.start, end: next.end });
      i = j;
    } else out.push(n);
  }
  return out;
}

// What sqlparse accepts on either side of a comparison operator.
function isOperand(n: Top, text: (n: Top) => string): boolean {
  if (n.kind === 'ident' || n.kind === 'string' || n.kind === 'number' || n.kind === 'paren' || n.kind === 'func')
    return true;
  return n.kind === 'keyword' && text(n).toUpperCase() === 'NULL';
}

/** sqlparse's group_comparison: `operand op operand`, left to right, without extending. */
function groupComparisons(nodes: readonly Node[], text: (n: Top) => string): Top[] {
  const out: Top[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const prev = out[out.length - 1];
    const next = nodes[i + 1];
    if (n.kind === 'op' && prev && next && isOperand(prev, text) && isOperand(next, text)) {
      out.pop();
      out.push({ kind: 'comparison', start: prev.start, end: next.end, left: prev as Node, op: text(n), right: next });
      i++;
    } else out.push(n);
  }
  return out;
}

/**
 * sqlparse's group_aliased: a comparison, identifier, parenthesis or number followed by an
 * identifier becomes one identifier (`name = 'a' x` is one invalid clause, not two). The merged
 * token is not looked at again, as in sqlparse.
 */
function groupAliases(nodes: readonly Top[]): Top[] {
  const out: Top[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const next = nodes[i + 1];
    const isHead =
      n.kind === 'comparison' || n.kind === 'ident' || n.kind === 'paren' || n.kind === 'number' || n.kind === 'func';
    if (isHead && next?.kind === 'ident') {
      out.push({ kind: 'ident', start: n.start, end: next.end });
      i++;
    } else out.push(n);
  }
  return out;
}

/** sqlparse's group_identifier_list: `a, b, c` becomes one (invalid) token. */
function groupLists(nodes: readonly Top[], text: (n: Top) => string): Top[] {
  const out: Top[] = [];
  const listable = (n: Top | undefined): boolean =>
    n !== undefined && ['comparison', 'ident', 'number', 'string', 'keyword', 'list', 'func'].includes(n.kind);
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const prev = out[out.length - 1];
    const next = nodes[i + 1];
    if (n.kind === 'other' && text(n) === ',' && listable(prev) && listable(next)) {
      out.pop();
      out.push({ kind: 'list', start: prev!.start, end: next!.end });
      i++;
    } else out.push(n);
  }
  return out;
}

/** MLflow's _join_in_comparison_tokens: `ident IN (…)` and `ident NOT IN (…)`. */
function joinInComparisons(nodes: readonly Top[], text: (n: Top) => string): Top[] {
  const out: Top[] = [];
  const isWord = (n: Top | undefined, word: string): boolean => n?.kind === 'keyword' && text(n).toUpperCase() === word;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    const a = nodes[i + 1];
    const b = nodes[i + 2];
    const c = nodes[i + 3];
    if (n.kind === 'ident' && isWord(a, 'IN') && b?.kind === 'paren') {
      out.push({ kind: 'comparison', start: n.start, end: b.end, left: n, op: 'IN', right: b });
      i += 2;
    } else if (n.kind === 'ident' && isWord(a, 'NOT') && isWord(b, 'IN') && c?.kind === 'paren') {
      out.push({ kind: 'comparison', start: n.start, end: c.end, left: n, op: 'NOT IN', right: c });
      i += 3;
    } else out.push(n);
  }
  return out;
}

function isQuoted(s: string, q: string): boolean {
  return s.length >= 2 && s.startsWith(q) && s.endsWith(q);
}

/** MLflow's `_strip_quotes`: trims one pair of matching ' or " from the ends, nothing else. */
function stripQuotes(s: string, expectQuoted: boolean): string {
  if (isQuoted(s, "'") || isQuoted(s, '"')) return s.slice(1, -1);
  if (expectQuoted) {
    throw invalid(
      `Parameter value is either not quoted or unidentified quote types used for string value ${s}. Use either single or double quotes.`,
    );
  }
  return s;
}

function trimBackticks(s: string): string {
  return isQuoted(s, '`') ? s.slice(1, -1) : s;
}

interface RawClause {
  readonly entity: 'attribute' | 'tag';
  readonly key: string;
  readonly comparator: string;
  readonly value: string | number | readonly string[];
  /** The value's source text, for messages. */
  readonly valueText: string;
  readonly valueKind: Top['kind'];
}

/** `_get_comparison`: the identifier (`_get_model[_version]_search_identifier`) then the value. */
function readComparison(c: Comparison, kind: FilterKind, text: (n: Top) => string): RawClause {
  if (c.left.kind !== 'ident')
    throw invalid(`Invalid comparison clause. Expected 'Identifier' found '${text(c.left)}'`);
  const identifier = text(c.left);
  const dot = identifier.indexOf('.');
  let entity: 'attribute' | 'tag' = 'attribute';
  let key = identifier;
  if (dot >= 0) {
    const type = identifier.slice(0, dot);
    key = identifier.slice(dot + 1);
    if (type !== 'attribute' && type !== 'tag' && type !== 'tags') {
      throw invalid(`Invalid entity type '${type}'. Valid entity types are ('attribute', 'tag', 'tags')`);
    }
    entity = type === 'attribute' ? 'attribute' : 'tag';
  }
  // MLflow checks the attribute key before unquoting it, so `name` in backticks is not `name`.
  const valid = VALID_KEYS[kind];
  if (entity === 'attribute' && !valid.keys.has(key)) {
    throw invalid(`Invalid attribute key '${key}' specified. Valid keys are '${valid.repr}'`);
  }
  key = trimBackticks(stripQuotes(key, false));
  const comparator = c.op.toUpperCase();
  const right = c.right;
  const valueText = text(right);
  const base = { entity, key, comparator, valueText, valueKind: right.kind };

  if (entity === 'tag') {
    if (right.kind === 'string' || right.kind === 'ident') return { ...base, value: stripQuotes(valueText, true) };
    throw invalid(`Expected a quoted string value for tag (e.g. 'my-value'). Got value ${valueText}`);
  }
  if (right.kind === 'string' || right.kind === 'ident') return { ...base, value: stripQuotes(valueText, true) };
  if (right.kind === 'paren') {
    if (key !== 'run_id')
      throw invalid("Only the 'run_id' attribute supports comparison with a list of quoted string values.");
    return { ...base, value: parseRunIds(right as Paren, text) };
  }
  if (right.kind === 'number' && kind === 'version') {
    if (!MV_NUMERIC_ATTRIBUTES.has(key)) {
      throw invalid(`Only the '${MV_NUMERIC_ATTRIBUTES_REPR}' attributes support comparison with numeric values.`);
    }
    return { ...base, value: Number(valueText) };
  }
  throw invalid(
    `Expected a quoted string value or a list of quoted string values for attributes. Got value ${valueText}`,
  );
}

/** The SQL store's checks (`_get_search_*_filter_clauses`), made after every clause is read. */
function checkComparator(c: RawClause, kind: FilterKind): Clause {
  const { entity, key, comparator, value } = c;
  if (entity === 'tag') {
    if (!STRING_COMPARATORS.has(comparator)) throw invalid(`Invalid comparator for tag: ${comparator}`);
    return { entity, key, comparator, value };
  }
  if (kind === 'version' && MV_NUMERIC_ATTRIBUTES.has(key)) {
    if (!NUMERIC_COMPARATORS.has(comparator)) throw invalid(`Invalid comparator for attribute ${key}: ${comparator}`);
    if (typeof value === 'number') return { entity, key, comparator, value };
    // A quoted number ('2') is compared numerically by SQLite; anything else has no useful meaning.
    if (typeof value === 'string' && SQL_NUMERIC_TEXT.test(value))
      return { entity, key, comparator, value: Number(value) };
    throw invalid(`Expected numeric value type for numeric attribute: ${key}. Found ${c.valueText}`);
  }
  const isIn = comparator === 'IN';
  if (!(STRING_COMPARATORS.has(comparator) || (isIn && kind === 'version')) || (isIn && key !== 'run_id')) {
    throw invalid(`Invalid comparator for attribute: ${comparator}`);
  }
  // `run_id = ('a')` reaches SQL as a list compared with `=`: a server error in MLflow.
  if (!isIn && typeof value !== 'string') {
    throw invalid(`Invalid comparator for attribute: ${comparator}. A list of values can only be used with IN.`);
  }
  return { entity, key, comparator, value };
}

const ILL_FORMED =
  'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.';

/**
 * `_parse_run_ids`: a parenthesised list of 'single-quoted' strings, read with Python-literal
 * rules, keeping only the items that are entirely lower case (`str.islower()`): MLflow drops the
 * others silently because run ids are lower-case hex and MySQL's IN ignores case.
 */
function parseRunIds(list: Paren, text: (n: Top) => string): string[] {
  const items = list.children.filter((n) => n.kind !== 'ws');
  if (list.children.length === 0) {
    throw invalid('While parsing a list in the query, expected a non-empty list of string values, but got empty list');
  }
  // Split at commas. MLflow (sqlparse) also rejects whitespace just inside the parentheses and a
  // trailing comma after a single item; those quirks are not reproduced.
  const segments: Node[][] = [[]];
  for (const n of items) {
    if (n.kind === 'other' && text(n) === ',') segments.push([]);
    else segments[segments.length - 1]!.push(n);
  }
  if (segments.length > 1 && segments[segments.length - 1]!.length === 0 && segments.length > 2) segments.pop();
  if (segments.some((seg) => seg.length === 0)) throw invalid(ILL_FORMED);
  if (segments.length === 1) {
    const only = segments[0]!;
    if (only.length !== 1 || only[0]!.kind !== 'string') throw invalid(ILL_FORMED);
  } else if (segments.some((seg) => seg.some((n) => n.kind !== 'string'))) {
    throw invalid(
      `While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: ${text(list)}`,
    );
  }
  const values = segments.map((seg) => seg.map((n) => decodePythonString(text(n))).join(''));
  return values.filter(pyIsLower);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/**
 * A sqlparse single-quoted token read as Python source, as `ast.literal_eval` does: backslash
 * escapes are decoded and `'a''b'` is two adjacent literals, i.e. `ab`. Ill-formed → MLflow's
 * ill-formed-list message.
 */
function decodePythonString(token: string): string {
  let out = '';
  let i = 0;
  const n = token.length;
  while (i < n) {
    if (token[i] !== "'") throw invalid(ILL_FORMED);
    i++;
    for (;;) {
      if (i >= n) throw invalid(ILL_FORMED);
      const ch = token[i]!;
      if (ch === "'") {
        i++;
        break;
      }
      if (ch === '\n' || ch === '\r' || ch === '\0') throw invalid(ILL_FORMED);
      if (ch !== '\\') {
        out += ch;
        i++;
        continue;
      }
      const e = token[i + 1];
      if (e === undefined) throw invalid(ILL_FORMED);
      i += 2;
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) out += simple;
      else if (e === '\n') {
        // line continuation
      } else if (e >= '0' && e <= '7') {
        let digits = e;
        while (digits.length < 3 && token[i] !== undefined && token[i]! >= '0' && token[i]! <= '7')
          digits += token[i++];
        out += String.fromCodePoint(parseInt(digits, 8));
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const width = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const h = token.slice(i, i + width);
        if (h.length !== width || !/^[0-9a-fA-F]+$/.test(h)) throw invalid(ILL_FORMED);
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff) throw invalid(ILL_FORMED);
        out += String.fromCodePoint(cp);
        i += width;
      } else if (e === 'N') {
        // \N{NAME} needs Unicode's name table; treated as ill-formed.
        throw invalid(ILL_FORMED);
      } else out += '\\' + e; // unknown escapes are kept, as Python does
    }
  }
  return out;
}
