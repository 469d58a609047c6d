// The one search over a RegistryState: MLflow's filter, order and paging (filter/), answered by the library's
// searchRegisteredModels/searchModelVersions and the daemon's search endpoints alike; the web UI's model list
// filters and sorts with selectModels. The rows the grammar reads are built once per state, not per request.
import {
  compileModelFilter,
  compileModelOrder,
  compileVersionFilter,
  compileVersionOrder,
  paginate,
  parseMaxResults,
  type OrderableModel,
  type OrderableVersion,
  type SearchableModel,
  type SearchableVersion,
} from './filter/index.js';
import type { ModelEntry, RegistryState, VersionFile } from './state.js';
import { toMs } from './time.js';

/** A search request, as MLflow's REST API and MlflowClient take it. */
export interface SearchQuery {
  filter?: string | null | undefined;
  /** A number, or the text of one (a query string); absent → MLflow's default. */
  maxResults?: unknown;
  orderBy?: readonly string[] | null | undefined;
  pageToken?: string | null | undefined;
}

/** What the model grammar reads of a model. */
interface ModelRow extends SearchableModel, OrderableModel {
  readonly entry: ModelEntry;
}

/** What the version grammar reads of a version. */
interface VersionRow extends SearchableVersion, OrderableVersion {
  readonly model: ModelEntry;
  readonly file: VersionFile;
}

export interface Page<T> {
  items: T[];
  /** Present when more results follow. */
  nextPageToken?: string;
}

const modelRowCache = new WeakMap<RegistryState, ModelRow[]>();
const versionRowCache = new WeakMap<RegistryState, VersionRow[]>();

/** Every model of a state as a search row (cached per state). */
function modelRows(state: RegistryState): readonly ModelRow[] {
  let rows = modelRowCache.get(state);
  if (!rows) {
    rows = [...state.models.values()].map((entry) => ({
      entry,
      name: entry.file.name,
      tags: entry.file.tags ?? {},
      created_ms: toMs(entry.file.created_at),
      updated_ms: toMs(entry.lastUpdated),
    }));
    modelRowCache.set(state, rows);
  }
  return rows;
}

/** Every version of a state as a search row (cached per state). */
function versionRows(state: RegistryState): readonly VersionRow[] {
  let rows = versionRowCache.get(state);
  if (!rows) {
    rows = [];
    for (const model of state.models.values()) {
      for (const file of model.versions.values()) {
        rows.push({
          model,
          file,
          name: model.file.name,
          version: file.version,
          run_id: file.run_id ?? '',
          source: file.source,
          digest: file.digest ?? '',
          code_commit: file.code_commit ?? '',
          dataset: file.dataset ?? '',
          user_id: file.user_id ?? '',
          tags: file.tags ?? {},
          created_ms: toMs(file.created_at),
          updated_ms: toMs(file.updated_at),
        });
      }
    }
    versionRowCache.set(state, rows);
  }
  return rows;
}

/**
 * The rows a model filter keeps, in MLflow's model order (the UI pages these itself).
 * @throws INVALID_PARAMETER_VALUE for a bad filter or order_by
 */
export function selectModels<R extends SearchableModel & OrderableModel>(
  rows: readonly R[],
  filter: string | null | undefined,
  orderBy: readonly string[] | null | undefined,
): R[] {
  const test = compileModelFilter(filter);
  const order = compileModelOrder(orderBy ?? undefined);
  return rows.filter((r) => test(r)).sort(order);
}

/**
 * search_registered_models: checks the request (max_results, then the filter, then the order, as MLflow does)
 * and returns the search to run on a state — one page of models and the next page's token.
 * @throws INVALID_PARAMETER_VALUE for a bad max_results, filter or order_by (and, when run, page token)
 * @example compileModelSearch({ filter: "name LIKE 'fraud%'", maxResults: 10 })(state)
 */
export function compileModelSearch(q: SearchQuery = {}): (state: RegistryState) => Page<ModelEntry> {
  const max = parseMaxResults('model', q.maxResults);
  const test = compileModelFilter(q.filter);
  const order = compileModelOrder(q.orderBy ?? undefined);
  return (state) => {
    const rows = modelRows(state)
      .filter((r) => test(r))
      .sort(order);
    const { page, nextPageToken } = paginate(rows, max, q.pageToken);
    return { items: page.map((r) => r.entry), ...(nextPageToken ? { nextPageToken } : {}) };
  };
}

/**
 * search_model_versions: checks the request as compileModelSearch does and returns the search to run on a
 * state — one page of versions and the next page's token.
 * @throws INVALID_PARAMETER_VALUE for a bad max_results, filter or order_by (and, when run, page token)
 */
export function compileVersionSearch(
  q: SearchQuery = {},
): (state: RegistryState) => Page<{ model: ModelEntry; version: VersionFile }> {
  const max = parseMaxResults('version', q.maxResults);
  const test = compileVersionFilter(q.filter);
  const order = compileVersionOrder(q.orderBy ?? undefined);
  return (state) => {
    const rows = versionRows(state)
      .filter((r) => test(r))
      .sort(order);
    const { page, nextPageToken } = paginate(rows, max, q.pageToken);
    return {
      items: page.map((r) => ({ model: r.model, version: r.file })),
      ...(nextPageToken ? { nextPageToken } : {}),
    };
  };
}

/** Page `requested` (from 1, clamped to the last) of `items`, `size` a page: the UI's numbered pages. */
export function pageByNumber<T>(
  items: readonly T[],
  requested: number,
  size: number,
): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const page = Math.min(Math.max(1, requested), pages);
  return { items: items.slice((page - 1) * size, page * size), page, pages };
}
