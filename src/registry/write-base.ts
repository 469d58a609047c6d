// Where a batch's models come from: read from a commit or the working tree as a write needs them (fileBase), or
// the whole state a long-lived writer keeps in memory (memoryBase).
import { encodeName } from '../domain/names.js';
import type { ModelEntry, RegistryFile } from '../domain/state.js';
import type { ChangeSet, GitWriter } from '../store/git/writer.js';
import { type Loaded } from '../store/load.js';
import { applyChanges } from '../store/load-patch.js';
import {
  brokenFile,
  commitReader,
  hasRegistryFile,
  loadModel,
  readRegistryFile,
  workTreeReader,
  type Need,
} from './reader.js';

/** The models a batch plans on: the commit it builds on, and how to read them. */
export interface Base {
  commit: string | null;
  entries(names: string[], need: Need): Promise<Array<ModelEntry | undefined>>;
  registry(): Promise<RegistryFile>;
  /** Whether registry.yaml is there: a git repository without it is not a registry. */
  isRegistry(): Promise<boolean>;
  /** The base once `files` are committed on top of this one as `commit`. */
  next(commit: string, files: ChangeSet): Promise<Base>;
  /** The state in memory (a long-lived writer's). */
  loaded?: Loaded;
}

/** Reads only what a write needs: from a commit (chained commits read through the writer's memory), or the working tree. */
export function fileBase(repo: GitWriter, commit: string | null, workTree: boolean): Base {
  const reader = workTree ? workTreeReader(repo) : commitReader(repo, commit);
  return {
    commit,
    entries: (names, need) => Promise.all(names.map((n) => loadModel(reader, n, need))),
    registry: () => readRegistryFile(reader),
    isRegistry: () => hasRegistryFile(reader),
    next: async (oid) => fileBase(repo, oid, workTree),
  };
}

/** The whole state in memory: a write reads nothing, and the next state comes from the files written. */
export function memoryBase(loaded: Loaded): Base {
  return {
    commit: loaded.commit,
    loaded,
    entries: async (names) => {
      if (loaded.registryProblems.length) throw brokenFile(loaded.registryProblems);
      return names.map((name) => {
        const rec = loaded.dirs.get(encodeName(name));
        if (rec && rec.fileProblems.size) throw brokenFile([...rec.fileProblems.values()].flat());
        return loaded.state.models.get(name);
      });
    },
    registry: async () => loaded.state.registry,
    // The kept state was loaded from a commit that had registry.yaml, and only registry writes move it on.
    isRegistry: async () => true,
    next: async (oid, files) => memoryBase(await applyChanges(loaded, oid, files)),
  };
}
