// The state being served, swapped atomically. A handler reads `current` once and answers the whole
// request from that one object, so no response mixes two commits.
import type { Problem } from '../errors.js';
import type { Served } from './ui-deps.js';

/** Why the branch tip is not being served. */
export interface ReloadFailure {
  /** The commit that failed (null when the branch could not be read at all). */
  readonly commit: string | null;
  readonly at: number;
  readonly message: string;
  readonly problems: readonly Problem[];
}

export class StateHolder {
  private served: Served | undefined;
  private failure: ReloadFailure | undefined;
  private readonly listeners: Array<(s: Served) => void> = [];

  /** undefined until the first good load. */
  get current(): Served | undefined {
    return this.served;
  }

  /** The last reload's failure, cleared by the next successful swap. */
  get lastError(): ReloadFailure | undefined {
    return this.failure;
  }

  swap(next: Served): void {
    this.served = next;
    this.failure = undefined;
    for (const l of this.listeners) l(next);
  }

  fail(failure: ReloadFailure): void {
    this.failure = failure;
  }

  onSwap(listener: (s: Served) => void): void {
    this.listeners.push(listener);
  }
}
