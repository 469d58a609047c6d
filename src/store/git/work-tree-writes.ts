// Writing work-tree files: each one atomically (a temp file renamed into place), never through a linked
// folder (it could point outside the repository), and never over an untracked file or folder in the way.
import { randomBytes } from 'node:crypto';
import { promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { RegistryError } from '../../errors.js';
import { mapLimit } from '../../util/concurrency.js';
import { errCode, IO_CONCURRENCY } from './io.js';
import { checkRepoPath } from './objects.js';
import type { RepoPaths } from './repository.js';
import { linkedFolder, requireWorkTree } from './work-tree.js';
import type { ChangeSet } from './write-context.js';

async function refuseLinkedFolder(dir: string, rel: string): Promise<void> {
  const link = await linkedFolder(dir, rel);
  if (link !== null) {
    throw new RegistryError(
      'INVALID_STATE',
      `Cannot write '${rel}': '${link}' is a symbolic link, and mreg never writes through one (it could point outside the repository).`,
      { path: rel, link },
    );
  }
}

/** Writes a work-tree file atomically: a temp file in `<gitdir>/mreg-tmp` renamed into place. Returns its lstat. */
export async function writeWorkFile(
  paths: RepoPaths,
  rel: string,
  data: Uint8Array,
  mode: string,
): Promise<BigIntStats> {
  await refuseLinkedFolder(paths.dir, rel);
  const abs = path.join(paths.dir, rel);
  try {
    await fsp.mkdir(path.dirname(abs), { recursive: true });
  } catch (e) {
    throw new RegistryError(
      'INVALID_STATE',
      `Cannot create the directory of '${rel}': an untracked file is in the way.`,
      { path: rel },
      { cause: e },
    );
  }
  // Temp files live in the git directory: a crash leaves them out of `git status`, and the next stale-lock
  // takeover deletes them. Same file system as the work tree in every normal layout (EXDEV falls back).
  const tmpDir = path.join(paths.gitdir, 'mreg-tmp');
  await fsp.mkdir(tmpDir, { recursive: true });
  let tmp = path.join(tmpDir, randomBytes(8).toString('hex'));
  const create = async (file: string): Promise<void> => {
    if (mode === '120000') await fsp.symlink(Buffer.from(data).toString(), file);
    else await fsp.writeFile(file, data, { mode: mode === '100755' ? 0o777 : 0o666, flag: 'wx' });
  };
  await create(tmp);
  try {
    await fsp.rename(tmp, abs);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    if (errCode(e) === 'EXDEV') {
      tmp = `${abs}.mreg-${randomBytes(4).toString('hex')}.tmp`;
      await create(tmp);
      await fsp.rename(tmp, abs);
    } else if (errCode(e) === 'EISDIR' || errCode(e) === 'ENOTEMPTY' || errCode(e) === 'EEXIST') {
      throw new RegistryError(
        'INVALID_STATE',
        `Cannot write '${rel}': an untracked directory is in the way.`,
        { path: rel },
        { cause: e },
      );
    } else {
      throw e;
    }
  }
  return fsp.lstat(abs, { bigint: true });
}

/** Removes directories left empty by deletions, deepest first, up to (not including) the work tree root. */
export async function pruneEmptyDirs(dir: string, deleted: readonly string[]): Promise<void> {
  const dirs = new Set<string>();
  for (const p of deleted) {
    const d = path.posix.dirname(p);
    if (d !== '.') dirs.add(d);
  }
  const sorted = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1));
  const done = new Set<string>();
  for (const start of sorted) {
    let d = start;
    while (d !== '.' && !done.has(d)) {
      done.add(d);
      try {
        await fsp.rmdir(path.join(dir, d));
      } catch {
        break; // not empty (or already gone): its parents are not empty either
      }
      d = path.posix.dirname(d);
    }
  }
}

/**
 * For --no-commit: applies the changes to the working tree files only (not the index, not the ref).
 * A null deletes the file or the whole directory, then any directory left empty.
 * @throws INVALID_STATE on a bare repository.
 */
export async function writeWorkTree(paths: RepoPaths, changes: ChangeSet): Promise<void> {
  requireWorkTree(paths);
  const entries = [...changes].map(([p, c]) => [checkRepoPath(p), c] as const);
  for (const [p] of entries) await refuseLinkedFolder(paths.dir, p);
  const deletions = entries.filter(([, c]) => c === null).map(([p]) => p);
  for (const p of deletions) await fsp.rm(path.join(paths.dir, p), { recursive: true, force: true });
  await pruneEmptyDirs(paths.dir, deletions);
  await mapLimit(
    entries.filter((e): e is readonly [string, Uint8Array] => e[1] !== null),
    IO_CONCURRENCY,
    async ([p, c]) => {
      const st = await fsp.lstat(path.join(paths.dir, p)).catch(() => undefined);
      const executable = st?.isFile() && (st.mode & 0o100) !== 0;
      await writeWorkFile(paths, p, c, executable ? '100755' : '100644');
    },
  );
}
