// Temporary registries for tests: a real git repository per test, a fixed author and a clock that ticks.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';
import { initRegistry, Registry, type RegistryOptions } from '../../src/index.js';

export const run = promisify(execFile);

export const AUTHOR = { name: 'Test Author', email: 'test@example.com' };
export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** A clock that advances one second per call, from T0. */
export function tickingClock(start = T0, step = 1000): () => number {
  let t = start - step;
  return () => (t += step);
}

export async function tempDir(prefix = 'mreg-test-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh registry in a new temporary git repository (work tree by default). */
export async function freshRegistry(
  opts: { bare?: boolean } & RegistryOptions = {},
): Promise<{ dir: string; registry: Registry; clock: () => number }> {
  const dir = await tempDir();
  const clock = opts.clock ?? tickingClock();
  await initRegistry(dir, { author: AUTHOR, clock, ...(opts.bare ? { bare: true } : {}) });
  const registry = await Registry.open(dir, { author: AUTHOR, clock, ...opts });
  return { dir, registry, clock };
}

export async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The invariants every write must leave: a clean status (for work trees) and a clean fsck. */
export async function expectCleanRepo(dir: string, { bare = false } = {}): Promise<void> {
  if (!bare) {
    const status = await git(dir, 'status', '--porcelain');
    if (status.trim() !== '') throw new Error(`git status is not clean:\n${status}`);
  }
  await git(dir, 'fsck', '--strict', '--no-progress');
}

export async function commitCount(dir: string): Promise<number> {
  return Number((await git(dir, 'rev-list', '--count', 'HEAD')).trim());
}

/** Expects a promise to reject with a RegistryError of `code` (and a message matching `message`). */
export async function expectCode(p: Promise<unknown>, code: string, message?: RegExp | string): Promise<void> {
  let error: unknown;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  if (!error) throw new Error(`expected ${code}, but it succeeded`);
  const e = error as { code?: string; message?: string };
  if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`);
  if (message !== undefined) {
    const ok = typeof message === 'string' ? e.message?.includes(message) : message.test(e.message ?? '');
    if (!ok) throw new Error(`message ${JSON.stringify(e.message)} does not match ${String(message)}`);
  }
}
