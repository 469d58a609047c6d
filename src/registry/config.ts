// The library's only reads of the environment and of git's user configuration: who the author of a commit is.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RegistryError } from '../errors.js';

export interface Author {
  name: string;
  email: string;
}

/** The identity keys of one git config file: `[user]`, and `[author]`, which git prefers for authors. */
function iniIdentity(text: string): { user: Partial<Author>; author: Partial<Author> } {
  const out = { user: {} as Partial<Author>, author: {} as Partial<Author> };
  let section: Partial<Author> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*([^\]\s"]+)(?:\s+"[^"]*")?\s*\]$/.exec(line);
    if (header) {
      const name = header[1]!.toLowerCase();
      section = name === 'user' ? out.user : name === 'author' ? out.author : undefined;
      continue;
    }
    if (!section) continue;
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    let value = kv[2]!.trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    const key = kv[1]!.toLowerCase();
    if (key === 'name') section.name = value;
    if (key === 'email') section.email = value;
  }
  return out;
}

async function readIni(file: string | undefined): Promise<{ user: Partial<Author>; author: Partial<Author> }> {
  try {
    if (file === undefined) return { user: {}, author: {} };
    return iniIdentity(await readFile(file, 'utf8'));
  } catch {
    return { user: {}, author: {} };
  }
}

/**
 * The author of the commits a Registry makes, or undefined when none is configured: the caller's option, then
 * MREG_AUTHOR_NAME / MREG_AUTHOR_EMAIL, then what git itself reads — GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL, git
 * config's `author.*` then `user.*` (repository, then global, then system, unless GIT_CONFIG_NOSYSTEM), and
 * for the address EMAIL. A name may fall back to the login name, as git's does; an address is never guessed
 * (git's guess from the host name is what gives `root@localhost`-like authors, which git itself refuses).
 */
export async function findAuthor(gitdir: string, given?: Partial<Author>): Promise<Author | undefined> {
  const env = process.env;
  const home = env.HOME ?? os.homedir();
  const files = await Promise.all([
    readIni(path.join(gitdir, 'config')),
    readIni(env.GIT_CONFIG_GLOBAL ?? path.join(home, '.gitconfig')),
    readIni(
      env.GIT_CONFIG_GLOBAL ? undefined : path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'git', 'config'),
    ),
    readIni(isSet(env.GIT_CONFIG_NOSYSTEM) ? undefined : (env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig')),
  ]);
  const layers: Array<Partial<Author>> = [
    given ?? {},
    { name: env.MREG_AUTHOR_NAME, email: env.MREG_AUTHOR_EMAIL },
    { name: env.GIT_AUTHOR_NAME, email: env.GIT_AUTHOR_EMAIL },
    ...files.map((f) => f.author),
    ...files.map((f) => f.user),
    { email: env.EMAIL },
  ];
  const pick = (k: keyof Author) => layers.map((l) => l[k]).find((v) => typeof v === 'string' && v.trim() !== '');
  const email = pick('email');
  if (email === undefined) return undefined;
  const name = pick('name') ?? loginName();
  return name ? { name, email } : undefined;
}

/**
 * findAuthor, or the refusal git gives when it cannot tell who is committing.
 * @throws INVALID_STATE when no author is configured anywhere
 */
export async function resolveAuthor(gitdir: string, given?: Partial<Author>): Promise<Author> {
  const author = await findAuthor(gitdir, given);
  if (!author) throw authorUnknown();
  return author;
}

/** The refusal of a write by nobody in particular: what git says, with mreg's own ways to say who. */
export function authorUnknown(): RegistryError {
  return new RegistryError(
    'INVALID_STATE',
    "Author identity unknown: tell git who you are (git config --global user.name 'Your Name'; git config --global user.email you@example.com), or pass --author 'Name <email>' (or set MREG_AUTHOR_NAME and MREG_AUTHOR_EMAIL). Nothing was written.",
  );
}

function isSet(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function loginName(): string | undefined {
  try {
    return os.userInfo().username || undefined;
  } catch {
    return undefined;
  }
}
