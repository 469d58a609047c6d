// The gateway's configuration: the daemon's (repository, branch, address, remote, limits — built by the daemon's
// own config, which reads the few environment variables) plus where the tokens are and whether reads need one.
import path from 'node:path';
import { buildDaemonConfig, type DaemonConfig, type DaemonFlags } from '../daemon/config.js';

export interface GatewayConfig {
  readonly daemon: DaemonConfig;
  /** The token file; undefined = the default under the repository's git directory. */
  readonly authFile: string | undefined;
  /** Reads need a token too. */
  readonly private: boolean;
  /** How many writes are committed under one ref update at most. */
  readonly maxBatch: number;
}

export interface GatewayFlags extends DaemonFlags {
  auth?: string;
  private?: boolean;
  maxBatch?: number;
}

export function buildGatewayConfig(
  flags: GatewayFlags,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): GatewayConfig {
  const { auth, private: isPrivate, maxBatch, ...daemon } = flags;
  return Object.freeze({
    // The gateway serves its own commits as it makes them; others' (a CLI or native git on the same repository,
    // rare beside a gateway) are picked up by polling the tip every second rather than by watching the refs,
    // whose every update by the gateway itself would cost a directory scan.
    daemon: buildDaemonConfig({ watch: false, pollMs: 1_000, ...daemon }, env, cwd),
    authFile: auth === undefined ? undefined : path.resolve(cwd, auth),
    private: isPrivate === true,
    maxBatch: maxBatch ?? 64,
  });
}
