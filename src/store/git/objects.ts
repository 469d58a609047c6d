// Git object formats (tree, commit, tag), hashing and path rules: pure functions, shared by the read and
// the write side. (Loose objects are written by object-writer.ts.)
import { createHash } from 'node:crypto';
import { RegistryError } from '../../errors.js';
import { adler32, adler32Replace } from './zlib-stored.js';

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';
export const EMPTY_TREE_OID = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
export const ZERO_OID = '0000000000000000000000000000000000000000';
export const OID_RE = /^[0-9a-f]{40}$/;

export interface Signature {
  name: string;
  email: string;
  /** Unix seconds. */
  timestamp: number;
  /** Minutes, with isomorphic-git's (and JavaScript's getTimezoneOffset) sign: UTC+2 is -120. */
  timezoneOffset: number;
}

export interface TreeEntry {
  /** Entry name within its tree. */
  path: string;
  mode: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

export interface CommitInfo {
  oid: string;
  parents: string[];
  /** The message as stored, normally ending with a newline. */
  message: string;
  author: Signature;
  committer: Signature;
  tree: string;
}

export function hashObject(type: ObjectType, body: Uint8Array): string {
  return createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest('hex');
}

// ---------- trees ----------

/** Canonical mode spelling inside tree objects: no leading zero for trees. */
function treeModeBytes(mode: string): string {
  return mode === '040000' ? '40000' : mode;
}

function normalizeMode(mode: string): string {
  return mode.length === 5 ? '0' + mode : mode;
}

export function typeOfMode(mode: string): TreeEntry['type'] {
  if (mode === '040000' || mode === '40000') return 'tree';
  if (mode === '160000') return 'commit';
  return 'blob';
}

/**
 * Git's order of tree entries: bytewise on the name, where a tree's name compares as if followed by '/'.
 * Plain UTF-16 comparison equals UTF-8 byte order except across surrogate pairs, which fall back to bytes.
 */
export function compareTreeNames(a: string, aIsTree: boolean, b: string, bIsTree: boolean): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) {
      if (ca >= 0xd800 || cb >= 0xd800) return Buffer.compare(Buffer.from(a.slice(i)), Buffer.from(b.slice(i)));
      return ca - cb;
    }
  }
  const ea = a.length > n ? a.charCodeAt(n) : aIsTree ? 0x2f : 0;
  const eb = b.length > n ? b.charCodeAt(n) : bIsTree ? 0x2f : 0;
  if (ea >= 0xd800 || eb >= 0xd800) return Buffer.compare(Buffer.from(a.slice(n)), Buffer.from(b.slice(n)));
  return ea - eb;
}

/** Bytewise (UTF-8) order of full paths: the order of `git ls-tree -r`, `diff-tree` and the index. */
export function comparePaths(a: string, b: string): number {
  return compareTreeNames(a, false, b, false);
}

export function sortTreeEntries(entries: TreeEntry[]): TreeEntry[] {
  return entries.sort((x, y) => compareTreeNames(x.path, x.type === 'tree', y.path, y.type === 'tree'));
}

/**
 * Each entry's serialized bytes, kept with the (frozen, cached) entry object. The trees built from a cached tree
 * share its unchanged entries (commit.ts keeps them), so a long-lived writer rewriting the `models/` tree after a
 * one-entry change encodes one entry and copies the others' bytes, instead of encoding every mode, name and id.
 */
const entryBytes = new WeakMap<TreeEntry, Buffer>();

function encodeEntry(e: TreeEntry): Buffer {
  const mode = treeModeBytes(e.mode);
  const out = Buffer.allocUnsafe(mode.length + 2 + Buffer.byteLength(e.path) + 20);
  let pos = out.write(mode, 0, 'latin1');
  out[pos++] = 0x20;
  pos += out.write(e.path, pos, 'utf8');
  out[pos++] = 0;
  out.write(e.oid, pos, 20, 'hex');
  return out;
}

export function serializeTree(entries: readonly TreeEntry[]): Buffer {
  const parts: Buffer[] = new Array<Buffer>(entries.length);
  let size = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    let b = entryBytes.get(e);
    if (!b) {
      b = encodeEntry(e);
      // Only frozen entries (the caches' own) are immutable: a mutable one could change under the cached bytes.
      if (Object.isFrozen(e)) entryBytes.set(e, b);
    }
    parts[i] = b;
    size += b.length;
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const b of parts) {
    out.set(b, pos);
    pos += b.length;
  }
  return out;
}

/**
 * The serialized body of a tree the writer built, kept with its (frozen, cached) entries array while the array
 * lives, and where each entry ends in it (computed on first use). A tree that differs from it only by the ids of
 * some entries is then that body with 20-byte ids overwritten (patchTreeBody): the `models/` tree every commit
 * rewrites (one entry per model) costs a copy instead of an encoding of every entry.
 */
const treeBodies = new WeakMap<readonly TreeEntry[], { body: Buffer; ends?: Int32Array; adler?: number }>();

/**
 * The Adler-32 of a patched tree's loose form (`tree <size>\0` and the body), by body: updated from the tree it
 * was patched from instead of summed again over every byte (zlib-stored.ts; looseChecksum).
 */
const looseChecksums = new WeakMap<Uint8Array, number>();

/** The Adler-32 of `tree <size>\0<body>` when patchTreeBody made `body` and knows it; else undefined. */
export function looseChecksum(body: Uint8Array): number | undefined {
  return looseChecksums.get(body);
}

export function setTreeBody(entries: readonly TreeEntry[], body: Buffer): void {
  treeBodies.set(entries, { body });
}

/**
 * The body of `next`: `old`'s with the ids of the entries at `at` overwritten (the same names and modes, other
 * ids). `old` is encoded once when the writer has not built it (a tree read from git); `next`'s body is kept.
 */
export function patchTreeBody(old: readonly TreeEntry[], next: readonly TreeEntry[], at: readonly number[]): Buffer {
  let known = treeBodies.get(old);
  if (!known) treeBodies.set(old, (known = { body: serializeTree(old) }));
  if (!known.ends) {
    // Where each entry ends: after "<mode> <name>\0" and the 20-byte id.
    const ends = new Int32Array(old.length);
    for (let i = 0, pos = 0; i < old.length; i++) ends[i] = pos = known.body.indexOf(0, pos) + 21;
    known.ends = ends;
  }
  const header = Buffer.from(`tree ${known.body.length}\0`, 'latin1');
  known.adler ??= adler32([header, known.body]);
  let adler = known.adler;
  const body = Buffer.from(known.body);
  for (const i of at) {
    const end = known.ends[i]!;
    body.write(next[i]!.oid, end - 20, 20, 'hex');
    const length = header.length + body.length;
    adler = adler32Replace(
      adler,
      length,
      header.length + end - 20,
      known.body.subarray(end - 20, end),
      body.subarray(end - 20, end),
    );
  }
  treeBodies.set(next, { body, ends: known.ends, adler });
  looseChecksums.set(body, adler);
  return body;
}

export function parseTree(body: Uint8Array): TreeEntry[] {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const out: TreeEntry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const space = buf.indexOf(0x20, pos);
    const nul = buf.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 21 > buf.length)
      throw new RegistryError('INTERNAL_ERROR', 'Corrupt tree object.');
    const mode = normalizeMode(buf.toString('latin1', pos, space));
    out.push({
      mode,
      path: buf.toString('utf8', space + 1, nul),
      oid: buf.toString('hex', nul + 1, nul + 21),
      type: typeOfMode(mode),
    });
    pos = nul + 21;
  }
  return out;
}

/**
 * Looks one name up in a raw tree without building every entry: cheap on the 10k-entry `models/`
 * tree, where a full parse allocates 10k objects. Names are compared as bytes.
 */
export function findInRawTree(body: Uint8Array, name: string): { mode: string; oid: string } | null {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const want = Buffer.from(name);
  let pos = 0;
  while (pos < buf.length) {
    const space = buf.indexOf(0x20, pos);
    const nul = buf.indexOf(0, space + 1);
    if (space < 0 || nul < 0) return null;
    if (nul - space - 1 === want.length && buf.compare(want, 0, want.length, space + 1, nul) === 0) {
      return { mode: normalizeMode(buf.toString('latin1', pos, space)), oid: buf.toString('hex', nul + 1, nul + 21) };
    }
    pos = nul + 21;
  }
  return null;
}

/** An entry by name in a tree sorted in git order (a name may be a blob or a tree: try both keys). */
export function findEntry(entries: readonly TreeEntry[], name: string): TreeEntry | null {
  const i = findEntryIndex(entries, name);
  return i < 0 ? null : entries[i]!;
}

/** The index of the entry named `name` (a file or a folder) in a tree's entries, or -1. */
export function findEntryIndex(entries: readonly TreeEntry[], name: string): number {
  for (const asTree of [false, true]) {
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = entries[mid]!;
      const c = compareTreeNames(e.path, e.type === 'tree', name, asTree);
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    const e = entries[lo];
    if (e && e.path === name && (e.type === 'tree') === asTree) return lo;
  }
  return -1;
}

// ---------- commits and tags ----------

export function formatTimezone(offsetMinutes: number): string {
  // isomorphic-git's sign is inverted relative to git's: -120 means UTC+02:00. -0 means "-0000".
  const negative = offsetMinutes > 0 || Object.is(offsetMinutes, -0);
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${negative ? '-' : '+'}${hh}${mm}`;
}

function parseTimezone(tz: string): number {
  const m = /^([+-])(\d\d)(\d\d)$/.exec(tz);
  if (!m) return 0;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (m[1] === '-') return minutes === 0 ? -0 : minutes;
  return -minutes;
}

export function formatSignature(sig: Signature): string {
  if (/[<>\n\0]/.test(sig.name) || /[<>\n\0]/.test(sig.email)) {
    throw RegistryError.invalid(
      `Invalid author or committer '${sig.name} <${sig.email}>': '<', '>' and newlines are not allowed.`,
    );
  }
  if (!Number.isInteger(sig.timestamp) || !Number.isInteger(sig.timezoneOffset)) {
    throw RegistryError.invalid('Signature timestamp and timezoneOffset must be integers.');
  }
  return `${sig.name} <${sig.email}> ${sig.timestamp} ${formatTimezone(sig.timezoneOffset)}`;
}

export function parseSignature(s: string): Signature {
  const m = /^(.*?) ?<([^>]*)> (-?\d+) ([+-]\d{4})$/.exec(s);
  if (!m) return { name: s, email: '', timestamp: 0, timezoneOffset: 0 };
  return {
    name: m[1] ?? '',
    email: m[2] ?? '',
    timestamp: Number(m[3]),
    timezoneOffset: parseTimezone(m[4] ?? '+0000'),
  };
}

export function serializeCommit(c: {
  tree: string;
  parents: readonly string[];
  author: Signature;
  committer: Signature;
  message: string;
}): Buffer {
  let head = `tree ${c.tree}\n`;
  for (const p of c.parents) head += `parent ${p}\n`;
  head += `author ${formatSignature(c.author)}\ncommitter ${formatSignature(c.committer)}\n\n`;
  const message = c.message.endsWith('\n') ? c.message : c.message + '\n';
  return Buffer.from(head + message);
}

export function parseCommit(oid: string, body: Uint8Array): CommitInfo {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const message = end < 0 ? '' : text.slice(end + 2);
  let tree = '';
  const parents: string[] = [];
  let author: Signature | undefined;
  let committer: Signature | undefined;
  for (const line of head.split('\n')) {
    if (line.startsWith(' ')) continue; // continuation of a multi-line header (gpgsig, mergetag)
    const sp = line.indexOf(' ');
    const key = line.slice(0, sp);
    const value = line.slice(sp + 1);
    if (key === 'tree') tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'author') author = parseSignature(value);
    else if (key === 'committer') committer = parseSignature(value);
  }
  if (!OID_RE.test(tree)) throw new RegistryError('INTERNAL_ERROR', `Corrupt commit object ${oid}.`);
  const a = author ?? parseSignature('');
  return { oid, tree, parents, message, author: a, committer: committer ?? a };
}

/** The `object` and `type` headers of an annotated tag. */
export function parseTagTarget(body: Uint8Array): { object: string; type: string } {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const object = /^object ([0-9a-f]{40})$/m.exec(text)?.[1] ?? '';
  const type = /^type (\w+)$/m.exec(text)?.[1] ?? '';
  return { object, type };
}

// ---------- paths ----------

/**
 * Checks a repository-relative path: '/'-separated, no empty, '.' or '..' segment, no '.git' segment in
 * any case, no NUL or backslash. Returns it without a trailing slash.
 */
export function checkRepoPath(p: string, what = 'path'): string {
  const trimmed = p.endsWith('/') ? p.slice(0, -1) : p;
  const bad =
    trimmed.length === 0 ||
    trimmed.startsWith('/') ||
    /[\0\\]/.test(trimmed) ||
    trimmed.split('/').some((seg) => seg === '' || seg === '.' || seg === '..' || seg.toLowerCase() === '.git');
  if (bad) throw RegistryError.invalid(`Invalid repository ${what} '${p}'.`, { path: p });
  return trimmed;
}

/** '' for the whole tree, otherwise a checked path. */
export function checkPrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === '' || prefix === '/') return '';
  return checkRepoPath(prefix, 'prefix');
}

/** True when `p` is `prefix` or lies under it ('' matches everything). */
export function isUnder(p: string, prefix: string): boolean {
  return prefix === '' || p === prefix || (p.startsWith(prefix) && p.charCodeAt(prefix.length) === 0x2f);
}

/** Rejects names that `git check-ref-format` would refuse. */
export function checkBranchName(branch: string): string {
  const bad =
    branch.length === 0 ||
    branch === '@' ||
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch.includes('..') ||
    branch.includes('//') ||
    branch.includes('@{') ||
    /[\x00-\x20\x7f~^:?*[\\]/.test(branch) ||
    branch.split('/').some((c) => c.startsWith('.') || c.endsWith('.lock'));
  if (bad) throw RegistryError.invalid(`Invalid branch name '${branch}'.`, { branch });
  return branch;
}
