// Wiring: open (or, for --remote, create and fetch) the repository, listen, load the branch tip (from
// a snapshot when one exists), then follow the branch. `startDaemon` is what `mreg serve` and the tests
// call; `stop()` releases everything it started.
import type { AddressInfo } from 'node:net';
import { RegistryError } from '../errors.js';
import { FORMAT_VERSION, olderFormatMessage } from '../domain/state.js';
import { GitReader } from '../store/git/reader.js';
import { declaredFormatAt } from '../store/load.js';
import { redactUrl } from '../store/transport/remote-url.js';
import type { DaemonConfig } from './config.js';
import { createAt } from './at.js';
import { StateHolder } from './holder.js';
import { App, type Guard, type UiHandler, type WriteRoutes } from './http/app.js';
import { Metrics } from './http/metrics.js';
import { createHttpServer } from './http/node.js';
import { createLogger, type Logger } from './log.js';
import { RemoteFollower, trackingRef } from './remote.js';
import { readSnapshot, writeSnapshot } from './snapshot.js';
import { handleUi } from './ui/index.js';
import type { Served } from './ui-deps.js';
import type { Loaded } from '../store/load.js';
import { RefWatcher, Reloader } from './watcher.js';

export interface Daemon {
  readonly host: string;
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  readonly branch: string;
  readonly repo: GitReader;
  readonly holder: StateHolder;
  readonly app: App;
  readonly metrics: Metrics;
  /** Settles when the first load attempt is over (served or failed: see /readyz). */
  readonly ready: Promise<void>;
  /** Checks the branch tip now (what a ref event does). */
  check(): Promise<void>;
  /** Serves a state a writer in this process committed (see Reloader.adopt); resolves once it is served. */
  adopt(loaded: Loaded): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  ui?: UiHandler;
  /** Write endpoints (the gateway): `mreg serve` passes none, and its write endpoints answer PERMISSION_DENIED. */
  writes?: WriteRoutes;
  /** Checked before every read route (the gateway's --private). */
  guard?: Guard;
}

async function openRepo(config: DaemonConfig, logger: Logger): Promise<GitReader> {
  try {
    // Run from a sub-folder of a work tree, it serves that repository, as git would find it; a replica's
    // clone folder is taken as given.
    return await GitReader.open(config.repoDir, { discover: !config.remote });
  } catch (e) {
    if (!config.remote) throw e;
    logger.info('creating a local clone for the remote', { dir: config.repoDir, url: redactUrl(config.remote.url) });
    return GitReader.init(config.repoDir, { bare: true, branch: config.branch ?? 'main' });
  }
}

/**
 * A registry in an older format is not served at all (as every other command refuses it): the one fix is
 * `mreg migrate`. Checked at the branch tip when there is one; a replica's remote is judged once fetched.
 * @throws INVALID_STATE
 */
async function refuseOlderFormat(repo: GitReader, branch: string): Promise<void> {
  const tip = await repo.resolveBranch(branch).catch(() => null);
  const found = tip ? await declaredFormatAt(repo, tip) : undefined;
  if (found !== undefined && found < FORMAT_VERSION)
    throw new RegistryError('INVALID_STATE', olderFormatMessage(found));
}

export async function startDaemon(config: DaemonConfig, opts: StartOptions = {}): Promise<Daemon> {
  const startedAt = Date.now();
  const logger = opts.logger ?? createLogger(config.logLevel);
  const repo = await openRepo(config, logger);
  const branch = config.branch ?? (config.remote ? 'main' : ((await repo.currentBranch()) ?? 'main'));
  await refuseOlderFormat(repo, branch);
  const holder = new StateHolder();
  const metrics = new Metrics();
  const at = createAt(repo, branch, holder);
  const app = new App({
    holder,
    metrics,
    logger,
    limits: config.limits,
    branch,
    repo,
    at,
    ui: opts.ui ?? handleUi,
    startedAt,
    // `follower` is created below; a push webhook can only arrive once the server listens.
    gitHook: { remote: !!config.remote, secret: config.gitHookSecret, fetchNow: () => void follower?.fetchAfterNow() },
    ...(config.remote ? { replica: () => follower?.status() } : {}),
    ...(opts.writes ? { writes: opts.writes } : {}),
    ...(opts.guard ? { guard: opts.guard } : {}),
  });
  const server = createHttpServer(app, config.limits, logger);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(listenError(e, config.host, config.port)));
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info('listening', {
    url,
    repo: config.repoDir,
    branch,
    remote: config.remote ? redactUrl(config.remote.url) : null,
  });

  const tracking = config.remote ? trackingRef(branch) : undefined;
  const reloader = new Reloader({
    repo,
    branch,
    holder,
    metrics,
    logger,
    ...(tracking ? { tip: () => repo.resolveRevision(tracking).catch(() => null) } : {}),
  });
  const watcher = new RefWatcher(repo.gitdir, branch, () => reloader.check(), {
    debounceMs: config.debounceMs,
    pollMs: config.pollMs,
    events: config.watch,
    logger,
  });
  const follower = config.remote
    ? new RemoteFollower({
        repo,
        branch,
        url: config.remote.url,
        intervalMs: config.remote.intervalS * 1000,
        metrics,
        logger,
        onMoved: () => reloader.check(),
      })
    : undefined;

  // Snapshots: one writer at a time, coalescing swaps that arrive while it writes.
  const snapshotAbort = new AbortController();
  let snapshotTimer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let pendingSnapshot: Served | undefined;
  let lastSnapshotCommit: string | undefined;
  const writeNow = (): void => {
    snapshotTimer = undefined;
    if (writing || !pendingSnapshot) return;
    const s = pendingSnapshot;
    pendingSnapshot = undefined;
    if (s.commit === lastSnapshotCommit) return;
    writing = writeSnapshot(repo.gitdir, s.loaded, snapshotAbort.signal)
      .then((written) => {
        if (written) {
          lastSnapshotCommit = s.commit;
          metrics.snapshotsWritten++;
          logger.debug('snapshot written', { commit: s.commit });
        }
      })
      .catch((e: unknown) => logger.warn('snapshot not written', { err: (e as Error).message }))
      .finally(() => {
        writing = undefined;
        if (pendingSnapshot && !snapshotAbort.signal.aborted) scheduleSnapshot(pendingSnapshot, config.snapshotDelayMs);
      });
  };
  const scheduleSnapshot = (s: Served, delayMs: number): void => {
    if (!config.snapshot || snapshotAbort.signal.aborted) return;
    pendingSnapshot = s;
    if (snapshotTimer || writing) return;
    snapshotTimer = setTimeout(writeNow, delayMs);
    snapshotTimer.unref();
  };

  let stopped = false;
  const ready = (async () => {
    if (follower) await follower.fetchOnce();
    const base = config.snapshot ? await readSnapshot(repo.gitdir) : undefined;
    // A snapshot that could not be read (corrupt, older format) is rewritten even for the same commit.
    lastSnapshotCommit = base?.commit ?? undefined;
    if (stopped) return;
    const t0 = Date.now();
    await reloader.initial(base);
    const s = holder.current;
    logger.info(s ? 'ready' : 'not ready: no good commit to serve', {
      commit: s?.commit ?? null,
      fromSnapshot: base?.commit ?? null,
      ms: Date.now() - t0,
    });
    if (stopped) return;
    if (s) scheduleSnapshot(s, 1000);
    holder.onSwap((next) => scheduleSnapshot(next, config.snapshotDelayMs));
    await watcher.start();
    follower?.start();
    // Commits made while the first load ran.
    await reloader.check();
  })().catch((e: unknown) => {
    logger.error('start failed', { err: e });
    holder.fail({ commit: null, at: Date.now(), message: `start failed: ${(e as Error).message}`, problems: [] });
  });

  return {
    host: address.address,
    port: address.port,
    url,
    branch,
    repo,
    holder,
    app,
    metrics,
    ready,
    check: () => reloader.check(),
    adopt: (loaded) => reloader.adopt(loaded),
    async stop() {
      if (stopped) return;
      stopped = true;
      reloader.stop();
      snapshotAbort.abort();
      if (snapshotTimer) clearTimeout(snapshotTimer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ready;
      await Promise.allSettled([watcher.stop(), follower?.stop(), writing]);
      logger.info('stopped', {});
    },
  };
}

/** Why the server could not listen, said the way a person can act on (a port in use is no bug of mreg's). */
function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  const hint = 'pick another with --port (0 picks a free one)';
  if (e.code === 'EADDRINUSE')
    return new RegistryError(
      'INVALID_STATE',
      `Port ${port} on ${host} is already in use: stop what listens there, or ${hint}.`,
      { host, port },
      { cause: e },
    );
  if (e.code === 'EACCES')
    return new RegistryError(
      'PERMISSION_DENIED',
      `Not allowed to listen on ${where} (ports below 1024 need privileges): ${hint}.`,
      { host, port },
      { cause: e },
    );
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
    return new RegistryError(
      'INVALID_STATE',
      `Cannot listen on ${where}: no such address on this machine (check --host).`,
      { host, port },
      { cause: e },
    );
  return e;
}
