// What the web UI (src/daemon/ui/) gets from the daemon: the served state and history, never a way to write.
import type { GitReader } from '../store/git/reader.js';
import type { Loaded } from '../store/load.js';

/** One loaded, checked commit as the daemon serves it. */
export interface Served {
  readonly commit: string;
  readonly loaded: Loaded;
  /** When it was swapped in (epoch ms). */
  readonly loadedAt: number;
}

export interface UiDeps {
  /** The state this request is answered from: read once per request, so a page never mixes two commits. */
  current(): Served;
  /** The registry as of a commit, a ref or a time (ISO-8601 or epoch ms), cached by commit. */
  at(at: string): Promise<Served>;
  /** For history (log, blobs at a commit): read functions only. */
  repo: GitReader;
  branch: string;
}
