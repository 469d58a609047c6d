// Where a worker's events come from: derived here and read ahead of the delivery, or derived by `mreg events
// --json` in a second process for a long backlog.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Position } from '../events/log.js';
import { formatEventId, type RegistryEvent } from '../events/types.js';

/** A position as `mreg events --since` takes it; undefined for the start. */
function sinceArg(pos: Position): string | undefined {
  if (pos.kind === 'start') return undefined;
  if (pos.kind === 'ref') return pos.commit;
  return formatEventId({ ...pos.cursor, index: Math.min(pos.cursor.index, 999_999_999) });
}

/** The events after `pos` up to `tip`, from `mreg events --json` run as a child process. */
export async function* childEvents(
  cli: string,
  dir: string,
  tip: string,
  pos: Position,
): AsyncGenerator<RegistryEvent> {
  const since = sinceArg(pos);
  const child = spawn(
    process.execPath,
    [cli, 'events', '--json', '--repo', dir, '--until', tip, ...(since !== undefined ? ['--since', since] : [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let finished = false;
  try {
    for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
      if (line.trim() !== '') yield JSON.parse(line) as RegistryEvent;
    }
    const code = await exited;
    if (code !== 0) throw new Error(`mreg events exited with ${code}: ${stderr.trim().split('\n')[0] ?? ''}`);
    finished = true;
  } finally {
    if (!finished) child.kill();
  }
}

/**
 * Iterates `source` while pulling up to `depth` items ahead of the consumer, so producing the next items
 * overlaps with whatever the consumer awaits. Stopping early stops the source.
 */
export async function* readAhead<T>(source: AsyncGenerator<T>, depth: number): AsyncGenerator<T> {
  const buffer: Array<IteratorResult<T>> = [];
  let error: unknown;
  let failed = false;
  let waiting: (() => void) | undefined;
  let pulling = false;
  let finished = false;
  let stopped = false;
  const pull = async (): Promise<void> => {
    if (pulling) return;
    pulling = true;
    try {
      while (!stopped && !finished && buffer.length < depth) {
        const r = await source.next();
        buffer.push(r);
        if (r.done) finished = true;
        waiting?.();
      }
    } catch (e) {
      error = e;
      failed = true;
      waiting?.();
    } finally {
      pulling = false;
    }
  };
  try {
    for (;;) {
      void pull();
      while (buffer.length === 0 && !failed) await new Promise<void>((r) => (waiting = r));
      waiting = undefined;
      if (buffer.length === 0 && failed) throw error;
      const r = buffer.shift()!;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    stopped = true;
    if (!finished) await source.return(undefined as never).catch(() => undefined);
  }
}
