// The README's "Set up a team registry" walkthrough, run end to end with the built CLI as processes, once
// over file:// and once over the real ssh transport of git (a GIT_SSH_COMMAND that runs the git command
// locally, no sshd): a bare remote from `mreg init --bare`; a pipeline's clone that registers with --push; a
// reviewer who promotes a version on a branch, checked as the CI job checks it; the pipeline registering again
// meanwhile; the branch updated and merged as a host merges it (cleanly: format 2); and a replica that
// follows the remote and serves the promoted stage through MLflow's REST API and /api/v1/resolve.
import { createHmac } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cliEnv, mregOk } from '../helpers/cli.js';
import { git as gitHere, run, tempDir } from '../helpers/registry.js';
import { FAKE_SSH, serveProcess, startAuthGitServer, untilServing } from '../helpers/remotes.js';

interface Transport {
  name: string;
  url(bare: string): string;
  env(root: string): Record<string, string>;
}

const TRANSPORTS: Transport[] = [
  { name: 'file://', url: (bare) => `file://${bare}`, env: () => ({}) },
  {
    name: 'ssh (GIT_SSH_COMMAND)',
    url: (bare) => `ssh://git@git.example.test${bare}`,
    env: (root) => ({ GIT_SSH_COMMAND: FAKE_SSH, FAKE_SSH_LOG: path.join(root, 'ssh.log') }),
  },
];

async function tip(dir: string, ref = 'HEAD'): Promise<string> {
  return (await gitHere(dir, 'rev-parse', ref)).trim();
}

describe.each(TRANSPORTS)('team registry walkthrough over $name', (t) => {
  it('pipeline registers, a pull request promotes, the host merges, a replica serves the stage', async () => {
    const root = await tempDir('mreg-team-');
    const bare = path.join(root, 'host', 'ml', 'registry.git');
    const url = t.url(bare);
    const env = { ...t.env(root), GIT_CONFIG_GLOBAL: path.join(root, 'no-gitconfig') };
    const pipeline = path.join(root, 'pipeline');
    const reviewer = path.join(root, 'reviewer');
    // Plain git, as the people and the pipeline run it, with the same environment as mreg (the ssh command).
    const git = async (dir: string, ...args: string[]) =>
      (await run('git', args, { cwd: dir, env: cliEnv(env) })).stdout;

    // 1. The bare remote. Over ssh: made in place on the server. Over file://: as on a git host, an empty
    //    repository there, and a registry made locally and pushed into it.
    if (t.name.startsWith('ssh')) await mregOk(['init', '--bare', bare], { cwd: root, env });
    else {
      await git(root, 'init', '-q', '--bare', '--initial-branch=main', bare); // a host's default branch
      await mregOk(['init', '--bare', 'registry.git'], { cwd: root, env });
      await git(root, '-C', 'registry.git', 'push', '-q', url, 'main');
    }

    // 2. The pipeline clones it and registers, pushing each registration.
    await git(root, 'clone', '-q', url, pipeline);
    const reg1 = await mregOk(['register', 'fraud', '--source', 's3://models/fraud/1', '--run-id', 'run-1', '--push'], {
      cwd: pipeline,
      env,
    });
    expect(reg1.stdout).toMatch(/fraud: created; v1 registered \[[0-9a-f]{10}, pushed to origin\]/);
    expect(await tip(bare, 'main')).toBe(await tip(pipeline));

    // 3. A reviewer clones, branches and promotes v1 without committing, then runs the CI checks.
    await git(root, 'clone', '-q', url, reviewer);
    await git(reviewer, 'switch', '-q', '-c', 'promote-fraud-v1');
    await mregOk(
      ['transition', 'fraud', '1', 'Production', '--archive-existing', '--no-commit', '--target-branch', 'main'],
      {
        cwd: reviewer,
        env,
      },
    );
    expect(await readFile(path.join(reviewer, 'models/fraud/versions/1.yaml'), 'utf8')).toMatch(/^stage: Production$/m);
    await git(reviewer, 'commit', '-q', '-am', 'Promote fraud v1 to Production');
    await git(reviewer, 'push', '-q', '-u', 'origin', 'promote-fraud-v1');
    // What the CI job runs on the pull request (GITHUB_BASE_REF=main, a fetch-depth 0 checkout).
    const ci = { ...env, GITHUB_BASE_REF: 'main' };
    const check1 = await mregOk(['validate', '--base', 'origin/main'], { cwd: reviewer, env: ci });
    expect(check1.stdout + check1.stderr).not.toMatch(/error/i);
    const diff1 = await mregOk(['diff', 'origin/main', 'HEAD', '--format', 'markdown'], { cwd: reviewer, env: ci });
    expect(diff1.stdout).toContain('fraud');
    expect(diff1.stdout).toMatch(/Production/);

    // 4. Meanwhile the pipeline registers v2 and pushes it to main.
    const reg2 = await mregOk(['register', 'fraud', '--source', 's3://models/fraud/2', '--push'], {
      cwd: pipeline,
      env,
    });
    expect(reg2.stdout).toMatch(/v2 registered/);

    // 5. "Branches required up to date": the reviewer brings main into the branch (a clean merge: the
    //    promotion and the registration touch different files), the checks run again and pass.
    await git(reviewer, 'fetch', '-q', 'origin');
    await git(reviewer, 'merge', '-q', '--no-edit', 'origin/main');
    await mregOk(['validate', '--base', 'origin/main'], { cwd: reviewer, env: ci });
    const diff2 = await mregOk(['diff', 'origin/main', 'HEAD', '--format', 'markdown'], { cwd: reviewer, env: ci });
    expect(diff2.stdout).toMatch(/Production/);
    await git(reviewer, 'push', '-q', 'origin', 'promote-fraud-v1');

    // 6. The host merges the pull request with a merge commit; the pipeline has registered v3 meanwhile,
    //    so the merge is a real three-way merge, and it is clean.
    await mregOk(['register', 'fraud', '--source', 's3://models/fraud/3', '--push'], { cwd: pipeline, env });
    await git(reviewer, 'fetch', '-q', 'origin');
    await git(reviewer, 'switch', '-q', 'main');
    await git(reviewer, 'merge', '-q', '--ff-only', 'origin/main');
    await git(reviewer, 'merge', '-q', '--no-ff', '--no-edit', 'promote-fraud-v1');
    // The check on the push to main: what the merge changed, against its first parent.
    await mregOk(['validate', '--base', 'HEAD^1'], { cwd: reviewer, env: ci });
    await git(reviewer, 'push', '-q', 'origin', 'main');
    const head = await tip(bare, 'main');
    expect(head).toBe(await tip(reviewer));
    await git(bare, 'fsck', '--no-progress');
    // A merge commit whose two sides both changed the registry: v3 on main, the promotion on the branch.
    expect((await git(bare, 'rev-list', '--parents', '-n', '1', 'main')).trim().split(' ')).toHaveLength(3);
    expect(await git(bare, 'diff', '--name-only', 'main^2', 'main')).toContain('models/fraud/versions/3.yaml');
    expect(await git(bare, 'diff', '--name-only', 'main^1', 'main')).toContain('models/fraud/versions/1.yaml');

    // 7. A replica for a serving cluster follows the remote and serves the promoted stage. Its poll is an
    //    hour apart: what it picks up later comes through the host's push webhook.
    const hookSecret = 'walkthrough-hook-secret';
    const replica = await serveProcess(
      ['--remote', url, '--repo', path.join(root, 'replica'), '--interval', '3600', '--host', '127.0.0.1'],
      { cwd: root, env: { ...env, MREG_GIT_HOOK_SECRET: hookSecret } },
    );
    await untilServing(replica, head);
    const v1 = await replica.get('/api/2.0/mlflow/model-versions/get?name=fraud&version=1');
    expect(v1.status).toBe(200);
    expect(JSON.parse(v1.text).model_version).toMatchObject({
      name: 'fraud',
      version: '1',
      current_stage: 'Production',
      source: 's3://models/fraud/1',
    });
    const v3 = await replica.get('/api/2.0/mlflow/model-versions/get?name=fraud&version=3');
    expect(JSON.parse(v3.text).model_version).toMatchObject({ version: '3', current_stage: 'None' });
    const resolved = await replica.get(`/api/v1/resolve?uri=${encodeURIComponent('models:/fraud/Production')}`);
    expect(resolved.status).toBe(200);
    expect(JSON.parse(resolved.text)).toMatchObject({ name: 'fraud', version: '1', source: 's3://models/fraud/1' });

    // 8. The pipeline pulls and registers again on top of the merge; the host's push webhook (signed as
    //    GitHub signs) makes the replica fetch at once.
    await git(pipeline, 'pull', '-q', '--ff-only');
    await mregOk(['register', 'fraud', '--source', 's3://models/fraud/4', '--push'], { cwd: pipeline, env });
    const pushed = await tip(bare, 'main');
    const event = JSON.stringify({ ref: 'refs/heads/main', after: pushed });
    const hook = await fetch(`${replica.url}/api/v1/hooks/git`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-GitHub-Event': 'push',
        'X-Hub-Signature-256': 'sha256=' + createHmac('sha256', hookSecret).update(event).digest('hex'),
      },
      body: event,
    });
    expect(hook.status).toBe(202);
    await untilServing(replica, pushed);
    const stillProd = await replica.get(`/api/v1/resolve?uri=${encodeURIComponent('models:/fraud/Production')}`);
    expect(JSON.parse(stillProd.text)).toMatchObject({ version: '1' });

    if (t.name.startsWith('ssh')) {
      // The real ssh transport ran, for the pipeline's pushes and for the replica's fetches.
      const log = await readFile(path.join(root, 'ssh.log'), 'utf8');
      expect(log).toMatch(/git-receive-pack/);
      expect(log).toMatch(/git-upload-pack/);
    }
  }, 240_000);
});

// Step 2 of the walkthrough over https: the README's credential-helper and extra-header lines, run as written
// by a shell (only the host is this test's server), against a git server that demands the token.
describe('team registry walkthrough: pipeline credentials over https', () => {
  const TOKEN = 'ghs_walkthrough-0a1b2c';
  const LINES = {
    helper: (host: string) =>
      `git config --global credential.${host}.helper ` +
      `'!f() { echo username=x-access-token; echo "password=$REGISTRY_TOKEN"; }; f'`,
    extraheader: (host: string) =>
      `git config --global http.${host}/.extraheader ` +
      `"AUTHORIZATION: basic $(printf 'x-access-token:%s' "$REGISTRY_TOKEN" | base64 | tr -d '\\n')"`,
  };

  it.each(Object.keys(LINES) as (keyof typeof LINES)[])(
    '%s',
    async (how) => {
      const root = await tempDir('mreg-team-https-');
      await mregOk(['init', '--bare', path.join(root, 'served', 'registry.git')]);
      const server = await startAuthGitServer(path.join(root, 'served'), { user: 'x-access-token', password: TOKEN });
      onTestFinished(() => server.close());
      const gitconfig = path.join(root, 'gitconfig');
      await writeFile(gitconfig, '');
      const env = { GIT_CONFIG_GLOBAL: gitconfig, REGISTRY_TOKEN: TOKEN };
      const url = server.url('registry.git');
      await run('sh', ['-c', LINES[how](new URL(url).origin)], { cwd: root, env: cliEnv(env) });
      await run('git', ['clone', '-q', url, 'registry'], { cwd: root, env: cliEnv(env) });
      const r = await mregOk(['register', 'fraud', '--source', 's3://models/fraud/7', '--run-id', 'run-7', '--push'], {
        cwd: path.join(root, 'registry'),
        env,
      });
      expect(r.stdout).toMatch(/v1 registered \[[0-9a-f]{10}, pushed to origin\]/);
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
      expect(server.counts.receivePack).toBe(1);
      expect(
        await gitHere(path.join(root, 'served', 'registry.git'), 'show', 'main:models/fraud/versions/1.yaml'),
      ).toContain('s3://models/fraud/7');
    },
    120_000,
  );
});
