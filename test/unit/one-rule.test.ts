// Rules that used to be written in two places and are now written once, tested without git: the alias rule
// (library, REST and models:/ URIs), the change policy check (write precheck and `mreg validate`), the search
// (library and REST) and the merge of two planned changes.
import { describe, expect, it } from 'vitest';
import { isRegistryError } from '../../src/errors.js';
import { encodeName } from '../../src/domain/names.js';
import { mergeChanges, type OpContext } from '../../src/domain/ops/change.js';
import { createRegisteredModel } from '../../src/domain/ops/models.js';
import { createModelVersion, registerModelVersion } from '../../src/domain/ops/versions.js';
import { checkChangePolicies } from '../../src/domain/policies.js';
import { modelVersionByAlias, resolveModelUri } from '../../src/domain/queries.js';
import { compileModelSearch, compileVersionSearch, pageByNumber, selectModels } from '../../src/domain/search.js';
import {
  modelEntry,
  type ModelEntry,
  type RegistryFile,
  type RegistryState,
  type VersionFile,
} from '../../src/domain/state.js';
import type { Stage } from '../../src/domain/stages.js';
import { parseModelUri } from '../../src/domain/uri.js';

const T = '2026-01-01T00:00:00.000Z';

function model(
  name: string,
  stages: Stage[],
  extra: { aliases?: Record<string, number>; at?: string } = {},
): ModelEntry {
  const at = extra.at ?? T;
  const versions = new Map<number, VersionFile>(
    stages.map((stage, i) => [
      i + 1,
      { version: i + 1, source: `s3://${name}/${i + 1}`, stage, status: 'READY', created_at: at, updated_at: at },
    ]),
  );
  return modelEntry({
    dir: encodeName(name),
    file: { name, created_at: at, updated_at: at },
    versions,
    aliases: extra.aliases ?? {},
  });
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isRegistryError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'ok';
}

describe('the alias rule', () => {
  it('an unknown model: `latest` needs the model (not found), any other alias is an unknown alias', () => {
    expect(codeOf(() => modelVersionByAlias(undefined, 'm', 'latest'))).toBe(
      'RESOURCE_DOES_NOT_EXIST: Registered Model with name=m not found',
    );
    expect(codeOf(() => modelVersionByAlias(undefined, 'm', 'champion'))).toBe(
      'INVALID_PARAMETER_VALUE: Registered model alias champion not found.',
    );
  });

  it('models:/name@alias answers as get_model_version_by_alias does, for a missing model too', () => {
    for (const alias of ['latest', 'LATEST', 'champion']) {
      const byUri = codeOf(() => resolveModelUri(undefined, parseModelUri(`models:/m@${alias}`)));
      expect(byUri).toBe(codeOf(() => modelVersionByAlias(undefined, 'm', alias)));
    }
    const m = model('m', ['Production', 'None'], { aliases: { champion: 1 } });
    expect(resolveModelUri(m, parseModelUri('models:/m@latest')).version).toBe('2');
    expect(resolveModelUri(m, parseModelUri('models:/m@champion')).version).toBe('1');
    expect(modelVersionByAlias(m, 'm', 'Latest').version).toBe(2);
  });
});

describe('checkChangePolicies', () => {
  const guarded: RegistryFile = {
    format_version: 2,
    policies: { transitions: { Production: ['Staging'] }, protected: [{ branches: ['main'], stages: ['Production'] }] },
  };

  it('judges a renamed model as itself moving, not as a deletion plus versions entering their stages', () => {
    const old = model('a', ['Production']);
    const renamed = { ...model('b', ['Production']), file: { ...model('b', ['Production']).file } };
    const problems = checkChangePolicies(
      [guarded],
      new Map([['a', old]]),
      new Map([
        ['a', null],
        ['b', renamed],
      ]),
      {
        branch: 'feature',
      },
    );
    expect(problems).toEqual([]);
  });

  it('without the rename pairing the same change would be refused (the check is not vacuous)', () => {
    const created = model('b', ['Production'], { at: '2026-02-01T00:00:00.000Z' });
    const problems = checkChangePolicies(
      [guarded],
      new Map([['a', model('a', ['Production'])]]),
      new Map([
        ['a', null],
        ['b', created],
      ]),
      {
        branch: 'feature',
      },
    );
    // Models in name order.
    expect(problems.map((p) => p.message)).toEqual([
      'policy: deleting a removes protected stages or aliases, which may only change on main',
      'policy: b v1 may enter Production only from Staging, not from None',
      'policy: b v1 None → Production may only change on main (this is feature)',
    ]);
    expect(new Set(problems.map((p) => p.code))).toEqual(new Set(['PERMISSION_DENIED']));
  });

  it('applies every registry given, reports a problem once, and skips the models asked', () => {
    const before = new Map([['m', model('m', ['None'])]]);
    const after = new Map([['m', model('m', ['Production'])]]);
    const copy: RegistryFile = JSON.parse(JSON.stringify(guarded));
    expect(checkChangePolicies([guarded, copy], before, after, { branch: 'main' })).toHaveLength(1);
    expect(checkChangePolicies([guarded], before, after, { branch: 'main', skip: (m) => m.dir === 'm' })).toEqual([]);
    expect(checkChangePolicies([{ format_version: 2 }], before, after, { branch: 'x' })).toEqual([]);
  });
});

describe('one search', () => {
  const state: RegistryState = {
    registry: { format_version: 2 },
    models: new Map(['b', 'a', 'c'].map((n) => [n, model(n, ['None', 'Staging'])])),
  };

  it('models: checks the request before it sees a state, then filters, orders and pages', () => {
    expect(codeOf(() => compileModelSearch({ filter: 'nonsense ==' }))).toMatch(/^INVALID_PARAMETER_VALUE/);
    expect(codeOf(() => compileModelSearch({ maxResults: 0 }))).toMatch(/^INVALID_PARAMETER_VALUE/);
    const first = compileModelSearch({ maxResults: 2 })(state);
    expect(first.items.map((e) => e.file.name)).toEqual(['a', 'b']);
    const rest = compileModelSearch({ maxResults: 2, pageToken: first.nextPageToken })(state);
    expect(rest).toEqual({ items: [state.models.get('c')] });
    expect(compileModelSearch({ filter: "name LIKE 'c%'" })(state).items).toHaveLength(1);
  });

  it('versions: MLflow default order, filter on the version fields', () => {
    const page = compileVersionSearch({ filter: "name = 'a'" })(state);
    expect(page.items.map((r) => `${r.model.file.name} v${r.version.version}`)).toEqual(['a v2', 'a v1']);
    expect(compileVersionSearch({ maxResults: 4 })(state).nextPageToken).toBeDefined();
  });

  it('the UI filters and sorts its own rows with the same grammar, and pages by number', () => {
    const rows = [...state.models.values()].map((e) => ({ name: e.file.name, tags: {}, created_ms: 0, updated_ms: 0 }));
    expect(selectModels(rows, null, ['name DESC']).map((r) => r.name)).toEqual(['c', 'b', 'a']);
    expect(pageByNumber([1, 2, 3, 4, 5], 9, 2)).toEqual({ items: [5], page: 3, pages: 3 });
    expect(pageByNumber([], 1, 25)).toEqual({ items: [], page: 1, pages: 1 });
  });
});

describe('merging planned changes', () => {
  const ctx: OpContext = { now: Date.parse(T), user: 'u' };

  it('registerModelVersion on a new model is its creation and v1 in one change', () => {
    const change = registerModelVersion(
      ctx,
      undefined,
      { name: 'm' },
      { source: 's3://m/1' },
      'm: created; v1 registered',
    );
    expect(change.message).toBe('m: created; v1 registered');
    expect([...change.writes.keys()]).toEqual(['models/m/model.yaml', 'models/m/versions/1.yaml']);
    expect(change.after.get('m')?.latestVersion).toBe(1);
    const existing = createRegisteredModel(ctx, undefined, { name: 'm' }).after.get('m')!;
    expect(registerModelVersion(ctx, existing, { name: 'm' }, { source: 's3://m/1' }, 'unused').message).toBe(
      'm: v1 registered',
    );
  });

  it('mergeChanges keeps the first change’s before and the second’s after', () => {
    const a = model('m', ['None']);
    const first = createModelVersion(ctx, a, { source: 's3://m/2' });
    const second = createModelVersion(ctx, first.after.get('m')!, { source: 's3://m/3' });
    const merged = mergeChanges(first, second, 'two');
    expect(merged.before.get('m')).toBe(a);
    expect(merged.after.get('m')?.latestVersion).toBe(3);
    expect([...merged.writes.keys()].sort()).toEqual(['models/m/versions/2.yaml', 'models/m/versions/3.yaml']);
  });
});
