// The trees `mreg validate` (and `mreg diff` on the working tree) read in full: a commit, or a working tree
// (or a registry folder outside git). Both are store/load.ts's TreeSource; `counted` adds a progress count.
// Work-tree files are read synchronously: one readFileSync is ~10x cheaper than fs/promises' open/stat/read/
// close round trips through the thread pool, which dominated validate at 100k files.
import { closeSync, constants, lstatSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { parsePath } from '../domain/layout.js';
import type { GitReader } from '../store/git/reader.js';
import { hashObject } from '../store/git/objects.js';
import type { TreeSource } from '../store/load.js';

export type { TreeSource } from '../store/load.js';

/** git's blob id of some bytes: what `git hash-object` prints. */
export function blobOid(bytes: Uint8Array): string {
  return hashObject('blob', bytes);
}

/**
 * A work-tree file as git would commit it (GitReader.readWorkTreeFile's rules): a symbolic link reads as the
 * path it holds, never as its target, and a FIFO or device is absent. A pull request's links must not make
 * validate read and print files from outside the repository, nor hang on /dev/zero.
 */
export function readWorkTreeSync(dir: string, rel: string): Uint8Array | null {
  const abs = path.join(dir, rel);
  try {
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) return readlinkSync(abs, { encoding: 'buffer' });
    if (!st.isFile()) return null;
    const fd = openSync(abs, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      return readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ELOOP') return null;
    throw e;
  }
}

/** Files under `prefix` of a work tree, repo-relative, without `.git`; a linked folder is a file, never entered. */
export function listWorkTreeSync(dir: string, prefix: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name === '.git') continue;
      const p = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.isFile() || e.isSymbolicLink()) out.push(p);
    }
  };
  walk(prefix.replace(/\/+$/, ''));
  return out;
}

/**
 * The files of the work tree in `dir` (a git checkout or a plain folder). `oids`, when given, receives the
 * blob id of every file read, so that a later comparison with a commit need not read them again.
 */
export function workTreeSource(dir: string, opts: { oids?: Map<string, string> } = {}): TreeSource {
  return {
    commit: null,
    list: async () => listWorkTreeSync(dir, ''),
    read: async (p) => {
      const bytes = readWorkTreeSync(dir, p);
      if (bytes && opts.oids) opts.oids.set(p, blobOid(bytes));
      return bytes;
    },
  };
}

/**
 * The files of a commit. With `workTree` (the repository's checkout), a file the checkout holds unchanged
 * (same blob id) is read from there: inflating 100k objects from a pack costs several times more than
 * reading and hashing the files.
 */
export function commitSource(repo: GitReader, commit: string, opts: { workTree?: string } = {}): TreeSource {
  let byPath: Map<string, string> | undefined;
  return {
    commit,
    list: async () => {
      byPath = new Map((await repo.listFiles(commit, '')).map((f) => [f.path, f.oid]));
      return [...byPath.keys()];
    },
    read: async (p) => {
      const oid = byPath?.get(p);
      if (oid === undefined) return byPath ? null : repo.readFileAt(commit, p);
      const local = opts.workTree === undefined ? null : readWorkTreeSync(opts.workTree, p);
      return local && blobOid(local) === oid ? local : repo.readBlob(oid);
    },
  };
}

/** `source`, reporting (done, total) as registry files are read: every 256 files and at the end. */
export function counted(source: TreeSource, onProgress: (done: number, total: number) => void): TreeSource {
  let total = 0;
  let done = 0;
  return {
    commit: source.commit,
    list: async () => {
      const paths = await source.list();
      total = paths.filter((p) => parsePath(p).kind !== 'other').length;
      return paths;
    },
    read: async (p) => {
      const bytes = await source.read(p);
      done++;
      if (done % 256 === 0 || done === total) onProgress(done, total);
      return bytes;
    },
  };
}
