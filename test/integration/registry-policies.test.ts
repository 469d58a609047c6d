// Policies on writes through the library need the model's versions in hand: the pure checks
// (test/unit/policies.test.ts) judge only what they are given.
import { describe, expect, it } from 'vitest';
import { Registry, initRegistry } from '../../src/index.js';
import { AUTHOR, expectCleanRepo, expectCode, git, tempDir, tickingClock } from '../helpers/registry.js';

describe('deleting a model under a protected stage', () => {
  it('is refused off the protected branch, and nothing is committed', async () => {
    const dir = await tempDir();
    const clock = tickingClock();
    await initRegistry(dir, {
      author: AUTHOR,
      clock,
      registry: { policies: { protected: [{ branches: ['main'], stages: ['Production'] }] } },
    });
    const onMain = await Registry.open(dir, { author: AUTHOR, clock });
    await onMain.registerModelVersion('fraud', 's3://b/1');
    await onMain.transitionModelVersionStage('fraud', 1, 'Production');
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();

    const offMain = await Registry.open(dir, { author: AUTHOR, clock, policyBranch: 'dev' });
    await expectCode(
      offMain.deleteRegisteredModel('fraud'),
      'PERMISSION_DENIED',
      'policy: deleting fraud removes protected stages or aliases, which may only change on main',
    );
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(head);
    await expectCleanRepo(dir);

    await onMain.deleteRegisteredModel('fraud');
    expect((await git(dir, 'log', '-1', '--format=%s')).trim()).toBe('fraud: deleted');
  });
});

describe('max_versions_per_stage on None', () => {
  it('refuses the registration that would exceed it (a registration used to read only the model file)', async () => {
    const dir = await tempDir();
    const clock = tickingClock();
    await initRegistry(dir, { author: AUTHOR, clock, registry: { policies: { max_versions_per_stage: { None: 2 } } } });
    const registry = await Registry.open(dir, { author: AUTHOR, clock });
    await registry.registerModelVersion('fraud', 's3://b/1');
    await registry.createModelVersion('fraud', 's3://b/2');
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
    await expectCode(
      registry.createModelVersion('fraud', 's3://b/3'),
      'PERMISSION_DENIED',
      'policy: fraud would have 3 versions in None; at most 2 allowed',
    );
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(head);
    await expectCleanRepo(dir);
    // Another stage frees a place: the next registration is allowed.
    await registry.transitionModelVersionStage('fraud', 1, 'Staging');
    expect((await registry.createModelVersion('fraud', 's3://b/3')).version).toBe('3');
  });
});
