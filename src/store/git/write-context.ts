// What the write-side operations share: the read context plus an object writer and the write lock's
// tracker. Its `refs` must be a RefStore built with that tracker, so every git lock a writer takes is
// recorded for crash recovery (write-lock.ts).
import type { GitContext } from './context.js';
import type { LockTracker } from './lockfile.js';
import type { ObjectWriter } from './object-writer.js';

/** content = new file bytes; null = delete that path (a file, or a whole directory subtree). */
export type ChangeSet = Map<string, Uint8Array | null>;

export interface WriteContext extends GitContext {
  readonly writer: ObjectWriter;
  readonly tracker: LockTracker;
}
