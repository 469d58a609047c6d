// `mreg import` and `mreg export` against exchanges recorded from a real MLflow 2.22 server
// (scripts/record-mlflow.mjs → test/fixtures/mlflow-sync/), replayed from a local HTTP server: the built CLI
// imports each recorded state, and every read recorded from MLflow in that state is sent to mreg's daemon and
// compared field by field. Then the export is checked request by request against what MLflow was sent.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildDaemonConfig } from '../../src/daemon/config.js';
import { SILENT } from '../../src/daemon/log.js';
import { startDaemon, type Daemon } from '../../src/daemon/serve.js';
import { BIN, cliEnv, mreg, mregOk } from '../helpers/cli.js';
import { compareReads } from '../helpers/mlflow-compare.js';
import {
  loadFixture,
  replayMlflow,
  requestKey,
  states,
  type Exchange,
  type ReplayServer,
} from '../helpers/mlflow-replay.js';
import { commitCount, expectCleanRepo, git, tempDir } from '../helpers/registry.js';

const SERVER = /http:\/\/127\.0\.0\.1:\d+/g;
const normal = (s: string): string => s.replace(SERVER, '<server>');

async function freshRepo(): Promise<string> {
  const dir = await tempDir('mreg-import-');
  await mregOk(['init', dir]);
  return dir;
}

const head = async (dir: string): Promise<string> => (await git(dir, 'rev-parse', 'HEAD')).trim();

async function waitForHead(url: string, commit: string): Promise<void> {
  for (const t0 = Date.now(); Date.now() - t0 < 20_000; await new Promise((r) => setTimeout(r, 20))) {
    const r = await fetch(`${url}/readyz`);
    if (r.headers.get('x-mreg-commit') === commit) return;
  }
  throw new Error(`the daemon never served ${commit}`);
}

describe('mreg import replayed from a real MLflow server', () => {
  const all = states();
  // One registry, one replay server (the import record is per server) and one daemon through all the states.
  let repo: string;
  let server: ReplayServer;
  let daemon: Daemon;

  beforeAll(async () => {
    repo = await mkdtemp(path.join(os.tmpdir(), 'mreg-import-states-'));
    await mregOk(['init', repo]);
    server = await replayMlflow([], { cleanup: false });
  });
  afterAll(async () => {
    await daemon?.stop();
    await server?.close();
    await rm(repo, { recursive: true, force: true });
  });

  it.each(all.map((s, i) => [s.state, i] as const))('%s', async (_name, i) => {
    const s = all[i]!;
    const before = await commitCount(repo);
    server.use(s.import);
    const r = await mregOk(['import', '--from', server.url, '--json'], { cwd: repo });
    expect(server.unmatched).toEqual([]);
    const result = JSON.parse(r.stdout);
    // The same commits, with the same subjects, as the import against the real server made.
    expect(result.commits.map((c: { subject: string }) => normal(c.subject))).toEqual(s.subjects.map(normal));
    expect(await commitCount(repo)).toBe(before + s.subjects.length);
    expect(result.first).toBe(i === 0);
    await expectCleanRepo(repo);
    await mregOk(['validate'], { cwd: repo });

    if (i === 0) {
      daemon = await startDaemon(buildDaemonConfig({ repo, port: 0, snapshot: false }, {}), { logger: SILENT });
      await daemon.ready;
    }
    await waitForHead(daemon.url, await head(repo));
    const c = await compareReads(daemon.url, s.reads);
    expect(c.mismatches).toEqual([]);
    expect(c.compared).toBe(s.reads.length);
    expect(c.compared).toBeGreaterThan(60);
  });

  it('says what the first import left out: an alias whose version MLflow deleted', async () => {
    const dir = await freshRepo();
    const server = await replayMlflow(all[0]!.import);
    const r = await mregOk(['import', '--from', server.url], { cwd: dir });
    expect(r.stderr).toContain('churn: alias old points to v1, which MLflow has deleted: not imported');
    expect(r.stdout).toMatch(
      /^import from MLflow server http:\/\/127\.0\.0\.1:\d+: 5 models, 7 versions \[[0-9a-f]{10}\]$/m,
    );
    // Exact numbers with gaps, and tombstones keeping deleted numbers from coming back.
    expect(
      (await git(dir, 'ls-tree', '--name-only', 'HEAD', 'models/fraud/deleted/')).split('\n').filter(Boolean),
    ).toEqual(['models/fraud/deleted/4.yaml']);
    expect(
      (await git(dir, 'ls-tree', '--name-only', 'HEAD', 'models/fraud/versions/')).split('\n').filter(Boolean),
    ).toEqual([
      'models/fraud/versions/1.yaml',
      'models/fraud/versions/2.yaml',
      'models/fraud/versions/3.yaml',
      'models/fraud/versions/5.yaml',
    ]);
    const next = await mregOk(['register', 'fraud', '--source', 's3://models/fraud/next', '--json'], { cwd: dir });
    expect(JSON.parse(next.stdout).model_version.version).toBe('6');
  });
});

describe('mreg import: conflicts between MLflow and git', () => {
  const [s0, s1] = states();

  async function imported(): Promise<{ dir: string; url: string; use: (e: Exchange[]) => void; server: ReplayServer }> {
    const dir = await freshRepo();
    const server = await replayMlflow(s0!.import);
    await mregOk(['import', '--from', server.url], { cwd: dir });
    return { dir, url: server.url, use: (e) => server.use(e), server };
  }

  it('a model changed both in MLflow and in git is reported and left as git has it; --prefer decides', async () => {
    const { dir, url, use } = await imported();
    await mregOk(['describe', 'fraud', 'Edited by hand in git.'], { cwd: dir });
    const edited = await head(dir);
    use(s1!.import); // MLflow: fraud v2 Staging → Production
    const r = await mreg(['import', '--from', url], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('mreg: conflict: fraud: changed in MLflow and in git since the last import');
    expect(r.stderr).toContain('fraud v2: Staging → Production');
    expect(r.stderr).toMatch(
      /RESOURCE_CONFLICT: 1 model changed both in MLflow and in git .*--prefer mlflow or --prefer git/,
    );
    expect(await head(dir)).toBe(edited);

    const w = await mregOk(['import', '--from', url, '--prefer', 'mlflow'], { cwd: dir });
    expect(w.stdout).toMatch(/^fraud: description updated; v2 Staging → Production; v3 Production → Archived \[/m);
    expect(await git(dir, 'log', '-1', '--format=%B')).toContain('overwrote changes made in git');
    expect(await git(dir, 'show', 'HEAD:models/fraud/model.yaml')).not.toContain('Edited by hand');
  });

  it('--prefer git keeps git and stops reporting the conflict until MLflow changes that model again', async () => {
    const { dir, url, use } = await imported();
    await mregOk(['tag', 'fraud', 'reviewed=yes'], { cwd: dir });
    const edited = await head(dir);
    use(s1!.import);
    const r = await mregOk(['import', '--from', url, '--prefer', 'git'], { cwd: dir });
    expect(r.stdout).toContain('Nothing to import');
    expect(await head(dir)).toBe(edited);
    const again = await mregOk(['import', '--from', url], { cwd: dir });
    expect(again.stderr).not.toContain('conflict');
    expect(await head(dir)).toBe(edited);
    // MLflow changes fraud again (v5 deleted): git still holds its own version, so that is a conflict again.
    use(states()[3]!.import);
    const later = await mreg(['import', '--from', url], { cwd: dir });
    expect(later.code).toBe(1);
    expect(later.stderr).toContain('mreg: conflict: fraud: changed in MLflow and in git since the last import');
    expect(await git(dir, 'show', 'HEAD:models/fraud/model.yaml')).toContain('reviewed: yes');
  });

  it('a model changed only in git is kept; other models still sync', async () => {
    const { dir, url, use } = await imported();
    await mregOk(['tag', 'churn', 'owner=git'], { cwd: dir });
    use(s1!.import);
    const r = await mregOk(['import', '--from', url], { cwd: dir });
    expect(r.stdout).toMatch(/^fraud: v2 Staging → Production; v3 Production → Archived \[/m);
    expect(r.stderr).toContain('churn: changed in git since the last import and not in MLflow: kept');
    expect(await git(dir, 'show', 'HEAD:models/churn/model.yaml')).toContain('owner: git');
  });

  it('a change to versions MLflow records a user id for is authored by that user; the importer commits it', async () => {
    const { dir, url, use } = await imported();
    for (const [user, email] of [
      ['ana@example.com', 'ana@example.com'],
      ['bob', ''],
    ]) {
      const exchanges: Exchange[] = structuredClone(s0!.import);
      const search = exchanges.find((e) => e.request.path.endsWith('/model-versions/search'))!;
      const body = JSON.parse(search.response.body);
      const v2 = body.model_versions.find(
        (v: { name: string; version: string }) => v.name === 'fraud' && v.version === '2',
      );
      Object.assign(v2, { user_id: user, description: `checked by ${user}` });
      search.response.body = JSON.stringify(body);
      use(exchanges);
      await mregOk(['import', '--from', url], { cwd: dir });
      expect((await git(dir, 'log', '-1', '--format=%an <%ae>|%cn|%s')).trim()).toBe(
        `${user} <${email}>|CLI Tester|fraud: v2 description updated; v2 user_id changed`,
      );
      expect(await git(dir, 'log', '-1', '--format=%b')).toContain(`MLflow user: ${user}.`);
    }
    await git(dir, 'fsck', '--strict', '--no-progress');
  });

  it('a version the listing missed is looked up before it is deleted (offset paging can skip a row)', async () => {
    const { dir, url, use, server } = await imported();
    // s1's listing without fraud v1, and MLflow's answer when asked about it directly.
    const exchanges: Exchange[] = structuredClone(s1!.import);
    const search = exchanges.find((e) => e.request.path.endsWith('/model-versions/search'))!;
    const body = JSON.parse(search.response.body);
    const i = body.model_versions.findIndex(
      (v: { name: string; version: string }) => v.name === 'fraud' && v.version === '1',
    );
    const [v1] = body.model_versions.splice(i, 1);
    search.response.body = JSON.stringify(body);
    exchanges.push({
      request: {
        method: 'GET',
        path: '/api/2.0/mlflow/model-versions/get',
        query: [
          ['name', 'fraud'],
          ['version', '1'],
        ],
        body: null,
      },
      response: { status: 200, contentType: 'application/json', body: JSON.stringify({ model_version: v1 }) },
    });
    use(exchanges);
    const r = await mregOk(['import', '--from', url], { cwd: dir });
    expect(
      server.received.some((q) => q.path.endsWith('/model-versions/get') && q.query.join() === 'name,fraud,version,1'),
    ).toBe(true);
    expect(r.stdout).not.toContain('v1 deleted');
    expect(await git(dir, 'ls-tree', '--name-only', 'HEAD', 'models/fraud/versions/1.yaml')).not.toBe('');
  });
});

describe('mreg import: names mreg cannot store', () => {
  const fixture = loadFixture<{ exitCode: number; stderr: string; import: Exchange[] }>('invalid-name.json');

  it('are listed with the server and nothing is written; --skip-invalid imports the others', async () => {
    const dir = await freshRepo();
    const server = await replayMlflow(fixture.import);
    const r = await mreg(['import', '--from', server.url], { cwd: dir });
    expect(r.code).toBe(1);
    expect(normal(r.stderr)).toBe(normal(fixture.stderr));
    expect(r.stderr).toContain(`MLflow server ${server.url} has 1 model mreg cannot store: "team/fraud"`);
    expect(await commitCount(dir)).toBe(1);

    const ok = await mregOk(['import', '--from', server.url, '--skip-invalid'], { cwd: dir });
    expect(ok.stderr).toContain('mreg: skipped "team/fraud": name must not contain a path separator');
    expect(await commitCount(dir)).toBe(2);
    expect(await git(dir, 'ls-tree', '--name-only', 'HEAD', 'models/')).not.toContain('team');
  });
});

describe('mreg export replayed against a recording of a real, empty MLflow server', () => {
  const recorded = loadFixture<{ first: Exchange[]; second: Exchange[] }>('export.json');

  async function registryOfAllStates(): Promise<string> {
    const dir = await freshRepo();
    const server = await replayMlflow([]);
    for (const s of states()) {
      server.use(s.import);
      await mregOk(['import', '--from', server.url], { cwd: dir });
    }
    return dir;
  }

  it('sends exactly the recorded writes (numbers kept with placeholders), then nothing on a second export', async () => {
    const dir = await registryOfAllStates();
    const server = await replayMlflow(recorded.first);
    const r = await mregOk(['export', '--to', server.url], { cwd: dir });
    expect(server.unmatched).toEqual([]);
    // Every write MLflow received when this was recorded was sent again, body for body.
    const writes = (list: Array<Exchange['request']>) =>
      list
        .filter((q) => q.method !== 'GET')
        .map(requestKey)
        .sort();
    expect(writes(server.received)).toEqual(writes(recorded.first.map((e) => e.request)));
    expect(r.stdout).toMatch(/4 models and 6 versions created, 3 numbers of deleted versions used up/);
    const placeholders = server.received.filter(
      (q) =>
        q.path.endsWith('/model-versions/create') &&
        String((q.body as { source: string }).source).startsWith('mreg-export-placeholder:'),
    );
    expect(placeholders.map((q) => (q.body as { name: string }).name).sort()).toEqual(['churn-v2', 'fraud', 'fraud']);

    server.use(recorded.second);
    const again = await mregOk(['export', '--to', server.url], { cwd: dir });
    expect(server.unmatched).toEqual([]);
    expect(again.stdout).toContain('Nothing to export');
    expect(server.received.slice(-recorded.second.length).every((q) => q.method === 'GET')).toBe(true);
  });
});

describe('mreg export --update: changes made in git, sent to models MLflow already has', () => {
  const recorded = loadFixture<{ edits: string[][]; exchanges: Exchange[] }>('export-update.json');

  it('sends exactly the recorded description, tag, stage and alias writes', async () => {
    const dir = await freshRepo();
    const server = await replayMlflow([]);
    for (const s of states()) {
      server.use(s.import);
      await mregOk(['import', '--from', server.url], { cwd: dir });
    }
    for (const edit of recorded.edits) await mregOk(edit, { cwd: dir });
    // Without --update the differences are listed and nothing is sent.
    server.use(recorded.exchanges.filter((e) => e.request.method === 'GET'));
    const listed = await mregOk(['export', '--to', server.url], { cwd: dir });
    expect(listed.stdout).toContain('Nothing to export');
    expect(listed.stderr).toContain('mreg: differs in MLflow, not changed: fraud: description differs');
    expect(listed.stderr).toContain('mreg: differs in MLflow, not changed: fraud v3: stage is Staging in git');
    expect(server.received.every((q) => q.method === 'GET')).toBe(true);

    server.use(recorded.exchanges);
    const r = await mregOk(['export', '--to', server.url, '--update'], { cwd: dir });
    expect(server.unmatched).toEqual([]);
    expect(server.remaining()).toEqual([]);
    expect(r.stdout).toMatch(/^Exported to MLflow server http:\/\/127\.0\.0\.1:\d+: 6 changes sent\.$/m);
  });
});

describe('mreg export: versions MLflow refuses', () => {
  const recorded = loadFixture<{ exitCode: number; stdout: string; stderr: string; exchanges: Exchange[] }>(
    'export-refused.json',
  );

  async function registry(): Promise<string> {
    const dir = await freshRepo();
    for (const src of ['s3://models/refused/1', 'file:///srv/models/refused/2', 's3://models/refused/3'])
      await mregOk(['register', 'refused-model', '--source', src], { cwd: dir });
    return dir;
  }

  it('are reported one by one and their numbers used up, so the next versions keep theirs', async () => {
    const dir = await registry();
    const server = await replayMlflow(recorded.exchanges);
    const r = await mreg(['export', '--to', server.url], { cwd: dir });
    expect(server.unmatched).toEqual([]);
    expect(server.remaining()).toEqual([]);
    expect(r.code).toBe(1);
    expect(normal(r.stdout)).toBe(normal(recorded.stdout));
    expect(normal(r.stderr)).toBe(normal(recorded.stderr));
    expect(r.stderr).toContain(
      "refused-model v2: refused by MLflow: Invalid model version source: 'file:///srv/models/refused/2'",
    );
  });

  it('--fail-fast stops at the first refusal', async () => {
    const dir = await registry();
    const server = await replayMlflow(recorded.exchanges);
    const r = await mreg(['export', '--to', server.url, '--fail-fast'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refused refused-model v2');
    expect(r.stderr).toContain('(stopped: --fail-fast)');
    const sources = server.received.flatMap((q) =>
      q.path.endsWith('/model-versions/create') ? [(q.body as { source: string }).source] : [],
    );
    expect(sources).toEqual(['s3://models/refused/1', 'file:///srv/models/refused/2']);
  });
});

describe('mreg import --interval: a mirror', () => {
  it('syncs round after round, quietly when nothing changed, and stops on SIGTERM', async () => {
    const [s0, s1] = states();
    const dir = await freshRepo();
    const server = await replayMlflow(s0!.import);
    const child = spawn(process.execPath, [BIN, 'import', '--from', server.url, '--interval', '0.2'], {
      cwd: dir,
      env: cliEnv(),
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const until = async (pred: () => Promise<boolean>): Promise<void> => {
      for (const t0 = Date.now(); !(await pred()); await new Promise((r) => setTimeout(r, 50)))
        if (Date.now() - t0 > 60_000) throw new Error(`timed out; stdout so far: ${out}`);
    };
    await until(async () => (await commitCount(dir)) === 2);
    const rounds = server.received.length;
    await until(async () => server.received.length >= rounds + 6); // two more rounds, nothing to commit
    server.use(s1!.import);
    await until(async () => (await commitCount(dir)) === 3);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toMatch(/^import from MLflow server .*: 5 models, 7 versions \[/m);
    expect(out).toMatch(/^fraud: v2 Staging → Production; v3 Production → Archived \[/m);
    expect(out.match(/Nothing to import/g) ?? []).toHaveLength(1);
  });
});
