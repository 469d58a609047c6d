// The one place the event log reaches git: read methods of GitReader (commits, tree diffs, files at a commit) and
// the store's loader for one model folder. Everything else in events/ works on what these return.
import type { Problem } from '../errors.js';
import { MODELS_DIR, parsePath, REGISTRY_FILE } from '../domain/layout.js';
import type { ModelEntry, RegistryFile } from '../domain/state.js';
import type { FileChange, GitReader } from '../store/git/reader.js';
import { loadModelDir } from '../store/load.js';
import { parseDocumentText } from '../store/yaml.js';

/** What the event log reads: a subset of GitReader's read side, so any repository object with these methods serves. */
export type HistorySource = Pick<
  GitReader,
  'readCommit' | 'diff' | 'readFileAt' | 'readTreeAt' | 'readBlob' | 'resolveRevision' | 'resolveBranch' | 'oidAt'
>;

export type { FileChange };

/** The changed registry files of a diff, by model folder: which version numbers, and whether registry.yaml changed. */
export interface ChangedDirs {
  registry: boolean;
  dirs: Map<string, Set<number>>;
}

export function changedDirs(changes: readonly FileChange[], into: ChangedDirs = emptyChanged()): ChangedDirs {
  for (const c of changes) {
    const where = parsePath(c.path);
    if (where.kind === 'registry') into.registry = true;
    // Format 2: an alias or a tombstone file changes its model's facts too (the loader reads them with the model).
    else if (
      where.kind === 'model' ||
      where.kind === 'version' ||
      where.kind === 'alias' ||
      where.kind === 'tombstone'
    ) {
      let set = into.dirs.get(where.dir);
      if (!set) into.dirs.set(where.dir, (set = new Set()));
      if (where.kind === 'version') set.add(where.version);
    }
  }
  return into;
}

export function emptyChanged(): ChangedDirs {
  return { registry: false, dirs: new Map() };
}

/** Blob bytes by oid: a file read as the "after" of one commit is often the "before" of a later one. */
const blobs = new Map<string, Uint8Array>();
const MAX_BLOBS = 4096;

async function blob(src: HistorySource, oid: string): Promise<Uint8Array> {
  const hit = blobs.get(oid);
  if (hit) return hit;
  const b = await src.readBlob(oid);
  if (blobs.size >= MAX_BLOBS) blobs.delete(blobs.keys().next().value!);
  blobs.set(oid, b);
  return b;
}

/** Path → blob oid (null: absent) on one side of a diff, so the files a diff names are read without a lookup. */
export type KnownOids = ReadonlyMap<string, string | null>;

export function sideOids(changes: readonly FileChange[], side: 'before' | 'after'): Map<string, string | null> {
  return new Map(changes.map((c) => [c.path, c[side]]));
}

/** One model folder at a commit with the listed versions: the entry (absent: no model there) and any problems. */
export async function loadDir(
  src: HistorySource,
  commit: string | null,
  dir: string,
  versions: readonly number[],
  known?: KnownOids,
): Promise<{ entry?: ModelEntry; problems: Problem[] }> {
  if (commit === null) return { problems: [] };
  return loadModelDir(
    {
      read: async (p) => {
        if (known?.has(p)) {
          const oid = known.get(p)!;
          return oid ? blob(src, oid) : null;
        }
        const oid = await src.oidAt(commit, p);
        return oid ? blob(src, oid).catch(() => null) : null;
      },
      list: async (d) => (await src.readTreeAt(commit, d))?.map((e) => e.path) ?? null,
    },
    dir,
    { versions },
  );
}

/** registry.yaml at a commit; undefined when it is absent or does not parse (its facts are then unknown). */
export async function loadRegistryFile(src: HistorySource, commit: string | null): Promise<RegistryFile | undefined> {
  if (commit === null) return undefined;
  const bytes = await src.readFileAt(commit, REGISTRY_FILE);
  if (!bytes) return undefined;
  const r = parseDocumentText<RegistryFile>('registry', REGISTRY_FILE, bytes);
  return r.ok ? r.doc : undefined;
}

/** The repository path of a model folder (for a diff restricted to it). */
export function modelDirPath(dir: string): string {
  return `${MODELS_DIR}/${dir}`;
}

/** A version number of a problem's path in `dir`, or undefined when the problem is the model file's. */
export function versionOfProblem(p: Problem): number | undefined {
  const where = parsePath(p.path);
  return where.kind === 'version' ? where.version : undefined;
}
