// Reading only what an operation needs: one model's folder (its model file, and all or some versions) and
// registry.yaml, from a commit or from the working tree. The library's reads and writes, `mreg diff` and
// `mreg validate` read through these.
import { RegistryError, formatProblem, type Problem } from '../errors.js';
import { dirVersionFile, REGISTRY_FILE } from '../domain/layout.js';
import { encodeName } from '../domain/names.js';
import { EMPTY_REGISTRY, type ModelEntry, type RegistryFile, type VersionFile } from '../domain/state.js';
import type { GitReader } from '../store/git/reader.js';
import { loadModelDir, parseRegistryFile } from '../store/load.js';
import { parseDocumentText } from '../store/yaml.js';

/** Files of one side: a commit (`commit` its oid; null with no commit = nothing) or the working tree. */
export interface Reader {
  /** The commit read, or null for the working tree (or an empty side). */
  commit: string | null;
  read(path: string): Promise<Uint8Array | null>;
  /** The names in a folder, or null when there is no such folder. */
  list(dir: string): Promise<string[] | null>;
}

/** Which versions of a model an operation reads: none, all, or these. */
export type Need = 'model' | 'all' | number[];

/** The files of a commit; `null` reads as an empty repository. */
export function commitReader(repo: GitReader, commit: string | null): Reader {
  return {
    commit,
    read: (p) => (commit ? repo.readFileAt(commit, p) : Promise.resolve(null)),
    list: async (d) => (commit ? ((await repo.readTreeAt(commit, d))?.map((e) => e.path) ?? null) : null),
  };
}

/** The files of the working tree, uncommitted edits included. */
export function workTreeReader(repo: GitReader): Reader {
  return {
    commit: null,
    read: (p) => repo.readWorkTreeFile(p),
    list: async (d) => {
      const files = await repo.listWorkTreeFiles(d);
      const names = files.map((f) => f.slice(d.length + 1)).filter((f) => f && !f.includes('/'));
      return names.length ? names : null;
    },
  };
}

/** One model, with the versions `need` asks for; undefined when the folder holds no model of that name. @throws INVALID_STATE for a broken file */
export async function loadModel(reader: Reader, name: string, need: Need): Promise<ModelEntry | undefined> {
  const dir = encodeName(name);
  const r = await loadModelDir(reader, dir, { versions: need === 'all' });
  if (r.problems.length) throw brokenFile(r.problems);
  if (!r.entry || r.entry.file.name !== name) return undefined;
  if (!Array.isArray(need)) return r.entry;
  const versions = new Map<number, VersionFile>();
  for (const n of need) {
    const path = dirVersionFile(dir, n);
    const bytes = await reader.read(path);
    if (!bytes) continue;
    const v = parseDocumentText<VersionFile>('model-version', path, bytes);
    if (!v.ok) throw brokenFile(v.problems);
    versions.set(n, v.doc);
  }
  return { ...r.entry, versions };
}

/** registry.yaml (its policies), or the empty registry when there is none. @throws INVALID_STATE when it is broken */
export async function readRegistryFile(reader: Reader): Promise<RegistryFile> {
  const bytes = await reader.read(REGISTRY_FILE);
  if (!bytes) return EMPTY_REGISTRY;
  const r = parseRegistryFile(REGISTRY_FILE, bytes);
  if (r.ok) return r.doc;
  // An older format is not a broken file: one command fixes it.
  if (r.problems.length === 1 && r.problems[0]!.message.includes("'mreg migrate'"))
    throw new RegistryError('INVALID_STATE', r.problems[0]!.message, { problems: r.problems });
  throw brokenFile(r.problems);
}

export function brokenFile(problems: Problem[]): RegistryError {
  const several = new Set(problems.map((p) => p.path)).size > 1;
  return new RegistryError(
    'INVALID_STATE',
    `The registry has ${several ? 'broken files' : 'a broken file'}: ${listProblems(problems)}. Fix ${several ? 'them' : 'it'} (see 'mreg validate') before writing.`,
    { problems },
  );
}

/** Every problem, in one line: a refused write names all of them, not the first and a count. */
export function listProblems(problems: readonly Problem[]): string {
  return problems.map(formatProblem).join('; ');
}

/** Whether the side has a registry.yaml: a git repository without one is not a registry, and is never written to. */
export async function hasRegistryFile(reader: Reader): Promise<boolean> {
  return (await reader.read(REGISTRY_FILE)) !== null;
}
