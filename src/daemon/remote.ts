// --remote URL --interval S: the git host is the source of truth. A local repository (bare, objects only,
// created when absent) is fetched every S seconds over any transport git has into refs/remotes/origin/<branch>, and
// that ref's commit is what is served, so a force-push on the remote is followed like any other new tip.
// Nothing local moves: no branch, no index, no work tree (the daemon holds only the read side of the
// store). Any number of daemons on any number of machines serve one registry this way.
import { trackingRef as remoteTrackingRef, type GitReader } from '../store/git/reader.js';
import { redactText, redactUrl, urlSecrets } from '../store/transport/remote-url.js';
import type { Metrics } from './http/metrics.js';
import type { Logger } from './log.js';
import type { ServingStatus } from './ui-deps.js';

export const REMOTE_NAME = 'origin';

/** The ref a --remote daemon serves. */
export function trackingRef(branch: string): string {
  return remoteTrackingRef(REMOTE_NAME, branch);
}

export interface RemoteFollowerDeps {
  repo: GitReader;
  branch: string;
  url: string;
  intervalMs: number;
  metrics: Metrics;
  logger: Logger;
  /** Called after the remote-tracking ref moved. */
  onMoved(): Promise<void>;
}

export class RemoteFollower {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private lastTip: string | undefined;
  private lastFetchedAt: number | null = null;
  private lastTriedAt: number | null = null;
  private lastError: string | undefined;

  constructor(private readonly d: RemoteFollowerDeps) {}

  /**
   * A fetch that starts after this call (a push webhook's: a fetch already in flight may have asked the host
   * before the push it announces landed, so it runs after that one; calls meanwhile share it). Never throws.
   */
  fetchAfterNow(): Promise<void> {
    if (!this.inFlight) return this.fetchOnce();
    this.queued ??= this.inFlight.then(() => {
      this.queued = undefined;
      return this.fetchOnce();
    });
    return this.queued;
  }

  /** One fetch into the remote-tracking ref (joining one in flight); tells onMoved when the tip changed. Never throws. */
  fetchOnce(): Promise<void> {
    this.inFlight ??= this.doFetch().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async doFetch(): Promise<void> {
    const { repo, branch, url, metrics, logger } = this.d;
    const shown = redactUrl(url);
    metrics.fetches++;
    this.lastTriedAt = Date.now();
    try {
      const tip = await repo.fetch({ remote: REMOTE_NAME, url, branch });
      this.lastFetchedAt = Date.now();
      this.lastError = undefined;
      if (!tip) {
        logger.warn('remote has no such branch', { url: shown, branch });
        return;
      }
      if (tip !== this.lastTip) {
        logger.info('fetched', { url: shown, branch, from: this.lastTip ?? null, to: tip });
        this.lastTip = tip;
        await this.d.onMoved();
      }
    } catch (e) {
      metrics.fetchesFailed++;
      this.lastError = redactText((e as Error).message, urlSecrets(url));
      logger.warn('fetch failed', { url: shown, branch, err: this.lastError });
    }
  }

  /** What the UI shows of this replica: the remote (redacted), and when it last fetched. */
  status(): NonNullable<ServingStatus['replica']> {
    return {
      url: redactUrl(this.d.url),
      intervalS: this.d.intervalMs / 1000,
      lastFetchedAt: this.lastFetchedAt,
      lastTriedAt: this.lastTriedAt,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  start(): void {
    const loop = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        void this.fetchOnce().then(loop);
      }, this.d.intervalMs);
      this.timer.unref();
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
    await this.queued;
  }
}
