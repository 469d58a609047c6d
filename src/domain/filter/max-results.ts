// `max_results` of the two search endpoints, validated as MLflow's handler (int-like, at most the
// limit) and then its store (at least 1) validate it, with their messages.
import { RegistryError } from '../../errors.js';
import { parsePyInt, pyJsonDumps, pyTypeName } from './python-compat.js';
import type { OrderKind } from './compile-order.js';

const LIMITS: Record<OrderKind, { readonly fallback: number; readonly max: number }> = {
  // The proto, the handler and the Python client all default to 100 for models.
  model: { fallback: 100, max: 1000 },
  // The server's proto default is 200000; the Python client always sends 10000.
  version: { fallback: 200_000, max: 200_000 },
};

function handlerError(value: unknown): RegistryError {
  return RegistryError.invalid(
    `Invalid value ${pyJsonDumps(value)} for parameter 'max_results' supplied:  Hint: Value was of type '${pyTypeName(value)}'. See the API docs for more information about request parameters.`,
  );
}

/**
 * `max_results` as a number: a JSON number or a query-string value; absent → the default (100 for
 * models, 200000 for versions).
 * @throws RegistryError INVALID_PARAMETER_VALUE when it is not an integer, is above the limit (1000 / 200000) or below 1.
 * @example parseMaxResults('model', '50') // 50
 */
export function parseMaxResults(kind: OrderKind, value: unknown): number {
  const { fallback, max } = LIMITS[kind];
  if (value === undefined || value === null) return fallback;
  let n: bigint | undefined;
  if (typeof value === 'number') n = Number.isInteger(value) ? BigInt(value) : undefined;
  else if (typeof value === 'bigint') n = value;
  else if (typeof value === 'string') n = parsePyInt(value);
  if (n === undefined || n > BigInt(max)) throw handlerError(value);
  if (n < 1n) throw RegistryError.invalid(`Invalid value for max_results. It must be a positive integer, but got ${n}`);
  return Number(n);
}
