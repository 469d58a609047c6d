// Native git's lockfile protocol (lockfile.c): `<file>.lock` created with O_CREAT|O_EXCL, written fully,
// then renamed onto `<file>` to commit, or unlinked to roll back. Native git and we exclude each other
// through it, which isomorphic-git never does (gotchas 5-7).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { RefMovedError } from '../../errors.js';

/**
 * Told about each lock file created and released, so a crashed holder's locks can be identified exactly
 * (by path and inode) and removed at once by the next writer, instead of waiting for them to age.
 */
export interface LockTracker {
  acquired(lockPath: string, ino: number): Promise<void>;
  released(lockPath: string): Promise<void>;
}

export interface LockFileOptions {
  /** A lock file older than this belongs to a crashed process and is removed. Native git holds locks for milliseconds. */
  staleMs?: number;
  /** Give up after waiting this long for a live holder. */
  timeoutMs?: number;
  tracker?: LockTracker;
}

/** Native git holds `index.lock` and ref locks for milliseconds; one this old was left by a crash. */
const GIT_LOCK_STALE_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 10_000;

export class GitLockFile {
  private done = false;
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(
    readonly target: string,
    readonly lockPath: string,
    private readonly handle: fsp.FileHandle,
    private readonly tracker: LockTracker | undefined,
  ) {
    // Keep the mtime fresh while held, so a slow step (waiting for index.lock, writing many work-tree
    // files) never makes our own lock look stale to another mreg process. Native git ignores mtimes.
    this.heartbeat = setInterval(() => {
      const now = new Date();
      fsp.utimes(this.lockPath, now, now).catch(() => undefined);
    }, 1_000);
    this.heartbeat.unref();
  }

  /** Creates `<target>.lock`, waiting (jittered backoff) while a live process holds it. */
  static async acquire(target: string, opts: LockFileOptions = {}): Promise<GitLockFile> {
    const lockPath = `${target}.lock`;
    const staleMs = opts.staleMs ?? GIT_LOCK_STALE_MS;
    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    let backoff = 2;
    await fsp.mkdir(path.dirname(target), { recursive: true });
    for (;;) {
      try {
        const handle = await fsp.open(lockPath, 'wx', 0o666);
        const lock = new GitLockFile(target, lockPath, handle, opts.tracker);
        if (opts.tracker) {
          try {
            await opts.tracker.acquired(lockPath, (await handle.stat()).ino);
          } catch (e) {
            await lock.rollback();
            throw e;
          }
        }
        return lock;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const st = await fsp.stat(lockPath).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > staleMs) {
        // Left behind by a crashed writer (native git would refuse forever; we clean up).
        await fsp.unlink(lockPath).catch(() => undefined);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new RefMovedError(`Unable to create '${lockPath}': another git process holds it.`, {
          lockPath,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, backoff * (0.5 + Math.random())));
      backoff = Math.min(backoff * 2, 50);
    }
  }

  /** Writes the whole new content and fsyncs it (before the rename that publishes it). */
  async write(data: Uint8Array | string | readonly Buffer[], fsync = true): Promise<void> {
    if (Array.isArray(data)) await this.handle.writev(data as Buffer[]);
    else await this.handle.writeFile(data as Uint8Array | string);
    if (fsync) await this.handle.sync();
  }

  /** Publishes the content: rename(2) onto the target, atomic for readers. */
  async commit(): Promise<void> {
    if (this.done) return;
    this.done = true;
    clearInterval(this.heartbeat);
    await this.handle.close().catch(() => undefined);
    try {
      await fsp.rename(this.lockPath, this.target);
    } catch (e) {
      await fsp.unlink(this.lockPath).catch(() => undefined);
      throw e;
    } finally {
      await this.tracker?.released(this.lockPath).catch(() => undefined);
    }
  }

  async rollback(): Promise<void> {
    if (this.done) return;
    this.done = true;
    clearInterval(this.heartbeat);
    await this.handle.close().catch(() => undefined);
    await fsp.unlink(this.lockPath).catch(() => undefined);
    await this.tracker?.released(this.lockPath).catch(() => undefined);
  }
}
