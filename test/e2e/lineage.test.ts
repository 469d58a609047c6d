// Lineage for machines: digest, code_commit, dataset and user_id in the CLI's --json (get, versions, register)
// and in /api/v1/resolve, searchable by the CLI and the daemon — while MLflow's REST API keeps MLflow's shape.
import { describe, expect, it } from 'vitest';
import { mregOk, CLI_AUTHOR } from '../helpers/cli.js';
import { serveRepo } from '../helpers/daemon.js';
import { tempDir } from '../helpers/registry.js';

const DIGEST = 'sha256:' + 'ab'.repeat(32);
const LINEAGE = ['digest', 'code_commit', 'dataset', 'user_id'];

async function lineageRegistry(): Promise<string> {
  const dir = await tempDir('mreg-lineage-');
  await mregOk(['init', '--repo', dir]);
  await mregOk(['register', 'fraud', '--source', 's3://m/fraud/1', '--repo', dir]);
  return dir;
}

describe('lineage in --json and search', { timeout: 120_000 }, () => {
  it('register, get and versions print the lineage keys; versions --filter finds a version by digest', async () => {
    const dir = await lineageRegistry();
    const reg = await mregOk([
      'register',
      'fraud',
      '--source',
      's3://m/fraud/2',
      '--digest',
      DIGEST,
      '--code-commit',
      '4f2a9c1',
      '--dataset',
      's3://data/fraud/2026-01',
      '--json',
      '--repo',
      dir,
    ]);
    const want = {
      digest: DIGEST,
      code_commit: '4f2a9c1',
      dataset: 's3://data/fraud/2026-01',
      user_id: CLI_AUTHOR.name,
    };
    expect(JSON.parse(reg.stdout).model_version).toMatchObject({ version: '2', ...want });

    const got = JSON.parse((await mregOk(['get', 'fraud', '2', '--json', '--repo', dir])).stdout).model_version;
    expect(got).toMatchObject({ version: '2', ...want });
    // A version without lineage still has the keys, empty — as MLflow sends run_id.
    const v1 = JSON.parse((await mregOk(['get', 'fraud', '1', '--json', '--repo', dir])).stdout).model_version;
    expect(v1).toMatchObject({ digest: '', code_commit: '', dataset: '', user_id: CLI_AUTHOR.name });

    const all = JSON.parse((await mregOk(['versions', '--json', '--repo', dir])).stdout).model_versions;
    expect(all.map((v: Record<string, string>) => [v.version, v.digest])).toEqual([
      ['2', DIGEST],
      ['1', ''],
    ]);
    for (const [filter, versions] of [
      [`digest = '${DIGEST}'`, ['2']],
      [`code_commit LIKE '4f2a%'`, ['2']],
      [`dataset != 's3://data/fraud/2026-01'`, ['1']],
      [`user_id = '${CLI_AUTHOR.name}' AND name = 'fraud'`, ['2', '1']],
      [`digest = 'sha256:00'`, []],
    ] as const) {
      const r = JSON.parse((await mregOk(['versions', '--filter', filter, '--json', '--repo', dir])).stdout);
      expect({ filter, versions: (r.model_versions ?? []).map((v: { version: string }) => v.version) }).toEqual({
        filter,
        versions,
      });
    }
  });

  it('the daemon resolves with lineage and searches by it, but its MLflow responses stay MLflow-shaped', async () => {
    const dir = await lineageRegistry();
    await mregOk(['register', 'fraud', '--source', 's3://m/fraud/2', '--digest', DIGEST, '--repo', dir]);
    const d = await serveRepo(dir);
    await d.ready;
    const resolved = await d.get('/api/v1/resolve?uri=' + encodeURIComponent('models:/fraud/2'));
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ version: '2', digest: DIGEST, code_commit: '', dataset: '' });
    expect(resolved.body.user_id).toBe(CLI_AUTHOR.name);

    const search = await d.get(
      '/api/2.0/mlflow/model-versions/search?filter=' + encodeURIComponent(`digest = '${DIGEST}'`),
    );
    expect(search.status).toBe(200);
    expect(search.body.model_versions.map((v: { version: string }) => v.version)).toEqual(['2']);
    const mlflowBodies = [
      search.body.model_versions[0],
      (await d.get('/api/2.0/mlflow/model-versions/get?name=fraud&version=2')).body.model_version,
      ...(await d.get('/api/2.0/mlflow/registered-models/get?name=fraud')).body.registered_model.latest_versions,
    ];
    for (const v of mlflowBodies) for (const k of LINEAGE) expect(Object.keys(v)).not.toContain(k);
    // An unknown key still gets MLflow's own message, word for word.
    const bad = await d.get('/api/2.0/mlflow/model-versions/search?filter=' + encodeURIComponent("foo = 'x'"));
    expect(bad.body.message).toBe(
      "Invalid attribute key 'foo' specified. Valid keys are '{'source_path', 'version_number', 'run_id', 'name'}'",
    );
  });
});
