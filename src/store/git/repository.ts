// Where a repository's parts live: the work tree, the git directory (HEAD, index) and the common
// directory (refs, objects, config; it differs from the git directory in a linked work tree), found the
// way native git finds them. Also creates an empty repository as native `git init` would.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { RegistryError } from '../../errors.js';
import { checkBranchName } from './objects.js';

export interface RepoPaths {
  /** The work tree, or the repository itself when bare. */
  readonly dir: string;
  readonly gitdir: string;
  /** Where refs, objects and config live: gitdir, except in a linked work tree. */
  readonly commondir: string;
  readonly bare: boolean;
  /** Whether ref updates append to reflogs (core.logAllRefUpdates, whose default follows `bare`). */
  readonly logRefUpdates: boolean;
  /** What is fsynced before it is published (core.fsync / core.fsyncObjectFiles; by default nothing, as native git). */
  readonly fsync: { refs: boolean; objects: boolean };
}

/** How a repository is looked for. */
export interface LocateOptions {
  /**
   * Look in `dir`'s parents too when `dir` is not itself a repository, as git does for a command run in a
   * sub-folder of a work tree (`models/fraud`): the nearest one wins.
   */
  discover?: boolean;
}

/**
 * Finds a repository: `dir` (or, with `discover`, its nearest parent that is one) is a work tree containing
 * `.git` (a directory, or a `.git` file pointing at the git directory), or a bare repository.
 * @throws INVALID_STATE when there is none
 */
export async function locateRepository(dir: string, opts: LocateOptions = {}): Promise<RepoPaths> {
  const abs = path.resolve(dir);
  if (!opts.discover) return locateAt(dir, abs);
  // A folder that does not exist is a typo, not a sub-folder: git -C refuses it too.
  if (
    !(await fsp.stat(abs).then(
      (st) => st.isDirectory(),
      () => false,
    ))
  )
    throw new RegistryError('INVALID_STATE', `${dir} is not a git repository (no such folder)`, { dir });
  for (let at = abs; ;) {
    try {
      return await locateAt(dir, at);
    } catch (e) {
      const parent = path.dirname(at);
      if (parent === at)
        throw new RegistryError('INVALID_STATE', `${dir} is not a git repository (nor is any of its parent folders)`, {
          dir,
        });
      if (!(e instanceof RegistryError)) throw e;
      at = parent;
    }
  }
}

async function locateAt(dir: string, abs: string): Promise<RepoPaths> {
  const notRepo = (): RegistryError => new RegistryError('INVALID_STATE', `${dir} is not a git repository`, { dir });
  const dotgit = path.join(abs, '.git');
  const st = await fsp.lstat(dotgit).catch(() => undefined);
  let gitdir: string;
  let bare: boolean;
  if (st?.isDirectory()) {
    gitdir = dotgit;
    bare = false;
  } else if (st?.isFile()) {
    const m = /^gitdir:\s*(.+?)\s*$/m.exec(await fsp.readFile(dotgit, 'utf8'));
    if (!m?.[1]) throw notRepo();
    gitdir = path.resolve(abs, m[1]);
    bare = false;
  } else {
    gitdir = abs;
    bare = true;
  }
  const commondirFile = await fsp.readFile(path.join(gitdir, 'commondir'), 'utf8').catch(() => undefined);
  const commondir = commondirFile ? path.resolve(gitdir, commondirFile.trim()) : gitdir;
  const looksLikeGitdir = await Promise.all([
    fsp.stat(path.join(gitdir, 'HEAD')).then((s) => s.isFile()),
    fsp.stat(path.join(commondir, 'objects')).then((s) => s.isDirectory()),
    fsp.stat(path.join(commondir, 'refs')).then((s) => s.isDirectory()),
  ]).then(
    (r) => r.every(Boolean),
    () => false,
  );
  if (!looksLikeGitdir) throw notRepo();
  let logRefUpdates = !bare;
  let fsync = { refs: false, objects: false };
  try {
    const core = await coreConfig(commondir);
    const v = core.get('logallrefupdates');
    if (v !== undefined) logRefUpdates = v === 'true' || v === 'always' || v === 'yes' || v === 'on' || v === '1';
    fsync = fsyncComponents(core.get('fsync'), core.get('fsyncobjectfiles'));
  } catch {
    // unreadable config: keep git's defaults
  }
  return { dir: abs, gitdir, commondir, bare, logRefUpdates, fsync };
}

/**
 * Creates a repository (no commit) whose HEAD names `branch` (default 'main'); an existing one is left
 * untouched. The config is native git's own init on this platform, not isomorphic-git's init, which writes
 * `filemode = false` and `ignorecase = true` and so changes how native git sees the work tree.
 */
export async function initRepository(dir: string, opts: { bare?: boolean; branch?: string } = {}): Promise<void> {
  const abs = path.resolve(dir);
  const bare = opts.bare ?? false;
  const branch = checkBranchName(opts.branch ?? 'main');
  const gitdir = bare ? abs : path.join(abs, '.git');
  if (await exists(path.join(gitdir, 'config'))) return;
  for (const sub of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags', 'info']) {
    await fsp.mkdir(path.join(gitdir, sub), { recursive: true });
  }
  await fsp.writeFile(path.join(gitdir, 'HEAD'), `ref: refs/heads/${branch}\n`);
  await fsp.writeFile(
    path.join(gitdir, 'description'),
    "Unnamed repository; edit this file 'description' to name the repository.\n",
  );
  let config = '[core]\n\trepositoryformatversion = 0\n';
  config += `\tfilemode = ${process.platform === 'win32' ? 'false' : 'true'}\n`;
  config += `\tbare = ${bare}\n`;
  if (!bare) config += '\tlogallrefupdates = true\n';
  // Probe case sensitivity as native git does.
  await fsp.writeFile(path.join(gitdir, 'config'), config);
  if (await exists(path.join(gitdir, 'CoNfIg'))) {
    await fsp.writeFile(path.join(gitdir, 'config'), config + '\tignorecase = true\n');
  }
}

function exists(p: string): Promise<boolean> {
  return fsp.stat(p).then(
    () => true,
    () => false,
  );
}

/** The `[core]` keys of a repository's config, read without loading a git library (lower-cased, last wins; a bare key is 'true'). */
async function coreConfig(commondir: string): Promise<Map<string, string>> {
  const text = await fsp.readFile(path.join(commondir, 'config'), 'utf8');
  const out = new Map<string, string>();
  let inCore = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const section = /^\[\s*([^\]\s"]+)(?:\s+"[^"]*")?\s*\]$/.exec(line);
    if (section) {
      inCore = section[1]!.toLowerCase() === 'core';
      continue;
    }
    const kv = inCore ? /^([a-z][a-z0-9-]*)\s*(?:=\s*(.*))?$/i.exec(line) : null;
    if (kv)
      out.set(
        kv[1]!.toLowerCase(),
        (kv[2] ?? 'true')
          .trim()
          .replace(/^"(.*)"$/, '$1')
          .toLowerCase(),
      );
  }
  return out;
}

/** The components git's `core.fsync` names, as far as they cover what mreg writes (refs, loose objects). */
const FSYNC_NAMES: ReadonlyArray<[string, { refs?: true; objects?: true }]> = [
  ['loose-object', { objects: true }],
  ['pack', {}],
  ['pack-metadata', {}],
  ['commit-graph', {}],
  ['index', {}],
  ['objects', { objects: true }],
  ['reference', { refs: true }],
  ['derived-metadata', {}],
  ['committed', { objects: true, refs: true }],
  ['added', { objects: true, refs: true }],
  ['all', { objects: true, refs: true }],
];

/**
 * Which of the files mreg publishes the repository asks to flush, read as git reads `core.fsync`
 * (environment.c, parse_fsync_components): a word names every component it is a prefix of, `-word` removes,
 * `none` as the last word empties the starting set, and what is added wins over what is removed, whatever the
 * order. Git's starting set on Linux holds neither refs nor loose objects (a `git commit` makes no fsync call),
 * so only the words added count here. The deprecated `core.fsyncObjectFiles=true` adds loose objects.
 */
export function fsyncComponents(
  value: string | undefined,
  objectFiles: string | undefined,
): { refs: boolean; objects: boolean } {
  const out = {
    refs: false,
    objects: objectFiles === 'true' || objectFiles === 'yes' || objectFiles === 'on' || objectFiles === '1',
  };
  for (const raw of (value ?? '').split(',')) {
    const word = raw.trim();
    if (word === '-') break; // git warns and reads no further
    if (!word || word.startsWith('-')) continue;
    for (const [name, bits] of FSYNC_NAMES) {
      if (!name.startsWith(word)) continue;
      if (bits.refs) out.refs = true;
      if (bits.objects) out.objects = true;
    }
  }
  return out;
}
