// Who may write through the gateway, and what: tokens (Bearer, Basic, roles, revocation without a restart,
// failures slowed down), private reads, registry.yaml's gateway rules and the policies every write obeys.
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { revokeToken, tokenFileOf } from '../../src/gateway/tokens.js';
import { makeToken, startTestGateway } from '../helpers/gateway.js';
import { freshRegistry, git, tempDir } from '../helpers/registry.js';

async function setup(registry: Record<string, unknown> = {}) {
  const { dir, registry: reg } = await freshRegistry();
  if (Object.keys(registry).length) {
    const { stringify } = await import('yaml');
    await writeFile(path.join(dir, 'registry.yaml'), stringify({ format_version: 2, ...registry }));
    await git(dir, 'commit', '-qam', 'rules');
  }
  await reg.createRegisteredModel('fraud');
  const writer = await makeToken(dir, 'ci');
  const reader = await makeToken(dir, 'viewer', 'reader');
  return { dir, writer, reader, reg };
}

describe('gateway: tokens', () => {
  it('401 without a token, 403 for a reader, 200 for a writer (Bearer or Basic); the write is the writer’s commit', async () => {
    const { dir, writer, reader } = await setup();
    const gw = await startTestGateway(dir);
    const body = { name: 'fraud', source: 's3://b/1' };
    const none = await gw.call('POST', 'model-versions/create', body);
    expect(none.status).toBe(401);
    expect(none.body.error_code).toBe('UNAUTHENTICATED');
    expect(none.headers.get('www-authenticate')).toContain('Basic realm="mreg"');
    const read = await gw.call('POST', 'model-versions/create', body, { token: reader });
    expect(read.status).toBe(403);
    expect(read.body.error_code).toBe('PERMISSION_DENIED');
    expect(read.body.message).toContain("Token 'viewer' has the role reader");
    const head = await git(dir, 'rev-parse', 'main');
    expect((await gw.call('POST', 'model-versions/create', body, { token: 'mreg_not-a-token' })).status).toBe(401);
    expect(await git(dir, 'rev-parse', 'main')).toBe(head);
    expect((await gw.call('POST', 'model-versions/create', body, { token: writer })).status).toBe(200);
    expect(
      (await gw.call('POST', 'model-versions/create', body, { basic: { user: 'ci', password: writer } })).status,
    ).toBe(200);
    const byEmail = await gw.call('POST', 'model-versions/create', body, {
      basic: { user: 'ci@example.com', password: writer },
    });
    expect(byEmail.status).toBe(200);
    const wrongUser = await gw.call('POST', 'model-versions/create', body, {
      basic: { user: 'viewer', password: writer },
    });
    expect(wrongUser.status).toBe(401);
    expect(wrongUser.body.message).toContain('Basic user name');
    expect((await git(dir, 'log', '-3', '--format=%an <%ae>', 'main')).trim().split('\n')).toEqual(
      Array(3).fill('ci <ci@example.com>'),
    );
    // Reads stay open without --private.
    expect((await gw.call('GET', 'registered-models/get?name=fraud')).status).toBe(200);
  });

  it('a revoked token is refused from the next request on, without a restart; a new one works at once', async () => {
    const { dir, writer } = await setup();
    const gw = await startTestGateway(dir);
    const body = { name: 'fraud', key: 'k', value: 'v' };
    expect((await gw.call('POST', 'registered-models/set-tag', body, { token: writer })).status).toBe(200);
    await revokeToken(await tokenFileOf(dir), 'ci');
    const after = await gw.call('POST', 'registered-models/set-tag', { ...body, value: 'w' }, { token: writer });
    expect(after.status).toBe(401);
    expect(after.body.message).toContain('unknown or revoked');
    const fresh = await makeToken(dir, 'ci2');
    expect((await gw.call('POST', 'registered-models/set-tag', { ...body, value: 'w' }, { token: fresh })).status).toBe(
      200,
    );
  });

  it('tokens are stored as hashes only, 0600, under the git directory; never in a log or a commit', async () => {
    const { dir, writer } = await setup();
    const gw = await startTestGateway(dir);
    const file = await tokenFileOf(dir);
    expect(file.startsWith(path.join(dir, '.git') + path.sep)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(writer);
    expect(text).toContain('"hash": "sha256:');
    await gw.call('POST', 'model-versions/create', { name: 'fraud', source: 's3://b/1' }, { token: writer });
    await gw.call('POST', 'model-versions/create', { name: 'fraud', source: 's3://b/1' }, { token: writer + 'x' });
    await gw.call('GET', 'registered-models/get?name=fraud', undefined, { token: writer });
    expect(gw.logs.join('\n')).not.toContain(writer);
    expect(await git(dir, 'status', '--porcelain')).toBe('');
    expect(await git(dir, 'log', '-p', '--all')).not.toContain(writer.slice(5));
  });

  it('repeated failures from one client are answered 429 with Retry-After, without the token being checked', async () => {
    const { dir, writer } = await setup();
    const gw = await startTestGateway(dir);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push(
        (await gw.call('POST', 'registered-models/set-tag', { name: 'fraud', key: 'k' }, { token: `mreg_guess${i}` }))
          .status,
      );
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429, 429]);
    const blocked = await gw.call('POST', 'registered-models/set-tag', { name: 'fraud', key: 'k' }, { token: writer });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error_code).toBe('REQUEST_LIMIT_EXCEEDED');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(gw.logs.some((l) => l.includes('client slowed down'))).toBe(true);
    // Reads without credentials are not affected.
    expect((await gw.call('GET', 'registered-models/get?name=fraud')).status).toBe(200);
  });

  it('--private: reads need a token (any role); health, readiness and metrics stay open', async () => {
    const { dir, reader } = await setup();
    const gw = await startTestGateway(dir, { private: true });
    for (const p of [
      '/api/2.0/mlflow/registered-models/get?name=fraud',
      '/api/v1/resolve?uri=models:/fraud/latest',
      '/',
    ]) {
      const r = await gw.call('GET', p);
      expect(r.status, p).toBe(401);
      expect(r.headers.get('www-authenticate'), p).toContain('Basic');
    }
    expect(
      (await gw.call('GET', '/api/2.0/mlflow/registered-models/get?name=fraud', undefined, { token: reader })).status,
    ).toBe(200);
    expect((await gw.call('GET', '/', undefined, { basic: { user: 'viewer', password: reader } })).status).toBe(200);
    for (const p of ['/healthz', '/readyz', '/metrics']) expect((await gw.call('GET', p)).status, p).toBe(200);
  });

  it('a token file given with --auth is used instead of the default, and an unreadable one accepts no token', async () => {
    const { dir } = await setup();
    const file = path.join(await tempDir(), 'tokens.json');
    const token = await makeToken(dir, 'elsewhere', 'writer', file);
    const gw = await startTestGateway(dir, { auth: file });
    expect(
      (await gw.call('POST', 'registered-models/set-tag', { name: 'fraud', key: 'k', value: 'v' }, { token })).status,
    ).toBe(200);
    await writeFile(file, '{ not json');
    const r = await gw.call('POST', 'registered-models/set-tag', { name: 'fraud', key: 'k', value: 'w' }, { token });
    expect(r.status).toBe(401);
    expect(gw.logs.some((l) => l.includes('token file unreadable'))).toBe(true);
  });
});

describe('gateway: governance in registry.yaml', () => {
  it('gateway.stages: a pipeline registers and stages; Production needs git, refused with 403 naming the rule', async () => {
    const { dir, writer } = await setup({ gateway: { stages: ['None', 'Staging', 'Archived'] } });
    const gw = await startTestGateway(dir);
    const t = { token: writer };
    await gw.call('POST', 'model-versions/create', { name: 'fraud', source: 's3://b/1' }, t);
    await gw.call('POST', 'model-versions/create', { name: 'fraud', source: 's3://b/2' }, t);
    const staged = await gw.call(
      'POST',
      'model-versions/transition-stage',
      { name: 'fraud', version: '1', stage: 'staging' },
      t,
    );
    expect(staged.status).toBe(200);
    const head = await git(dir, 'rev-parse', 'main');
    const prod = await gw.call(
      'POST',
      'model-versions/transition-stage',
      { name: 'fraud', version: '1', stage: 'Production' },
      t,
    );
    expect(prod.status).toBe(403);
    expect(prod.body.error_code).toBe('PERMISSION_DENIED');
    expect(prod.body.message).toContain('registry.yaml gateway.stages');
    expect(prod.body.message).toContain('fraud v1 Staging → Production');
    expect(await git(dir, 'rev-parse', 'main')).toBe(head);
    // Promoted through git (the CLI here), a Production version is then out of the gateway's reach.
    const { Registry } = await import('../../src/index.js');
    const cli = await Registry.open(dir);
    await cli.transitionModelVersionStage('fraud', 2, 'Production');
    const demote = await gw.call(
      'POST',
      'model-versions/transition-stage',
      { name: 'fraud', version: '2', stage: 'Archived' },
      t,
    );
    expect(demote.status).toBe(403);
    expect((await gw.call('DELETE', 'model-versions/delete', { name: 'fraud', version: '2' }, t)).status).toBe(403);
    expect((await gw.call('DELETE', 'registered-models/delete', { name: 'fraud' }, t)).status).toBe(403);
    // archive_existing_versions moves siblings into Archived: allowed here, and it happens in the same commit.
    const v3 = await gw.call('POST', 'model-versions/create', { name: 'fraud', source: 's3://b/3' }, t);
    expect(v3.status).toBe(200);
    const swap = await gw.call(
      'POST',
      'model-versions/transition-stage',
      { name: 'fraud', version: '3', stage: 'Staging', archive_existing_versions: true },
      t,
    );
    expect(swap.status).toBe(200);
    expect((await gw.call('GET', 'model-versions/get?name=fraud&version=1')).body.model_version.current_stage).toBe(
      'Archived',
    );
  });

  it('gateway.aliases: only the listed aliases move, including the ones a version delete would drop', async () => {
    const { dir, writer } = await setup({ gateway: { aliases: ['challenger'] } });
    const gw = await startTestGateway(dir);
    const t = { token: writer };
    await gw.call('POST', 'model-versions/create', { name: 'fraud', source: 's3://b/1' }, t);
    expect(
      (await gw.call('POST', 'registered-models/alias', { name: 'fraud', alias: 'challenger', version: '1' }, t))
        .status,
    ).toBe(200);
    const champ = await gw.call(
      'POST',
      'registered-models/alias',
      { name: 'fraud', alias: 'champion', version: '1' },
      t,
    );
    expect(champ.status).toBe(403);
    expect(champ.body.message).toContain('registry.yaml gateway.aliases');
    expect(champ.body.message).toContain("alias 'champion' of fraud would be set to v1");
    const { Registry } = await import('../../src/index.js');
    await (await Registry.open(dir)).setRegisteredModelAlias('fraud', 'champion', 1);
    const del = await gw.call('DELETE', 'model-versions/delete', { name: 'fraud', version: '1' }, t);
    expect(del.status).toBe(403);
    expect(del.body.message).toContain("alias 'champion' of fraud would be removed");
    // A rename carries the aliases unchanged: not an alias change.
    expect((await gw.call('POST', 'registered-models/rename', { name: 'fraud', new_name: 'fraud2' }, t)).status).toBe(
      200,
    );
  });

  it('the policies every write obeys still apply (403 PERMISSION_DENIED), and rules are read from the branch as it is now', async () => {
    const { dir, writer } = await setup({ policies: { transitions: { Production: ['Staging'] } } });
    const gw = await startTestGateway(dir);
    const t = { token: writer };
    await gw.call('POST', 'model-versions/create', { name: 'fraud', source: 's3://b/1' }, t);
    const r = await gw.call(
      'POST',
      'model-versions/transition-stage',
      { name: 'fraud', version: '1', stage: 'Production' },
      t,
    );
    expect(r.status).toBe(403);
    expect(r.body.message).toContain('policy: fraud v1 may enter Production only from Staging');
    // Governance changes in git apply to the next write, without a restart.
    const { stringify } = await import('yaml');
    await writeFile(path.join(dir, 'registry.yaml'), stringify({ format_version: 2, gateway: { stages: [] } }));
    await git(dir, 'commit', '-qam', 'lock the gateway out of stages');
    const s = await gw.call(
      'POST',
      'model-versions/transition-stage',
      { name: 'fraud', version: '1', stage: 'Staging' },
      t,
    );
    expect(s.status).toBe(403);
    expect(s.body.message).toContain('gateway.stages');
  });
});
