/**
 * The one error class of the library. `code` is MLflow's error code, so the HTTP layer, the CLI and
 * callers switch on the same string MLflow clients see.
 */
export const ERROR_CODES = [
  'RESOURCE_DOES_NOT_EXIST',
  'RESOURCE_ALREADY_EXISTS',
  'INVALID_PARAMETER_VALUE',
  'INVALID_STATE',
  'BAD_REQUEST',
  'PERMISSION_DENIED',
  'UNAUTHENTICATED',
  'RESOURCE_CONFLICT',
  'ENDPOINT_NOT_FOUND',
  'REQUEST_LIMIT_EXCEEDED',
  'NOT_IMPLEMENTED',
  'TEMPORARILY_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Messages quote the offending value; past this length the middle is left out (a 1 MB name is not repeated). */
export const MAX_MESSAGE_LENGTH = 2_000;

function clipMessage(message: string): string {
  if (message.length <= MAX_MESSAGE_LENGTH) return message;
  // Keep the start (what was wrong) and the end (the hint), and never split a surrogate pair.
  let head = 1_500;
  let tail = message.length - 300;
  if (/[\ud800-\udbff]/.test(message[head - 1] ?? '')) head--;
  if (/[\udc00-\udfff]/.test(message[tail] ?? '')) tail++;
  return `${message.slice(0, head)}… [${tail - head} characters left out] …${message.slice(tail)}`;
}

export class RegistryError extends Error {
  override readonly name = 'RegistryError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(clipMessage(message), options);
  }

  static notFound(message: string, details: Record<string, unknown> = {}): RegistryError {
    return new RegistryError('RESOURCE_DOES_NOT_EXIST', message, details);
  }

  static alreadyExists(message: string, details: Record<string, unknown> = {}): RegistryError {
    return new RegistryError('RESOURCE_ALREADY_EXISTS', message, details);
  }

  static invalid(message: string, details: Record<string, unknown> = {}): RegistryError {
    return new RegistryError('INVALID_PARAMETER_VALUE', message, details);
  }

  /** MLflow's wording for a required field that is absent or empty. */
  static missing(param: string): RegistryError {
    return new RegistryError(
      'INVALID_PARAMETER_VALUE',
      `Missing value for required parameter '${param}'. See the API docs for more information about request parameters.`,
      { param },
    );
  }
}

/**
 * RESOURCE_CONFLICT because a branch moved between a write's read and its ref update (a native commit slipped
 * in), or git held the ref's lock: nothing was changed, and planning again on the new head can succeed.
 */
export class RefMovedError extends RegistryError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('RESOURCE_CONFLICT', message, details);
  }
}

export function isRegistryError(e: unknown): e is RegistryError {
  return e instanceof RegistryError;
}

/** A finding about a file: schema violation, broken invariant or policy. Data, not an exception. */
export interface Problem {
  /** Repository-relative path of the file, e.g. `models/fraud/versions/3.yaml`. */
  path: string;
  /** 1-based line of the offending key when known. */
  line?: number;
  message: string;
  /** The error code a write refused for this problem answers with (a policy: PERMISSION_DENIED). */
  code?: ErrorCode;
}

export function formatProblem(p: Problem): string {
  return `${p.path}:${p.line ?? 1}: ${p.message}`;
}
