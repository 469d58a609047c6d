// The tokens of an MLflow search filter. MLflow lexes filters with sqlparse; this lexer produces
// the tokens sqlparse would group them into (an `a.b` chain is one identifier, `NOT LIKE` is one
// operator) so the parser can reproduce MLflow's acceptance and its error messages, which quote
// token text. One left-to-right pass; quoted strings are resolved with precomputed tables, so the
// whole lexer is linear in the filter length whatever the input.
import { isPySpace } from './python-compat.js';

type TokenKind =
  /** A run of whitespace. */
  | 'ws'
  /** A name, `backticked` or "double-quoted" part, or a dotted chain of them (sqlparse's Identifier). */
  | 'ident'
  /** A 'single-quoted' string. */
  | 'string'
  /** An integer or float literal. */
  | 'number'
  /** A comparison operator: a run of `<>=~!`, or `[NOT] LIKE|ILIKE|RLIKE|REGEXP`. */
  | 'op'
  /** A keyword that is never an identifier: AND, OR, NOT, IN, NULL, … (text kept as written). */
  | 'keyword'
  | 'open'
  | 'close'
  | 'semicolon'
  /** Anything else: punctuation, arithmetic, an unterminated quote. Never valid in a filter. */
  | 'other';

export interface Token {
  readonly kind: TokenKind;
  /** Offsets into the filter string (UTF-16 code units), end exclusive. */
  readonly start: number;
  readonly end: number;
  /** For numbers: whether it is written as an integer. */
  readonly isInteger?: boolean;
}

// Words that sqlparse classifies as keywords and that therefore can never be an operand. The full
// sqlparse list has hundreds of words; only these can change whether a registry filter parses.
const KEYWORDS = new Set([
  'AND',
  'OR',
  'NOT',
  'IN',
  'IS',
  'NULL',
  'TRUE',
  'FALSE',
  'BETWEEN',
  'EXISTS',
  'ESCAPE',
  'ANY',
  'ALL',
  'SOME',
]);
const LIKE_WORDS = new Set(['LIKE', 'ILIKE', 'RLIKE']);

const WORD_CHAR = /[\p{L}\p{N}_]/u;
const FAILED = -1;

function isWordChar(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
  if (Number.isNaN(c)) return false;
  return WORD_CHAR.test(String.fromCodePoint(s.codePointAt(i) ?? 0));
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

// sqlparse's `(?![_A-ZÀ-Ü])` after a number, with re.IGNORECASE.
function isNameStart(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    (c >= 0xc0 && c <= 0xdc) ||
    (c >= 0xe0 && c <= 0xfc)
  );
}

/**
 * Where a quoted token that opens at `i` ends, for every `i`, as Python's backtracking regex
 * `Q(QQ|\\Q|[^Q])*Q` would decide it: sqlparse's string rule. `ends[i]` is the end offset of the
 * token whose body starts at `i` (just after the opening quote), or FAILED. The regex prefers
 * another repetition over closing, and its alternatives in order, so from the right:
 * end(i) = end(i+2) after a doubled quote, else end(i+2) after a backslash-quote, else end(i+1)
 * after any other character, else i+1 if s[i] is the quote. Linear, and shared by every token.
 */
function quoteEnds(s: string, quote: number, backslashEscapes: boolean): Int32Array {
  const n = s.length;
  const ends = new Int32Array(n + 2).fill(FAILED);
  for (let i = n - 1; i >= 0; i--) {
    const c = s.charCodeAt(i);
    let r = FAILED;
    if (c === quote && s.charCodeAt(i + 1) === quote) r = ends[i + 2]!;
    if (r === FAILED && backslashEscapes && c === 0x5c && s.charCodeAt(i + 1) === quote) r = ends[i + 2]!;
    if (r === FAILED && c !== quote) r = ends[i + 1]!;
    if (r === FAILED && c === quote) r = i + 1;
    ends[i] = r;
  }
  return ends;
}

/** Splits a filter into tokens. Never throws; anything unexpected becomes an `other` token. */
export function lexFilter(s: string): Token[] {
  const tokens: Token[] = [];
  const n = s.length;
  const tables = new Map<number, Int32Array>();
  const quotedEnd = (i: number): number => {
    const q = s.charCodeAt(i);
    let table = tables.get(q);
    if (!table) {
      table = quoteEnds(s, q, q !== 0x60);
      tables.set(q, table);
    }
    return table[i + 1]!;
  };

  const wordEnd = (i: number): number => {
    let j = i;
    while (j < n && isWordChar(s, j)) j += (s.codePointAt(j) ?? 0) > 0xffff ? 2 : 1;
    return j;
  };

  // An identifier part at i: a word, `backticks` or "double quotes"; after a dot also 'single'.
  const partEnd = (i: number, afterDot: boolean): number => {
    const c = s.charCodeAt(i);
    if (c === 0x60 || c === 0x22 || (afterDot && c === 0x27)) return quotedEnd(i);
    if (i < n && isWordChar(s, i)) return wordEnd(i);
    return FAILED;
  };

  // sqlparse groups `a.b.c` (and a trailing `a.`) into one Identifier.
  const chainEnd = (end: number): number => {
    while (s.charCodeAt(end) === 0x2e) {
      const next = partEnd(end + 1, true);
      if (next === FAILED) return end + 1;
      end = next;
    }
    return end;
  };

  const numberEnd = (i: number): { end: number; isInteger: boolean } | undefined => {
    let j = i;
    if (s.charCodeAt(j) === 0x2d) j++;
    const intStart = j;
    while (isDigit(s, j)) j++;
    const intEnd = j;
    // -?\d+(\.\d+)?E-?\d+
    if (intEnd > intStart) {
      let k = intEnd;
      if (s.charCodeAt(k) === 0x2e && isDigit(s, k + 1)) {
        k++;
        while (isDigit(s, k)) k++;
      }
      if (s.charCodeAt(k) === 0x45 || s.charCodeAt(k) === 0x65) {
        let e = k + 1;
        if (s.charCodeAt(e) === 0x2d) e++;
        if (isDigit(s, e)) {
          while (isDigit(s, e)) e++;
          return { end: e, isInteger: false };
        }
      }
    }
    // -?(\d+\.\d*|\.\d+) or -?\d+, not followed by a name character
    let end = intEnd;
    let isInteger = true;
    if (s.charCodeAt(end) === 0x2e && (intEnd > intStart || isDigit(s, end + 1))) {
      end++;
      while (isDigit(s, end)) end++;
      isInteger = false;
    }
    if (end === intStart || (isInteger && intEnd === intStart)) return undefined;
    if (isNameStart(s, end)) return undefined;
    return { end, isInteger };
  };

  let commentClose = -2; // index of the next `*/` (-1: none left, -2: not searched yet)
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    const start = i;
    const push = (kind: TokenKind, end: number, isInteger?: boolean): void => {
      tokens.push(isInteger === undefined ? { kind, start, end } : { kind, start, end, isInteger });
      i = end;
    };

    if (isPySpace(c)) {
      let j = i + 1;
      while (j < n && isPySpace(s.charCodeAt(j))) j++;
      push('ws', j);
      continue;
    }
    if (c === 0x27) {
      const end = quotedEnd(i);
      push(end === FAILED ? 'other' : 'string', end === FAILED ? i + 1 : end);
      continue;
    }
    if (c === 0x22 || c === 0x60) {
      const end = quotedEnd(i);
      if (end === FAILED) push('other', i + 1);
      else push('ident', chainEnd(end));
      continue;
    }
    if (
      isDigit(s, i) ||
      ((c === 0x2d || c === 0x2e) &&
        (isDigit(s, i + 1) || (c === 0x2d && s.charCodeAt(i + 1) === 0x2e && isDigit(s, i + 2))))
    ) {
      const num = numberEnd(i);
      if (num) {
        push('number', num.end, num.isInteger);
        continue;
      }
    }
    if (isWordChar(s, i)) {
      const end = wordEnd(i);
      if (s.charCodeAt(end) === 0x2e) {
        push('ident', chainEnd(end));
        continue;
      }
      const upper = s.slice(i, end).toUpperCase();
      // sqlparse: a word right before '(' is a function name, even AND or LIKE; IN stays a keyword.
      if (s.charCodeAt(end) === 0x28 && upper !== 'IN') {
        push('ident', end);
        continue;
      }
      if (LIKE_WORDS.has(upper) || upper === 'REGEXP') {
        push('op', end);
        continue;
      }
      if (upper === 'NOT') {
        // sqlparse lexes `NOT LIKE` (any whitespace between) as one comparison operator.
        let j = end;
        while (j < n && isPySpace(s.charCodeAt(j))) j++;
        if (j > end) {
          const next = wordEnd(j);
          const word = s.slice(j, next).toUpperCase();
          if (next > j && (LIKE_WORDS.has(word) || word === 'REGEXP')) {
            push('op', next);
            continue;
          }
        }
      }
      push(KEYWORDS.has(upper) ? 'keyword' : 'ident', end);
      continue;
    }
    // Comments: `-- …` and `# …` to the end of the line, `/* … */`. Never valid in a filter.
    if ((c === 0x2d && s.charCodeAt(i + 1) === 0x2d) || (c === 0x23 && s.charCodeAt(i + 1) === 0x20)) {
      let j = i + 2;
      while (j < n && s.charCodeAt(j) !== 0x0a && s.charCodeAt(j) !== 0x0d) j++;
      if (s.charCodeAt(j) === 0x0d && s.charCodeAt(j + 1) === 0x0a) j += 2;
      else if (j < n) j++;
      push('other', j);
      continue;
    }
    if (c === 0x2f && s.charCodeAt(i + 1) === 0x2a) {
      // One search for the next `*/`, reused while it lies ahead: linear even for `/*/*/*…`.
      if (commentClose !== -1 && commentClose < i + 2) commentClose = s.indexOf('*/', i + 2);
      if (commentClose >= 0) {
        push('other', commentClose + 2);
        continue;
      }
    }
    if (c === 0x28) {
      push('open', i + 1);
      continue;
    }
    if (c === 0x29) {
      push('close', i + 1);
      continue;
    }
    if (c === 0x3b) {
      push('semicolon', i + 1);
      continue;
    }
    if (c === 0x3c || c === 0x3e || c === 0x3d || c === 0x7e || c === 0x21) {
      let j = i + 1;
      while (j < n && '<>=~!'.includes(s[j]!)) j++;
      push('op', j);
      continue;
    }
    if ('+/@#%^&|-'.includes(s[i]!)) {
      let j = i + 1;
      while (j < n && '+/@#%^&|-'.includes(s[j]!)) j++;
      push('other', j);
      continue;
    }
    push('other', i + ((s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1));
  }
  return tokens;
}
