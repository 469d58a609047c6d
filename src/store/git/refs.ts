// Reading refs the way native git stores them (loose files, packed-refs, symbolic refs) and updating
// them with a compare-and-swap under the lockfile protocol. isomorphic-git's ref writes are in place and
// unchecked (gotchas 6-7), so refs are never written through it. Ref files are tens of bytes: they are read
// and appended to with synchronous calls, which take microseconds (see lockfile.ts).
import fs from 'node:fs';
import path from 'node:path';
import { RefMovedError } from '../../errors.js';
import { formatSignature, OID_RE, ZERO_OID, type Signature } from './objects.js';
import { GitLockFile, type LockTracker } from './lockfile.js';

export type RefValue = { oid: string } | { symref: string };

interface PackedRefs {
  key: string;
  refs: Map<string, { oid: string; peeled?: string }>;
}

/** Reads that found a partly written loose ref (only in-place writers such as isomorphic-git's fetch make those) retry this often. */
const TORN_READ_RETRIES = 5;

export class RefStore {
  private packed: PackedRefs | undefined;

  /** `gitdir` holds HEAD and the index; `commondir` holds refs and objects (they differ for linked work trees). */
  constructor(
    readonly gitdir: string,
    readonly commondir: string,
    private readonly tracker?: LockTracker,
    /** fsync a ref's lock file before it is renamed onto the ref (core.fsync names `reference`). */
    readonly fsync = false,
  ) {}

  /** File of a ref: per-work-tree refs (HEAD, pseudo-refs, refs/worktree/…) live in gitdir, the rest in commondir. */
  fileOf(name: string): string {
    const perWorktree = !name.includes('/') || /^refs\/(worktree|bisect|rewritten)\//.test(name);
    return path.join(perWorktree ? this.gitdir : this.commondir, name);
  }

  async readLoose(name: string): Promise<RefValue | null> {
    const file = this.fileOf(name);
    for (let attempt = 0; ; attempt++) {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
        throw e;
      }
      if (text.startsWith('ref: ')) return { symref: text.slice(5).trim() };
      const oid = text.slice(0, 40);
      // FETCH_HEAD and friends carry more after the oid; a ref file holds "<oid>\n".
      if (OID_RE.test(oid) && (text.length === 40 || /\s/.test(text[40] ?? ''))) return { oid };
      if (attempt >= TORN_READ_RETRIES) return null; // broken ref: ignored, as git does (with a warning)
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  async readPacked(): Promise<PackedRefs['refs']> {
    const file = path.join(this.commondir, 'packed-refs');
    let st;
    try {
      st = fs.statSync(file);
    } catch {
      return new Map();
    }
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (this.packed?.key === key) return this.packed.refs;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return new Map();
    }
    const refs: PackedRefs['refs'] = new Map();
    let last: { oid: string; peeled?: string } | undefined;
    for (const line of text.split('\n')) {
      if (line.startsWith('^')) {
        if (last) last.peeled = line.slice(1, 41);
      } else if (line.length > 41 && !line.startsWith('#')) {
        last = { oid: line.slice(0, 40) };
        refs.set(line.slice(41), last);
      }
    }
    this.packed = { key, refs };
    return refs;
  }

  /** A ref's own value (loose, else packed), without following symbolic refs. */
  async read(name: string): Promise<RefValue | null> {
    const loose = await this.readLoose(name);
    if (loose) return loose;
    if (!name.startsWith('refs/')) return null;
    const packed = (await this.readPacked()).get(name);
    return packed ? { oid: packed.oid } : null;
  }

  /** The oid a ref ends at after following symbolic refs, or null. */
  async resolve(name: string): Promise<string | null> {
    let current = name;
    for (let depth = 0; depth < 5; depth++) {
      const v = await this.read(current);
      if (!v) return null;
      if ('oid' in v) return v.oid;
      current = v.symref;
    }
    return null;
  }

  /** The peeled target recorded in packed-refs for an annotated tag, if any. */
  async packedPeeled(name: string): Promise<string | undefined> {
    return (await this.readPacked()).get(name)?.peeled;
  }

  /**
   * Takes `<ref>.lock` and checks that the ref still holds `expected` (null: the ref must not exist).
   * On a mismatch the lock is released and RESOURCE_CONFLICT thrown. The caller commits or rolls back.
   */
  async lockForUpdate(name: string, expected: string | null | undefined): Promise<GitLockFile> {
    const lock = await GitLockFile.acquire(this.fileOf(name), this.tracker ? { tracker: this.tracker } : {});
    try {
      if (expected !== undefined) {
        // Read the published value, never our lock: loose first (a loose ref overrides packed-refs).
        const current = await this.read(name);
        const currentOid = current === null ? null : 'oid' in current ? current.oid : undefined;
        if (currentOid !== expected) {
          throw new RefMovedError(
            `Ref '${name}' moved: expected ${expected ?? 'no ref'}, found ${currentOid ?? 'no ref'}. Re-read and retry.`,
            { ref: name, expected, actual: currentOid ?? null },
          );
        }
      }
      return lock;
    } catch (e) {
      await lock.rollback();
      throw e;
    }
  }

  /** Sets a ref to `oid` whatever it held, atomically under its lock (for remote-tracking refs). */
  async set(name: string, oid: string): Promise<void> {
    const lock = await this.lockForUpdate(name, undefined);
    try {
      await lock.write(`${oid}\n`, this.fsync);
      await lock.commit();
    } catch (e) {
      await lock.rollback();
      throw e;
    }
  }

  /** Appends a reflog line, as native git does while it holds the ref lock. */
  async appendReflog(
    name: string,
    oldOid: string | null,
    newOid: string,
    who: Signature,
    message: string,
  ): Promise<void> {
    const file = path.join(name === 'HEAD' ? this.gitdir : this.commondir, 'logs', name);
    const line = `${oldOid ?? ZERO_OID} ${newOid} ${formatSignature(who)}\t${message.replace(/\n/g, ' ').trim()}\n`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, line);
  }

  /** Which branch HEAD names ('main'), or undefined when detached or unreadable. */
  async headBranch(): Promise<string | undefined> {
    const head = await this.readLoose('HEAD');
    if (head && 'symref' in head && head.symref.startsWith('refs/heads/'))
      return head.symref.slice('refs/heads/'.length);
    return undefined;
  }
}
