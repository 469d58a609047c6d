// What changed between a base commit and a target (a commit, or the working tree), as the two partial
// registry states of just the models that changed. `mreg diff` turns it into operations, `mreg validate`
// judges it with the policies. Only changed model folders are parsed, so the cost follows the change, not
// the registry (plus, for the working tree, one read and hash of every file).
import type { Problem } from '../errors.js';
import { MODELS_DIR, modelDirOf, parsePath, REGISTRY_FILE } from '../domain/layout.js';
import { EMPTY_REGISTRY, type ModelEntry, type RegistryFile, type RegistryState } from '../domain/state.js';
import type { GitReader } from '../store/git/reader.js';
import { hashObject, serializeTree, sortTreeEntries, type TreeEntry } from '../store/git/objects.js';
import { loadModelDir, type Loaded } from '../store/load.js';
import { parseDocumentText } from '../store/yaml.js';
import { commitReader, workTreeReader, type Reader } from './reader.js';
import { blobOid, listWorkTreeSync, readWorkTreeSync } from './tree-source.js';

/** A commit oid, or null for the working tree. */
export type Target = string | null;

export interface StatePair {
  before: RegistryState;
  after: RegistryState;
  /** Model folders that differ. */
  dirs: string[];
  /** Files that could not be read as registry documents on either side (reported by validate, skipped by diff). */
  problems: Problem[];
  /** Model folders with a broken file on the base side: what changed there cannot be judged. */
  brokenBefore: Set<string>;
}

/** Paths under the registry's files that differ between two commits, or a commit and the working tree. */
async function changedPaths(
  repo: GitReader,
  base: string | null,
  target: Target,
  workTreeOids?: ReadonlyMap<string, string>,
  onProgress?: (done: number, total: number) => void,
): Promise<string[]> {
  if (target !== null) {
    const changes = await repo.diff(base, target);
    return changes.map((c) => c.path).filter((p) => parsePath(p).kind !== 'other');
  }
  let oids = workTreeOids;
  if (!oids) {
    const m = new Map<string, string>();
    const paths = listWorkTreeSync(repo.dir, '').filter((p) => parsePath(p).kind !== 'other');
    paths.forEach((p, i) => {
      const bytes = readWorkTreeSync(repo.dir, p);
      if (bytes) m.set(p, blobOid(bytes));
      if (onProgress && (i % 256 === 255 || i === paths.length - 1)) onProgress(i + 1, paths.length);
    });
    oids = m;
  }
  if (!base) return [...oids.keys()];
  const out: string[] = [];
  if ((oids.get(REGISTRY_FILE) ?? null) !== (await repo.oidAt(base, REGISTRY_FILE))) out.push(REGISTRY_FILE);
  out.push(...(await changedUnder(repo, base, MODELS_DIR, workTreeTree(oids, MODELS_DIR))));
  return out;
}

/** A directory of the working tree as git would store it: entries by name, each dir with its tree oid. */
interface LocalTree {
  oid: string;
  files: Map<string, string>;
  dirs: Map<string, LocalTree>;
}

/** Builds the tree of the work-tree files under `root` from their blob oids, hashing every directory as git does. */
function workTreeTree(oids: ReadonlyMap<string, string>, root: string): LocalTree {
  const top: LocalTree = { oid: '', files: new Map(), dirs: new Map() };
  for (const [p, oid] of oids) {
    if (!p.startsWith(root + '/')) continue;
    const parts = p.slice(root.length + 1).split('/');
    let node = top;
    for (const part of parts.slice(0, -1)) {
      let next = node.dirs.get(part);
      if (!next) node.dirs.set(part, (next = { oid: '', files: new Map(), dirs: new Map() }));
      node = next;
    }
    node.files.set(parts[parts.length - 1]!, oid);
  }
  const hash = (t: LocalTree): string => {
    const entries: TreeEntry[] = [];
    for (const [name, oid] of t.files) entries.push({ path: name, mode: '100644', oid, type: 'blob' });
    for (const [name, sub] of t.dirs) entries.push({ path: name, mode: '040000', oid: hash(sub), type: 'tree' });
    return (t.oid = hashObject('tree', serializeTree(sortTreeEntries(entries))));
  };
  hash(top);
  return top;
}

function localFiles(t: LocalTree, prefix: string): string[] {
  return [
    ...[...t.files.keys()].map((n) => `${prefix}/${n}`),
    ...[...t.dirs].flatMap(([n, sub]) => localFiles(sub, `${prefix}/${n}`)),
  ];
}

/**
 * Paths that differ between `base`'s tree at `dir` and a work-tree directory, descending only into
 * subtrees whose oids differ: the cost follows the change, not the registry (one read of `models/`).
 */
async function changedUnder(
  repo: GitReader,
  base: string,
  dir: string,
  local: LocalTree | undefined,
): Promise<string[]> {
  const remote = await repo.readTreeAt(base, dir);
  if (!local) return remote ? (await repo.listFiles(base, dir)).map((f) => f.path) : [];
  if (!remote) return localFiles(local, dir);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of remote) {
    seen.add(e.path);
    const p = `${dir}/${e.path}`;
    const sub = local.dirs.get(e.path);
    const file = local.files.get(e.path);
    if (e.type === 'tree') {
      if (sub && sub.oid === e.oid) continue;
      out.push(...(await changedUnder(repo, base, p, sub)));
      if (file !== undefined) out.push(p);
    } else {
      if (file !== e.oid) out.push(p);
      if (sub) out.push(...localFiles(sub, p));
    }
  }
  for (const [name] of local.files) if (!seen.has(name)) out.push(`${dir}/${name}`);
  for (const [name, sub] of local.dirs) if (!seen.has(name)) out.push(...localFiles(sub, `${dir}/${name}`));
  return out;
}

async function readRegistry(reader: Reader, problems: Problem[]): Promise<RegistryFile> {
  const bytes = await reader.read(REGISTRY_FILE);
  if (!bytes) return EMPTY_REGISTRY;
  const r = parseDocumentText<RegistryFile>('registry', REGISTRY_FILE, bytes);
  if (r.ok) return r.doc;
  problems.push(...r.problems);
  return EMPTY_REGISTRY;
}

async function loadDirs(
  reader: Reader,
  dirs: string[],
  problems: Problem[],
  loaded?: Loaded,
): Promise<Map<string, ModelEntry>> {
  const models = new Map<string, ModelEntry>();
  for (const dir of dirs) {
    const rec = loaded?.dirs.get(dir);
    if (loaded) {
      if (rec?.entry) models.set(rec.entry.file.name, rec.entry);
      continue;
    }
    const r = await loadModelDir(reader, dir, { versions: true });
    problems.push(...r.problems);
    if (r.entry) models.set(r.entry.file.name, r.entry);
  }
  return models;
}

/**
 * The models that differ between `base` (a commit, or null for "nothing") and `target`, on both sides.
 * `targetLoaded` reuses a full load of the target instead of reading the changed folders again.
 */
export async function statePair(
  repo: GitReader,
  base: string | null,
  target: Target,
  opts: {
    targetLoaded?: Loaded;
    workTreeOids?: ReadonlyMap<string, string> | undefined;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<StatePair> {
  const paths = await changedPaths(repo, base, target, opts.workTreeOids, opts.onProgress);
  const dirs = [...new Set(paths.flatMap((p) => modelDirOf(p) ?? []))].sort();
  const problems: Problem[] = [];
  const beforeReader = commitReader(repo, base);
  const afterReader = target === null ? workTreeReader(repo) : commitReader(repo, target);
  const before: RegistryState = {
    registry: await readRegistry(beforeReader, problems),
    models: await loadDirs(beforeReader, dirs, problems),
  };
  const brokenBefore = new Set(problems.flatMap((p) => modelDirOf(p.path) ?? []));
  const after: RegistryState = {
    registry: opts.targetLoaded ? opts.targetLoaded.state.registry : await readRegistry(afterReader, problems),
    models: await loadDirs(afterReader, dirs, problems, opts.targetLoaded),
  };
  return { before, after, dirs, problems, brokenBefore };
}
