// MLflow REST API 2.0, write side: every registry write endpoint, each a Registry call (through the library's
// one write loop, kept long-lived), so a write is planned, checked and committed exactly as `mreg` commits it —
// authored by the caller's token. Request validation, bodies, error codes and statuses are MLflow's (the parameter helpers and the one
// error handler are the daemon's, shared with the read side).
import { mlflowParams, type WriteHandler, type WriteRoutes } from '../daemon/http/app.js';
import { badType, ok, stringParam, type Params, type Reply } from '../daemon/http/reply.js';
import type { Served } from '../daemon/ui-deps.js';
import { downloadUri } from '../domain/queries.js';
import { parseVersion } from '../domain/rules.js';
import { parseModelUri } from '../domain/uri.js';
import { RegistryError } from '../errors.js';
import { Registry } from '../registry/registry.js';
import type { Authenticator } from './auth.js';

export interface WriteApiDeps {
  /** The gateway's long-lived Registry; undefined until the gateway has started (a write then answers 503). */
  registry(): Registry | undefined;
  auth(): Authenticator | undefined;
}

type Op = (registry: Registry, p: Params, served: Served | undefined) => Promise<Reply>;

const unavailable = (): Reply => ({
  status: 503,
  body: '{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "The gateway is starting; retry shortly."}',
  contentType: 'application/json',
  headers: [['Retry-After', '1']],
});

function handler(deps: WriteApiDeps, op: Op): WriteHandler {
  return async (input, method, served) => {
    const auth = deps.auth();
    const gateway = deps.registry();
    if (!auth || !gateway) return unavailable();
    // Credentials first: an unauthenticated request gets 401 before its body is even read.
    const who = auth.writer(input);
    if ('status' in who) return who;
    const params = await mlflowParams(input, method);
    const registry = gateway.actingAs({ name: who.name, email: who.email });
    const reply = await op(registry, params, served);
    // X-Mreg-Commit: the write's own commit (or, for a no-op, the state it was answered from).
    return {
      ...reply,
      commit: registry.lastWrite.commit ?? gateway.writes.state?.commit ?? served?.commit ?? null,
    };
  };
}

// ---------------------------------------------------------------- parameters

/** MLflow's `tags`: a list of {key, value}; absent → none. */
function tagsParam(p: Params): Array<{ key: unknown; value: unknown }> | undefined {
  const v = p.one('tags');
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw badType('tags', v);
  for (const t of v) {
    if (t === null || typeof t !== 'object' || Array.isArray(t)) throw badType('tags', v);
    const { key, value } = t as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || (value !== undefined && value !== null && typeof value !== 'string'))
      throw badType('tags', v);
  }
  return v as Array<{ key: unknown; value: unknown }>;
}

/** A tag value: absent means "" (protobuf's default, as MLflow's handler stores it). */
function valueParam(p: Params): string {
  const v = p.one('value');
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw badType('value', v);
  return v;
}

function boolParam(p: Params, name: string): boolean {
  const v = p.one(name);
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw badType(name, v);
  return v;
}

/**
 * Where a version whose source is `models:/<name>/<version>` (a copy: what MlflowClient.copy_model_version
 * sends) really is: that version's download URI, as MLflow's server resolves it at creation.
 */
function storageOf(source: string, served: Served | undefined, registry: Registry): string | undefined {
  if (!/^models:/i.test(source)) return undefined;
  const unable = (why: string): RegistryError =>
    RegistryError.invalid(`Unable to fetch model from model URI source artifact location '${source}'. Error: ${why}`, {
      source,
    });
  let u;
  try {
    u = parseModelUri(source);
  } catch (e) {
    throw unable((e as Error).message);
  }
  if (u.kind !== 'version' || u.path !== '')
    throw unable('the source must name a model version: models:/<name>/<version>.');
  const state = registry.writes.state ?? served?.loaded;
  const n = parseVersion(u.version);
  const v = state?.state.models.get(u.name)?.versions.get(n);
  if (!v) throw unable(`Model Version (name=${u.name}, version=${n}) not found`);
  return downloadUri(v);
}

// ---------------------------------------------------------------- endpoints

const createRegisteredModel: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  const tags = tagsParam(p);
  const description = stringParam(p, 'description') ?? null;
  return ok({ registered_model: await r.createRegisteredModel(name, { tags, description }) });
};

const renameRegisteredModel: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  const newName = stringParam(p, 'new_name', true);
  return ok({ registered_model: await r.renameRegisteredModel(name, newName) });
};

const updateRegisteredModel: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  // Absent clears it, as MLflow's handler does.
  const description = stringParam(p, 'description') ?? null;
  return ok({ registered_model: await r.updateRegisteredModel(name, { description }) });
};

const deleteRegisteredModel: Op = async (r, p) => {
  await r.deleteRegisteredModel(stringParam(p, 'name', true));
  return ok({});
};

const setRegisteredModelTag: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  const key = stringParam(p, 'key', true);
  await r.setRegisteredModelTag(name, key, valueParam(p));
  return ok({});
};

const deleteRegisteredModelTag: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  await r.deleteRegisteredModelTag(name, stringParam(p, 'key', true));
  return ok({});
};

const setRegisteredModelAlias: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  const alias = stringParam(p, 'alias', true);
  const version = stringParam(p, 'version', true);
  await r.setRegisteredModelAlias(name, alias, version);
  return ok({});
};

const deleteRegisteredModelAlias: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  await r.deleteRegisteredModelAlias(name, stringParam(p, 'alias', true));
  return ok({});
};

const createModelVersion: Op = async (r, p, served) => {
  const name = stringParam(p, 'name', true);
  const source = stringParam(p, 'source', true);
  const tags = tagsParam(p);
  const runId = stringParam(p, 'run_id') ?? null;
  const runLink = stringParam(p, 'run_link') ?? null;
  const description = stringParam(p, 'description') ?? null;
  const storageLocation = storageOf(source, served, r) ?? null;
  const mv = await r.createModelVersion(name, source, { runId, runLink, description, tags, storageLocation });
  return ok({ model_version: mv });
};

const updateModelVersion: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  const version = stringParam(p, 'version', true);
  const description = stringParam(p, 'description') ?? null;
  return ok({ model_version: await r.updateModelVersion(name, version, { description }) });
};

const deleteModelVersion: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  await r.deleteModelVersion(name, stringParam(p, 'version', true));
  return ok({});
};

const transitionModelVersionStage: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  const version = stringParam(p, 'version', true);
  const stage = stringParam(p, 'stage', true);
  const archiveExistingVersions = boolParam(p, 'archive_existing_versions');
  return ok({
    model_version: await r.transitionModelVersionStage(name, version, stage, { archiveExistingVersions }),
  });
};

const setModelVersionTag: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  const version = stringParam(p, 'version', true);
  const key = stringParam(p, 'key', true);
  await r.setModelVersionTag(name, version, key, valueParam(p));
  return ok({});
};

const deleteModelVersionTag: Op = async (r, p) => {
  const name = stringParam(p, 'name', true);
  const version = stringParam(p, 'version', true);
  await r.deleteModelVersionTag(name, version, stringParam(p, 'key', true));
  return ok({});
};

/** Every registry write endpoint MLflow binds, with its method (spec §1). */
const WRITE_ENDPOINTS: ReadonlyArray<readonly [string, string, Op]> = [
  ['registered-models/create', 'POST', createRegisteredModel],
  ['registered-models/rename', 'POST', renameRegisteredModel],
  ['registered-models/update', 'PATCH', updateRegisteredModel],
  ['registered-models/delete', 'DELETE', deleteRegisteredModel],
  ['registered-models/set-tag', 'POST', setRegisteredModelTag],
  ['registered-models/delete-tag', 'DELETE', deleteRegisteredModelTag],
  ['registered-models/alias', 'POST', setRegisteredModelAlias],
  ['registered-models/alias', 'DELETE', deleteRegisteredModelAlias],
  ['model-versions/create', 'POST', createModelVersion],
  ['model-versions/update', 'PATCH', updateModelVersion],
  ['model-versions/delete', 'DELETE', deleteModelVersion],
  ['model-versions/transition-stage', 'POST', transitionModelVersionStage],
  ['model-versions/set-tag', 'POST', setModelVersionTag],
  ['model-versions/delete-tag', 'DELETE', deleteModelVersionTag],
];

export function writeRoutes(deps: WriteApiDeps): WriteRoutes {
  const routes = new Map<string, Map<string, WriteHandler>>();
  for (const [endpoint, method, op] of WRITE_ENDPOINTS) {
    let byMethod = routes.get(endpoint);
    if (!byMethod) routes.set(endpoint, (byMethod = new Map()));
    byMethod.set(method, handler(deps, op));
  }
  return routes;
}
