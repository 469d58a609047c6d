// Moving a loaded state to another commit without loading it again: from a tree diff (a reload: the daemon,
// a long-lived writer that another writer overtook) or from the files a writer just committed. Only the
// changed folders are parsed again; the next state shares the rest with the previous one.
import {
  dirAliasesFolder,
  dirDeletedFolder,
  dirModelFile,
  dirVersionFile,
  MODELS_DIR,
  parsePath,
} from '../domain/layout.js';
import { EMPTY_REGISTRY, type ModelEntry } from '../domain/state.js';
import { LayeredMap } from '../util/layered-map.js';
import type { GitReader } from './git/reader.js';
import {
  applyParsed,
  assemble,
  finishDir,
  mutableDir,
  parseFile,
  removePath,
  type DirRecord,
  type FileReader,
  type Loaded,
  type MutableDir,
  type Parsed,
} from './load.js';

/**
 * Moves a loaded state to another commit by reading only the files a tree diff names. The result is a
 * new object; `prev` is not modified, so readers holding it keep a consistent view.
 */
export async function reloadCommit(repo: GitReader, prev: Loaded, commit: string): Promise<Loaded> {
  if (prev.commit === commit) return prev;
  const changes = await repo.diff(prev.commit, commit);
  return patchLoaded(
    prev,
    commit,
    changes.map((ch) => ({ path: ch.path, bytes: ch.after === null ? null : () => repo.readBlob(ch.after!) })),
    { read: (p) => repo.readFileAt(commit, p) },
  );
}

/**
 * Moves a loaded state to the commit a writer just made on top of `prev.commit`, from the files it wrote (path →
 * bytes; null deletes a file or a whole folder): nothing is read back from git. The result is what reloadCommit
 * would load — the same parsing, folder checks and problems — and `prev` is not modified.
 */
export async function applyChanges(
  prev: Loaded,
  commit: string,
  files: ReadonlyMap<string, Uint8Array | null>,
): Promise<Loaded> {
  const changes: FileUpdate[] = [];
  for (const [path, bytes] of files) {
    if (bytes !== null) {
      changes.push({ path, bytes: () => Promise.resolve(bytes) });
      continue;
    }
    const kind = parsePath(path).kind;
    if (kind !== 'other') changes.push({ path, bytes: null });
    if (kind !== 'other' && kind !== 'stray') continue;
    // A folder (a deleted model's): every file the state knows below it goes.
    for (const rec of prev.dirs.values()) {
      const base = `${MODELS_DIR}/${rec.dir}`;
      if (base !== path && !base.startsWith(path + '/') && !path.startsWith(base + '/')) continue;
      const known = [
        ...(rec.model ? [dirModelFile(rec.dir)] : []),
        ...[...rec.versions.keys()].map((n) => dirVersionFile(rec.dir, n)),
        ...[...rec.aliases.keys()].map((stem) => `${dirAliasesFolder(rec.dir)}/${stem}.yaml`),
        ...[...rec.deleted.keys()].map((n) => `${dirDeletedFolder(rec.dir)}/${n}.yaml`),
        ...rec.fileProblems.keys(),
      ];
      for (const f of known) if (f.startsWith(path + '/')) changes.push({ path: f, bytes: null });
    }
  }
  return patchLoaded(prev, commit, changes, { read: async (p) => files.get(p) ?? null });
}

/** One changed file: its new bytes (read lazily), or null when it is gone. */
interface FileUpdate {
  path: string;
  bytes: (() => Promise<Uint8Array>) | null;
}

async function patchLoaded(prev: Loaded, commit: string, changes: FileUpdate[], reader: FileReader): Promise<Loaded> {
  const touched = new Map<string, MutableDir>();
  let registry: (Parsed & { kind: 'registry' }) | undefined = {
    kind: 'registry',
    doc: prev.state.registry,
    problems: prev.registryProblems,
  };
  if (prev.commit === null && prev.registryProblems.length) registry = undefined;
  const dirOf = (dir: string): MutableDir => {
    let d = touched.get(dir);
    if (!d) touched.set(dir, (d = mutableDir(dir, prev.dirs.get(dir))));
    return d;
  };
  for (const ch of changes) {
    const where = parsePath(ch.path);
    if (where.kind === 'other') continue;
    if (ch.bytes === null) {
      if (where.kind === 'registry') registry = undefined;
      else if (where.dir !== undefined) removePath(dirOf(where.dir), ch.path);
      continue;
    }
    const parsed = parseFile(ch.path, await ch.bytes());
    if (parsed.kind === 'registry') registry = parsed;
    else if (parsed.kind !== 'other' && parsed.dir !== undefined) applyParsed(dirOf(parsed.dir), parsed, ch.path);
  }
  const changed = new Map<string, DirRecord | undefined>();
  for (const d of touched.values()) {
    const gone =
      !d.model && d.versions.size === 0 && d.aliases.size === 0 && d.deleted.size === 0 && d.fileProblems.size === 0;
    changed.set(d.dir, gone ? undefined : await finishDir(d, reader));
  }
  // Not a copy of every folder's record: the next state shares the unchanged ones (util/layered-map.ts).
  const dirs = LayeredMap.derive(prev.dirs, changed);
  return reassemble(prev, commit, registry, dirs, changed) ?? assemble(commit, registry, dirs);
}

/**
 * assemble() for a few changed folders of a servable state, in O(changes) plus one copy of the models map: the
 * models of untouched folders keep their entry objects. Undefined when the shortcut does not hold (a problem
 * anywhere, or a name claimed by two folders): assemble() then does it in full. A long-lived writer moves its
 * state on after every commit, and rebuilding every model's entry each time showed in its profile.
 */
function reassemble(
  prev: Loaded,
  commit: string,
  registry: (Parsed & { kind: 'registry' }) | undefined,
  dirs: ReadonlyMap<string, DirRecord>,
  changed: ReadonlyMap<string, DirRecord | undefined>,
): Loaded | undefined {
  if (prev.problems.length || !registry || registry.problems.length) return undefined;
  const prevModels = prev.state.models;
  const models = new Map<string, ModelEntry | undefined>();
  for (const [dir, rec] of changed) {
    const old = prev.dirs.get(dir)?.model?.name;
    if (old !== undefined && old !== rec?.model?.name && prevModels.get(old)?.dir === dir) models.set(old, undefined);
  }
  for (const rec of changed.values()) {
    if (rec?.problems.length) return undefined;
    if (!rec?.model) continue;
    const name = rec.model.name;
    const holder = models.has(name) ? models.get(name) : prevModels.get(name);
    if (holder !== undefined && holder.dir !== rec.dir) return undefined;
    if (!rec.entry) return undefined;
    models.set(name, rec.entry);
  }
  return {
    commit,
    state: { registry: registry.doc ?? EMPTY_REGISTRY, models: LayeredMap.derive(prevModels, models) },
    problems: [],
    dirs,
    registryProblems: [],
  };
}
