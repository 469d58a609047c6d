// The repository's inter-process write lock (`<commondir>/mreg-write.lock`, util/lock.ts), and the record of
// the git locks (index.lock, `<ref>.lock`) its holder has open, so that the next writer can remove a crashed
// holder's leftovers at once, exactly (by path and inode), instead of waiting for them to age.
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { RegistryError } from '../../errors.js';
import { heldLock, withFileLock, type LockOwner } from '../../util/lock.js';
import { errCode } from './io.js';
import type { LockTracker } from './lockfile.js';
import type { RepoPaths } from './repository.js';

/** The held-locks record's size: one page, so that one write replaces it whole. */
const RECORD_BYTES = 4096;
/** Leftover git locks older than this are removed when a crashed mreg writer's lock is taken over. */
const CRASH_LEFTOVER_MS = 2_000;

export class WriteLock {
  /** Git lock files this process holds under the write lock, by path → inode. */
  private readonly tracked = new Map<string, number>();
  private trackedToken = '';
  private readonly lockPath: string;
  /** Give this to every git lock taken under the write lock (refs, index). */
  readonly tracker: LockTracker = {
    acquired: (lockPath, ino) => {
      const owner = heldLock(this.lockPath);
      if (!owner) return;
      this.tracked.set(lockPath, ino);
      this.trackedToken = owner.token;
      this.saveTracked();
    },
    released: (lockPath) => {
      if (this.tracked.delete(lockPath)) this.saveTracked();
    },
  };
  /** The open record of held git locks (saveTracked), while the write lock is held, and its size. */
  private record: number | undefined;
  private recordSize = 0;

  constructor(private readonly paths: RepoPaths) {
    this.lockPath = path.join(paths.commondir, 'mreg-write.lock');
  }

  /**
   * Runs `fn` holding the lock. Waiters poll with jittered backoff; in-process callers queue. A lock left by
   * a dead process (or untouched for `staleMs`) is taken over at once, and the crashed writer's leftover git
   * locks and temp files removed. @throws RESOURCE_CONFLICT after `timeoutMs` (default 30 s).
   */
  async run<T>(fn: () => Promise<T>, opts: { timeoutMs?: number; staleMs?: number } = {}): Promise<T> {
    const held = async (): Promise<T> => {
      try {
        return await fn();
      } finally {
        this.dropRecord();
      }
    };
    return withFileLock(this.lockPath, held, {
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.staleMs !== undefined ? { staleMs: opts.staleMs } : {}),
      timeoutError: (p, owner, waited) =>
        new RegistryError(
          'RESOURCE_CONFLICT',
          `Timed out waiting for the write lock ${p} after ${waited} ms` +
            (owner ? ` (held by pid ${owner.pid} on ${owner.hostname} since ${owner.started}).` : '.'),
          { lockPath: p, owner },
        ),
      onTakeover: (stale) => this.removeCrashLeftovers(stale),
    });
  }

  /**
   * `<commondir>/mreg-write.lock.held`: the git locks the write-lock holder has open, for removal if it dies.
   * Created once per hold of the write lock and removed when it is let go; each change overwrites it whole, in
   * place, by one write of a fixed size (JSON padded with spaces, which JSON.parse ignores): a process killed
   * at any moment leaves the old record or the new one, never a mix, and a ref update costs no file creation
   * for it (creating files is the dear part of a write on a busy disk; bench/gateway.mjs).
   */
  private saveTracked(): void {
    const text = JSON.stringify({
      token: this.trackedToken,
      locks: [...this.tracked].map(([p, ino]) => ({ path: p, ino })),
    });
    const size = Math.max(RECORD_BYTES, this.recordSize, Buffer.byteLength(text));
    if (this.record === undefined) {
      this.record = fs.openSync(`${this.lockPath}.held`, 'w', 0o644);
      this.recordSize = 0;
    }
    const data = Buffer.alloc(size, 0x20);
    data.write(text, 0, 'utf8');
    fs.writeSync(this.record, data, 0, size, 0);
    this.recordSize = size;
  }

  /** The write lock is let go: nothing is held under it any more, and the record goes. */
  private dropRecord(): void {
    if (this.record === undefined) return;
    const fd = this.record;
    this.record = undefined;
    this.tracked.clear();
    fs.closeSync(fd);
    fs.rmSync(`${this.lockPath}.held`, { force: true });
  }

  /**
   * After taking over a crashed writer's lock: the git locks it had recorded as held are removed at once
   * when their inode still matches (so a native git lock created since is never touched); any other
   * index.lock, ref lock or temp file older than a native git operation takes is removed too.
   */
  private async removeCrashLeftovers(stale: LockOwner | undefined): Promise<void> {
    const { gitdir, commondir } = this.paths;
    const heldFile = `${this.lockPath}.held`;
    try {
      const rec = JSON.parse(await fsp.readFile(heldFile, 'utf8')) as {
        token: string;
        locks: Array<{ path: string; ino: number }>;
      };
      if (stale && rec.token === stale.token) {
        for (const l of rec.locks) {
          const st = await fsp.lstat(l.path).catch(() => undefined);
          if (st && st.ino === l.ino) await fsp.rm(l.path, { force: true });
        }
      }
    } catch {
      // no record (the crashed writer held no git lock) or an unreadable one
    }
    await fsp.rm(heldFile, { force: true });
    const old = async (file: string): Promise<boolean> => {
      const st = await fsp.lstat(file).catch(() => undefined);
      return !!st && Date.now() - st.mtimeMs > CRASH_LEFTOVER_MS;
    };
    const removeIfOld = async (file: string): Promise<void> => {
      if (await old(file)) await fsp.rm(file, { force: true }).catch(() => undefined);
    };
    await removeIfOld(path.join(gitdir, 'index.lock'));
    await removeIfOld(path.join(gitdir, 'HEAD.lock'));
    const walk = async (d: string): Promise<void> => {
      const dirents = await fsp.readdir(d, { withFileTypes: true }).catch(() => []);
      for (const de of dirents) {
        const f = path.join(d, de.name);
        if (de.isDirectory()) await walk(f);
        else if (de.name.endsWith('.lock')) await removeIfOld(f);
      }
    };
    await walk(path.join(commondir, 'refs', 'heads'));
    const tmpDir = path.join(gitdir, 'mreg-tmp');
    for (const name of await fsp.readdir(tmpDir).catch(() => [])) await removeIfOld(path.join(tmpDir, name));
    // Temp files of the lock's owner record and the held-locks record (`<name>.<pid>.<random>.tmp`, then
    // linked or renamed into place) and of the checkout journal: a writer killed in between leaves them. An
    // owner record's temp file lives as long as its writer waits for the lock, so only a dead pid's goes.
    for (const dir of new Set([gitdir, commondir])) {
      for (const name of await fsp.readdir(dir).catch(() => [])) {
        const owned = /^mreg-write\.lock(?:\.held)?\.(\d+)\..+\.tmp$/.exec(name);
        if (owned ? !isPidAlive(Number(owned[1])) : /^mreg-checkout\.json\..+\.tmp$/.test(name))
          await removeIfOld(path.join(dir, name));
      }
    }
  }
}

/** Whether a process with this pid runs on this host (EPERM: it does, under another user). */
function isPidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errCode(e) !== 'ESRCH';
  }
}
