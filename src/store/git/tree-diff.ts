// Differences between two trees: a merge of both sides' sorted entries that skips equal subtrees, so a
// one-file change in a 100k-file registry reads a handful of trees (gotcha 9: git.walk visits them all).
import type { ObjectReader } from './object-reader.js';
import { comparePaths, compareTreeNames, type TreeEntry } from './objects.js';

export interface FileChange {
  path: string;
  /** Blob oid before, or null when the path was absent. */
  before: string | null;
  /** Blob oid after, or null when the path is gone. */
  after: string | null;
}

/** A file-level change with modes (what the write side needs to update a work tree and an index). */
export interface FileOp {
  path: string;
  oid: string | null;
  mode: string | null;
  oldOid: string | null;
  oldMode: string | null;
}

/** Changes between two root trees (null = empty) below `p` ('' = all), in `git diff-tree -r` order. */
export async function diffTrees(
  objects: ObjectReader,
  oldRoot: string | null,
  newRoot: string | null,
  p: string,
): Promise<FileOp[]> {
  const [ea, eb] = await Promise.all([
    oldRoot === null ? null : objects.entryAt(oldRoot, p),
    newRoot === null ? null : objects.entryAt(newRoot, p),
  ]);
  const out: FileOp[] = [];
  await diffEntries(objects, ea, eb, p, out);
  return out.sort((x, y) => comparePaths(x.path, y.path));
}

/** The changes below any of `paths` (prefixes) between two root trees, without modes, in path order. */
export async function changesUnder(
  objects: ObjectReader,
  oldRoot: string | null,
  newRoot: string,
  paths: readonly string[],
): Promise<FileChange[]> {
  if (oldRoot === newRoot) return [];
  const byPath = new Map<string, FileChange>();
  for (const p of paths) {
    for (const o of await diffTrees(objects, oldRoot, newRoot, p))
      byPath.set(o.path, { path: o.path, before: o.oldOid, after: o.oid });
  }
  return [...byPath.values()].sort((x, y) => comparePaths(x.path, y.path));
}

async function diffEntries(
  objects: ObjectReader,
  a: TreeEntry | null,
  b: TreeEntry | null,
  p: string,
  out: FileOp[],
): Promise<void> {
  if (a && b && a.oid === b.oid && a.mode === b.mode) return;
  const aTree = a?.type === 'tree';
  const bTree = b?.type === 'tree';
  if (aTree && bTree) return diffTreeObjects(objects, a.oid, b.oid, p === '' ? '' : p + '/', out);
  const tasks: Array<Promise<void>> = [];
  const aFile = a && !aTree ? a : null;
  const bFile = b && !bTree ? b : null;
  if (aFile || bFile) {
    out.push({
      path: p,
      oldOid: aFile?.oid ?? null,
      oldMode: aFile?.mode ?? null,
      oid: bFile?.oid ?? null,
      mode: bFile?.mode ?? null,
    });
  }
  const sub = p === '' ? '' : p + '/';
  if (aTree)
    tasks.push(
      objects
        .listTree(a.oid, sub, true)
        .then(
          (files) =>
            void files.forEach((f) =>
              out.push({ path: f.path, oldOid: f.oid, oldMode: f.mode, oid: null, mode: null }),
            ),
        ),
    );
  if (bTree)
    tasks.push(
      objects
        .listTree(b.oid, sub, true)
        .then(
          (files) =>
            void files.forEach((f) =>
              out.push({ path: f.path, oldOid: null, oldMode: null, oid: f.oid, mode: f.mode }),
            ),
        ),
    );
  await Promise.all(tasks);
}

async function diffTreeObjects(
  objects: ObjectReader,
  aOid: string,
  bOid: string,
  prefix: string,
  out: FileOp[],
): Promise<void> {
  const [as, bs] = await Promise.all([objects.treeEntries(aOid), objects.treeEntries(bOid)]);
  const tasks: Array<Promise<void>> = [];
  let i = 0;
  let j = 0;
  // Both lists are in git's tree order; a name that changed type sorts apart and yields a delete + an add.
  while (i < as.length || j < bs.length) {
    const x = as[i];
    const y = bs[j];
    const c = !x ? 1 : !y ? -1 : compareTreeNames(x.path, x.type === 'tree', y.path, y.type === 'tree');
    if (c === 0) {
      i++;
      j++;
      if (x!.oid !== y!.oid || x!.mode !== y!.mode) tasks.push(diffEntries(objects, x!, y!, prefix + x!.path, out));
    } else if (c < 0) {
      i++;
      tasks.push(diffEntries(objects, x!, null, prefix + x!.path, out));
    } else {
      j++;
      tasks.push(diffEntries(objects, null, y!, prefix + y!.path, out));
    }
  }
  await Promise.all(tasks);
}
