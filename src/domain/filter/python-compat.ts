// Small, exact re-implementations of the Python built-ins whose output leaks into MLflow's error
// messages and semantics: str.isspace/islower/strip, repr() of str/bytes/float/JSON values,
// json.dumps for the handler's "Invalid value …" message, and a json.loads that keeps Python's
// int/float distinction. Pure and linear; nothing here throws except parsePyJson.

const UPPERCASE = /\p{Uppercase}|\p{Lt}/u;
const LOWERCASE = /\p{Lowercase}/u;
// Python's str.isprintable() is false for these categories (space excepted).
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python's `str.isspace()` for one code point. */
export function isPySpace(cp: number): boolean {
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    (cp >= 0x1c && cp <= 0x20) ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

/** Python's `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isPySpace(s.charCodeAt(start))) start++;
  while (end > start && isPySpace(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Python's `str.islower()`: at least one cased character, and no upper- or title-case one. */
export function pyIsLower(s: string): boolean {
  let cased = false;
  for (const ch of s) {
    if (UPPERCASE.test(ch)) return false;
    if (!cased && LOWERCASE.test(ch)) cased = true;
  }
  return cased;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** Python's `repr(str)`. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + hex(cp, 2);
    else if (cp < 0x7f || ch === ' ') out += ch;
    else if (NON_PRINTABLE.test(ch))
      out += cp <= 0xff ? '\\x' + hex(cp, 2) : cp <= 0xffff ? '\\u' + hex(cp, 4) : '\\U' + hex(cp, 8);
    else out += ch;
  }
  return out + quote;
}

/** Python's `repr(bytes)`, e.g. `b'{"offset": 1'`. */
export function pyBytesRepr(bytes: Uint8Array): string {
  let hasSingle = false;
  let hasDouble = false;
  for (const b of bytes) {
    if (b === 0x27) hasSingle = true;
    else if (b === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? 0x22 : 0x27;
  let out = 'b' + String.fromCharCode(quote);
  for (const b of bytes) {
    if (b === quote || b === 0x5c) out += '\\' + String.fromCharCode(b);
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += '\\x' + hex(b, 2);
    else out += String.fromCharCode(b);
  }
  return out + String.fromCharCode(quote);
}

/** Python's `repr(float)`: shortest round-trip digits, scientific below 1e-4 and from 1e16. */
function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa = '', expPart = '0'] = x.toExponential().split('e');
  const exp = Number(expPart);
  const sign = mantissa.startsWith('-') ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp >= 0) {
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    return `${sign}${int}.${digits.slice(exp + 1) || '0'}`;
  }
  return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** Python's `type(v).__name__` for a value that came out of JSON or a query string. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

function jsonDumpsString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e)
      out += '\\u' + hex(c, 4); // ensure_ascii=True
    else out += s[i];
  }
  return out + '"';
}

/**
 * `json.dumps(v, sort_keys=True, separators=(",", ":"))`, as MLflow's `invalid_value()` formats a
 * bad request value. Non-integral numbers use Python's float repr; JS cannot tell `5.0` from `5`.
 */
export function pyJsonDumps(v: unknown, depth = 0): string {
  if (depth > 64) return '…';
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return jsonDumpsString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
    return Number.isInteger(v) ? String(v) : pyFloatRepr(v);
  }
  if (Array.isArray(v)) return '[' + v.map((x) => pyJsonDumps(x, depth + 1)).join(',') + ']';
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return '{' + entries.map(([k, x]) => `${jsonDumpsString(k)}:${pyJsonDumps(x, depth + 1)}`).join(',') + '}';
  }
  return jsonDumpsString(String(v));
}

/** A value as Python's `json.loads` returns it: ints and floats stay distinct. */
export type PyValue =
  | { readonly t: 'int'; readonly v: bigint }
  | { readonly t: 'float'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'none' }
  | { readonly t: 'list'; readonly v: readonly PyValue[] }
  | { readonly t: 'dict'; readonly v: ReadonlyMap<string, PyValue> };

/** Python's `repr()` of a JSON-decoded value (`{'offset': 0}`). */
export function pyRepr(value: PyValue): string {
  switch (value.t) {
    case 'int':
      return value.v.toString();
    case 'float':
      return pyFloatRepr(value.v);
    case 'str':
      return pyStrRepr(value.v);
    case 'bool':
      return value.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'list':
      return '[' + value.v.map(pyRepr).join(', ') + ']';
    case 'dict':
      return '{' + [...value.v].map(([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`).join(', ') + '}';
  }
}

/** Python truthiness of a JSON-decoded value. */
export function pyTruthy(value: PyValue): boolean {
  switch (value.t) {
    case 'int':
      return value.v !== 0n;
    case 'float':
      return value.v !== 0;
    case 'str':
      return value.v !== '';
    case 'bool':
      return value.v;
    case 'none':
      return false;
    case 'list':
      return value.v.length > 0;
    case 'dict':
      return value.v.size > 0;
  }
}

const MAX_JSON_DEPTH = 256;

/**
 * Python's `json.loads(str)`, including `NaN`/`Infinity` and arbitrary-size ints. Throws a plain
 * `SyntaxError` on malformed input (callers turn it into MLflow's message).
 */
export function parsePyJson(text: string): PyValue {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError(`invalid JSON at ${i}`);
  };
  const ws = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const literal = (word: string): boolean => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return true;
    }
    return false;
  };
  const str = (): string => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail();
      if (c !== 0x5c) {
        out += text[i];
        i++;
        continue;
      }
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const h = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail();
          out += String.fromCharCode(parseInt(h, 16));
          i += 4;
          break;
        }
        default:
          fail();
      }
    }
  };
  const num = (): PyValue => {
    const start = i;
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (text[i] !== undefined && text[i]! >= '1' && text[i]! <= '9')
      while (text[i] !== undefined && text[i]! >= '0' && text[i]! <= '9') i++;
    else fail();
    let isFloat = false;
    if (text[i] === '.' && text[i + 1] !== undefined && text[i + 1]! >= '0' && text[i + 1]! <= '9') {
      isFloat = true;
      i++;
      while (text[i] !== undefined && text[i]! >= '0' && text[i]! <= '9') i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      let j = i + 1;
      if (text[j] === '+' || text[j] === '-') j++;
      if (text[j] !== undefined && text[j]! >= '0' && text[j]! <= '9') {
        isFloat = true;
        i = j;
        while (text[i] !== undefined && text[i]! >= '0' && text[i]! <= '9') i++;
      }
    }
    const s = text.slice(start, i);
    return isFloat ? { t: 'float', v: Number(s) } : { t: 'int', v: BigInt(s) };
  };
  const value = (depth: number): PyValue => {
    if (depth > MAX_JSON_DEPTH) fail();
    ws();
    const c = text[i];
    if (c === '"') return { t: 'str', v: str() };
    if (c === '{') {
      i++;
      const map = new Map<string, PyValue>();
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'dict', v: map };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const k = str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        map.set(k, value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return { t: 'dict', v: map };
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      const items: PyValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'list', v: items };
      }
      for (;;) {
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return { t: 'list', v: items };
        } else fail();
      }
    }
    if (literal('null')) return { t: 'none' };
    if (literal('true')) return { t: 'bool', v: true };
    if (literal('false')) return { t: 'bool', v: false };
    if (literal('NaN')) return { t: 'float', v: NaN };
    if (literal('Infinity')) return { t: 'float', v: Infinity };
    if (literal('-Infinity')) return { t: 'float', v: -Infinity };
    return num();
  };
  const result = value(0);
  ws();
  if (i !== text.length) fail();
  return result;
}

/** Python's `int(str)`: surrounding whitespace, a sign, `_` between digits; undefined if invalid. */
export function parsePyInt(s: string): bigint | undefined {
  const t = pyStrip(s);
  let i = 0;
  let sign = 1n;
  if (t[0] === '+' || t[0] === '-') {
    if (t[0] === '-') sign = -1n;
    i = 1;
  }
  let digits = '';
  let lastWasDigit = false;
  for (; i < t.length; i++) {
    const ch = t[i]!;
    if (ch === '_') {
      if (!lastWasDigit) return undefined;
      lastWasDigit = false;
      continue;
    }
    // Python also accepts non-ASCII decimal digits ('٣'); no MLflow client sends them.
    if (ch < '0' || ch > '9') return undefined;
    digits += ch;
    lastWasDigit = true;
  }
  if (!lastWasDigit || digits === '') return undefined;
  return sign * BigInt(digits);
}
