// A commit made from a set of file changes: the new blobs, only the trees on the changed paths (a 100k-file
// registry rewrites four trees, not ten thousand; gotcha 4 of the isomorphic-git measurements), the commit,
// then the branch moved by compare-and-swap (move-branch.ts). Nothing references the new objects until the
// ref moves, so a crash before that leaves only garbage for `git gc`.
import { RegistryError } from '../../errors.js';
import { moveBranch } from './move-branch.js';
import {
  checkBranchName,
  checkRepoPath,
  compareTreeNames,
  comparePaths,
  findEntry,
  findEntryIndex,
  OID_RE,
  patchTreeBody,
  type Signature,
  type TreeEntry,
} from './objects.js';
import type { FileOp } from './tree-diff.js';
import type { ChangeSet, WriteContext } from './write-context.js';

interface ChangeNode {
  children: Map<string, ChangeNode>;
  write?: Uint8Array;
  remove?: boolean;
}

/**
 * Commits `changes` on top of `parent` and compare-and-swaps refs/heads/<branch> from `parent` to the new
 * commit. The caller holds withWriteLock. Returns the new commit oid.
 *
 * Only the trees on changed paths are rewritten; deletions that empty a directory remove it from its
 * parent. When the repository has a work tree with `branch` checked out, the changed files and the
 * index are updated too, so `git status` stays clean and native commits see our files.
 * @throws RESOURCE_CONFLICT when the branch no longer points at `parent` (nothing is changed then).
 * @throws INVALID_STATE when a changed path has uncommitted edits in the checkout (nothing is changed then).
 */
export async function commit(
  w: WriteContext,
  opts: {
    branch: string;
    parent: string | null;
    changes: ChangeSet;
    message: string;
    author: Signature;
    committer?: Signature;
  },
): Promise<string> {
  const branch = checkBranchName(opts.branch);
  const built = await buildCommit(w, opts);
  const committer = opts.committer ?? opts.author;
  const subject = opts.message.split('\n', 1)[0] ?? '';
  await moveBranch(w, {
    branch,
    expected: opts.parent,
    newOid: built.oid,
    newTree: built.root,
    ops: [...built.ops.values()].sort((x, y) => comparePaths(x.path, y.path)),
    content: async (op) => built.contents.get(op.path) ?? w.objects.readBlob(op.oid!),
    who: committer,
    reflog: `commit${opts.parent === null ? ' (initial)' : ''}: ${subject}`,
  });
  return built.oid;
}

/**
 * Writes the objects of a commit of `changes` on top of `parent` — blobs, the trees on changed paths, the
 * commit — through `w.writer` (which may keep them in memory until a flush) and returns its oid, moving no
 * ref: a long-lived writer chains several commits and publishes them with one ref update.
 */
export async function writeCommit(
  w: WriteContext,
  opts: { parent: string | null; changes: ChangeSet; message: string; author: Signature; committer?: Signature },
): Promise<string> {
  return (await buildCommit(w, opts)).oid;
}

async function buildCommit(
  w: WriteContext,
  opts: { parent: string | null; changes: ChangeSet; message: string; author: Signature; committer?: Signature },
): Promise<{ oid: string; root: string; ops: Map<string, FileOp>; contents: Map<string, Uint8Array> }> {
  if (opts.parent !== null && !OID_RE.test(opts.parent))
    throw RegistryError.invalid(`Invalid parent commit '${opts.parent}'.`);
  const tree = buildChangeTree(opts.changes);
  const parentTree = opts.parent === null ? null : (await w.objects.readCommit(opts.parent)).tree;

  // Objects: blobs, the trees on changed paths, the commit. Unreferenced until the ref moves, so a crash
  // here leaves only garbage that `git gc` prunes.
  const ops = new Map<string, FileOp>();
  const contents = new Map<string, Uint8Array>();
  const root =
    (await buildTree(w, parentTree, tree, '', ops, contents)) ?? (await w.writer.write('tree', Buffer.alloc(0)));
  const oid = await w.writer.writeCommit({
    tree: root,
    parents: opts.parent === null ? [] : [opts.parent],
    author: opts.author,
    committer: opts.committer ?? opts.author,
    message: opts.message,
  });
  return { oid, root, ops, contents };
}

/**
 * Rewrites the tree `oldOid` (null = none) with the changes below `node`; returns the new oid, or null
 * when the tree ends up empty. Records every file-level change in `ops` (deleted subtrees file by file).
 */
async function buildTree(
  w: WriteContext,
  oldOid: string | null,
  node: ChangeNode,
  prefix: string,
  ops: Map<string, FileOp>,
  contents: Map<string, Uint8Array>,
): Promise<string | null> {
  const old = oldOid === null ? [] : await w.objects.treeEntries(oldOid);
  const edits = new Map<string, TreeEntry | null>();
  const record = (op: FileOp): void => {
    const prev = ops.get(op.path);
    // A subtree deleted and a file written at the same path: one op from the old to the new version.
    ops.set(op.path, prev ? { ...op, oldOid: prev.oldOid ?? op.oldOid, oldMode: prev.oldMode ?? op.oldMode } : op);
  };
  const recordDeletion = async (e: TreeEntry, p: string): Promise<void> => {
    if (e.type !== 'tree') {
      record({ path: p, oid: null, mode: null, oldOid: e.oid, oldMode: e.mode });
      return;
    }
    for (const f of await w.objects.listTree(e.oid, p + '/', true))
      record({ path: f.path, oid: null, mode: null, oldOid: f.oid, oldMode: f.mode });
  };
  await Promise.all(
    [...node.children].map(async ([name, child]) => {
      const before = findEntry(old, name);
      const p = prefix + name;
      if (child.write) {
        const oid = await w.writer.write('blob', child.write);
        const mode = before?.mode === '100755' ? '100755' : '100644';
        if (before && before.type !== 'tree' && before.oid === oid && before.mode === mode) return;
        if (before?.type === 'tree') await recordDeletion(before, p);
        const replaced = before && before.type !== 'tree' ? before : null;
        record({ path: p, oid, mode, oldOid: replaced?.oid ?? null, oldMode: replaced?.mode ?? null });
        contents.set(p, child.write);
        edits.set(name, { path: name, oid, mode, type: 'blob' });
        return;
      }
      let base: string | null = null;
      if (before) {
        if (child.remove || before.type !== 'tree') await recordDeletion(before, p);
        else base = before.oid;
      }
      const sub = child.children.size === 0 ? null : await buildTree(w, base, child, p + '/', ops, contents);
      if (before && sub === base && !child.remove && before.type === 'tree') return; // unchanged
      if (sub === null) {
        if (before) edits.set(name, null);
        return;
      }
      edits.set(name, { path: name, oid: sub, mode: '040000', type: 'tree' });
    }),
  );
  if (edits.size === 0) return oldOid;
  const edit = oldOid === null ? undefined : { fresh: notNull(edits.values()), replaces: oldOid };
  const replaced = replaceInPlace(old, edits);
  if (replaced) return w.writer.writeTree(replaced.entries, patchTreeBody(old, replaced.entries, replaced.at), edit);
  const entries = applyTreeEdits(old, edits);
  if (entries.length === 0) return null;
  return w.writer.writeTree(entries, undefined, edit);
}

/**
 * The old entries with each edit replacing an entry of the same name, kind and mode (a new id: the common case, a
 * changed file or folder), with the indexes replaced; undefined when an edit adds, removes or changes a kind/mode.
 */
function replaceInPlace(
  old: readonly TreeEntry[],
  edits: ReadonlyMap<string, TreeEntry | null>,
): { entries: TreeEntry[]; at: number[] } | undefined {
  const entries = old.slice();
  const at: number[] = [];
  for (const [name, r] of edits) {
    const i = r ? findEntryIndex(old, name) : -1;
    const e = old[i];
    if (!r || !e || e.type !== r.type || e.mode !== r.mode) return undefined;
    entries[i] = r;
    at.push(i);
  }
  return { entries, at };
}

/** The old entries with edits applied (null = remove), in git order, without re-sorting the untouched ones. */
function applyTreeEdits(old: readonly TreeEntry[], edits: ReadonlyMap<string, TreeEntry | null>): TreeEntry[] {
  const out: TreeEntry[] = [];
  const adds: TreeEntry[] = [];
  const matched = new Set<string>();
  for (const e of old) {
    if (!edits.has(e.path)) {
      out.push(e);
      continue;
    }
    matched.add(e.path);
    const r = edits.get(e.path);
    if (!r) continue;
    // Same kind keeps the same sort key, so it stays in place; a blob↔tree switch moves.
    if ((r.type === 'tree') === (e.type === 'tree')) out.push(r);
    else adds.push(r);
  }
  for (const [name, r] of edits) if (r && !matched.has(name)) adds.push(r);
  for (const a of adds) {
    let lo = 0;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = out[mid]!;
      if (compareTreeNames(m.path, m.type === 'tree', a.path, a.type === 'tree') < 0) lo = mid + 1;
      else hi = mid;
    }
    out.splice(lo, 0, a);
  }
  return out;
}

function* notNull<T>(xs: Iterable<T | null>): Iterable<T> {
  for (const x of xs) if (x !== null) yield x;
}

/** Validates a ChangeSet and arranges it as a tree of path segments. */
function buildChangeTree(changes: ChangeSet): ChangeNode {
  const root: ChangeNode = { children: new Map() };
  for (const [raw, content] of changes) {
    const p = checkRepoPath(raw);
    let node = root;
    for (const seg of p.split('/')) {
      let child = node.children.get(seg);
      if (!child) {
        child = { children: new Map() };
        node.children.set(seg, child);
      }
      node = child;
    }
    if (content === null) node.remove = true;
    else node.write = content;
  }
  const check = (node: ChangeNode, p: string): void => {
    if (node.write && node.children.size > 0) {
      throw RegistryError.invalid(`Conflicting changes: '${p}' is written as a file and has changes below it.`, {
        path: p,
      });
    }
    for (const [seg, c] of node.children) check(c, p === '' ? seg : `${p}/${seg}`);
  };
  check(root, '');
  return root;
}
