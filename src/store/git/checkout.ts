// Bringing a checkout along when its branch moves: the changed work-tree files and their index entries,
// under index.lock, after checking that no uncommitted edit would be overwritten. The index is patched in
// place (index-file.ts) rather than rebuilt, so a write costs what it changes; native git then sees a clean
// tree and never commits from a stale index (gotcha 18 of the isomorphic-git measurements).
//
// Before the first file is touched, the writer records what it is about to do in `mreg-checkout.json` (the
// journal); if it dies before the branch ref moves, the next writer undoes or redoes those changes.
import { randomBytes } from 'node:crypto';
import { promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { RegistryError } from '../../errors.js';
import { mapLimit } from '../../util/concurrency.js';
import {
  buildIndex,
  GitIndexFile,
  statFromStats,
  statMatches,
  UnsupportedIndexError,
  type IndexUpsert,
  type StatData,
} from './index-file.js';
import { IO_CONCURRENCY, isMissing } from './io.js';
import { GitLockFile } from './lockfile.js';
import { hashObject } from './objects.js';
import type { RepoPaths } from './repository.js';
import type { FileOp } from './tree-diff.js';
import { linkedFolder, listWorkTreeFiles } from './work-tree.js';
import { pruneEmptyDirs, writeWorkFile } from './work-tree-writes.js';
import type { WriteContext } from './write-context.js';

/** What a writer records before touching the work tree (see recoverCheckout). */
interface CheckoutJournal {
  version: 1;
  pid: number;
  branch: string;
  from: string | null;
  to: string;
  ops: FileOp[];
}

interface UpToDateContext {
  index: GitIndexFile | undefined;
  indexMtime: { sec: number; nsec: number } | undefined;
  /** Paths this update deletes. */
  deleted: ReadonlySet<string>;
  /** Whether a non-directory that this update does not delete sits at `dir` (memoised). */
  isBlockingFile(dir: string): Promise<boolean>;
  /** The first folder on the way to `rel` that is a symbolic link, or null (memoised per folder). */
  linkedFolder(rel: string): Promise<string | null>;
}

export function journalPath(paths: RepoPaths): string {
  return path.join(paths.gitdir, 'mreg-checkout.json');
}

/**
 * Repairs the checkout after a writer died between its first work-tree write and its ref rename (steps
 * 3-5 of moveBranch). It left `mreg-checkout.json`: the branch, the commits it moved from and to, and the
 * file changes. We hold the branch's ref lock, so that writer is gone; the ref tells which state won:
 * at `from`, its file and index changes are undone; at `to` (it died after the rename), they are redone.
 * Paths edited by hand since are left as they are. Without this, the half-written files would count
 * as uncommitted edits and block every later write to them.
 */
export async function recoverCheckout(w: WriteContext, branch: string, current: string | null): Promise<void> {
  const file = journalPath(w.paths);
  let journal: CheckoutJournal;
  try {
    journal = JSON.parse(await fsp.readFile(file, 'utf8')) as CheckoutJournal;
  } catch (e) {
    if (!isMissing(e)) await fsp.rm(file, { force: true });
    return;
  }
  if (journal.branch === branch && (current === journal.from || current === journal.to)) {
    const forward = current === journal.to && journal.to !== journal.from;
    const ops = forward
      ? journal.ops
      : journal.ops.map((op) => ({
          path: op.path,
          oid: op.oldOid,
          mode: op.oldMode,
          oldOid: op.oid,
          oldMode: op.mode,
        }));
    const target = forward ? journal.to : journal.from;
    const tree = target === null ? null : (await w.objects.readCommit(target)).tree;
    await updateCheckout(w, ops, (op) => w.objects.readBlob(op.oid!), tree, { lenient: true });
  }
  await fsp.rm(file, { force: true });
}

/**
 * Steps 2-4 of moveBranch: work-tree files and the index, under index.lock. With `journal`, records the
 * changes in `mreg-checkout.json` before the first file is touched (returns true then). `lenient` (for
 * recovery) skips paths with uncommitted edits instead of refusing.
 */
export async function updateCheckout(
  w: WriteContext,
  allOps: FileOp[],
  content: (op: FileOp) => Promise<Uint8Array>,
  newTree: string | null,
  opts: { journal?: { branch: string; from: string | null; to: string }; lenient?: boolean },
): Promise<boolean> {
  const { dir, gitdir } = w.paths;
  const indexPath = path.join(gitdir, 'index');
  const lock = await GitLockFile.acquire(indexPath, { tracker: w.tracker });
  let journaled = false;
  try {
    let index: GitIndexFile | undefined;
    let indexMtime: { sec: number; nsec: number } | undefined;
    try {
      const [buf, st] = await Promise.all([fsp.readFile(indexPath), fsp.stat(indexPath, { bigint: true })]);
      indexMtime = { sec: Number(st.mtimeNs / 1_000_000_000n), nsec: Number(st.mtimeNs % 1_000_000_000n) };
      index = GitIndexFile.parse(buf);
    } catch (e) {
      if (!(e instanceof UnsupportedIndexError) && !isMissing(e)) throw e;
    }

    const deleted = new Set(allOps.filter((op) => op.oid === null).map((op) => op.path));
    const fileInTheWay = new Map<string, Promise<boolean>>();
    const links = new Map<string, Promise<string | null>>();
    const ctx: UpToDateContext = {
      index,
      indexMtime,
      deleted,
      linkedFolder: (rel) => linkedFolder(dir, rel, links),
      isBlockingFile: (folder) => {
        let hit = fileInTheWay.get(folder);
        if (!hit) {
          hit = fsp.lstat(path.join(dir, folder)).then(
            (st) => !st.isDirectory() && !deleted.has(folder),
            () => false,
          );
          fileInTheWay.set(folder, hit);
        }
        return hit;
      },
    };
    const dirty = new Set(
      (
        await mapLimit(allOps, IO_CONCURRENCY, async (op) => ((await isUpToDate(w.paths, op, ctx)) ? null : op.path))
      ).filter((p): p is string => p !== null),
    );
    if (dirty.size > 0 && !opts.lenient) {
      const list = [...dirty];
      const shown = list.slice(0, 5).join(', ') + (list.length > 5 ? ` and ${list.length - 5} more` : '');
      throw new RegistryError(
        'INVALID_STATE',
        `Uncommitted changes in the working tree would be overwritten: ${shown}. Commit, stash or discard them first.`,
        { paths: list },
      );
    }
    const ops = dirty.size > 0 ? allOps.filter((op) => !dirty.has(op.path)) : allOps;
    if (opts.journal) {
      const journal: CheckoutJournal = { version: 1, pid: process.pid, ...opts.journal, ops: allOps };
      const file = journalPath(w.paths);
      const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
      await fsp.writeFile(tmp, JSON.stringify(journal));
      await fsp.rename(tmp, file);
      journaled = true;
    }

    // Deletions first (a deleted file may be where a new directory goes), then empty directories, then writes.
    const files = ops.filter((op) => op.mode !== '160000' && op.oldMode !== '160000');
    const deletions = files.filter((op) => op.oid === null);
    await mapLimit(deletions, IO_CONCURRENCY, async (op) => {
      try {
        await fsp.unlink(path.join(dir, op.path));
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
    });
    await pruneEmptyDirs(
      dir,
      deletions.map((op) => op.path),
    );
    const stats = new Map<string, StatData>();
    await mapLimit(
      files.filter((op) => op.oid !== null),
      IO_CONCURRENCY,
      async (op) => {
        const st = await writeWorkFile(w.paths, op.path, await content(op), op.mode ?? '100644');
        stats.set(op.path, statFromStats(st));
      },
    );

    let data: Buffer[];
    const upserts: IndexUpsert[] = allOps
      .filter((op) => op.oid !== null)
      .map((op) => ({
        path: op.path,
        oid: op.oid!,
        mode: parseInt(op.mode ?? '100644', 8),
        stat: stats.get(op.path) ?? null,
      }));
    if (index) {
      data = index.patchChunks(
        upserts,
        allOps.filter((op) => op.oid === null).map((op) => op.path),
      );
    } else {
      // No index yet (first commit of a fresh repository) or one we cannot patch (split/sparse index):
      // write one for the whole tree; entries we did not just write get no stat data, so git re-hashes them once.
      const all = newTree === null ? [] : await w.objects.listTree(newTree, '', true);
      data = [
        buildIndex(
          all.map((f) => ({ path: f.path, oid: f.oid, mode: parseInt(f.mode, 8), stat: stats.get(f.path) ?? null })),
        ),
      ];
    }
    // Not fsynced, like native git (core.fsync leaves the index out): it is derived data, and a torn
    // index after a power loss is rebuilt from HEAD with `git reset`.
    await lock.write(data, false);
    await lock.commit();
    return journaled;
  } catch (e) {
    await lock.rollback();
    throw e;
  }
}

/**
 * Whether a path can be overwritten without losing uncommitted work: the index holds the old (or the new)
 * version, and the work-tree file is absent, or holds the old or the new content. A directory where a
 * file goes must hold only files this update deletes; no untracked file may sit where a directory goes.
 */
async function isUpToDate(paths: RepoPaths, op: FileOp, ctx: UpToDateContext): Promise<boolean> {
  if (op.mode === '160000' || op.oldMode === '160000') return true;
  // Below a linked folder the path is not in the work tree at all: fine when this update removes the link
  // (git has it as a file), never to be written or deleted through otherwise.
  const link = await ctx.linkedFolder(op.path);
  if (link !== null) return ctx.deleted.has(link);
  const entry = ctx.index?.lookup(op.path);
  if (ctx.index) {
    const staged = entry?.oid ?? null;
    if (staged !== op.oldOid && staged !== op.oid) return false;
  }
  if (op.oid !== null && op.oldOid === null) {
    for (let s = op.path.indexOf('/'); s >= 0; s = op.path.indexOf('/', s + 1)) {
      if (await ctx.isBlockingFile(op.path.slice(0, s))) return false;
    }
  }
  const abs = path.join(paths.dir, op.path);
  let st: BigIntStats;
  try {
    st = await fsp.lstat(abs, { bigint: true });
  } catch (e) {
    if (isMissing(e)) return true;
    throw e;
  }
  if (st.isDirectory()) {
    if (op.oid === null) return false;
    const inside = await listWorkTreeFiles(paths, op.path);
    return inside.every((f) => ctx.deleted.has(f));
  }
  if (entry && statMatches(entry, st, ctx.indexMtime)) return true;
  const data = st.isSymbolicLink() ? Buffer.from(await fsp.readlink(abs)) : await fsp.readFile(abs);
  const h = hashObject('blob', data);
  return h === op.oldOid || h === op.oid;
}
