// The event log of a branch: every commit's events in one order (graph.ts linearize), read from a position.
//
// Positions:
// - the start of history;
// - a ref (`--since REF`): the commits reachable from the tip and not from REF, as `git log REF..tip`;
// - a cursor (an event id, what a consumer stored): everything after that event. When the cursor's commit is
//   no longer in the branch's history (a force-push removed it), the log first reports a *rewind*: the events
//   that take the registry from the cursor's commit back to its merge base with the tip (ids
//   `<cursor commit>..<merge base>:<n>`), then the events of the tip's commits after the merge base. A consumer
//   that applies every event it receives therefore ends in the tip's state, force-push or not.
import { RegistryError } from '../errors.js';
import { commitEvents, eventsBetween } from './commits.js';
import { firstParentAt, firstParentExit, isAncestor, linearize, mergeBase, rangeCommits } from './graph.js';
import { changedDirs, type HistorySource } from './source.js';
import { NO_COMMIT, parseEventId, type Cursor, type EventDraft, type RegistryEvent } from './types.js';

export type Position = { kind: 'start' } | { kind: 'ref'; commit: string } | { kind: 'cursor'; cursor: Cursor };

/** After every event of `commit`. */
export function afterCommit(commit: string): Position {
  return { kind: 'cursor', cursor: { commit, index: Number.MAX_SAFE_INTEGER } };
}

/** The position right after an event. */
export function afterEvent(e: RegistryEvent): Position {
  const c = parseEventId(e.id);
  if (!c) throw new Error(`not an event id: ${e.id}`);
  return { kind: 'cursor', cursor: c };
}

const MAX_CACHED_COMMITS = 20_000;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}((~\d{0,6})|(\^\d?))*$/;

export class EventLog {
  private readonly cache = new Map<string, Promise<RegistryEvent[]>>();

  /** `src` is public so that a caller walks the same graph (notify sizes a backlog with it). */
  constructor(readonly src: HistorySource) {}

  /** The events of one commit (cached: they never change). */
  eventsOf(commit: string): Promise<RegistryEvent[]> {
    let p = this.cache.get(commit);
    if (p) return p;
    p = (async () => {
      const info = await this.src.readCommit(commit);
      const drafts = await commitEvents(this.src, commit);
      return place(drafts, (i) => ({
        id: `${commit}:${i}`,
        commit,
        author: { name: info.author.name, email: info.author.email },
        time: info.committer.timestamp * 1000,
      }));
    })();
    p.catch(() => this.cache.delete(commit));
    if (this.cache.size >= MAX_CACHED_COMMITS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(commit, p);
    return p;
  }

  /** The events that undo `from` back to `to` (null: an empty registry). */
  async rewindEvents(from: string, to: string | null): Promise<RegistryEvent[]> {
    const changed = changedDirs(await this.src.diff(to, from));
    const drafts = await eventsBetween(this.src, from, to, changed);
    const info = await this.src.readCommit(from);
    const target = to ?? NO_COMMIT;
    return place(drafts, (i) => ({
      id: `${from}..${target}:${i}`,
      commit: target,
      // git does not record who rewrote the branch.
      author: { name: '', email: '' },
      time: info.committer.timestamp * 1000,
    })).map((e) => ({ ...e, data: { ...e.data, rewound_from: from } }));
  }

  /**
   * Turns `--since` into a position: an event id (a cursor), an ISO-8601 time or epoch milliseconds (the
   * newest first-parent commit made at or before it), or a revision. @throws INVALID_PARAMETER_VALUE
   */
  async position(since: string | undefined, tip: string): Promise<Position> {
    if (since === undefined) return { kind: 'start' };
    const s = since.trim();
    if (s === '') throw RegistryError.invalid("'since' must not be empty.");
    const cursor = parseEventId(s);
    if (cursor) return { kind: 'cursor', cursor };
    if (/^\d{4}-\d{2}-\d{2}/.test(s) || /^\d{10,13}$/.test(s)) {
      const when = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
      if (!Number.isFinite(when))
        throw RegistryError.invalid(`'${s}' is not a valid time (ISO-8601 or epoch milliseconds).`, { since: s });
      const at = await firstParentAt(this.src, tip, when);
      return at ? { kind: 'ref', commit: at } : { kind: 'start' };
    }
    return { kind: 'ref', commit: await this.revision(s, 'since') };
  }

  /** A revision given by a user (also from a query string: plain ref names and oids only). */
  async revision(rev: string, what: string): Promise<string> {
    const bad = (): RegistryError =>
      RegistryError.invalid(
        `'${rev}' (${what}) is neither an event id, a commit, a ref nor a time (ISO-8601 or epoch milliseconds).`,
        { [what]: rev },
      );
    if (
      !REVISION.test(rev) ||
      rev.includes('..') ||
      rev.includes('//') ||
      /(^|\/)\./.test(rev) ||
      rev.endsWith('.lock')
    )
      throw bad();
    try {
      return await this.src.resolveRevision(rev);
    } catch {
      throw bad();
    }
  }

  /** Every event after `from` up to `tip`, in order. */
  async *read(tip: string, from: Position): AsyncGenerator<RegistryEvent> {
    let pos = from;
    // A rewind cursor: finish the rewind, then continue after its target.
    if (pos.kind === 'cursor' && pos.cursor.rewindFrom) {
      const { rewindFrom, commit, index } = pos.cursor;
      const target = commit === NO_COMMIT ? null : commit;
      for (const e of await this.rewindEvents(rewindFrom, target)) if (indexOf(e) > index) yield e;
      pos = target ? afterCommit(target) : { kind: 'start' };
    }
    if (pos.kind === 'cursor' && pos.cursor.commit === NO_COMMIT) pos = { kind: 'start' };
    if (pos.kind === 'cursor' && !(await isAncestor(this.src, pos.cursor.commit, tip))) {
      const gone = pos.cursor.commit;
      const base = await mergeBase(this.src, gone, tip);
      yield* await this.rewindEvents(gone, base);
      pos = base ? afterCommit(base) : { kind: 'start' };
    }
    let commits: string[];
    if (pos.kind === 'start') commits = await linearize(this.src, tip, await rangeCommits(this.src, tip, []));
    else if (pos.kind === 'ref')
      commits = await linearize(this.src, tip, await rangeCommits(this.src, tip, [pos.commit]));
    else {
      const { commit, index } = pos.cursor;
      const range = await rangeCommits(this.src, tip, [commit]);
      // The commit that ends the part of the log already read, on the tip's first-parent line: the cursor's
      // commit itself, or (for a commit a merge brought in) the newest first-parent commit below it.
      const anchor = await firstParentExit(this.src, tip, range);
      if (anchor === commit) {
        for (const e of await this.eventsOf(commit)) if (indexOf(e) > index) yield e;
        commits = await linearize(this.src, tip, range);
      } else {
        const wider = await rangeCommits(this.src, tip, [anchor]);
        const all = await linearize(this.src, tip, wider);
        const at = all.indexOf(commit);
        for (const e of await this.eventsOf(commit)) if (indexOf(e) > index) yield e;
        commits = at >= 0 ? all.slice(at + 1) : await linearize(this.src, tip, range);
      }
    }
    for (const c of commits) yield* await this.eventsOf(c);
  }
}

function place(drafts: EventDraft[], meta: (i: number) => Omit<RegistryEvent, keyof EventDraft>): RegistryEvent[] {
  return drafts.map((d, i) => {
    const m = meta(i);
    return {
      id: m.id,
      type: d.type,
      commit: m.commit,
      author: m.author,
      time: m.time,
      model: d.model,
      ...(d.version !== undefined ? { version: d.version } : {}),
      data: d.data,
    };
  });
}

function indexOf(e: RegistryEvent): number {
  return Number(e.id.slice(e.id.lastIndexOf(':') + 1));
}

/** Whether an event concerns `model`: it names it, or renames to or from it. */
export function concernsModel(e: RegistryEvent, model: string): boolean {
  return e.model === model || (e.type === 'registered_model.renamed' && e.data.previous_name === model);
}
