// Options shared by the commands, and the CLI's only reads of the environment: where the registry is
// (`--repo` > MREG_REPO > cwd) and which branch a pull request lands on (for `protected` policies).
import path from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import type { MlflowConnection } from '../sync/mlflow-client.js';

/** MREG_DEBUG=1 prints stack traces of internal errors. */
export function debugWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!env.MREG_DEBUG && env.MREG_DEBUG !== '0';
}

/** What every command accepts. */
export interface GlobalArgs {
  repo?: string;
  json?: boolean;
}

/** What every write command accepts. */
export interface WriteArgs extends GlobalArgs {
  commit?: boolean;
  push?: boolean;
  remote?: string;
  branch?: string;
  'target-branch'?: string;
  author?: string;
  'max-attempts'?: number;
}

/** How many times a pushed write is re-applied after losing the race, unless --max-attempts says otherwise. */
export const DEFAULT_PUSH_ATTEMPTS = 20;

/** The registry's directory: `--repo`, else MREG_REPO, else the current directory. */
export function repoDir(args: GlobalArgs, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const given = args.repo ?? (env.MREG_REPO && env.MREG_REPO.trim() !== '' ? env.MREG_REPO : undefined);
  return path.resolve(cwd, given ?? '.');
}

/**
 * The branch a change will land on, for `protected` policies: `--target-branch`, else MREG_TARGET_BRANCH,
 * else GITHUB_BASE_REF (set by GitHub Actions on pull requests), else undefined (the branch being written).
 */
export function targetBranch(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const v of [given, env.MREG_TARGET_BRANCH, env.GITHUB_BASE_REF]) if (v && v.trim() !== '') return v.trim();
  return undefined;
}

/** An environment variable's value (a webhook's secret, named in registry.yaml by `secret_env`). */
export function envValue(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[name];
}

/** Whether stdout is a terminal that wants colour (https://no-color.org, TERM=dumb). */
export function colourWanted(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export function globalOptions<T>(y: Argv<T>): Argv<T & GlobalArgs> {
  return y
    .option('repo', {
      type: 'string',
      describe: 'Registry repository (default: $MREG_REPO, else the current directory)',
      global: true,
      requiresArg: true,
    })
    .option('json', { type: 'boolean', describe: "Print MLflow's JSON shapes", global: true }) as Argv<T & GlobalArgs>;
}

export function writeOptions<T>(y: Argv<T>): Argv<T & WriteArgs> {
  return y
    .option('commit', {
      type: 'boolean',
      default: true,
      describe: 'Commit the change (--no-commit only edits the working tree, e.g. to prepare a pull request)',
    })
    .option('push', {
      type: 'boolean',
      describe: 'Push the commit; when another writer got there first, re-apply on the new head and retry',
    })
    .option('remote', {
      type: 'string',
      default: 'origin',
      describe: 'Remote to push to (with --push)',
      requiresArg: true,
    })
    .option('branch', {
      type: 'string',
      describe: 'Branch to write (default: the checked-out branch)',
      requiresArg: true,
    })
    .option('target-branch', {
      type: 'string',
      describe:
        'Branch this change will land on, for protected policies (default: $MREG_TARGET_BRANCH, $GITHUB_BASE_REF, else the branch written)',
      requiresArg: true,
    })
    .option('author', {
      type: 'string',
      describe: "Commit author as 'Name <email>' (default: $MREG_AUTHOR_NAME/$MREG_AUTHOR_EMAIL, then git config)",
      requiresArg: true,
    })
    .option('max-attempts', {
      type: 'number',
      describe: `With --push: how many times to fetch, re-apply and push again when another writer got there first (default ${DEFAULT_PUSH_ATTEMPTS})`,
      requiresArg: true,
    })
    .check((a) => {
      if (a.push && a.commit === false)
        throw new Error('--push and --no-commit cannot be combined: there would be nothing to push.');
      if (a.author !== undefined) parseAuthor(a.author as string);
      const n = a['max-attempts'] as number | undefined;
      if (n !== undefined && (!Number.isInteger(n) || n < 1))
        throw new Error(`--max-attempts must be a positive integer, got ${String(n)}.`);
      return true;
    }) as Argv<T & WriteArgs>;
}

/** 'Jane Doe <jane@example.com>' → { name, email }. */
export function parseAuthor(s: string): { name: string; email: string } {
  const m = /^\s*([^<>]*?)\s*<([^<>\s]+)>\s*$/.exec(s);
  if (!m || !m[1]) throw new Error(`--author must look like 'Name <email>', got '${s}'.`);
  return { name: m[1], email: m[2]! };
}

/** --at of the reading commands, as `mreg resolve --at` reads it. */
export function atOption<T>(y: Argv<T>): Argv<T & { at?: string }> {
  return y.option('at', {
    type: 'string',
    describe:
      'As of a time (ISO 8601, e.g. 2026-03-01T12:00Z; a date alone is 00:00 UTC) or a commit/ref (abc1234, HEAD~3, v1.2)',
    requiresArg: true,
  }) as Argv<T & { at?: string }>;
}

/** One command: its yargs definition and a handler over typed arguments. */
export interface CommandSpec<A> {
  command: string | readonly string[];
  describe: string;
  builder: (y: Argv) => Argv<unknown>;
  handler: (args: A) => Promise<void>;
}

/** Erases a command's argument type for yargs' command list. */
export function defineCommand<A>(spec: CommandSpec<A>): CommandModule {
  return spec as unknown as CommandModule;
}

/** `k=v` pairs (from --tag) → a map; the first '=' splits, so values may hold '='. */
export function parseTagPairs(pairs: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs ?? []) {
    const [k, v] = splitPair(p);
    out[k] = v;
  }
  return out;
}

export function splitPair(p: string): [string, string] {
  const i = p.indexOf('=');
  if (i <= 0) throw new UsageError(`Expected KEY=VALUE, got '${p}'.`);
  return [p.slice(0, i), p.slice(i + 1)];
}

/** A mistake in how the command was called (exit 2), as opposed to a registry error (exit 1). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * How `mreg import` and `mreg export` reach an MLflow server: the URL given, with MLflow's own client
 * variables — MLFLOW_TRACKING_TOKEN (Bearer), MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD (Basic, which
 * wins when both are set, as in MLflow's client), MLFLOW_TRACKING_INSECURE_TLS, MLFLOW_TRACKING_SERVER_CERT_PATH,
 * MLFLOW_HTTP_REQUEST_TIMEOUT (seconds) and MLFLOW_HTTP_REQUEST_MAX_RETRIES.
 */
export function mlflowConnection(url: string, env: NodeJS.ProcessEnv = process.env): MlflowConnection {
  const set = (k: string): string | undefined => (env[k] !== undefined && env[k] !== '' ? env[k] : undefined);
  const bool = (k: string): boolean => {
    const v = set(k)?.toLowerCase();
    if (v === undefined || v === 'false' || v === '0') return false;
    if (v === 'true' || v === '1') return true;
    throw new UsageError(`${k} must be true or false, got '${env[k]}'.`);
  };
  const int = (k: string): number | undefined => {
    const v = set(k);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v.trim())) throw new UsageError(`${k} must be a whole number, got '${v}'.`);
    return Number(v);
  };
  const timeout = int('MLFLOW_HTTP_REQUEST_TIMEOUT');
  return {
    url,
    token: set('MLFLOW_TRACKING_TOKEN'),
    username: set('MLFLOW_TRACKING_USERNAME'),
    password: env.MLFLOW_TRACKING_PASSWORD,
    insecureTls: bool('MLFLOW_TRACKING_INSECURE_TLS'),
    caCertPath: set('MLFLOW_TRACKING_SERVER_CERT_PATH'),
    timeoutMs: timeout !== undefined ? timeout * 1000 : undefined,
    maxRetries: int('MLFLOW_HTTP_REQUEST_MAX_RETRIES'),
  };
}
