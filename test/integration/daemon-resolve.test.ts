// GET /api/v1/resolve: models:/ URIs now and as of a past commit, ref or time.
import { describe, expect, it } from 'vitest';
import { makeSyntheticRegistry, synthVersionYaml } from '../../scripts/lib/synth.mjs';
import { serveRepo, waitForCommit } from '../helpers/daemon.js';
import { git, run, tempDir } from '../helpers/registry.js';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

const R = '/api/v1/resolve?uri=';

async function commitAt(dir: string, file: string, text: string, isoDate: string): Promise<string> {
  await writeFile(path.join(dir, file), text);
  await git(dir, 'add', file);
  await run('git', ['commit', '-q', '-m', `change at ${isoDate}`], {
    cwd: dir,
    env: { ...process.env, GIT_COMMITTER_DATE: isoDate, GIT_AUTHOR_DATE: isoDate },
  });
  return (await git(dir, 'rev-parse', 'HEAD')).trim();
}

describe('/api/v1/resolve', () => {
  it('resolves versions, stages, latest and aliases with source, artifact path, run id and commit', async () => {
    const dir = await tempDir('mreg-resolve-');
    const head = await makeSyntheticRegistry(dir, { models: 2, versionsPerModel: 10 });
    const d = await serveRepo(dir);
    await d.ready;
    const prod = await d.get(R + encodeURIComponent('models:/model-001/Production'));
    expect(prod.status).toBe(200);
    expect(prod.commit).toBe(head);
    expect(prod.body).toEqual({
      name: 'model-001',
      version: '10',
      stage: 'Production',
      aliases: ['champion'],
      source: 's3://bucket/model-001/10',
      artifact_uri: 's3://bucket/model-001/10',
      run_id: prod.body.run_id,
      // The lineage keys are always there, '' when the version records none.
      digest: '',
      code_commit: '',
      dataset: '',
      user_id: '',
      commit: head,
    });
    expect(prod.body.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect((await d.get(R + encodeURIComponent('models:/model-001/staging'))).body.version).toBe('9');
    expect((await d.get(R + encodeURIComponent('models:/model-001/latest'))).body.version).toBe('10');
    expect((await d.get(R + encodeURIComponent('models:/model-001@challenger'))).body).toMatchObject({
      version: '9',
      stage: 'Staging',
      aliases: ['challenger'],
    });
    expect((await d.get(R + encodeURIComponent('models:/model-001/3/sub/model.pkl'))).body.artifact_uri).toBe(
      's3://bucket/model-001/3/sub/model.pkl',
    );
    const missing = await d.get(R + encodeURIComponent('models:/nope/1'));
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    const badAlias = await d.get(R + encodeURIComponent('models:/model-001@nope'));
    expect(badAlias.status).toBe(400);
    const bad = await d.get(R + encodeURIComponent('runs:/abc/model'));
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const none = await d.get('/api/v1/resolve');
    expect(none.status).toBe(400);
    expect(none.body.message).toMatch(/'uri'/);
  });

  it('answers as of a past commit, ref or time; the header names that commit', async () => {
    const dir = await tempDir('mreg-resolve-at-');
    const c0 = await makeSyntheticRegistry(dir, { models: 1, versionsPerModel: 10 });
    const v9 = 'models/model-000/versions/9.yaml';
    const v10 = 'models/model-000/versions/10.yaml';
    // Jan 10: v9 → Production (two Production versions; the highest wins). Jan 20: v10 → Archived.
    const c1 = await commitAt(
      dir,
      v9,
      synthVersionYaml(0, 9, 1, 10).replace('stage: Staging', 'stage: Production'),
      '2027-01-10T00:00:00Z',
    );
    const c2 = await commitAt(
      dir,
      v10,
      synthVersionYaml(0, 10, 1, 10).replace('stage: Production', 'stage: Archived'),
      '2027-01-20T00:00:00Z',
    );
    const d = await serveRepo(dir);
    await d.ready;
    await waitForCommit(d, c2);
    const uri = encodeURIComponent('models:/model-000/Production');
    const now = await d.get(R + uri);
    expect(now.body).toMatchObject({ version: '9', commit: c2 });
    const atC0 = await d.get(`${R}${uri}&at=${c0}`);
    expect(atC0.body).toMatchObject({ version: '10', commit: c0 });
    expect(atC0.commit).toBe(c0);
    expect((await d.get(`${R}${uri}&at=${c1.slice(0, 10)}`)).body).toMatchObject({ version: '10', commit: c1 });
    expect((await d.get(`${R}${uri}&at=main~2`)).body.commit).toBe(c0);
    expect((await d.get(`${R}${uri}&at=2027-01-15T12:00:00Z`)).body).toMatchObject({ version: '10', commit: c1 });
    expect((await d.get(`${R}${uri}&at=${Date.parse('2027-01-25T00:00:00Z')}`)).body).toMatchObject({
      version: '9',
      commit: c2,
    });
    const before = await d.get(`${R}${uri}&at=2001-01-01T00:00:00Z`);
    expect(before.status).toBe(404);
    for (const junk of ['../../etc/passwd', 'nonsense', 'refs/heads/../../config']) {
      const r = await d.get(`${R}${uri}&at=${encodeURIComponent(junk)}`);
      expect(r.status, junk).toBe(400);
      expect(r.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
  });
});
