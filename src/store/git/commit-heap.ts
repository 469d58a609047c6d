// A priority queue of commits for history walks, newest (highest rank) first.
import type { CommitInfo } from './objects.js';

/** A max-heap of commits by rank (committer time, possibly capped by a child's), FIFO among equals. */
export class CommitHeap {
  private items: Array<{ info: CommitInfo; rank: number; seq: number }> = [];
  private seq = 0;
  get size(): number {
    return this.items.length;
  }
  push(x: { info: CommitInfo; rank: number }): void {
    const item = { ...x, seq: this.seq++ };
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }
  pop(): { info: CommitInfo; rank: number } | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < a.length && this.above(a[l]!, a[best]!)) best = l;
        if (r < a.length && this.above(a[r]!, a[best]!)) best = r;
        if (best === i) break;
        [a[i], a[best]] = [a[best]!, a[i]!];
        i = best;
      }
    }
    return top;
  }
  private above(x: { rank: number; seq: number }, y: { rank: number; seq: number }): boolean {
    return x.rank > y.rank || (x.rank === y.rank && x.seq < y.seq);
  }
}
