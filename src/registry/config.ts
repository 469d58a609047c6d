// The library's only reads of the environment and of git's user configuration: who the author of a commit is.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface Author {
  name: string;
  email: string;
}

function iniUser(text: string): Partial<Author> {
  const out: Partial<Author> = {};
  let inUser = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*([^\]\s"]+)(?:\s+"[^"]*")?\s*\]$/.exec(line);
    if (section) {
      inUser = section[1]!.toLowerCase() === 'user';
      continue;
    }
    if (!inUser) continue;
    const kv = /^([A-Za-z][A-Za-z0-9-]*)\s*=\s*(.*)$/.exec(line);
    if (!kv) continue;
    let value = kv[2]!.trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    const key = kv[1]!.toLowerCase();
    if (key === 'name') out.name = value;
    if (key === 'email') out.email = value;
  }
  return out;
}

async function readIni(file: string): Promise<Partial<Author>> {
  try {
    return iniUser(await readFile(file, 'utf8'));
  } catch {
    return {};
  }
}

/**
 * The author of the commits a Registry makes: the caller's option, then MREG_AUTHOR_NAME / MREG_AUTHOR_EMAIL,
 * then GIT_AUTHOR_NAME / GIT_AUTHOR_EMAIL, then git config (repository, then global, then system).
 */
export async function resolveAuthor(gitdir: string, given?: Partial<Author>): Promise<Author> {
  const env = process.env;
  const layers: Array<Partial<Author>> = [
    given ?? {},
    { name: env.MREG_AUTHOR_NAME, email: env.MREG_AUTHOR_EMAIL },
    { name: env.GIT_AUTHOR_NAME, email: env.GIT_AUTHOR_EMAIL },
    await readIni(path.join(gitdir, 'config')),
    await readIni(env.GIT_CONFIG_GLOBAL ?? path.join(env.HOME ?? os.homedir(), '.gitconfig')),
    await readIni(path.join(env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? os.homedir(), '.config'), 'git', 'config')),
    await readIni('/etc/gitconfig'),
  ];
  const pick = (k: keyof Author) => layers.map((l) => l[k]).find((v) => typeof v === 'string' && v.trim() !== '');
  const name = pick('name') ?? os.userInfo().username ?? 'mreg';
  const email = pick('email') ?? `${name.replace(/\s+/g, '.')}@localhost`;
  return { name, email };
}
