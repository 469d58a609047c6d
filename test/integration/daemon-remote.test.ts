// --remote: daemons follow a registry hosted behind native `git http-backend` on loopback, each through
// its own local clone, including a force-push that rewinds the remote branch. A daemon only fetches into
// refs/remotes/origin/<branch> and serves that: it never moves a local branch nor touches a work tree.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { makeSyntheticRegistry, synthVersionYaml } from '../../scripts/lib/synth.mjs';
import { startGitHttpServer } from '../helpers/git-http-server.js';
import { commitFiles, serveRepo, waitForCommit } from '../helpers/daemon.js';
import { git, tempDir } from '../helpers/registry.js';

const V3 = 'models/model-000/versions/3.yaml';
const describeV3 = (t: string): string =>
  synthVersionYaml(0, 3, 2, 10).replace('description: version 3 of model-000', `description: ${t}`);

describe('daemon --remote over smart HTTP', () => {
  it('two daemons serve one registry from the git host, following pushes and a force-push', async () => {
    const root = await tempDir('mreg-remote-');
    const head = await makeSyntheticRegistry(path.join(root, 'registry.git'), {
      models: 2,
      versionsPerModel: 10,
      bare: true,
    });
    const server = await startGitHttpServer(root);
    onTestFinished(() => server.close());
    const url = server.url('registry.git');
    const a = await serveRepo(path.join(root, 'clone-a'), { remote: url, interval: 0.2 });
    const b = await serveRepo(path.join(root, 'clone-b'), { remote: url, interval: 0.2 });
    await Promise.all([a.ready, b.ready]);
    expect((await a.get('/readyz')).commit).toBe(head);
    expect((await b.get('/readyz')).commit).toBe(head);
    expect((await a.get('/api/2.0/mlflow/registered-models/get?name=model-001')).status).toBe(200);

    // A pipeline pushes from its own work clone.
    const work = path.join(root, 'work');
    await git(root, 'clone', '-q', url, work);
    await git(work, 'config', 'user.name', 'Pipeline');
    await git(work, 'config', 'user.email', 'ci@example.com');
    const c1 = await commitFiles(work, { [V3]: describeV3('pushed') });
    await git(work, 'push', '-q', 'origin', 'HEAD:main');
    await Promise.all([waitForCommit(a, c1, '/readyz', 10_000), waitForCommit(b, c1, '/readyz', 10_000)]);
    for (const d of [a, b]) {
      expect(
        (await d.get('/api/2.0/mlflow/model-versions/get?name=model-000&version=3')).body.model_version.description,
      ).toBe('pushed');
    }
    const c2 = await commitFiles(work, { [V3]: describeV3('second') });
    await git(work, 'push', '-q', 'origin', 'HEAD:main');
    await waitForCommit(a, c2, '/readyz', 10_000);

    // Someone rewinds the remote branch: the daemons follow it back.
    await git(work, 'push', '-q', '--force', 'origin', `${c1}:main`);
    await Promise.all([waitForCommit(a, c1, '/readyz', 10_000), waitForCommit(b, c1, '/readyz', 10_000)]);
    expect(
      (await b.get('/api/2.0/mlflow/model-versions/get?name=model-000&version=3')).body.model_version.description,
    ).toBe('pushed');
    expect(server.requests.uploadPack).toBeGreaterThan(0);
    expect((await a.get('/metrics')).text).toMatch(/mreg_fetches_total [1-9]/);
    // What they serve is the remote-tracking ref; no local branch was made or moved.
    for (const clone of ['clone-a', 'clone-b']) {
      const dir = path.join(root, clone);
      expect((await git(dir, 'rev-parse', 'refs/remotes/origin/main')).trim()).toBe(c1);
      expect((await git(dir, 'for-each-ref', 'refs/heads')).trim()).toBe('');
    }
  });

  it('serving a work clone with --remote leaves its branch, index and files alone', async () => {
    const root = await tempDir('mreg-remote-');
    const head = await makeSyntheticRegistry(path.join(root, 'registry.git'), {
      models: 2,
      versionsPerModel: 10,
      bare: true,
    });
    const server = await startGitHttpServer(root);
    onTestFinished(() => server.close());
    const url = server.url('registry.git');
    const served = path.join(root, 'served');
    await git(root, 'clone', '-q', url, served);
    const before = await readFile(path.join(served, V3), 'utf8');
    const d = await serveRepo(served, { remote: url, interval: 0.2 });
    await d.ready;
    expect((await d.get('/readyz')).commit).toBe(head);

    const work = path.join(root, 'work');
    await git(root, 'clone', '-q', url, work);
    await git(work, 'config', 'user.name', 'Pipeline');
    await git(work, 'config', 'user.email', 'ci@example.com');
    const c1 = await commitFiles(work, { [V3]: describeV3('pushed') });
    await git(work, 'push', '-q', 'origin', 'HEAD:main');
    await waitForCommit(d, c1, '/readyz', 10_000);
    expect(
      (await d.get('/api/2.0/mlflow/model-versions/get?name=model-000&version=3')).body.model_version.description,
    ).toBe('pushed');

    // Let the fetch that brought c1 finish entirely: the follower fetches one at a time, so two more
    // fetches counted mean that one is over.
    const fetches = async (): Promise<number> =>
      Number(/mreg_fetches_total (\d+)/.exec((await d.get('/metrics')).text)?.[1] ?? NaN);
    const seen = await fetches();
    while ((await fetches()) < seen + 2) await new Promise((r) => setTimeout(r, 50));
    expect((await git(served, 'rev-parse', 'refs/remotes/origin/main')).trim()).toBe(c1);
    expect((await git(served, 'rev-parse', 'refs/heads/main')).trim()).toBe(head);
    expect(await readFile(path.join(served, V3), 'utf8')).toBe(before);
    expect((await git(served, 'status', '--porcelain')).trim()).toBe('');
  });
});
