// Every transport a git user has, through the built CLI and `mreg serve` as processes: `register --push`
// from a pipeline's clone, and a replica (`serve --remote`) that follows the remote and picks up what was
// pushed. file:// and plain paths to a bare repository from `mreg init --bare`; ssh:// and scp-like
// addresses through the real ssh transport of git (a GIT_SSH_COMMAND that runs the git command locally, no
// sshd); http with each way git finds credentials, against a server that demands them. No output channel
// may ever carry a secret.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { mreg, mregOk, type RunResult } from '../helpers/cli.js';
import { git, tempDir } from '../helpers/registry.js';
import {
  FAKE_SSH,
  serveProcess,
  startAuthGitServer,
  untilServing,
  type AuthGitServer,
  type ServeProcess,
} from '../helpers/remotes.js';

const USER = 'ci-bot';
const SECRET = 'Tk-9f1c-s3cr3t-a7b2';
/** What an http.extraheader or a basic Authorization header would carry. */
const SECRET_B64 = Buffer.from(`${USER}:${SECRET}`).toString('base64');

interface World {
  root: string;
  bare: string;
  writer: string;
  /** A global git config for every process of the test (credential helpers, extra headers). */
  gitconfig: string;
  env: Record<string, string>;
  server?: AuthGitServer;
}

/** A bare registry from `mreg init --bare`, a pipeline's clone of it, and an empty global git config. */
async function world(opts: { http?: boolean; readOnly?: boolean } = {}): Promise<World> {
  const root = await tempDir('mreg-remotes-');
  const bare = path.join(root, 'served', 'registry.git');
  await mregOk(['init', '--bare', bare]);
  const writer = path.join(root, 'writer');
  await git(root, 'clone', '-q', bare, writer);
  const gitconfig = path.join(root, 'gitconfig');
  await writeFile(gitconfig, '');
  const w: World = { root, bare, writer, gitconfig, env: { GIT_CONFIG_GLOBAL: gitconfig } };
  if (opts.http) {
    w.server = await startAuthGitServer(
      path.join(root, 'served'),
      { user: USER, password: SECRET },
      { readOnly: opts.readOnly ?? false },
    );
    onTestFinished(() => w.server!.close());
  }
  return w;
}

async function script(file: string, body: string): Promise<string> {
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

async function tip(dir: string, ref = 'main'): Promise<string> {
  return (await git(dir, 'rev-parse', ref)).trim();
}

/** Every way a secret could leak: each output of each process, and what the daemon serves. */
async function expectNoSecret(outputs: string[], daemon?: ServeProcess): Promise<void> {
  const all = [...outputs];
  if (daemon) {
    all.push(daemon.output());
    for (const p of ['/metrics', '/readyz', '/healthz', '/', '/ui/models/fraud', '/ui/history'])
      all.push((await daemon.get(p)).text);
  }
  for (const text of all) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(encodeURIComponent(SECRET));
    expect(text).not.toContain(SECRET_B64);
  }
}

/**
 * The pipeline registers and pushes; a replica follows the remote and picks up a second registration pushed
 * from the pipeline's clone. Returns every output for the secret check.
 */
async function pushAndFollow(
  w: World,
  urls: { writer: string; daemon: string },
  env: Record<string, string> = {},
): Promise<{ outputs: string[]; daemon: ServeProcess }> {
  const allEnv = { ...w.env, ...env };
  await git(w.writer, 'remote', 'set-url', 'origin', urls.writer);
  const first = await mregOk(['register', 'fraud', '--source', 's3://models/fraud/1', '--push'], {
    cwd: w.writer,
    env: allEnv,
  });
  expect(first.stdout).toMatch(/fraud: created; v1 registered \[[0-9a-f]{10}, pushed to origin\]/);
  expect(await tip(w.bare)).toBe(await tip(w.writer));

  const daemon = await serveProcess(
    ['--remote', urls.daemon, '--repo', path.join(w.root, 'replica'), '--interval', '0.2'],
    { cwd: w.root, env: allEnv },
  );
  await untilServing(daemon, await tip(w.bare));

  const second = await mregOk(['register', 'fraud', '--source', 's3://models/fraud/2', '--push', '--json'], {
    cwd: w.writer,
    env: allEnv,
  });
  expect(JSON.parse(second.stdout).model_version).toMatchObject({ name: 'fraud', version: '2' });
  const head = await tip(w.bare);
  expect(head).toBe(await tip(w.writer));
  expect((await git(w.bare, 'show', 'main:models/fraud/versions/2.yaml')).trim()).toContain('s3://models/fraud/2');
  await untilServing(daemon, head);
  const v2 = await daemon.get('/api/2.0/mlflow/model-versions/get?name=fraud&version=2');
  expect(v2.status).toBe(200);
  await git(w.bare, 'fsck', '--no-progress');
  // The replica fetched into its remote-tracking ref; it never pushes.
  expect(await tip(path.join(w.root, 'replica'), 'refs/remotes/origin/main')).toBe(head);
  return { outputs: [first.stdout, first.stderr, second.stdout, second.stderr], daemon };
}

function expectTransportError(r: RunResult, code: string, ...patterns: RegExp[]): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`^mreg: ${code}: `));
  expect(r.stderr).not.toMatch(/INTERNAL_ERROR|This is a bug/);
  for (const p of patterns) expect(r.stderr).toMatch(p);
}

describe('file:// and plain paths', () => {
  it('file:// to a bare registry from mreg init --bare', async () => {
    const w = await world();
    const { outputs, daemon } = await pushAndFollow(w, { writer: `file://${w.bare}`, daemon: `file://${w.bare}` });
    await expectNoSecret(outputs, daemon);
  });

  it('a plain path, absolute for the pipeline and relative to where the replica starts', async () => {
    const w = await world();
    await pushAndFollow(w, { writer: w.bare, daemon: path.join('served', 'registry.git') });
  });

  it('a relative path in the clone is read from the clone, as git reads it, wherever mreg runs', async () => {
    const w = await world();
    await git(w.writer, 'remote', 'set-url', 'origin', '../served/registry.git');
    const r = await mregOk(['register', 'fraud', '--source', 's3://m/1', '--push', '--repo', w.writer], {
      cwd: w.root,
      env: w.env,
    });
    expect(r.stdout).toContain('pushed to origin');
    expect(await tip(w.bare)).toBe(await tip(w.writer));
  });

  it('a path with no repository is RESOURCE_DOES_NOT_EXIST naming the path, and nothing is committed', async () => {
    const w = await world();
    const before = await tip(w.writer);
    const missing = path.join(w.root, 'nowhere.git');
    await git(w.writer, 'remote', 'set-url', 'origin', missing);
    const r = await mreg(['register', 'fraud', '--source', 's3://m/1', '--push'], { cwd: w.writer, env: w.env });
    expectTransportError(r, 'RESOURCE_DOES_NOT_EXIST', /remote 'origin'/, /check the path/);
    expect(r.stderr).toContain(missing);
    expect(await tip(w.writer)).toBe(before);
  });
});

describe('a clone behind its remote', () => {
  it('pushes first, and on refusal fetches and re-plans; an answer that commits nothing is given after fetching', async () => {
    const w = await world();
    const other = path.join(w.root, 'other');
    await git(w.root, 'clone', '-q', w.bare, other);
    await mregOk(['register', 'fraud', '--source', 's3://m/1', '--push', '--repo', w.writer]);
    // Another clone registers v2 and v3: the writer's clone now lags two commits behind the remote.
    await git(other, 'pull', '-q');
    await mregOk(['register', 'fraud', '--source', 's3://m/2', '--push', '--repo', other]);
    await mregOk(['register', 'fraud', '--source', 's3://m/3', '--push', '--repo', other]);
    // A version only the remote has: found once the refused-or-empty first attempt fetches.
    await mregOk(['transition', 'fraud', '3', 'Staging', '--push', '--repo', w.writer]);
    // A registration planned on the stale head (it would be v2) is refused by the push and re-planned as v4.
    const r = await mregOk(['register', 'fraud', '--source', 's3://m/4', '--push', '--json', '--repo', w.writer]);
    expect(JSON.parse(r.stdout).model_version.version).toBe('4');
    expect(await tip(w.writer)).toBe(await tip(w.bare));
    const versions = (await git(w.bare, 'ls-tree', '--name-only', 'main', 'models/fraud/versions/')).trim().split('\n');
    expect(versions.map((f) => path.basename(f))).toEqual(['1.yaml', '2.yaml', '3.yaml', '4.yaml']);
  }, 120_000);
});

describe('ssh (no sshd: GIT_SSH_COMMAND runs the git command locally)', () => {
  it('ssh://host/path and git@host:path, with the user’s GIT_SSH_COMMAND', async () => {
    const w = await world();
    const log = path.join(w.root, 'ssh.log');
    const env = { GIT_SSH_COMMAND: FAKE_SSH, FAKE_SSH_LOG: log, FAKE_SSH_HOME: path.join(w.root, 'served') };
    await pushAndFollow(
      w,
      { writer: `ssh://git@git.example.test${w.bare}`, daemon: 'git@git.example.test:registry.git' },
      env,
    );
    const calls = (await readFile(log, 'utf8')).trim().split('\n');
    // The pipeline spoke ssh:// with an absolute path, the replica scp-like with one relative to the home.
    expect(calls).toContainEqual(expect.stringMatching(`^git@git.example.test\tgit-receive-pack '${w.bare}'`));
    // (An up-to-date clone pushes first and never needs to fetch: no upload-pack from the pipeline.)
    expect(calls).toContainEqual(expect.stringMatching(/^git@git\.example\.test\tgit-upload-pack 'registry\.git'/));
    // The user's ssh command is used as given: no BatchMode added to it.
    expect(calls.join('\n')).not.toContain('BatchMode');
  });

  it('runs ssh in batch mode (never a prompt) unless the user configured an ssh command', async () => {
    const w = await world();
    const bin = path.join(w.root, 'bin');
    await mkdir(bin);
    await script(path.join(bin, 'ssh'), `exec "${FAKE_SSH}" "$@"`);
    const log = path.join(w.root, 'ssh.log');
    const env = {
      ...w.env,
      PATH: `${bin}:${process.env.PATH}`,
      GIT_SSH_COMMAND: undefined,
      GIT_SSH: undefined,
      FAKE_SSH_LOG: log,
    } as NodeJS.ProcessEnv;
    await git(w.writer, 'remote', 'set-url', 'origin', `ssh://git.example.test${w.bare}`);
    await mregOk(['register', 'fraud', '--source', 's3://m/1', '--push'], { cwd: w.writer, env });
    const batch = (await readFile(log, 'utf8')).trim().split('\n');
    expect(batch.length).toBeGreaterThanOrEqual(1); // the push (an up-to-date clone does not fetch first)
    for (const line of batch) expect(line).toContain('-o BatchMode=yes');

    await writeFile(log, '');
    await git(w.writer, 'config', 'core.sshCommand', `${path.join(bin, 'ssh')} -o IdentityFile=/keys/registry`);
    await mregOk(['register', 'fraud', '--source', 's3://m/2', '--push'], { cwd: w.writer, env });
    const own = (await readFile(log, 'utf8')).trim().split('\n');
    for (const line of own) {
      expect(line).toContain('-o IdentityFile=/keys/registry');
      expect(line).not.toContain('BatchMode');
    }
    expect(await tip(w.bare)).toBe(await tip(w.writer));
  });

  it('an unreachable ssh host is TEMPORARILY_UNAVAILABLE and names the host to check', async () => {
    const w = await world();
    await git(w.writer, 'remote', 'set-url', 'origin', 'git@nohost.invalid:org/registry.git');
    const r = await mreg(['register', 'fraud', '--source', 's3://m/1', '--push'], {
      cwd: w.writer,
      env: { ...w.env, GIT_SSH_COMMAND: 'ssh -o ConnectTimeout=5' },
    });
    expectTransportError(r, 'TEMPORARILY_UNAVAILABLE', /git@nohost\.invalid:org\/registry\.git/, /host name/);
  });
});

describe('http(s) with credentials, against a server that demands them', () => {
  it('a credential helper (credential.helper store with a file)', async () => {
    const w = await world({ http: true });
    const store = path.join(w.root, 'credentials');
    await writeFile(store, `http://${USER}:${SECRET}@127.0.0.1:${new URL(w.server!.url('x')).port}\n`);
    await writeFile(w.gitconfig, `[credential]\n\thelper = store --file=${store}\n`);
    const url = w.server!.url('registry.git');
    const { outputs, daemon } = await pushAndFollow(w, { writer: url, daemon: url });
    expect(w.server!.counts.refused).toBeGreaterThan(0); // it asked, and git answered from the helper
    expect(w.server!.counts.receivePack).toBe(2);
    await expectNoSecret(outputs, daemon);
  });

  it('a credential helper script that reads a token from the environment (as CI helpers do)', async () => {
    const w = await world({ http: true });
    const helper = await script(
      path.join(w.root, 'token-helper'),
      `test "$1" = get || exit 0\necho username=${USER}\necho "password=$REGISTRY_TOKEN"`,
    );
    await writeFile(w.gitconfig, `[credential]\n\thelper = ${helper}\n`);
    const url = w.server!.url('registry.git');
    const { outputs, daemon } = await pushAndFollow(w, { writer: url, daemon: url }, { REGISTRY_TOKEN: SECRET });
    expect(w.server!.counts.receivePack).toBe(2);
    await expectNoSecret(outputs, daemon);
  });

  it('http.extraheader, as GitHub Actions’ checkout sets it up', async () => {
    const w = await world({ http: true });
    const base = w.server!.url('');
    await writeFile(w.gitconfig, `[http "${base}"]\n\textraheader = AUTHORIZATION: basic ${SECRET_B64}\n`);
    const url = w.server!.url('registry.git');
    const { outputs, daemon } = await pushAndFollow(w, { writer: url, daemon: url });
    expect(w.server!.counts.refused).toBe(0); // the header goes with every request
    expect(w.server!.counts.receivePack).toBe(2);
    await expectNoSecret(outputs, daemon);
  });

  it('GIT_ASKPASS', async () => {
    const w = await world({ http: true });
    const askpass = await script(
      path.join(w.root, 'askpass'),
      `case "$1" in Username*) echo ${USER} ;; *) echo "$REGISTRY_TOKEN" ;; esac`,
    );
    const url = w.server!.url('registry.git');
    const { outputs, daemon } = await pushAndFollow(
      w,
      { writer: url, daemon: url },
      { GIT_ASKPASS: askpass, REGISTRY_TOKEN: SECRET },
    );
    expect(w.server!.counts.receivePack).toBe(2);
    await expectNoSecret(outputs, daemon);
  });

  it('a token in the URL, which is never printed nor stored by the replica', async () => {
    const w = await world({ http: true });
    const url = w.server!.urlWithCredentials('registry.git', USER, SECRET);
    const { outputs, daemon } = await pushAndFollow(w, { writer: url, daemon: url });
    expect(w.server!.counts.receivePack).toBe(2);
    await expectNoSecret(outputs, daemon);
    expect(daemon.output()).toContain(`http://***@127.0.0.1:`);
    expect(await readFile(path.join(w.root, 'replica', 'config'), 'utf8')).not.toContain(SECRET);
  });

  it('wrong credentials: PERMISSION_DENIED naming the remote and what to check, nothing printed, nothing committed', async () => {
    const w = await world({ http: true });
    const wrong = SECRET.replace('s3cr3t', 'wr0ng');
    const before = await tip(w.writer);
    const urls = [
      w.server!.urlWithCredentials('registry.git', USER, wrong),
      w.server!.urlWithCredentials('registry.git', USER, `${SECRET}x`),
    ];
    for (const url of urls) {
      await git(w.writer, 'remote', 'set-url', 'origin', url);
      for (const json of [[], ['--json']]) {
        const r = await mreg(['register', 'fraud', '--source', 's3://m/1', '--push', ...json], {
          cwd: w.writer,
          env: w.env,
        });
        expectTransportError(
          r,
          'PERMISSION_DENIED',
          /remote 'origin' \(http:\/\/\*\*\*@127\.0\.0\.1:\d+\/registry\.git\)/,
          /authentication failed: check the credentials/,
        );
        expect(r.stdout).toBe('');
        expect(r.stderr).not.toContain(wrong);
        await expectNoSecret([r.stdout, r.stderr]);
      }
    }
    expect(await tip(w.writer)).toBe(before);
    expect(await tip(w.bare)).toBe(before);

    // A replica with the wrong token: not ready, says why in its log and /metrics, prints no secret.
    const daemon = await serveProcess(
      ['--remote', urls[1]!, '--repo', path.join(w.root, 'replica'), '--interval', '0.2'],
      { cwd: w.root, env: w.env },
    );
    const t0 = Date.now();
    while (!/mreg_fetches_failed_total [1-9]/.test((await daemon.get('/metrics')).text)) {
      if (Date.now() - t0 > 20_000) throw new Error(`no failed fetch counted:\n${daemon.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await daemon.get('/readyz')).status).toBe(503);
    expect(daemon.output()).toMatch(/authentication failed: check the credentials.*"msg":"fetch failed"/);
    await expectNoSecret([], daemon);
  });

  it('no credentials at all: an error at once, never a prompt', async () => {
    const w = await world({ http: true });
    await git(w.writer, 'remote', 'set-url', 'origin', w.server!.url('registry.git'));
    const r = await mreg(['register', 'fraud', '--source', 's3://m/1', '--push'], {
      cwd: w.writer,
      env: { ...w.env, GIT_ASKPASS: undefined, SSH_ASKPASS: undefined, GIT_TERMINAL_PROMPT: '1' },
      timeoutMs: 30_000,
    });
    expectTransportError(r, 'PERMISSION_DENIED', /authentication failed/, /terminal prompts disabled/);
  });

  it('an account that may read but not push: PERMISSION_DENIED, and the local commit is taken back', async () => {
    const w = await world({ http: true, readOnly: true });
    await git(w.writer, 'remote', 'set-url', 'origin', w.server!.urlWithCredentials('registry.git', USER, SECRET));
    const before = await tip(w.writer);
    const r = await mreg(['register', 'fraud', '--source', 's3://m/1', '--push'], { cwd: w.writer, env: w.env });
    expectTransportError(r, 'PERMISSION_DENIED', /^mreg: PERMISSION_DENIED: Push to remote 'origin'/, /permission/);
    await expectNoSecret([r.stdout, r.stderr]);
    expect(await tip(w.writer)).toBe(before);
    expect((await git(w.writer, 'status', '--porcelain')).trim()).toBe('');
    expect(await tip(w.bare)).toBe(before);
  });

  it('a host that does not answer: TEMPORARILY_UNAVAILABLE, naming the remote', async () => {
    const w = await world();
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await git(w.writer, 'remote', 'set-url', 'origin', `http://${USER}:${SECRET}@127.0.0.1:${port}/registry.git`);
    const r = await mreg(['register', 'fraud', '--source', 's3://m/1', '--push'], { cwd: w.writer, env: w.env });
    expectTransportError(r, 'TEMPORARILY_UNAVAILABLE', new RegExp(`http://\\*\\*\\*@127\\.0\\.0\\.1:${port}/`));
    await expectNoSecret([r.stdout, r.stderr]);
  });
});
