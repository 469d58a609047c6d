// `mreg notify` as a process, delivering to receivers that are processes of their own and check signatures
// the way MLflow's documentation tells users to. What each test proves is listed in docs/EVENTS.md.
import { readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { RegistryEvent } from '../../src/events/types.js';
import { mreg, mregOk } from '../helpers/cli.js';
import { importVersions } from '../helpers/events.js';
import { startGitHttpServer } from '../helpers/git-http-server.js';
import { freshRegistry, git, tempDir } from '../helpers/registry.js';
import { addWebhooks, startNotify, startReceiver, until } from '../helpers/webhooks.js';

const SECRET = 'tests-signing-secret-6f1c';
const ENV = { HOOK_SECRET: SECRET };
const FAST = ['--allow-private', '--backoff', '0.05', '--timeout', '2'];

async function eventsOf(dir: string, ...args: string[]): Promise<RegistryEvent[]> {
  const r = await mregOk(['events', '--json', '--repo', dir, ...args]);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RegistryEvent);
}

async function notifyStatus(dir: string): Promise<any[]> {
  const r = await mregOk(['notify', '--status', '--json', '--repo', dir], { env: ENV });
  return (JSON.parse(r.stdout) as { webhooks: any[] }).webhooks;
}

describe('mreg notify', () => {
  it('delivers every wanted event once, in order, signed as MLflow signs, with the event id as delivery id', async () => {
    const { dir, registry: r } = await freshRegistry();
    const rx = await startReceiver(dir, 'rx', { secret: SECRET });
    await r.createRegisteredModel('before-the-webhook');
    await addWebhooks(dir, [
      {
        name: 'deploy',
        url: rx.url,
        events: [
          'registered_model.created',
          'model_version.created',
          'model_version.stage_transitioned',
          'model_version_alias.created',
        ],
        secret_env: 'HOOK_SECRET',
      },
    ]);
    await r.createRegisteredModel('fraud', { tags: { team: 'risk' } });
    await r.createModelVersion('fraud', 's3://b/1', { runId: 'run-1' });
    await r.setModelVersionTag('fraud', '1', 'not', 'wanted');
    await r.transitionModelVersionStage('fraud', '1', 'Production', { archiveExistingVersions: false });
    await r.setRegisteredModelAlias('fraud', 'champion', '1');
    await r.renameRegisteredModel('fraud', 'fraud-detector');
    await r.createModelVersion('fraud-detector', 's3://b/2');

    await mregOk(['notify', '--once', '--repo', dir, ...FAST], { env: ENV });
    const all = await eventsOf(dir);
    const wanted = all.filter((e) =>
      [
        'registered_model.created',
        'model_version.created',
        'model_version.stage_transitioned',
        'model_version_alias.created',
      ].includes(e.type),
    );
    // The model created before the webhook was added is not delivered: deliveries start after that commit.
    expect(wanted[0]!.model).toBe('before-the-webhook');
    const expected = wanted.slice(1);
    const got = rx.deliveries();
    expect(got.every((d) => d.accepted && d.signed)).toBe(true);
    expect(got.map((d) => d.delivery_id)).toEqual(expected.map((e) => e.id));
    expect(got.map((d) => `${d.body!.entity}.${d.body!.action}`)).toEqual(expected.map((e) => e.type));
    // MLflow's payload fields, plus the commit and author; MLflow's timestamp spelling.
    expect(got[1]!.body!.data).toEqual({
      name: 'fraud',
      version: '1',
      source: 's3://b/1',
      run_id: 'run-1',
      tags: {},
      description: null,
      commit: expected[1]!.commit,
      author: expected[1]!.author,
    });
    expect(got[0]!.body!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(got[2]!.body!.data).toMatchObject({
      name: 'fraud',
      version: '1',
      from_stage: 'None',
      to_stage: 'Production',
    });
    expect(got.at(-1)!.body!.data).toMatchObject({ name: 'fraud-detector', version: '2' });

    // Nothing new: a second run delivers nothing and says so in --status.
    await mregOk(['notify', '--once', '--repo', dir, ...FAST], { env: ENV });
    expect(rx.deliveries()).toHaveLength(got.length);
    const [s] = await notifyStatus(dir);
    expect(s).toMatchObject({ name: 'deploy', state: 'ok', delivered: got.length, pending: 0, failures: 0 });
    // The secret is in no file notify wrote and in none of its output.
    const notifyDir = path.join(dir, '.git', 'mreg', 'notify');
    for (const f of await readdir(notifyDir))
      expect(await readFile(path.join(notifyDir, f), 'utf8')).not.toContain(SECRET);
  });

  it('SIGKILLed in the middle of 500 events: after a restart every event arrived, in order, duplicates only of what was in flight', async () => {
    const { dir } = await freshRegistry();
    const rx = await startReceiver(dir, 'rx', { secret: SECRET, delayMs: 2 });
    await addWebhooks(dir, [
      { name: 'all', url: rx.url, events: ['model_version.created'], secret_env: 'HOOK_SECRET' },
    ]);
    await importVersions(dir, 'm', 500);
    const events = (await eventsOf(dir)).filter((e) => e.type === 'model_version.created');
    expect(events).toHaveLength(500);

    const first = startNotify(['--repo', dir, ...FAST], ENV);
    await until(() => rx.accepted().length >= 150, 60_000, '150 deliveries');
    first.child.kill('SIGKILL');
    await first.exited;
    const beforeRestart = rx.accepted().length;
    expect(beforeRestart).toBeLessThan(500);
    // The lock of the killed process is taken over; the rest is delivered from the cursor (a backlog this long
    // is derived by a second process).
    const rest = await mregOk(['notify', '--once', '--verbose', '--repo', dir, ...FAST], { env: ENV });
    expect(rest.stderr).toMatch(/all: \d+ commits to catch up; deriving them in a second process/);

    const ids = rx.accepted();
    const index = new Map(events.map((e, i) => [e.id, i]));
    const positions = ids.map((id) => index.get(id)!);
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)));
    // In order: positions never go back, except once, to resend the delivery the kill interrupted.
    const backs = positions.flatMap((p, i) =>
      i > 0 && p <= positions[i - 1]! ? [[positions[i - 1]!, p] as const] : [],
    );
    expect(backs.length).toBeLessThanOrEqual(1);
    for (const [from, to] of backs) expect(from - to).toBe(0);
    expect(ids.length - 500).toBe(backs.length);
    expect(positions.at(-1)).toBe(499);
  });

  it('a receiver answering 500 and then 200 gets the event after retries, and the order holds', async () => {
    const { dir, registry: r } = await freshRegistry();
    const rx = await startReceiver(dir, 'rx', { secret: SECRET, fail: 3 });
    await addWebhooks(dir, [
      { name: 'flaky', url: rx.url, events: ['model_version.created'], secret_env: 'HOOK_SECRET' },
    ]);
    await r.createRegisteredModel('m');
    for (let i = 0; i < 3; i++) await r.createModelVersion('m', `s3://b/${i}`);
    const res = await mregOk(['notify', '--once', '--repo', dir, ...FAST], { env: ENV });
    const d = rx.deliveries();
    const ids = (await eventsOf(dir)).filter((e) => e.type === 'model_version.created').map((e) => e.id);
    expect(d.map((x) => [x.delivery_id, x.accepted])).toEqual([
      [ids[0], false],
      [ids[0], false],
      [ids[0], false],
      [ids[0], true],
      [ids[1], true],
      [ids[2], true],
    ]);
    expect(res.stderr).toMatch(/flaky: \S+ failed \(HTTP 500\); retry 3 in \d+ ms/);
  });

  it('429 with Retry-After waits at least that long before the next attempt', async () => {
    const { dir, registry: r } = await freshRegistry();
    const rx = await startReceiver(dir, 'rx', { fail: 1, failStatus: 429, retryAfter: 1 });
    await addWebhooks(dir, [{ name: 'limited', url: rx.url, events: ['registered_model.created'] }]);
    await r.createRegisteredModel('m');
    const res = await mregOk(['notify', '--once', '--repo', dir, ...FAST]);
    const m = /limited: \S+ failed \(HTTP 429\); retry 1 in (\d+) ms/.exec(res.stderr);
    expect(m, res.stderr).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(1000);
    expect(rx.deliveries().map((d) => d.accepted)).toEqual([false, true]);
    // Unsigned: the webhook names no secret, as MLflow sends without one.
    expect(rx.deliveries()[1]!.signed).toBe(false);
  });

  it('a slow receiver times out and is parked; the other webhook is not held back; a fix of its URL unparks it', async () => {
    const { dir, registry: r } = await freshRegistry();
    const slow = await startReceiver(dir, 'slow', { secret: SECRET, delayMs: 5_000 });
    const fast = await startReceiver(dir, 'fast', { secret: SECRET });
    await addWebhooks(dir, [
      { name: 'slow', url: slow.url, events: ['model_version.created'], secret_env: 'HOOK_SECRET' },
      { name: 'fast', url: fast.url, events: ['model_version.created'], secret_env: 'HOOK_SECRET' },
    ]);
    await r.createRegisteredModel('m');
    for (let i = 0; i < 5; i++) await r.createModelVersion('m', `s3://b/${i}`);
    const res = await mreg(
      ['notify', '--once', '--repo', dir, '--allow-private', '--backoff', '0.05', '--timeout', '0.5', '--retries', '2'],
      {
        env: ENV,
      },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/webhook 'slow' is parked \(no response within 0\.5 s\)/);
    expect(fast.accepted()).toHaveLength(5);
    const status = await notifyStatus(dir);
    const s = status.find((x) => x.name === 'slow');
    expect(s).toMatchObject({ state: 'parked', failures: 2, delivered: 0, pending: 5 });
    expect(s.last_error.message).toBe('no response within 0.5 s');
    expect(status.find((x) => x.name === 'fast')).toMatchObject({ state: 'ok', delivered: 5, pending: 0 });

    // The registry points the webhook at a receiver that answers: the next run delivers everything, in order.
    const fixed = await startReceiver(dir, 'fixed', { secret: SECRET });
    const yaml = await readFile(path.join(dir, 'registry.yaml'), 'utf8');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(path.join(dir, 'registry.yaml'), yaml.replace(slow.url, fixed.url)),
    );
    await git(
      dir,
      '-c',
      'user.name=R',
      '-c',
      'user.email=r@example.com',
      'commit',
      '-qam',
      'point slow at a working receiver',
    );
    await mregOk(['notify', '--once', '--repo', dir, ...FAST], { env: ENV });
    expect(fixed.accepted()).toEqual(fast.accepted());
  });

  it('refuses loopback addresses without --allow-private, does not follow redirects, needs the secret it names', async () => {
    const { dir, registry: r } = await freshRegistry();
    const rx = await startReceiver(dir, 'rx', { secret: SECRET });
    const moved = await startReceiver(dir, 'moved', { status: 302 });
    await addWebhooks(dir, [
      { name: 'local', url: rx.url, events: ['registered_model.created'], secret_env: 'HOOK_SECRET' },
      { name: 'moved', url: moved.url, events: ['registered_model.created'] },
    ]);
    await r.createRegisteredModel('m');
    let res = await mreg(['notify', '--once', '--repo', dir, '--backoff', '0.05'], { env: ENV });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /local: parked after 1 failed attempt \(127\.0\.0\.1 resolves to 127\.0\.0\.1, a private or loopback address: refused/,
    );
    expect(rx.deliveries()).toEqual([]);
    res = await mreg(['notify', '--once', '--repo', dir, ...FAST], { env: {} });
    expect(res.stderr).toMatch(/local: parked after 1 failed attempt \(environment variable HOOK_SECRET is not set\)/);
    expect(res.stderr).toMatch(/moved: parked after 1 failed attempt \(HTTP 302 \(redirects are not followed\)\)/);
    expect(rx.deliveries()).toEqual([]);
    res = await mreg(['notify', '--once', '--repo', dir, ...FAST], { env: ENV });
    expect(rx.accepted()).toHaveLength(1);
    expect(res.stderr).not.toContain(SECRET);
  });

  it('a force-push: the receiver is told what the removed commits undo, then gets the new commits', async () => {
    const { dir, registry: r } = await freshRegistry();
    const rx = await startReceiver(dir, 'rx', { secret: SECRET });
    await addWebhooks(dir, [
      {
        name: 'deploy',
        url: rx.url,
        events: ['model_version.stage_transitioned', 'model_version.created', 'model_version.deleted'],
        secret_env: 'HOOK_SECRET',
      },
    ]);
    await r.createRegisteredModel('fraud');
    await r.createModelVersion('fraud', 's3://b/1');
    const keep = (await git(dir, 'rev-parse', 'HEAD')).trim();
    await r.createModelVersion('fraud', 's3://b/2');
    await r.transitionModelVersionStage('fraud', '2', 'Production', { archiveExistingVersions: false });
    await mregOk(['notify', '--once', '--repo', dir, ...FAST], { env: ENV });
    expect(rx.deliveries()).toHaveLength(3);
    await git(dir, 'reset', '-q', '--hard', keep);
    await r.transitionModelVersionStage('fraud', '1', 'Staging', { archiveExistingVersions: false });
    const res = await mregOk(['notify', '--once', '--repo', dir, ...FAST], { env: ENV });
    expect(res.stderr).toMatch(/deploy: commit \w{10} is no longer on the branch \(force-push\)/);
    const after = rx.deliveries().slice(3);
    expect(after.map((d) => [`${d.body!.entity}.${d.body!.action}`, d.body!.data.version])).toEqual([
      ['model_version.deleted', '2'],
      ['model_version.stage_transitioned', '1'],
    ]);
    expect(after[0]!.delivery_id).toMatch(/^[0-9a-f]{40}\.\.[0-9a-f]{40}:\d+$/);
    expect(after[0]!.body!.data.rewound_from).toMatch(/^[0-9a-f]{40}$/);
    const [s] = await notifyStatus(dir);
    expect(s.last_rewind).toMatchObject({ to: keep });
  });

  it('a worker whose read fails (a git object missing for a while) tries again from its cursor, not stopping', async () => {
    const { dir, registry: r } = await freshRegistry();
    const rx = await startReceiver(dir, 'rx', { secret: SECRET });
    await addWebhooks(dir, [
      { name: 'deploy', url: rx.url, events: ['model_version.created'], secret_env: 'HOOK_SECRET' },
    ]);
    await r.createRegisteredModel('fraud');
    await r.createModelVersion('fraud', 's3://b/1');
    // The version file's blob goes missing (a gc racing a fetch, a disk hiccup): deriving the event fails.
    const oid = (await git(dir, 'rev-parse', 'HEAD:models/fraud/versions/1.yaml')).trim();
    const object = path.join(dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2));
    const aside = path.join(await tempDir('mreg-notify-object-'), oid);
    await rename(object, aside);
    const notify = startNotify(['--repo', dir, ...FAST], ENV);
    await until(() => /deploy: .*trying again in 2 s/.test(notify.stderr()), 30_000, 'the failed read to be logged');
    expect(rx.deliveries()).toHaveLength(0);
    await rename(aside, object);
    await until(() => rx.accepted().length === 1, 30_000, 'the delivery after the object came back');
    expect(rx.deliveries()[0]!.body!.data).toMatchObject({ name: 'fraud', version: '1', source: 's3://b/1' });
  });

  it('--remote URL: follows a git host through its own clone', async () => {
    const { dir, registry: r } = await freshRegistry();
    const rx = await startReceiver(dir, 'rx', { secret: SECRET });
    await addWebhooks(dir, [
      { name: 'deploy', url: rx.url, events: ['model_version.created'], secret_env: 'HOOK_SECRET' },
    ]);
    await r.createRegisteredModel('fraud');
    await r.createModelVersion('fraud', 's3://b/1');
    const root = await tempDir('mreg-notify-remote-');
    await git(root, 'clone', '-q', '--bare', dir, path.join(root, 'registry.git'));
    const server = await startGitHttpServer(root);
    onTestFinished(() => server.close());
    const clone = path.join(root, 'clone');
    await mregOk(['notify', '--once', '--remote', server.url('registry.git'), '--repo', clone, ...FAST], { env: ENV });
    expect(rx.accepted()).toHaveLength(1);
    // The cursor lives in the clone's git directory.
    expect((await readdir(path.join(clone, 'mreg', 'notify'))).sort()).toEqual(['deploy.jsonl']);
  });

  it('only the models a webhook names; --test sends a signed ping; one notify per repository', async () => {
    const { dir, registry: r } = await freshRegistry();
    const rx = await startReceiver(dir, 'rx', { secret: SECRET });
    await addWebhooks(dir, [
      {
        name: 'fraud-only',
        url: rx.url,
        events: ['model_version.created', 'registered_model.renamed'],
        models: ['fraud'],
        secret_env: 'HOOK_SECRET',
      },
    ]);
    await r.createRegisteredModel('fraud');
    await r.createRegisteredModel('churn');
    await r.createModelVersion('churn', 's3://c/1');
    await r.createModelVersion('fraud', 's3://f/1');
    await r.renameRegisteredModel('fraud', 'fraud2');
    await mregOk(['notify', '--once', '--repo', dir, ...FAST], { env: ENV });
    expect(rx.deliveries().map((d) => [d.body!.action, d.body!.data.name])).toEqual([
      ['created', 'fraud'],
      ['renamed', 'fraud2'],
    ]);

    const ping = await mregOk(['notify', '--test', 'fraud-only', '--repo', dir, '--allow-private', '--json'], {
      env: ENV,
    });
    const last = rx.deliveries().at(-1)!;
    expect(last).toMatchObject({ accepted: true, signed: true, delivery_id: JSON.parse(ping.stdout).delivery_id });
    expect(last.body).toMatchObject({
      entity: 'model_version',
      action: 'created',
      data: { name: 'example_model', version: '1' },
    });
    const missing = await mreg(['notify', '--test', 'nope', '--repo', dir], { env: ENV });
    expect([missing.code, missing.stderr]).toEqual([
      1,
      "mreg: RESOURCE_DOES_NOT_EXIST: No webhook 'nope' in registry.yaml.\n",
    ]);

    const running = startNotify(['--repo', dir, ...FAST], ENV);
    await until(() => running.stderr().includes('delivering'), 20_000, 'the first notify to start');
    const second = await mreg(['notify', '--once', '--repo', dir, ...FAST], { env: ENV });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/Another mreg notify \(pid \d+ on .+\) is delivering for this repository/);
    // The running one picks up new commits by itself; the renamed model's events no longer match 'fraud', a
    // new model of that name does.
    await r.createModelVersion('fraud2', 's3://f/2');
    await r.createRegisteredModel('fraud');
    await r.createModelVersion('fraud', 's3://f/new');
    await until(() => rx.accepted().length === 4, 20_000, 'the follow-up delivery');
    expect(rx.deliveries().at(-1)!.body!.data).toMatchObject({ name: 'fraud', version: '1', source: 's3://f/new' });
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  });
});
