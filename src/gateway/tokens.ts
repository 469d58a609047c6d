// The gateway's tokens: one JSON file of names, emails, roles and hashes — never a token itself. By default it
// lives under the repository's git directory (`<gitdir>/mreg/tokens.json`), so it is never in the work tree or
// a commit, and it is written with mode 0600.
//
// A token is `mreg_` and 256 random bits (base64url). Only SHA-256(token) is stored: a token is not a password
// a person chose, so a slow key-derivation function (scrypt, argon2) would buy nothing — finding a 256-bit
// random preimage of SHA-256 is out of reach either way — while it would cost tens of milliseconds per request
// and invite anyone to make the gateway burn CPU with bad tokens. Comparison is constant-time over every
// stored hash (no early exit), and the file is re-read whenever its inode, size or times change, so a
// revocation takes effect on the next request without a restart.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { RegistryError } from '../errors.js';
import { Registry } from '../registry/registry.js';
import { withFileLock } from '../util/lock.js';

const ROLES = ['reader', 'writer'] as const;
type Role = (typeof ROLES)[number];

export interface TokenRecord {
  /** Who: the commit author's name for this token's writes. */
  name: string;
  /** The commit author's email. */
  email: string;
  role: Role;
  /** `sha256:<hex>` of the token. */
  hash: string;
  /** ISO-8601. */
  created_at: string;
}

interface TokenFileDoc {
  format: 1;
  tokens: TokenRecord[];
}

const TOKEN_PREFIX = 'mreg_';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
const EMAIL = /^[^\s<>@,;"]+@[^\s<>@,;"]+$/;
const HASH = /^sha256:[0-9a-f]{64}$/;

/** The token file a repository's gateway and `mreg token` use unless told otherwise. */
export function defaultTokenFile(gitdir: string): string {
  return path.join(gitdir, 'mreg', 'tokens.json');
}

export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** The records of a token file; a missing file holds none. @throws INVALID_STATE for a file that is not one. */
export function readTokenFile(file: string): TokenRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const bad = (why: string): RegistryError =>
    new RegistryError('INVALID_STATE', `${file} is not a token file: ${why}.`, { file });
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  const tokens = (doc as Partial<TokenFileDoc> | null)?.tokens;
  if ((doc as Partial<TokenFileDoc> | null)?.format !== 1 || !Array.isArray(tokens))
    throw bad('no "format": 1 and "tokens"');
  const seen = new Set<string>();
  for (const t of tokens as unknown[]) {
    const r = t as Partial<TokenRecord> | null;
    if (
      !r ||
      typeof r.name !== 'string' ||
      !NAME.test(r.name) ||
      typeof r.email !== 'string' ||
      !EMAIL.test(r.email) ||
      !ROLES.includes(r.role as Role) ||
      typeof r.hash !== 'string' ||
      !HASH.test(r.hash) ||
      seen.has(r.name)
    )
      throw bad(`entry ${JSON.stringify(r?.name ?? null)} is malformed or repeated`);
    seen.add(r.name);
  }
  return tokens as TokenRecord[];
}

async function writeTokenFile(file: string, tokens: TokenRecord[]): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const doc: TokenFileDoc = { format: 1, tokens };
  await fsp.writeFile(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  try {
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Serialises changes to one token file between processes. */
function underLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  return fsp
    .mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
    .then(() => withFileLock(`${file}.lock`, fn, { timeoutMs: 10_000 }));
}

/**
 * Creates a token for `name` and returns it — the only time it exists outside the caller's hands.
 * @throws INVALID_PARAMETER_VALUE for a bad name, email or role; RESOURCE_ALREADY_EXISTS for a taken name.
 */
export async function addToken(
  file: string,
  input: { name: string; email: string; role?: string },
  now = Date.now(),
): Promise<{ record: TokenRecord; token: string }> {
  const { name, email } = input;
  const role = input.role ?? 'writer';
  if (!NAME.test(name))
    throw RegistryError.invalid(
      `Invalid token name '${name}': 1-64 letters, digits and . _ @ + - (starting with a letter or digit).`,
    );
  if (!EMAIL.test(email) || email.length > 254) throw RegistryError.invalid(`Invalid email '${email}'.`);
  if (!ROLES.includes(role as Role)) throw RegistryError.invalid(`Invalid role '${role}': one of ${ROLES.join(', ')}.`);
  return underLock(file, async () => {
    const tokens = readTokenFile(file);
    if (tokens.some((t) => t.name === name))
      throw RegistryError.alreadyExists(`A token named '${name}' exists: revoke it first (mreg token revoke ${name}).`);
    const token = newToken();
    const record: TokenRecord = {
      name,
      email,
      role: role as Role,
      hash: hashToken(token),
      created_at: new Date(now).toISOString(),
    };
    await writeTokenFile(file, [...tokens, record]);
    return { record, token };
  });
}

/** Removes a token: the next request that carries it is refused. @throws RESOURCE_DOES_NOT_EXIST */
export async function revokeToken(file: string, name: string): Promise<TokenRecord> {
  return underLock(file, async () => {
    const tokens = readTokenFile(file);
    const gone = tokens.find((t) => t.name === name);
    if (!gone) throw RegistryError.notFound(`No token named '${name}' in ${file}.`);
    await writeTokenFile(
      file,
      tokens.filter((t) => t !== gone),
    );
    return gone;
  });
}

/** The tokens a gateway accepts, re-read whenever the file changes. */
export class TokenStore {
  private key = '';
  private entries: Array<{ record: TokenRecord; digest: Buffer }> = [];
  private error: string | undefined;

  constructor(
    readonly file: string,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /** How many tokens the file holds now. */
  get size(): number {
    this.refresh();
    return this.entries.length;
  }

  /** The record whose hash is the token's, or undefined. Constant-time in the token, over every record. */
  verify(token: string): TokenRecord | undefined {
    this.refresh();
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: TokenRecord | undefined;
    for (const e of this.entries) if (timingSafeEqual(e.digest, digest) && !found) found = e.record;
    return found;
  }

  /** A stat per call: cheap, and a revoke (a rename onto the file) changes the inode. */
  private refresh(): void {
    let key: string;
    try {
      const st = fs.statSync(this.file, { bigint: true });
      key = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch {
      key = 'missing';
    }
    if (key === this.key) return;
    this.key = key;
    try {
      this.entries = readTokenFile(this.file).map((record) => ({
        record,
        digest: Buffer.from(record.hash.slice('sha256:'.length), 'hex'),
      }));
      this.error = undefined;
    } catch (e) {
      // Fail closed: a file that cannot be read accepts no token until it is fixed.
      this.entries = [];
      const message = (e as Error).message;
      if (message !== this.error) this.onError(message);
      this.error = message;
    }
  }
}

/**
 * The default token file for a repository directory (the gateway's `--repo`), found through its git directory.
 * A bare repository that does not exist yet (a `--remote` clone the gateway will create) is its own git directory.
 */
export async function tokenFileOf(repoDir: string, opts: { bareIfMissing?: boolean } = {}): Promise<string> {
  try {
    return defaultTokenFile((await Registry.open(repoDir)).gitDir);
  } catch (e) {
    if (opts.bareIfMissing && !fs.existsSync(repoDir)) return defaultTokenFile(path.resolve(repoDir));
    throw e;
  }
}
