// Who a write is by: the layers git itself reads, and no guessed address (issue 10: no more root@localhost).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findAuthor, resolveAuthor } from '../../src/registry/config.js';
import { tempDir } from '../helpers/registry.js';

const IDENTITY_ENV = [
  'MREG_AUTHOR_NAME',
  'MREG_AUTHOR_EMAIL',
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'EMAIL',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_SYSTEM',
  'XDG_CONFIG_HOME',
];

async function world(files: { repo?: string; global?: string; system?: string } = {}) {
  const root = await tempDir('mreg-author-');
  const gitdir = path.join(root, 'repo.git');
  const home = path.join(root, 'home');
  await mkdir(gitdir, { recursive: true });
  await mkdir(home, { recursive: true });
  for (const k of IDENTITY_ENV) vi.stubEnv(k, undefined);
  vi.stubEnv('HOME', home);
  vi.stubEnv('GIT_CONFIG_NOSYSTEM', '1');
  if (files.repo) await writeFile(path.join(gitdir, 'config'), files.repo);
  if (files.global) await writeFile(path.join(home, '.gitconfig'), files.global);
  if (files.system) {
    await writeFile(path.join(root, 'system'), files.system);
    vi.stubEnv('GIT_CONFIG_SYSTEM', path.join(root, 'system'));
  }
  return { gitdir };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('findAuthor', () => {
  it('nothing configured anywhere: no author, and resolveAuthor refuses as git does', async () => {
    const { gitdir } = await world();
    expect(await findAuthor(gitdir)).toBeUndefined();
    await expect(resolveAuthor(gitdir)).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: expect.stringMatching(/^Author identity unknown/),
    });
  });

  it('a name alone is not enough; EMAIL gives the address, the login name the name', async () => {
    const { gitdir } = await world({ global: '[user]\n\tname = Only Name\n' });
    expect(await findAuthor(gitdir)).toBeUndefined();
    vi.stubEnv('EMAIL', 'me@example.com');
    expect(await findAuthor(gitdir)).toEqual({ name: 'Only Name', email: 'me@example.com' });
  });

  it('the repository config wins over the global one; author.* wins over user.*', async () => {
    const { gitdir } = await world({
      repo: '[user]\n\temail = repo@example.com\n',
      global: '[user]\n\tname = Global\n\temail = global@example.com\n[author]\n\tname = "Global Author"\n',
    });
    expect(await findAuthor(gitdir)).toEqual({ name: 'Global Author', email: 'repo@example.com' });
  });

  it('GIT_AUTHOR_* wins over config, MREG_AUTHOR_* over both, the caller over everything', async () => {
    const { gitdir } = await world({ global: '[user]\n\tname = Cfg\n\temail = cfg@example.com\n' });
    vi.stubEnv('GIT_AUTHOR_NAME', 'Git Env');
    vi.stubEnv('GIT_AUTHOR_EMAIL', 'git@example.com');
    expect(await findAuthor(gitdir)).toEqual({ name: 'Git Env', email: 'git@example.com' });
    vi.stubEnv('MREG_AUTHOR_EMAIL', 'mreg@example.com');
    expect(await findAuthor(gitdir)).toEqual({ name: 'Git Env', email: 'mreg@example.com' });
    expect(await findAuthor(gitdir, { name: 'Caller', email: 'c@example.com' })).toEqual({
      name: 'Caller',
      email: 'c@example.com',
    });
  });

  it('the system config counts unless GIT_CONFIG_NOSYSTEM is set', async () => {
    const { gitdir } = await world({ system: '[user]\n\tname = Sys\n\temail = sys@example.com\n' });
    expect(await findAuthor(gitdir)).toBeUndefined();
    vi.stubEnv('GIT_CONFIG_NOSYSTEM', undefined);
    expect(await findAuthor(gitdir)).toEqual({ name: 'Sys', email: 'sys@example.com' });
  });
});
