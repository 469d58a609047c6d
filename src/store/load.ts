// Commits (or the working tree) → RegistryState + Problems. Full loads read every file once; reloads read
// only what a tree diff says changed since the loaded commit. A model folder's files (model.yaml, versions/,
// aliases/, deleted/) become one ModelEntry, whose derived values (latestVersion, lastUpdated) are computed
// here, once per folder that changed.
import type { Problem } from '../errors.js';
import { checkModel } from '../domain/invariants.js';
import {
  dirAliasesFolder,
  dirDeletedFolder,
  dirModelFile,
  dirVersionsFolder,
  MODELS_DIR,
  parsePath,
  REGISTRY_FILE,
} from '../domain/layout.js';
import { encodeName } from '../domain/names.js';
import {
  EMPTY_REGISTRY,
  FORMAT_VERSION,
  modelEntry,
  olderFormatMessage,
  type AliasFile,
  type ModelEntry,
  type ModelFile,
  type RegistryFile,
  type RegistryState,
  type TombstoneFile,
  type VersionFile,
} from '../domain/state.js';
import type { GitReader } from './git/reader.js';
import { declaredFormat, lineOfKey, parseDocumentText } from './yaml.js';

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
  /** Alias files by their file stem (the encoded alias). */
  aliases: ReadonlyMap<string, AliasFile>;
  /** Tombstones by version number. */
  deleted: ReadonlyMap<number, TombstoneFile>;
  /** The model as the folder holds it, when model.yaml is readable. */
  entry?: ModelEntry;
  /** Problems of the files in this folder (parse, schema, stray files) and of the folder's invariants. */
  problems: Problem[];
  fileProblems: ReadonlyMap<string, Problem[]>;
}

/** Reads file bytes by path; the commit or the working tree behind it is the caller's choice. */
export interface FileReader {
  read(path: string): Promise<Uint8Array | null>;
}

export type Parsed =
  | { kind: 'registry'; doc?: RegistryFile; problems: Problem[] }
  | { kind: 'model'; dir: string; doc?: ModelFile; problems: Problem[] }
  | { kind: 'version'; dir: string; version: number; doc?: VersionFile; problems: Problem[] }
  | { kind: 'alias'; dir: string; encoded: string; doc?: AliasFile; problems: Problem[] }
  | { kind: 'tombstone'; dir: string; version: number; doc?: TombstoneFile; problems: Problem[] }
  | { kind: 'stray'; dir?: string; problems: Problem[] }
  | { kind: 'other' };

/** registry.yaml; one in an older format is a single problem naming `mreg migrate`. */
export function parseRegistryFile(
  path: string,
  bytes: Uint8Array,
): { ok: true; doc: RegistryFile } | { ok: false; problems: Problem[] } {
  const r = parseDocumentText<RegistryFile>('registry', path, bytes);
  if (r.ok) return r;
  const found = declaredFormat(bytes);
  if (found !== undefined && found < FORMAT_VERSION)
    return { ok: false, problems: [{ path, line: 1, message: olderFormatMessage(found) }] };
  return r;
}

/** The format_version registry.yaml declares at a commit (undefined: no file, or it does not say). */
export async function declaredFormatAt(repo: GitReader, commit: string): Promise<number | undefined> {
  const bytes = await repo.readFileAt(commit, REGISTRY_FILE);
  return bytes ? declaredFormat(bytes) : undefined;
}

export function parseFile(path: string, bytes: Uint8Array): Parsed {
  const where = parsePath(path);
  switch (where.kind) {
    case 'registry': {
      const r = parseRegistryFile(path, bytes);
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
    case 'alias': {
      const r = parseDocumentText<AliasFile>('alias', path, bytes);
      if (!r.ok) return { kind: 'alias', dir: where.dir, encoded: where.encoded, problems: r.problems };
      // The file name is the alias, encoded as model names are: it keeps aliases unique, even on a case-insensitive disk.
      const problems: Problem[] =
        encodeName(r.doc.alias) === where.encoded
          ? []
          : [
              {
                path,
                line: 1,
                message: `file name does not match alias ${JSON.stringify(r.doc.alias)} (expected '${encodeName(r.doc.alias)}.yaml')`,
              },
            ];
      return {
        kind: 'alias',
        dir: where.dir,
        encoded: where.encoded,
        ...(problems.length ? {} : { doc: r.doc }),
        problems,
      };
    }
    case 'tombstone': {
      const r = parseDocumentText<TombstoneFile>('tombstone', path, bytes);
      if (!r.ok) return { kind: 'tombstone', dir: where.dir, version: where.version, problems: r.problems };
      const problems: Problem[] =
        r.doc.version === where.version
          ? []
          : [{ path, line: 1, message: `tombstone of version ${r.doc.version} is stored in ${where.version}.yaml` }];
      return {
        kind: 'tombstone',
        dir: where.dir,
        version: where.version,
        ...(problems.length ? {} : { doc: r.doc }),
        problems,
      };
    }
    case 'stray':
      return {
        kind: 'stray',
        ...(where.dir !== undefined ? { dir: where.dir } : {}),
        problems: [
          {
            path,
            line: 1,
            message: `unexpected file: a model folder holds model.yaml, versions/<n>.yaml, aliases/<alias>.yaml and deleted/<n>.yaml only`,
          },
        ],
      };
    default:
      return { kind: 'other' };
  }
}

export interface MutableDir {
  dir: string;
  model?: ModelFile;
  versions: Map<number, VersionFile>;
  aliases: Map<string, AliasFile>;
  deleted: Map<number, TombstoneFile>;
  fileProblems: Map<string, Problem[]>;
}

export function mutableDir(dir: string, old?: DirRecord): MutableDir {
  return {
    dir,
    ...(old?.model ? { model: old.model } : {}),
    versions: new Map(old?.versions ?? []),
    aliases: new Map(old?.aliases ?? []),
    deleted: new Map(old?.deleted ?? []),
    fileProblems: new Map(old?.fileProblems ?? []),
  };
}

/** Records one parsed file of a model folder (a parse that failed removes what the file held). */
export function applyParsed(d: MutableDir, parsed: Parsed, path: string): void {
  switch (parsed.kind) {
    case 'model':
      if (parsed.doc) d.model = parsed.doc;
      else delete d.model;
      break;
    case 'version':
      if (parsed.doc) d.versions.set(parsed.version, parsed.doc);
      else d.versions.delete(parsed.version);
      break;
    case 'alias':
      if (parsed.doc) d.aliases.set(parsed.encoded, parsed.doc);
      else d.aliases.delete(parsed.encoded);
      break;
    case 'tombstone':
      if (parsed.doc) d.deleted.set(parsed.version, parsed.doc);
      else d.deleted.delete(parsed.version);
      break;
    default:
      break;
  }
  if ('problems' in parsed && parsed.problems.length) d.fileProblems.set(path, parsed.problems);
  else d.fileProblems.delete(path);
}

/** Forgets a file of a model folder that is gone. */
export function removePath(d: MutableDir, path: string): void {
  const where = parsePath(path);
  if (where.kind === 'model') delete d.model;
  else if (where.kind === 'version') d.versions.delete(where.version);
  else if (where.kind === 'alias') d.aliases.delete(where.encoded);
  else if (where.kind === 'tombstone') d.deleted.delete(where.version);
  d.fileProblems.delete(path);
}

/** A folder's model entry from its parsed files. */
export function entryOf(
  dir: string,
  model: ModelFile,
  versions: ReadonlyMap<number, VersionFile>,
  aliases: Iterable<AliasFile>,
  deleted: Iterable<TombstoneFile>,
): ModelEntry {
  const aliasMap: Record<string, number> = {};
  for (const a of aliases) aliasMap[a.alias] = a.version;
  return modelEntry({
    dir,
    file: model,
    versions,
    aliases: aliasMap,
    deleted: new Map([...deleted].map((t) => [t.version, t.deleted_at])),
  });
}

export async function finishDir(d: MutableDir, reader: FileReader): Promise<DirRecord> {
  const problems: Problem[] = [...d.fileProblems.values()].flat();
  let entry: ModelEntry | undefined;
  if (!d.model) {
    if (!d.fileProblems.has(dirModelFile(d.dir))) {
      problems.push({ path: dirModelFile(d.dir), line: 1, message: 'model folder has no model.yaml' });
    }
  } else {
    entry = entryOf(d.dir, d.model, d.versions, d.aliases.values(), d.deleted.values());
    // An alias to a version whose file is broken is reported once, by that file: the version exists.
    const broken = new Set(
      [...d.fileProblems.keys()].flatMap((path) => {
        const where = parsePath(path);
        return where.kind === 'version' ? [where.version] : [];
      }),
    );
    const found = checkModel(entry).filter(
      (p) =>
        !(p.alias !== undefined && broken.has(entry!.aliases[p.alias] ?? -1) && p.message.includes('does not exist')),
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
    aliases: d.aliases,
    deleted: d.deleted,
    ...(entry ? { entry } : {}),
    problems,
    fileProblems: d.fileProblems,
  };
}

export function assemble(
  commit: string | null,
  registry: (Parsed & { kind: 'registry' }) | undefined,
  dirs: ReadonlyMap<string, DirRecord>,
): Loaded {
  const models = new Map<string, ModelEntry>();
  for (const rec of dirs.values()) if (rec.entry) models.set(rec.entry.file.name, rec.entry);
  const registryProblems: Problem[] = registry
    ? registry.problems
    : [{ path: REGISTRY_FILE, line: 1, message: 'registry.yaml is missing' }];
  // A registry in an older format is one problem (run `mreg migrate`), not one per file read the new way.
  const older = registryProblems.some((p) => p.message.includes("Run 'mreg migrate'"));
  const problems = older ? registryProblems : [...registryProblems, ...[...dirs.values()].flatMap((d) => d.problems)];
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
    if (!d) dirs.set(dir, (d = mutableDir(dir)));
    return d;
  };
  async function worker(): Promise<void> {
    while (next < relevant.length) {
      const path = relevant[next++]!;
      const bytes = await reader.read(path);
      if (!bytes) continue;
      const parsed = parseFile(path, bytes);
      if (parsed.kind === 'registry') registry = parsed;
      else if (parsed.kind !== 'other' && parsed.dir !== undefined) applyParsed(dirOf(parsed.dir), parsed, path);
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
 * One model folder, read through `reader` (a commit or the working tree); versions only when asked: all of
 * them, or only the numbers listed (what changed in a commit, so a model with 10,000 versions costs a few reads).
 * Aliases are always read; tombstones are read with all versions, and otherwise only counted (the numbers in
 * their folder's listing), which is all a registration needs: the next number.
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
  const problems: Problem[] = [];
  const readAll = async <T>(folder: string, names: readonly string[], kind: Parsed['kind']): Promise<T[]> => {
    const out: T[] = [];
    await Promise.all(
      names.map(async (file) => {
        const path = `${folder}/${file}`;
        if (parsePath(path).kind !== kind) return;
        const b = await reader.read(path);
        if (!b) return;
        const parsed = parseFile(path, b);
        if ('doc' in parsed && parsed.doc) out.push(parsed.doc as T);
        else if ('problems' in parsed) problems.push(...parsed.problems);
      }),
    );
    return out;
  };
  const numbersIn = (names: readonly string[] | null) =>
    (names ?? []).flatMap((f) => {
      const x = /^([1-9][0-9]{0,9})\.yaml$/.exec(f);
      return x ? [Number(x[1])] : [];
    });
  const versionsFolder = dirVersionsFolder(dir);
  const deletedFolder = dirDeletedFolder(dir);
  const aliasFolder = dirAliasesFolder(dir);
  const [versionNames, deletedNames, aliasNames] = await Promise.all([
    reader.list(versionsFolder),
    reader.list(deletedFolder),
    reader.list(aliasFolder),
  ]);
  const wanted: readonly string[] =
    opts.versions === true
      ? (versionNames ?? [])
      : Array.isArray(opts.versions)
        ? opts.versions.map((n) => `${n}.yaml`)
        : [];
  const [versionDocs, aliasDocs, tombstones] = await Promise.all([
    readAll<VersionFile>(versionsFolder, wanted, 'version'),
    readAll<AliasFile>(aliasFolder, aliasNames ?? [], 'alias'),
    opts.versions === true
      ? readAll<TombstoneFile>(deletedFolder, deletedNames ?? [], 'tombstone')
      : Promise.resolve([]),
  ]);
  const versions = new Map<number, VersionFile>();
  for (const v of versionDocs.sort((a, b) => a.version - b.version)) versions.set(v.version, v);
  const entry = entryOf(dir, m.doc, versions, aliasDocs, tombstones);
  // A partial load still knows every number (from the folders' listings): the highest decides the next registration.
  let latest = entry.latestVersion;
  for (const n of numbersIn(versionNames)) if (n > latest) latest = n;
  for (const n of numbersIn(deletedNames)) if (n > latest) latest = n;
  return { entry: { ...entry, latestVersion: latest }, problems };
}
