// Read-side questions over a RegistryState (or single entries): get, latest, by alias, download URI, search.
import { RegistryError } from '../errors.js';
import { isLatestAlias, parseVersion } from './rules.js';
import { aliasesOf, ownValue, type ModelEntry, type RegistryState, type VersionFile } from './state.js';
import { canonicalStage, type Stage } from './stages.js';
import type { ModelUri } from './uri.js';

export function modelNotFound(name: string): RegistryError {
  return RegistryError.notFound(`Registered Model with name=${name} not found`, { name });
}
export function versionNotFound(name: string, version: number | string): RegistryError {
  return RegistryError.notFound(`Model Version (name=${name}, version=${version}) not found`, { name, version });
}

export function requireModel(state: RegistryState, name: string): ModelEntry {
  const entry = state.models.get(name);
  if (!entry) throw modelNotFound(name);
  return entry;
}

export function requireVersion(entry: ModelEntry, version: number): VersionFile {
  const v = entry.versions.get(version);
  if (!v) throw versionNotFound(entry.file.name, version);
  return v;
}

/**
 * The highest version in each stage, in the order stages are first seen scanning versions upwards
 * (the order MLflow's SQL store produces). `stages` restricts the result.
 */
export function latestPerStage(entry: ModelEntry, stages?: readonly Stage[]): VersionFile[] {
  const best = new Map<Stage, VersionFile>();
  const numbers = [...entry.versions.keys()].sort((a, b) => a - b);
  for (const n of numbers) {
    const v = entry.versions.get(n)!;
    if (stages && stages.length && !stages.includes(v.stage)) continue;
    best.set(v.stage, v); // ascending scan: the last one seen is the highest; Map keeps first-insertion order
  }
  return [...best.values()];
}

/** get_latest_versions: stages in any case; an invalid stage is an error (checked after the model exists). */
export function getLatestVersions(entry: ModelEntry, stages?: readonly string[] | null): VersionFile[] {
  const wanted = (stages ?? []).map((s) => canonicalStage(s));
  return latestPerStage(entry, wanted.length ? wanted : undefined);
}

/** The highest live version, as `models:/name/latest` and the alias `latest` mean it. */
function latestVersion(entry: ModelEntry): VersionFile | undefined {
  let best: VersionFile | undefined;
  for (const v of entry.versions.values()) if (!best || v.version > best.version) best = v;
  return best;
}

/** get_model_version_by_alias, with `latest` (any case) meaning the highest live version. */
function versionByAlias(entry: ModelEntry, alias: string): VersionFile {
  if (isLatestAlias(alias)) {
    const v = latestVersion(entry);
    if (!v) throw RegistryError.notFound(`Latest version not found for model ${entry.file.name}.`);
    return v;
  }
  const n = ownValue(entry.aliases, alias);
  const v = n === undefined ? undefined : entry.versions.get(n);
  if (!v) throw RegistryError.invalid(`Registered model alias ${alias} not found.`, { alias });
  return v;
}

/**
 * get_model_version_by_alias where the model may not exist (`entry` undefined): MLflow's SQL store answers an
 * unknown model like an unknown alias, except for `latest`, which needs the model. The library, the daemon
 * and models:/name@alias URIs all answer through here.
 * @throws RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE
 */
export function modelVersionByAlias(entry: ModelEntry | undefined, name: string, alias: string): VersionFile {
  if (!entry) throw aliasOfMissingModel(name, alias);
  return versionByAlias(entry, alias);
}

function aliasOfMissingModel(name: string, alias: string): RegistryError {
  if (isLatestAlias(alias)) return modelNotFound(name);
  return RegistryError.invalid(`Registered model alias ${alias} not found.`, { alias });
}

/** The highest version in a stage, as `models:/name/Stage` means it. */
function latestInStage(entry: ModelEntry, stage: Stage): VersionFile | undefined {
  let best: VersionFile | undefined;
  for (const v of entry.versions.values()) if (v.stage === stage && (!best || v.version > best.version)) best = v;
  return best;
}

/** Where the version's artifacts are: the resolved location of a copy, else its source. */
export function downloadUri(v: VersionFile): string {
  return v.storage_location ?? v.source;
}

/** The fields of a version beyond MLflow's (what `mreg get NAME VERSION` shows as its lineage). */
export interface Lineage {
  digest?: string;
  code_commit?: string;
  dataset?: string;
  storage_location?: string;
  user_id?: string;
}

/** A version's lineage: the fields of `Lineage` it has (non-empty). */
export function lineageOf(v: VersionFile): Lineage {
  const out: Lineage = {};
  for (const k of ['digest', 'code_commit', 'dataset', 'storage_location', 'user_id'] as const) {
    const value = v[k];
    if (value) out[k] = value;
  }
  return out;
}

/**
 * The lineage keys machines read beside MLflow's fields (`--json` of the CLI, `/api/v1/resolve`): always
 * present, '' when unknown — as MLflow sends `run_id`.
 */
export const LINEAGE_KEYS = ['digest', 'code_commit', 'dataset', 'user_id'] as const;

export type VersionLineage = Record<(typeof LINEAGE_KEYS)[number], string>;

/** A version's lineage keys, '' for each one it lacks. */
export function versionLineage(v: VersionFile): VersionLineage {
  return {
    digest: v.digest ?? '',
    code_commit: v.code_commit ?? '',
    dataset: v.dataset ?? '',
    user_id: v.user_id ?? '',
  };
}

/** What a models:/ URI means in one state: the model, the version, where its artifacts are, and its lineage. */
export interface UriResolution extends VersionLineage {
  name: string;
  version: string;
  stage: string;
  aliases: string[];
  source: string;
  /** The version's download URI plus the URI's trailing artifact path. */
  artifact_uri: string;
  run_id: string;
}

/**
 * Resolves a parsed models:/ URI against a model entry (undefined: no such model), with MLflow's codes and wording.
 * @throws RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE (unknown alias, bad stage or version)
 */
export function resolveModelUri(entry: ModelEntry | undefined, u: ModelUri): UriResolution {
  if (!entry) throw u.kind === 'alias' ? aliasOfMissingModel(u.name, u.alias) : modelNotFound(u.name);
  let v: VersionFile | undefined;
  switch (u.kind) {
    case 'version': {
      const n = parseVersion(u.version);
      v = entry.versions.get(n);
      if (!v) throw versionNotFound(u.name, n);
      break;
    }
    case 'latest':
      v = latestVersion(entry);
      if (!v) throw RegistryError.notFound(`No versions of model with name '${u.name}' found`);
      break;
    case 'stage': {
      const stage = canonicalStage(u.stage);
      v = latestInStage(entry, stage);
      if (!v) throw RegistryError.notFound(`No versions of model with name '${u.name}' and stage '${stage}' found`);
      break;
    }
    case 'alias':
      v = versionByAlias(entry, u.alias);
      break;
  }
  const base = downloadUri(v);
  return {
    name: entry.file.name,
    version: String(v.version),
    stage: v.stage,
    aliases: aliasesOf(entry, v.version),
    source: v.source,
    artifact_uri: u.path ? `${base.replace(/\/+$/, '')}/${u.path}` : base,
    run_id: v.run_id ?? '',
    ...versionLineage(v),
  };
}
