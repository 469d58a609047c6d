// The wire shapes' key order follows MLflow's proto field numbers (what MessageToJson emits).
import { describe, expect, it } from 'vitest';
import { modelEntry, type VersionFile } from '../../src/domain/state.js';
import { toMlflowModelVersion } from '../../src/mlflow/convert.js';

describe('toMlflowModelVersion', () => {
  it('emits keys in MLflow order: status, status_message, tags, run_link, aliases', () => {
    const v: VersionFile = {
      version: 1,
      source: 's3://b/1',
      stage: 'None',
      status: 'READY',
      status_message: 'ok',
      tags: { k: 'v' },
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    };
    const entry = modelEntry({
      dir: 'm',
      file: { name: 'm', created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z' },
      versions: new Map([[1, v]]),
      aliases: { champion: 1 },
    });
    const mv = toMlflowModelVersion(entry, v);
    expect(Object.keys(mv)).toEqual([
      'name',
      'version',
      'creation_timestamp',
      'last_updated_timestamp',
      'current_stage',
      'description',
      'source',
      'run_id',
      'status',
      'status_message',
      'tags',
      'run_link',
      'aliases',
    ]);
  });
});
