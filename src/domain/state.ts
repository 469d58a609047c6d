// The registry as plain data: what one commit (or working tree) holds, after parsing and checking.
import type { ModelFile, RegistryFile, VersionFile } from '../schema/types.generated.js';

export type { ModelFile, RegistryFile, VersionFile };

/** One registered model with its live versions. */
export interface ModelEntry {
  readonly dir: string;
  readonly file: ModelFile;
  /** Version number → document; deleted versions are simply absent. */
  readonly versions: ReadonlyMap<number, VersionFile>;
}

export interface RegistryState {
  readonly registry: RegistryFile;
  /** Model name → entry. */
  readonly models: ReadonlyMap<string, ModelEntry>;
}

export const EMPTY_REGISTRY: RegistryFile = { format_version: 1 };

/**
 * The value a tag or alias map holds for `key` itself. Keys come from users, and `toString` or `__proto__` are keys
 * like any other: a plain lookup or `in` would find Object.prototype's members instead.
 */
export function ownValue<T>(map: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return map && Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Alias names pointing at `version`, in the model file's order. */
export function aliasesOf(model: ModelFile, version: number): string[] {
  return Object.entries(model.aliases ?? {})
    .filter(([, v]) => v === version)
    .map(([a]) => a);
}
