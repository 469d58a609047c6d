// Planners for writes on registered models. Pure: (context, current entries, input) → Change.
import { RegistryError } from '../../errors.js';
import { encodeName } from '../names.js';
import { versionNotFound } from '../queries.js';
import { normalizeTags, validateAliasName, validateTagKey, validateTagValue } from '../rules.js';
import { MAX_DIR_LENGTH } from '../names.js';
import { modelEntry, ownValue, type ModelEntry, type ModelFile } from '../state.js';
import { toIso } from '../time.js';
import { Draft, rederive, type Change, type OpContext } from './change.js';

function alreadyExists(name: string): RegistryError {
  return RegistryError.alreadyExists(`Registered Model (name=${name}) already exists.`, { name });
}

/**
 * Creates a registered model.
 * @throws RESOURCE_ALREADY_EXISTS when the name is taken; INVALID_PARAMETER_VALUE for bad tags.
 * @example createRegisteredModel(ctx, undefined, { name: 'fraud', tags: { team: 'risk' } })
 */
export function createRegisteredModel(
  ctx: OpContext,
  existing: ModelEntry | undefined,
  input: { name: string; tags?: unknown; description?: string | null },
): Change {
  const tags = normalizeTags(input.tags);
  if (existing) throw alreadyExists(input.name);
  const at = toIso(ctx.now);
  const file: ModelFile = { name: input.name, created_at: at, updated_at: at };
  if (input.description) file.description = input.description;
  if (Object.keys(tags).length) file.tags = tags;
  const draft = new Draft(`${input.name}: created`);
  draft.putModel(modelEntry({ dir: encodeName(input.name), file }));
  return draft.change;
}

/** Sets the description ('' clears it) and bumps updated_at. */
export function updateRegisteredModel(
  ctx: OpContext,
  entry: ModelEntry,
  description: string | null | undefined,
): Change {
  const file: ModelFile = { ...entry.file, updated_at: toIso(ctx.now) };
  if (description) file.description = description;
  else delete file.description;
  const draft = new Draft(`${entry.file.name}: description ${description ? 'updated' : 'cleared'}`);
  draft.putModel(rederive({ ...entry, file }), entry);
  return draft.change;
}

/**
 * Renames a model: its folder moves, versions, tags and aliases carry over, and every timestamp it
 * touches becomes the rename time (as MLflow's SQL store does).
 * @throws RESOURCE_ALREADY_EXISTS when `newName` is taken.
 */
export function renameRegisteredModel(
  ctx: OpContext,
  entry: ModelEntry,
  target: ModelEntry | undefined,
  newName: string,
): Change {
  if (newName === entry.file.name) {
    // MLflow's SQL store treats this as a plain update of the same row.
    throw alreadyExists(newName);
  }
  if (target) throw alreadyExists(newName);
  const at = toIso(ctx.now);
  const renamed = rederive({
    ...entry,
    dir: encodeName(newName),
    file: { ...entry.file, name: newName, updated_at: at },
    versions: new Map([...entry.versions].map(([n, v]) => [n, { ...v, updated_at: at }])),
  });
  const draft = new Draft(`${entry.file.name}: renamed to ${newName}`);
  draft.deleteModel(entry);
  draft.putModel(renamed);
  // The folder moves whole: versions, aliases and tombstones (so numbers stay never reused).
  for (const v of renamed.versions.values()) draft.putVersion(renamed, v);
  for (const [alias, n] of Object.entries(renamed.aliases)) draft.putAlias(renamed, alias, n);
  for (const [n, at] of renamed.deleted) draft.putTombstone(renamed, n, at);
  return draft.change;
}

/** Deletes a model with all its versions. */
export function deleteRegisteredModel(_ctx: OpContext, entry: ModelEntry): Change {
  const draft = new Draft(`${entry.file.name}: deleted`);
  draft.deleteModel(entry);
  return draft.change;
}

/** Sets a model tag; timestamps do not move (MLflow's SQL store). Returns null when nothing changes. */
export function setRegisteredModelTag(_ctx: OpContext, entry: ModelEntry, key: unknown, value: unknown): Change | null {
  validateTagKey(key);
  const v = validateTagValue(value);
  if (ownValue(entry.file.tags, key) === v) return null;
  const draft = new Draft(`${entry.file.name}: tag ${key} set`);
  draft.putModel({ ...entry, file: { ...entry.file, tags: { ...entry.file.tags, [key]: v } } }, entry);
  return draft.change;
}

/** Deletes a model tag; deleting an absent key is a no-op (null). */
export function deleteRegisteredModelTag(_ctx: OpContext, entry: ModelEntry, key: unknown): Change | null {
  validateTagKey(key);
  if (ownValue(entry.file.tags, key) === undefined) return null;
  const tags = { ...entry.file.tags };
  delete tags[key];
  const draft = new Draft(`${entry.file.name}: tag ${key} deleted`);
  draft.putModel({ ...entry, file: { ...entry.file, tags } }, entry);
  return draft.change;
}

/**
 * Points an alias at a live version, moving it if it exists.
 * @throws INVALID_PARAMETER_VALUE for a bad or reserved alias; RESOURCE_DOES_NOT_EXIST for a missing version.
 */
export function setRegisteredModelAlias(
  _ctx: OpContext,
  entry: ModelEntry,
  alias: unknown,
  version: number,
): Change | null {
  validateAliasName(alias, { forSet: true });
  if (encodeName(alias).length > MAX_DIR_LENGTH) {
    // Its file name: each non-ASCII letter takes several characters once encoded.
    throw RegistryError.invalid(`Alias name '${alias}' is too long for a file name once encoded.`, { alias });
  }
  if (!entry.versions.has(version)) throw versionNotFound(entry.file.name, version);
  const previous = ownValue(entry.aliases, alias);
  if (previous === version) return null;
  const draft = new Draft(`${entry.file.name}: alias ${alias} → v${version}${previous ? ` (was v${previous})` : ''}`);
  draft.setAfter({ ...entry, aliases: { ...entry.aliases, [alias]: version } }, entry);
  draft.putAlias(entry, alias, version);
  return draft.change;
}

/** Removes an alias; an absent alias is a no-op (null). */
export function deleteRegisteredModelAlias(_ctx: OpContext, entry: ModelEntry, alias: unknown): Change | null {
  validateAliasName(alias, { forSet: false });
  const was = ownValue(entry.aliases, alias);
  if (was === undefined) return null;
  const aliases = { ...entry.aliases };
  delete aliases[alias];
  const draft = new Draft(`${entry.file.name}: alias ${alias} deleted (was v${was})`);
  draft.setAfter({ ...entry, aliases }, entry);
  draft.deleteAlias(entry, alias);
  return draft.change;
}
