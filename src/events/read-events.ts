// The library's events: `readEvents(dir, options)` gives what `mreg events` prints, oldest first, optionally
// following the branch as it moves.
import { RegistryError } from '../errors.js';
import { GitReader } from '../store/git/reader.js';
import { EventLog, afterCommit, concernsModel, type Position } from './log.js';
import type { EventType, RegistryEvent } from './types.js';
import { waitForMove } from './watch.js';

export interface ReadEventsOptions {
  /** The branch whose history is read; default the checked-out branch, else `main`. */
  branch?: string;
  /** An event id (everything after it), a revision (`git log REV..`) or a time (ISO-8601 or epoch ms). */
  since?: string;
  /** Read up to this revision instead of the branch tip (not with `follow`). */
  until?: string;
  /** Only events of this model (a rename counts for its old and new name). */
  model?: string;
  /** Only these event types. */
  types?: readonly EventType[];
  /** Keep reading as the branch moves, until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  /** With `follow`: the backstop poll of the branch (the ref folder is also watched). Default 1000 ms. */
  pollMs?: number;
}

/**
 * The registry's events, oldest first. @throws INVALID_PARAMETER_VALUE for a `since`/`until` that names
 * nothing, INVALID_STATE for a branch without commits.
 * @example for await (const e of readEvents('registry', { since: 'main~10', model: 'fraud' })) console.log(e.type);
 */
export async function* readEvents(dir: string, opts: ReadEventsOptions = {}): AsyncGenerator<RegistryEvent> {
  if (opts.follow && opts.until !== undefined) throw RegistryError.invalid('until cannot be combined with follow.');
  const repo = await GitReader.open(dir, { discover: true });
  const branch = opts.branch ?? (await repo.currentBranch()) ?? 'main';
  const log = new EventLog(repo);
  const head = async (): Promise<string | null> => repo.resolveBranch(branch);
  let tip = opts.until !== undefined ? await log.revision(opts.until, 'until') : await head();
  if (!tip) throw new RegistryError('INVALID_STATE', `Branch '${branch}' has no commits.`, { branch });
  const wanted = (e: RegistryEvent): boolean =>
    (opts.model === undefined || concernsModel(e, opts.model)) && (!opts.types || opts.types.includes(e.type));
  let pos: Position = await log.position(opts.since, tip);
  for (;;) {
    for await (const e of log.read(tip, pos)) {
      if (opts.signal?.aborted) return;
      if (wanted(e)) yield e;
    }
    if (!opts.follow) return;
    // Everything up to the tip has been read, whatever the position was.
    pos = afterCommit(tip);
    let next: string | null = tip;
    do {
      next = await waitForMove(repo.gitdir, `refs/heads/${branch}`, next, head, {
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
      });
      if (opts.signal?.aborted) return;
    } while (!next); // a deleted branch: wait for it to come back
    tip = next;
  }
}
