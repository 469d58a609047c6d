// The audit log: the branch's first-parent history, each commit told as registry operations.
import { diffModels, pairRenames, byCodePoint, type Operation } from '../domain/diff.js';
import { MODELS_DIR, parsePath, REGISTRY_FILE } from '../domain/layout.js';
import { encodeName } from '../domain/names.js';
import type { ModelEntry, ModelFile, VersionFile } from '../domain/state.js';
import type { CommitInfo, FileChange, GitRepo } from './git.js';
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
  /** At most this many entries. */
  limit?: number;
}

async function readDoc<T>(repo: GitRepo, kind: 'model' | 'model-version', path: string, oid: string | null): Promise<T | undefined> {
  if (!oid) return undefined;
  const r = parseDocumentText<T>(kind, path, await repo.readBlob(oid));
  return r.ok ? r.doc : undefined;
}

/** Partial model entries (the model file and only the changed versions) on both sides of a set of file changes. */
async function entriesFor(repo: GitRepo, changes: FileChange[]): Promise<Map<string, { before?: ModelEntry; after?: ModelEntry }>> {
  const byDir = new Map<string, FileChange[]>();
  for (const ch of changes) {
    const where = parsePath(ch.path);
    if (where.kind !== 'model' && where.kind !== 'version') continue;
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
      for (const c of list) {
        const where = parsePath(c.path);
        if (where.kind !== 'version') continue;
        const v = await readDoc<VersionFile>(repo, 'model-version', c.path, c[side]);
        if (v) versions.set(where.version, v);
      }
      if (file) sides[side] = { dir, file, versions };
      // model.yaml did not change: the caller fills in the file as it stood at that side's commit.
      else if (!modelChange) sides[side] = { dir, file: undefined as unknown as ModelFile, versions };
    }
    out.set(dir, sides);
  }
  return out;
}

/** The operations one set of file changes amounts to. Model files that did not change are read from `commits` when needed. */
export async function operationsOf(repo: GitRepo, parent: string | null, commit: string, changes: FileChange[]): Promise<Operation[]> {
  const ops: Operation[] = [];
  if (changes.some((c) => c.path === REGISTRY_FILE)) ops.push({ op: 'registry_changed' });
  const entries = await entriesFor(repo, changes);
  // Version-only changes: the model file did not change, so fill it in from the commit for names and aliases.
  for (const [dir, sides] of entries) {
    for (const side of ['before', 'after'] as const) {
      const e = sides[side];
      if (e && e.file === undefined) {
        const at = side === 'before' ? parent : commit;
        const path = `${MODELS_DIR}/${dir}/model.yaml`;
        const bytes = at ? await repo.readFileAt(at, path) : null;
        const file = bytes ? parseDocumentText<ModelFile>('model', path, bytes) : undefined;
        if (file?.ok) sides[side] = { ...e, file: file.doc };
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
export async function* registryHistory(repo: GitRepo, start: string, opts: HistoryOptions = {}): AsyncGenerator<HistoryEntry> {
  const limit = opts.limit ?? Infinity;
  let names = opts.model !== undefined ? new Set([opts.model]) : undefined;
  let emitted = 0;
  let oid: string | undefined = start;
  while (oid && emitted < limit) {
    const c: CommitInfo = await repo.readCommit(oid);
    const parent = c.parents[0] ?? null;
    let changes: FileChange[] = [];
    if (names) {
      for (const name of names) changes.push(...(await repo.diff(parent, oid, `${MODELS_DIR}/${encodeName(name)}`)));
    } else {
      changes = await repo.diff(parent, oid);
    }
    if (changes.length) {
      let ops = await operationsOf(repo, parent, oid, names ? await withRenameCandidates(repo, parent, oid, changes, names) : changes);
      if (names) {
        const followed = names;
        ops = ops.filter((op) => (op.name !== undefined && followed.has(op.name)) || (op.op === 'model_renamed' && followed.has(op.to!)));
        for (const op of ops) if (op.op === 'model_renamed' && op.from) names = new Set([...names, op.from]);
        if (opts.version !== undefined) ops = ops.filter((op) => op.version === opts.version || op.op === 'model_renamed' || op.op === 'model_created' || op.op === 'model_deleted');
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
}

/** When a followed model's folder appears, the commit may be a rename: include the folders that vanished in it. */
async function withRenameCandidates(repo: GitRepo, parent: string | null, commit: string, changes: FileChange[], names: Set<string>): Promise<FileChange[]> {
  const created = changes.some((c) => c.before === null && c.path.endsWith('/model.yaml') && names.has(nameOfDir(c.path, names)));
  if (!created || !parent) return changes;
  const all = await repo.diff(parent, commit, MODELS_DIR);
  const gone = new Set(all.filter((c) => c.after === null && c.path.endsWith('/model.yaml')).map((c) => c.path.split('/')[1]));
  return [...changes, ...all.filter((c) => gone.has(c.path.split('/')[1]) && !changes.includes(c))];
}

function nameOfDir(path: string, names: Set<string>): string {
  const dir = path.split('/')[1];
  for (const n of names) if (encodeName(n) === dir) return n;
  return '';
}
