// Reads a whole MLflow registry over REST: two paged searches (models and versions, at once), the download URI of
// each copied version, and — before the import deletes anything — a direct look-up of every model or version
// the searches did not list, because offset-based paging can miss a row that moved while it was paging.
import { parseModelVersion, parseRegisteredModel, WireShapeError } from '../mlflow/from-wire.js';
import { mapLimit } from '../util/concurrency.js';
import { isMlflowApiError, type MlflowHttpClient } from './mlflow-client.js';
import type { MlflowSnapshot, SnapshotModel, SnapshotVersion } from './snapshot.js';

/**
 * Page sizes. MLflow's SQL store loads each listed model's tags, aliases and versions (for latest_versions)
 * one model at a time, so a page of 1,000 models can outlast gunicorn's 30 s worker timeout on a busy server;
 * 100 models or 1,000 versions a page stay far below it and cost MLflow about the same in total.
 */
const MODELS_PAGE = 100;
const VERSIONS_PAGE = 1000;
/** Pages asked for at once once the server's tokens are known to be MLflow's offsets. */
const PARALLEL_PAGES = 4;
const CONCURRENCY = 4;

export interface ReadProgress {
  (phase: 'models' | 'versions' | 'details', done: number, total?: number): void;
}

function parsed<T>(client: MlflowHttpClient, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WireShapeError) throw client.malformed(what, e.message);
    throw e;
  }
}

/** Every registered model and live model version the server lists. */
export async function readMlflowRegistry(client: MlflowHttpClient, progress?: ReadProgress): Promise<MlflowSnapshot> {
  // Both listings at once: the models' pages cost MLflow far more than the versions' (it loads each model's
  // latest versions), so the version pages fill the server's idle workers. A version of a model created after
  // the model listing is left for the next import, as is one the version listing missed while paging.
  const [rawModels, rawVersions] = await Promise.all([
    client.searchAll(
      'registered-models/search',
      'registered_models',
      {},
      { pageSize: MODELS_PAGE, parallel: PARALLEL_PAGES, onPage: (n) => progress?.('models', n) },
    ),
    client.searchAll(
      'model-versions/search',
      'model_versions',
      {},
      { pageSize: VERSIONS_PAGE, parallel: PARALLEL_PAGES, onPage: (n) => progress?.('versions', n) },
    ),
  ]);
  const models = new Map<string, SnapshotModel>();
  rawModels.forEach((raw, i) => {
    const model = parsed(client, 'GET registered-models/search', () =>
      parseRegisteredModel(raw, `$.registered_models[${i}]`),
    );
    models.set(model.name, { model, versions: new Map(), storage: new Map() });
  });
  rawVersions.forEach((raw, i) => {
    const v = parsed(client, 'GET model-versions/search', () => parseModelVersion(raw, `$.model_versions[${i}]`));
    // A version of a model created after the model listing: the next import will see both.
    models.get(v.name)?.versions.set(Number(v.version), v);
  });
  await fillStorage(client, [...models.values()], progress);
  return { server: client.server, models };
}

/** A copied version (`models:/` source) downloads from where its original's artifacts are: ask the server. */
async function fillStorage(client: MlflowHttpClient, models: SnapshotModel[], progress?: ReadProgress): Promise<void> {
  const copies = models.flatMap((m) =>
    [...m.versions.values()].filter((v) => v.source.startsWith('models:/')).map((v) => ({ m, v })),
  );
  let done = 0;
  await mapLimit(copies, CONCURRENCY, async ({ m, v }) => {
    const what = 'GET model-versions/get-download-uri';
    const body = await client.call('GET', 'model-versions/get-download-uri', {
      query: { name: v.name, version: v.version },
    });
    const uri = (body as { artifact_uri?: unknown } | null)?.artifact_uri;
    if (typeof uri !== 'string')
      throw client.malformed(what, `$.artifact_uri: expected a string (model ${v.name} v${v.version})`);
    if (uri !== v.source) m.storage.set(Number(v.version), uri);
    progress?.('details', ++done, copies.length);
  });
}

/**
 * Asks the server directly about models and versions that git has and the listing lacked: a 404 confirms a
 * deletion; an answer puts the model or version into the snapshot (the listing missed it while paging).
 */
export async function confirmAbsent(
  client: MlflowHttpClient,
  snapshot: MlflowSnapshot,
  models: string[],
  versions: Array<{ name: string; version: number }>,
): Promise<void> {
  await mapLimit(models, CONCURRENCY, async (name) => {
    const body = await lookUp(client, 'registered-models/get', { name });
    if (!body) return;
    const model = parsed(client, 'GET registered-models/get', () =>
      parseRegisteredModel((body as { registered_model?: unknown }).registered_model, '$.registered_model'),
    );
    const found: SnapshotModel = { model, versions: new Map(), storage: new Map() };
    const listed = await client.searchAll(
      'model-versions/search',
      'model_versions',
      { filter: nameFilter(name) },
      { pageSize: VERSIONS_PAGE },
    );
    listed.forEach((raw, i) => {
      const v = parsed(client, 'GET model-versions/search', () => parseModelVersion(raw, `$.model_versions[${i}]`));
      if (v.name === name) found.versions.set(Number(v.version), v);
    });
    snapshot.models.set(name, found);
    await fillStorage(client, [found]);
  });
  await mapLimit(versions, CONCURRENCY, async ({ name, version }) => {
    const sm = snapshot.models.get(name);
    if (!sm || sm.versions.has(version)) return;
    const body = await lookUp(client, 'model-versions/get', { name, version: String(version) });
    if (!body) return;
    const v: SnapshotVersion = parsed(client, 'GET model-versions/get', () =>
      parseModelVersion((body as { model_version?: unknown }).model_version, '$.model_version'),
    );
    if (v.name !== name || Number(v.version) !== version)
      throw client.malformed('GET model-versions/get', `asked for ${name} v${version}, got ${v.name} v${v.version}`);
    sm.versions.set(version, v);
    await fillStorage(client, [{ ...sm, versions: new Map([[version, v]]) }]);
  });
}

/** `name = '…'` in MLflow's filter grammar (no escapes: the other quote when the name holds one; else everything). */
function nameFilter(name: string): string | undefined {
  if (!name.includes("'")) return `name = '${name}'`;
  if (!name.includes('"')) return `name = "${name}"`;
  return undefined;
}

async function lookUp(client: MlflowHttpClient, endpoint: string, query: Record<string, string>): Promise<unknown> {
  try {
    return await client.call('GET', endpoint, { query });
  } catch (e) {
    if (isMlflowApiError(e, 'RESOURCE_DOES_NOT_EXIST')) return undefined;
    throw e;
  }
}

export function snapshotCounts(s: MlflowSnapshot): { models: number; versions: number } {
  let versions = 0;
  for (const m of s.models.values()) versions += m.versions.size;
  return { models: s.models.size, versions };
}
