// The library's write loop (src/registry/write.ts) against a real repository: a native commit landing between
// a write's read and its ref update makes it re-plan on the new head (the store's RefMovedError, not a guess
// from the error's details), and a refused write answers with the code its problems carry.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RefMovedError } from '../../src/errors.js';
import { GitWriter } from '../../src/store/git/writer.js';
import { AUTHOR, expectCleanRepo, expectCode, freshRegistry, git, T0 } from '../helpers/registry.js';

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Native',
  GIT_AUTHOR_EMAIL: 'native@example.com',
  GIT_COMMITTER_NAME: 'Native',
  GIT_COMMITTER_EMAIL: 'native@example.com',
};

describe('the write loop', () => {
  it('re-plans on the new head when a native commit slips in between its read and its ref update', async () => {
    let slipIn: (() => void) | undefined;
    let now = T0;
    let calls = 0;
    const clock = () => {
      calls++;
      // The planner asks for the time after the head was read and before the commit: the moment to race.
      slipIn?.();
      slipIn = undefined;
      return (now += 1000);
    };
    const { dir, registry } = await freshRegistry({ clock });
    await registry.createRegisteredModel('m');
    const before = (await git(dir, 'rev-parse', 'HEAD')).trim();
    slipIn = () =>
      execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'native commit'], { cwd: dir, env: gitEnv });
    calls = 0;
    const v = await registry.createModelVersion('m', 's3://m/1');
    expect(v.version).toBe('1');
    expect(calls, 'planned twice: once on the old head, once on the native commit').toBe(2);
    const log = (await git(dir, 'log', '--format=%s|%an', `${before}..HEAD`)).trim().split('\n');
    expect(log).toEqual([`m: v1 registered|${AUTHOR.name}`, 'native commit|Native']);
    await expectCleanRepo(dir);
  });

  it('the store reports a ref that moved under a commit as RefMovedError (RESOURCE_CONFLICT)', async () => {
    const { dir, registry } = await freshRegistry();
    await registry.createRegisteredModel('m');
    const repo = await GitWriter.open(dir);
    const head = await repo.resolveBranch('main');
    await git(dir, 'commit', '-q', '--allow-empty', '-m', 'native commit');
    const attempt = repo.withWriteLock(() =>
      repo.commit({
        branch: 'main',
        parent: head,
        changes: new Map([['notes.txt', new TextEncoder().encode('x\n')]]),
        message: 'late\n',
        author: { ...AUTHOR, timestamp: T0 / 1000, timezoneOffset: 0 },
      }),
    );
    await expect(attempt).rejects.toBeInstanceOf(RefMovedError);
    await expect(attempt).rejects.toMatchObject({ code: 'RESOURCE_CONFLICT' });
  });

  it('a policy refusal is PERMISSION_DENIED and a schema refusal INVALID_PARAMETER_VALUE, whatever the wording', async () => {
    const { dir, registry } = await freshRegistry();
    await registry.registerModelVersion('m', 's3://m/1');
    // A policy of registry.yaml, committed natively: Production only from Staging.
    await git(dir, 'config', 'user.name', 'Native');
    await git(dir, 'config', 'user.email', 'native@example.com');
    await writeFile(
      `${dir}/registry.yaml`,
      'format_version: 2\npolicies:\n  transitions:\n    Production: [Staging]\n',
    );
    await git(dir, 'commit', '-q', '-am', 'policy');
    await expectCode(
      registry.transitionModelVersionStage('m', 1, 'Production'),
      'PERMISSION_DENIED',
      /Rejected: .*may enter Production only from Staging/,
    );
    await expectCode(registry.setRegisteredModelTag('m', 'k', 'x'.repeat(100_001)), 'INVALID_PARAMETER_VALUE');
  });
});
