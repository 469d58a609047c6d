// The event log on real git histories: linear writes, merges (clean, conflicting, edited), renames across
// branches, a broken file and its repair, force-pushes. The invariant checked throughout: a consumer that
// applies every event in order holds exactly the tip's state.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/index.js';
import { EventLog, afterEvent, concernsModel } from '../../src/events/log.js';
import type { RegistryEvent } from '../../src/events/types.js';
import { GitReader } from '../../src/store/git/reader.js';
import { pictureAt, replay } from '../helpers/events.js';
import { AUTHOR, freshRegistry, run, tickingClock, T0 } from '../helpers/registry.js';

/** Native git with a fixed identity and a commit date after the registry's ticking clock. */
function gitAt(dir: string, seconds: number) {
  return async (...args: string[]): Promise<string> => {
    const date = `${Math.floor(T0 / 1000) + seconds} +0000`;
    const { stdout } = await run('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Merger',
        GIT_AUTHOR_EMAIL: 'merger@example.com',
        GIT_COMMITTER_NAME: 'Merger',
        GIT_COMMITTER_EMAIL: 'merger@example.com',
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
      },
    });
    return stdout.trim();
  };
}

async function all(dir: string): Promise<RegistryEvent[]> {
  const repo = await GitReader.open(dir);
  const log = new EventLog(repo);
  const tip = (await repo.resolveBranch('main'))!;
  const out: RegistryEvent[] = [];
  for await (const e of log.read(tip, { kind: 'start' })) out.push(e);
  return out;
}

async function after(dir: string, e: RegistryEvent): Promise<RegistryEvent[]> {
  const repo = await GitReader.open(dir);
  const out: RegistryEvent[] = [];
  for await (const x of new EventLog(repo).read((await repo.resolveBranch('main'))!, afterEvent(e))) out.push(x);
  return out;
}

async function tipOf(dir: string): Promise<string> {
  return (await (await GitReader.open(dir)).resolveBranch('main'))!;
}

/** Opens the registry on the checked-out branch with a clock that keeps ticking across opens. */
function opener(dir: string) {
  const clock = tickingClock(T0 + 1_000_000);
  return (opts: { commit?: boolean } = {}) => Registry.open(dir, { author: AUTHOR, clock, ...opts });
}

describe('event log', () => {
  it('a linear history: every write is its events, in order, with ids commit:position', async () => {
    const { dir, registry: r } = await freshRegistry();
    await r.createRegisteredModel('fraud', { tags: { team: 'risk' }, description: 'Fraud model' });
    await r.createModelVersion('fraud', 's3://b/1', { runId: 'run1', tags: { data: 'd1' }, description: 'first' });
    await r.createModelVersion('fraud', 's3://b/2');
    await r.transitionModelVersionStage('fraud', '1', 'Production', { archiveExistingVersions: false });
    await r.transitionModelVersionStage('fraud', '2', 'Production', { archiveExistingVersions: true });
    await r.setRegisteredModelAlias('fraud', 'champion', '1');
    await r.setRegisteredModelAlias('fraud', 'champion', '2');
    await r.updateRegisteredModel('fraud', 'Fraud model, v2');
    await r.updateModelVersion('fraud', '2', 'second');
    await r.setRegisteredModelTag('fraud', 'owner', 'ann');
    await r.deleteRegisteredModelTag('fraud', 'team');
    await r.setModelVersionTag('fraud', '2', 'validated', 'true');
    await r.deleteModelVersionTag('fraud', '1', 'data');
    await r.deleteRegisteredModelAlias('fraud', 'champion');
    await r.setRegisteredModelAlias('fraud', 'old', '1');
    await r.deleteModelVersion('fraud', '1');
    await r.renameRegisteredModel('fraud', 'fraud-detector');
    await r.createRegisteredModel('churn');
    await r.deleteRegisteredModel('churn');

    const events = await all(dir);
    expect(events.map((e) => `${e.type} ${e.model ?? ''}${e.version !== undefined ? ` v${e.version}` : ''}`)).toEqual([
      'registered_model.created fraud',
      'model_version.created fraud v1',
      'model_version.created fraud v2',
      'model_version.stage_transitioned fraud v1',
      'model_version.stage_transitioned fraud v1',
      'model_version.stage_transitioned fraud v2',
      'model_version_alias.created fraud v1',
      'model_version_alias.created fraud v2',
      'registered_model.description_updated fraud',
      'model_version.description_updated fraud v2',
      'registered_model_tag.set fraud',
      'registered_model_tag.deleted fraud',
      'model_version_tag.set fraud v2',
      'model_version_tag.deleted fraud v1',
      'model_version_alias.deleted fraud v2',
      'model_version_alias.created fraud v1',
      'model_version.deleted fraud v1',
      'model_version_alias.deleted fraud v1',
      'registered_model.renamed fraud-detector',
      'registered_model.created churn',
      'registered_model.deleted churn',
    ]);
    // MLflow's payload fields, and mreg's from/to for transitions.
    expect(events[0]!.data).toEqual({ name: 'fraud', tags: { team: 'risk' }, description: 'Fraud model' });
    expect(events[1]!.data).toEqual({
      name: 'fraud',
      version: '1',
      source: 's3://b/1',
      run_id: 'run1',
      tags: { data: 'd1' },
      description: 'first',
    });
    expect(events[4]!.data).toEqual({ name: 'fraud', version: '1', from_stage: 'Production', to_stage: 'Archived' });
    expect(events[7]!.data).toEqual({ name: 'fraud', alias: 'champion', version: '2', previous_version: '1' });
    expect(events[18]!.data).toEqual({ name: 'fraud-detector', previous_name: 'fraud' });
    // The archived sibling and the promoted version are one commit: positions 0 and 1.
    expect(events[4]!.commit).toBe(events[5]!.commit);
    expect([events[4]!.id, events[5]!.id]).toEqual([`${events[4]!.commit}:0`, `${events[4]!.commit}:1`]);
    expect(events.every((e) => e.author.name === AUTHOR.name && e.author.email === AUTHOR.email)).toBe(true);
    expect(events.every((e, i) => i === 0 || e.time >= events[i - 1]!.time)).toBe(true);
    // Deterministic: a second reader, with nothing cached, gives the same list.
    expect(await all(dir)).toEqual(events);
    expect(replay(events)).toEqual(await pictureAt(dir, await tipOf(dir)));
    // Renames and the old name: the filter follows both ends of a rename.
    expect(events.filter((e) => concernsModel(e, 'fraud')).length).toBe(19);
    expect(events.filter((e) => concernsModel(e, 'fraud-detector')).map((e) => e.type)).toEqual([
      'registered_model.renamed',
    ]);
  });

  it('merges: branch commits come before their merge, a clean merge adds nothing, a conflict resolution and an edit in the merge are reported', async () => {
    const { dir } = await freshRegistry();
    const open = opener(dir);
    let t = 2_000_000;
    const g = () => gitAt(dir, (t += 100));
    let r = await open();
    await r.createRegisteredModel('fraud');
    await r.createModelVersion('fraud', 's3://b/1');
    await r.createModelVersion('fraud', 's3://b/2');
    await r.createRegisteredModel('churn');
    await r.createModelVersion('churn', 's3://c/1');

    // A feature branch: tag and stage change on fraud v1, churn renamed.
    await (
      await g()
    )('checkout', '-q', '-b', 'feature');
    r = await open();
    await r.setModelVersionTag('fraud', '1', 'validated', 'yes');
    await r.transitionModelVersionStage('fraud', '1', 'Staging', { archiveExistingVersions: false });
    await r.renameRegisteredModel('churn', 'churn-v2');
    // Meanwhile on main: fraud v2 to Production, an alias, a new version.
    await (
      await g()
    )('checkout', '-q', 'main');
    r = await open();
    await r.transitionModelVersionStage('fraud', '2', 'Production', { archiveExistingVersions: false });
    await r.setRegisteredModelAlias('fraud', 'champion', '2');
    await r.createModelVersion('fraud', 's3://b/3');
    // Format 1 keeps updated_at in model.yaml, which both sides touch: the merge takes main's model file.
    await (await g())('merge', '-q', '--no-ff', '--no-commit', 'feature').catch(() => undefined);
    await (
      await g()
    )('checkout', '--ours', '--', 'models/fraud/model.yaml');
    await (
      await g()
    )('add', '-A');
    await (
      await g()
    )('commit', '-q', '-m', 'Merge feature');
    const merge1 = await tipOf(dir);

    let events = await all(dir);
    // The merge brought its branch's events in before it and added none of its own.
    expect(events.filter((e) => e.commit === merge1)).toEqual([]);
    const kinds = events.map((e) => `${e.type} ${e.model}${e.version ? ` v${e.version}` : ''}`);
    expect(kinds.slice(5)).toEqual([
      'model_version.stage_transitioned fraud v2',
      'model_version_alias.created fraud v2',
      'model_version.created fraud v3',
      'model_version_tag.set fraud v1',
      'model_version.stage_transitioned fraud v1',
      'registered_model.renamed churn-v2',
    ]);
    expect(replay(events)).toEqual(await pictureAt(dir, merge1));

    // A conflict: both sides move fraud v3; the merge keeps main's stage (its first parent's side).
    await (
      await g()
    )('checkout', '-q', '-b', 'archive-v3');
    r = await open();
    await r.transitionModelVersionStage('fraud', '3', 'Archived', { archiveExistingVersions: false });
    await (
      await g()
    )('checkout', '-q', 'main');
    r = await open();
    await r.transitionModelVersionStage('fraud', '3', 'Staging', { archiveExistingVersions: false });
    await (await g())('merge', '-q', '--no-ff', '--no-commit', 'archive-v3').catch(() => undefined);
    await (
      await g()
    )('checkout', '--ours', '--', 'models/fraud/versions/3.yaml', 'models/fraud/model.yaml');
    await (
      await g()
    )('add', '-A');
    await (
      await g()
    )('commit', '-q', '-m', 'Merge archive-v3, keeping Staging');
    const merge2 = await tipOf(dir);
    events = await all(dir);
    const fromMerge2 = events.filter((e) => e.commit === merge2);
    // The branch's "Archived" came after main's "Staging" in the log: the merge says which one won.
    expect(fromMerge2.map((e) => [e.type, e.data])).toEqual([
      [
        'model_version.stage_transitioned',
        { name: 'fraud', version: '3', from_stage: 'Archived', to_stage: 'Staging' },
      ],
    ]);
    expect(events.map((e) => e.commit).indexOf(merge2)).toBe(events.length - 1);
    expect(replay(events)).toEqual(await pictureAt(dir, merge2));

    // An edit made in the merge commit itself (an "evil merge") is the merge's own event.
    await (
      await g()
    )('checkout', '-q', '-b', 'describe');
    r = await open();
    await r.updateModelVersion('fraud', '2', 'the champion');
    await (
      await g()
    )('checkout', '-q', 'main');
    await (
      await g()
    )('merge', '-q', '--no-ff', '--no-commit', 'describe');
    const editor = await open({ commit: false });
    await editor.setModelVersionTag('fraud', '2', 'reviewed', 'in-merge');
    await (
      await g()
    )('add', '-A');
    await (
      await g()
    )('commit', '-q', '-m', 'Merge describe, with a tag');
    const merge3 = await tipOf(dir);
    events = await all(dir);
    expect(events.filter((e) => e.commit === merge3).map((e) => [e.type, e.data])).toEqual([
      ['model_version_tag.set', { name: 'fraud', version: '2', key: 'reviewed', value: 'in-merge' }],
    ]);
    expect(replay(events)).toEqual(await pictureAt(dir, merge3));

    // Resuming after any event gives exactly the rest of the log — also from inside a merged branch.
    for (let i = 0; i < events.length; i++) {
      expect(
        (await after(dir, events[i]!)).map((e) => e.id),
        `after ${events[i]!.id}`,
      ).toEqual(events.slice(i + 1).map((e) => e.id));
    }
  });

  it('a file that does not parse is not a change: the repair reports the difference from the last sound state', async () => {
    const { dir, registry: r } = await freshRegistry();
    await r.createRegisteredModel('fraud', { description: 'one' });
    await r.createModelVersion('fraud', 's3://b/1');
    const g = gitAt(dir, 3_000_000);
    const modelFile = path.join(dir, 'models/fraud/model.yaml');
    const good = await (await import('node:fs/promises')).readFile(modelFile, 'utf8');
    await writeFile(modelFile, good.replace('name: fraud', 'name: [fraud'));
    await g('commit', '-q', '-am', 'broken by hand');
    const broken = await tipOf(dir);
    await writeFile(modelFile, good.replace('description: one', 'description: two'));
    await g('commit', '-q', '-am', 'repaired, with a new description');
    const events = await all(dir);
    expect(events.filter((e) => e.commit === broken)).toEqual([]);
    expect(events.slice(-1).map((e) => [e.type, e.data])).toEqual([
      ['registered_model.description_updated', { name: 'fraud', description: 'two' }],
    ]);
    expect(replay(events)).toEqual(await pictureAt(dir, await tipOf(dir)));
  });

  it('a force-push that removes commits: a cursor past them gets the rewind, then the new commits', async () => {
    const { dir } = await freshRegistry();
    const open = opener(dir);
    const g = gitAt(dir, 4_000_000);
    let r = await open();
    await r.createRegisteredModel('fraud', { tags: { team: 'risk' } });
    await r.createModelVersion('fraud', 's3://b/1');
    const keep = await tipOf(dir);
    await r.createModelVersion('fraud', 's3://b/2');
    await r.transitionModelVersionStage('fraud', '1', 'Production', { archiveExistingVersions: false });
    await r.setRegisteredModelAlias('fraud', 'champion', '2');
    await r.setRegisteredModelTag('fraud', 'team', 'fraud-ops');
    const seen = await all(dir);
    const cursor = seen[seen.length - 1]!;
    // The last four commits are force-pushed away; a different change takes their place.
    await g('reset', '-q', '--hard', keep);
    r = await open();
    await r.transitionModelVersionStage('fraud', '1', 'Staging', { archiveExistingVersions: false });

    const next = await after(dir, cursor);
    const rewind = next.filter((e) => e.id.includes('..'));
    expect(rewind.map((e) => [e.type, e.data])).toEqual([
      ['registered_model_tag.set', { name: 'fraud', key: 'team', value: 'risk', rewound_from: cursor.commit }],
      [
        'model_version.stage_transitioned',
        { name: 'fraud', version: '1', from_stage: 'Production', to_stage: 'None', rewound_from: cursor.commit },
      ],
      ['model_version.deleted', { name: 'fraud', version: '2', rewound_from: cursor.commit }],
      [
        'model_version_alias.deleted',
        { name: 'fraud', alias: 'champion', previous_version: '2', rewound_from: cursor.commit },
      ],
    ]);
    expect(rewind.every((e) => e.id.startsWith(`${cursor.commit}..${keep}:`) && e.commit === keep)).toBe(true);
    expect(next.slice(rewind.length).map((e) => e.type)).toEqual(['model_version.stage_transitioned']);
    // Whoever had every event before the force-push, plus these, holds the new tip's state.
    expect(replay([...seen, ...next])).toEqual(await pictureAt(dir, await tipOf(dir)));
    // A cursor inside the rewind resumes inside it.
    const rest = await after(dir, rewind[1]!);
    expect(rest.map((e) => e.id)).toEqual(next.slice(2).map((e) => e.id));
    // A reader starting from scratch never sees the removed commits.
    expect(replay(await all(dir))).toEqual(await pictureAt(dir, await tipOf(dir)));
  });

  it('--since a ref, a time or an event id', async () => {
    const { dir, registry: r } = await freshRegistry();
    await r.createRegisteredModel('fraud');
    await r.createModelVersion('fraud', 's3://b/1');
    await r.createModelVersion('fraud', 's3://b/2');
    await r.transitionModelVersionStage('fraud', '2', 'Production', { archiveExistingVersions: false });
    const repo = await GitReader.open(dir);
    const log = new EventLog(repo);
    const tip = (await repo.resolveBranch('main'))!;
    const list = async (since: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const e of log.read(tip, await log.position(since, tip))) out.push(e.type);
      return out;
    };
    expect(await list('main~2')).toEqual(['model_version.created', 'model_version.stage_transitioned']);
    // Commits are one second apart from T0 (init), so T0+2s is the first version's commit.
    expect(await list(new Date(T0 + 2000).toISOString())).toEqual([
      'model_version.created',
      'model_version.stage_transitioned',
    ]);
    expect(await list(String(T0 - 1))).toHaveLength(4);
    const events = await all(dir);
    expect(await list(events[1]!.id)).toEqual(['model_version.created', 'model_version.stage_transitioned']);
    await expect(log.position('no-such-branch', tip)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(log.position('../etc/passwd', tip)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });
});
