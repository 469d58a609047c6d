// A fast reader for the canonical YAML that mreg writes (stringifyDocument): a block map of scalars, block
// literals and one level of nested maps. Parsing 110k files with the general `yaml` parser costs ~6 s, which
// alone would break `mreg validate`'s 10 s budget at 100k versions; this reader does it in well under one.
//
// It is deliberately narrow: anything outside the subset below makes it return undefined, and the caller
// falls back to the general parser (which also produces the problems with their lines). On the subset it
// accepts, it returns exactly what `yaml` (core schema, YAML 1.2) returns — a property test holds it to that.
//
//   key: plain scalar | "double-quoted" | 123 | true | false
//   key: |        (or |-) followed by lines indented by 2
//   key:          followed by `  key: scalar` lines (one nested map)
//   # full-line comments at column 0
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const NUMERIC = [
  /^[-+]?[0-9]+$/,
  /^0o[0-7]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];
/** Integers whose text is their canonical decimal form and fits a double exactly. */
const PLAIN_INT = /^(?:0|[1-9][0-9]{0,14})$/;
/** Characters a plain scalar may hold here: printable, no tab, no BOM or Unicode line separators. */
const SAFE_CHARS = /^[\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*$/;
/** First characters that are YAML indicators (or `~`, `.`, signs and digits that need the numeric checks). */
const INDICATOR_START = /^[-?:,[\]{}#&*!|>'"%@`~ ]/;
const PLAIN_KEY = /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/;
const KEY_LINE = /^([A-Za-z0-9_][A-Za-z0-9_./-]*|"[^"\\]*"):(?: (.*))?$/;

type Scalar = string | number | boolean;

function plainScalar(s: string): Scalar | undefined {
  if (s === '' || s !== s.trim() || !SAFE_CHARS.test(s) || INDICATOR_START.test(s)) return undefined;
  if (s.includes(': ') || s.endsWith(':') || s.includes(' #')) return undefined;
  if (NULL.test(s)) return undefined;
  if (BOOL.test(s)) return s === 'true' ? true : s === 'false' ? false : undefined;
  if (NUMERIC.some((r) => r.test(s))) return PLAIN_INT.test(s) ? Number(s) : undefined;
  return s;
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

/** A double-quoted scalar that is the whole of `s`, or undefined. */
function quoted(s: string): string | undefined {
  if (s.length < 2 || s[0] !== '"' || s[s.length - 1] !== '"') return undefined;
  const body = s.slice(1, -1);
  if (!SAFE_CHARS.test(body)) return undefined;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"') return undefined;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined) return undefined;
    if (e in ESCAPES) {
      out += ESCAPES[e];
      continue;
    }
    const len = e === 'x' ? 2 : e === 'u' ? 4 : 0;
    if (!len) return undefined;
    const hex = body.slice(i + 1, i + 1 + len);
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) return undefined;
    const code = parseInt(hex, 16);
    if (code >= 0xd800 && code <= 0xdfff) return undefined;
    out += String.fromCharCode(code);
    i += len;
  }
  return out;
}

function key(raw: string): string | undefined {
  if (raw.startsWith('"')) return quoted(raw);
  if (!PLAIN_KEY.test(raw) || NULL.test(raw) || BOOL.test(raw) || NUMERIC.some((r) => r.test(raw))) return undefined;
  return raw;
}

function value(raw: string): Scalar | undefined {
  return raw.startsWith('"') ? quoted(raw) : plainScalar(raw);
}

/**
 * The document as `yaml` would read it, or undefined when the text is not in the canonical subset
 * (the caller then parses it with `yaml`).
 */
export function parseCanonical(text: string): Record<string, unknown> | undefined {
  if (text.length === 0 || text.includes('\r') || text.includes('\t') || !text.endsWith('\n')) return undefined;
  const lines = text.split('\n');
  lines.pop(); // the final newline
  const doc: Record<string, unknown> = {};
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('#')) {
      i++;
      continue;
    }
    const m = KEY_LINE.exec(line);
    if (!m) return undefined;
    const k = key(m[1]!);
    if (k === undefined || k === '__proto__' || Object.prototype.hasOwnProperty.call(doc, k)) return undefined;
    const rest = m[2];
    i++;
    if (rest === '|' || rest === '|-') {
      const content: string[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        if (l.startsWith('  ')) content.push(l.slice(2));
        else if (l === '' || l === ' ') content.push('');
        else break;
        i++;
      }
      // Leading empty lines, deeper first lines (an indentation indicator) and space-only lines are left to `yaml`.
      if (content.length === 0 || content[0] === '' || content[0]!.startsWith(' ')) return undefined;
      if (content.some((c) => c !== '' && c.trim() === '')) return undefined;
      if (!content.every((c) => SAFE_CHARS.test(c))) return undefined;
      let last = content.length - 1;
      while (content[last] === '') last--;
      const body = content.slice(0, last + 1).join('\n');
      doc[k] = rest === '|' ? body + '\n' : body;
      continue;
    }
    if (rest === undefined || rest === '') {
      const nested: Record<string, unknown> = {};
      let count = 0;
      while (i < lines.length && lines[i]!.startsWith('  ')) {
        const inner = lines[i]!.slice(2);
        const n = KEY_LINE.exec(inner);
        if (!n || n[2] === undefined || n[2] === '') return undefined;
        const nk = key(n[1]!);
        if (nk === undefined || nk === '__proto__' || Object.prototype.hasOwnProperty.call(nested, nk))
          return undefined;
        const v = value(n[2]);
        if (v === undefined) return undefined;
        nested[nk] = v;
        count++;
        i++;
      }
      if (count === 0) return undefined;
      doc[k] = nested;
      continue;
    }
    const v = value(rest);
    if (v === undefined) return undefined;
    doc[k] = v;
  }
  return Object.keys(doc).length ? doc : undefined;
}

/** Printable ASCII: the strings the fast writer below emits itself (anything else goes to `yaml`). */
const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;

/** A scalar as `yaml` writes it in canonical form, or undefined when the fast writer leaves it to `yaml`. */
function emitScalar(v: unknown): string | undefined {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : undefined;
  if (typeof v !== 'string' || !ASCII_PRINTABLE.test(v)) return undefined;
  // Plain exactly when the fast reader reads it back as the same string (no quoting, no other type).
  return plainScalar(v) === v ? v : undefined;
}

function emitKey(k: string): string | undefined {
  return k !== '__proto__' && key(k) === k ? k : undefined;
}

/**
 * The canonical text of an already ordered document (stringifyDocument) written directly, for documents inside
 * the subset above: plain keys, integers, booleans, plain one-line ASCII strings, one level of nested maps.
 * Undefined otherwise, and the caller has `yaml` write it. Writing a version file through `yaml` showed in the
 * gateway's profile (a document model per call); a property test holds this to `yaml`'s output byte for byte.
 */
export function emitCanonical(doc: Readonly<Record<string, unknown>>): string | undefined {
  let out = '';
  for (const k of Object.keys(doc)) {
    const v = doc[k];
    if (emitKey(k) === undefined) return undefined;
    if (v !== null && typeof v === 'object') {
      if (Array.isArray(v)) return undefined;
      let inner = '';
      for (const nk of Object.keys(v)) {
        const s = emitScalar((v as Record<string, unknown>)[nk]);
        if (s === undefined || emitKey(nk) === undefined) return undefined;
        inner += `  ${nk}: ${s}\n`;
      }
      if (inner === '') return undefined;
      out += `${k}:\n${inner}`;
      continue;
    }
    const s = emitScalar(v);
    if (s === undefined) return undefined;
    out += `${k}: ${s}\n`;
  }
  return out === '' ? undefined : out;
}
