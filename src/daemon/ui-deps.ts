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

/** What a reader of any page must know about what is served: a skipped tip, and for a replica, what it follows. */
export interface ServingStatus {
  /** The branch tip could not be served (it failed validation or could not be read): the last good commit is. */
  readonly skipped?: {
    /** The commit that was skipped (null when the branch could not be read at all). */
    readonly commit: string | null;
    readonly at: number;
    readonly message: string;
  };
  /** A replica (`serve --remote`): the remote it follows (secrets redacted) and its last fetch. */
  readonly replica?: {
    readonly url: string;
    readonly intervalS: number;
    /** The last fetch that succeeded, and the last one tried (epoch ms; null before the first). */
    readonly lastFetchedAt: number | null;
    readonly lastTriedAt: number | null;
    /** Why the last fetch failed (redacted), when it did. */
    readonly lastError?: string;
  };
}

export interface UiDeps {
  /** The state this request is answered from: read once per request, so a page never mixes two commits. */
  current(): Served;
  /** The registry as of a commit, a ref or a time (ISO-8601 or epoch ms), cached by commit. */
  at(at: string): Promise<Served>;
  /** For history (log, blobs at a commit): read functions only. */
  repo: GitReader;
  branch: string;
  /** A skipped tip, and what a replica follows: shown on every page. */
  status?(): ServingStatus;
}
