// The daemon's configuration: built once from flags (and the few environment variables below), then
// frozen. This and cli/options.ts are the only places that read the environment.
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { RegistryError } from '../errors.js';
import { redactUrl, remoteKind } from '../store/transport/remote-url.js';

/** For the CLI's start-up line (the CLI does not import the store). */
export { redactUrl };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface DaemonLimits {
  /** Largest request body accepted (413 above). */
  readonly maxBodyBytes: number;
  /** Longest request target (path + query) accepted (414 above). */
  readonly maxUrlLength: number;
  /** Largest total size of request headers (node:http answers 431 above). */
  readonly maxHeaderBytes: number;
  /** Time allowed to receive the request headers. */
  readonly headersTimeoutMs: number;
  /** Time allowed to receive the whole request. */
  readonly requestTimeoutMs: number;
  /** Idle time after which a keep-alive connection is closed. */
  readonly keepAliveTimeoutMs: number;
}

interface RemoteConfig {
  readonly url: string;
  /** Seconds between fetches. */
  readonly intervalS: number;
}

export interface DaemonConfig {
  /** The repository served (for --remote: the local clone, created bare when absent). */
  readonly repoDir: string;
  /** Branch served; undefined = the repository's current branch, else main. */
  readonly branch: string | undefined;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly remote: RemoteConfig | undefined;
  /** Persist the parsed state under <gitdir>/mreg/ so a restart does not re-read every file. */
  readonly snapshot: boolean;
  /** Delay between a reload and the snapshot written after it (coalesces bursts). */
  readonly snapshotDelayMs: number;
  /** Quiet period after a ref event before the trailing re-check. */
  readonly debounceMs: number;
  /** Backstop poll of the branch tip. */
  readonly pollMs: number;
  /**
   * Watch the refs for changes (chokidar); false = the poll alone. A writer in the same process (the gateway)
   * serves its own commits as it makes them, and watching its own ref updates would cost more than its writes.
   */
  readonly watch: boolean;
  readonly logLevel: LogLevel;
  readonly limits: DaemonLimits;
  /** The secret a git host signs push webhooks with (MREG_GIT_HOOK_SECRET); none: the route refuses them. */
  readonly gitHookSecret: string | undefined;
}

export interface DaemonFlags {
  repo?: string;
  branch?: string;
  host?: string;
  port?: number;
  remote?: string;
  interval?: number;
  snapshot?: boolean;
  snapshotDelayMs?: number;
  debounceMs?: number;
  pollMs?: number;
  watch?: boolean;
  logLevel?: LogLevel;
  limits?: Partial<DaemonLimits>;
}

export const DEFAULT_LIMITS: DaemonLimits = Object.freeze({
  maxBodyBytes: 1024 * 1024,
  maxUrlLength: 8 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
});

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/**
 * Flags win over the environment: MREG_LOG_LEVEL (default info), MREG_SNAPSHOT=0 (disable snapshots),
 * XDG_CACHE_HOME (where a --remote clone lives when no --repo is given), MREG_GIT_HOOK_SECRET (the push
 * webhook's secret).
 */
export function buildDaemonConfig(
  flags: DaemonFlags,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): DaemonConfig {
  const port = flags.port ?? 5000;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw RegistryError.invalid(`--port must be an integer from 0 to 65535, got ${String(flags.port)}.`);
  const envLevel = env.MREG_LOG_LEVEL as LogLevel | undefined;
  const logLevel = flags.logLevel ?? (envLevel && LEVELS.includes(envLevel) ? envLevel : 'info');
  let remote: RemoteConfig | undefined;
  if (flags.remote !== undefined) {
    const interval = flags.interval ?? 30;
    if (!(interval > 0))
      throw RegistryError.invalid(`--interval must be a positive number of seconds, got ${String(flags.interval)}.`);
    const given = flags.remote.trim();
    if (given === '' || given.startsWith('-') || /[\x00-\x1f\x7f]/.test(given)) {
      throw RegistryError.invalid(
        `--remote must be a git remote (https://…, ssh://…, git@host:path, file://… or a path), got '${redactUrl(flags.remote)}'.`,
      );
    }
    // A path is the daemon's own: relative to where it was started, not to its clone.
    const url = remoteKind(given) === 'path' ? path.resolve(cwd, given) : given;
    remote = Object.freeze({ url, intervalS: interval });
  } else if (flags.interval !== undefined) {
    throw RegistryError.invalid('--interval needs --remote.');
  }
  let repoDir: string;
  if (flags.repo !== undefined) repoDir = path.resolve(cwd, flags.repo);
  else if (remote) {
    const cache =
      env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.trim() !== '' ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
    repoDir = path.join(
      cache,
      'mreg',
      'remotes',
      createHash('sha256').update(redactUrl(remote.url)).digest('hex').slice(0, 16) + '.git',
    );
  } else repoDir = path.resolve(cwd);
  const snapshotEnv = env.MREG_SNAPSHOT;
  return Object.freeze({
    repoDir,
    branch: flags.branch,
    host: flags.host ?? '127.0.0.1',
    port,
    remote,
    snapshot: flags.snapshot ?? !(snapshotEnv === '0' || snapshotEnv === 'false'),
    snapshotDelayMs: flags.snapshotDelayMs ?? 30_000,
    debounceMs: flags.debounceMs ?? 75,
    pollMs: flags.pollMs ?? 2_000,
    watch: flags.watch ?? true,
    logLevel,
    limits: Object.freeze({ ...DEFAULT_LIMITS, ...flags.limits }),
    gitHookSecret: env.MREG_GIT_HOOK_SECRET && env.MREG_GIT_HOOK_SECRET !== '' ? env.MREG_GIT_HOOK_SECRET : undefined,
  });
}
