// YAML in and out. Parsing turns a file into plain data plus Problems tied to lines; writing produces the
// one canonical form (schema key order, no anchors, no folding) so a file written twice is byte-identical.
import YAML, { LineCounter, isMap, isScalar, isSeq, type Node } from 'yaml';
import type { Problem } from '../errors.js';
import { emitCanonical, parseCanonical } from './canonical-yaml.js';
import { keyOrder, validateDocument, type SchemaName } from '../schema/validate.js';

/** The largest file we agree to parse; anything bigger is a problem, not a parse. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

const PARSE_OPTIONS: YAML.ParseOptions & YAML.DocumentOptions & YAML.SchemaOptions = {
  uniqueKeys: true,
  merge: false,
  prettyErrors: false,
  strict: true,
  schema: 'core',
};

export type ParseResult<T> = { ok: true; doc: T } | { ok: false; problems: Problem[] };

/**
 * Documents already parsed and checked from these very bytes (a writer's own output: checked before its commit,
 * read again when its state moves on). Keyed by the buffer object, which a writer never changes afterwards.
 */
const checked = new WeakMap<Uint8Array, { kind: SchemaName; doc: unknown }>();

/** parseDocumentText, remembering a valid document for the next parse of the same (never modified) buffer. */
export function parseWrittenDocument<T>(kind: SchemaName, path: string, bytes: Uint8Array): ParseResult<T> {
  const r = parseDocumentText<T>(kind, path, bytes);
  if (r.ok) checked.set(bytes, { kind, doc: r.doc });
  return r;
}

/** Parses and schema-checks one document. Cheap path first; line numbers are looked up only when there is a problem. */
export function parseDocumentText<T>(kind: SchemaName, path: string, bytes: Uint8Array | string): ParseResult<T> {
  if (typeof bytes !== 'string') {
    const known = checked.get(bytes);
    if (known?.kind === kind) {
      checked.delete(bytes);
      return { ok: true, doc: known.doc as T };
    }
  }
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > MAX_FILE_BYTES) return fail(path, 1, `file is ${size} bytes; the limit is ${MAX_FILE_BYTES}`);
  let text: string;
  if (typeof bytes === 'string') text = bytes;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return fail(path, 1, 'file is not valid UTF-8');
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Files as mreg writes them take a fast path (bounded to a subset on which it equals `yaml`); anything
  // else, and anything invalid, goes through the general parser, which also finds the problems' lines.
  const fast = parseCanonical(text);
  if (fast !== undefined && validateDocument(kind, fast).length === 0) return { ok: true, doc: fast as T };
  const lines = new LineCounter();
  let document: YAML.Document.Parsed;
  try {
    document = YAML.parseDocument(text, { ...PARSE_OPTIONS, lineCounter: lines, keepSourceTokens: false });
  } catch (e) {
    if (e instanceof RangeError) return fail(path, 1, `document is nested more than ${MAX_DEPTH} levels deep`);
    return fail(path, 1, `invalid YAML: ${(e as Error).message}`);
  }
  // The parser reports running out of stack (tens of thousands of nested brackets) as a document error.
  if (document.errors.some((e) => /Maximum call stack size exceeded/.test(e.message)))
    return fail(path, 1, `document is nested more than ${MAX_DEPTH} levels deep`);
  if (document.errors.length) {
    return {
      ok: false,
      problems: document.errors.map((e) =>
        e.code === 'DUPLICATE_KEY'
          ? duplicateKey(text, path)
          : { path, line: e.linePos?.[0]?.line ?? 1, message: `invalid YAML: ${clip(e.message.split('\n')[0]!)}` },
      ),
    };
  }
  // Aliases are refused outright: they are never canonical and they are how "billion laughs" expands.
  const refused = anchorOrTag(document.contents);
  if (refused === 'deep') return fail(path, 1, `document is nested more than ${MAX_DEPTH} levels deep`);
  if (refused) return fail(path, 1, 'anchors, aliases and explicit tags are not allowed');
  let doc: unknown;
  try {
    doc = document.toJS({ maxAliasCount: 0 });
  } catch (e) {
    return fail(path, 1, `invalid YAML: ${(e as Error).message}`);
  }
  const violations = validateDocument(kind, doc);
  if (violations.length === 0) return { ok: true, doc: doc as T };
  return {
    ok: false,
    problems: violations.map((v) => ({ path, line: lineOf(document, lines, v.instancePath), message: v.message })),
  };
}

/** The yaml library reports a duplicate key at its map; find the repeated key's own line. */
function duplicateKey(text: string, path: string): Problem {
  const lines = new LineCounter();
  const document = YAML.parseDocument(text, { ...PARSE_OPTIONS, uniqueKeys: false, lineCounter: lines });
  let found: Problem | undefined;
  YAML.visit(document, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const k = String(pair.key.value);
        if (seen.has(k) && !found) {
          const at = pair.key.range ? lines.linePos(pair.key.range[0]).line : 1;
          found = { path, line: at, message: `invalid YAML: key '${k}' appears twice` };
          return YAML.visit.BREAK;
        }
        seen.add(k);
      }
      return undefined;
    },
  });
  return found ?? { path, line: 1, message: 'invalid YAML: map keys must be unique' };
}

/** The parser quotes the offending token, which in a hostile file can be megabytes long. */
function clip(message: string, max = 200): string {
  return message.length > max ? `${message.slice(0, max)}…` : message;
}

function fail(path: string, line: number, message: string): { ok: false; problems: Problem[] } {
  return { ok: false, problems: [{ path, line, message }] };
}

/** Far deeper than any registry document (they nest 2 levels); bounds the checks' recursion. */
const MAX_DEPTH = 64;

/** Why a parsed document is refused before conversion: an anchor, alias or explicit tag, or too deep to walk. */
function anchorOrTag(node: unknown, depth = 0): 'anchor' | 'deep' | undefined {
  if (depth > MAX_DEPTH) return 'deep';
  if (!node || typeof node !== 'object') return undefined;
  const n = node as Node & { anchor?: string; tag?: string };
  if (YAML.isAlias(n) || n.anchor) return 'anchor';
  if (n.tag) return 'anchor'; // parsed nodes carry a tag only when the source wrote one explicitly
  const children = isMap(n) ? n.items.flatMap((p) => [p.key, p.value]) : isSeq(n) ? n.items : [];
  for (const c of children) {
    const found = anchorOrTag(c, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** 1-based line of the key named by a JSON pointer, or of its closest existing parent. */
function lineOf(document: YAML.Document.Parsed, lines: LineCounter, pointer: string): number {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = document.contents;
  let line = 1;
  for (const part of parts) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === part);
    if (!pair) break;
    const key = pair.key as Node;
    if (key.range) line = lines.linePos(key.range[0]).line;
    node = pair.value;
  }
  if (parts.length === 0 && isMap(node) && node.range) line = lines.linePos(node.range[0]).line;
  return line;
}

/** Finds the line of a top-level key in a document's text (for invariant problems found after parsing). */
export function lineOfKey(text: string, pointer: string): number {
  try {
    const lines = new LineCounter();
    const document = YAML.parseDocument(text, { ...PARSE_OPTIONS, lineCounter: lines });
    return lineOf(document, lines, pointer);
  } catch {
    return 1;
  }
}

const ORDER: Partial<Record<SchemaName, string[]>> = {};
function orderFor(kind: SchemaName): string[] {
  return (ORDER[kind] ??= keyOrder(kind));
}

function ordered(kind: SchemaName, doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of orderFor(kind)) {
    const value = doc[key];
    if (value === undefined || value === null) continue;
    // Empty optional values are left out: the canonical form has one spelling for "none".
    if (value === '' && key !== 'source') continue;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    out[key] = value;
  }
  return out;
}

/** The canonical text of a document. */
export function stringifyDocument(kind: SchemaName, doc: object): string {
  const o = ordered(kind, doc as Record<string, unknown>);
  return emitCanonical(o) ?? stringifyWithYaml(o);
}

/** How `yaml` writes the canonical form (emitCanonical writes the same bytes for the documents it takes). */
export const STRINGIFY_OPTIONS: YAML.ToStringOptions & YAML.DocumentOptions & YAML.CreateNodeOptions = {
  lineWidth: 0,
  minContentWidth: 0,
  indent: 2,
  indentSeq: true,
  aliasDuplicateObjects: false,
  defaultKeyType: null,
  defaultStringType: 'PLAIN',
  singleQuote: false,
  version: '1.2',
};

function stringifyWithYaml(o: Record<string, unknown>): string {
  return YAML.stringify(o, STRINGIFY_OPTIONS);
}

/**
 * The `format_version` a registry.yaml declares, read without the schema (which accepts only the current one),
 * or undefined when the file does not say or cannot be read.
 */
export function declaredFormat(bytes: Uint8Array): number | undefined {
  try {
    const doc = YAML.parse(new TextDecoder().decode(bytes.subarray(0, MAX_FILE_BYTES)), {
      ...PARSE_OPTIONS,
    }) as unknown;
    const v = doc && typeof doc === 'object' ? (doc as Record<string, unknown>).format_version : undefined;
    return Number.isInteger(v) ? (v as number) : undefined;
  } catch {
    return undefined;
  }
}

/** A YAML document as plain data, without a schema (for files in an older format); undefined when it is not YAML. */
export function parsePlain(bytes: Uint8Array): unknown {
  try {
    return YAML.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes), { ...PARSE_OPTIONS }) as unknown;
  } catch {
    return undefined;
  }
}
