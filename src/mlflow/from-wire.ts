// MLflow's wire form back into the files' vocabulary, for `mreg import`: shape checks of what a server sent
// (so a malformed answer is an error that names the field, not a crash later), then current_stage → stage,
// epoch ms → ISO, [{key, value}] → maps, version strings → numbers. Pure.
import type { ModelFile, VersionFile } from '../domain/state.js';
import { STAGES, type Stage } from '../domain/stages.js';
import { toIso } from '../domain/time.js';
import type { MlflowAlias, MlflowModelVersion, MlflowRegisteredModel, MlflowTag } from './types.js';

/** A response that does not have MLflow's shape; `where` is a JSON path into the body. */
export class WireShapeError extends Error {
  constructor(
    readonly where: string,
    readonly expected: string,
  ) {
    super(`${where}: expected ${expected}`);
  }
}

const STATUSES = ['READY', 'PENDING_REGISTRATION', 'FAILED_REGISTRATION'] as const;

type Obj = Record<string, unknown>;

function obj(v: unknown, where: string): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new WireShapeError(where, 'an object');
  return v as Obj;
}

function str(v: unknown, where: string, optional = false): string {
  if (v === undefined || v === null) {
    if (optional) return '';
    throw new WireShapeError(where, 'a string');
  }
  if (typeof v !== 'string') throw new WireShapeError(where, 'a string');
  return v;
}

/** int64 fields: MLflow sends numbers; proto3 JSON allows decimal strings, which some proxies produce. */
function int64(v: unknown, where: string, optional = false): number | undefined {
  if ((v === undefined || v === null) && optional) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new WireShapeError(where, 'an integer');
  return n;
}

/** Epoch milliseconds that an ISO timestamp with milliseconds can hold (years 1970–9999). */
function millis(v: unknown, where: string): number {
  const n = int64(v, where)!;
  if (n < 0 || n > 253_402_300_799_999) throw new WireShapeError(where, 'epoch milliseconds');
  return n;
}

function list(v: unknown, where: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new WireShapeError(where, 'a list');
  return v;
}

function tags(v: unknown, where: string): MlflowTag[] {
  return list(v, where).map((t, i) => {
    const o = obj(t, `${where}[${i}]`);
    return { key: str(o.key, `${where}[${i}].key`), value: str(o.value, `${where}[${i}].value`, true) };
  });
}

/** A registered model as `registered-models/search` and `/get` send it (latest_versions are not kept). */
export function parseRegisteredModel(v: unknown, where: string): MlflowRegisteredModel {
  const o = obj(v, where);
  const out: MlflowRegisteredModel = {
    name: str(o.name, `${where}.name`),
    creation_timestamp: millis(o.creation_timestamp, `${where}.creation_timestamp`),
  };
  if (o.last_updated_timestamp !== undefined && o.last_updated_timestamp !== null)
    out.last_updated_timestamp = millis(o.last_updated_timestamp, `${where}.last_updated_timestamp`);
  const description = str(o.description, `${where}.description`, true);
  if (description) out.description = description;
  const t = tags(o.tags, `${where}.tags`);
  if (t.length) out.tags = t;
  const aliases: MlflowAlias[] = list(o.aliases, `${where}.aliases`).map((a, i) => {
    const x = obj(a, `${where}.aliases[${i}]`);
    return {
      alias: str(x.alias, `${where}.aliases[${i}].alias`),
      version: str(x.version, `${where}.aliases[${i}].version`),
    };
  });
  if (aliases.length) out.aliases = aliases;
  return out;
}

/** A model version as `model-versions/search` and `/get` send it; `user_id` is kept when the server has one. */
export function parseModelVersion(v: unknown, where: string): MlflowModelVersion & { user_id?: string } {
  const o = obj(v, where);
  const version = str(o.version, `${where}.version`);
  if (!/^[1-9]\d{0,9}$/.test(version) || Number(version) > 2147483647)
    throw new WireShapeError(`${where}.version`, 'a version number');
  const stage = str(o.current_stage, `${where}.current_stage`, true) || 'None';
  if (!(STAGES as readonly string[]).includes(stage))
    throw new WireShapeError(`${where}.current_stage`, `one of ${STAGES.join(', ')}`);
  const status = str(o.status, `${where}.status`, true) || 'READY';
  if (!(STATUSES as readonly string[]).includes(status))
    throw new WireShapeError(`${where}.status`, `one of ${STATUSES.join(', ')}`);
  const out: MlflowModelVersion & { user_id?: string } = {
    name: str(o.name, `${where}.name`),
    version,
    creation_timestamp: millis(o.creation_timestamp, `${where}.creation_timestamp`),
    last_updated_timestamp: millis(o.last_updated_timestamp ?? o.creation_timestamp, `${where}.last_updated_timestamp`),
    current_stage: stage,
    description: str(o.description, `${where}.description`, true),
    source: str(o.source, `${where}.source`, true),
    run_id: str(o.run_id, `${where}.run_id`, true),
    status,
    run_link: str(o.run_link, `${where}.run_link`, true),
  };
  const message = str(o.status_message, `${where}.status_message`, true);
  if (message) out.status_message = message;
  const t = tags(o.tags, `${where}.tags`);
  if (t.length) out.tags = t;
  const user = str(o.user_id, `${where}.user_id`, true);
  if (user) out.user_id = user;
  return out;
}

/** A search page: its items (under `key`) and the next page token, if any. */
export function parseSearchPage(body: unknown, key: string): { items: unknown[]; nextPageToken: string | undefined } {
  const o = obj(body, '$');
  const token = o.next_page_token;
  if (token !== undefined && token !== null && typeof token !== 'string')
    throw new WireShapeError('$.next_page_token', 'a string');
  return { items: list(o[key], `$.${key}`), nextPageToken: token ? token : undefined };
}

function tagMap(list: MlflowTag[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  // MLflow lists a key once; a repeated key keeps its first place and takes the last value, as a map would.
  for (const t of list) out[t.key] = t.value;
  return out;
}

/**
 * A registered model as the model file holds it: its `updated_at` is MLflow's last_updated_timestamp, so the
 * value derived from it and the versions' times is MLflow's again.
 */
export function toModelFile(m: MlflowRegisteredModel): ModelFile {
  const created = toIso(m.creation_timestamp);
  const updated = m.last_updated_timestamp !== undefined ? toIso(m.last_updated_timestamp) : created;
  const file: ModelFile = { name: m.name, created_at: created, updated_at: updated };
  if (m.description) file.description = m.description;
  const t = tagMap(m.tags);
  if (t) file.tags = t;
  return file;
}

/** A model version as its file holds it; `storageLocation` is the server's download URI when it differs from the source. */
export function toVersionFile(v: MlflowModelVersion & { user_id?: string }, storageLocation?: string): VersionFile {
  const file: VersionFile = {
    version: Number(v.version),
    source: v.source,
    stage: v.current_stage as Stage,
    status: v.status as VersionFile['status'],
    created_at: toIso(v.creation_timestamp),
    updated_at: toIso(v.last_updated_timestamp),
  };
  if (storageLocation && storageLocation !== v.source) file.storage_location = storageLocation;
  if (v.run_id) file.run_id = v.run_id;
  if (v.run_link) file.run_link = v.run_link;
  if (v.status_message) file.status_message = v.status_message;
  if (v.description) file.description = v.description;
  const t = tagMap(v.tags);
  if (t) file.tags = t;
  if (v.user_id) file.user_id = v.user_id;
  return file;
}

/** An MLflow error body (`{"error_code", "message"}`), or undefined when the body is something else. */
export function parseErrorBody(body: unknown): { error_code: string; message: string } | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const o = body as Obj;
  if (typeof o.error_code !== 'string') return undefined;
  return { error_code: o.error_code, message: typeof o.message === 'string' ? o.message : '' };
}
