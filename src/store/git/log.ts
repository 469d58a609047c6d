// `git log` with path filters: history newest first by committer time, streamed.
import { CommitHeap } from './commit-heap.js';
import type { ObjectReader } from './object-reader.js';
import type { CommitInfo } from './objects.js';
import { changesUnder, type FileChange } from './tree-diff.js';

export type LogEntry = CommitInfo & { changes?: FileChange[] };

/**
 * History from commit `start`, newest first by committer time; a commit is never yielded before a child of
 * it that is known at that point. With `paths` (checked prefixes), only commits whose diff against their
 * first parent touches one of them, with those `changes`. Memory stays proportional to the walk's frontier,
 * not to the history.
 */
export async function* log(
  objects: ObjectReader,
  start: string,
  opts: { paths?: readonly string[]; limit?: number } = {},
): AsyncGenerator<LogEntry> {
  const paths = opts.paths;
  const limit = opts.limit ?? Infinity;
  if (limit <= 0) return;
  const heap = new CommitHeap();
  const seen = new Set<string>();
  /** Unyielded commits in the heap that list this oid as a parent. */
  const pendingChildren = new Map<string, number>();
  const deferred = new Map<string, { info: CommitInfo; rank: number }>();
  const enqueue = async (oid: string, cap: number): Promise<void> => {
    if (seen.has(oid)) return;
    seen.add(oid);
    const info = await objects.readCommit(oid);
    for (const p of info.parents) pendingChildren.set(p, (pendingChildren.get(p) ?? 0) + 1);
    heap.push({ info, rank: Math.min(info.committer.timestamp, cap) });
  };
  await enqueue(start, Infinity);
  let yielded = 0;
  while (heap.size > 0 && yielded < limit) {
    const item = heap.pop()!;
    const { info } = item;
    if ((pendingChildren.get(info.oid) ?? 0) > 0) {
      // A child is still queued (clock skew made it look older): wait for it.
      deferred.set(info.oid, item);
      continue;
    }
    for (const p of info.parents) {
      const left = (pendingChildren.get(p) ?? 1) - 1;
      if (left > 0) pendingChildren.set(p, left);
      else {
        pendingChildren.delete(p);
        const waiting = deferred.get(p);
        if (waiting) {
          deferred.delete(p);
          heap.push({ info: waiting.info, rank: Math.min(waiting.rank, item.rank) });
        }
      }
    }
    await Promise.all(info.parents.map((p) => enqueue(p, item.rank)));
    if (!paths) {
      yielded++;
      yield info;
      continue;
    }
    const parentTree = info.parents[0] ? (await objects.readCommit(info.parents[0])).tree : null;
    const changes = await changesUnder(objects, parentTree, info.tree, paths);
    if (changes.length === 0) continue;
    yielded++;
    yield { ...info, changes };
  }
}
