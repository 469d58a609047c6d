// The library's write loop kept long-lived (RegistryOptions.keep, what the gateway runs): concurrent writes chained under one ref update while each stays its own commit
// by its own author, the state it derives from the files it wrote equal to what a full load of the commit gives,
// lost races re-planned, and a failed write leaving nothing behind.
import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.js';
import type { KeepSettings } from '../../src/registry/write.js';
import { GitReader } from '../../src/store/git/reader.js';
import { loadCommit, type Loaded } from '../../src/store/load.js';
import { AUTHOR, expectCleanRepo, freshRegistry, git } from '../helpers/registry.js';

/** A comparable picture of a loaded state: models with their files and versions, and the problems. */
function picture(l: Loaded): unknown {
  return {
    registry: l.state.registry,
    problems: l.problems,
    models: [...l.state.models.values()]
      .map((e) => ({ dir: e.dir, file: e.file, versions: [...e.versions.entries()].sort((a, b) => a[0] - b[0]) }))
      .sort((a, b) => (a.dir < b.dir ? -1 : 1)),
  };
}

async function session(dir: string, keep: KeepSettings = {}) {
  const repo = await GitReader.open(dir);
  const registry = await Registry.open(dir, {
    branch: 'main',
    author: { name: 'gateway', email: 'gw@example.com' },
    keep,
  });
  const s = {
    stats: registry.writes.stats,
    get state() {
      return registry.writes.state;
    },
    close: () => registry.close(),
  };
  const as = (name: string) => registry.actingAs({ name, email: `${name}@example.com` });
  return { repo, s, as };
}

describe('a long-lived writer', () => {
  it('chains concurrent writes under few ref updates, each its own commit by its own author', async () => {
    const { dir } = await freshRegistry({ bare: true });
    const { s, as } = await session(dir);
    await as('setup').createRegisteredModel('fraud');
    const before = s.stats.batches;
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => as(`w${i % 4}`).createModelVersion('fraud', `s3://b/${i}`)),
    );
    expect(new Set(results.map((r) => r.version)).size).toBe(40);
    expect(results.map((r) => Number(r.version)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    const log = (await git(dir, 'log', '--format=%an|%cn|%s', '-40', 'main')).trim().split('\n');
    expect(log).toHaveLength(40);
    for (const l of log) expect(l).toMatch(/^w[0-3]\|gateway\|fraud: v\d+ registered$/);
    // Fewer publications than writes: that is the chaining.
    expect(s.stats.batches - before).toBeLessThan(40);
    expect(s.stats.commits).toBe(41);
    await git(dir, 'fsck', '--strict', '--no-progress');
    await s.close();
  });

  it('derives from the files it wrote exactly the state a full load of its commit gives', async () => {
    const { dir, registry } = await freshRegistry();
    await registry.createRegisteredModel('keep', { tags: { a: '1' } });
    const { repo, s, as } = await session(dir);
    const r = as('ci');
    await r.createRegisteredModel('fraud', { description: 'x', tags: { team: 'risk' } });
    for (let i = 1; i <= 4; i++)
      await r.createModelVersion('fraud', `s3://b/${i}`, { runId: `r${i}`, tags: { k: `${i}` } });
    const steps: Array<() => Promise<unknown>> = [
      () => r.transitionModelVersionStage('fraud', 2, 'Staging'),
      () => r.transitionModelVersionStage('fraud', 3, 'staging', { archiveExistingVersions: true }),
      () => r.setRegisteredModelAlias('fraud', 'champion', 3),
      () => r.setModelVersionTag('fraud', 1, 'x', 'y'),
      () => r.deleteModelVersionTag('fraud', 1, 'k'),
      () => r.updateModelVersion('fraud', 1, { description: 'v1' }),
      () => r.deleteModelVersion('fraud', 3),
      () => r.renameRegisteredModel('fraud', 'Fraud Détection'),
      () => r.updateRegisteredModel('Fraud Détection', { description: '' }),
      () => r.createRegisteredModel('gone'),
      () => r.createModelVersion('gone', 's3://g/1'),
      () => r.deleteRegisteredModel('gone'),
      () => r.deleteRegisteredModelTag('keep', 'a'),
    ];
    for (const step of steps) {
      await step();
      const head = (await repo.resolveBranch('main'))!;
      expect(s.state!.commit).toBe(head);
      expect(picture(s.state!)).toEqual(picture(await loadCommit(repo, head)));
    }
    await s.close();
    await expectCleanRepo(dir);
  });

  it('re-plans on the new tip when another writer moved the branch (numbers stay distinct)', async () => {
    const { dir } = await freshRegistry({ author: AUTHOR });
    const { s, as } = await session(dir);
    const r = as('ci');
    await r.createRegisteredModel('fraud');
    await r.createModelVersion('fraud', 's3://gw/1');
    const cli = await Registry.open(dir, { author: AUTHOR });
    await cli.createModelVersion('fraud', 's3://cli/2');
    const retriesBefore = s.stats.retries;
    const v = await r.createModelVersion('fraud', 's3://gw/3');
    expect(v.version).toBe('3');
    expect(s.stats.retries).toBe(retriesBefore + 1);
    expect((await git(dir, 'log', '--format=%s', '-3', 'main')).trim().split('\n')).toEqual([
      'fraud: v3 registered',
      'fraud: v2 registered',
      'fraud: v1 registered',
    ]);
    await s.close();
    await expectCleanRepo(dir);
  });

  it('a refused write in a batch fails alone; the others commit; nothing of it reaches git', async () => {
    const { dir } = await freshRegistry({ bare: true });
    const { s, as } = await session(dir, {
      guard: (change) => {
        if (change.message.includes('forbidden')) throw new Error('refused by the guard');
      },
    });
    const r = as('ci');
    await r.createRegisteredModel('fraud');
    const outcomes = await Promise.allSettled([
      r.createModelVersion('fraud', 's3://a'),
      r.createRegisteredModel('forbidden'),
      r.createModelVersion('nope', 's3://x'),
      r.createModelVersion('fraud', 's3://b'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await git(dir, 'log', '--format=%s', 'main')).trim().split('\n').slice(0, 3)).toEqual([
      'fraud: v2 registered',
      'fraud: v1 registered',
      'fraud: created',
    ]);
    await s.close();
    await expect(r.createModelVersion('fraud', 's3://late')).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' });
    await git(dir, 'fsck', '--strict', '--no-progress');
  });
});
