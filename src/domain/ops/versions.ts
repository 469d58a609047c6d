// Planners for writes on model versions. Pure: (context, current entry, input) → Change.
import { RegistryError } from '../../errors.js';
import { requireVersion } from '../queries.js';
import { normalizeTags, validateSource, validateTagKey, validateTagValue } from '../rules.js';
import { ACTIVE_STAGES, canonicalStage } from '../stages.js';
import { ownValue, type ModelEntry, type VersionFile } from '../state.js';
import { toIso } from '../time.js';
import { Draft, mergeChanges, withVersions, type Change, type OpContext } from './change.js';
import { createRegisteredModel } from './models.js';

export interface CreateVersionInput {
  source: unknown;
  runId?: string | null;
  runLink?: string | null;
  description?: string | null;
  tags?: unknown;
  /** Lineage beyond MLflow's, typed in the schema. */
  digest?: string | null;
  codeCommit?: string | null;
  dataset?: string | null;
  /** For copies: where the source version's artifacts really are. */
  storageLocation?: string | null;
}

/**
 * Registers the next version: number = latestVersion + 1 (live and deleted numbers), so numbers are never
 * reused. Writes only the new version's file: two registrations on two branches conflict only when they claim
 * the same number. `entry` needs its numbers, not its versions' contents.
 * @throws INVALID_PARAMETER_VALUE for a missing or unsafe source or bad tags.
 */
export function createModelVersion(ctx: OpContext, entry: ModelEntry, input: CreateVersionInput): Change {
  validateSource(input.source);
  const tags = normalizeTags(input.tags);
  const at = toIso(ctx.now);
  const n = entry.latestVersion + 1;
  const v: VersionFile = {
    version: n,
    source: input.source,
    stage: 'None',
    status: 'READY',
    created_at: at,
    updated_at: at,
  };
  if (input.storageLocation) v.storage_location = input.storageLocation;
  if (input.runId) v.run_id = input.runId;
  if (input.runLink) v.run_link = input.runLink;
  if (input.description) v.description = input.description;
  if (Object.keys(tags).length) v.tags = tags;
  if (ctx.user) v.user_id = ctx.user;
  if (input.digest) v.digest = input.digest;
  if (input.codeCommit) v.code_commit = input.codeCommit;
  if (input.dataset) v.dataset = input.dataset;
  const after = withVersions(entry, (m) => m.set(n, v));
  const draft = new Draft(`${entry.file.name}: v${n} registered`);
  draft.setAfter(after, entry);
  draft.putVersion(after, v);
  return draft.change;
}

/**
 * Registers the next version of `model.name`, creating the model first when `entry` is undefined — both in
 * one change (what `mlflow.register_model` does in two calls), whose message is then `createdMessage`.
 * @throws INVALID_PARAMETER_VALUE as createRegisteredModel and createModelVersion do
 * @example registerModelVersion(ctx, undefined, { name: 'fraud' }, { source: 's3://b/1' }, 'fraud: created; v1 registered')
 */
export function registerModelVersion(
  ctx: OpContext,
  entry: ModelEntry | undefined,
  model: { name: string; tags?: unknown; description?: string | null },
  input: CreateVersionInput,
  createdMessage: string,
): Change {
  if (entry) return createModelVersion(ctx, entry, input);
  const created = createRegisteredModel(ctx, undefined, model);
  return mergeChanges(created, createModelVersion(ctx, created.after.get(model.name)!, input), createdMessage);
}

/** Sets a version's description (null/'' clears it) and bumps the version's updated_at only (MLflow). */
export function updateModelVersion(
  ctx: OpContext,
  entry: ModelEntry,
  version: number,
  description: string | null | undefined,
): Change {
  const v = { ...requireVersion(entry, version), updated_at: toIso(ctx.now) };
  if (description) v.description = description;
  else delete v.description;
  const after = withVersions(entry, (m) => m.set(version, v));
  const draft = new Draft(`${entry.file.name}: v${version} description ${description ? 'updated' : 'cleared'}`);
  draft.touch(entry, entry.file.name);
  draft.change.after.set(entry.file.name, after);
  draft.putVersion(after, v);
  return draft.change;
}

/**
 * Moves a version to a stage (any case in, canonical out). With `archiveExisting`, the other versions in
 * that stage move to Archived in the same commit and with the same timestamp.
 * @throws INVALID_PARAMETER_VALUE for an unknown stage, or archiveExisting towards None/Archived.
 */
export function transitionModelVersionStage(
  ctx: OpContext,
  entry: ModelEntry,
  version: number,
  stageInput: unknown,
  archiveExisting: boolean,
): Change {
  const stage = canonicalStage(stageInput);
  const current = requireVersion(entry, version);
  if (archiveExisting && !ACTIVE_STAGES.includes(stage)) {
    // MLflow raises this without an error code (HTTP 500); a bad argument is what it is.
    throw RegistryError.invalid(
      `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ['Staging', 'Production']`,
    );
  }
  const at = toIso(ctx.now);
  const archived: number[] = [];
  // stage_updated_at is what the model's last-updated time derives a transition from (model.yaml is not written).
  const after = withVersions(entry, (m) => {
    m.set(version, { ...current, stage, updated_at: at, stage_updated_at: at });
    if (!archiveExisting) return;
    for (const [n, v] of entry.versions) {
      if (n !== version && v.stage === stage) {
        m.set(n, { ...v, stage: 'Archived', updated_at: at, stage_updated_at: at });
        archived.push(n);
      }
    }
  });
  archived.sort((a, b) => a - b);
  const suffix = archived.length ? `; archived ${archived.map((n) => `v${n}`).join(', ')}` : '';
  const draft = new Draft(`${entry.file.name}: v${version} ${current.stage} → ${stage}${suffix}`);
  draft.setAfter(after, entry);
  draft.putVersion(after, after.versions.get(version)!);
  for (const n of archived) draft.putVersion(after, after.versions.get(n)!);
  return draft.change;
}

/**
 * Deletes a version: its file goes and a tombstone (deleted/<n>.yaml, with the time) takes its place, so the
 * number is never reused and the model's last-updated time moves; aliases pointing at it go.
 */
export function deleteModelVersion(ctx: OpContext, entry: ModelEntry, version: number): Change {
  requireVersion(entry, version);
  const at = toIso(ctx.now);
  const aliases = Object.fromEntries(Object.entries(entry.aliases).filter(([, v]) => v !== version));
  const dropped = Object.keys(entry.aliases).filter((a) => !Object.hasOwn(aliases, a));
  const deleted = new Map(entry.deleted).set(version, at);
  const after = withVersions({ ...entry, aliases, deleted }, (m) => m.delete(version));
  const draft = new Draft(
    `${entry.file.name}: v${version} deleted${dropped.length ? ` (aliases ${dropped.join(', ')} removed)` : ''}`,
  );
  draft.setAfter(after, entry);
  draft.deleteVersion(entry, version, at);
  for (const a of dropped) draft.deleteAlias(entry, a);
  return draft.change;
}

/** Sets a version tag; no timestamp moves (MLflow's SQL store). Null when nothing changes. */
export function setModelVersionTag(
  _ctx: OpContext,
  entry: ModelEntry,
  version: number,
  key: unknown,
  value: unknown,
): Change | null {
  validateTagKey(key);
  if (value === null || value === undefined) throw RegistryError.invalid('Tag value cannot be None');
  const val = validateTagValue(value);
  const v = requireVersion(entry, version);
  if (ownValue(v.tags, key) === val) return null;
  const next = { ...v, tags: { ...v.tags, [key]: val } };
  return versionEdit(entry, next, `${entry.file.name}: v${version} tag ${key} set`);
}

/** Deletes a version tag; an absent key is a no-op (null). */
export function deleteModelVersionTag(
  _ctx: OpContext,
  entry: ModelEntry,
  version: number,
  key: unknown,
): Change | null {
  validateTagKey(key);
  const v = requireVersion(entry, version);
  if (ownValue(v.tags, key) === undefined) return null;
  const tags = { ...v.tags };
  delete tags[key];
  return versionEdit(entry, { ...v, tags }, `${entry.file.name}: v${version} tag ${key} deleted`);
}

function versionEdit(entry: ModelEntry, v: VersionFile, message: string): Change {
  const after = withVersions(entry, (m) => m.set(v.version, v));
  const draft = new Draft(message);
  draft.touch(entry, entry.file.name);
  draft.change.after.set(entry.file.name, after);
  draft.putVersion(after, v);
  return draft.change;
}
