// The planners of registered-model writes, called directly on models built in memory: the commit subject, the
// files written and deleted, the models after, the timestamps from the injected `now`, and every refusal.
import { describe, expect, it } from 'vitest';
import {
  createRegisteredModel,
  deleteRegisteredModel,
  deleteRegisteredModelAlias,
  deleteRegisteredModelTag,
  renameRegisteredModel,
  setRegisteredModelAlias,
  setRegisteredModelTag,
  updateRegisteredModel,
} from '../../src/domain/ops/models.js';
import type { Change } from '../../src/domain/ops/change.js';
import { requireModel } from '../../src/domain/queries.js';
import type { ModelEntry } from '../../src/domain/state.js';
import {
  buildModel,
  buildState,
  builtIso,
  CTX,
  errorOf,
  filesOf,
  incoherence,
  NOW_ISO,
  BAD_TAG_KEYS,
} from '../helpers/state.js';

const IPV = 'INVALID_PARAMETER_VALUE';

/** fraud: v1 Archived, v2 Production (champion), v3 Staging; a description and a tag. */
function fraud(): ModelEntry {
  return buildModel('fraud', {
    description: 'Card fraud',
    tags: { team: 'risk' },
    aliases: { champion: 2 },
    versions: { 1: 'Archived', 2: 'Production', 3: { stage: 'Staging', tags: { validated: 'true' } } },
  });
}

/** Alias names setting refuses: syntax, length and MLflow's reserved names. */
const BAD_ALIASES: Array<[string, unknown, string]> = [
  ['empty', '', 'Registered model alias name cannot be empty.'],
  ...['a b', 'a.b', 'a@b'].map((a): [string, unknown, string] => [
    JSON.stringify(a),
    a,
    `Invalid alias name: '${a}'. Names may only contain alphanumerics, underscores (_), and dashes (-).`,
  ]),
  ['of 256 characters', 'a'.repeat(256), "'Registered model alias name' exceeds the maximum length of 255 characters"],
  ...['latest', 'LATEST', 'Latest'].map((a): [string, unknown, string] => [
    `${JSON.stringify(a)} (reserved)`,
    a,
    "'latest' alias name (case insensitive) is reserved.",
  ]),
  ...['v1', 'V12'].map((a): [string, unknown, string] => [
    `${JSON.stringify(a)} (reserved)`,
    a,
    `Version alias name '${a}' is reserved.`,
  ]),
];

/** Names of Object.prototype members: valid tag keys and aliases that a plain object seems to hold. */
const PROTOTYPE_NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];

describe('the model a write needs', () => {
  it('an unknown model is RESOURCE_DOES_NOT_EXIST, named as MLflow names it', () => {
    expect(errorOf(() => requireModel(buildState({ fraud: {} }), 'ghost'))).toEqual({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Registered Model with name=ghost not found',
    });
  });
});

describe('createRegisteredModel', () => {
  it('writes model.yaml with no versions, created and updated now', () => {
    const change = createRegisteredModel(CTX, undefined, {
      name: 'fraud',
      tags: { team: 'risk' },
      description: 'Card fraud',
    });
    const file = {
      name: 'fraud',
      description: 'Card fraud',
      tags: { team: 'risk' },
      created_at: NOW_ISO,
      updated_at: NOW_ISO,
    };
    expect(change.message).toBe('fraud: created');
    expect(filesOf(change)).toEqual({ 'models/fraud/model.yaml': file });
    expect(change.after).toEqual(
      new Map([
        [
          'fraud',
          {
            dir: 'fraud',
            file,
            versions: new Map(),
            aliases: {},
            deleted: new Map(),
            latestVersion: 0,
            lastUpdated: NOW_ISO,
          },
        ],
      ]),
    );
    expect(change.before).toEqual(new Map());
  });

  it('leaves out an empty description and empty tags', () => {
    const change = createRegisteredModel(CTX, undefined, { name: 'fraud', tags: [], description: '' });
    expect(filesOf(change)).toEqual({
      'models/fraud/model.yaml': { name: 'fraud', created_at: NOW_ISO, updated_at: NOW_ISO },
    });
  });

  it("takes MLflow's [{key, value}] tags: the last duplicate wins and values become strings", () => {
    const change = createRegisteredModel(CTX, undefined, {
      name: 'fraud',
      tags: [
        { key: 'team', value: 'fraud' },
        { key: 'n', value: 12345 },
        { key: 'team', value: 'risk' },
        { key: 'empty' },
      ],
    });
    expect(change.after.get('fraud')?.file.tags).toEqual({ team: 'risk', n: '12345', empty: '' });
  });

  it('keeps the folder rule: upper case and spaces are spelled out', () => {
    const change = createRegisteredModel(CTX, undefined, { name: 'Fraud Detector' });
    expect(Object.keys(filesOf(change))).toEqual(['models/^fraud~20^detector/model.yaml']);
    expect(change.message).toBe('Fraud Detector: created');
  });

  it('refuses a taken name with RESOURCE_ALREADY_EXISTS', () => {
    const state = buildState({ fraud: {} });
    expect(errorOf(() => createRegisteredModel(CTX, state.models.get('fraud'), { name: 'fraud' }))).toEqual({
      code: 'RESOURCE_ALREADY_EXISTS',
      message: 'Registered Model (name=fraud) already exists.',
    });
  });

  it.each(BAD_TAG_KEYS)('refuses a tag key %s', (_, key, message) => {
    expect(
      errorOf(() => createRegisteredModel(CTX, undefined, { name: 'fraud', tags: [{ key, value: 'v' }] })),
    ).toEqual({ code: IPV, message });
  });

  it('refuses a tag value over 100,000 characters', () => {
    expect(
      errorOf(() => createRegisteredModel(CTX, undefined, { name: 'm', tags: { k: 'v'.repeat(100_001) } })),
    ).toEqual({ code: IPV, message: "'value' exceeds the maximum length of 100000 characters" });
  });

  it('refuses tags that are neither a map nor a list', () => {
    expect(errorOf(() => createRegisteredModel(CTX, undefined, { name: 'm', tags: 'team=risk' }))).toEqual({
      code: IPV,
      message: 'Tags must be a map of key to value or a list of {key, value}.',
    });
  });

  it.each(PROTOTYPE_NAMES)('keeps a tag whose key %j is also an Object.prototype member', (key) => {
    const change = createRegisteredModel(CTX, undefined, { name: 'm', tags: [{ key, value: 'v' }] });
    const tags = change.after.get('m')!.file.tags!;
    expect(Object.keys(tags)).toEqual([key]);
    expect(Object.getOwnPropertyDescriptor(tags, key)?.value).toBe('v');
  });
});

describe('updateRegisteredModel', () => {
  it('sets the description and moves only the model’s updated_at', () => {
    const before = fraud();
    const change = updateRegisteredModel(CTX, before, 'Scores card payments');
    const file = { ...before.file, description: 'Scores card payments', updated_at: NOW_ISO };
    expect(change.message).toBe('fraud: description updated');
    expect(filesOf(change)).toEqual({ 'models/fraud/model.yaml': file });
    // The model's last-updated time (derived) is the update's.
    expect(change.after).toEqual(new Map([['fraud', { ...before, file, lastUpdated: NOW_ISO }]]));
    expect(change.before).toEqual(new Map([['fraud', before]]));
    expect(file.created_at).toBe(builtIso());
  });

  it.each([[''], [null], [undefined]])('clears the description when given %j', (description) => {
    const change = updateRegisteredModel(CTX, fraud(), description);
    expect(change.message).toBe('fraud: description cleared');
    expect(change.after.get('fraud')!.file).not.toHaveProperty('description');
    expect(change.after.get('fraud')!.file.updated_at).toBe(NOW_ISO);
  });
});

describe('renameRegisteredModel', () => {
  it('moves the folder; versions, tags, aliases and creation time carry over; every timestamp becomes now', () => {
    const state = buildState({ churn: {} });
    const before = fraud();
    const change = renameRegisteredModel(CTX, before, state.models.get('Fraud Detector'), 'Fraud Detector');
    const dir = 'models/^fraud~20^detector';
    const v = (n: number) => ({ ...before.versions.get(n)!, updated_at: NOW_ISO });
    const file = { ...before.file, name: 'Fraud Detector', updated_at: NOW_ISO };
    expect(change.message).toBe('fraud: renamed to Fraud Detector');
    expect(filesOf(change)).toEqual({
      'models/fraud': null,
      [`${dir}/model.yaml`]: file,
      [`${dir}/versions/1.yaml`]: v(1),
      [`${dir}/versions/2.yaml`]: v(2),
      [`${dir}/versions/3.yaml`]: v(3),
      [`${dir}/aliases/champion.yaml`]: { alias: 'champion', version: 2 },
    });
    expect(change.after).toEqual(
      new Map([
        ['fraud', null],
        [
          'Fraud Detector',
          {
            dir: '^fraud~20^detector',
            file,
            versions: new Map([
              [1, v(1)],
              [2, v(2)],
              [3, v(3)],
            ]),
            aliases: { champion: 2 },
            deleted: new Map(),
            latestVersion: 3,
            lastUpdated: NOW_ISO,
          },
        ],
      ]),
    );
    expect(change.before).toEqual(new Map([['fraud', before]]));
    expect(file).toMatchObject({ created_at: builtIso(), tags: { team: 'risk' } });
  });

  it('refuses a name another model has, with RESOURCE_ALREADY_EXISTS', () => {
    const state = buildState({ fraud: {}, churn: {} });
    expect(
      errorOf(() => renameRegisteredModel(CTX, requireModel(state, 'fraud'), state.models.get('churn'), 'churn')),
    ).toEqual({ code: 'RESOURCE_ALREADY_EXISTS', message: 'Registered Model (name=churn) already exists.' });
  });

  it('refuses the model’s own name: there is no folder to move', () => {
    const state = buildState({ fraud: {} });
    const entry = requireModel(state, 'fraud');
    expect(errorOf(() => renameRegisteredModel(CTX, entry, entry, 'fraud'))).toEqual({
      code: 'RESOURCE_ALREADY_EXISTS',
      message: 'Registered Model (name=fraud) already exists.',
    });
  });
});

describe('deleteRegisteredModel', () => {
  it('deletes the whole folder and writes nothing', () => {
    const before = fraud();
    const change = deleteRegisteredModel(CTX, before);
    expect(change.message).toBe('fraud: deleted');
    expect(filesOf(change)).toEqual({ 'models/fraud': null });
    expect(change.after).toEqual(new Map([['fraud', null]]));
    expect(change.before).toEqual(new Map([['fraud', before]]));
  });
});

describe('setRegisteredModelTag', () => {
  it('adds a tag beside the others; no timestamp moves (MLflow’s SQL store)', () => {
    const before = fraud();
    const change = setRegisteredModelTag(CTX, before, 'owner', 'ada')!;
    const file = { ...before.file, tags: { team: 'risk', owner: 'ada' } };
    expect(change.message).toBe('fraud: tag owner set');
    expect(filesOf(change)).toEqual({ 'models/fraud/model.yaml': file });
    expect(change.after).toEqual(new Map([['fraud', { ...before, file }]]));
    expect(change.before).toEqual(new Map([['fraud', before]]));
  });

  it('overwrites a value', () => {
    const change = setRegisteredModelTag(CTX, fraud(), 'team', 'payments')!;
    expect(change.after.get('fraud')!.file.tags).toEqual({ team: 'payments' });
  });

  it('stores a missing value as "" and a number as its string', () => {
    expect(setRegisteredModelTag(CTX, fraud(), 'note', undefined)!.after.get('fraud')!.file.tags?.note).toBe('');
    expect(setRegisteredModelTag(CTX, fraud(), 'n', 12345)!.after.get('fraud')!.file.tags?.n).toBe('12345');
  });

  it('plans nothing when the tag already has that value', () => {
    expect(setRegisteredModelTag(CTX, fraud(), 'team', 'risk')).toBeNull();
  });

  it.each(BAD_TAG_KEYS)('refuses a key %s', (_, key, message) => {
    expect(errorOf(() => setRegisteredModelTag(CTX, fraud(), key, 'v'))).toEqual({ code: IPV, message });
  });

  it('refuses a value over 100,000 characters', () => {
    expect(errorOf(() => setRegisteredModelTag(CTX, fraud(), 'k', 'v'.repeat(100_001)))).toEqual({
      code: IPV,
      message: "'value' exceeds the maximum length of 100000 characters",
    });
  });
});

describe('deleteRegisteredModelTag', () => {
  it('removes only that key; no timestamp moves', () => {
    const before = buildModel('fraud', { tags: { team: 'risk', owner: 'ada' } });
    const change = deleteRegisteredModelTag(CTX, before, 'owner')!;
    const file = { ...before.file, tags: { team: 'risk' } };
    expect(change.message).toBe('fraud: tag owner deleted');
    expect(filesOf(change)).toEqual({ 'models/fraud/model.yaml': file });
    expect(change.after).toEqual(new Map([['fraud', { ...before, file }]]));
  });

  it('plans nothing for an absent key, or a model without tags', () => {
    expect(deleteRegisteredModelTag(CTX, fraud(), 'owner')).toBeNull();
    expect(deleteRegisteredModelTag(CTX, buildModel('bare'), 'owner')).toBeNull();
  });

  it.each(PROTOTYPE_NAMES)('plans nothing for the absent key %j (an Object.prototype member)', (key) => {
    expect(deleteRegisteredModelTag(CTX, fraud(), key)).toBeNull();
  });

  it.each(BAD_TAG_KEYS)('refuses a key %s', (_, key, message) => {
    expect(errorOf(() => deleteRegisteredModelTag(CTX, fraud(), key))).toEqual({ code: IPV, message });
  });
});

describe('setRegisteredModelAlias', () => {
  it('points a new alias at a version; no timestamp moves', () => {
    const before = fraud();
    const change = setRegisteredModelAlias(CTX, before, 'challenger', 3)!;
    expect(change.message).toBe('fraud: alias challenger → v3');
    // Only the alias's own file: model.yaml is untouched, so a registration on another branch merges.
    expect(filesOf(change)).toEqual({ 'models/fraud/aliases/challenger.yaml': { alias: 'challenger', version: 3 } });
    expect(change.after).toEqual(new Map([['fraud', { ...before, aliases: { champion: 2, challenger: 3 } }]]));
    expect(change.before).toEqual(new Map([['fraud', before]]));
  });

  it('moves an alias and says where it was', () => {
    const change = setRegisteredModelAlias(CTX, fraud(), 'champion', 3)!;
    expect(change.message).toBe('fraud: alias champion → v3 (was v2)');
    expect(change.after.get('fraud')!.aliases).toEqual({ champion: 3 });
    expect(filesOf(change)).toEqual({ 'models/fraud/aliases/champion.yaml': { alias: 'champion', version: 3 } });
  });

  it('plans nothing when the alias already points there', () => {
    expect(setRegisteredModelAlias(CTX, fraud(), 'champion', 2)).toBeNull();
  });

  it.each(['v1a', 'version1', 'champion-v1', 'Champ', 'чемпион'])('accepts the alias %j', (alias) => {
    expect(setRegisteredModelAlias(CTX, fraud(), alias, 1)!.after.get('fraud')!.aliases).toEqual({
      champion: 2,
      [alias]: 1,
    });
  });

  it.each(PROTOTYPE_NAMES)('sets the alias %j (an Object.prototype member) as a new one', (alias) => {
    const change = setRegisteredModelAlias(CTX, fraud(), alias, 3)!;
    expect(change.message).toBe(`fraud: alias ${alias} → v3`);
    expect(Object.getOwnPropertyDescriptor(change.after.get('fraud')!.aliases, alias)?.value).toBe(3);
  });

  it.each(BAD_ALIASES)('refuses an alias %s', (_, alias, message) => {
    expect(errorOf(() => setRegisteredModelAlias(CTX, fraud(), alias, 1))).toEqual({ code: IPV, message });
  });

  it('refuses a version the model does not have (deleted or never registered)', () => {
    const entry = buildModel('fraud', { latest_version: 3, versions: { 2: 'None' } });
    for (const n of [1, 9]) {
      expect(errorOf(() => setRegisteredModelAlias(CTX, entry, 'champion', n))).toEqual({
        code: 'RESOURCE_DOES_NOT_EXIST',
        message: `Model Version (name=fraud, version=${n}) not found`,
      });
    }
  });
});

describe('deleteRegisteredModelAlias', () => {
  it('removes the alias and says where it pointed; no timestamp moves', () => {
    const before = fraud();
    const change = deleteRegisteredModelAlias(CTX, before, 'champion')!;
    expect(change.message).toBe('fraud: alias champion deleted (was v2)');
    expect(filesOf(change)).toEqual({ 'models/fraud/aliases/champion.yaml': null });
    expect(change.after).toEqual(new Map([['fraud', { ...before, aliases: {} }]]));
  });

  it('plans nothing for an absent alias, or a model without aliases', () => {
    expect(deleteRegisteredModelAlias(CTX, fraud(), 'challenger')).toBeNull();
    expect(deleteRegisteredModelAlias(CTX, buildModel('bare'), 'challenger')).toBeNull();
  });

  it('does not apply the reserved names when deleting (MLflow): deleting `latest` or `v1` is a no-op', () => {
    expect(deleteRegisteredModelAlias(CTX, fraud(), 'latest')).toBeNull();
    expect(deleteRegisteredModelAlias(CTX, fraud(), 'v1')).toBeNull();
  });

  it('is case-sensitive: `Champion` is another alias', () => {
    expect(deleteRegisteredModelAlias(CTX, fraud(), 'Champion')).toBeNull();
  });

  it.each(PROTOTYPE_NAMES)('plans nothing for the absent alias %j (an Object.prototype member)', (alias) => {
    expect(deleteRegisteredModelAlias(CTX, fraud(), alias)).toBeNull();
  });

  it.each(BAD_ALIASES.slice(0, 5))('refuses a malformed alias %s', (_, alias, message) => {
    expect(errorOf(() => deleteRegisteredModelAlias(CTX, fraud(), alias))).toEqual({ code: IPV, message });
  });
});

describe('every model planner', () => {
  const plans: Array<[string, (e: ModelEntry) => Change | null]> = [
    ['create', () => createRegisteredModel(CTX, undefined, { name: 'churn', tags: { a: 'b' } })],
    ['update', (e) => updateRegisteredModel(CTX, e, 'new text')],
    ['rename', (e) => renameRegisteredModel(CTX, e, undefined, 'fraud2')],
    ['delete', (e) => deleteRegisteredModel(CTX, e)],
    ['set tag', (e) => setRegisteredModelTag(CTX, e, 'owner', 'ada')],
    ['delete tag', (e) => deleteRegisteredModelTag(CTX, e, 'team')],
    ['set alias', (e) => setRegisteredModelAlias(CTX, e, 'champion', 3)],
    ['delete alias', (e) => deleteRegisteredModelAlias(CTX, e, 'champion')],
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
