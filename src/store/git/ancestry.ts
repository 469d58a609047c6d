// Questions about the commit graph, each answered here once: is one commit an ancestor of another, what is
// their merge base, which commit was a branch's head at a moment, which commits one side has that the
// other lacks. The registry's push loop, `mreg validate --base`, `mreg diff`, `--at`/`?at=` and push all
// ask through these.
import { mapLimit } from '../../util/concurrency.js';
import { IO_CONCURRENCY } from './io.js';
import type { ObjectReader } from './object-reader.js';

/** Clock-skew allowance when pruning by committer time, as git's own. */
const SKEW_SLOP_S = 86_400;

/**
 * Whether `ancestor` is reachable from `descendant` (a commit is its own ancestor). The walk stops below
 * the ancestor's committer time (less a day of clock-skew slop), so a "no" costs the distance in time,
 * not the whole history.
 */
export async function isAncestor(objects: ObjectReader, ancestor: string, descendant: string): Promise<boolean> {
  const floor = (await objects.readCommit(ancestor)).committer.timestamp - SKEW_SLOP_S;
  const seen = new Set<string>([descendant]);
  let frontier = [descendant];
  while (frontier.length > 0) {
    if (frontier.includes(ancestor)) return true;
    const infos = await mapLimit(frontier, IO_CONCURRENCY, (o) => objects.readCommit(o));
    const next: string[] = [];
    for (const c of infos) {
      for (const p of c.parents) {
        if (seen.has(p)) continue;
        seen.add(p);
        const pc = await objects.readCommit(p);
        if (p === ancestor || pc.committer.timestamp >= floor) next.push(p);
      }
    }
    frontier = next;
  }
  return false;
}

/**
 * The best common ancestor of two commits (what `git merge-base` prints), or null when they share none.
 * Walks both histories newest-first, so the cost follows the distance to the fork point.
 */
export async function mergeBase(objects: ObjectReader, a: string, b: string): Promise<string | null> {
  if (a === b) return a;
  const flags = new Map<string, number>();
  const time = new Map<string, number>();
  const queue: string[] = [];
  const push = async (oid: string, flag: number): Promise<void> => {
    const had = flags.get(oid) ?? 0;
    if ((had & flag) === flag) return;
    flags.set(oid, had | flag);
    if (!time.has(oid)) time.set(oid, (await objects.readCommit(oid)).committer.timestamp);
    if (!queue.includes(oid)) queue.push(oid);
  };
  await push(a, 1);
  await push(b, 2);
  while (queue.length) {
    // The newest commit first, as git's paint-down does; ties by oid keep it deterministic.
    queue.sort((x, y) => time.get(y)! - time.get(x)! || (x < y ? -1 : 1));
    const oid = queue.shift()!;
    const f = flags.get(oid)!;
    if (f === 3) return oid;
    for (const p of (await objects.readCommit(oid)).parents) await push(p, f);
  }
  return null;
}

/**
 * The newest commit on `tip`'s first-parent line (the branch's own timeline) made at or before `whenMs`
 * (committer time), or null when there is none within `maxWalk` commits.
 */
export async function commitAtTime(
  objects: ObjectReader,
  tip: string,
  whenMs: number,
  maxWalk = Infinity,
): Promise<string | null> {
  let oid: string | undefined = tip;
  for (let i = 0; oid && i < maxWalk; i++) {
    const c = await objects.readCommit(oid);
    if (c.committer.timestamp * 1000 <= whenMs) return oid;
    oid = c.parents[0];
  }
  return null;
}
