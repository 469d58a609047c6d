// Empty temp files made ahead of time, on the thread pool, for a long-lived writer's loose objects. Creating a
// file (an inode and a folder entry) is the dearest system call of a commit on a busy disk — six per commit,
// 30–300 µs each on the machine of bench/gateway.mjs, where writing and renaming one cost 20–40 µs. The writer's
// thread then only writes a made file and renames it into place (object-writer.ts); making files runs beside it.
//
// The files live in `<gitdir>/mreg-tmp/` (on the objects' file system, so a rename moves them), opened when
// made. A file removed by someone else meanwhile (a crashed writer's leftovers are cleaned there, write-lock.ts)
// makes the rename fail with ENOENT, and the caller writes the object the ordinary way. Files left by a killed
// process are removed by the next writer that takes over its write lock, with the folder's other leftovers.
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

/** Files made at a time, and how few may be left before more are made. */
const BATCH = 64;
const LOW = 48;

const open = promisify(fs.open);
const close = promisify(fs.close);
const unlink = promisify(fs.unlink);

export interface TempFile {
  path: string;
  /** Open for writing; the file is empty. */
  fd: number;
}

export class TempFiles {
  private readonly ready: TempFile[] = [];
  private filling: Promise<void> | undefined;
  private made = 0;
  private stopped = false;
  private readonly prefix = `obj-${process.pid}-${Date.now().toString(36)}-`;

  constructor(private readonly dir: string) {}

  /** A made file, or undefined when none is ready (the caller creates its own). */
  take(): TempFile | undefined {
    const f = this.ready.pop();
    if (this.ready.length < LOW) this.fill();
    return f;
  }

  /** Stops making files and removes the ones not used. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.filling;
    await Promise.all(this.ready.splice(0).map(discard));
  }

  private fill(): void {
    if (this.filling || this.stopped) return;
    this.filling = this.makeBatch()
      // A full disk or a folder that cannot be made: objects are written the ordinary way meanwhile.
      .catch(() => undefined)
      .finally(() => (this.filling = undefined));
  }

  /**
   * One file after another, on one thread of the pool: several threads creating files in one folder contend for
   * its lock, and the kernel spins while it waits (measured: ~0.3 ms of system time per file with four at once).
   */
  private async makeBatch(): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    for (let i = 0; i < BATCH && !this.stopped; i++) {
      const file = path.join(this.dir, this.prefix + (this.made++).toString(36));
      // Read-only for everyone, as git makes loose objects: the mode the object keeps after its rename.
      this.ready.push({ path: file, fd: await open(file, 'wx', 0o444) });
    }
    if (this.stopped) await Promise.all(this.ready.splice(0).map(discard));
  }
}

async function discard(f: TempFile): Promise<void> {
  await close(f.fd).catch(() => undefined);
  await unlink(f.path).catch(() => undefined);
}
