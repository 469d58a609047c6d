// The export planner without HTTP: which REST writes recreate the registry in MLflow with the same numbers.
import { describe, expect, it } from 'vitest';
import { modelEntry, type ModelEntry, type RegistryState, type VersionFile } from '../../src/domain/state.js';
import { planExport } from '../../src/sync/plan-export.js';
import type { MlflowSnapshot, SnapshotModel } from '../../src/sync/snapshot.js';

const AT = '2026-03-01T09:00:00.000Z';

function v(n: number, extra: Partial<VersionFile> = {}): VersionFile {
  return {
    version: n,
    source: `s3://b/${n}`,
    stage: 'None',
    status: 'READY',
    created_at: AT,
    updated_at: AT,
    ...extra,
  };
}

/** A model whose numbers up to `latest` without a version are tombstones. */
function entry(
  name: string,
  latest: number,
  versions: VersionFile[],
  extra: Partial<ModelEntry['file']> & { aliases?: Record<string, number> } = {},
): ModelEntry {
  const { aliases = {}, ...fields } = extra;
  const deleted = new Map<number, string>();
  for (let n = 1; n <= latest; n++) if (!versions.some((x) => x.version === n)) deleted.set(n, AT);
  return modelEntry({
    dir: name,
    file: { name, created_at: AT, updated_at: AT, ...fields },
    versions: new Map(versions.map((x) => [x.version, x])),
    aliases,
    deleted,
  });
}

const state = (...e: ModelEntry[]): RegistryState => ({
  registry: { format_version: 2 },
  models: new Map(e.map((x) => [x.file.name, x])),
});

function there(name: string, numbers: number[], extra: Partial<SnapshotModel['model']> = {}): SnapshotModel {
  return {
    model: { name, creation_timestamp: 1, last_updated_timestamp: 1, ...extra },
    versions: new Map(
      numbers.map((n) => [
        n,
        {
          name,
          version: String(n),
          creation_timestamp: 1,
          last_updated_timestamp: 1,
          current_stage: 'None',
          description: '',
          source: `s3://b/${n}`,
          run_id: '',
          status: 'READY',
          run_link: '',
        },
      ]),
    ),
    storage: new Map(),
  };
}

const snap = (...m: SnapshotModel[]): MlflowSnapshot => ({
  server: 'MLflow server x',
  models: new Map(m.map((x) => [x.model.name, x])),
});

describe('planExport', () => {
  it('a new model: created, then every number in order — placeholders for gaps and deleted tail versions — then aliases', () => {
    const e = entry('fraud', 5, [v(1), v(3, { stage: 'Production', tags: { a: '1' } })], {
      aliases: { champion: 3 },
      tags: { team: 'risk' },
    });
    const plan = planExport(state(e), snap());
    expect(plan.models[0]!.actions).toEqual([
      { kind: 'create-model', body: { name: 'fraud', tags: [{ key: 'team', value: 'risk' }] } },
      { kind: 'create-version', version: 1, body: { name: 'fraud', source: 's3://b/1' }, stage: 'None' },
      { kind: 'placeholder', version: 2 },
      {
        kind: 'create-version',
        version: 3,
        body: { name: 'fraud', source: 's3://b/3', tags: [{ key: 'a', value: '1' }] },
        stage: 'Production',
      },
      { kind: 'placeholder', version: 4 },
      { kind: 'placeholder', version: 5 },
      { kind: 'set-alias', alias: 'champion', version: 3 },
    ]);
  });

  it('a model MLflow has: only versions above its highest; a lower missing number is reported, not faked', () => {
    const e = entry('fraud', 7, [v(1), v(2), v(3), v(6)]);
    const plan = planExport(state(e), snap(there('fraud', [1, 3])));
    const m = plan.models[0]!;
    expect(m.from).toBe(3);
    expect(m.actions).toEqual([
      { kind: 'placeholder', version: 4 },
      { kind: 'placeholder', version: 5 },
      { kind: 'create-version', version: 6, body: { name: 'fraud', source: 's3://b/6' }, stage: 'None' },
    ]);
    expect(m.differences).toEqual([
      'fraud v2: cannot be created with its number (MLflow is past v2, which it has deleted)',
    ]);
  });

  it('what differs is listed, and changed only with update', () => {
    const e = entry('fraud', 2, [v(1, { stage: 'Staging', description: 'new' }), v(2)], {
      description: 'git',
      tags: { team: 'risk' },
      aliases: { champion: 1 },
    });
    const t = there('fraud', [1, 2], {
      description: 'mlflow',
      tags: [{ key: 'old', value: 'x' }],
      aliases: [{ alias: 'champion', version: '2' }],
    });
    const report = planExport(state(e), snap(t)).models[0]!;
    expect(report.actions).toEqual([]);
    expect(report.differences).toEqual([
      'fraud v1: description differs',
      'fraud v1: stage is Staging in git',
      'fraud: description differs',
      'fraud: tag team differs',
      'fraud: tag old is not in git',
      'fraud: alias champion → v1 in git',
    ]);
    const update = planExport(state(e), snap(t), { update: true }).models[0]!;
    expect(update.actions.map((a) => a.kind)).toEqual([
      'update-version',
      'transition',
      'update-model',
      'set-model-tag',
      'delete-model-tag',
      'set-alias',
    ]);
    expect(update.differences).toEqual([]);
  });

  it('a second export of an exported registry plans nothing; status MLflow cannot hold is noted', () => {
    const e = entry('m', 1, [v(1, { status: 'FAILED_REGISTRATION', status_message: 'boom' })]);
    const plan = planExport(state(e), snap(there('m', [1]), there('other', [1])));
    expect(plan.models[0]!.actions).toEqual([]);
    expect(plan.models[0]!.notes).toEqual([
      'm v1: status FAILED_REGISTRATION cannot be set in MLflow (it will be READY)',
      'm v1: the status message cannot be set in MLflow',
    ]);
    expect(plan.onlyInMlflow).toEqual(['other']);
  });
});
