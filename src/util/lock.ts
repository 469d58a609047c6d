// An inter-process exclusive lock on a file path, safe against crashed holders.
//
// - Acquire: the owner record is written to a private temp file first and then hard-linked onto the lock
//   path. link(2) fails with EEXIST when the lock exists, like open(O_CREAT|O_EXCL), but the lock file
//   never exists half-written, so a reader always sees a complete owner record.
// - Stale locks: a holder whose pid is dead on this host (or whose pid now belongs to a younger process),
//   or a lock file not touched for `staleMs` (holders refresh its mtime while they run), is stale. Takeover
//   runs under a second, short-lived mutex file and moves the stale file aside with rename(2); if the file
//   moved aside turns out not to be the one judged stale (its owner released it and a new owner linked a
//   fresh one in between), it is linked back. So a SIGKILLed holder never blocks the next one, and two
//   waiters never both take over the same lock.
// - Within one process, callers queue on a promise chain per lock path instead of spinning on the file,
//   and a nested call from inside the holder's own async context runs at once (re-entrant).
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO-8601 time the lock was taken. */
  started: string;
  /** Random id of this acquisition, so a holder recognises its own record. */
  token: string;
}

export interface FileLockOptions {
  /** Give up after this long (queueing in-process included). Default 30 000 ms. */
  timeoutMs?: number;
  /** A lock file whose mtime is older than this is stale even when its owner looks alive. Default 60 000 ms. */
  staleMs?: number;
  /** Runs while holding the lock, right after a stale lock was taken over (clean up the crashed holder's leftovers). */
  onTakeover?: (stale: LockOwner | undefined) => Promise<void>;
  /** The error to throw on timeout; a plain Error by default. */
  timeoutError?: (lockPath: string, owner: LockOwner | undefined, waitedMs: number) => Error;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_STALE_MS = 60_000;
/** A lock file with an unreadable owner record (not written by this module) is stale after this long. */
const UNREADABLE_STALE_MS = 2_000;
/** The takeover mutex is held for microseconds; one older than this belongs to a crashed process. */
const TAKEOVER_STALE_MS = 2_000;
const BACKOFF_START_MS = 5;
const BACKOFF_CAP_MS = 100;

const tails = new Map<string, Promise<void>>();
const heldTokens = new Set<string>();
const held = new AsyncLocalStorage<ReadonlyMap<string, LockOwner>>();

/** Runs `fn` while holding the lock at `lockPath`; the lock file is removed afterwards, whatever happens. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const key = path.resolve(lockPath);
  const outer = held.getStore();
  if (outer?.has(key)) return fn();

  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const started = Date.now();

  // In-process queue: wait for the previous caller, then let the next one wait for us.
  const previous = tails.get(key) ?? Promise.resolve();
  let releaseQueue!: () => void;
  const mine = new Promise<void>((resolve) => (releaseQueue = resolve));
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  try {
    const inTime = await raceDeadline(previous, deadline);
    if (!inTime) throw timeoutError(opts, key, await readOwner(key), Date.now() - started);
    const lock = await acquire(key, deadline, started, opts);
    const inner = new Map(outer ?? []);
    inner.set(key, lock.owner);
    try {
      if (lock.tookOver && opts.onTakeover) await opts.onTakeover(lock.staleOwner);
      return await held.run(inner, fn);
    } finally {
      await lock.release();
    }
  } finally {
    releaseQueue();
    if (tails.get(key) === tail) tails.delete(key);
  }
}

/** Reads the owner record of a lock file, or undefined when absent or unreadable. */
async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    return parseOwner(await fsp.readFile(lockPath, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The owner record of `lockPath` when the calling async context holds that lock (inside withFileLock's fn). */
export function heldLock(lockPath: string): LockOwner | undefined {
  return held.getStore()?.get(path.resolve(lockPath));
}

interface Acquired {
  owner: LockOwner;
  tookOver: boolean;
  staleOwner: LockOwner | undefined;
  release(): Promise<void>;
}

async function acquire(lockPath: string, deadline: number, started: number, opts: FileLockOptions): Promise<Acquired> {
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const owner: LockOwner = {
    pid: process.pid,
    hostname: os.hostname(),
    started: new Date().toISOString(),
    token: randomBytes(12).toString('hex'),
  };
  const content = JSON.stringify(owner) + '\n';
  await fsp.mkdir(path.dirname(lockPath), { recursive: true });
  const tmp = `${lockPath}.${process.pid}.${owner.token}.tmp`;
  await fsp.writeFile(tmp, content, { flag: 'wx' });
  let tookOver = false;
  let staleOwner: LockOwner | undefined;
  let backoff = BACKOFF_START_MS;
  let lastOwner: LockOwner | undefined;
  try {
    for (;;) {
      try {
        await fsp.link(tmp, lockPath);
        break;
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw e;
      }
      const seen = await inspect(lockPath);
      if (seen === undefined) continue; // released in between: try again at once
      lastOwner = seen.owner;
      if (isStale(seen, staleMs)) {
        if (await takeOver(lockPath, seen.content)) {
          tookOver = true;
          staleOwner = seen.owner;
        }
        continue;
      }
      const now = Date.now();
      if (now >= deadline) throw timeoutError(opts, lockPath, lastOwner, now - started);
      // Jittered exponential backoff, so waiting processes do not poll in lockstep.
      const wait = Math.min(backoff, deadline - now) * (0.5 + Math.random() * 0.5);
      await new Promise((resolve) => setTimeout(resolve, wait));
      backoff = Math.min(backoff * 2, BACKOFF_CAP_MS);
    }
  } finally {
    await fsp.unlink(tmp).catch(() => undefined);
  }
  heldTokens.add(owner.token);
  // Refresh the mtime while held, so only a hung or vanished holder ever looks stale by age.
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      fsp.utimes(lockPath, now, now).catch(() => undefined);
    },
    Math.max(50, Math.min(staleMs / 3, 10_000)),
  );
  heartbeat.unref();
  return {
    owner,
    tookOver: tookOver && !!opts.onTakeover,
    staleOwner,
    async release() {
      clearInterval(heartbeat);
      heldTokens.delete(owner.token);
      // Remove the file only if it is still ours: had we been judged stale, it now belongs to someone else.
      const current = await readOwner(lockPath);
      if (current?.token === owner.token) await fsp.unlink(lockPath).catch(() => undefined);
    },
  };
}

interface Seen {
  content: string;
  owner: LockOwner | undefined;
  mtimeMs: number;
}

async function inspect(lockPath: string): Promise<Seen | undefined> {
  try {
    const [content, st] = await Promise.all([fsp.readFile(lockPath, 'utf8'), fsp.stat(lockPath)]);
    return { content, owner: parseOwner(content), mtimeMs: st.mtimeMs };
  } catch (e) {
    if (errCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

function isStale(seen: Seen, staleMs: number): boolean {
  const age = Date.now() - seen.mtimeMs;
  if (!seen.owner) return age > Math.min(staleMs, UNREADABLE_STALE_MS);
  if (age > staleMs) return true;
  return isOwnerDead(seen.owner);
}

/** True when the owner certainly no longer runs: same host and its pid is gone or was reused. */
function isOwnerDead(owner: LockOwner): boolean {
  if (owner.hostname !== os.hostname()) return false;
  // Our own pid: alive only if this process really holds that acquisition (a previous process with the
  // same pid, common in containers, left it behind).
  if (owner.pid === process.pid) return !heldTokens.has(owner.token);
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if (errCode(e) === 'ESRCH') return true;
    return false; // EPERM: alive, owned by another user
  }
  const startedAt = processStartMs(owner.pid);
  const lockedAt = Date.parse(owner.started);
  // The pid is alive but the process started after the lock was taken: the pid was reused.
  return startedAt !== undefined && Number.isFinite(lockedAt) && startedAt > lockedAt + 2_000;
}

/** Start time of a process in epoch ms, from /proc (Linux); undefined elsewhere. */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, in clock ticks since boot) comes after the parenthesised command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (!btime || !Number.isFinite(ticks)) return undefined;
    const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux ABI
    return (Number(btime[1]) + ticks / CLOCK_TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

async function takeOver(lockPath: string, judgedContent: string): Promise<boolean> {
  const mutex = `${lockPath}.takeover`;
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(mutex, 'wx');
  } catch (e) {
    if (errCode(e) !== 'EEXIST') throw e;
    const st = await fsp.stat(mutex).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > TAKEOVER_STALE_MS) await fsp.unlink(mutex).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 4));
    return false;
  }
  try {
    const aside = `${lockPath}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      await fsp.rename(lockPath, aside);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return false;
      throw e;
    }
    const moved = await fsp.readFile(aside, 'utf8').catch(() => '');
    if (moved !== judgedContent) {
      // Not the lock judged stale: hand it back to its owner (fails only if yet another one exists).
      await fsp.link(aside, lockPath).catch(() => undefined);
      await fsp.unlink(aside).catch(() => undefined);
      return false;
    }
    await fsp.unlink(aside).catch(() => undefined);
    return true;
  } finally {
    await handle.close().catch(() => undefined);
    await fsp.unlink(mutex).catch(() => undefined);
  }
}

function parseOwner(content: string): LockOwner | undefined {
  try {
    const v = JSON.parse(content) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && typeof v.hostname === 'string' && typeof v.started === 'string') {
      return {
        pid: v.pid,
        hostname: v.hostname,
        started: v.started,
        token: typeof v.token === 'string' ? v.token : '',
      };
    }
  } catch {
    // fall through
  }
  return undefined;
}

async function raceDeadline(p: Promise<void>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p.then(() => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function timeoutError(opts: FileLockOptions, lockPath: string, owner: LockOwner | undefined, waitedMs: number): Error {
  if (opts.timeoutError) return opts.timeoutError(lockPath, owner, waitedMs);
  return new Error(`Timed out after ${waitedMs} ms waiting for the lock ${lockPath}`);
}

function errCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
