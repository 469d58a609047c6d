// The TREE extension (cache-tree) of git's index file, patched for the paths a commit changed, as git's
// cache_tree_invalidate_path does. index-file.ts calls it for that one extension.
//
// Pre-order nodes: "<name>\0<entry_count> <subtree_count>\n" then a 20-byte oid when entry_count >= 0,
// then the subtrees. The patch is one scan that copies untouched subtrees as byte ranges: parsing the
// 20k nodes of a 10k-model index into objects cost 35-50 ms; this costs a few.

/** An index this code cannot patch (the caller rebuilds the index from the tree instead). */
export class UnsupportedIndexError extends Error {
  override readonly name = 'UnsupportedIndexError';
}

interface PathTrie {
  children: Map<string, PathTrie>;
  /** The path ends here: drop a subtree of this name (git's cache_tree_invalidate_path). */
  leaf: boolean;
}

/**
 * Invalidates each path as git's cache_tree_invalidate_path does: every directory on the way loses its
 * oid (entry_count -1) and a subtree named like the path itself is dropped.
 */
export function patchCacheTree(data: Buffer, paths: readonly string[]): Buffer {
  if (data.length === 0 || paths.length === 0) return data;
  const root: PathTrie = { children: new Map(), leaf: false };
  for (const p of paths) {
    let t = root;
    for (const seg of p.split('/')) {
      const key = Buffer.from(seg).toString('latin1');
      let next = t.children.get(key);
      if (!next) {
        next = { children: new Map(), leaf: false };
        t.children.set(key, next);
      }
      t = next;
    }
    t.leaf = true;
  }
  const out: Buffer[] = [];
  const end = patchNode(data, 0, root, out);
  if (end !== data.length) throw new UnsupportedIndexError('corrupt TREE extension');
  return Buffer.concat(out);
}

interface NodeHeader {
  nameEnd: number;
  entryCount: number;
  subtrees: number;
  /** Offset of the first subtree. */
  body: number;
}

function readHeader(data: Buffer, pos: number): NodeHeader {
  const nameEnd = data.indexOf(0, pos);
  const sp = nameEnd < 0 ? -1 : data.indexOf(0x20, nameEnd + 1);
  const nl = sp < 0 ? -1 : data.indexOf(0x0a, sp + 1);
  if (nl < 0) throw new UnsupportedIndexError('corrupt TREE extension');
  const entryCount = asciiInt(data, nameEnd + 1, sp);
  const subtrees = asciiInt(data, sp + 1, nl);
  return { nameEnd, entryCount, subtrees, body: nl + 1 + (entryCount >= 0 ? 20 : 0) };
}

function asciiInt(data: Buffer, from: number, to: number): number {
  let i = from;
  let sign = 1;
  if (data[i] === 0x2d) {
    sign = -1;
    i++;
  }
  let v = 0;
  for (; i < to; i++) {
    const c = (data[i] as number) - 0x30;
    if (c < 0 || c > 9) throw new UnsupportedIndexError('corrupt TREE extension');
    v = v * 10 + c;
  }
  return sign * v;
}

/** End offset of the subtree starting at `pos`. */
function skipNode(data: Buffer, pos: number): number {
  const h = readHeader(data, pos);
  let p = h.body;
  for (let i = 0; i < h.subtrees; i++) p = skipNode(data, p);
  return p;
}

/** Emits the invalidated node at `pos` (and its patched subtrees) into `out`; returns its end offset. */
function patchNode(data: Buffer, pos: number, trie: PathTrie, out: Buffer[]): number {
  const h = readHeader(data, pos);
  const kids: Buffer[] = [];
  let kept = 0;
  let p = h.body;
  let run = -1; // start of a run of untouched siblings, copied as one range
  for (let i = 0; i < h.subtrees; i++) {
    const nameEnd = data.indexOf(0, p);
    const t = trie.children.get(data.toString('latin1', p, nameEnd));
    if (!t) {
      if (run < 0) run = p;
      p = skipNode(data, p);
      kept++;
      continue;
    }
    if (run >= 0) kids.push(data.subarray(run, p));
    run = -1;
    if (t.leaf) {
      p = skipNode(data, p); // dropped
    } else {
      p = patchNode(data, p, t, kids);
      kept++;
    }
  }
  if (run >= 0) kids.push(data.subarray(run, p));
  out.push(data.subarray(pos, h.nameEnd), Buffer.from(`\0-1 ${kept}\n`, 'latin1'));
  for (const k of kids) out.push(k);
  return p;
}
