// The one place where the files' vocabulary becomes MLflow's wire form:
// stage → current_stage, ISO → epoch ms, maps → [{key, value}], version number → string.
import type { ModelEntry, VersionFile } from '../domain/state.js';
import { aliasesOf, sortedAliases } from '../domain/state.js';
import { latestPerStage, versionLineage } from '../domain/queries.js';
import type { Page } from '../domain/search.js';
import { toMs } from '../domain/time.js';
import type {
  MlflowModelVersion,
  MlflowRegisteredModel,
  MlflowSearchModelsResponse,
  MlflowSearchVersionsResponse,
  MlflowTag,
} from './types.js';

function tagList(tags: Record<string, string> | undefined): MlflowTag[] | undefined {
  if (!tags) return undefined;
  const list = Object.entries(tags).map(([key, value]) => ({ key, value }));
  return list.length ? list : undefined;
}

export interface VersionOptions {
  /** MLflow's SQL store leaves `aliases` out of search results and of a model's latest_versions. */
  withAliases?: boolean;
  /**
   * Appends mreg's lineage keys (digest, code_commit, dataset, user_id) after MLflow's: what the CLI's --json
   * prints. MLflow's REST API never sets it, so its responses keep MLflow's exact shape.
   */
  lineage?: boolean;
}

/** A version of `entry` in MLflow's shape; its aliases sorted by name, as MLflow 2.22 lists them. */
export function toMlflowModelVersion(entry: ModelEntry, v: VersionFile, opts: VersionOptions = {}): MlflowModelVersion {
  const out: MlflowModelVersion = {
    name: entry.file.name,
    version: String(v.version),
    creation_timestamp: toMs(v.created_at),
    last_updated_timestamp: toMs(v.updated_at),
    current_stage: v.stage,
    description: v.description ?? '',
    source: v.source,
    run_id: v.run_id ?? '',
    status: v.status,
  } as MlflowModelVersion;
  // Keys in MLflow's field-number order: run_link (13) comes after status_message (11) and tags (12).
  if (v.status_message) out.status_message = v.status_message;
  const tags = tagList(v.tags);
  if (tags) out.tags = tags;
  out.run_link = v.run_link ?? '';
  if (opts.withAliases !== false) {
    const aliases = aliasesOf(entry, v.version);
    if (aliases.length) out.aliases = aliases;
  }
  if (opts.lineage) Object.assign(out, versionLineage(v));
  return out;
}

export function toMlflowRegisteredModel(entry: ModelEntry, opts: { lineage?: boolean } = {}): MlflowRegisteredModel {
  const m = entry.file;
  const out: MlflowRegisteredModel = { name: m.name, creation_timestamp: toMs(m.created_at) };
  // Derived when the model was loaded: model.yaml's updated_at, versions' creation and stage changes, deletions.
  const updated = toMs(entry.lastUpdated);
  if (updated) out.last_updated_timestamp = updated;
  if (m.description) out.description = m.description;
  const latest = latestPerStage(entry);
  if (latest.length)
    out.latest_versions = latest.map((v) =>
      toMlflowModelVersion(entry, v, { withAliases: false, lineage: opts.lineage === true }),
    );
  const tags = tagList(m.tags);
  if (tags) out.tags = tags;
  const aliases = sortedAliases(entry).map(([alias, version]) => ({ alias, version: String(version) }));
  if (aliases.length) out.aliases = aliases;
  return out;
}

/** A page of search_registered_models as MLflow's response: empty lists and the last page's token left out. */
export function toMlflowSearchModelsResponse(
  page: Page<ModelEntry>,
  opts: { lineage?: boolean } = {},
): MlflowSearchModelsResponse {
  const out: MlflowSearchModelsResponse = {};
  if (page.items.length) out.registered_models = page.items.map((e) => toMlflowRegisteredModel(e, opts));
  if (page.nextPageToken) out.next_page_token = page.nextPageToken;
  return out;
}

/** A page of search_model_versions as MLflow's response (its SQL store leaves `aliases` out of search results). */
export function toMlflowSearchVersionsResponse(
  page: Page<{ model: ModelEntry; version: VersionFile }>,
  opts: { lineage?: boolean } = {},
): MlflowSearchVersionsResponse {
  const out: MlflowSearchVersionsResponse = {};
  if (page.items.length)
    out.model_versions = page.items.map((r) =>
      toMlflowModelVersion(r.model, r.version, { withAliases: false, lineage: opts.lineage === true }),
    );
  if (page.nextPageToken) out.next_page_token = page.nextPageToken;
  return out;
}
