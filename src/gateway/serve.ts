// Wiring of `mreg gateway`: the daemon — the same router, read endpoints, resolve, health, readiness, metrics,
// UI, watcher, snapshots and remote follower as `mreg serve` — given the write endpoints, plus the one write
// session every write goes through and the token check in front of it. The daemon itself never learns how to
// write: it is handed handlers, and it serves whatever state the session publishes (Daemon.adopt).
import { REMOTE_NAME } from '../daemon/remote.js';
import { startDaemon, type Daemon } from '../daemon/serve.js';
import { createLogger, type Logger } from '../daemon/log.js';
import { resolveAuthor } from '../registry/config.js';
import { WriteSession } from '../registry/session.js';
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
  readonly session: WriteSession;
  readonly tokens: TokenStore;
  /** Settles when the first load is over (see Daemon.ready). */
  readonly ready: Promise<void>;
  /** Finishes the writes in flight, then stops serving. */
  stop(): Promise<void>;
}

export async function startGateway(config: GatewayConfig, opts: { logger?: Logger } = {}): Promise<Gateway> {
  const logger = opts.logger ?? createLogger(config.daemon.logLevel);
  let session: WriteSession | undefined;
  let auth: Authenticator | undefined;
  const daemon = await startDaemon(config.daemon, {
    logger,
    writes: writeRoutes({ session: () => session, auth: () => auth }),
    // A private gateway: every read route needs a token too (health, readiness and metrics stay open).
    ...(config.private ? { guard: (input) => (auth ? auth.reader(input) : undefined) } : {}),
  });
  const tokens = new TokenStore(config.authFile ?? defaultTokenFile(daemon.repo.gitdir), (message) =>
    logger.error('token file unreadable: no token is accepted until it is fixed', { message }),
  );
  auth = new Authenticator(tokens, new FailureThrottle(), (client, ms) =>
    logger.warn('repeated authentication failures: client slowed down', { client, blockedMs: ms }),
  );
  const committer = await resolveAuthor(daemon.repo.gitdir);
  const ws = new WriteSession({
    repo: daemon.repo,
    branch: daemon.branch,
    committer,
    ...(config.daemon.remote ? { remote: REMOTE_NAME } : {}),
    known: () => daemon.holder.current?.loaded,
    guard: (change, state) => checkGatewayRules(state.registry.gateway, change),
    // Acknowledge only once the published state is served: a read right after a write sees it.
    onPublished: (loaded) => daemon.adopt(loaded),
    maxBatch: config.maxBatch,
  });
  // Writes wait for the first load (and, with a remote, the first fetch): until then they answer 503.
  void daemon.ready.then(() => (session = ws));
  const s = ws;
  return {
    url: daemon.url,
    port: daemon.port,
    branch: daemon.branch,
    daemon,
    session: s,
    tokens,
    ready: daemon.ready,
    async stop() {
      await s.close();
      // Let the answers of the last writes reach their sockets before the server closes them.
      await new Promise((r) => setImmediate(r));
      await daemon.stop();
    },
  };
}
