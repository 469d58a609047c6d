// Commits (or the working tree) → RegistryState + Problems. Full loads read every file once; reloads read
// only what a tree diff says changed since the loaded commit.
import type { Problem } from '../errors.js';
import { checkModel } from '../domain/invariants.js';
import {
  dirModelFile,
  dirVersionFile,
  dirVersionsFolder,
  MODELS_DIR,
  parsePath,
  REGISTRY_FILE,
} from '../domain/layout.js';
import {
  EMPTY_REGISTRY,
  type ModelEntry,
  type ModelFile,
  type RegistryFile,
  type RegistryState,
  type VersionFile,
} from '../domain/state.js';
import { LayeredMap } from '../util/layered-map.js';
import type { GitReader } from './git/reader.js';
import { lineOfKey, parseDocumentText } from './yaml.js';

/** What a loaded commit holds. `problems` empty means the state is servable. */
export interface Loaded {
  commit: string | null;
  state: RegistryState;
  problems: Problem[];
  /** Model folder → entry, including folders whose model.yaml is broken (entry absent then). */
  dirs: ReadonlyMap<string, DirRecord>;
  registryProblems: Problem[];
}

/** Everything parsed in one model folder, so that a reload can patch it file by file. */
export interface DirRecord {
  dir: string;
  model?: ModelFile;
  versions: ReadonlyMap<number, VersionFile>;
  /** Problems of the files in this folder (parse, schema, stray files) and of the folder's invariants. */
  problems: Problem[];
  fileProblems: ReadonlyMap<string, Problem[]>;
}

/** Reads file bytes by path; the commit or the working tree behind it is the caller's choice. */
export interface FileReader {
  read(path: string): Promise<Uint8Array | null>;
}

type Parsed =
  | { kind: 'registry'; doc?: RegistryFile; problems: Problem[] }
  | { kind: 'model'; dir: string; doc?: ModelFile; problems: Problem[] }
  | { kind: 'version'; dir: string; version: number; doc?: VersionFile; problems: Problem[] }
  | { kind: 'stray'; dir?: string; problems: Problem[] }
  | { kind: 'other' };

function parseFile(path: string, bytes: Uint8Array): Parsed {
  const where = parsePath(path);
  switch (where.kind) {
    case 'registry': {
      const r = parseDocumentText<RegistryFile>('registry', path, bytes);
      return r.ok ? { kind: 'registry', doc: r.doc, problems: [] } : { kind: 'registry', problems: r.problems };
    }
    case 'model': {
      const r = parseDocumentText<ModelFile>('model', path, bytes);
      return r.ok
        ? { kind: 'model', dir: where.dir, doc: r.doc, problems: [] }
        : { kind: 'model', dir: where.dir, problems: r.problems };
    }
    case 'version': {
      const r = parseDocumentText<VersionFile>('model-version', path, bytes);
      return r.ok
        ? { kind: 'version', dir: where.dir, version: where.version, doc: r.doc, problems: [] }
        : { kind: 'version', dir: where.dir, version: where.version, problems: r.problems };
    }
    case 'stray':
      return {
        kind: 'stray',
        ...(where.dir !== undefined ? { dir: where.dir } : {}),
        problems: [
          { path, line: 1, message: `unexpected file: a model folder holds model.yaml and versions/<n>.yaml only` },
        ],
      };
    default:
      return { kind: 'other' };
  }
}

interface MutableDir {
  dir: string;
  model?: ModelFile;
  versions: Map<number, VersionFile>;
  fileProblems: Map<string, Problem[]>;
}

async function finishDir(d: MutableDir, reader: FileReader): Promise<DirRecord> {
  const problems: Problem[] = [...d.fileProblems.values()].flat();
  if (!d.model) {
    if (!d.fileProblems.has(dirModelFile(d.dir))) {
      problems.push({ path: dirModelFile(d.dir), line: 1, message: 'model folder has no model.yaml' });
    }
  } else {
    // An alias to a version whose file is broken is reported once, by that file: the version exists.
    const broken = new Set(
      [...d.fileProblems.keys()].flatMap((path) => {
        const where = parsePath(path);
        return where.kind === 'version' ? [where.version] : [];
      }),
    );
    const aliases = d.model.aliases ?? {};
    const found = checkModel({ dir: d.dir, file: d.model, versions: d.versions }).filter(
      (p) =>
        !(
          p.pointer?.startsWith('/aliases/') &&
          broken.has(aliases[p.pointer.slice('/aliases/'.length)] ?? -1) &&
          p.message.includes('does not exist')
        ),
    );
    for (const p of found) {
      let line = 1;
      if (p.pointer) {
        const bytes = await reader.read(p.path);
        if (bytes) line = lineOfKey(new TextDecoder().decode(bytes), p.pointer);
      }
      problems.push({ path: p.path, line, message: p.message });
    }
  }
  return {
    dir: d.dir,
    ...(d.model ? { model: d.model } : {}),
    versions: d.versions,
    problems,
    fileProblems: d.fileProblems,
  };
}

function assemble(
  commit: string | null,
  registry: (Parsed & { kind: 'registry' }) | undefined,
  dirs: ReadonlyMap<string, DirRecord>,
): Loaded {
  const models = new Map<string, ModelEntry>();
  for (const rec of dirs.values()) {
    if (rec.model) models.set(rec.model.name, { dir: rec.dir, file: rec.model, versions: rec.versions });
  }
  const registryProblems: Problem[] = registry
    ? registry.problems
    : [{ path: REGISTRY_FILE, line: 1, message: 'registry.yaml is missing' }];
  const problems = [...registryProblems, ...[...dirs.values()].flatMap((d) => d.problems)];
  return {
    commit,
    state: { registry: registry?.doc ?? EMPTY_REGISTRY, models },
    problems,
    dirs,
    registryProblems,
  };
}

/** Loads everything from a list of files (path → bytes provider). */
async function loadFiles(
  commit: string | null,
  paths: string[],
  reader: FileReader,
  concurrency = 16,
): Promise<Loaded> {
  const dirs = new Map<string, MutableDir>();
  let registry: (Parsed & { kind: 'registry' }) | undefined;
  const relevant = paths.filter((p) => p === REGISTRY_FILE || p.startsWith(MODELS_DIR + '/'));
  let next = 0;
  const dirOf = (dir: string): MutableDir => {
    let d = dirs.get(dir);
    if (!d) dirs.set(dir, (d = { dir, versions: new Map(), fileProblems: new Map() }));
    return d;
  };
  async function worker(): Promise<void> {
    while (next < relevant.length) {
      const path = relevant[next++]!;
      const bytes = await reader.read(path);
      if (!bytes) continue;
      const parsed = parseFile(path, bytes);
      apply(parsed, path);
    }
  }
  function apply(parsed: Parsed, path: string): void {
    switch (parsed.kind) {
      case 'registry':
        registry = parsed;
        break;
      case 'model': {
        const d = dirOf(parsed.dir);
        if (parsed.doc) d.model = parsed.doc;
        if (parsed.problems.length) d.fileProblems.set(path, parsed.problems);
        break;
      }
      case 'version': {
        const d = dirOf(parsed.dir);
        if (parsed.doc) d.versions.set(parsed.version, parsed.doc);
        if (parsed.problems.length) d.fileProblems.set(path, parsed.problems);
        break;
      }
      case 'stray': {
        if (parsed.dir === undefined) break;
        dirOf(parsed.dir).fileProblems.set(path, parsed.problems);
        break;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, relevant.length) }, worker));
  const done = new Map<string, DirRecord>();
  for (const d of dirs.values()) done.set(d.dir, await finishDir(d, reader));
  return assemble(commit, registry, done);
}

/**
 * Where a full load reads from: every path, then the bytes of each. A commit's objects and a working tree are
 * the two kinds (`mreg validate` adds progress and reads unchanged files from the work tree, registry/tree-source.ts).
 */
export interface TreeSource extends FileReader {
  /** The commit read, or null for a working tree (or a folder outside git). */
  readonly commit: string | null;
  /** Every file, repository-relative. */
  list(): Promise<string[]>;
}

/** The whole registry as `source` holds it. */
export async function loadTree(source: TreeSource): Promise<Loaded> {
  return loadFiles(source.commit, await source.list(), source);
}

/** The whole registry at a commit, read from git objects. */
export async function loadCommit(repo: GitReader, commit: string): Promise<Loaded> {
  let byPath = new Map<string, string>();
  return loadTree({
    commit,
    list: async () => {
      byPath = new Map((await repo.listFiles(commit, '')).map((f) => [f.path, f.oid]));
      return [...byPath.keys()];
    },
    read: async (p) => {
      const oid = byPath.get(p);
      return oid ? repo.readBlob(oid) : null;
    },
  });
}

/** The whole registry as the working tree holds it (uncommitted edits included). */
export async function loadWorkTree(repo: GitReader): Promise<Loaded> {
  return loadTree({ commit: null, list: () => repo.listWorkTreeFiles(''), read: (p) => repo.readWorkTreeFile(p) });
}

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
    if (!d) {
      const old = prev.dirs.get(dir);
      d = {
        dir,
        ...(old?.model ? { model: old.model } : {}),
        versions: new Map(old?.versions ?? []),
        fileProblems: new Map(old?.fileProblems ?? []),
      };
      touched.set(dir, d);
    }
    return d;
  };
  for (const ch of changes) {
    const where = parsePath(ch.path);
    if (where.kind === 'other') continue;
    if (ch.bytes === null) {
      if (where.kind === 'registry') registry = undefined;
      else if (where.kind === 'model') {
        const d = dirOf(where.dir);
        delete d.model;
        d.fileProblems.delete(ch.path);
      } else if (where.kind === 'version') {
        const d = dirOf(where.dir);
        d.versions.delete(where.version);
        d.fileProblems.delete(ch.path);
      } else if (where.dir !== undefined) dirOf(where.dir).fileProblems.delete(ch.path);
      continue;
    }
    const parsed = parseFile(ch.path, await ch.bytes());
    switch (parsed.kind) {
      case 'registry':
        registry = parsed;
        break;
      case 'model': {
        const d = dirOf(parsed.dir);
        if (parsed.doc) d.model = parsed.doc;
        else delete d.model;
        if (parsed.problems.length) d.fileProblems.set(ch.path, parsed.problems);
        else d.fileProblems.delete(ch.path);
        break;
      }
      case 'version': {
        const d = dirOf(parsed.dir);
        if (parsed.doc) d.versions.set(parsed.version, parsed.doc);
        else d.versions.delete(parsed.version);
        if (parsed.problems.length) d.fileProblems.set(ch.path, parsed.problems);
        else d.fileProblems.delete(ch.path);
        break;
      }
      case 'stray':
        if (parsed.dir !== undefined) dirOf(parsed.dir).fileProblems.set(ch.path, parsed.problems);
        break;
    }
  }
  const changed = new Map<string, DirRecord | undefined>();
  for (const d of touched.values()) {
    const gone = !d.model && d.versions.size === 0 && d.fileProblems.size === 0;
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
    models.set(name, { dir: rec.dir, file: rec.model, versions: rec.versions });
  }
  return {
    commit,
    state: { registry: registry.doc ?? EMPTY_REGISTRY, models: LayeredMap.derive(prevModels, models) },
    problems: [],
    dirs,
    registryProblems: [],
  };
}

/**
 * One model folder, read through `reader` (a commit or the working tree); versions only when asked: all of
 * them, or only the numbers listed (what changed in a commit, so a model with 10,000 versions costs a few reads).
 */
export async function loadModelDir(
  reader: FileReader & { list(dir: string): Promise<string[] | null> },
  dir: string,
  opts: { versions: boolean | readonly number[] },
): Promise<{ entry?: ModelEntry; problems: Problem[] }> {
  const modelPath = dirModelFile(dir);
  const bytes = await reader.read(modelPath);
  if (!bytes) return { problems: [] };
  const m = parseDocumentText<ModelFile>('model', modelPath, bytes);
  if (!m.ok) return { problems: m.problems };
  const versions = new Map<number, VersionFile>();
  const problems: Problem[] = [];
  if (opts.versions) {
    const folder = dirVersionsFolder(dir);
    const names = opts.versions === true ? ((await reader.list(folder)) ?? []) : opts.versions.map((n) => `${n}.yaml`);
    await Promise.all(
      names.map(async (file) => {
        const path = `${folder}/${file}`;
        const where = parsePath(path);
        if (where.kind !== 'version') return;
        const b = await reader.read(path);
        if (!b) return;
        const v = parseDocumentText<VersionFile>('model-version', path, b);
        if (v.ok) versions.set(where.version, v.doc);
        else problems.push(...v.problems);
      }),
    );
  }
  return { entry: { dir, file: m.doc, versions }, problems };
}
