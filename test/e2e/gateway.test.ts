// `mreg gateway` and `mreg token` as processes, as operators and pipelines run them: the token commands' output
// contract, many concurrent clients (every acknowledged write exactly once in the history, distinct version
// numbers), two gateways in front of one git remote, SIGKILL under load, and hostile requests.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startGitHttpServer } from '../helpers/git-http-server.js';
import { mreg, mregOk } from '../helpers/cli.js';
import { API, call, spawnGateway, type Http } from '../helpers/gateway.js';
import { reportFigures } from '../helpers/figures.js';
import { expectCleanRepo, git, tempDir } from '../helpers/registry.js';

/** A registry with `models` models and a writer token; returns the token. */
async function registryWithToken(dir: string, opts: { bare?: boolean; models?: string[] } = {}): Promise<string> {
  await mregOk(['init', ...(opts.bare ? ['--bare'] : []), dir]);
  for (const m of opts.models ?? ['fraud']) await mregOk(['create', m, '--repo', dir]);
  return (await mregOk(['token', 'add', 'ci', '--email', 'ci@example.com', '--repo', dir])).stdout
    .trim()
    .split('\n')
    .pop()!;
}

interface Ack {
  op: string;
  commit: string;
  model: string;
  version?: number;
  subject: RegExp;
}

/**
 * One client's mixed writes: registrations (half of them), then tags, descriptions, transitions and aliases on
 * the versions it registered. Every write changes something, so every acknowledged one is a commit.
 */
async function client(
  url: string,
  token: string,
  id: number,
  writes: number,
  models: string[],
  acks: Ack[],
  failures: string[],
): Promise<void> {
  const mine: Array<{ model: string; version: number }> = [];
  for (let i = 0; i < writes; i++) {
    const model = models[(id + i) % models.length]!;
    const kind = mine.length === 0 || i % 2 === 0 ? 'register' : ['tag', 'describe', 'stage', 'alias'][i % 4]!;
    const target = mine[(i * 7) % Math.max(mine.length, 1)];
    let r: Http;
    let subject: RegExp;
    let ack: Partial<Ack> = {};
    const auth = { token };
    try {
      if (kind === 'register') {
        r = await call(url, 'POST', API + 'model-versions/create', { name: model, source: `s3://c${id}/w${i}` }, auth);
        if (r.status === 200) {
          const v = Number(r.body.model_version.version);
          mine.push({ model, version: v });
          ack = { model, version: v };
        }
        subject = new RegExp(`^${model}: v\\d+ registered$`);
      } else if (kind === 'tag') {
        r = await call(
          url,
          'POST',
          API + 'model-versions/set-tag',
          { name: target!.model, version: String(target!.version), key: `c${id}`, value: `w${i}` },
          auth,
        );
        subject = new RegExp(`^${target!.model}: v${target!.version} tag c${id} set$`);
      } else if (kind === 'describe') {
        r = await call(
          url,
          'PATCH',
          API + 'model-versions/update',
          { name: target!.model, version: String(target!.version), description: `c${id} w${i}` },
          auth,
        );
        subject = new RegExp(`^${target!.model}: v${target!.version} description updated$`);
      } else if (kind === 'stage') {
        r = await call(
          url,
          'POST',
          API + 'model-versions/transition-stage',
          { name: target!.model, version: String(target!.version), stage: i % 3 ? 'Staging' : 'Archived' },
          auth,
        );
        subject = new RegExp(`^${target!.model}: v${target!.version} \\w+ → \\w+`);
      } else {
        r = await call(
          url,
          'POST',
          API + 'registered-models/alias',
          { name: target!.model, alias: `c${id}-w${i}`, version: String(target!.version) },
          auth,
        );
        subject = new RegExp(`^${target!.model}: alias c${id}-w${i} → v${target!.version}$`);
      }
    } catch (e) {
      failures.push(`client ${id} write ${i}: ${(e as Error).message}`);
      continue;
    }
    if (r.status !== 200) {
      failures.push(`client ${id} write ${i} (${kind}): ${r.status} ${r.text}`);
      continue;
    }
    acks.push({ op: kind, commit: r.headers.get('x-mreg-commit')!, model, subject, ...ack });
  }
}

/**
 * Every acknowledged write is its own commit, on the branch's first-parent line, exactly once. `unacknowledged`
 * writes were cut off (the gateway was killed): each may or may not have committed before its answer was lost.
 */
async function expectAcksInHistory(
  dir: string,
  acks: Ack[],
  since: string,
  ref = 'main',
  unacknowledged = 0,
): Promise<void> {
  const lines = (await git(dir, 'log', '--first-parent', '--format=%H %P%x09%an%x09%s', `${since}..${ref}`))
    .trim()
    .split('\n');
  const log = new Map(
    lines.map((l) => {
      const [ids, author, subject] = l.split('\t');
      return [ids!.split(' ')[0]!, { parents: ids!.split(' ').slice(1), author: author!, subject: subject! }];
    }),
  );
  expect(new Set(acks.map((a) => a.commit)).size).toBe(acks.length);
  for (const a of acks) {
    const c = log.get(a.commit);
    expect(c, `acknowledged ${a.op} ${a.commit} is in the history`).toBeDefined();
    expect(c!.subject).toMatch(a.subject);
    expect(c!.author).toBe('ci');
    expect(c!.parents.length).toBe(1);
  }
  expect(log.size).toBeGreaterThanOrEqual(acks.length);
  expect(log.size).toBeLessThanOrEqual(acks.length + unacknowledged);
  // Version numbers: distinct per model.
  const versions = acks.filter((a) => a.version !== undefined).map((a) => `${a.model}/${a.version}`);
  expect(new Set(versions).size).toBe(versions.length);
}

describe('mreg token', () => {
  it('add prints the token alone on its last line (--json: name, role, token); list never shows it; revoke', async () => {
    const dir = path.join(await tempDir(), 'reg');
    await mregOk(['init', dir]);
    const add = await mregOk(['token', 'add', 'ci', '--email', 'ci@example.com', '--repo', dir]);
    const token = add.stdout.trimEnd().split('\n').pop()!;
    expect(token).toMatch(/^mreg_[A-Za-z0-9_-]{43}$/);
    const json = JSON.parse(
      (await mregOk(['token', 'add', 'dash', '--email', 'd@example.com', '--role', 'reader', '--json', '--repo', dir]))
        .stdout,
    );
    expect(Object.keys(json)).toEqual(['name', 'role', 'token']);
    expect(json).toMatchObject({ name: 'dash', role: 'reader' });
    expect(json.token).toMatch(/^mreg_/);
    const list = await mregOk(['token', 'list', '--repo', dir]);
    expect(list.stdout).toMatch(/^ci\s+writer\s+ci@example\.com/m);
    expect(list.stdout).toMatch(/^dash\s+reader/m);
    expect(list.stdout).not.toContain(token);
    expect(list.stdout).not.toContain('sha256');
    const listed = JSON.parse((await mregOk(['token', 'list', '--json', '--repo', dir])).stdout);
    expect(listed.tokens.map((t: { name: string }) => t.name)).toEqual(['ci', 'dash']);
    const dup = await mreg(['token', 'add', 'ci', '--email', 'x@example.com', '--repo', dir]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('RESOURCE_ALREADY_EXISTS');
    expect((await mreg(['token', 'add', 'x', '--repo', dir])).code).toBe(2);
    expect((await mreg(['token', 'add', 'x', '--email', 'not an email', '--repo', dir])).code).toBe(1);
    await mregOk(['token', 'revoke', 'ci', '--repo', dir]);
    expect((await mreg(['token', 'revoke', 'ci', '--repo', dir])).stderr).toContain('RESOURCE_DOES_NOT_EXIST');
    const file = path.join(dir, '.git', 'mreg', 'tokens.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await expectCleanRepo(dir);
    const help = await mregOk(['token', '--help']);
    expect(help.stdout).toContain('mreg token add ci --email ci@example.com');
    expect((await mregOk(['gateway', '--help'])).stdout).toContain('mreg gateway --remote');
  });
});

describe('mreg gateway under concurrent clients', () => {
  const CLIENTS = 10;
  const WRITES = 50;

  it(`${CLIENTS} clients × ${WRITES} mixed writes: each acknowledged write exactly once in the history, distinct versions, fsck clean`, async () => {
    const dir = path.join(await tempDir(), 'reg');
    const models = ['fraud', 'churn', 'Ranker v2'];
    const token = await registryWithToken(dir, { models });
    const since = (await git(dir, 'rev-parse', 'main')).trim();
    // One reflog line per update of the branch: per batch the gateway published.
    const refUpdates = async (): Promise<number> =>
      (await git(dir, 'reflog', 'show', 'main')).trim().split('\n').length;
    const updatesBefore = await refUpdates();
    const gw = await spawnGateway(['--repo', dir]);
    const acks: Ack[] = [];
    const failures: string[] = [];
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, (_, c) => client(gw.url, token, c, WRITES, models, acks, failures)),
    );
    const seconds = (Date.now() - t0) / 1000;
    expect(failures).toEqual([]);
    expect(acks.length).toBe(CLIENTS * WRITES);
    expect(await gw.stop()).toBe(0);
    await expectAcksInHistory(dir, acks, since);
    await expectCleanRepo(dir);
    // The served state and the files agree: what the gateway answered is what git holds.
    const registered = acks.filter((a) => a.op === 'register').length;
    expect(registered).toBe(CLIENTS * (WRITES / 2));
    // Writes that arrive together share a ref update (each still its own commit). Each request is queued from its
    // own I/O callback: without a turn of the event loop before the queue is taken, nearly every batch held one.
    const batches = (await refUpdates()) - updatesBefore;
    expect(batches).toBeLessThan(acks.length * 0.8);
    reportFigures('gateway-concurrency', {
      clients: CLIENTS,
      writes: acks.length,
      batches,
      seconds: seconds.toFixed(1),
    });
  });
});

describe('batching', () => {
  it('registrations sent together to a bare repository share ref updates, each still its own commit', async () => {
    const dir = path.join(await tempDir(), 'reg.git');
    const token = await registryWithToken(dir, { bare: true, models: ['fraud'] });
    // A bare repository keeps no reflog unless asked: one line per branch update, that is, per batch.
    await git(dir, 'config', 'core.logAllRefUpdates', 'true');
    const since = Number((await git(dir, 'rev-list', '--count', 'main')).trim());
    const gw = await spawnGateway(['--repo', dir]);
    const clients = 10;
    const each = 20;
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; i < each; i++) {
          const r = await fetch(`${gw.url}/api/2.0/mlflow/model-versions/create`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
            body: JSON.stringify({ name: 'fraud', source: `s3://b/${c}/${i}` }),
          });
          expect(r.status).toBe(200);
          await r.text();
        }
      }),
    );
    expect(await gw.stop()).toBe(0);
    expect(Number((await git(dir, 'rev-list', '--count', 'main')).trim()) - since).toBe(clients * each);
    const batches = (await git(dir, 'reflog', 'show', 'main')).trim().split('\n').length;
    expect(batches).toBeLessThan(clients * each * 0.8);
  });
});

describe('two gateways in front of one git remote', () => {
  it('writes through both are all pushed, each once, with distinct version numbers; the remote stays consistent', async () => {
    const root = await tempDir('mreg-gw-remote-');
    const served = path.join(root, 'served');
    const bare = path.join(served, 'registry.git');
    const token = await registryWithToken(bare, { bare: true, models: ['fraud'] });
    const since = (await git(bare, 'rev-parse', 'main')).trim();
    const server = await startGitHttpServer(served);
    try {
      const url = server.url('registry.git');
      const auth = path.join(root, 'tokens.json');
      // The token file of the bare remote, shared by both gateways through --auth.
      const { copyFile } = await import('node:fs/promises');
      await copyFile(path.join(bare, 'mreg', 'tokens.json'), auth);
      const a = await spawnGateway([
        '--remote',
        url,
        '--repo',
        path.join(root, 'a'),
        '--auth',
        auth,
        '--interval',
        '1',
      ]);
      // The second names the remote with credentials in the URL, as a CI secret often is: never printed.
      const secret = 'tok-9c1e-never-printed';
      const b = await spawnGateway([
        '--remote',
        url.replace('http://', `http://ci:${secret}@`),
        '--repo',
        path.join(root, 'b'),
        '--auth',
        auth,
        '--interval',
        '1',
      ]);
      const acks: Ack[] = [];
      const failures: string[] = [];
      await Promise.all(
        Array.from({ length: 6 }, (_, c) => client(c % 2 ? b.url : a.url, token, c, 8, ['fraud'], acks, failures)),
      );
      expect(failures).toEqual([]);
      expect(acks.length).toBe(48);
      expect(b.stdout()).toContain('http://***@127.0.0.1');
      expect(b.stdout() + b.stderr()).not.toContain(secret);
      await expectAcksInHistory(bare, acks, since);
      await git(bare, 'fsck', '--strict', '--no-progress');
      // Each gateway serves what it pushed; after a fetch, what the other pushed too.
      const last = (await git(bare, 'rev-parse', 'main')).trim();
      for (const g of [a, b]) {
        let seen = '';
        for (let i = 0; i < 200 && seen !== last; i++) {
          seen = (await call(g.url, 'GET', '/readyz')).body.commit;
          if (seen !== last) await new Promise((r) => setTimeout(r, 50));
        }
        expect(seen).toBe(last);
      }
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
      reportFigures('gateway-remote', { gateways: 2, writes: acks.length, receivePacks: server.requests.receivePack });
    } finally {
      await server.close();
    }
  });
});

describe('SIGKILL under load', () => {
  it('loses no acknowledged write and leaves nothing that blocks the next start', async () => {
    const dir = path.join(await tempDir(), 'reg');
    const token = await registryWithToken(dir, { models: ['fraud', 'churn'] });
    const since = (await git(dir, 'rev-parse', 'main')).trim();
    const acks: Ack[] = [];
    let kills = 0;
    let inFlight = 0;
    for (let round = 0; round < 3; round++) {
      const gw = await spawnGateway(['--repo', dir]);
      const failures: string[] = [];
      let stop = false;
      const clients = Array.from({ length: 4 }, async (_, c) => {
        for (let i = 0; !stop; i++) {
          const before = failures.length;
          await client(gw.url, token, round * 10 + c, 1, ['fraud', 'churn'], acks, failures);
          if (failures.length > before) inFlight++;
          void i;
        }
      });
      await new Promise((r) => setTimeout(r, 700 + round * 300));
      await gw.kill();
      kills++;
      stop = true;
      await Promise.all(clients);
      // Every acknowledged write is in git, and its objects are whole. A kill between the checkout update and the
      // ref move leaves the checkout a step ahead, with a journal the next writer rolls back (checked below).
      await expectAcksInHistory(dir, acks, since, 'main', inFlight);
      await git(dir, 'fsck', '--strict', '--no-progress');
    }
    // The next start takes writes at once: no lock, journal or temp file left behind blocks it.
    const gw = await spawnGateway(['--repo', dir]);
    const r = await call(
      gw.url,
      'POST',
      API + 'model-versions/create',
      { name: 'fraud', source: 's3://after' },
      { token },
    );
    expect(r.status).toBe(200);
    expect(await gw.stop()).toBe(0);
    // The next writer has repaired whatever the last kill left half-done: `git status` shows nothing.
    await expectCleanRepo(dir);
    expect(acks.length).toBeGreaterThan(10);
    reportFigures('gateway-sigkill', { kills, acknowledged: acks.length, unanswered: inFlight, lost: 0 });
  });
});

describe('hostile requests', () => {
  it('are refused with a clear status, change nothing and leave the gateway serving', async () => {
    const dir = path.join(await tempDir(), 'reg');
    const token = await registryWithToken(dir, { models: ['fraud'] });
    const revoked = (await mregOk(['token', 'add', 'old', '--email', 'old@example.com', '--repo', dir])).stdout
      .trim()
      .split('\n')
      .pop()!;
    await mregOk(['token', 'revoke', 'old', '--repo', dir]);
    const head = (await git(dir, 'rev-parse', 'main')).trim();
    const gw = await spawnGateway(['--repo', dir]);
    const create = API + 'model-versions/create';
    const bearer = { Authorization: `Bearer ${token}` };
    const send = async (body: string, headers: Record<string, string> = bearer, method = 'POST', p = create) => {
      const res = await fetch(gw.url + p, {
        method,
        headers: { 'Content-Type': 'application/json', ...headers },
        body,
      });
      return { status: res.status, text: await res.text() };
    };
    const cases: Array<[string, Promise<{ status: number; text: string }>, number, string]> = [
      ['no token', send('{"name":"fraud","source":"s3://x"}', {}), 401, 'UNAUTHENTICATED'],
      [
        'revoked token',
        send('{"name":"fraud","source":"s3://x"}', { Authorization: `Bearer ${revoked}` }),
        401,
        'revoked',
      ],
      [
        'not base64 Basic',
        send('{"name":"fraud","source":"s3://x"}', { Authorization: 'Basic %%%' }),
        401,
        'UNAUTHENTICATED',
      ],
      [
        'huge body',
        send(JSON.stringify({ name: 'fraud', source: 's3://x', description: 'x'.repeat(2_000_000) })),
        413,
        'exceeds',
      ],
      ['deeply nested body', send('['.repeat(200_000) + ']'.repeat(200_000)), 400, "required parameter 'name'"],
      [
        'deeply nested tags',
        send(`{"name":"fraud","source":"s3://x","tags":${'['.repeat(50_000)}${']'.repeat(50_000)}}`),
        400,
        "'tags'",
      ],
      ['bad JSON', send('{"name": "fraud", "source": '), 400, "required parameter 'name'"],
      ['wrong types', send('{"name": ["fraud"], "source": 1}'), 400, "'name'"],
      ['JSON string of JSON', send(JSON.stringify('{"name": 3}')), 400, "'name'"],
      ['traversal in the name', send('{"name": "../../etc", "source": "s3://x"}'), 400, 'INVALID_PARAMETER_VALUE'],
      [
        'traversal in the source',
        send('{"name": "fraud", "source": "s3://b/../../x"}'),
        400,
        'Invalid model version source',
      ],
      [
        'NUL in a tag key',
        send('{"name": "fraud", "key": "a\\u0000b", "value": "v"}', bearer, 'POST', API + 'registered-models/set-tag'),
        400,
        'INVALID_PARAMETER_VALUE',
      ],
      ['unknown endpoint', send('{}', bearer, 'POST', API + 'registered-models/launch'), 404, 'ENDPOINT_NOT_FOUND'],
      ['wrong method', send('{"name":"fraud"}', bearer, 'PUT', API + 'registered-models/create'), 405, 'not allowed'],
    ];
    for (const [what, p, status, text] of cases) {
      const r = await p;
      expect(r.status, what).toBe(status);
      expect(r.text, what).toContain(text);
    }
    // A header too large for the server: refused by node before any handler.
    const big = await fetch(gw.url + create, {
      method: 'POST',
      headers: { Authorization: `Bearer ${'x'.repeat(40_000)}` },
    }).then(
      (r) => r.status,
      () => 431,
    );
    expect(big).toBe(431);
    expect((await git(dir, 'rev-parse', 'main')).trim()).toBe(head);
    const ok = await call(gw.url, 'POST', create, { name: 'fraud', source: 's3://fine' }, { token });
    expect(ok.status).toBe(200);
    expect(await gw.stop()).toBe(0);
    expect(gw.stderr()).not.toContain(token);
    await expectCleanRepo(dir);
    reportFigures('gateway-hostile', { requests: cases.length + 1, committed: 0 });
  });
});
