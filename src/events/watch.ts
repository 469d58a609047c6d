// Waiting for a branch to move: fs.watch on the folder holding the ref and on the git directory (packed-refs),
// which survive git's rename-into-place and pack-refs (a watch on the ref file itself does not), plus a poll
// as a backstop. Every wake-up re-reads the ref; the events themselves come from git, never from the watcher.
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/**
 * Resolves when `read()` returns something other than `current`, or when `signal` aborts (then with
 * `current`). Never rejects on a watcher error: the poll keeps going.
 */
export async function waitForMove(
  gitdir: string,
  ref: string,
  current: string | null,
  read: () => Promise<string | null>,
  opts: { signal?: AbortSignal; pollMs?: number } = {},
): Promise<string | null> {
  const { signal, pollMs = 1000 } = opts;
  if (signal?.aborted) return current;
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  return new Promise<string | null>((resolve) => {
    const finish = (v: string | null): void => {
      if (done) return;
      done = true;
      for (const w of watchers) w.close();
      if (timer) clearInterval(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = (): void => finish(current);
    let checking = false;
    let again = false;
    const check = async (): Promise<void> => {
      if (checking) {
        again = true;
        return;
      }
      checking = true;
      try {
        do {
          again = false;
          const now = await read().catch(() => current);
          if (now !== current) return finish(now);
        } while (again && !done);
      } finally {
        checking = false;
      }
    };
    signal?.addEventListener('abort', onAbort);
    for (const dir of [path.dirname(path.join(gitdir, ...ref.split('/'))), gitdir]) {
      try {
        const w = watch(dir, { persistent: true }, () => void check());
        w.on('error', () => undefined);
        watchers.push(w);
      } catch {
        // the folder may not exist yet (no branch of that prefix): the poll covers it
      }
    }
    // Waiting keeps the process alive, as a pending read would: the watchers and the poll are ref'd.
    timer = setInterval(() => void check(), pollMs);
    void check();
  });
}
