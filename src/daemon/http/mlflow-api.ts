// MLflow REST API 2.0, read side, answered from one served state. Write endpoints answer
// PERMISSION_DENIED: this daemon is read-only by construction (it imports no write path at all).
import {
  downloadUri,
  getLatestVersions,
  modelNotFound,
  modelVersionByAlias,
  versionNotFound,
} from '../../domain/queries.js';
import { parseVersion } from '../../domain/rules.js';
import { compileModelSearch, compileVersionSearch, type SearchQuery } from '../../domain/search.js';
import type { ModelEntry, RegistryState, VersionFile } from '../../domain/state.js';
import {
  toMlflowModelVersion,
  toMlflowRegisteredModel,
  toMlflowSearchModelsResponse,
  toMlflowSearchVersionsResponse,
} from '../../mlflow/convert.js';
import type { Served } from '../ui-deps.js';
import { errorReply, ok, stringListParam, stringParam, type Params, type Reply } from './reply.js';

/** The prefixes MLflow serves the registry under; the preview one is what MLflow 1.x clients use. */
export const MLFLOW_PREFIXES = ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/', '/api/2.0/preview/mlflow/'] as const;

export type MlflowHandler = (state: RegistryState, params: Params) => Reply;

export interface MlflowEndpoint {
  /** e.g. `model-versions/get`, also the metrics label. */
  readonly name: string;
  /** Read methods answered from the state. */
  readonly read: ReadonlyMap<string, MlflowHandler>;
  /** Write methods MLflow binds to this path: answered with PERMISSION_DENIED. */
  readonly write: readonly string[];
}

// ---------------------------------------------------------------- read handlers

function getRegisteredModel(state: RegistryState, p: Params): Reply {
  const name = stringParam(p, 'name', true);
  const entry = state.models.get(name);
  if (!entry) throw modelNotFound(name);
  return ok({ registered_model: toMlflowRegisteredModel(entry) });
}

function findVersion(state: RegistryState, p: Params): { entry: ModelEntry; v: VersionFile } {
  const name = stringParam(p, 'name', true);
  const raw = stringParam(p, 'version', true);
  const n = parseVersion(raw);
  const entry = state.models.get(name);
  const v = entry?.versions.get(n);
  if (!entry || !v) throw versionNotFound(name, n);
  return { entry, v };
}

function getModelVersion(state: RegistryState, p: Params): Reply {
  const { entry, v } = findVersion(state, p);
  return ok({ model_version: toMlflowModelVersion(entry, v) });
}

function getDownloadUri(state: RegistryState, p: Params): Reply {
  const { v } = findVersion(state, p);
  return ok({ artifact_uri: downloadUri(v) });
}

function getByAlias(state: RegistryState, p: Params): Reply {
  const name = stringParam(p, 'name', true);
  const alias = stringParam(p, 'alias', true);
  const entry = state.models.get(name);
  const v = modelVersionByAlias(entry, name, alias);
  return ok({ model_version: toMlflowModelVersion(entry!, v) });
}

function getLatest(state: RegistryState, p: Params): Reply {
  const name = stringParam(p, 'name', true);
  const stages = stringListParam(p, 'stages');
  const entry = state.models.get(name);
  if (!entry) throw modelNotFound(name);
  const versions = getLatestVersions(entry, stages);
  return ok(versions.length ? { model_versions: versions.map((v) => toMlflowModelVersion(entry, v)) } : {});
}

function searchQuery(p: Params): SearchQuery {
  const max = p.one('max_results');
  return {
    filter: stringParam(p, 'filter'),
    maxResults: max === '' ? undefined : max,
    orderBy: stringListParam(p, 'order_by'),
    pageToken: stringParam(p, 'page_token'),
  };
}

function searchRegisteredModels(state: RegistryState, p: Params): Reply {
  return ok(toMlflowSearchModelsResponse(compileModelSearch(searchQuery(p))(state)));
}

function searchModelVersions(state: RegistryState, p: Params): Reply {
  return ok(toMlflowSearchVersionsResponse(compileVersionSearch(searchQuery(p))(state)));
}

// ---------------------------------------------------------------- the table

const R = (name: string, read: Array<[string, MlflowHandler]>, write: string[] = []): MlflowEndpoint => ({
  name,
  read: new Map(read),
  write,
});

/** Every registry path MLflow binds, with its methods (spec §1). */
export const MLFLOW_ENDPOINTS: readonly MlflowEndpoint[] = [
  R('registered-models/get', [['GET', getRegisteredModel]]),
  R('registered-models/search', [['GET', searchRegisteredModels]]),
  // The Python client sends POST first and falls back to GET only on ENDPOINT_NOT_FOUND.
  R('registered-models/get-latest-versions', [
    ['GET', getLatest],
    ['POST', getLatest],
  ]),
  R('registered-models/alias', [['GET', getByAlias]], ['POST', 'DELETE']),
  R('model-versions/get', [['GET', getModelVersion]]),
  R('model-versions/search', [['GET', searchModelVersions]]),
  R('model-versions/get-download-uri', [['GET', getDownloadUri]]),
  R('registered-models/create', [], ['POST']),
  R('registered-models/rename', [], ['POST']),
  R('registered-models/update', [], ['PATCH']),
  R('registered-models/delete', [], ['DELETE']),
  R('registered-models/set-tag', [], ['POST']),
  R('registered-models/delete-tag', [], ['DELETE']),
  R('model-versions/create', [], ['POST']),
  R('model-versions/update', [], ['PATCH']),
  R('model-versions/transition-stage', [], ['POST']),
  R('model-versions/delete', [], ['DELETE']),
  R('model-versions/set-tag', [], ['POST']),
  R('model-versions/delete-tag', [], ['DELETE']),
];

const READ_ONLY_MESSAGE =
  'This mreg daemon serves the registry read-only: it never writes. To change the registry, commit to its git repository (a pull request, or `mreg` commands such as `mreg register`, `mreg transition`, `mreg alias`) and the daemon serves the new commit once it lands.';

export function permissionDenied(endpoint: string, method: string): Reply {
  return errorReply('PERMISSION_DENIED', `${method} ${endpoint}: ${READ_ONLY_MESSAGE}`, 403);
}

/** Answers one read endpoint from one state. RegistryErrors propagate to the app's error handler. */
export function answerMlflow(handler: MlflowHandler, served: Served, params: Params): Reply {
  return handler(served.loaded.state, params);
}
