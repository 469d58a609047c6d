// The audit log: the branch's first-parent history, each commit told as registry operations.
import { diffModels, pairRenames, byCodePoint, type Operation } from '../domain/diff.js';
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

export interface HistoryEntry {
  commit: string;
  parents: string[];
  /** When the commit landed on the branch (committer time), ms since the epoch. */
  time: number;
  author: { name: string; email: string };
  message: string;
  operations: Operation[];
}

export interface HistoryOptions {
  /** Only commits that touch this model (followed across renames). */
  model?: string;
  /** With `model`: only operations on this version (and the model's renames). */
  version?: number;
  /** With `version`: also the alias moves that point at it or away from it (the UI's version history). */
  aliases?: boolean;
  /** At most this many entries. */
  limit?: number;
  /**
   * Examine at most this many commits (a page's bound on a long history). The generator's return value
   * then says where to resume: the first commit not examined, and the names followed at that point.
   */
  scan?: number;
}

/** Where a bounded walk stopped: `next` is the first commit it did not examine (undefined: the history's start). */
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
export async function operationsOf(
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

/**
 * The branch's history from `start` backwards (first parents: what landed on the branch, merges included),
 * newest first, each commit with the registry operations it made.
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
  let oid: string | undefined = start;
  // Oids at the paths a followed model is read from, kept for the parent: walking back, a commit's parent
  // is the next commit looked at, so each tree is read once rather than twice.
  let parentOids = new Map<string, string | null>();
  let lastParent: string | null | undefined;
  while (oid && emitted < limit && examined < scan) {
    examined++;
    last = oid;
    const c: CommitInfo = await repo.readCommit(oid);
    const parent = c.parents[0] ?? null;
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
    if (changes.length) {
      let ops = await operationsOf(
        repo,
        parent,
        oid,
        names ? await withRenameCandidates(repo, parent, oid, changes, names, opts.version) : changes,
      );
      if (names) {
        const followed = names;
        ops = ops.filter(
          (op) =>
            (op.name !== undefined && followed.has(op.name)) || (op.op === 'model_renamed' && followed.has(op.to!)),
        );
        for (const op of ops) if (op.op === 'model_renamed' && op.from) names = new Set([...names, op.from]);
        const v = opts.version;
        if (v !== undefined) {
          ops = ops.filter(
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
      }
      if (ops.length || (!names && changes.some((ch) => parsePath(ch.path).kind !== 'other'))) {
        yield {
          commit: oid,
          parents: c.parents,
          time: c.committer.timestamp * 1000,
          author: { name: c.author.name, email: c.author.email },
          message: c.message.trim(),
          operations: ops,
        };
        emitted++;
      }
    }
    oid = c.parents[0];
  }
  return { next: oid, last, names: names ? [...names] : [] };
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
