// The import planner without git or HTTP: MLflow's wire form → documents, and the three-way decision per model.
import { describe, expect, it } from 'vitest';
import type { ModelEntry, RegistryState } from '../../src/domain/state.js';
import type { MlflowModelVersion, MlflowRegisteredModel } from '../../src/mlflow/types.js';
import {
  changedInMlflow,
  fingerprintEntry,
  fingerprintMlflow,
  planImport,
  stepChange,
  stepsChange,
  stepSubject,
  targetOf,
  type ImportRecord,
} from '../../src/sync/plan-import.js';
import type { MlflowSnapshot, SnapshotModel } from '../../src/sync/snapshot.js';

const T = Date.UTC(2026, 2, 1, 9, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function version(name: string, n: number, extra: Partial<MlflowModelVersion> & { user_id?: string } = {}) {
  return {
    name,
    version: String(n),
    creation_timestamp: T + n * 1000,
    last_updated_timestamp: T + n * 1000,
    current_stage: 'None',
    description: '',
    source: `s3://b/${name}/${n}`,
    run_id: '',
    status: 'READY',
    run_link: '',
    ...extra,
  };
}

function model(
  name: string,
  versions: ReturnType<typeof version>[],
  extra: Partial<MlflowRegisteredModel> = {},
): SnapshotModel {
  return {
    model: { name, creation_timestamp: T, last_updated_timestamp: T + 60_000, ...extra },
    versions: new Map(versions.map((v) => [Number(v.version), v])),
    storage: new Map(),
  };
}

function snapshot(...models: SnapshotModel[]): MlflowSnapshot {
  return { server: 'MLflow server http://mlflow.test', models: new Map(models.map((m) => [m.model.name, m])) };
}

function stateOf(...entries: ModelEntry[]): RegistryState {
  return { registry: { format_version: 2 }, models: new Map(entries.map((e) => [e.file.name, e])) };
}

/** The registry as a previous import left it, with the record that import wrote. */
function imported(s: MlflowSnapshot): { state: RegistryState; record: ImportRecord } {
  const plan = planImport(s, stateOf(), undefined);
  const entries = plan.steps.map((st) => st.target!);
  const models: ImportRecord['models'] = {};
  for (const st of plan.steps) Object.assign(models, st.record);
  return {
    state: stateOf(...entries),
    record: { server: s.server, branch: 'main', commit: 'c0', time: T, models: models as ImportRecord['models'] },
  };
}

const fraud = () =>
  model(
    'fraud',
    [
      version('fraud', 1, { current_stage: 'Archived' }),
      version('fraud', 2, {
        current_stage: 'Production',
        tags: [
          { key: 'b', value: '2' },
          { key: 'a', value: '1' },
        ],
      }),
      version('fraud', 4),
    ],
    {
      description: 'Card fraud',
      tags: [{ key: 'team', value: 'risk' }],
      aliases: [
        { alias: 'champion', version: '2' },
        { alias: 'old', version: '3' },
      ],
    },
  );

describe('targetOf: MLflow wire form → the documents', () => {
  it('keeps exact numbers with gaps, timestamps, tag order; drops aliases of deleted versions with a note', () => {
    const t = targetOf(fraud(), undefined);
    expect(t.problems).toEqual([]);
    expect(t.notes).toEqual(['fraud: alias old points to v3, which MLflow has deleted: not imported']);
    expect([...t.entry.versions.keys()]).toEqual([1, 2, 4]);
    expect(t.entry.file).toEqual({
      name: 'fraud',
      created_at: iso(T),
      updated_at: iso(T + 60_000),
      description: 'Card fraud',
      tags: { team: 'risk' },
    });
    expect(t.entry.aliases).toEqual({ champion: 2 });
    // v3, deleted in MLflow, keeps its number as a tombstone dated with MLflow's last update, so the derived
    // last-updated time is MLflow's.
    expect(t.entry.deleted).toEqual(new Map([[3, iso(T + 60_000)]]));
    expect(t.entry.latestVersion).toBe(4);
    expect(t.entry.lastUpdated).toBe(iso(T + 60_000));
    const v2 = t.entry.versions.get(2)!;
    expect(Object.keys(v2.tags!)).toEqual(['b', 'a']);
    expect(v2).toMatchObject({ version: 2, stage: 'Production', status: 'READY', created_at: iso(T + 2000) });
    expect(v2).not.toHaveProperty('run_id');
    expect(v2).not.toHaveProperty('description');
  });

  it('latest_version never goes below a number git has seen; a copy keeps its download location; user ids stay', () => {
    const m = model('copy', [version('copy', 1, { source: 'models:/fraud/2', user_id: 'ana' })]);
    m.storage.set(1, 's3://b/fraud/2');
    const seen = targetOf(model('copy', [version('copy', 7)]), undefined).entry;
    const t = targetOf(m, seen);
    expect(t.entry.latestVersion).toBe(7);
    expect([...t.entry.deleted.keys()]).toEqual([2, 3, 4, 5, 6, 7]);
    expect(t.entry.versions.get(1)).toMatchObject({
      source: 'models:/fraud/2',
      storage_location: 's3://b/fraud/2',
      user_id: 'ana',
    });
  });

  it.each([
    ['team/fraud', 'name must not contain a path separator'],
    ['zero\u200bwidth', 'name must not contain invisible or bidirectional formatting characters'],
  ])('a name mreg cannot store (%j) is a problem, not a document', (name, problem) => {
    expect(targetOf(model(name, [version(name, 1)]), undefined).problems[0]).toContain(problem);
  });

  it('a value the schema refuses is a problem naming the version and field', () => {
    const t = targetOf(model('m', [version('m', 1, { tags: [{ key: 'bad key!', value: 'x' }] })]), undefined);
    expect(t.problems.join()).toMatch(/^v1 tags/);
  });
});

describe('planImport: what to write, model by model', () => {
  it('the first import creates every model; a second plan of the same snapshot finds nothing to do', () => {
    const s = snapshot(fraud(), model('churn', [version('churn', 1)]));
    const first = planImport(s, stateOf(), undefined);
    expect(first.steps.map((st) => stepSubject(st))).toEqual([
      'churn: created with 1 version',
      'fraud: created with 3 versions',
    ]);
    expect(first.notes).toHaveLength(1);
    const { state, record } = imported(s);
    const again = planImport(s, state, record);
    expect(again.steps).toEqual([]);
    expect(again.conflicts).toEqual([]);
    expect(Object.keys(again.record).sort()).toEqual(['churn', 'fraud']);
    expect(changedInMlflow(s, record)).toEqual(new Set());
  });

  it('one step per changed model, with a message saying what changed', () => {
    const before = snapshot(fraud(), model('churn', [version('churn', 1)]));
    const { state, record } = imported(before);
    const f = fraud();
    f.versions.set(4, version('fraud', 4, { current_stage: 'Staging', last_updated_timestamp: T + 99_000 }));
    f.versions.set(5, version('fraud', 5));
    f.versions.delete(1);
    const after = snapshot(f, model('churn', [version('churn', 1)]));
    expect(changedInMlflow(after, record)).toEqual(new Set(['fraud']));
    const plan = planImport(after, state, record);
    expect(plan.steps.map((st) => stepSubject(st))).toEqual(['fraud: v1 deleted; v4 None → Staging; v5 registered']);
    const change = stepChange(plan.steps[0]!, after.server);
    expect([...change.deletes]).toEqual(['models/fraud/versions/1.yaml']);
    // Only the files of what changed: model.yaml is untouched, v1 leaves a tombstone.
    expect([...change.writes.keys()].sort()).toEqual([
      'models/fraud/deleted/1.yaml',
      'models/fraud/versions/4.yaml',
      'models/fraud/versions/5.yaml',
    ]);
    expect(change.message).toContain('Imported from MLflow server http://mlflow.test.');
  });

  it('a model deleted in MLflow is deleted; a renamed one is one rename', () => {
    const before = snapshot(fraud(), model('churn', [version('churn', 1)]));
    const { state, record } = imported(before);
    const renamed = fraud();
    renamed.model.name = 'fraud-v2';
    for (const v of renamed.versions.values()) v.name = 'fraud-v2';
    const plan = planImport(snapshot(renamed), state, record);
    expect(plan.steps.map((st) => stepSubject(st))).toEqual(['churn: deleted', 'fraud: renamed to fraud-v2']);
    expect(plan.steps[1]!.record).toEqual({ fraud: null, 'fraud-v2': expect.objectContaining({ synced: true }) });
  });

  it('a model re-created in MLflow (another creation time) starts its numbers again', () => {
    const { state, record } = imported(snapshot(fraud()));
    const again = model('fraud', [version('fraud', 1)]);
    again.model.creation_timestamp = T + 500_000;
    again.model.last_updated_timestamp = T + 500_000;
    again.versions.get(1)!.creation_timestamp = T + 500_001;
    again.versions.get(1)!.last_updated_timestamp = T + 500_001;
    const plan = planImport(snapshot(again), state, record);
    expect(plan.steps[0]!.target!.latestVersion).toBe(1);
    // The old model's tombstones go with it.
    expect(stepChange(plan.steps[0]!, 'x').deletes).toContain('models/fraud/deleted/3.yaml');
  });

  const edited = (state: RegistryState): RegistryState => {
    const e = state.models.get('fraud')!;
    return stateOf(...[...state.models.values()].filter((m) => m !== e), {
      ...e,
      file: { ...e.file, description: 'edited in git' },
    });
  };
  const mlflowChange = (): MlflowSnapshot => {
    const f = fraud();
    f.model.tags = [{ key: 'team', value: 'fraud-ops' }];
    return snapshot(f);
  };

  it.each([
    ['MLflow changed, git did not', false, true, undefined, 'step'],
    ['git changed, MLflow did not', true, false, undefined, 'kept'],
    ['both changed', true, true, undefined, 'conflict'],
    ['both changed, --prefer mlflow', true, true, 'mlflow', 'step'],
    ['both changed, --prefer git', true, true, 'git', 'none'],
  ] as const)('%s → %s', (_what, gitEdit, mlflowEdit, prefer, outcome) => {
    const { state, record } = imported(snapshot(fraud()));
    const plan = planImport(mlflowEdit ? mlflowChange() : snapshot(fraud()), gitEdit ? edited(state) : state, record, {
      prefer,
    });
    const got = plan.steps.length ? 'step' : plan.kept.length ? 'kept' : plan.conflicts.length ? 'conflict' : 'none';
    expect(got).toBe(outcome);
    if (outcome === 'step') expect(plan.steps[0]!.overwrites).toBe(gitEdit);
    if (outcome === 'conflict') expect(plan.conflicts[0]!.operations.map((o) => o.op)).toContain('model_tag_set');
    if (prefer === 'git') expect(plan.record.fraud).toMatchObject({ synced: false });
  });

  it('without a record, a model that differs is a conflict and a model only in git is kept', () => {
    const { state } = imported(snapshot(fraud(), model('churn', [version('churn', 1)])));
    const plan = planImport(mlflowChange(), state, undefined);
    expect(plan.conflicts.map((c) => c.name)).toEqual(['fraud']);
    expect(plan.kept).toEqual(['churn']);
    expect(plan.steps).toEqual([]);
  });

  it('fingerprints ignore alias order and key order but not tag order', () => {
    const a = fraud();
    const b = fraud();
    b.model.aliases = [...b.model.aliases!].reverse();
    expect(fingerprintMlflow(a)).toBe(fingerprintMlflow(b));
    b.model.tags = [{ key: 'x', value: '1' }, ...b.model.tags!];
    expect(fingerprintMlflow(a)).not.toBe(fingerprintMlflow(b));
    const e = targetOf(fraud(), undefined).entry;
    const shuffled: ModelEntry = { ...e, file: Object.fromEntries(Object.entries(e.file).reverse()) as typeof e.file };
    expect(fingerprintEntry(shuffled)).toBe(fingerprintEntry(e));
  });

  it('the first import is one Change holding every model', () => {
    const s = snapshot(fraud(), model('churn', [version('churn', 1)]));
    const change = stepsChange(planImport(s, stateOf(), undefined).steps, s.server);
    expect(change.message.split('\n')[0]).toBe('import from MLflow server http://mlflow.test: 2 models, 4 versions');
    // 2 model files, 4 versions, fraud's alias and its tombstone for v3.
    expect(change.writes.size).toBe(8);
    expect([...change.after.keys()].sort()).toEqual(['churn', 'fraud']);
  });
});
