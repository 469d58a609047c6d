// GitWriter against native git: every write is checked with `git status`, `git fsck --strict`,
// `git write-tree` (index == HEAD tree) and `git diff-files` (index stat data right), every read
// against the equivalent plumbing command.
import { execFile, spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/errors.js';
import type { Signature } from '../../src/store/git/reader.js';
import { GitWriter, type ChangeSet } from '../../src/store/git/writer.js';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.js';

const execFileP = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

const NATIVE_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Native Person',
  GIT_AUTHOR_EMAIL: 'native@example.com',
  GIT_COMMITTER_NAME: 'Native Person',
  GIT_COMMITTER_EMAIL: 'native@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'gc.auto',
  GIT_CONFIG_VALUE_0: '0',
};

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileP('git', args, { cwd, env: NATIVE_ENV, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** fsck --strict must exit 0 and say nothing (no dangling objects are reported without --dangling... but be lenient on those). */
async function expectFsckClean(cwd: string): Promise<void> {
  const { stdout, stderr } = await execFileP('git', ['fsck', '--strict', '--no-dangling'], { cwd, env: NATIVE_ENV });
  expect(stderr.trim()).toBe('');
  expect(stdout.trim()).toBe('');
}

/** The checkout agrees with HEAD: nothing to report, the index builds HEAD's tree, and no entry needs re-hashing. */
async function expectCleanCheckout(cwd: string): Promise<void> {
  expect(await git(cwd, 'diff-files', '--name-only')).toBe(''); // stat data alone says "unchanged"
  expect(await git(cwd, 'status', '--porcelain', '--untracked-files=all')).toBe('');
  expect((await git(cwd, 'write-tree')).trim()).toBe((await git(cwd, 'rev-parse', 'HEAD^{tree}')).trim());
}

const tmpRoots: string[] = [];
async function tmpdir(name = 'repo'): Promise<string> {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), `mreg-git-${name}-`));
  tmpRoots.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(tmpRoots.map((d) => fsp.rm(d, { recursive: true, force: true })));
});

let clock = 1_700_000_000;
function sig(name = 'Reg Istry', email = 'reg@example.com'): Signature {
  clock += 60;
  return { name, email, timestamp: clock, timezoneOffset: -60 };
}
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null): string | null => (b === null ? null : new TextDecoder().decode(b));
function changes(obj: Record<string, string | null>): ChangeSet {
  return new Map(Object.entries(obj).map(([k, v]) => [k, v === null ? null : enc(v)]));
}

async function commitOn(
  repo: GitWriter,
  obj: Record<string, string | null>,
  message = 'change',
  branch = 'main',
): Promise<string> {
  const parent = await repo.resolveBranch(branch);
  return repo.commit({ branch, parent, changes: changes(obj), message, author: sig() });
}

async function exists(p: string): Promise<boolean> {
  return fsp.lstat(p).then(
    () => true,
    () => false,
  );
}

async function expectCode(p: Promise<unknown>, code: string): Promise<RegistryError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RegistryError);
  expect((e as RegistryError).code).toBe(code);
  return e as RegistryError;
}

describe('GitWriter.open / init', () => {
  it('opens work trees, bare repositories and .git files, and rejects anything else', async () => {
    const d = await tmpdir();
    await expectCode(GitWriter.open(d), 'INVALID_STATE');
    const r = await GitWriter.init(path.join(d, 'w'));
    expect(r.bare).toBe(false);
    expect(r.gitdir).toBe(path.join(d, 'w', '.git'));
    expect(await r.currentBranch()).toBe('main');
    expect(await r.resolveBranch('main')).toBeNull();
    const b = await GitWriter.init(path.join(d, 'b.git'), { bare: true, branch: 'trunk' });
    expect(b.bare).toBe(true);
    expect(await b.currentBranch()).toBe('trunk');
    expect((await git(path.join(d, 'b.git'), 'rev-parse', '--is-bare-repository')).trim()).toBe('true');
    expect((await git(path.join(d, 'w'), 'config', 'core.filemode')).trim()).toBe('true');
    // A `.git` file pointing elsewhere (git worktree / submodule layout).
    await git(d, 'init', '-q', '-b', 'main', '--separate-git-dir', path.join(d, 'sep.git'), path.join(d, 'sep'));
    const s = await GitWriter.open(path.join(d, 'sep'));
    expect(s.gitdir).toBe(path.join(d, 'sep.git'));
    await commitOn(s, { 'a.txt': 'a\n' });
    await expectCleanCheckout(path.join(d, 'sep'));
    await expectCode(GitWriter.open(path.join(d, 'nope')), 'INVALID_STATE');
  });
});

describe('commit in a work tree', () => {
  it('makes a first commit that native git sees as clean, well-formed and correctly attributed', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    const author: Signature = {
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      timestamp: 1_700_000_000,
      timezoneOffset: -120,
    };
    const oid = await repo.commit({
      branch: 'main',
      parent: null,
      changes: changes({
        'registry.yaml': 'format: 1\n',
        'models/fraud/model.yaml': 'name: fraud\n',
        'models/fraud/versions/1.yaml': 'version: 1\n',
      }),
      message: 'init registry',
      author,
    });
    expect((await git(d, 'rev-parse', 'HEAD')).trim()).toBe(oid);
    expect(await git(d, 'log', '--format=%H|%an|%ae|%at|%ad|%cn|%s', '--date=format:%z')).toBe(
      `${oid}|Ada Lovelace|ada@example.com|1700000000|+0200|Ada Lovelace|init registry\n`,
    );
    expect(await fsp.readFile(path.join(d, 'models/fraud/versions/1.yaml'), 'utf8')).toBe('version: 1\n');
    await expectCleanCheckout(d);
    await expectFsckClean(d);
    expect(await git(d, 'reflog', '--format=%gs')).toBe('commit (initial): init registry\n');
    const info = await repo.readCommit(oid);
    expect(info).toMatchObject({ oid, parents: [], message: 'init registry\n', author });
    expect(info.tree).toBe((await git(d, 'rev-parse', 'HEAD^{tree}')).trim());
  });

  it('applies sequences of writes and deletions, pruning emptied directories from trees and from disk', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    await commitOn(repo, {
      'registry.yaml': 'r\n',
      'models/a/model.yaml': 'a\n',
      'models/a/versions/1.yaml': 'a1\n',
      'models/a/versions/2.yaml': 'a2\n',
      'models/b/model.yaml': 'b\n',
      'models/b/versions/1.yaml': 'b1\n',
    });
    await expectCleanCheckout(d);

    await commitOn(repo, { 'models/a/versions/2.yaml': null, 'models/b/model.yaml': 'b, edited\n' });
    expect(await exists(path.join(d, 'models/a/versions/2.yaml'))).toBe(false);
    await expectCleanCheckout(d);

    // Deleting the last file of a directory removes the directory from the tree and the disk.
    await commitOn(repo, { 'models/b/versions/1.yaml': null });
    expect(await git(d, 'ls-tree', '-r', '--name-only', 'HEAD')).toBe(
      'models/a/model.yaml\nmodels/a/versions/1.yaml\nmodels/b/model.yaml\nregistry.yaml\n',
    );
    expect(await exists(path.join(d, 'models/b/versions'))).toBe(false);
    await expectCleanCheckout(d);

    // A whole subtree at once.
    await commitOn(repo, { 'models/a': null });
    expect(await exists(path.join(d, 'models/a'))).toBe(false);
    expect(await git(d, 'ls-tree', '-r', '--name-only', 'HEAD')).toBe('models/b/model.yaml\nregistry.yaml\n');
    await expectCleanCheckout(d);

    // File → directory and directory → file at the same path; delete-then-write inside one change set.
    await commitOn(repo, { 'models/b/model.yaml': null, 'models/b/model.yaml/inner': 'x\n' });
    await expectCleanCheckout(d);
    await commitOn(repo, { 'models/b/model.yaml': 'back to a file\n' });
    expect(await fsp.readFile(path.join(d, 'models/b/model.yaml'), 'utf8')).toBe('back to a file\n');
    await expectCleanCheckout(d);
    await commitOn(repo, { models: null, 'models/c/model.yaml': 'c\n' });
    expect(await git(d, 'ls-tree', '-r', '--name-only', 'HEAD')).toBe('models/c/model.yaml\nregistry.yaml\n');
    await expectCleanCheckout(d);

    // Everything deleted: the empty tree.
    const last = await commitOn(repo, { models: null, 'registry.yaml': null });
    expect((await git(d, 'rev-parse', `${last}^{tree}`)).trim()).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    expect(await fsp.readdir(d)).toEqual(['.git']);
    await expectCleanCheckout(d);
    await expectFsckClean(d);
    expect((await git(d, 'rev-list', '--count', 'HEAD')).trim()).toBe('8');
  });

  it('keeps an executable bit, commits an unchanged tree when asked, and refuses bad paths', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    await fsp.writeFile(path.join(d, 'run.sh'), 'echo 1\n', { mode: 0o755 });
    await git(d, 'add', 'run.sh');
    await git(d, 'commit', '-q', '-m', 'native');
    const c1 = await commitOn(repo, { 'run.sh': 'echo 2\n' });
    expect(await git(d, 'ls-tree', 'HEAD', 'run.sh')).toMatch(/^100755 /);
    await expectCleanCheckout(d);
    const c2 = await commitOn(repo, { 'run.sh': 'echo 2\n' }, 'no-op');
    expect((await repo.readCommit(c2)).tree).toBe((await repo.readCommit(c1)).tree);
    for (const bad of ['', '/abs', 'a//b', '../up', 'a/./b', '.git/config', 'x/.GIT/y', 'nul\0byte']) {
      await expectCode(commitOn(repo, { [bad]: 'x' }), 'INVALID_PARAMETER_VALUE');
    }
    await expectCode(commitOn(repo, { 'f/g': 'x', f: 'y' }), 'INVALID_PARAMETER_VALUE');
    expect((await git(d, 'rev-parse', 'HEAD')).trim()).toBe(c2);
  });

  it('leaves a commit that a later native `git commit` builds on without losing our files', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    await commitOn(repo, { 'models/a/model.yaml': 'a\n', 'registry.yaml': 'r\n' });
    await commitOn(repo, { 'models/b/model.yaml': 'b\n', 'models/a/model.yaml': null });
    await fsp.writeFile(path.join(d, 'NOTES.md'), 'native\n');
    await git(d, 'add', 'NOTES.md');
    await git(d, 'commit', '-q', '-m', 'native commit');
    expect(await git(d, 'ls-tree', '-r', '--name-only', 'HEAD')).toBe('NOTES.md\nmodels/b/model.yaml\nregistry.yaml\n');
    expect(await git(d, 'diff', '--name-status', 'HEAD~1', 'HEAD')).toBe('A\tNOTES.md\n');
    await expectCleanCheckout(d);
    // …and ours on top of a native one.
    const parent = (await git(d, 'rev-parse', 'HEAD')).trim();
    expect(await repo.resolveBranch('main')).toBe(parent);
    await commitOn(repo, { 'models/c/model.yaml': 'c\n' });
    expect(await git(d, 'ls-tree', '-r', '--name-only', 'HEAD')).toBe(
      'NOTES.md\nmodels/b/model.yaml\nmodels/c/model.yaml\nregistry.yaml\n',
    );
    await expectCleanCheckout(d);
    await expectFsckClean(d);
  });

  it('patches indexes native git wrote: version 4, cache-tree (TREE) and untracked-cache extensions', async () => {
    const d = await tmpdir();
    await git(d, 'init', '-q', '-b', 'main');
    await git(d, 'config', 'core.untrackedCache', 'true');
    for (let m = 0; m < 30; m++) {
      await fsp.mkdir(path.join(d, `models/m${m}/versions`), { recursive: true });
      await fsp.writeFile(path.join(d, `models/m${m}/model.yaml`), `m${m}\n`);
      await fsp.writeFile(path.join(d, `models/m${m}/versions/1.yaml`), `v1 of m${m}\n`);
    }
    await git(d, 'add', '-A');
    await git(d, 'commit', '-q', '-m', 'native base');
    await git(d, 'status', '--porcelain'); // writes UNTR
    const repo = await GitWriter.open(d);
    // The cache-tree must be invalidated along our paths, or `git write-tree` would reuse stale subtrees.
    await commitOn(repo, {
      'models/m3/versions/2.yaml': 'v2\n',
      'models/m7': null,
      'models/m9/model.yaml': 'edited\n',
    });
    await expectCleanCheckout(d);
    await git(d, 'update-index', '--index-version', '4');
    await commitOn(repo, {
      'models/m10/versions/2.yaml': 'v2\n',
      'models/m11/model.yaml': null,
      'models/new/model.yaml': 'n\n',
    });
    await expectCleanCheckout(d);
    expect((await fsp.readFile(path.join(d, '.git/index'))).readUInt32BE(4)).toBe(4);
    await fsp.writeFile(path.join(d, 'x.txt'), 'x\n');
    await git(d, 'add', 'x.txt');
    await git(d, 'commit', '-q', '-m', 'native on a patched v4 index');
    expect(await git(d, 'show', '--name-status', '--format=', 'HEAD')).toBe('A\tx.txt\n');
    await expectCleanCheckout(d);
    await expectFsckClean(d);
  });

  it('refuses to overwrite uncommitted edits of a changed path, and changes nothing then', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    const c1 = await commitOn(repo, { 'a.yaml': 'a\n', 'b.yaml': 'b\n' });
    await fsp.writeFile(path.join(d, 'a.yaml'), 'edited by hand\n');
    const e = await expectCode(commitOn(repo, { 'a.yaml': 'ours\n' }), 'INVALID_STATE');
    expect(e.message).toContain('a.yaml');
    expect(await repo.resolveBranch('main')).toBe(c1);
    expect(await fsp.readFile(path.join(d, 'a.yaml'), 'utf8')).toBe('edited by hand\n');
    // Edits elsewhere do not block a commit and stay as they are.
    await commitOn(repo, { 'b.yaml': 'b2\n' });
    expect(await git(d, 'status', '--porcelain')).toBe(' M a.yaml\n');
    expect(await exists(path.join(d, '.git/index.lock'))).toBe(false);
    expect(await exists(path.join(d, '.git/refs/heads/main.lock'))).toBe(false);
  });
});

describe('commit in a bare repository', () => {
  it('writes commits, trees and refs without an index or files', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d, { bare: true });
    await commitOn(repo, { 'models/a/model.yaml': 'a\n', 'models/a/versions/1.yaml': '1\n', 'registry.yaml': 'r\n' });
    await commitOn(repo, { 'models/a/versions/1.yaml': null, 'models/b/model.yaml': 'b\n' });
    await commitOn(repo, { 'models/a': null });
    expect(await git(d, 'ls-tree', '-r', '--name-only', 'main')).toBe('models/b/model.yaml\nregistry.yaml\n');
    expect(await exists(path.join(d, 'index'))).toBe(false);
    expect(await fsp.readdir(d)).not.toContain('models');
    await expectFsckClean(d);
    await expectCode(repo.writeWorkTree(changes({ a: 'x' })), 'INVALID_STATE');
    await expectCode(repo.readWorkTreeFile('a'), 'INVALID_STATE');
  });
});

describe('publishing a ref', () => {
  // The ref a commit replaces is held open across the rename and closed on the thread pool (lockfile.ts):
  // nothing may stay open once the commits are done, and every commit must still land.
  it('leaves no file descriptor open behind 50 commits, and each one is published', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d, { bare: true });
    await commitOn(repo, { 'registry.yaml': 'r\n' });
    await new Promise((r) => setTimeout(r, 50));
    const open = async (): Promise<number> => (await fsp.readdir('/proc/self/fd')).length;
    const before = await open();
    for (let i = 0; i < 50; i++) await commitOn(repo, { [`models/m/versions/${i}.yaml`]: `${i}\n` });
    for (let t = 0; t < 100 && (await open()) > before; t++) await new Promise((r) => setTimeout(r, 20));
    expect(await open()).toBeLessThanOrEqual(before);
    expect(Number((await git(d, 'rev-list', '--count', 'main')).trim())).toBe(51);
    expect((await git(d, 'rev-parse', 'main')).trim()).toBe(await repo.resolveBranch('main'));
    await expectFsckClean(d);
  });
});

describe('the ref compare-and-swap', () => {
  it('throws RESOURCE_CONFLICT and changes nothing when the branch moved', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    const c1 = await commitOn(repo, { 'a.yaml': '1\n' });
    const c2 = await commitOn(repo, { 'a.yaml': '2\n' });
    const indexBefore = await fsp.readFile(path.join(d, '.git/index'));
    await expectCode(
      repo.commit({
        branch: 'main',
        parent: c1,
        changes: changes({ 'a.yaml': 'stale\n', 'b.yaml': 'b\n' }),
        message: 'stale',
        author: sig(),
      }),
      'RESOURCE_CONFLICT',
    );
    await expectCode(
      repo.commit({
        branch: 'main',
        parent: null,
        changes: changes({ 'z.yaml': 'z\n' }),
        message: 'stale',
        author: sig(),
      }),
      'RESOURCE_CONFLICT',
    );
    expect(await repo.resolveBranch('main')).toBe(c2);
    expect(await fsp.readFile(path.join(d, 'a.yaml'), 'utf8')).toBe('2\n');
    expect(await exists(path.join(d, 'b.yaml'))).toBe(false);
    expect((await fsp.readFile(path.join(d, '.git/index'))).equals(indexBefore)).toBe(true);
    expect((await fsp.readdir(path.join(d, '.git/refs/heads'))).sort()).toEqual(['main']);
    await expectCleanCheckout(d);
  });

  it('reads and writes through packed refs and packs after `git gc`', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    await commitOn(repo, { 'models/a/model.yaml': 'a\n', 'models/b/model.yaml': 'b\n' });
    const c2 = await commitOn(repo, { 'models/a/versions/1.yaml': '1\n' });
    await git(d, 'gc', '-q', '--prune=now');
    await git(d, 'pack-refs', '--all');
    expect(await exists(path.join(d, '.git/refs/heads/main'))).toBe(false);
    const fresh = await GitWriter.open(d);
    expect(await fresh.resolveBranch('main')).toBe(c2);
    expect(dec(await fresh.readFileAt(c2, 'models/a/versions/1.yaml'))).toBe('1\n');
    await expectCode(
      fresh.commit({
        branch: 'main',
        parent: (await fresh.readCommit(c2)).parents[0]!,
        changes: changes({ x: 'x' }),
        message: 'm',
        author: sig(),
      }),
      'RESOURCE_CONFLICT',
    );
    const c3 = await commitOn(fresh, { 'models/b/versions/1.yaml': '1\n', 'models/a/model.yaml': null });
    expect((await git(d, 'rev-parse', 'main')).trim()).toBe(c3);
    await expectCleanCheckout(d);
    await expectFsckClean(d);
    // The same on a bare, packed repository.
    const b = await tmpdir('bare');
    await git(b, 'clone', '-q', '--bare', d, 'r.git');
    const bare = await GitWriter.open(path.join(b, 'r.git'));
    await git(path.join(b, 'r.git'), 'gc', '-q');
    const c4 = await commitOn(bare, { 'models/c/model.yaml': 'c\n' });
    expect(await git(path.join(b, 'r.git'), 'ls-tree', '-r', '--name-only', c4)).toBe(
      'models/a/versions/1.yaml\nmodels/b/model.yaml\nmodels/b/versions/1.yaml\nmodels/c/model.yaml\n',
    );
    await expectFsckClean(path.join(b, 'r.git'));
  });
});

describe('reads against native plumbing', () => {
  let d: string;
  let repo: GitWriter;
  let commits: string[];

  beforeAll(async () => {
    // A native history with adds, edits, deletes, type changes and a merge; then packed partly.
    d = await tmpdir('history');
    await git(d, 'init', '-q', '-b', 'main');
    const write = async (p: string, c: string): Promise<void> => {
      await fsp.mkdir(path.dirname(path.join(d, p)), { recursive: true });
      await fsp.writeFile(path.join(d, p), c);
    };
    let t = 1_600_000_000;
    const commitAll = async (msg: string): Promise<void> => {
      t += 100;
      await git(d, 'add', '-A');
      await execFileP('git', ['commit', '-q', '--allow-empty', '-m', msg], {
        cwd: d,
        env: { ...NATIVE_ENV, GIT_AUTHOR_DATE: `${t} +0000`, GIT_COMMITTER_DATE: `${t} +0000` },
      });
    };
    for (let m = 0; m < 6; m++)
      for (let v = 1; v <= 3; v++) await write(`models/m${m}/versions/${v}.yaml`, `m${m} v${v}\n`);
    await write('registry.yaml', 'r\n');
    await write('models/m0/model.yaml', 'm0\n');
    await commitAll('c1');
    await write('models/m1/versions/4.yaml', 'new\n');
    await write('models/m2/versions/1.yaml', 'edited\n');
    await commitAll('c2');
    await fsp.rm(path.join(d, 'models/m3'), { recursive: true });
    await write('models/m0.yaml', 'sibling file that sorts between m0 and m0/\n');
    await commitAll('c3');
    await fsp.rm(path.join(d, 'models/m4/versions'), { recursive: true });
    await write('models/m4/versions', 'now a file\n');
    await commitAll('c4');
    await git(d, 'tag', 'light');
    await git(d, 'tag', '-a', '-m', 'annotated', 'v1.0');
    await git(d, 'checkout', '-q', '-b', 'side', 'HEAD~2');
    await write('models/side/model.yaml', 'side\n');
    await commitAll('side1');
    await git(d, 'checkout', '-q', 'main');
    t += 100;
    await execFileP('git', ['merge', '-q', '--no-ff', '-m', 'merge side', 'side'], {
      cwd: d,
      env: { ...NATIVE_ENV, GIT_AUTHOR_DATE: `${t} +0000`, GIT_COMMITTER_DATE: `${t} +0000` },
    });
    await write('models/m5/versions/1.yaml', 'after merge\n');
    await commitAll('c5');
    await git(d, 'update-ref', 'refs/remotes/origin/main', 'HEAD~1');
    await git(d, 'gc', '-q');
    await write('models/m1/versions/1.yaml', 'loose again\n');
    await commitAll('c6');
    commits = (await git(d, 'rev-list', '--all')).trim().split('\n');
    repo = await GitWriter.open(d);
  });

  it('diff() equals `git diff-tree -r` for every pair of commits, with and without a prefix', async () => {
    const native = async (a: string | null, b: string, prefix?: string): Promise<string> => {
      const out = await git(
        d,
        'diff-tree',
        '-r',
        '--no-renames',
        '--raw',
        '--abbrev=40',
        '--no-commit-id',
        a ?? '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
        b,
        ...(prefix ? ['--', prefix] : []),
      );
      return out
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [meta, p] = l.split('\t');
          const [, , before, after] = meta!.split(' ');
          const z = (x: string | undefined): string => (x === '0'.repeat(40) ? '-' : x!);
          return `${p} ${z(before)} ${z(after)}`;
        })
        .join('\n');
    };
    const ours = async (a: string | null, b: string, prefix?: string): Promise<string> =>
      (await repo.diff(a, b, prefix)).map((c) => `${c.path} ${c.before ?? '-'} ${c.after ?? '-'}`).join('\n');
    for (const a of [null, ...commits]) {
      for (const b of commits) {
        expect(await ours(a, b), `${a}..${b}`).toBe(await native(a, b));
      }
    }
    for (const prefix of ['models/m4', 'models/m0', 'models/m4/versions', 'registry.yaml', 'models/nothing']) {
      expect(await ours(commits.at(-1)!, commits[0]!, prefix)).toBe(await native(commits.at(-1)!, commits[0]!, prefix));
    }
  });

  it('listFiles() equals `git ls-tree -r`', async () => {
    for (const c of commits) {
      const native = (await git(d, 'ls-tree', '-r', c))
        .split('\n')
        .filter(Boolean)
        .map((l) => `${l.split('\t')[1]} ${l.split(' ')[2]!.slice(0, 40)}`);
      expect((await repo.listFiles(c)).map((f) => `${f.path} ${f.oid}`)).toEqual(native);
    }
    const native = (await git(d, 'ls-tree', '-r', '--name-only', 'HEAD', 'models/m1/')).trim().split('\n');
    expect((await repo.listFiles('HEAD', 'models/m1')).map((f) => f.path)).toEqual(native);
    expect(await repo.listFiles('HEAD', 'models/none')).toEqual([]);
    expect(await repo.listFiles('HEAD', 'registry.yaml')).toEqual([
      { path: 'registry.yaml', oid: (await git(d, 'rev-parse', 'HEAD:registry.yaml')).trim() },
    ]);
  });

  it('resolveRevision() agrees with `git rev-parse`', async () => {
    const head = (await git(d, 'rev-parse', 'HEAD')).trim();
    for (const rev of [
      'HEAD',
      'main',
      'HEAD~2',
      'main^',
      'HEAD~2^2',
      'HEAD^1^1',
      'HEAD~2^2~1',
      'side',
      'light',
      'v1.0',
      'v1.0^0',
      'v1.0^{commit}',
      'v1.0~1',
      'origin/main',
      'refs/heads/side',
      '@',
      head,
      head.slice(0, 7),
      head.slice(0, 4).toUpperCase(),
      'tags/light',
    ]) {
      expect(await repo.resolveRevision(rev), rev).toBe(
        (await git(d, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`)).trim(),
      );
    }
    for (const rev of ['nope', 'HEAD~100', 'HEAD^3', 'config', 'deadbeef', '0'.repeat(40), '', '^main']) {
      await expectCode(repo.resolveRevision(rev), 'RESOURCE_DOES_NOT_EXIST');
    }
  });

  it('log() follows `git log`, with and without paths and a limit', async () => {
    const ours = async (opts: { paths?: string[]; limit?: number }): Promise<string[]> => {
      const out: string[] = [];
      for await (const c of repo.log('HEAD', opts)) out.push(c.oid);
      return out;
    };
    expect(await ours({})).toEqual((await git(d, 'log', '--format=%H')).trim().split('\n'));
    expect(await ours({ limit: 3 })).toEqual((await git(d, 'log', '--format=%H', '-3')).trim().split('\n'));
    for (const p of ['models/m1', 'models/m4/versions', 'registry.yaml', 'models/m3']) {
      // First-parent comparison equals git's --full-history without merges here (the merge is not TREESAME-ambiguous).
      const native = (await git(d, 'log', '--format=%H', '--first-parent', '-m', '--', p))
        .trim()
        .split('\n')
        .filter(Boolean);
      expect(await ours({ paths: [p] }), p).toEqual(native);
    }
    // On linear history, exactly `git log -- <path>`.
    for (const p of ['models/m1', 'models/m4', 'models/m3', 'models/m0.yaml', 'registry.yaml', 'models']) {
      const linear: string[] = [];
      for await (const c of repo.log('v1.0', { paths: [p] })) linear.push(c.oid);
      expect(linear, p).toEqual(
        (await git(d, 'log', '--format=%H', 'v1.0', '--', p)).trim().split('\n').filter(Boolean),
      );
    }
    const withChanges: Array<{ oid: string; paths: string[] }> = [];
    for await (const c of repo.log('HEAD', { paths: ['models/m4', 'models/m1'] }))
      withChanges.push({ oid: c.oid, paths: c.changes!.map((x) => x.path) });
    expect(withChanges[0]!.paths).toEqual(['models/m1/versions/1.yaml']);
  });

  it('reads every object of deltified packs (OFS_DELTA and REF_DELTA) exactly as `git cat-file` does', async () => {
    const p = await tmpdir('packs');
    await git(p, 'init', '-q', '-b', 'main');
    // Many similar versions of the same files: good delta material.
    let body =
      'name: fraud\ndescription: |\n' +
      Array.from({ length: 200 }, (_, i) => `  line ${i} of a long description\n`).join('');
    for (let c = 0; c < 12; c++) {
      body = body.replace(`line ${c * 7}`, `edited line ${c}`) + `extra ${c}\n`;
      await fsp.mkdir(path.join(p, 'models/fraud/versions'), { recursive: true });
      await fsp.writeFile(path.join(p, 'models/fraud/model.yaml'), body);
      await fsp.writeFile(path.join(p, `models/fraud/versions/${c}.yaml`), body.slice(0, 500 + c));
      await git(p, 'add', '-A');
      await git(p, 'commit', '-q', '-m', `c${c}`);
    }
    const check = async (): Promise<void> => {
      const r = await GitWriter.open(p); // fresh: no cached objects
      for (const rev of ['HEAD', 'HEAD~5', 'HEAD~11']) {
        const files = await r.listFiles(rev);
        expect(files.map((f) => f.path)).toEqual(
          (await git(p, 'ls-tree', '-r', '--name-only', rev)).trim().split('\n'),
        );
        for (const f of files)
          expect(dec(await r.readBlob(f.oid)), `${rev}:${f.path}`).toBe(await git(p, 'cat-file', 'blob', f.oid));
      }
      expect((await r.readCommit(await r.resolveRevision('HEAD~3'))).message).toBe('c8\n');
    };
    await git(p, 'repack', '-adf', '--depth=50', '--window=50', '-q');
    expect(await git(p, 'count-objects', '-v')).toMatch(/^count: 0$/m);
    await check();
    await execFileP('git', ['-c', 'repack.useDeltaBaseOffset=false', 'repack', '-adf', '-q'], {
      cwd: p,
      env: NATIVE_ENV,
    });
    await check();
    // Writes on top of the pack, and reads of both.
    const r = await GitWriter.open(p);
    await commitOn(r, { 'models/fraud/versions/99.yaml': 'v99\n' });
    await expectCleanCheckout(p);
    await expectFsckClean(p);
  });

  it('reads trees, oids and files at a commit', async () => {
    const tree = await repo.readTreeAt('HEAD', 'models/m4');
    expect(tree?.map((e) => `${e.mode} ${e.type} ${e.path}`)).toEqual(['100644 blob versions']);
    expect(await repo.readTreeAt('HEAD', 'registry.yaml')).toBeNull();
    expect(await repo.readTreeAt('HEAD', 'absent')).toBeNull();
    expect((await repo.readTreeAt('HEAD', ''))?.map((e) => e.path)).toEqual(['models', 'registry.yaml']);
    expect(await repo.oidAt('HEAD', 'models/m0')).toBe((await git(d, 'rev-parse', 'HEAD:models/m0')).trim());
    expect(await repo.oidAt('HEAD', 'models/zz')).toBeNull();
    expect(dec(await repo.readFileAt('HEAD', 'models/m1/versions/1.yaml'))).toBe('loose again\n');
    expect(dec(await repo.readFileAt('HEAD~1', 'models/m1/versions/1.yaml'))).toBe('m1 v1\n'); // from the pack
    expect(await repo.readFileAt('HEAD', 'models/m0')).toBeNull();
  });
});

describe('working tree access (for --no-commit and validate)', () => {
  it('writes, reads and lists uncommitted files', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    await commitOn(repo, {
      'models/a/model.yaml': 'a\n',
      'models/a/versions/1.yaml': '1\n',
      'models/b/model.yaml': 'b\n',
    });
    await repo.writeWorkTree(
      changes({ 'models/a': null, 'models/c/model.yaml': 'c\n', 'models/b/model.yaml': 'b2\n' }),
    );
    expect(await git(d, 'status', '--porcelain', '--untracked-files=all')).toBe(
      ' D models/a/model.yaml\n D models/a/versions/1.yaml\n M models/b/model.yaml\n?? models/c/model.yaml\n',
    );
    expect(await repo.listWorkTreeFiles()).toEqual(['models/b/model.yaml', 'models/c/model.yaml']);
    expect(await repo.listWorkTreeFiles('models/c')).toEqual(['models/c/model.yaml']);
    expect(await repo.listWorkTreeFiles('nothing')).toEqual([]);
    expect(dec(await repo.readWorkTreeFile('models/b/model.yaml'))).toBe('b2\n');
    expect(await repo.readWorkTreeFile('models/a/model.yaml')).toBeNull();
    expect(await repo.readWorkTreeFile('models')).toBeNull();
  });
});

describe('fastForward', () => {
  it('moves a checked-out branch and updates only the changed files and index entries', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    const base = await commitOn(repo, { 'models/a/model.yaml': 'a\n', 'models/b/model.yaml': 'b\n' });
    await git(d, 'branch', 'next', base);
    await git(d, 'branch', 'other', base);
    await repo.commit({
      branch: 'next',
      parent: base,
      changes: changes({ 'models/a/model.yaml': 'a2\n', 'models/b': null }),
      message: 'n1',
      author: sig(),
    });
    const n2 = await commitOn(repo, { 'models/c/versions/1.yaml': '1\n' }, 'n2', 'next');
    // The work tree still shows main.
    await expectCleanCheckout(d);
    await repo.fastForward('main', 'next');
    expect(await repo.resolveBranch('main')).toBe(n2);
    expect(await fsp.readFile(path.join(d, 'models/a/model.yaml'), 'utf8')).toBe('a2\n');
    expect(await exists(path.join(d, 'models/b'))).toBe(false);
    await expectCleanCheckout(d);
    await repo.fastForward('main', n2); // no-op
    const other = await repo.commit({
      branch: 'other',
      parent: base,
      changes: changes({ x: 'x\n' }),
      message: 'o',
      author: sig(),
    });
    await expectCode(repo.fastForward('main', other), 'RESOURCE_CONFLICT');
    await expectFsckClean(d);
  });
});

/** Child processes need JavaScript: the build that `npm test` makes before running the suite. */
async function buildStore(): Promise<string> {
  const built = path.join(ROOT, 'dist/store/git/writer.js');
  if (!(await exists(built)))
    throw new Error('dist/store/git/writer.js is missing: run `npx tsc -p tsconfig.json` (npm test does) first.');
  return built;
}

describe('locks', () => {
  let gitJs: string;

  beforeAll(async () => {
    gitJs = await buildStore();
  });

  it('serialises 4 processes × 10 read-modify-commit cycles: no lost update', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    await commitOn(repo, { 'counter.txt': '0\n' });
    const script = path.join(await tmpdir('script'), 'worker.mjs');
    await fsp.writeFile(
      script,
      `import { GitWriter } from ${JSON.stringify(gitJs)};
const repo = await GitWriter.open(process.argv[2]);
for (let i = 0; i < 10; i++) {
  await repo.withWriteLock(async () => {
    const parent = await repo.resolveBranch('main');
    const n = Number(new TextDecoder().decode(await repo.readFileAt(parent, 'counter.txt')));
    const who = { name: 'worker ' + process.pid, email: 'w@example.com', timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
    await repo.commit({ branch: 'main', parent, changes: new Map([['counter.txt', new TextEncoder().encode((n + 1) + '\\n')]]), message: 'count ' + (n + 1), author: who });
  });
}
`,
    );
    const run = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [script, d], { stdio: ['ignore', 'ignore', 'inherit'] });
        child.on('error', reject);
        child.on('exit', (code) => resolve(code ?? -1));
      });
    expect(await Promise.all([run(), run(), run(), run()])).toEqual([0, 0, 0, 0]);
    expect(await fsp.readFile(path.join(d, 'counter.txt'), 'utf8')).toBe('40\n');
    expect((await git(d, 'rev-list', '--count', 'HEAD')).trim()).toBe('41');
    expect(await exists(path.join(d, '.git/mreg-write.lock'))).toBe(false);
    await expectCleanCheckout(d);
    await expectFsckClean(d);
  });

  it('takes over a lock left by a dead process at once, and removes its leftover git locks', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    await commitOn(repo, { 'a.txt': '1\n' });
    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));
    await fsp.writeFile(
      path.join(d, '.git/mreg-write.lock'),
      JSON.stringify({ pid: deadPid, hostname: os.hostname(), started: new Date().toISOString(), token: 'x' }),
    );
    // No record of which git locks the dead holder had: leftovers older than a native git's few milliseconds go.
    const old = new Date(Date.now() - 10_000);
    for (const f of ['.git/index.lock', '.git/refs/heads/main.lock']) {
      await fsp.writeFile(path.join(d, f), '');
      await fsp.utimes(path.join(d, f), old, old);
    }
    await repo.withWriteLock(() => commitOn(repo, { 'a.txt': '2\n' }), { timeoutMs: 30_000, staleMs: 3_600_000 });
    expect(await exists(path.join(d, '.git/mreg-write.lock'))).toBe(false);
    expect(await exists(path.join(d, '.git/index.lock'))).toBe(false);
    await expectCleanCheckout(d);
  });

  it('times out with RESOURCE_CONFLICT on a live holder, and queues callers within one process', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d, { bare: true });
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      await fsp.writeFile(
        path.join(d, 'mreg-write.lock'),
        JSON.stringify({ pid: holder.pid, hostname: os.hostname(), started: new Date().toISOString(), token: 'live' }),
      );
      const e = await expectCode(
        repo.withWriteLock(async () => 1, { timeoutMs: 300 }),
        'RESOURCE_CONFLICT',
      );
      expect(e.message).toContain('Timed out waiting for the write lock');
      // A lock file untouched for longer than staleMs is stale even if its pid is alive.
      const old = new Date(Date.now() - 5_000);
      await fsp.utimes(path.join(d, 'mreg-write.lock'), old, old);
      expect(await repo.withWriteLock(async () => 'ok', { timeoutMs: 2_000, staleMs: 1_000 })).toBe('ok');
    } finally {
      holder.kill();
    }
    const order: string[] = [];
    await Promise.all(
      [1, 2, 3].map((i) =>
        repo.withWriteLock(async () => {
          order.push(`in ${i}`);
          await new Promise((r) => setTimeout(r, 20));
          order.push(`out ${i}`);
          // Re-entrant inside the holder's own call.
          return repo.withWriteLock(async () => i);
        }),
      ),
    );
    expect(order).toEqual(['in 1', 'out 1', 'in 2', 'out 2', 'in 3', 'out 3']);
  });

  it('removes a leftover ref lock older than the threshold, and waits for a live one', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    await commitOn(repo, { 'a.txt': '1\n' });
    const lock = path.join(d, '.git/refs/heads/main.lock');
    await fsp.writeFile(lock, '');
    const old = new Date(Date.now() - 6_000);
    await fsp.utimes(lock, old, old);
    await commitOn(repo, { 'a.txt': '2\n' });
    expect(await exists(lock)).toBe(false);
    // A young lock (a native git update in flight) is waited for, not removed.
    await fsp.writeFile(lock, '');
    setTimeout(() => void fsp.rm(lock, { force: true }), 300);
    await commitOn(repo, { 'a.txt': '3\n' });
    expect(await fsp.readFile(path.join(d, 'a.txt'), 'utf8')).toBe('3\n');
    await expectCleanCheckout(d);
  });

  it('waits while a native `git commit -a` holds index.lock', async () => {
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    await commitOn(repo, { 'ours.txt': '1\n', 'theirs.txt': 'x\n' });
    await fsp.writeFile(path.join(d, 'theirs.txt'), 'edited\n');
    // `git commit -a` holds index.lock while its editor runs.
    const native = spawn('git', ['commit', '-a'], {
      cwd: d,
      env: { ...NATIVE_ENV, GIT_EDITOR: 'f() { sleep 0.6; echo native > "$1"; }; f' },
      stdio: 'ignore',
    });
    const nativeDone = new Promise<number>((resolve) => native.on('exit', (c) => resolve(c ?? -1)));
    while (!(await exists(path.join(d, '.git/index.lock')))) await new Promise((r) => setTimeout(r, 10));
    const oid = await commitOn(repo, { 'ours.txt': '2\n' });
    await nativeDone; // it then fails to lock the ref we hold, or commits after us: either way nothing is lost
    const log = (await git(d, 'log', '--format=%H')).trim().split('\n');
    expect(log).toContain(oid);
    expect(await fsp.readFile(path.join(d, 'ours.txt'), 'utf8')).toBe('2\n');
    expect(await git(d, 'show', 'HEAD:ours.txt')).toBe('2\n');
    expect(await fsp.readFile(path.join(d, 'theirs.txt'), 'utf8')).toBe('edited\n');
    await expectFsckClean(d);
  });
});

describe('crash safety', () => {
  it('survives SIGKILL at any moment: the next writer recovers the locks and the checkout at once', async () => {
    const gitJs = await buildStore();
    const d = await tmpdir();
    const repo = await GitWriter.init(d);
    const initial: Record<string, string> = { 'counter.txt': 'start\n' };
    for (let m = 0; m < 40; m++)
      for (let v = 1; v <= 5; v++) initial[`models/m${m}/versions/${v}.yaml`] = `m${m} v${v}\n`;
    await commitOn(repo, initial);
    const script = path.join(await tmpdir('script'), 'crasher.mjs');
    // Each commit writes a counter, adds a version, deletes another and rewrites a whole model folder.
    await fsp.writeFile(
      script,
      `import { GitWriter } from ${JSON.stringify(gitJs)};
const repo = await GitWriter.open(process.argv[2]);
const enc = (s) => new TextEncoder().encode(s);
for (let i = 0; ; i++) {
  await repo.withWriteLock(async () => {
    const parent = await repo.resolveBranch('main');
    const m = i % 40;
    const changes = new Map([
      ['counter.txt', enc(process.pid + ' ' + i + '\\n')],
      ['models/m' + m + '/versions/' + (6 + i) + '.yaml', enc('new ' + i + '\\n')],
      ['models/m' + ((m + 20) % 40) + '/versions/' + (1 + (i % 5)) + '.yaml', null],
      ['models/m' + ((m + 7) % 40), null],
      ['models/m' + ((m + 7) % 40) + '/model.yaml', enc('rewritten ' + i + '\\n')],
    ]);
    const who = { name: 'crasher', email: 'c@example.com', timestamp: 1700000000 + i, timezoneOffset: 0 };
    await repo.commit({ branch: 'main', parent, changes, message: 'step ' + i, author: who });
  }, { timeoutMs: 20000 });
  if (i === 0) process.stdout.write('ready\\n');
}
`,
    );
    const heads = new Set<string>();
    for (let round = 0; round < 6; round++) {
      const child = spawn(process.execPath, [script, d], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 200));
      child.kill('SIGKILL');
      await exited;
      heads.add((await git(d, 'rev-parse', 'HEAD')).trim());
    }
    expect(heads.size).toBeGreaterThan(1); // every round committed something before dying
    await expectFsckClean(d);
    // The next writer recovers whatever the crashed holder left (its recorded locks at once, an unrecorded
    // git lock once it is older than a native git would hold it) without anybody cleaning up.
    await repo.withWriteLock(() => commitOn(repo, { 'counter.txt': 'final\n', 'models/m3/model.yaml': 'final\n' }), {
      timeoutMs: 30_000,
      staleMs: 3_600_000,
    });
    await expectCleanCheckout(d);
    await expectFsckClean(d);
    for (const f of ['.git/index.lock', '.git/refs/heads/main.lock', '.git/mreg-write.lock', '.git/mreg-checkout.json'])
      expect(await exists(path.join(d, f)), f).toBe(false);
  });
});

/** Loose objects in a repository: what a small push adds to the server (below receive.unpackLimit). */
async function looseObjects(gitdir: string): Promise<number> {
  let n = 0;
  for (const d of await fsp.readdir(path.join(gitdir, 'objects'))) {
    if (/^[0-9a-f]{2}$/.test(d)) n += (await fsp.readdir(path.join(gitdir, 'objects', d))).length;
  }
  return n;
}

describe('remote over smart HTTP (git http-backend)', () => {
  let server: GitHttpServer;
  let root: string;

  beforeAll(async () => {
    root = await tmpdir('server');
    server = await startGitHttpServer(root);
  });
  afterAll(async () => {
    await server?.close();
  });

  async function bareServerRepo(name: string): Promise<string> {
    await git(root, 'init', '-q', '--bare', '-b', 'main', name);
    return path.join(root, name);
  }

  async function clone(name: string): Promise<GitWriter> {
    const d = await tmpdir('clone');
    await git(d, 'clone', '-q', server.url(name), 'c');
    return GitWriter.open(path.join(d, 'c'));
  }

  it('pushes new and further commits, fetches them elsewhere and fast-forwards', async () => {
    const remoteDir = await bareServerRepo('a.git');
    const d = await tmpdir();
    const a = await GitWriter.init(d);
    await git(d, 'remote', 'add', 'origin', server.url('a.git'));
    expect(await a.remoteUrl()).toBe(server.url('a.git'));
    expect(await a.remoteUrl('upstream')).toBeUndefined();
    const c1 = await commitOn(a, { 'models/a/model.yaml': 'a\n', 'registry.yaml': 'r\n' });
    expect(await a.push({ branch: 'main', expectedRemoteTip: null })).toMatchObject({ ok: true });
    expect(await looseObjects(remoteDir)).toBe(6);
    expect((await git(remoteDir, 'rev-parse', 'main')).trim()).toBe(c1);
    expect((await git(d, 'rev-parse', 'origin/main')).trim()).toBe(c1);
    const c2 = await commitOn(a, { 'models/a/versions/1.yaml': '1\n' });
    const c3 = await commitOn(a, { 'models/b/model.yaml': 'b\n' });
    const r = await a.push({ branch: 'main', expectedRemoteTip: c1 });
    expect(r.ok).toBe(true);
    // Only what the two commits added reached the server (a small push is stored as loose objects).
    expect((await looseObjects(remoteDir)) - 6).toBe(
      2 /* commits */ + 2 /* blobs */ + 2 /* roots */ + 2 /* models/ */ + 1 /* a */ + 1 /* a/versions */ + 1 /* b */,
    );
    expect((await git(remoteDir, 'rev-parse', 'main')).trim()).toBe(c3);
    await expectFsckClean(remoteDir);

    const b = await clone('a.git');
    const c4 = await commitOn(a, { 'models/a': null });
    expect((await a.push({ branch: 'main', expectedRemoteTip: c3 })).ok).toBe(true);
    expect(await b.fetch({ branch: 'main' })).toBe(c4);
    expect(await b.resolveRevision('origin/main')).toBe(c4);
    await b.fastForward('main', c4);
    expect(await b.resolveBranch('main')).toBe(c4);
    await expectCleanCheckout(b.dir);
    await expectFsckClean(b.dir);
    expect(await b.fetch({ branch: 'missing' })).toBeNull();
    void c2;
  });

  it('reports a lost race instead of overwriting, and the server stays consistent', async () => {
    const remoteDir = await bareServerRepo('race.git');
    const seed = await GitWriter.init(await tmpdir());
    await git(seed.dir, 'remote', 'add', 'origin', server.url('race.git'));
    const base = await commitOn(seed, { 'counter.txt': '0\n' });
    expect((await seed.push({ branch: 'main', expectedRemoteTip: null })).ok).toBe(true);
    const a = await clone('race.git');
    const b = await clone('race.git');
    await commitOn(a, { 'counter.txt': 'a\n' });
    await commitOn(b, { 'counter.txt': 'b\n' });
    // Sequential: b pushes after a, still expecting the old tip.
    expect((await a.push({ branch: 'main', expectedRemoteTip: base })).ok).toBe(true);
    expect(await b.push({ branch: 'main', expectedRemoteTip: base })).toMatchObject({ ok: false, reason: 'conflict' });
    // A true race: both push at once from the same base; the server lets exactly one through.
    const tip = (await git(remoteDir, 'rev-parse', 'main')).trim();
    const c = await clone('race.git');
    const e = await clone('race.git');
    await commitOn(c, { 'counter.txt': 'c\n' });
    await commitOn(e, { 'counter.txt': 'e\n' });
    const results = await Promise.all([
      c.push({ branch: 'main', expectedRemoteTip: tip }),
      e.push({ branch: 'main', expectedRemoteTip: tip }),
    ]);
    expect(results.filter((x) => x.ok)).toHaveLength(1);
    expect(results.find((x) => !x.ok)?.reason).toBe('conflict');
    expect((await git(remoteDir, 'rev-list', '--count', 'main')).trim()).toBe('3');
    await expectFsckClean(remoteDir);
  });

  it('rejects a non-fast-forward push and sends only new objects to a large remote', async () => {
    const remoteDir = await bareServerRepo('big.git');
    const d = await tmpdir('big');
    await git(d, 'init', '-q', '-b', 'main');
    // 3,000 files, written and committed natively.
    for (let m = 0; m < 300; m++) {
      await fsp.mkdir(path.join(d, `models/m${m}/versions`), { recursive: true });
      await fsp.writeFile(path.join(d, `models/m${m}/model.yaml`), `name: m${m}\n`);
      for (let v = 1; v <= 9; v++)
        await fsp.writeFile(path.join(d, `models/m${m}/versions/${v}.yaml`), `m${m} v${v}\n`);
    }
    await git(d, 'add', '-A');
    await git(d, 'commit', '-q', '-m', 'bulk');
    await git(d, 'remote', 'add', 'origin', server.url('big.git'));
    await git(d, 'push', '-q', 'origin', 'main');
    const repo = await GitWriter.open(d);
    const base = (await repo.resolveBranch('main'))!;
    await commitOn(repo, { 'models/m7/versions/10.yaml': 'v10\n', 'models/m7/model.yaml': 'name: m7\nlatest: 10\n' });
    const before = await looseObjects(remoteDir);
    const r = await repo.push({ branch: 'main', expectedRemoteTip: base });
    expect(r).toMatchObject({ ok: true });
    // commit + 2 blobs + root, models/, models/m7, models/m7/versions
    expect((await looseObjects(remoteDir)) - before).toBe(7);
    expect(server.requests.receivePack).toBeGreaterThan(0);
    await expectFsckClean(remoteDir);
    // Diverged: the remote has a commit this clone does not contain.
    const other = await clone('big.git');
    const tip = (await other.resolveBranch('main'))!;
    await commitOn(other, { 'models/m1/model.yaml': 'other\n' });
    expect((await other.push({ branch: 'main', expectedRemoteTip: tip })).ok).toBe(true);
    await repo.fetch({ branch: 'main' });
    const theirs = await repo.resolveRevision('origin/main');
    await commitOn(repo, { 'models/m2/model.yaml': 'mine\n' });
    expect(await repo.push({ branch: 'main', expectedRemoteTip: theirs })).toMatchObject({
      ok: false,
      reason: 'rejected',
    });
    await expectFsckClean(remoteDir);
  });
});
