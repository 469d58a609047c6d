// Reading a repository's work tree as git would commit it. A symbolic link reads as the path it holds,
// never as its target, and nothing is read below a linked folder: git stores a link as a file, so a pull
// request can commit `models/x -> /etc`, and following it would read, and print, files from outside the
// repository. Anything but a file or a link (a FIFO, a device) is absent, as it is to git.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { RegistryError } from '../../errors.js';
import { mapLimit } from '../../util/concurrency.js';
import { errCode, IO_CONCURRENCY, isMissing } from './io.js';
import { checkPrefix, checkRepoPath, comparePaths } from './objects.js';
import type { RepoPaths } from './repository.js';

/** @throws INVALID_STATE on a bare repository. */
export function requireWorkTree(paths: RepoPaths): void {
  if (paths.bare)
    throw new RegistryError('INVALID_STATE', `${paths.dir} is a bare repository: it has no working tree.`, {
      dir: paths.dir,
    });
}

/**
 * The first folder on the way to the work-tree path `rel` (itself excluded) that is a symbolic link, or null.
 * `memo` caches by folder.
 */
export async function linkedFolder(
  dir: string,
  rel: string,
  memo?: Map<string, Promise<string | null>>,
): Promise<string | null> {
  const parent = path.posix.dirname(rel);
  if (parent === '.' || parent === '') return null;
  let hit = memo?.get(parent);
  if (!hit) {
    hit = (async () => {
      const above = await linkedFolder(dir, parent, memo);
      if (above !== null) return above;
      const st = await fsp.lstat(path.join(dir, parent)).catch(() => undefined);
      return st?.isSymbolicLink() ? parent : null;
    })();
    memo?.set(parent, hit);
  }
  return hit;
}

/** A file of the working tree as git would commit it, or null when absent. @throws INVALID_STATE when bare. */
export async function readWorkTreeFile(paths: RepoPaths, p: string): Promise<Uint8Array | null> {
  requireWorkTree(paths);
  const rel = checkRepoPath(p);
  if ((await linkedFolder(paths.dir, rel)) !== null) return null;
  const abs = path.join(paths.dir, rel);
  try {
    const st = await fsp.lstat(abs);
    if (st.isSymbolicLink()) return await fsp.readlink(abs, { encoding: 'buffer' });
    if (!st.isFile()) return null;
    return await fsp.readFile(abs, { flag: fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) });
  } catch (e) {
    if (isMissing(e) || errCode(e) === 'EISDIR' || errCode(e) === 'ELOOP') return null;
    throw e;
  }
}

/** Files of the working tree under `prefix` ('' = all), repo-relative and sorted, without `.git`. */
export async function listWorkTreeFiles(paths: RepoPaths, prefix = ''): Promise<string[]> {
  requireWorkTree(paths);
  const p = checkPrefix(prefix);
  const out: string[] = [];
  if (p !== '' && (await linkedFolder(paths.dir, `${p}/-`)) !== null) return [];
  const top = await fsp.lstat(path.join(paths.dir, p)).catch(() => undefined);
  if (!top) return [];
  if (!top.isDirectory()) return [p];
  let level = [p];
  while (level.length > 0) {
    const next: string[] = [];
    await mapLimit(level, IO_CONCURRENCY, async (d) => {
      const dirents = await fsp.readdir(path.join(paths.dir, d), { withFileTypes: true }).catch(() => []);
      for (const de of dirents) {
        if (de.name === '.git') continue;
        const rel = d === '' ? de.name : `${d}/${de.name}`;
        if (de.isDirectory()) next.push(rel);
        else if (de.isFile() || de.isSymbolicLink()) out.push(rel);
      }
    });
    level = next;
  }
  return out.sort(comparePaths);
}
