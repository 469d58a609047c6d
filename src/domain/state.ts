// The registry as plain data: what one commit (or working tree) holds, after parsing and checking.
import type { AliasFile, ModelFile, RegistryFile, TombstoneFile, VersionFile } from '../schema/types.generated.js';

export type { AliasFile, ModelFile, RegistryFile, TombstoneFile, VersionFile };

/** The file format this code reads and writes (registry.yaml's `format_version`). */
export const FORMAT_VERSION = 2;

/**
 * One registered model: its model file, live versions, aliases and tombstones, plus the two values every
 * write used to store in model.yaml and format 2 derives instead (`latestVersion`, `lastUpdated`). They are
 * computed once where an entry is built (the loader, `modelEntry`) and carried forward by the planners, so
 * every reader takes them from here.
 */
export interface ModelEntry {
  readonly dir: string;
  readonly file: ModelFile;
  /** Version number → document; deleted versions are absent (a partial load holds only the versions it read). */
  readonly versions: ReadonlyMap<number, VersionFile>;
  /** Alias → version number. */
  readonly aliases: Readonly<Record<string, number>>;
  /** Deleted version number → deletion time (ISO); a partial load may leave the times out (''). */
  readonly deleted: ReadonlyMap<number, string>;
  /** The highest number ever assigned: max of live and deleted numbers, 0 before the first. */
  readonly latestVersion: number;
  /**
   * MLflow's last_updated_timestamp of the model (ISO): the latest of model.updated_at, every version's
   * created_at and stage_updated_at and every tombstone's deleted_at. Exact when all versions were loaded.
   */
  readonly lastUpdated: string;
}

export interface RegistryState {
  readonly registry: RegistryFile;
  /** Model name → entry. */
  readonly models: ReadonlyMap<string, ModelEntry>;
}

export const EMPTY_REGISTRY: RegistryFile = { format_version: FORMAT_VERSION as 2 };

/**
 * A model entry with its derived values computed from its parts. `numbers` are version numbers known to
 * exist beyond the loaded ones (a partial load lists the versions folder without reading it).
 */
export function modelEntry(parts: {
  dir: string;
  file: ModelFile;
  versions?: ReadonlyMap<number, VersionFile>;
  aliases?: Readonly<Record<string, number>>;
  deleted?: ReadonlyMap<number, string>;
  numbers?: Iterable<number>;
}): ModelEntry {
  const versions = parts.versions ?? new Map<number, VersionFile>();
  const deleted = parts.deleted ?? new Map<number, string>();
  let latest = 0;
  for (const n of versions.keys()) if (n > latest) latest = n;
  for (const n of deleted.keys()) if (n > latest) latest = n;
  for (const n of parts.numbers ?? []) if (n > latest) latest = n;
  let last = parts.file.updated_at;
  for (const v of versions.values()) {
    if (v.created_at > last) last = v.created_at;
    if (v.stage_updated_at !== undefined && v.stage_updated_at > last) last = v.stage_updated_at;
  }
  for (const at of deleted.values()) if (at > last) last = at;
  return {
    dir: parts.dir,
    file: parts.file,
    versions,
    aliases: parts.aliases ?? {},
    deleted,
    latestVersion: latest,
    lastUpdated: last,
  };
}

/**
 * The value a tag or alias map holds for `key` itself. Keys come from users, and `toString` or `__proto__` are keys
 * like any other: a plain lookup or `in` would find Object.prototype's members instead.
 */
export function ownValue<T>(map: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return map && Object.hasOwn(map, key) ? map[key] : undefined;
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A model's aliases as [alias, version] pairs, sorted by alias name as MLflow 2.22 (SQL store) returns them. */
export function sortedAliases(entry: ModelEntry): Array<[string, number]> {
  return Object.entries(entry.aliases).sort(([a], [b]) => byCodePoint(a, b));
}

/** Alias names pointing at `version`, sorted by name (MLflow's order). */
export function aliasesOf(entry: ModelEntry, version: number): string[] {
  return sortedAliases(entry)
    .filter(([, v]) => v === version)
    .map(([a]) => a);
}

/** What every command but `mreg migrate` says about a registry in an older format. */
export function olderFormatMessage(found: number): string {
  return `registry.yaml says format_version ${found}; this mreg reads format ${FORMAT_VERSION}. Run 'mreg migrate' to rewrite the registry as format ${FORMAT_VERSION} (one commit).`;
}
