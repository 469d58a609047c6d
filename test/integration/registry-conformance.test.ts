// MLflow's numbered registry behaviours (mlflow-registry-spec.md §7) against real temporary git repositories.
import { describe, expect, it } from 'vitest';
import { commitCount, expectCleanRepo, expectCode, freshRegistry, git } from '../helpers/registry.js';

describe('create registered model (1–8)', () => {
  it('1: a missing or empty name is INVALID_PARAMETER_VALUE', async () => {
    const { registry } = await freshRegistry();
    await expectCode(
      registry.createRegisteredModel(''),
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'name'",
    );
    await expectCode(
      registry.createRegisteredModel(undefined as unknown as string),
      'INVALID_PARAMETER_VALUE',
      'Missing value',
    );
  });

  it('2: an existing name is RESOURCE_ALREADY_EXISTS and makes no commit', async () => {
    const { registry, dir } = await freshRegistry();
    await registry.createRegisteredModel('fraud');
    const before = await commitCount(dir);
    await expectCode(
      registry.createRegisteredModel('fraud'),
      'RESOURCE_ALREADY_EXISTS',
      'Registered Model (name=fraud) already exists.',
    );
    expect(await commitCount(dir)).toBe(before);
  });

  it('3: names differing slightly or only by case are distinct models', async () => {
    const { registry, dir } = await freshRegistry();
    for (const n of ['X', 'Xextra', 'XX', 'x']) await registry.createRegisteredModel(n);
    const all = await registry.searchRegisteredModels();
    expect(all.registered_models!.map((m) => m.name)).toEqual(['X', 'XX', 'Xextra', 'x']);
    const dirs = (await git(dir, 'ls-tree', '--name-only', 'HEAD', 'models/')).trim().split('\n');
    expect(new Set(dirs.map((d) => d.toLowerCase())).size).toBe(4); // no collision on a case-insensitive disk
  });

  it('4: a new model has equal timestamps, no versions, its tags and description', async () => {
    const { registry } = await freshRegistry();
    const rm = await registry.createRegisteredModel('fraud', { tags: { team: 'risk' }, description: 'Card *fraud*' });
    expect(rm.creation_timestamp).toBe(rm.last_updated_timestamp);
    expect(rm.latest_versions).toBeUndefined();
    expect(rm.tags).toEqual([{ key: 'team', value: 'risk' }]);
    expect(rm.description).toBe('Card *fraud*');
    expect(await registry.getRegisteredModel('fraud')).toEqual(rm);
  });

  it('5: a bad tag key or oversized value fails and creates nothing; duplicate keys: last wins', async () => {
    const { registry, dir } = await freshRegistry();
    const before = await commitCount(dir);
    await expectCode(
      registry.createRegisteredModel('a', { tags: { 'bad#key': 'v' } }),
      'INVALID_PARAMETER_VALUE',
      'Names may only contain',
    );
    await expectCode(
      registry.createRegisteredModel('a', { tags: { k: 'x'.repeat(100_001) } }),
      'INVALID_PARAMETER_VALUE',
      "'value' exceeds the maximum length of 100000 characters",
    );
    expect(await commitCount(dir)).toBe(before);
    await expectCode(registry.getRegisteredModel('a'), 'RESOURCE_DOES_NOT_EXIST');
    const rm = await registry.createRegisteredModel('a', {
      tags: [
        { key: 'k', value: '1' },
        { key: 'k', value: '2' },
      ],
    });
    expect(rm.tags).toEqual([{ key: 'k', value: '2' }]);
  });

  it('6: tag values are stringified', async () => {
    const { registry } = await freshRegistry();
    const rm = await registry.createRegisteredModel('n', { tags: { n: 12345 as unknown as string } });
    expect(rm.tags).toEqual([{ key: 'n', value: '12345' }]);
  });

  it.each([
    ['../x'],
    ['a/b'],
    ['a\\b'],
    ['a\u0000b'],
    ['tab\there'],
    ['   '],
    ['.'],
    ['..'],
    ['%2e%2e'],
    ['x'.repeat(257)],
  ])('rejects the unsafe name %j with a clear error and no write', async (name) => {
    const { registry, dir } = await freshRegistry();
    const before = await commitCount(dir);
    await expectCode(registry.createRegisteredModel(name), 'INVALID_PARAMETER_VALUE');
    expect(await commitCount(dir)).toBe(before);
    await expectCleanRepo(dir);
  });
});

describe('get / update / rename / delete registered model (9–25)', () => {
  it("9: an unknown name is RESOURCE_DOES_NOT_EXIST with MLflow's message", async () => {
    const { registry } = await freshRegistry();
    await expectCode(
      registry.getRegisteredModel('nope'),
      'RESOURCE_DOES_NOT_EXIST',
      'Registered Model with name=nope not found',
    );
  });

  it('10: get includes the latest version per stage, tags and aliases', async () => {
    const { registry } = await freshRegistry();
    await registry.createRegisteredModel('m', { tags: { t: 'v' } });
    for (let i = 0; i < 7; i++) await registry.createModelVersion('m', `s3://b/m/${i + 1}`);
    const stages = ['Archived', 'Production', 'Archived', 'Production', 'Staging', 'Staging', 'None'];
    for (const [i, s] of stages.entries()) await registry.transitionModelVersionStage('m', i + 1, s);
    await registry.setRegisteredModelAlias('m', 'champion', 4);
    const rm = await registry.getRegisteredModel('m');
    const latest = Object.fromEntries(rm.latest_versions!.map((v) => [v.current_stage, v.version]));
    expect(latest).toEqual({ Production: '4', Staging: '6', Archived: '3', None: '7' });
    expect(rm.aliases).toEqual([{ alias: 'champion', version: '4' }]);
    await registry.deleteModelVersion('m', 4);
    const after = await registry.getRegisteredModel('m');
    expect(after.latest_versions!.find((v) => v.current_stage === 'Production')!.version).toBe('2');
  });

  it('11–14: update changes description and last_updated only; an empty description is omitted; unknown → RDNE', async () => {
    const { registry } = await freshRegistry();
    const rm = await registry.createRegisteredModel('m', { description: 'one' });
    const up = await registry.updateRegisteredModel('m', { description: 'two' });
    expect(up.description).toBe('two');
    expect(up.creation_timestamp).toBe(rm.creation_timestamp);
    expect(up.last_updated_timestamp).toBeGreaterThan(rm.last_updated_timestamp!);
    const cleared = await registry.updateRegisteredModel('m', { description: '' });
    expect('description' in cleared).toBe(false);
    await expectCode(registry.updateRegisteredModel('nope', { description: 'x' }), 'RESOURCE_DOES_NOT_EXIST');
  });

  it('15–21: rename keeps versions, tags, aliases and creation time; old name is free; all timestamps move', async () => {
    const { registry } = await freshRegistry();
    const rm = await registry.createRegisteredModel('old', { tags: { t: '1' }, description: 'd' });
    await registry.createModelVersion('old', 's3://b/1', { tags: { vt: 'x' } });
    await registry.setRegisteredModelAlias('old', 'champ', 1);
    const renamed = await registry.renameRegisteredModel('old', 'new');
    expect(renamed.name).toBe('new');
    expect(renamed.creation_timestamp).toBe(rm.creation_timestamp);
    expect(renamed.description).toBe('d');
    expect(renamed.tags).toEqual([{ key: 't', value: '1' }]);
    expect(renamed.aliases).toEqual([{ alias: 'champ', version: '1' }]);
    await expectCode(registry.getRegisteredModel('old'), 'RESOURCE_DOES_NOT_EXIST');
    await expectCode(registry.getModelVersion('old', 1), 'RESOURCE_DOES_NOT_EXIST');
    const v = await registry.getModelVersion('new', 1);
    expect(v.name).toBe('new');
    expect(v.tags).toEqual([{ key: 'vt', value: 'x' }]);
    expect(v.aliases).toEqual(['champ']);
    expect(v.last_updated_timestamp).toBe(renamed.last_updated_timestamp);
    await registry.createRegisteredModel('old');
    await expectCode(registry.renameRegisteredModel('new', 'old'), 'RESOURCE_ALREADY_EXISTS');
    await expectCode(registry.renameRegisteredModel('new', ''), 'INVALID_PARAMETER_VALUE', "'new_name'");
    await expectCode(registry.renameRegisteredModel('ghost', 'x'), 'RESOURCE_DOES_NOT_EXIST');
  });

  it('22–25: delete removes the model, its versions and aliases; re-creating starts at version 1', async () => {
    const { registry, dir } = await freshRegistry();
    const first = await registry.createRegisteredModel('m');
    await registry.createModelVersion('m', 's3://b/1');
    await registry.createModelVersion('m', 's3://b/2');
    await registry.setRegisteredModelAlias('m', 'a', 2);
    await registry.deleteRegisteredModel('m');
    await expectCode(registry.getRegisteredModel('m'), 'RESOURCE_DOES_NOT_EXIST');
    await expectCode(
      registry.getModelVersion('m', 1),
      'RESOURCE_DOES_NOT_EXIST',
      'Model Version (name=m, version=1) not found',
    );
    await expectCode(
      registry.getModelVersionByAlias('m', 'a'),
      'INVALID_PARAMETER_VALUE',
      'Registered model alias a not found.',
    );
    await expectCode(registry.deleteRegisteredModel('m'), 'RESOURCE_DOES_NOT_EXIST');
    expect((await git(dir, 'ls-tree', '-r', '--name-only', 'HEAD')).trim()).toBe('registry.yaml');
    const again = await registry.createRegisteredModel('m');
    expect(again.creation_timestamp).toBeGreaterThan(first.creation_timestamp);
    expect((await registry.createModelVersion('m', 's3://b/new')).version).toBe('1');
  });
});

describe('registered model tags (26–37)', () => {
  it('26–37', async () => {
    const { registry, dir } = await freshRegistry();
    await registry.createRegisteredModel('a');
    await registry.createRegisteredModel('b');
    await registry.setRegisteredModelTag('a', 'k', 'v1');
    await registry.setRegisteredModelTag('a', 'k', 'v2');
    await registry.setRegisteredModelTag('b', 'k', 'other');
    expect((await registry.getRegisteredModel('a')).tags).toEqual([{ key: 'k', value: 'v2' }]);
    expect((await registry.getRegisteredModel('b')).tags).toEqual([{ key: 'k', value: 'other' }]);
    await registry.setRegisteredModelTag('a', 'long', 'x'.repeat(4999));
    await expectCode(
      registry.setRegisteredModelTag('a', 'k', 'x'.repeat(100_001)),
      'INVALID_PARAMETER_VALUE',
      "'value' exceeds the maximum length of 100000 characters",
    );
    await expectCode(
      registry.setRegisteredModelTag('a', 'k'.repeat(251), 'v'),
      'INVALID_PARAMETER_VALUE',
      "'key' exceeds the maximum length of 250 characters",
    );
    await expectCode(
      registry.setRegisteredModelTag('a', '', 'v'),
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'key'",
    );
    for (const bad of ['#', '!', '@', '='].map((c) => `a${c}b`)) {
      await expectCode(
        registry.setRegisteredModelTag('a', bad, 'v'),
        'INVALID_PARAMETER_VALUE',
        'Names may only contain alphanumerics',
      );
    }
    for (const bad of ['a//b', 'a/', '/a', '../a', '.', 'a/./b', '..x']) {
      await expectCode(registry.setRegisteredModelTag('a', bad, 'v'), 'INVALID_PARAMETER_VALUE', 'resolve to');
    }
    for (const good of ['another key', 'a/b', 'ns:k', 'ключ', '日本'])
      await registry.setRegisteredModelTag('a', good, 'ok');
    await registry.setRegisteredModelTag('a', 'empty', '');
    await registry.setRegisteredModelTag('a', 'K', 'upper');
    const tags = Object.fromEntries((await registry.getRegisteredModel('a')).tags!.map((t) => [t.key, t.value]));
    expect(tags.empty).toBe('');
    expect(tags.K).toBe('upper');
    expect(tags.k).toBe('v2');
    await registry.deleteRegisteredModelTag('a', 'k');
    const before = await commitCount(dir);
    await registry.deleteRegisteredModelTag('a', 'never-set');
    expect(await commitCount(dir)).toBe(before);
    expect((await registry.getRegisteredModel('a')).tags!.some((t) => t.key === 'k')).toBe(false);
    await expectCode(registry.setRegisteredModelTag('ghost', 'k', 'v'), 'RESOURCE_DOES_NOT_EXIST');
    await expectCode(registry.deleteRegisteredModelTag('ghost', 'k'), 'RESOURCE_DOES_NOT_EXIST');
    await expectCleanRepo(dir);
  });

  it('tag writes leave last_updated_timestamp alone (MLflow SQL)', async () => {
    const { registry } = await freshRegistry();
    const rm = await registry.createRegisteredModel('a');
    await registry.setRegisteredModelTag('a', 'k', 'v');
    expect((await registry.getRegisteredModel('a')).last_updated_timestamp).toBe(rm.last_updated_timestamp);
  });
});

describe('model versions (38–59)', () => {
  it('38–45: create needs the model, numbers from 1 per model, READY/None, timestamps', async () => {
    const { registry } = await freshRegistry();
    await expectCode(registry.createModelVersion('ghost', 's3://x'), 'RESOURCE_DOES_NOT_EXIST');
    await registry.createRegisteredModel('a');
    await registry.createRegisteredModel('b');
    const a1 = await registry.createModelVersion('a', 's3://b/a1', {
      runId: 'r1',
      runLink: 'http://run/1',
      description: 'first',
      tags: { t: 'v' },
    });
    const a2 = await registry.createModelVersion('a', 's3://b/a2');
    const b1 = await registry.createModelVersion('b', 's3://b/b1');
    expect([a1.version, a2.version, b1.version]).toEqual(['1', '2', '1']);
    expect(a1).toMatchObject({
      current_stage: 'None',
      status: 'READY',
      run_id: 'r1',
      run_link: 'http://run/1',
      description: 'first',
      tags: [{ key: 't', value: 'v' }],
    });
    expect('status_message' in a1).toBe(false);
    expect(a1.creation_timestamp).toBe(a1.last_updated_timestamp);
    expect(a2.run_id).toBe('');
    const rm = await registry.getRegisteredModel('b');
    expect(rm.last_updated_timestamp).toBe(b1.creation_timestamp);
    expect(await registry.getModelVersion('a', '1')).toEqual(a1);
    await expectCode(
      registry.createModelVersion('a', ''),
      'INVALID_PARAMETER_VALUE',
      "Missing value for required parameter 'source'",
    );
  });

  it('47: a source with .. segments, encoded or not, or NUL is rejected', async () => {
    const { registry } = await freshRegistry();
    await registry.createRegisteredModel('a');
    for (const bad of ['s3:/b/p/../x', 's3://b/%2e%2e/x', 's3://b/%252e%252e/x', 's3://b/x\u0000y']) {
      await expectCode(
        registry.createModelVersion('a', bad),
        'INVALID_PARAMETER_VALUE',
        'Invalid model version source',
      );
    }
  });

  it('48: numbers are never reused after deletes', async () => {
    const { registry } = await freshRegistry();
    await registry.createRegisteredModel('a');
    for (let i = 0; i < 3; i++) await registry.createModelVersion('a', `s3://b/${i}`);
    await registry.deleteModelVersion('a', 1);
    await registry.deleteModelVersion('a', 3);
    expect((await registry.createModelVersion('a', 's3://b/4')).version).toBe('4');
  });

  it('49–50: copy keeps a models:/ source, resolves the download URI through chains, copies metadata not stage', async () => {
    const { registry } = await freshRegistry();
    await registry.createRegisteredModel('a');
    await registry.createModelVersion('a', 's3://b/a1', { runId: 'r', description: 'd', tags: { t: 'v' } });
    await registry.transitionModelVersionStage('a', 1, 'Production');
    await registry.setRegisteredModelAlias('a', 'champ', 1);
    const copy = await registry.copyModelVersion('models:/a/1', 'b');
    expect(copy).toMatchObject({
      name: 'b',
      version: '1',
      source: 'models:/a/1',
      current_stage: 'None',
      run_id: 'r',
      description: 'd',
      tags: [{ key: 't', value: 'v' }],
    });
    expect(copy.aliases).toBeUndefined();
    expect(await registry.getModelVersionDownloadUri('b', 1)).toBe('s3://b/a1');
    const copy2 = await registry.copyModelVersion('models:/b@latest', 'c');
    expect(copy2.source).toBe('models:/b/1');
    expect(await registry.getModelVersionDownloadUri('c', 1)).toBe('s3://b/a1');
  });

  it('52–55: get errors and aliases', async () => {
    const { registry } = await freshRegistry();
    await registry.createRegisteredModel('a');
    await registry.createModelVersion('a', 's3://b/1');
    await expectCode(
      registry.getModelVersion('a', 9),
      'RESOURCE_DOES_NOT_EXIST',
      'Model Version (name=a, version=9) not found',
    );
    await expectCode(
      registry.getModelVersion('a', 'abc'),
      'INVALID_PARAMETER_VALUE',
      "Parameter 'version' must be an integer, got 'abc'.",
    );
    await expectCode(registry.getModelVersion('ghost', 1), 'RESOURCE_DOES_NOT_EXIST');
    expect((await registry.getModelVersion('a', ' 01 ')).version).toBe('1');
    await registry.setRegisteredModelAlias('a', 'x', 1);
    await registry.setRegisteredModelAlias('a', 'y', '1');
    expect((await registry.getModelVersion('a', 1)).aliases!.sort()).toEqual(['x', 'y']);
  });

  it('56–59: update changes description and MV timestamp only', async () => {
    const { registry } = await freshRegistry();
    await registry.createRegisteredModel('a');
    const v = await registry.createModelVersion('a', 's3://b/1');
    const rmBefore = await registry.getRegisteredModel('a');
    const up = await registry.updateModelVersion('a', 1, { description: 'new' });
    expect(up.description).toBe('new');
    expect(up.last_updated_timestamp).toBeGreaterThan(v.last_updated_timestamp);
    expect(up.source).toBe(v.source);
    expect(up.current_stage).toBe('None');
    expect((await registry.getRegisteredModel('a')).last_updated_timestamp).toBe(rmBefore.last_updated_timestamp);
    expect((await registry.updateModelVersion('a', 1, { description: null })).description).toBe('');
    await expectCode(registry.updateModelVersion('a', 2, { description: 'x' }), 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('transitions (60–69)', () => {
  it('60–69', async () => {
    const { registry, dir } = await freshRegistry();
    await registry.createRegisteredModel('a');
    for (let i = 1; i <= 4; i++) await registry.createModelVersion('a', `s3://b/${i}`, { tags: { n: String(i) } });
    for (const s of ['STAGING', 'staging', 'StAgInG'])
      expect((await registry.transitionModelVersionStage('a', 1, s)).current_stage).toBe('Staging');
    await expectCode(
      registry.transitionModelVersionStage('a', 1, 'unknown'),
      'INVALID_PARAMETER_VALUE',
      'Invalid Model Version stage: unknown. Value must be one of None, Staging, Production, Archived.',
    );
    await expectCode(registry.transitionModelVersionStage('a', 1, 'Deleted_Internal'), 'INVALID_PARAMETER_VALUE');
    await registry.transitionModelVersionStage('a', 2, 'Production');
    await registry.transitionModelVersionStage('a', 3, 'Production');
    const prod = await registry.getLatestVersions('a', ['Production']);
    expect(prod.map((v) => v.version)).toEqual(['3']);
    const rmBefore = await registry.getRegisteredModel('a');
    const t = await registry.transitionModelVersionStage('a', 4, 'Production', { archiveExistingVersions: true });
    const v2 = await registry.getModelVersion('a', 2);
    const v3 = await registry.getModelVersion('a', 3);
    const v1 = await registry.getModelVersion('a', 1);
    expect([v2.current_stage, v3.current_stage, v1.current_stage]).toEqual(['Archived', 'Archived', 'Staging']);
    expect(v2.last_updated_timestamp).toBe(t.last_updated_timestamp);
    expect((await registry.getRegisteredModel('a')).last_updated_timestamp).toBeGreaterThan(
      rmBefore.last_updated_timestamp!,
    );
    expect((await git(dir, 'log', '-1', '--format=%s')).trim()).toBe('a: v4 None → Production; archived v2, v3');
    await expectCode(
      registry.transitionModelVersionStage('a', 1, 'Archived', { archiveExistingVersions: true }),
      'INVALID_PARAMETER_VALUE',
      'is not an Active stage',
    );
    const same = await registry.transitionModelVersionStage('a', 4, 'production');
    expect(same.last_updated_timestamp).toBeGreaterThan(t.last_updated_timestamp);
    expect(same).toMatchObject({ version: '4', source: 's3://b/4', tags: [{ key: 'n', value: '4' }] });
    await registry.deleteModelVersion('a', 1);
    await expectCode(registry.transitionModelVersionStage('a', 1, 'Production'), 'RESOURCE_DOES_NOT_EXIST');
    await expectCleanRepo(dir);
  });
});

describe('delete version (70–75), version tags (76–80)', () => {
  it('70–75', async () => {
    const { registry } = await freshRegistry();
    await registry.createRegisteredModel('a');
    await registry.createModelVersion('a', 's3://b/1');
    await registry.createModelVersion('a', 's3://b/2');
    await registry.setRegisteredModelAlias('a', 'champ', 2);
    const rm = await registry.getRegisteredModel('a');
    await registry.deleteModelVersion('a', 2);
    for (const call of [
      () => registry.getModelVersion('a', 2),
      () => registry.updateModelVersion('a', 2, { description: 'x' }),
      () => registry.transitionModelVersionStage('a', 2, 'Staging'),
      () => registry.setModelVersionTag('a', 2, 'k', 'v'),
      () => registry.deleteModelVersionTag('a', 2, 'k'),
      () => registry.setRegisteredModelAlias('a', 'x', 2),
      () => registry.getModelVersionDownloadUri('a', 2),
      () => registry.deleteModelVersion('a', 2),
    ])
      await expectCode(call(), 'RESOURCE_DOES_NOT_EXIST');
    const after = await registry.getRegisteredModel('a');
    expect(after.aliases).toBeUndefined();
    expect(after.last_updated_timestamp).toBeGreaterThan(rm.last_updated_timestamp!);
    await expectCode(
      registry.getModelVersionByAlias('a', 'champ'),
      'INVALID_PARAMETER_VALUE',
      'Registered model alias champ not found.',
    );
    expect(
      (await registry.searchModelVersions({ filterString: "name='a'" })).model_versions!.map((v) => v.version),
    ).toEqual(['1']);
  });

  it('76–80', async () => {
    const { registry } = await freshRegistry();
    await registry.createRegisteredModel('a');
    await registry.createModelVersion('a', 's3://b/1');
    await registry.createModelVersion('a', 's3://b/2');
    const v1 = await registry.getModelVersion('a', 1);
    await registry.setModelVersionTag('a', 1, 'k', 'v');
    await registry.setModelVersionTag('a', 1, 'k', 'w');
    await registry.setModelVersionTag('a', 2, 'k', 'other');
    await registry.setModelVersionTag('a', 1, 'e', '');
    const got = await registry.getModelVersion('a', 1);
    expect(got.tags).toEqual([
      { key: 'k', value: 'w' },
      { key: 'e', value: '' },
    ]);
    expect(got.last_updated_timestamp).toBe(v1.last_updated_timestamp);
    expect((await registry.getModelVersion('a', 2)).tags).toEqual([{ key: 'k', value: 'other' }]);
    await expectCode(registry.setModelVersionTag('a', 1, 'k', 'x'.repeat(100_001)), 'INVALID_PARAMETER_VALUE');
    await expectCode(registry.setModelVersionTag('a', 1, 'a//b', 'x'), 'INVALID_PARAMETER_VALUE');
    await expectCode(
      registry.setModelVersionTag('a', 'I am not a version', 'k', 'v'),
      'INVALID_PARAMETER_VALUE',
      "Parameter 'version' must be an integer, got 'I am not a version'.",
    );
    await registry.deleteModelVersionTag('a', 1, 'k');
    await registry.deleteModelVersionTag('a', 1, 'absent');
    expect((await registry.getModelVersion('a', 1)).tags).toEqual([{ key: 'e', value: '' }]);
  });
});

describe('aliases (81–96)', () => {
  it('81–96', async () => {
    const { registry, dir } = await freshRegistry();
    await registry.createRegisteredModel('m');
    await registry.createModelVersion('m', 's3://b/1');
    await registry.createModelVersion('m', 's3://b/2');
    await registry.setRegisteredModelAlias('m', 'test_alias', '2');
    expect((await registry.getRegisteredModel('m')).aliases).toEqual([{ alias: 'test_alias', version: '2' }]);
    expect((await registry.getModelVersion('m', 2)).aliases).toEqual(['test_alias']);
    expect((await registry.getModelVersion('m', 1)).aliases).toBeUndefined();
    await registry.setRegisteredModelAlias('m', 'test_alias', 1);
    expect((await registry.getModelVersion('m', 1)).aliases).toEqual(['test_alias']);
    await registry.setRegisteredModelAlias('m', 'second', 1);
    expect((await registry.getModelVersion('m', 1)).aliases!.sort()).toEqual(['second', 'test_alias']);
    for (const bad of ['has space', 'dot.ted', 'at@sign']) {
      await expectCode(
        registry.setRegisteredModelAlias('m', bad, 1),
        'INVALID_PARAMETER_VALUE',
        `Invalid alias name: '${bad}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
      );
    }
    await expectCode(
      registry.setRegisteredModelAlias('m', 'a'.repeat(256), 1),
      'INVALID_PARAMETER_VALUE',
      "'Registered model alias name' exceeds the maximum length of 255 characters",
    );
    for (const r of ['latest', 'LATEST', 'Latest'])
      await expectCode(
        registry.setRegisteredModelAlias('m', r, 1),
        'INVALID_PARAMETER_VALUE',
        "'latest' alias name (case insensitive) is reserved.",
      );
    for (const r of ['v1', 'V12'])
      await expectCode(
        registry.setRegisteredModelAlias('m', r, 1),
        'INVALID_PARAMETER_VALUE',
        `Version alias name '${r}' is reserved.`,
      );
    for (const ok of ['v1a', 'version1', 'champion-v1']) await registry.setRegisteredModelAlias('m', ok, 1);
    await expectCode(registry.setRegisteredModelAlias('m', 'x', 9), 'RESOURCE_DOES_NOT_EXIST');
    await expectCode(registry.setRegisteredModelAlias('m', 'x', 'one'), 'INVALID_PARAMETER_VALUE');
    await registry.deleteRegisteredModelAlias('m', 'second');
    expect((await registry.getModelVersion('m', 1)).aliases).not.toContain('second');
    const before = await commitCount(dir);
    await registry.deleteRegisteredModelAlias('m', 'never');
    expect(await commitCount(dir)).toBe(before);
    await expectCode(registry.deleteRegisteredModelAlias('ghost', 'x'), 'RESOURCE_DOES_NOT_EXIST');
    expect(await registry.getModelVersionByAlias('m', 'test_alias')).toEqual(await registry.getModelVersion('m', 1));
    await expectCode(
      registry.getModelVersionByAlias('m', 'nope'),
      'INVALID_PARAMETER_VALUE',
      'Registered model alias nope not found.',
    );
    expect((await registry.getModelVersionByAlias('m', 'LATEST')).version).toBe('2');
    await registry.setRegisteredModelAlias('m', 'Champ', 2);
    expect((await registry.getModelVersionByAlias('m', 'Champ')).version).toBe('2');
    await expectCode(registry.getModelVersionByAlias('m', 'champ'), 'INVALID_PARAMETER_VALUE');
    await expectCode(registry.setRegisteredModelAlias('m', '', 1), 'INVALID_PARAMETER_VALUE');
    await registry.createRegisteredModel('empty');
    await expectCode(
      registry.getModelVersionByAlias('empty', 'latest'),
      'RESOURCE_DOES_NOT_EXIST',
      'Latest version not found for model empty.',
    );
  });
});

describe('latest versions (97–102) and download URI (103–105)', () => {
  it('97–105', async () => {
    const { registry } = await freshRegistry();
    await expectCode(registry.getLatestVersions('ghost', ['bogus']), 'RESOURCE_DOES_NOT_EXIST');
    await registry.createRegisteredModel('m');
    for (let i = 1; i <= 3; i++) await registry.createModelVersion('m', `s3://b/${i}`);
    await registry.transitionModelVersionStage('m', 2, 'Production');
    expect((await registry.getLatestVersions('m')).map((v) => [v.current_stage, v.version])).toEqual([
      ['None', '3'],
      ['Production', '2'],
    ]);
    expect((await registry.getLatestVersions('m', [])).length).toBe(2);
    for (const s of [['Production'], ['production'], ['pROduction']])
      expect((await registry.getLatestVersions('m', s)).map((v) => v.version)).toEqual(['2']);
    expect((await registry.getLatestVersions('m', ['None', 'Production'])).length).toBe(2);
    expect(await registry.getLatestVersions('m', ['Staging'])).toEqual([]);
    await expectCode(
      registry.getLatestVersions('m', ['Prod']),
      'INVALID_PARAMETER_VALUE',
      'Invalid Model Version stage: Prod.',
    );
    expect(await registry.getModelVersionDownloadUri('m', 2)).toBe('s3://b/2');
    await registry.updateModelVersion('m', 2, { description: 'x' });
    expect(await registry.getModelVersionDownloadUri('m', 2)).toBe('s3://b/2');
    await expectCode(registry.getModelVersionDownloadUri('m', 'x'), 'INVALID_PARAMETER_VALUE');
  });
});

describe('search (106–141, library side)', () => {
  it('searches models and versions with filters, order and pages', async () => {
    const { registry } = await freshRegistry();
    for (const n of ['alpha', 'beta', 'gamma', 'delta']) {
      await registry.createRegisteredModel(n, {
        tags: { team: n.startsWith('a') || n.startsWith('b') ? 'risk' : 'growth' },
      });
      await registry.createModelVersion(n, `s3://b/${n}/1`, { runId: `run-${n}` });
      await registry.createModelVersion(n, `s3://b/${n}/2`);
    }
    const all = await registry.searchRegisteredModels();
    expect(all.registered_models!.map((m) => m.name)).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    expect(
      (await registry.searchRegisteredModels({ filterString: "tag.team = 'risk'" })).registered_models!.map(
        (m) => m.name,
      ),
    ).toEqual(['alpha', 'beta']);
    expect(
      (await registry.searchRegisteredModels({ filterString: "name LIKE '%ta'" })).registered_models!.map(
        (m) => m.name,
      ),
    ).toEqual(['beta', 'delta']);
    expect(await registry.searchRegisteredModels({ filterString: "name = 'none'" })).toEqual({});
    const p1 = await registry.searchRegisteredModels({ maxResults: 3, orderBy: ['name DESC'] });
    expect(p1.registered_models!.map((m) => m.name)).toEqual(['gamma', 'delta', 'beta']);
    const p2 = await registry.searchRegisteredModels({
      maxResults: 3,
      orderBy: ['name DESC'],
      pageToken: p1.next_page_token!,
    });
    expect(p2.registered_models!.map((m) => m.name)).toEqual(['alpha']);
    expect(p2.next_page_token).toBeUndefined();
    await expectCode(registry.searchRegisteredModels({ maxResults: 1001 }), 'INVALID_PARAMETER_VALUE');
    await expectCode(
      registry.searchRegisteredModels({ filterString: "name = 'a' OR name = 'b'" }),
      'INVALID_PARAMETER_VALUE',
    );
    const vs = await registry.searchModelVersions({ filterString: "run_id = 'run-beta'" });
    expect(vs.model_versions!.map((v) => [v.name, v.version])).toEqual([['beta', '1']]);
    const byNum = await registry.searchModelVersions({ filterString: "name = 'gamma' AND version_number >= 2" });
    expect(byNum.model_versions!.map((v) => v.version)).toEqual(['2']);
    const def = await registry.searchModelVersions();
    expect(def.model_versions![0]).toMatchObject({ name: 'delta', version: '2' }); // newest first
    expect(def.model_versions!.every((v) => v.aliases === undefined)).toBe(true);
  });
});

describe('models:/ resolution', () => {
  it('resolves versions, stages, latest, aliases and artifact paths', async () => {
    const { registry } = await freshRegistry();
    await registry.createRegisteredModel('fraud');
    for (let i = 1; i <= 3; i++) await registry.createModelVersion('fraud', `s3://b/fraud/${i}`);
    await registry.transitionModelVersionStage('fraud', 2, 'Production');
    await registry.setRegisteredModelAlias('fraud', 'champion', 2);
    expect((await registry.resolve('models:/fraud/1')).source).toBe('s3://b/fraud/1');
    expect((await registry.resolve('models:/fraud/production')).version).toBe('2');
    expect((await registry.resolve('models:/fraud/latest')).version).toBe('3');
    const r = await registry.resolve('models:/fraud@champion/sub/model.pkl');
    expect(r).toMatchObject({
      name: 'fraud',
      version: '2',
      stage: 'Production',
      aliases: ['champion'],
      artifact_uri: 's3://b/fraud/2/sub/model.pkl',
    });
    await expectCode(registry.resolve('models:/fraud/Staging'), 'RESOURCE_DOES_NOT_EXIST');
    await expectCode(registry.resolve('models:/fraud/9'), 'RESOURCE_DOES_NOT_EXIST');
    await expectCode(registry.resolve('models:/fraud@nope'), 'INVALID_PARAMETER_VALUE');
    await expectCode(registry.resolve('runs:/abc/model'), 'INVALID_PARAMETER_VALUE');
  });

  it('resolves as of a past commit or time', async () => {
    const { registry, dir } = await freshRegistry();
    await registry.createRegisteredModel('fraud');
    await registry.createModelVersion('fraud', 's3://b/1');
    await registry.createModelVersion('fraud', 's3://b/2');
    await registry.transitionModelVersionStage('fraud', 1, 'Production');
    const then = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const thenTime = new Date((Number((await git(dir, 'log', '-1', '--format=%ct')).trim()) + 0.5) * 1000);
    await registry.transitionModelVersionStage('fraud', 2, 'Production', { archiveExistingVersions: true });
    expect((await registry.resolve('models:/fraud/Production')).version).toBe('2');
    expect((await registry.resolve('models:/fraud/Production', { at: then })).version).toBe('1');
    expect((await registry.resolve('models:/fraud/Production', { at: 'HEAD~1' })).version).toBe('1');
    expect((await registry.resolve('models:/fraud/Production', { at: thenTime.toISOString() })).version).toBe('1');
  });
});
