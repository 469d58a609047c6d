// The planners of model-version writes, called directly on models built in memory: the commit subject, the
// files written and deleted, the models after, the timestamps from the injected `now`, and every refusal.
import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/domain/ops/change.js';
import {
  createModelVersion,
  deleteModelVersion,
  deleteModelVersionTag,
  setModelVersionTag,
  transitionModelVersionStage,
  updateModelVersion,
} from '../../src/domain/ops/versions.js';
import type { ModelEntry, VersionFile } from '../../src/domain/state.js';
import {
  BAD_TAG_KEYS,
  buildModel,
  buildVersion,
  CTX,
  errorOf,
  filesOf,
  incoherence,
  NOW,
  NOW_ISO,
  type ModelSpec,
} from '../helpers/state.js';

const IPV = 'INVALID_PARAMETER_VALUE';
const DIGEST = `sha256:${'a'.repeat(64)}`;

/** fraud: v1 Archived, v2 Production (champion), v3 Staging with a tag. */
function fraud(spec: ModelSpec = {}): ModelEntry {
  return buildModel('fraud', {
    aliases: { champion: 2 },
    versions: { 1: 'Archived', 2: 'Production', 3: { stage: 'Staging', tags: { validated: 'true' } } },
    ...spec,
  });
}

/** The model's version `n` with some fields changed. */
function edited(entry: ModelEntry, n: number, fields: Partial<VersionFile>): VersionFile {
  return { ...entry.versions.get(n)!, ...fields };
}

function notFound(n: number) {
  return { code: 'RESOURCE_DOES_NOT_EXIST', message: `Model Version (name=fraud, version=${n}) not found` };
}

describe('createModelVersion', () => {
  it('registers latest_version + 1 in None, READY, created now by the context’s user, with every field given', () => {
    const before = buildModel('fraud', { latest_version: 3, versions: { 2: 'Production' } });
    const change = createModelVersion(CTX, before, {
      source: 's3://bucket/fraud/4',
      runId: 'run-4',
      runLink: 'https://ci.example/run-4',
      description: 'Retrained on February',
      tags: [{ key: 'k', value: 'v' }],
      digest: DIGEST,
      codeCommit: 'abc1234',
      dataset: 'transactions@2026-02',
    });
    const v4: VersionFile = {
      version: 4,
      source: 's3://bucket/fraud/4',
      run_id: 'run-4',
      run_link: 'https://ci.example/run-4',
      stage: 'None',
      status: 'READY',
      description: 'Retrained on February',
      tags: { k: 'v' },
      user_id: 'ada',
      digest: DIGEST,
      code_commit: 'abc1234',
      dataset: 'transactions@2026-02',
      created_at: NOW_ISO,
      updated_at: NOW_ISO,
    };
    expect(change.message).toBe('fraud: v4 registered');
    // Only the new version's file: two registrations on two branches conflict only when they claim one number.
    expect(filesOf(change)).toEqual({ 'models/fraud/versions/4.yaml': v4 });
    expect(change.after).toEqual(
      new Map([
        [
          'fraud',
          {
            ...before,
            latestVersion: 4,
            lastUpdated: NOW_ISO,
            versions: new Map([
              [2, before.versions.get(2)],
              [4, v4],
            ]),
          },
        ],
      ]),
    );
    expect(change.before).toEqual(new Map([['fraud', before]]));
  });

  it('gives a new model version 1 and leaves out what was not given, or given empty', () => {
    const change = createModelVersion({ now: NOW }, buildModel('fraud'), {
      source: 's3://bucket/fraud/1',
      runId: '',
      runLink: null,
      description: '',
      tags: {},
      digest: null,
    });
    expect(filesOf(change)['models/fraud/versions/1.yaml']).toEqual({
      version: 1,
      source: 's3://bucket/fraud/1',
      stage: 'None',
      status: 'READY',
      created_at: NOW_ISO,
      updated_at: NOW_ISO,
    });
  });

  it('needs only the numbers: the next one comes from latestVersion, not from the versions loaded', () => {
    const modelOnly = { ...buildModel('fraud', { versions: { 41: 'None' } }), versions: new Map() };
    expect(createModelVersion(CTX, modelOnly, { source: 's3://b/42' }).message).toBe('fraud: v42 registered');
  });

  it('keeps a copy’s source verbatim and records where its artifacts are', () => {
    const change = createModelVersion(CTX, buildModel('fraud'), {
      source: 'models:/churn/3',
      storageLocation: 's3://bucket/churn/3',
    });
    expect(change.after.get('fraud')!.versions.get(1)).toMatchObject({
      source: 'models:/churn/3',
      storage_location: 's3://bucket/churn/3',
    });
  });

  it.each(['s3://bucket/a..b/model', 'models:/churn/3', 'file:///models/fraud', 'gs://b/%41bc'])(
    'accepts the source %j',
    (source) => {
      expect(createModelVersion(CTX, buildModel('fraud'), { source }).after.get('fraud')!.versions.get(1)!.source).toBe(
        source,
      );
    },
  );

  const traversal = (s: string) =>
    `Invalid model version source: '${s}'. If supplying a source as an absolute path, the path must not contain '..' segments, NUL bytes or control characters.`;
  it.each<[string, unknown, string]>([
    [
      'missing',
      undefined,
      "Missing value for required parameter 'source'. See the API docs for more information about request parameters.",
    ],
    [
      'empty',
      '',
      "Missing value for required parameter 'source'. See the API docs for more information about request parameters.",
    ],
    ['not a string', 42, "Invalid model version source: '42'."],
    ['with a .. segment', 's3://b/p/../x', traversal('s3://b/p/../x')],
    ['with an encoded .. segment', 's3://b/p/%2e%2e/x', traversal('s3://b/p/%2e%2e/x')],
    ['with a twice-encoded .. segment', 's3://b/p/%252E%252E/x', traversal('s3://b/p/%252E%252E/x')],
    ['with a NUL byte', 's3://b/p\u0000x', traversal('s3://b/p\u0000x')],
    ['with a newline', 's3://b/p\nx', traversal('s3://b/p\nx')],
  ])('refuses a source %s', (_, source, message) => {
    expect(errorOf(() => createModelVersion(CTX, buildModel('fraud'), { source }))).toEqual({ code: IPV, message });
  });

  it.each(BAD_TAG_KEYS)('refuses a tag key %s', (_, key, message) => {
    expect(
      errorOf(() => createModelVersion(CTX, buildModel('fraud'), { source: 's3://b/1', tags: [{ key, value: 'v' }] })),
    ).toEqual({ code: IPV, message });
  });
});

describe('updateModelVersion', () => {
  it('sets the description and moves the version’s updated_at only: the model file is not written (MLflow)', () => {
    const before = fraud();
    const change = updateModelVersion(CTX, before, 2, 'Champion since March');
    const v2 = edited(before, 2, { description: 'Champion since March', updated_at: NOW_ISO });
    expect(change.message).toBe('fraud: v2 description updated');
    expect(filesOf(change)).toEqual({ 'models/fraud/versions/2.yaml': v2 });
    expect(change.after).toEqual(new Map([['fraud', { ...before, versions: new Map(before.versions).set(2, v2) }]]));
    expect(change.before).toEqual(new Map([['fraud', before]]));
  });

  it.each([[''], [null], [undefined]])('clears the description when given %j', (description) => {
    const before = buildModel('fraud', { versions: { 1: { description: 'old text' } } });
    const change = updateModelVersion(CTX, before, 1, description);
    expect(change.message).toBe('fraud: v1 description cleared');
    expect(filesOf(change)).toEqual({
      'models/fraud/versions/1.yaml': buildVersion('fraud', 1, { updated_at: NOW_ISO }),
    });
  });

  it('refuses a version the model does not have', () => {
    expect(errorOf(() => updateModelVersion(CTX, fraud(), 9, 'x'))).toEqual(notFound(9));
  });
});

describe('transitionModelVersionStage', () => {
  it('moves the version; the version and the model are updated now; other Production versions stay (MLflow)', () => {
    const before = fraud();
    const change = transitionModelVersionStage(CTX, before, 3, 'Production', false);
    const v3 = edited(before, 3, { stage: 'Production', updated_at: NOW_ISO, stage_updated_at: NOW_ISO });
    expect(change.message).toBe('fraud: v3 Staging → Production');
    // model.yaml is not written: the model's last-updated time derives from stage_updated_at.
    expect(filesOf(change)).toEqual({ 'models/fraud/versions/3.yaml': v3 });
    expect(change.after).toEqual(
      new Map([['fraud', { ...before, lastUpdated: NOW_ISO, versions: new Map(before.versions).set(3, v3) }]]),
    );
    expect(change.before).toEqual(new Map([['fraud', before]]));
  });

  it.each([
    ['STAGING', 'Staging'],
    ['staging', 'Staging'],
    ['StAgInG', 'Staging'],
    ['production', 'Production'],
    ['none', 'None'],
    ['ARCHIVED', 'Archived'],
  ])('takes %j as %s', (input, stage) => {
    const change = transitionModelVersionStage(CTX, fraud(), 3, input, false);
    expect(change.after.get('fraud')!.versions.get(3)!.stage).toBe(stage);
  });

  it.each<[unknown, string]>([
    ['unknown', 'Invalid Model Version stage: unknown. Value must be one of None, Staging, Production, Archived.'],
    [
      'Deleted_Internal',
      'Invalid Model Version stage: Deleted_Internal. Value must be one of None, Staging, Production, Archived.',
    ],
    ['Prod', 'Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived.'],
    [1, 'Invalid Model Version stage: 1. Value must be one of None, Staging, Production, Archived.'],
    [
      '',
      "Missing value for required parameter 'stage'. See the API docs for more information about request parameters.",
    ],
    [
      null,
      "Missing value for required parameter 'stage'. See the API docs for more information about request parameters.",
    ],
  ])('refuses the stage %j', (stage, message) => {
    expect(errorOf(() => transitionModelVersionStage(CTX, fraud(), 3, stage, false))).toEqual({ code: IPV, message });
  });

  it('with archiveExisting, archives the others in the target stage at the same instant, and names them', () => {
    const before = buildModel('fraud', {
      versions: { 1: 'Production', 2: 'Production', 3: 'Staging', 4: 'Staging', 5: 'None' },
    });
    const change = transitionModelVersionStage(CTX, before, 4, 'production', true);
    const archived = { stage: 'Archived' as const, updated_at: NOW_ISO, stage_updated_at: NOW_ISO };
    expect(change.message).toBe('fraud: v4 Staging → Production; archived v1, v2');
    expect(filesOf(change)).toEqual({
      'models/fraud/versions/4.yaml': edited(before, 4, {
        stage: 'Production',
        updated_at: NOW_ISO,
        stage_updated_at: NOW_ISO,
      }),
      'models/fraud/versions/1.yaml': edited(before, 1, archived),
      'models/fraud/versions/2.yaml': edited(before, 2, archived),
    });
  });

  it('with archiveExisting to Staging, Production versions are untouched (MLflow)', () => {
    const before = buildModel('fraud', { versions: { 1: 'Production', 2: 'Staging', 3: 'None' } });
    const change = transitionModelVersionStage(CTX, before, 3, 'Staging', true);
    expect(change.message).toBe('fraud: v3 None → Staging; archived v2');
    expect(Object.keys(filesOf(change)).sort()).toEqual([
      'models/fraud/versions/2.yaml',
      'models/fraud/versions/3.yaml',
    ]);
    expect(change.after.get('fraud')!.versions.get(1)).toEqual(before.versions.get(1));
  });

  it('names archived versions in ascending order whatever order the model holds them in', () => {
    const built = buildModel('fraud', { versions: { 1: 'Staging', 2: 'Staging', 10: 'Staging', 11: 'None' } });
    const reversed = { ...built, versions: new Map([...built.versions].reverse()) };
    expect(transitionModelVersionStage(CTX, reversed, 11, 'Staging', true).message).toBe(
      'fraud: v11 None → Staging; archived v1, v2, v10',
    );
  });

  it('with archiveExisting and nothing to archive, says nothing about archiving', () => {
    expect(transitionModelVersionStage(CTX, fraud(), 3, 'Staging', true).message).toBe('fraud: v3 Staging → Staging');
  });

  it('to the stage the version is in: allowed, and the timestamps move (MLflow)', () => {
    const change = transitionModelVersionStage(CTX, fraud(), 2, 'Production', false);
    expect(change.message).toBe('fraud: v2 Production → Production');
    expect(change.after.get('fraud')!.versions.get(2)!.updated_at).toBe(NOW_ISO);
    expect(change.after.get('fraud')!.versions.get(2)!.stage_updated_at).toBe(NOW_ISO);
    expect(change.after.get('fraud')!.lastUpdated).toBe(NOW_ISO);
  });

  it('to the stage the version is in, with archiveExisting: the others go, the version stays', () => {
    const before = buildModel('fraud', { versions: { 1: 'Production', 2: 'Production' } });
    const after = transitionModelVersionStage(CTX, before, 2, 'Production', true).after.get('fraud')!;
    expect([...after.versions.values()].map((v) => [v.version, v.stage])).toEqual([
      [1, 'Archived'],
      [2, 'Production'],
    ]);
  });

  it.each([
    ['None', 'None'],
    ['archived', 'Archived'],
  ])('refuses archiveExisting towards %s, naming the stage %s', (input, stage) => {
    expect(errorOf(() => transitionModelVersionStage(CTX, fraud(), 3, input, true))).toEqual({
      code: IPV,
      message: `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ['Staging', 'Production']`,
    });
  });

  it('refuses a version the model does not have', () => {
    expect(errorOf(() => transitionModelVersionStage(CTX, fraud(), 9, 'Staging', false))).toEqual(notFound(9));
  });
});

describe('deleteModelVersion', () => {
  it('replaces the file by a tombstone, drops the aliases that pointed at it and moves the model’s last-updated time', () => {
    const before = fraud({ aliases: { champion: 2, challenger: 3, shadow: 2 } });
    const change = deleteModelVersion(CTX, before, 2);
    expect(change.message).toBe('fraud: v2 deleted (aliases champion, shadow removed)');
    expect(filesOf(change)).toEqual({
      'models/fraud/versions/2.yaml': null,
      'models/fraud/deleted/2.yaml': { version: 2, deleted_at: NOW_ISO },
      'models/fraud/aliases/champion.yaml': null,
      'models/fraud/aliases/shadow.yaml': null,
    });
    const versions = new Map(before.versions);
    versions.delete(2);
    expect(change.after).toEqual(
      new Map([
        [
          'fraud',
          {
            ...before,
            aliases: { challenger: 3 },
            deleted: new Map([[2, NOW_ISO]]),
            lastUpdated: NOW_ISO,
            versions,
          },
        ],
      ]),
    );
    expect(change.before).toEqual(new Map([['fraud', before]]));
  });

  it('names no aliases when none pointed at it', () => {
    const change = deleteModelVersion(CTX, fraud(), 1);
    expect(change.message).toBe('fraud: v1 deleted');
    expect(change.after.get('fraud')!.aliases).toEqual({ champion: 2 });
  });

  it('names a dropped alias that is also an Object.prototype member', () => {
    const change = deleteModelVersion(CTX, fraud({ aliases: { champion: 2, toString: 2 } }), 2);
    expect(change.message).toBe('fraud: v2 deleted (aliases champion, toString removed)');
  });

  it('never frees the number: after deleting the highest version, the next registration takes the one after it', () => {
    const after = deleteModelVersion(CTX, fraud(), 3).after.get('fraud')!;
    expect(after.latestVersion).toBe(3);
    expect(after.deleted.has(3)).toBe(true);
    expect(createModelVersion(CTX, after, { source: 's3://b/4' }).message).toBe('fraud: v4 registered');
  });

  it('refuses a version the model does not have, including one just deleted', () => {
    const after = deleteModelVersion(CTX, fraud(), 3).after.get('fraud')!;
    expect(errorOf(() => deleteModelVersion(CTX, after, 3))).toEqual(notFound(3));
    expect(errorOf(() => deleteModelVersion(CTX, fraud(), 9))).toEqual(notFound(9));
  });
});

describe('setModelVersionTag', () => {
  it('adds a tag beside the others; only the version file is written and no timestamp moves', () => {
    const before = fraud();
    const change = setModelVersionTag(CTX, before, 3, 'owner', 'ada')!;
    const v3 = edited(before, 3, { tags: { validated: 'true', owner: 'ada' } });
    expect(change.message).toBe('fraud: v3 tag owner set');
    expect(filesOf(change)).toEqual({ 'models/fraud/versions/3.yaml': v3 });
    expect(change.after).toEqual(new Map([['fraud', { ...before, versions: new Map(before.versions).set(3, v3) }]]));
    expect(change.before).toEqual(new Map([['fraud', before]]));
  });

  it('overwrites a value, and stores "" as ""', () => {
    expect(
      setModelVersionTag(CTX, fraud(), 3, 'validated', 'false')!.after.get('fraud')!.versions.get(3)!.tags,
    ).toEqual({ validated: 'false' });
    expect(setModelVersionTag(CTX, fraud(), 1, 'note', '')!.after.get('fraud')!.versions.get(1)!.tags).toEqual({
      note: '',
    });
  });

  it('plans nothing when the tag already has that value', () => {
    expect(setModelVersionTag(CTX, fraud(), 3, 'validated', 'true')).toBeNull();
  });

  it.each([[null], [undefined]])('refuses the value %j (MLflow: a version tag value cannot be None)', (value) => {
    expect(errorOf(() => setModelVersionTag(CTX, fraud(), 3, 'k', value))).toEqual({
      code: IPV,
      message: 'Tag value cannot be None',
    });
  });

  it('refuses a value over 100,000 characters', () => {
    expect(errorOf(() => setModelVersionTag(CTX, fraud(), 3, 'k', 'v'.repeat(100_001)))).toEqual({
      code: IPV,
      message: "'value' exceeds the maximum length of 100000 characters",
    });
  });

  it.each(BAD_TAG_KEYS)('refuses a key %s', (_, key, message) => {
    expect(errorOf(() => setModelVersionTag(CTX, fraud(), 3, key, 'v'))).toEqual({ code: IPV, message });
  });

  it('refuses a version the model does not have; a bad key is reported first', () => {
    expect(errorOf(() => setModelVersionTag(CTX, fraud(), 9, 'k', 'v'))).toEqual(notFound(9));
    expect(errorOf(() => setModelVersionTag(CTX, fraud(), 9, 'a#b', 'v')).code).toBe(IPV);
  });
});

describe('deleteModelVersionTag', () => {
  it('removes only that key; only the version file is written', () => {
    const before = buildModel('fraud', { versions: { 1: 'None', 3: { tags: { validated: 'true', owner: 'ada' } } } });
    const change = deleteModelVersionTag(CTX, before, 3, 'owner')!;
    const v3 = edited(before, 3, { tags: { validated: 'true' } });
    expect(change.message).toBe('fraud: v3 tag owner deleted');
    expect(filesOf(change)).toEqual({ 'models/fraud/versions/3.yaml': v3 });
    expect(change.after).toEqual(new Map([['fraud', { ...before, versions: new Map(before.versions).set(3, v3) }]]));
  });

  it('plans nothing for an absent key, or a version without tags', () => {
    expect(deleteModelVersionTag(CTX, fraud(), 3, 'owner')).toBeNull();
    expect(deleteModelVersionTag(CTX, fraud(), 1, 'owner')).toBeNull();
  });

  it.each(['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'])(
    'plans nothing for the absent key %j (an Object.prototype member)',
    (key) => {
      expect(deleteModelVersionTag(CTX, fraud(), 3, key)).toBeNull();
    },
  );

  it.each(BAD_TAG_KEYS)('refuses a key %s', (_, key, message) => {
    expect(errorOf(() => deleteModelVersionTag(CTX, fraud(), 3, key))).toEqual({ code: IPV, message });
  });

  it('refuses a version the model does not have', () => {
    expect(errorOf(() => deleteModelVersionTag(CTX, fraud(), 9, 'validated'))).toEqual(notFound(9));
  });
});

describe('every version planner', () => {
  const plans: Array<[string, (e: ModelEntry) => Change | null]> = [
    ['create', (e) => createModelVersion(CTX, e, { source: 's3://b/4', tags: { a: 'b' } })],
    ['update', (e) => updateModelVersion(CTX, e, 2, 'text')],
    ['transition', (e) => transitionModelVersionStage(CTX, e, 3, 'Production', true)],
    ['delete', (e) => deleteModelVersion(CTX, e, 2)],
    ['set tag', (e) => setModelVersionTag(CTX, e, 3, 'owner', 'ada')],
    ['delete tag', (e) => deleteModelVersionTag(CTX, e, 3, 'validated')],
  ];

  it.each(plans)('%s leaves the model it was given untouched', (_, plan) => {
    const entry = fraud();
    const copy = structuredClone(entry);
    plan(entry);
    expect(entry).toEqual(copy);
  });

  it.each(plans)('%s writes what its `after` holds and leaves valid models', (_, plan) => {
    expect(incoherence(plan(fraud())!)).toEqual([]);
  });
});
