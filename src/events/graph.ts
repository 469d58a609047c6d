// The commit graph as the event log walks it: ranges (`git rev-list TIP ^EXCLUDE`), merge bases, and the one
// order events come in. Walks go newest-first by committer time and stop once only excluded commits are left,
// so their cost follows the distance to what is excluded, not the history's length.
import type { HistorySource } from './source.js';

/** A max-heap of commits by committer time (ties by oid, so walks are deterministic). */
class TimeHeap {
  private readonly a: Array<{ oid: string; t: number }> = [];
  get size(): number {
    return this.a.length;
  }
  private less(i: number, j: number): boolean {
    const x = this.a[i]!;
    const y = this.a[j]!;
    return x.t !== y.t ? x.t < y.t : x.oid > y.oid;
  }
  push(oid: string, t: number): void {
    const a = this.a;
    a.push({ oid, t });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(p, i)) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): string | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(m, l)) m = l;
        if (r < a.length && this.less(m, r)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top.oid;
  }
}

/** Extra commits examined after only excluded ones are queued: covers clock skew, as git's walk does. */
const SLOP = 8;

/**
 * A newest-first walk that paints commits with colour bits and propagates them to parents; `settled`
 * bits are the ones that no longer matter (excluded, below a merge base). It stops once every queued
 * commit carries one of them, plus a few commits of slop.
 */
async function paint(
  src: HistorySource,
  starts: ReadonlyArray<readonly [string, number]>,
  settled: number,
  onPop: (oid: string, flags: number) => number,
): Promise<Map<string, number>> {
  const flags = new Map<string, number>();
  const heap = new TimeHeap();
  const queued = new Set<string>();
  let live = 0;
  const mark = async (oid: string, flag: number): Promise<void> => {
    const had = flags.get(oid) ?? 0;
    const now = had | flag;
    if (now === had) return;
    flags.set(oid, now);
    if (queued.has(oid)) {
      if (!(had & settled) && now & settled) live--;
      return;
    }
    // (A commit walked before that gains a colour is walked again, to pass the colour on.)
    queued.add(oid);
    if (!(now & settled)) live++;
    heap.push(oid, (await src.readCommit(oid)).committer.timestamp);
  };
  for (const [oid, flag] of starts) await mark(oid, flag);
  let slop = SLOP;
  while (heap.size > 0) {
    if (live === 0 && slop-- <= 0) break;
    const oid = heap.pop()!;
    queued.delete(oid);
    const f = flags.get(oid)!;
    if (!(f & settled)) live--;
    const pass = onPop(oid, f);
    if (pass !== f) flags.set(oid, pass);
    for (const p of (await src.readCommit(oid)).parents) await mark(p, pass);
  }
  return flags;
}

/**
 * Commits reachable from `tip` and not from any of `exclude` (null entries are ignored), as
 * `git rev-list TIP ^EXCLUDE…` lists them.
 */
export async function rangeCommits(
  src: HistorySource,
  tip: string,
  exclude: ReadonlyArray<string | null>,
): Promise<Set<string>> {
  const IN = 1;
  const OUT = 2;
  const starts: Array<[string, number]> = [[tip, IN]];
  for (const e of exclude) if (e) starts.push([e, OUT]);
  const flags = await paint(src, starts, OUT, (_oid, f) => (f & OUT ? OUT : IN));
  const out = new Set<string>();
  for (const [oid, f] of flags) if (f === IN) out.add(oid);
  return out;
}

/** Whether `ancestor` is `descendant` or one of its ancestors. */
export async function isAncestor(src: HistorySource, ancestor: string, descendant: string): Promise<boolean> {
  if (ancestor === descendant) return true;
  return !(await rangeCommits(src, ancestor, [descendant])).has(ancestor);
}

/** The best common ancestor of two commits (what `git merge-base` prints), or null when they share none. */
export async function mergeBase(src: HistorySource, a: string, b: string): Promise<string | null> {
  if (a === b) return a;
  const STALE = 4;
  const found: string[] = [];
  await paint(
    src,
    [
      [a, 1],
      [b, 2],
    ],
    STALE,
    (oid, f) => {
      if ((f & 3) === 3 && !(f & STALE)) {
        // Newest first, so the first common commit found is a best one; everything below it is stale.
        found.push(oid);
        return f | STALE;
      }
      return f;
    },
  );
  return found[0] ?? null;
}

/**
 * The order events come in, for the commits of `range` reachable from `tip`: oldest first, parents before
 * children — the tip's first-parent line oldest first, with the commits a merge brings in placed just before
 * the merge (in the same order, recursively). Appending commits to the branch appends to this order.
 */
export async function linearize(src: HistorySource, tip: string, range: ReadonlySet<string>): Promise<string[]> {
  const out: string[] = [];
  const done = new Set<string>();
  const visit = async (start: string): Promise<void> => {
    const chain: string[] = [];
    for (let c: string | undefined = start; c && range.has(c) && !done.has(c);) {
      chain.push(c);
      c = (await src.readCommit(c)).parents[0];
    }
    for (const c of chain.reverse()) {
      for (const p of (await src.readCommit(c)).parents.slice(1)) await visit(p);
      done.add(c);
      out.push(c);
    }
  };
  await visit(tip);
  return out;
}

/** The newest commit on `tip`'s first-parent line made at or before `time` (ms), or null. */
export async function firstParentAt(src: HistorySource, tip: string, time: number): Promise<string | null> {
  for (let c: string | undefined = tip; c;) {
    const info = await src.readCommit(c);
    if (info.committer.timestamp * 1000 <= time) return c;
    c = info.parents[0];
  }
  return null;
}

/** The first commit on `tip`'s first-parent line that is outside `range` (reachable from what the range excludes). */
export async function firstParentExit(
  src: HistorySource,
  tip: string,
  range: ReadonlySet<string>,
): Promise<string | null> {
  for (let c: string | undefined = tip; c; c = (await src.readCommit(c)).parents[0]) if (!range.has(c)) return c;
  return null;
}
