// MLflow's search machinery for registered models and model versions: the filter grammar,
// order_by, max_results and page tokens (spec §4). Pure: no I/O.
export { compileModelFilter, compileVersionFilter } from './compile-filter.js';
export type { SearchableModel, SearchableVersion } from './compile-filter.js';
export { compileModelOrder, compileVersionOrder, compareCodePoints } from './compile-order.js';
export type { OrderableModel, OrderableVersion } from './compile-order.js';
export { encodePageToken, decodePageToken, paginate } from './page-token.js';
export { parseMaxResults } from './max-results.js';
export { parseFilter, MAX_FILTER_LENGTH } from './parse-filter.js';
