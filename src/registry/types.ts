// The library's option and result types that are not MLflow's shapes (those are in mlflow/types.ts).
import type { AtInput } from '../domain/at.js';
import type { UriResolution } from '../domain/queries.js';

export type { Lineage } from '../domain/queries.js';
import type { Author } from './config.js';
import type { KeepSettings } from './write.js';

export interface RegistryOptions {
  /** Commit author; default MREG_AUTHOR_NAME/EMAIL, then git config. */
  author?: Partial<Author>;
  /** Branch to read and write; default the checked-out branch, else `main`. */
  branch?: string;
  /** false: writes edit the working tree only (`--no-commit`), and reads see the working tree. */
  commit?: boolean;
  /** Push every write to this remote (true = `origin`), re-applying it on the new head when another writer got there first. */
  push?: boolean | string;
  /** The URL of that remote, when the repository does not configure it. */
  pushUrl?: string;
  /** Milliseconds since the epoch; injected for deterministic tests. */
  clock?: () => number;
  /** How many times a write is re-planned after losing a race (ref moved, push rejected). */
  maxAttempts?: number;
  lockTimeoutMs?: number;
  /** The branch that `protected` policies judge a write by; default the branch written to. */
  policyBranch?: string;
  /**
   * Model versions returned carry mreg's lineage keys after MLflow's fields: `digest`, `code_commit`,
   * `dataset`, `user_id` ('' when unknown). Off by default, so results keep MLflow's exact shape.
   */
  lineage?: boolean;
  /**
   * Reads see the registry as of this commit, ref or time (the rule of `commitAt`) instead of the branch head;
   * writes still plan on the branch head.
   */
  at?: AtInput;
  /**
   * A long-lived writer (what `mreg gateway` runs): the branch's state stays in memory and the commits of writes
   * that arrive together are chained under one ref update, each its own commit — through the same planners,
   * checks, policies and messages as any write.
   */
  keep?: KeepSettings;
}

export interface SearchOptions {
  filterString?: string | null;
  /** Alias of filterString, as REST calls it. */
  filter?: string | null;
  maxResults?: number | string | null;
  orderBy?: string[] | string | null;
  pageToken?: string | null;
}

export interface ResolvedUri extends UriResolution {
  uri: string;
  /** The commit the answer was read from. */
  commit: string | null;
}

/** A commit as `history` and `getCommit` describe it. */
export interface CommitSummary {
  commit: string;
  parents: string[];
  /** Committer time (when it landed on the branch), ms since the epoch. */
  time: number;
  author: { name: string; email: string };
  message: string;
}

export interface HistoryQuery {
  /** Only commits that touch this model (followed across renames). */
  model?: string;
  /** With `model`: only operations on this version of it. */
  version?: string | number;
  /** At most this many entries. */
  limit?: number;
  /** Start from this commit or ref instead of the branch head. */
  ref?: string;
}
