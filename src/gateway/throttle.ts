// Slows down a client that keeps presenting bad credentials: its first few failures are answered at once (a
// typo, a revoked token), then it is blocked for a time that doubles with each further failure — during which
// its credentials are not even checked (429 with Retry-After). A success clears the record; a record is
// forgotten after a quiet period, and the table is bounded, so a flood of addresses cannot grow it.

export interface ThrottleOptions {
  /** Failures answered at once. Default 5. */
  free?: number;
  /** The first block. Default 1 s. */
  baseMs?: number;
  /** The longest block. Default 60 s. */
  maxMs?: number;
  /** A client without failures for this long starts over. Default 15 min. */
  forgetMs?: number;
  /** Clients tracked at most (the oldest record goes). Default 10,000. */
  maxClients?: number;
}

interface Record {
  failures: number;
  last: number;
  until: number;
}

export class FailureThrottle {
  private readonly clients = new Map<string, Record>();
  private readonly free: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly forgetMs: number;
  private readonly maxClients: number;

  constructor(
    opts: ThrottleOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.free = opts.free ?? 5;
    this.baseMs = opts.baseMs ?? 1_000;
    this.maxMs = opts.maxMs ?? 60_000;
    this.forgetMs = opts.forgetMs ?? 15 * 60_000;
    this.maxClients = opts.maxClients ?? 10_000;
  }

  /** Milliseconds before `client` may present credentials again; 0 when it may now. */
  blockedFor(client: string): number {
    const r = this.clients.get(client);
    if (!r) return 0;
    const now = this.now();
    if (now - r.last > this.forgetMs) {
      this.clients.delete(client);
      return 0;
    }
    return Math.max(0, r.until - now);
  }

  /** Records a failure; returns the block it starts (0 while the client is within its free failures). */
  failed(client: string): number {
    const now = this.now();
    let r = this.clients.get(client);
    if (r && now - r.last > this.forgetMs) r = undefined;
    if (!r) {
      if (this.clients.size >= this.maxClients) this.clients.delete(this.clients.keys().next().value!);
      r = { failures: 0, last: now, until: 0 };
    }
    this.clients.delete(client); // re-inserted last: the map's order is the eviction order
    r.failures++;
    r.last = now;
    const over = r.failures - this.free;
    const block = over > 0 ? Math.min(this.maxMs, this.baseMs * 2 ** (over - 1)) : 0;
    r.until = now + block;
    this.clients.set(client, r);
    return block;
  }

  succeeded(client: string): void {
    this.clients.delete(client);
  }
}
