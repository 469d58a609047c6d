// The sharp edges a new user hit in the team trial (issue 10, item 5), each driven through the built CLI.
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { initRegistry } from '../../src/index.js';
import { stringifyDocument } from '../../src/store/yaml.js';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BIN, cliEnv, mreg, mregOk, ROOT } from '../helpers/cli.js';
import { AUTHOR, commitCount, git, tempDir } from '../helpers/registry.js';

async function registry(): Promise<string> {
  const dir = await tempDir('mreg-edges-');
  await mregOk(['init', '--repo', dir]);
  return dir;
}

const NO_IDENTITY = (home: string): Record<string, string | undefined> => ({
  MREG_AUTHOR_NAME: undefined,
  MREG_AUTHOR_EMAIL: undefined,
  GIT_AUTHOR_NAME: undefined,
  GIT_AUTHOR_EMAIL: undefined,
  GIT_COMMITTER_NAME: undefined,
  GIT_COMMITTER_EMAIL: undefined,
  EMAIL: undefined,
  GIT_CONFIG_GLOBAL: undefined,
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, '.config'),
});

describe('sharp edges', { timeout: 180_000 }, () => {
  it('a write into a git repository without registry.yaml is refused and commits nothing', async () => {
    const dir = await tempDir('mreg-not-a-registry-');
    await git(dir, 'init', '-q', '-b', 'main');
    await git(
      dir,
      '-c',
      `user.name=${AUTHOR.name}`,
      '-c',
      `user.email=${AUTHOR.email}`,
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'code',
    );
    for (const args of [
      ['register', 'fraud', '--source', 's3://m/1'],
      ['create', 'fraud'],
      ['register', 'fraud', '--source', 's3://m/1', '--no-commit'],
    ]) {
      const r = await mreg([...args, '--repo', dir]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(
        /^mreg: INVALID_STATE: .* is a git repository but not a registry \(.*no registry\.yaml\): run 'mreg init'/,
      );
    }
    expect(await commitCount(dir)).toBe(1);
    expect(await readdir(dir)).toEqual(['.git']);
  });

  it('a command run from a sub-folder of a registry finds its root, as git does', async () => {
    const dir = await registry();
    await mregOk(['register', 'fraud', '--source', 's3://m/1', '--repo', dir]);
    const sub = path.join(dir, 'models', 'fraud', 'versions');
    expect(JSON.parse((await mregOk(['get', 'fraud', '1', '--json'], { cwd: sub })).stdout).model_version.version).toBe(
      '1',
    );
    await mregOk(['register', 'fraud', '--source', 's3://m/2'], { cwd: sub });
    await mregOk(['transition', 'fraud', '2', 'staging', '--no-commit'], { cwd: path.join(dir, 'models') });
    // The edit landed in the registry's files at the root, not in a models/ of the folder it was run from.
    const status = (await git(dir, 'status', '--porcelain', '--untracked-files=all')).trimEnd().split('\n');
    expect(status).toContain(' M models/fraud/versions/2.yaml');
    expect(status.every((l) => l.startsWith(' M models/fraud/'))).toBe(true);
    expect(await readdir(sub)).toEqual(['1.yaml', '2.yaml']);
    expect((await mregOk(['validate'], { cwd: sub })).code).toBe(0);
    expect((await mregOk(['history', 'fraud', '--json'], { cwd: sub })).stdout).toContain('v2 registered');
    // Outside any repository the message says so, naming the folder.
    const outside = await tempDir('mreg-nowhere-');
    const r = await mreg(['get', 'fraud'], { cwd: outside });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a git repository (nor is any of its parent folders)');
    // A --repo that does not exist is a typo, not a sub-folder of the registry around it.
    const typo = await mreg(['get', 'fraud', '--repo', path.join(dir, 'modles')]);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('modles is not a git repository (no such folder)');
  });

  it('serve on a port in use says so and suggests --port; --port abc is a usage error quoting the value', async () => {
    const dir = await registry();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await mreg(['serve', '--port', String(port), '--repo', dir], { timeoutMs: 60_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `mreg: INVALID_STATE: Port ${port} on 127.0.0.1 is already in use: stop what listens there, or pick another with --port (0 picks a free one).\n`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    for (const bad of ['abc', '70000', '-1', '1.5']) {
      const r = await mreg(['serve', `--port=${bad}`, '--repo', dir]);
      expect({ bad, code: r.code }).toEqual({ bad, code: 2 });
      expect(r.stderr).toContain(`--port must be a port number from 0 to 65535, got '${bad}'.`);
    }
    const interval = await mreg(['serve', '--remote', dir, '--interval', 'soon', '--repo', dir]);
    expect(interval.code).toBe(2);
    expect(interval.stderr).toContain("got 'soon'");
  });

  it('history of an unknown model (or version) is an error; a known one still lists its commits', async () => {
    const dir = await registry();
    await mregOk(['register', 'fraud', '--source', 's3://m/1', '--repo', dir]);
    const r = await mreg(['history', 'frud', '--repo', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "mreg: RESOURCE_DOES_NOT_EXIST: Registered model 'frud' not found in the history of branch 'main'.\n",
    );
    const v = await mreg(['history', 'fraud', '9', '--json', '--repo', dir]);
    expect(v.code).toBe(1);
    expect(v.stdout).toBe('');
    expect(v.stderr).toContain("Version 9 of registered model 'fraud' not found");
    // In text too, nothing is printed before the error (not even the model's own entries).
    const vText = await mreg(['history', 'fraud', '9', '--repo', dir]);
    expect({ code: vText.code, stdout: vText.stdout }).toEqual({ code: 1, stdout: '' });
    const known = JSON.parse((await mregOk(['history', 'fraud', '1', '--json', '--repo', dir])).stdout).entries;
    expect(known).toHaveLength(1);
    expect(known[0].message).toBe('fraud: created; v1 registered');
  });

  it('with no author configured anywhere a write is refused, as git refuses; reads still work; EMAIL counts', async () => {
    const dir = await registry();
    await mregOk(['register', 'fraud', '--source', 's3://m/1', '--repo', dir]);
    const home = await tempDir('mreg-home-');
    const before = await commitCount(dir);
    const r = await mreg(['register', 'fraud', '--source', 's3://m/2', '--repo', dir], { env: NO_IDENTITY(home) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^mreg: INVALID_STATE: Author identity unknown: tell git who you are .*--author 'Name <email>'/,
    );
    expect(await commitCount(dir)).toBe(before);
    expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
    const init = await mreg(['init', '--repo', path.join(home, 'new')], { env: NO_IDENTITY(home) });
    expect(init.code).toBe(1);
    expect(init.stderr).toContain('Author identity unknown');
    // Reads need nobody.
    await mregOk(['get', 'fraud', '--repo', dir], { env: NO_IDENTITY(home) });
    // git's own fallbacks: EMAIL for the address, and --author always.
    await mregOk(['register', 'fraud', '--source', 's3://m/2', '--repo', dir], {
      env: { ...NO_IDENTITY(home), EMAIL: 'pipeline@example.com', GIT_AUTHOR_NAME: 'Pipeline' },
    });
    await mregOk(['register', 'fraud', '--source', 's3://m/3', '--author', 'Ann <ann@example.com>', '--repo', dir], {
      env: NO_IDENTITY(home),
    });
    expect((await git(dir, 'log', '-2', '--format=%an <%ae>')).trim().split('\n')).toEqual([
      'Ann <ann@example.com>',
      'Pipeline <pipeline@example.com>',
    ]);
  });

  it('names with leading or trailing white space are refused', async () => {
    const dir = await registry();
    for (const name of [' fraud', 'fraud ', 'fraud\u00a0']) {
      const r = await mreg(['register', name, '--source', 's3://m/1', '--repo', dir]);
      expect({ name, code: r.code }).toEqual({ name, code: 1 });
      expect(r.stderr).toContain('must not begin or end with white space');
    }
    expect(await commitCount(dir)).toBe(1);
  });

  it('register --stage and --alias set them in the same commit, through the policies; a refusal lists every problem', async () => {
    const dir = await tempDir('mreg-edges-');
    await initRegistry(dir, {
      author: AUTHOR,
      registry: {
        policies: { required_fields: { Production: ['digest', 'run_id'] }, max_versions_per_stage: { Staging: 1 } },
      },
    });
    const first = await mregOk([
      'register',
      'fraud',
      '--source',
      's3://m/1',
      '--stage',
      'staging',
      '--alias',
      'challenger',
      '--alias',
      'latest-ci',
      '--json',
      '--repo',
      dir,
    ]);
    expect(JSON.parse(first.stdout).model_version).toMatchObject({
      version: '1',
      current_stage: 'Staging',
      aliases: ['challenger', 'latest-ci'],
    });
    expect((await git(dir, 'log', '-1', '--format=%s')).trim()).toBe(
      'fraud: created; v1 registered; v1 None → Staging; alias challenger → v1; alias latest-ci → v1',
    );
    expect(await commitCount(dir)).toBe(2);

    // Staging holds at most one version: --archive-existing makes room in the same commit.
    const second = await mregOk([
      'register',
      'fraud',
      '--source',
      's3://m/2',
      '--stage',
      'Staging',
      '--archive-existing',
      '--alias',
      'challenger',
      '--repo',
      dir,
    ]);
    expect(second.stdout).toMatch(
      /^fraud: v2 registered; v2 None → Staging; archived v1; alias challenger → v2 \(was v1\) \[/,
    );
    const v1 = JSON.parse((await mregOk(['get', 'fraud', '1', '--json', '--repo', dir])).stdout).model_version;
    expect(v1).toMatchObject({ current_stage: 'Archived', aliases: ['latest-ci'] });
    expect(await commitCount(dir)).toBe(3);

    // Two problems: both named, nothing written.
    const refused = await mreg(['register', 'fraud', '--source', 's3://m/3', '--stage', 'production', '--repo', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "mreg: PERMISSION_DENIED: Rejected (2 problems): models/fraud/versions/3.yaml:1: policy: fraud v3 needs 'digest' before it can enter Production; models/fraud/versions/3.yaml:1: policy: fraud v3 needs 'run_id' before it can enter Production\n",
    );
    for (const [args, message] of [
      [['--stage', 'Prod'], /stage/i],
      [['--alias', 'bad alias!'], /alias/i],
      [['--archive-existing'], /Missing dependent arguments|stage/],
    ] as const) {
      const r = await mreg(['register', 'fraud', '--source', 's3://m/3', ...args, '--repo', dir]);
      expect({ args, code: r.code === 0 }).toEqual({ args, code: false });
      expect(r.stderr).toMatch(message);
    }
    expect(await commitCount(dir)).toBe(3);
    expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
  });

  it('diff --format markdown shows each policy change of registry.yaml and flags a relaxed one', async () => {
    const dir = await tempDir('mreg-edges-');
    const policies = { transitions: { Production: ['Staging' as const] }, max_versions_per_stage: { Production: 1 } };
    await initRegistry(dir, { author: AUTHOR, registry: { policies } });
    await git(dir, 'checkout', '-q', '-b', 'loosen');
    // The registry file as canonical YAML, as an editor of the pull request would leave it.
    const loosened = {
      format_version: 2,
      policies: { max_versions_per_stage: { Production: 2 }, required_fields: { Production: ['digest' as const] } },
    };
    await writeFile(path.join(dir, 'registry.yaml'), stringifyDocument('registry', loosened));
    await git(
      dir,
      '-c',
      `user.name=${AUTHOR.name}`,
      '-c',
      `user.email=${AUTHOR.email}`,
      'commit',
      '-q',
      '-am',
      'loosen',
    );
    const md = (await mregOk(['diff', 'main', 'loosen', '--format', 'markdown', '--repo', dir])).stdout;
    expect(md).toContain('— ⚠️ **2 policies relaxed**');
    const lines = md.split('\n');
    expect(lines).toContain('- policy `transitions.Production`: only from Staging → from any stage ⚠️ **relaxed**');
    expect(lines).toContain('- policy `max_versions_per_stage.Production`: at most 1 → at most 2 ⚠️ **relaxed**');
    expect(lines).toContain('- policy `required_fields.Production`: nothing → digest');
    const text = (await mregOk(['diff', 'main', 'loosen', '--repo', dir])).stdout;
    expect(text).toContain('policy max_versions_per_stage.Production: at most 1 → at most 2 (relaxed)');
  });

  it('get, versions and search take --at', async () => {
    const dir = await registry();
    await mregOk(['register', 'fraud', '--source', 's3://m/1', '--repo', dir]);
    const c1 = (await git(dir, 'rev-parse', 'HEAD')).trim();
    await mregOk(['register', 'fraud', '--source', 's3://m/2', '--repo', dir]);
    await mregOk(['transition', 'fraud', '2', 'production', '--repo', dir]);
    await mregOk(['create', 'churn', '--repo', dir]);
    const json = async (args: string[]) => JSON.parse((await mregOk([...args, '--json', '--repo', dir])).stdout);

    expect(
      (await json(['get', 'fraud', '--at', c1])).registered_model.latest_versions.map(
        (v: { version: string }) => v.version,
      ),
    ).toEqual(['1']);
    expect((await json(['get', 'fraud', '2'])).model_version.current_stage).toBe('Production');
    expect((await mreg(['get', 'fraud', '2', '--at', c1, '--repo', dir])).code).toBe(1);
    expect((await json(['get', 'fraud', '2', '--at', 'HEAD~1'])).model_version.current_stage).toBe('Production');
    expect((await json(['get', 'fraud', '2', '--at', 'HEAD~2'])).model_version.current_stage).toBe('None');
    expect((await json(['versions', '--at', c1])).model_versions.map((v: { version: string }) => v.version)).toEqual([
      '1',
    ]);
    expect((await json(['search', '--at', c1])).registered_models.map((m: { name: string }) => m.name)).toEqual([
      'fraud',
    ]);
    expect((await json(['search'])).registered_models.map((m: { name: string }) => m.name)).toEqual(['churn', 'fraud']);
    const early = await mreg(['search', '--at', '2000-01-01', '--repo', dir]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('RESOURCE_DOES_NOT_EXIST');
  });

  it('serve --example builds the example in a temporary folder, never inside the package, and removes it on exit', async () => {
    const tmp = await tempDir('mreg-tmp-');
    const before = await readdir(ROOT);
    const child = spawn(process.execPath, [BIN, 'serve', '--example', '--port', '0'], {
      cwd: ROOT,
      env: cliEnv({ TMPDIR: tmp }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start line: ${out}`)), 120_000);
      child.stdout.on('data', () => {
        const m = /^mreg serve: .*\n/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
    });
    const served = /of (\S+); read-only/.exec(line)?.[1] ?? '';
    expect(path.dirname(served)).toBe(tmp);
    expect(existsSync(path.join(served, 'registry.yaml'))).toBe(true);
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1];
    expect((await fetch(`${url}/api/2.0/mlflow/registered-models/get?name=fraud`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(served)).toBe(false);
    expect(await readdir(ROOT)).toEqual(before);
  });

  it('mreg completion prints a shell completion script, and the completions it asks for', async () => {
    const script = await mregOk(['completion']);
    expect(script.stdout).toContain('mreg --get-yargs-completions');
    expect(script.stdout).toContain('complete -o bashdefault -o default -F _mreg_yargs_completions mreg');
    const commands = (await mregOk(['--get-yargs-completions', 'mreg', ''])).stdout.split('\n');
    expect(commands).toEqual(expect.arrayContaining(['register', 'transition', 'serve', 'completion']));
    const options = (await mregOk(['--get-yargs-completions', 'mreg', 'register', '--'])).stdout.split('\n');
    expect(options).toEqual(expect.arrayContaining(['--source', '--stage', '--alias', '--digest']));
  });
});
