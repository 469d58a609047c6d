// Wiring of `mreg gateway`: the daemon — the same router, read endpoints, resolve, health, readiness, metrics,
// UI, snapshots and remote follower as `mreg serve` — handed the write endpoints, plus the library's Registry
// kept open as a long-lived writer (every write goes through its one write loop) and the token check in front
// of it. The daemon itself never learns how to write: it is handed handlers, and it serves whatever state the
// writer publishes (Daemon.adopt).
import { REMOTE_NAME } from '../daemon/remote.js';
import { startDaemon, type Daemon } from '../daemon/serve.js';
import { createLogger, type Logger } from '../daemon/log.js';
import { Registry } from '../registry/registry.js';
import { Authenticator } from './auth.js';
import type { GatewayConfig } from './config.js';
import { checkGatewayRules } from './governance.js';
import { FailureThrottle } from './throttle.js';
import { defaultTokenFile, TokenStore } from './tokens.js';
import { writeRoutes } from './write-api.js';

export interface Gateway {
  readonly url: string;
  readonly port: number;
  readonly branch: string;
  readonly daemon: Daemon;
  /** The long-lived writer (its counters: registry.writes.stats). */
  readonly registry: Registry;
  readonly tokens: TokenStore;
  /** Settles when the first load is over (see Daemon.ready). */
  readonly ready: Promise<void>;
  /** Finishes the writes in flight, then stops serving. */
  stop(): Promise<void>;
}

export async function startGateway(config: GatewayConfig, opts: { logger?: Logger } = {}): Promise<Gateway> {
  const logger = opts.logger ?? createLogger(config.daemon.logLevel);
  let writer: Registry | undefined;
  let auth: Authenticator | undefined;
  const daemon = await startDaemon(config.daemon, {
    logger,
    writes: writeRoutes({ registry: () => writer, auth: () => auth }),
    // A private gateway: every read route needs a token too (health, readiness and metrics stay open).
    ...(config.private ? { guard: (input) => (auth ? auth.reader(input) : undefined) } : {}),
  });
  const tokens = new TokenStore(config.authFile ?? defaultTokenFile(daemon.repo.gitdir), (message) =>
    logger.error('token file unreadable: no token is accepted until it is fixed', { message }),
  );
  auth = new Authenticator(tokens, new FailureThrottle(), (client, ms) =>
    logger.warn('repeated authentication failures: client slowed down', { client, blockedMs: ms }),
  );
  const remote = config.daemon.remote;
  const registry = await Registry.open(config.daemon.repoDir, {
    branch: daemon.branch,
    ...(remote ? { push: REMOTE_NAME, pushUrl: remote.url } : {}),
    keep: {
      known: () => daemon.holder.current?.loaded,
      guard: (change, registry) => checkGatewayRules(registry.gateway, change),
      // Acknowledge only once the published state is served: a read right after a write sees it.
      onPublished: (loaded) => daemon.adopt(loaded),
      maxBatch: config.maxBatch,
    },
  });
  // Writes wait for the first load (and, with a remote, the first fetch): until then they answer 503.
  void daemon.ready.then(() => (writer = registry));
  return {
    url: daemon.url,
    port: daemon.port,
    branch: daemon.branch,
    daemon,
    registry,
    tokens,
    ready: daemon.ready,
    async stop() {
      await registry.close();
      // Let the answers of the last writes reach their sockets before the server closes them.
      await new Promise((r) => setImmediate(r));
      await daemon.stop();
    },
  };
}
