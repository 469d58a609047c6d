// The real MLflow Python client against `mreg gateway`: register_model, create_model_version, transitions,
// aliases, tags, updates, copy_model_version, rename and deletes, with a Bearer token and with Basic credentials.
// CI has no MLflow: this runs when MLFLOW_PYTHON names a Python whose `import mlflow` works (a 2.22 build, see
// the README), and is skipped with the reason printed otherwise. The request sequences themselves are replayed
// without MLflow in test/integration/gateway-api.test.ts.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { mregOk } from '../helpers/cli.js';
import { spawnGateway } from '../helpers/gateway.js';
import { expectCleanRepo, git, tempDir } from '../helpers/registry.js';

const run = promisify(execFile);
const PYTHON = process.env.MLFLOW_PYTHON;
const SCRIPT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/mlflow-client/registry-calls.py',
);

async function hasMlflow(): Promise<string | undefined> {
  if (!PYTHON) return 'MLFLOW_PYTHON is not set (point it at a Python with the mlflow package to run this test)';
  try {
    await run(PYTHON, ['-c', 'import mlflow'], { timeout: 120_000 });
    return undefined;
  } catch (e) {
    return `MLFLOW_PYTHON=${PYTHON} cannot import mlflow: ${(e as Error).message.split('\n')[0]}`;
  }
}

const skipReason = await hasMlflow();
if (skipReason) console.log(`gateway-mlflow-client: skipped: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('the MLflow Python client against mreg gateway', () => {
  for (const auth of ['bearer', 'basic'] as const) {
    it(`every registry call a pipeline makes, with ${auth === 'bearer' ? 'MLFLOW_TRACKING_TOKEN' : 'MLFLOW_TRACKING_USERNAME/PASSWORD'}`, async () => {
      const dir = path.join(await tempDir(), 'reg');
      await mregOk(['init', dir]);
      const token = (await mregOk(['token', 'add', 'pipeline', '--email', 'ci@example.com', '--repo', dir])).stdout
        .trim()
        .split('\n')
        .pop()!;
      const gw = await spawnGateway(['--repo', dir]);
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        MLFLOW_TRACKING_URI: gw.url,
        MLFLOW_REGISTRY_URI: gw.url,
      };
      if (auth === 'bearer') env.MLFLOW_TRACKING_TOKEN = token;
      else
        Object.assign(env, {
          MLFLOW_TRACKING_USERNAME: 'pipeline',
          MLFLOW_TRACKING_PASSWORD: token,
          MLFLOW_TRACKING_TOKEN: 'ignored',
        });
      const { stdout } = await run(PYTHON!, [SCRIPT, 'pipe'], { env, timeout: 300_000 });
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(out).toMatchObject({
        created: '1',
        registered: ['2', 'READY'],
        stage: 'Production',
        alias: '2',
        version_tags: { k: 'v', validated: 'true' },
        copy: ['pipe-copy', '1', 'models:/pipe/2', 's3://bucket/pipe/2'],
        latest: [
          ['1', 'Production'],
          ['2', 'None'],
        ],
        after: { description: 'updated', tags: { team: 'risk' }, aliases: {} },
        deleted: 'RESOURCE_DOES_NOT_EXIST',
      });
      // 17 writes changed something (register_model's create of an existing model did not): 17 commits, by the token.
      const authors = (await git(dir, 'log', '--format=%an <%ae>', 'main')).trim().split('\n');
      expect(authors.slice(0, 17)).toEqual(Array(17).fill('pipeline <ci@example.com>'));
      expect(authors.length).toBe(18);
      // Governance: once registry.yaml keeps Production for pull requests, the client's transition is refused.
      const { writeFile } = await import('node:fs/promises');
      await writeFile(
        path.join(dir, 'registry.yaml'),
        'format_version: 2\ngateway:\n  stages: [None, Staging, Archived]\n',
      );
      await git(dir, 'commit', '-qam', 'Production through pull requests only');
      const refused = await run(
        PYTHON!,
        [
          '-c',
          [
            'from mlflow import MlflowClient',
            'from mlflow.exceptions import MlflowException',
            'try:',
            "    MlflowClient().transition_model_version_stage('pipe-copy', '1', 'Production')",
            "    print('allowed')",
            'except MlflowException as e:',
            '    print(e.error_code, e.message)',
          ].join('\n'),
        ],
        { env, timeout: 300_000 },
      );
      expect(refused.stdout).toContain('PERMISSION_DENIED');
      expect(refused.stdout).toContain('gateway.stages');
      expect(await gw.stop()).toBe(0);
      await expectCleanRepo(dir);
    });
  }
});
