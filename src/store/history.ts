// The audit log: every change told as registry operations, attributed to the commit that made it.
//
// The walk follows the branch's first-parent line (what the branch served, one commit after another), newest
// first. A merge on that line is followed by the commits it brought in, newest first, each as its own entry
// with `via` naming the merge (who merged it and when: the approval trail); the merge's own entry carries only
// what the merge itself changed (a conflict resolution, an edit made in the merge). This is the event log's
// order reversed (events/graph.ts linearize), and a merge's own changes are the event log's (events/commits.ts),
// so `mreg history` and `mreg events` attribute every change to the same commit.
import { diffModels, pairRenames, byCodePoint, type Operation } from '../domain/diff.js';
import { commitEvents } from '../events/commits.js';
import { linearize, rangeCommits } from '../events/graph.js';
import type { EventDraft } from '../events/types.js';
import {
  dirAliasesFolder,
  dirModelFile,
  MODELS_DIR,
  modelDir,
  modelDirOf,
  modelFilePath,
  parsePath,
  REGISTRY_FILE,
  versionFilePath,
} from '../domain/layout.js';
import { encodeName } from '../domain/names.js';
import { modelEntry, type AliasFile, type ModelEntry, type ModelFile, type VersionFile } from '../domain/state.js';
import type { CommitInfo, FileChange, GitReader } from './git/reader.js';
import { parseDocumentText } from './yaml.js';

/** A commit as the audit log names it. */
export interface CommitRef {
  commit: string;
  /** Committer time, ms since the epoch. */
  time: number;
  author: { name: string; email: string };
  message: string;
}

export interface HistoryEntry extends CommitRef {
  parents: string[];
  /**
   * The operations this commit made: for a merge, only what the merge itself changed (the commits it brought
   * in have their own entries).
   */
  operations: Operation[];
  /** For a commit a merge brought into the branch: that merge on the branch's first-parent line. */
  via?: CommitRef;
}

export interface HistoryOptions {
  /** Only commits that touch this model (followed across renames). */
  model?: string;
  /** With `model`: only operations on this version (and the model's renames). */
  version?: number;
  /** With `version`: also the alias moves that point at it or away from it (the UI's version history). */
  aliases?: boolean;
  /**
   * At most this many entries. In a bounded walk (`scan`), a merge and the commits it brought in are not
   * split between pages: the page that starts them finishes them, even past the limit.
   */
  limit?: number;
  /**
   * Examine at most this many commits (a page's bound on a long history). The generator's return value
   * then says where to resume: the first commit not examined, and the names followed at that point.
   */
  scan?: number;
}

/**
 * Where a bounded walk stopped: `next` is the first commit of the first-parent line it did not examine
 * (undefined: the history's start). A merge and the commits it brought in are examined together.
 */
export interface HistoryResume {
  next: string | undefined;
  /** The last commit examined (next's child), if any. */
  last: string | undefined;
  /** The names the walk follows at `next` (a rename seen adds the older name). */
  names: string[];
}

/**
 * Parsed documents by blob oid (a blob never changes): walking back, each file version is the "after" of one
 * commit and the "before" of the next, so it is parsed once. Shared by every walk; never mutate a result.
 */
const parsed = new Map<string, unknown>();
const MAX_PARSED = 4096;

async function readDoc<T>(
  repo: GitReader,
  kind: 'model' | 'model-version' | 'alias',
  path: string,
  oid: string | null,
): Promise<T | undefined> {
  if (!oid) return undefined;
  const key = `${kind}:${oid}`;
  if (parsed.has(key)) return parsed.get(key) as T | undefined;
  const r = parseDocumentText<T>(kind, path, await repo.readBlob(oid));
  const doc = r.ok ? r.doc : undefined;
  if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
  parsed.set(key, doc);
  return doc;
}

/** Partial model entries (the model file and only the changed versions) on both sides of a set of file changes. */
async function entriesFor(
  repo: GitReader,
  changes: FileChange[],
): Promise<Map<string, { before?: ModelEntry; after?: ModelEntry }>> {
  const byDir = new Map<string, FileChange[]>();
  for (const ch of changes) {
    const where = parsePath(ch.path);
    if (where.kind !== 'model' && where.kind !== 'version' && where.kind !== 'alias') continue;
    let list = byDir.get(where.dir);
    if (!list) byDir.set(where.dir, (list = []));
    list.push(ch);
  }
  const out = new Map<string, { before?: ModelEntry; after?: ModelEntry }>();
  for (const [dir, list] of byDir) {
    const modelChange = list.find((c) => parsePath(c.path).kind === 'model');
    const sides: { before?: ModelEntry; after?: ModelEntry } = {};
    for (const side of ['before', 'after'] as const) {
      const modelOid = modelChange ? modelChange[side] : null;
      let file: ModelFile | undefined;
      if (modelChange) file = await readDoc<ModelFile>(repo, 'model', modelChange.path, modelOid);
      const versions = new Map<number, VersionFile>();
      // Only the alias files that changed: an alias unchanged on both sides is absent from both.
      const aliases: Record<string, number> = {};
      for (const c of list) {
        const where = parsePath(c.path);
        if (where.kind === 'alias') {
          const a = await readDoc<AliasFile>(repo, 'alias', c.path, c[side]);
          if (a) aliases[a.alias] = a.version;
        }
        if (where.kind !== 'version') continue;
        const v = await readDoc<VersionFile>(repo, 'model-version', c.path, c[side]);
        if (v) versions.set(where.version, v);
      }
      if (file) sides[side] = modelEntry({ dir, file, versions, aliases });
      // model.yaml did not change: the caller fills in the file as it stood at that side's commit.
      else if (!modelChange)
        sides[side] = {
          ...modelEntry({ dir, file: {} as ModelFile, versions, aliases }),
          file: undefined as unknown as ModelFile,
        };
    }
    out.set(dir, sides);
  }
  return out;
}

/** The operations one set of file changes amounts to. Model files that did not change are read from `commits` when needed. */
async function operationsOf(
  repo: GitReader,
  parent: string | null,
  commit: string,
  changes: FileChange[],
): Promise<Operation[]> {
  const ops: Operation[] = [];
  if (changes.some((c) => c.path === REGISTRY_FILE)) ops.push({ op: 'registry_changed' });
  const entries = await entriesFor(repo, changes);
  // Version-only changes: the model file did not change, so fill it in from the commit for names and aliases.
  for (const [dir, sides] of entries) {
    for (const side of ['before', 'after'] as const) {
      const e = sides[side];
      if (e && e.file === undefined) {
        const at = side === 'before' ? parent : commit;
        const path = dirModelFile(dir);
        // (A folder named model.yaml is a stray, not a model file: read as absent.)
        const file = at
          ? await readDoc<ModelFile>(repo, 'model', path, await repo.oidAt(at, path)).catch(() => undefined)
          : undefined;
        if (file) sides[side] = modelEntry({ ...e, file });
        else delete sides[side];
      }
    }
  }
  const deleted = [...entries.values()].filter((s) => s.before && !s.after).map((s) => s.before!);
  const created = [...entries.values()].filter((s) => s.after && !s.before).map((s) => s.after!);
  const renames = pairRenames(deleted, created);
  const skip = new Set(renames.flatMap(([d, c]) => [d.dir, c.dir]));
  for (const [d, c] of renames) ops.push(...diffModels(d, c));
  const dirs = [...entries.keys()].filter((d) => !skip.has(d)).sort(byCodePoint);
  for (const dir of dirs) {
    const s = entries.get(dir)!;
    ops.push(...diffModels(s.before, s.after));
  }
  return ops;
}

/** A commit's place in the walk: the commit, and the first-parent merge that brought it in (if any). */
interface Step {
  oid: string;
  info: CommitInfo;
  via?: CommitInfo;
}

/**
 * The commits a first-parent merge brought into the branch, newest first: those reachable from the merge and
 * not from its first parent, in the event log's order reversed (a nested merge before what it brought in).
 */
async function broughtIn(repo: GitReader, merge: CommitInfo): Promise<string[]> {
  const range = await rangeCommits(repo, merge.oid, [merge.parents[0]!]);
  const order = await linearize(repo, merge.oid, range);
  return order.filter((c) => c !== merge.oid).reverse();
}

function refOf(c: CommitInfo): CommitRef {
  return {
    commit: c.oid,
    time: c.committer.timestamp * 1000,
    author: { name: c.author.name, email: c.author.email },
    message: c.message.trim(),
  };
}

/**
 * The branch's history from `start` backwards (see the top of this file), newest first, each commit with the
 * registry operations it made.
 */
export async function* registryHistory(
  repo: GitReader,
  start: string,
  opts: HistoryOptions = {},
): AsyncGenerator<HistoryEntry, HistoryResume> {
  const limit = opts.limit ?? Infinity;
  const scan = opts.scan ?? Infinity;
  let names = opts.model !== undefined ? new Set([opts.model]) : undefined;
  let emitted = 0;
  let examined = 0;
  let last: string | undefined;
  let line: string | undefined = start;
  // Oids at the paths a followed model is read from, kept for the parent: walking back, a commit's parent
  // is usually the next commit looked at, so each tree is read once rather than twice.
  let parentOids = new Map<string, string | null>();
  let lastParent: string | null | undefined;

  /** The entry of one commit, or undefined when it changed nothing the walk reports. */
  const entryOf = async ({ oid, info: c, via }: Step): Promise<HistoryEntry | undefined> => {
    const parent = c.parents[0] ?? null;
    const entry = (operations: Operation[]): HistoryEntry => ({
      ...refOf(c),
      parents: c.parents,
      operations,
      ...(via ? { via: refOf(via) } : {}),
    });
    if (c.parents.length > 1) {
      // A merge: only what the merge itself changed; the commits it brought in are entries of their own.
      if (names) {
        // A followed model's folder identical in the merge and every parent: the merge changed nothing of it.
        let touched = false;
        for (const name of names) {
          const dir = modelDir(name);
          const mine = await repo.oidAt(oid, dir);
          for (const p of c.parents) if ((await repo.oidAt(p, dir)) !== mine) touched = true;
        }
        if (!touched) return undefined;
      }
      let ops = (await commitEvents(repo, oid)).flatMap(operationsOfEvent);
      if (names) ops = followed(ops, names, opts);
      else if (ops.length === 0 && !(await repo.diff(parent, oid)).some((ch) => parsePath(ch.path).kind !== 'other'))
        return undefined;
      if (names) {
        for (const op of ops) if (op.op === 'model_renamed' && op.from) names = new Set([...names, op.from]);
        if (ops.length === 0) return undefined;
      }
      return entry(ops);
    }
    let changes: FileChange[] = [];
    if (names) {
      const here = oid === lastParent ? parentOids : new Map<string, string | null>();
      const there = new Map<string, string | null>();
      const at = async (commit: string | null, p: string): Promise<string | null> => {
        if (commit === null) return null;
        const cache = commit === oid ? here : there;
        if (cache.has(p)) return cache.get(p)!;
        const found = await repo.oidAt(commit, p);
        cache.set(p, found);
        return found;
      };
      for (const name of names) {
        const dir = modelDir(name);
        const after = await at(oid, dir);
        if (parent !== null && (await at(parent, dir)) === after) continue; // the folder did not change
        if (opts.version === undefined) {
          changes.push(...(await repo.diff(parent, oid, dir)));
          continue;
        }
        // One version: its file and the model file are all that matter, so the versions folder (which a
        // model with 10,000 versions makes large) is never diffed, only looked up.
        const found: FileChange[] = [];
        for (const p of [modelFilePath(name), versionFilePath(name, opts.version)]) {
          const [b, a] = [await at(parent, p), await at(oid, p)];
          if (b !== a) found.push({ path: p, before: b, after: a });
        }
        // A model file edited in place says nothing about this version: creation, deletion and renames add
        // or remove the file.
        const modelEditOnly =
          found.length === 1 &&
          parsePath(found[0]!.path).kind === 'model' &&
          found[0]!.before !== null &&
          found[0]!.after !== null;
        if (!modelEditOnly) changes.push(...found);
        if (opts.aliases === true && (await at(parent, modelFilePath(name))) !== null) {
          // Aliases live in their own files (format 2): the folder is small, so diff it when it changed. A
          // folder that is new here (a creation, or a rename's target) carries its aliases over: not a move.
          const folder = dirAliasesFolder(encodeName(name));
          if ((await at(parent, folder)) !== (await at(oid, folder)))
            changes.push(...(await repo.diff(parent, oid, folder)));
        }
      }
      parentOids = there;
      lastParent = parent;
    } else {
      changes = await repo.diff(parent, oid);
    }
    if (!changes.length) return undefined;
    let ops = await operationsOf(
      repo,
      parent,
      oid,
      names ? await withRenameCandidates(repo, parent, oid, changes, names, opts.version) : changes,
    );
    if (names) {
      ops = followed(ops, names, opts);
      for (const op of ops) if (op.op === 'model_renamed' && op.from) names = new Set([...names, op.from]);
    }
    if (ops.length || (!names && changes.some((ch) => parsePath(ch.path).kind !== 'other'))) return entry(ops);
    return undefined;
  };

  while (line && emitted < limit && examined < scan) {
    examined++;
    last = line;
    const c: CommitInfo = await repo.readCommit(line);
    const steps: Step[] = [{ oid: line, info: c }];
    if (c.parents.length > 1)
      for (const oid of await broughtIn(repo, c)) steps.push({ oid, info: await repo.readCommit(oid), via: c });
    for (const step of steps) {
      if (emitted >= limit && opts.scan === undefined) break;
      const e = await entryOf(step);
      if (e) {
        yield e;
        emitted++;
      }
    }
    line = c.parents[0];
  }
  return { next: line, last, names: names ? [...names] : [] };
}

/** The operations that concern the followed names (and, with a version, that version). */
function followed(ops: Operation[], names: ReadonlySet<string>, opts: HistoryOptions): Operation[] {
  let out = ops.filter(
    (op) => (op.name !== undefined && names.has(op.name)) || (op.op === 'model_renamed' && names.has(op.to!)),
  );
  const v = opts.version;
  if (v !== undefined) {
    out = out.filter(
      (op) =>
        op.version === v ||
        op.op === 'model_renamed' ||
        op.op === 'model_created' ||
        op.op === 'model_deleted' ||
        (opts.aliases === true &&
          (op.op === 'alias_set' || op.op === 'alias_deleted') &&
          (op.after === v || op.before === v)),
    );
  }
  return out;
}

/** An event (of a merge's own changes) as the audit log's operation. */
function operationsOfEvent(e: EventDraft): Operation[] {
  const d = e.data;
  const name = e.model ?? undefined;
  const version = e.version;
  const s = (v: unknown): string => String(v ?? '');
  switch (e.type) {
    case 'registered_model.created': {
      const ops: Operation[] = [{ op: 'model_created', name }];
      if (d.description) ops.push({ op: 'model_description_changed', name, before: '', after: s(d.description) });
      for (const [key, value] of Object.entries((d.tags ?? {}) as Record<string, string>))
        ops.push({ op: 'model_tag_set', name, key, after: value });
      return ops;
    }
    case 'registered_model.renamed':
      return [{ op: 'model_renamed', name, from: s(d.previous_name), to: s(d.name) }];
    case 'registered_model.deleted':
      return [{ op: 'model_deleted', name }];
    case 'registered_model.description_updated':
      return [{ op: 'model_description_changed', name, after: s(d.description) }];
    case 'registered_model_tag.set':
      return [{ op: 'model_tag_set', name, key: s(d.key), after: s(d.value) }];
    case 'registered_model_tag.deleted':
      return [{ op: 'model_tag_deleted', name, key: s(d.key) }];
    case 'model_version.created':
      return [{ op: 'version_registered', name, version, after: s(d.source) }];
    case 'model_version.deleted':
      return [{ op: 'version_deleted', name, version }];
    case 'model_version.description_updated':
      return [{ op: 'version_description_changed', name, version, after: s(d.description) }];
    case 'model_version.stage_transitioned':
      return [{ op: 'stage_changed', name, version, from: s(d.from_stage), to: s(d.to_stage) }];
    case 'model_version_tag.set':
      return [{ op: 'version_tag_set', name, version, key: s(d.key), after: s(d.value) }];
    case 'model_version_tag.deleted':
      return [{ op: 'version_tag_deleted', name, version, key: s(d.key) }];
    case 'model_version_alias.created':
      return [
        {
          op: 'alias_set',
          name,
          alias: s(d.alias),
          after: Number(d.version),
          ...(d.previous_version !== undefined ? { before: Number(d.previous_version) } : {}),
        },
      ];
    case 'model_version_alias.deleted':
      return [{ op: 'alias_deleted', name, alias: s(d.alias), before: Number(d.previous_version) }];
    case 'registry.policies_changed':
      return [{ op: 'registry_changed', before: d.previous_policies, after: d.policies }];
  }
}

/**
 * When a followed model's folder appears, the commit may be a rename: include the folders that vanished in
 * it (with `version`, only their model file and that version's file, the same view the followed side has,
 * so that the two sides pair as a rename).
 */
async function withRenameCandidates(
  repo: GitReader,
  parent: string | null,
  commit: string,
  changes: FileChange[],
  names: Set<string>,
  version?: number,
): Promise<FileChange[]> {
  const created = changes.some(
    (c) => c.before === null && parsePath(c.path).kind === 'model' && names.has(nameOfDir(c.path, names)),
  );
  if (!created || !parent) return changes;
  const all = await repo.diff(parent, commit, MODELS_DIR);
  const gone = new Set(
    all.filter((c) => c.after === null && parsePath(c.path).kind === 'model').map((c) => modelDirOf(c.path)),
  );
  const wanted = (p: string): boolean => {
    const where = parsePath(p);
    return version === undefined || where.kind === 'model' || (where.kind === 'version' && where.version === version);
  };
  const have = new Set(changes.map((c) => c.path));
  return [...changes, ...all.filter((c) => gone.has(modelDirOf(c.path)) && wanted(c.path) && !have.has(c.path))];
}

function nameOfDir(path: string, names: Set<string>): string {
  const dir = modelDirOf(path);
  for (const n of names) if (encodeName(n) === dir) return n;
  return '';
}
