// A least-recently-used map bounded by a total weight (each entry weighs 1 unless told otherwise).
export class Lru<V> {
  private readonly map = new Map<string, { v: V; w: number }>();
  private weight = 0;

  constructor(private readonly capacity: number) {}

  get(k: string): V | undefined {
    const hit = this.map.get(k);
    if (!hit) return undefined;
    this.map.delete(k);
    this.map.set(k, hit);
    return hit.v;
  }

  delete(k: string): void {
    const old = this.map.get(k);
    if (!old) return;
    this.weight -= old.w;
    this.map.delete(k);
  }

  set(k: string, v: V, w = 1): void {
    const old = this.map.get(k);
    if (old) {
      this.weight -= old.w;
      this.map.delete(k);
    }
    this.map.set(k, { v, w });
    this.weight += w;
    for (const [key, val] of this.map) {
      if (this.weight <= this.capacity || this.map.size <= 1) break;
      this.map.delete(key);
      this.weight -= val.w;
    }
  }
}
