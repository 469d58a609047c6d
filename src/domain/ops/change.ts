// A planned write: the documents to write and the paths to delete, plus the models as they will be.
import { dirAliasFile, dirModelFile, dirPath, dirTombstoneFile, dirVersionFile } from '../layout.js';
import {
  modelEntry,
  type AliasFile,
  type ModelEntry,
  type ModelFile,
  type TombstoneFile,
  type VersionFile,
} from '../state.js';

export type Doc =
  | { kind: 'model'; doc: ModelFile }
  | { kind: 'version'; doc: VersionFile }
  | { kind: 'alias'; doc: AliasFile }
  | { kind: 'tombstone'; doc: TombstoneFile };

export interface Change {
  /** One-line commit subject, e.g. `fraud: v7 Staging → Production`. */
  message: string;
  /** Repository path → document to write. */
  writes: Map<string, Doc>;
  /** Paths to remove: files, or whole folders. */
  deletes: Set<string>;
  /** Each touched model as it will be after the change (by name); null for a deleted model. */
  after: Map<string, ModelEntry | null>;
  /** Each touched model as it was (by name); absent for a created one. */
  before: Map<string, ModelEntry>;
}

/** Who and when, for planners. */
export interface OpContext {
  /** Milliseconds since the epoch: every timestamp a change writes. */
  now: number;
  /** The writer, stored as a new version's user_id. */
  user?: string;
}

/** Builds a Change while a planner edits copies of the models it touches. */
export class Draft {
  readonly change: Change;

  constructor(message: string) {
    this.change = { message, writes: new Map(), deletes: new Set(), after: new Map(), before: new Map() };
  }

  touch(before: ModelEntry | undefined, name: string): void {
    if (before && !this.change.before.has(name)) this.change.before.set(name, before);
  }

  /** Records the model as the change leaves it, without writing any of its files. */
  setAfter(entry: ModelEntry, before?: ModelEntry): void {
    this.touch(before, entry.file.name);
    this.change.after.set(entry.file.name, entry);
  }

  /** Records the model as the change leaves it and writes its model.yaml (a model-level field changed). */
  putModel(entry: ModelEntry, before?: ModelEntry): void {
    this.setAfter(entry, before);
    this.change.writes.set(dirModelFile(entry.dir), { kind: 'model', doc: entry.file });
  }

  putVersion(entry: ModelEntry, v: VersionFile): void {
    this.change.writes.set(dirVersionFile(entry.dir, v.version), { kind: 'version', doc: v });
  }

  putAlias(entry: ModelEntry, alias: string, version: number): void {
    this.change.writes.set(dirAliasFile(entry.dir, alias), { kind: 'alias', doc: { alias, version } });
  }

  deleteAlias(entry: ModelEntry, alias: string): void {
    this.change.deletes.add(dirAliasFile(entry.dir, alias));
  }

  /** Removes a version's file and leaves its tombstone, so its number is never reused. */
  deleteVersion(entry: ModelEntry, n: number, deletedAt: string): void {
    this.change.deletes.add(dirVersionFile(entry.dir, n));
    this.putTombstone(entry, n, deletedAt);
  }

  removeTombstone(entry: ModelEntry, n: number): void {
    this.change.deletes.add(dirTombstoneFile(entry.dir, n));
  }

  putTombstone(entry: ModelEntry, n: number, deletedAt: string): void {
    this.change.writes.set(dirTombstoneFile(entry.dir, n), {
      kind: 'tombstone',
      doc: { version: n, deleted_at: deletedAt },
    });
  }

  deleteModel(before: ModelEntry): void {
    this.touch(before, before.file.name);
    this.change.after.set(before.file.name, null);
    this.change.deletes.add(dirPath(before.dir));
  }
}

/** The entry with its versions edited; the derived values follow (a number, once assigned, stays counted). */
export function withVersions(entry: ModelEntry, edit: (m: Map<number, VersionFile>) => void): ModelEntry {
  const versions = new Map(entry.versions);
  edit(versions);
  return rederive({ ...entry, versions });
}

/**
 * An entry whose parts a planner changed, with latestVersion and lastUpdated carried forward: they never go
 * back (the old values came from files a partial load may not have read), and grow with what the parts add.
 */
export function rederive(entry: ModelEntry): ModelEntry {
  const fresh = modelEntry({ ...entry, numbers: [entry.latestVersion] });
  return {
    ...fresh,
    lastUpdated: fresh.lastUpdated > entry.lastUpdated ? fresh.lastUpdated : entry.lastUpdated,
  };
}

/**
 * Two changes as one commit (the second planned on the first's result, e.g. a model created and its first
 * version registered): the union of their writes, deletions and models, under one message. A model's `before`
 * is its state before the first change; its `after`, the second's where both touch it.
 */
export function mergeChanges(first: Change, second: Change, message: string): Change {
  return {
    message,
    writes: new Map([...first.writes, ...second.writes]),
    deletes: new Set([...first.deletes, ...second.deletes]),
    after: new Map([...first.after, ...second.after]),
    before: new Map([...second.before, ...first.before]),
  };
}
