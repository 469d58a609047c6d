// The daemon's events: GET /api/v1/events (paged), the server-sent-event stream resuming from Last-Event-ID,
// the push webhook of a --remote replica, and what /metrics and the UI say about mreg notify's webhooks.
// The CLI, the library and the daemon must give the same events with the same ids.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildDaemonConfig } from '../../src/daemon/config.js';
import { createLogger } from '../../src/daemon/log.js';
import { startDaemon } from '../../src/daemon/serve.js';
import { readEvents } from '../../src/events/read-events.js';
import type { RegistryEvent } from '../../src/events/types.js';
import { StateHolder } from '../../src/daemon/holder.js';
import { DaemonEvents } from '../../src/daemon/http/events.js';
import type { RequestInput, StreamSink } from '../../src/daemon/http/reply.js';
import type { Served } from '../../src/daemon/ui-deps.js';
import { writeStatus } from '../../src/notify/state.js';
import { GitReader } from '../../src/store/git/reader.js';
import { loadCommit } from '../../src/store/load.js';
import { mregOk } from '../helpers/cli.js';
import { serveRepo } from '../helpers/daemon.js';
import { startGitHttpServer } from '../helpers/git-http-server.js';
import { freshRegistry, git, tempDir } from '../helpers/registry.js';
import { until } from '../helpers/webhooks.js';

async function history(r: Awaited<ReturnType<typeof freshRegistry>>['registry']): Promise<void> {
  await r.createRegisteredModel('fraud', { tags: { team: 'risk' } });
  await r.createModelVersion('fraud', 's3://b/1');
  await r.createModelVersion('fraud', 's3://b/2');
  await r.transitionModelVersionStage('fraud', '2', 'Production', { archiveExistingVersions: false });
  await r.setRegisteredModelAlias('fraud', 'champion', '2');
  await r.createRegisteredModel('churn');
  await r.renameRegisteredModel('churn', 'churn-v2');
}

/** Reads server-sent events from a streaming response until `count` events arrived. */
async function readSse(
  res: Response,
  count: number,
  idsWanted = 0,
): Promise<{ events: Array<{ id: string; type: string; data: RegistryEvent }>; ids: string[]; stop: () => void }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const events: Array<{ id: string; type: string; data: RegistryEvent }> = [];
  const ids: string[] = [];
  let deadline = Date.now() + 20_000;
  while (events.length < count || ids.length < idsWanted) {
    // Bounded: a stream that sends nothing but heartbeats fails here with what it did send, not with the test's
    // timeout (a heartbeat does not count as progress).
    let timer: NodeJS.Timeout | undefined;
    const quiet = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no event for 20 s after ${events.length}/${count} events, ${ids.length} ids`)),
        Math.max(1, deadline - Date.now()),
      );
    });
    const { value, done } = await Promise.race([reader.read(), quiet]).finally(() => clearTimeout(timer));
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const c = line.indexOf(':');
        if (c > 0) f[line.slice(0, c)] = line.slice(c + 1).trimStart();
      }
      if (f.id) ids.push(f.id);
      if (f.data) events.push({ id: f.id!, type: f.event!, data: JSON.parse(f.data) as RegistryEvent });
      if (f.id || f.data) deadline = Date.now() + 20_000;
    }
  }
  return { events, ids, stop: () => void reader.cancel() };
}

describe('daemon events', () => {
  it('GET /api/v1/events pages through the same events, with the same ids, as the CLI and the library', async () => {
    const { dir, registry: r } = await freshRegistry();
    await history(r);
    const d = await serveRepo(dir);
    await d.ready;
    const lib: RegistryEvent[] = [];
    for await (const e of readEvents(dir)) lib.push(e);
    const cli = (await mregOk(['events', '--json', '--repo', dir])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RegistryEvent);
    expect(cli).toEqual(lib);

    const all = await d.get('/api/v1/events');
    expect(all.status).toBe(200);
    expect(all.body.events).toEqual(lib);
    expect(all.body.next_page_token).toBeUndefined();
    expect(all.body.cursor).toBe(`${d.holder.current!.commit}:999999999`);

    // Pages of two, following next_page_token, give the same list.
    const paged: RegistryEvent[] = [];
    let token: string | undefined;
    do {
      const p = await d.get(`/api/v1/events?max_results=2${token ? `&page_token=${token}` : ''}`);
      expect(p.status).toBe(200);
      paged.push(...p.body.events);
      token = p.body.next_page_token;
    } while (token);
    expect(paged.map((e) => e.id)).toEqual(lib.map((e) => e.id));

    // since: an event id, a ref; filters by model (a rename counts) and type.
    expect((await d.get(`/api/v1/events?since=${lib[2]!.id}`)).body.events).toEqual(lib.slice(3));
    expect((await d.get('/api/v1/events?since=main~2')).body.events.map((e: RegistryEvent) => e.type)).toEqual([
      'registered_model.created',
      'registered_model.renamed',
    ]);
    expect((await d.get('/api/v1/events?model=churn')).body.events.map((e: RegistryEvent) => e.type)).toEqual([
      'registered_model.created',
      'registered_model.renamed',
    ]);
    expect(
      (await d.get('/api/v1/events?type=model_version.created&type=model_version_alias.created')).body.events.length,
    ).toBe(3);
    // Bad input: a clear 400, MLflow-style.
    for (const q of ['since=nope', 'type=model.exploded', 'max_results=0', 'page_token=zzz', 'since=..%2F..%2Fetc']) {
      const bad = await d.get(`/api/v1/events?${q}`);
      expect(bad.status, q).toBe(400);
      expect(bad.body.error_code, q).toBe('INVALID_PARAMETER_VALUE');
    }
    expect((await fetch(`${d.url}/api/v1/events`, { method: 'POST' })).status).toBe(405);

    // A cursor taken now returns only what comes later.
    const cursor = all.body.cursor as string;
    await r.setModelVersionTag('fraud', '1', 'k', 'v');
    await d.check();
    const later = await d.get(`/api/v1/events?since=${cursor}`);
    expect(later.body.events.map((e: RegistryEvent) => e.type)).toEqual(['model_version_tag.set']);
  });

  it('the event stream sends new events as they are served and resumes after Last-Event-ID', async () => {
    const { dir, registry: r } = await freshRegistry();
    await history(r);
    // The poll is a backstop here, as in production (2 s): this test is about the stream, and a file-system event
    // lost under load (an inotify queue overflow in a full parallel suite) must not stall it for the helper's 60 s.
    const d = await serveRepo(dir, { debounceMs: 10, pollMs: 500 });
    await d.ready;
    const first = (await d.get('/api/v1/events')).body.events as RegistryEvent[];

    // From a given point: the rest of history at once, then what is committed next.
    const res = await fetch(`${d.url}/api/v1/events/stream?since=${first[4]!.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const pending = readSse(res, first.length - 5 + 2);
    await r.createModelVersion('fraud', 's3://b/3');
    await r.transitionModelVersionStage('fraud', '3', 'Staging', { archiveExistingVersions: false });
    const got = await pending.catch((e: Error) => {
      throw new Error(`${e.message}; daemon log:\n${d.logs.join('\n')}`);
    });
    got.stop();
    const all = (await d.get('/api/v1/events')).body.events as RegistryEvent[];
    expect(got.events.map((e) => e.id)).toEqual(all.slice(5).map((e) => e.id));
    expect(got.events.map((e) => e.data)).toEqual(all.slice(5));
    expect(got.events.at(-1)!.type).toBe('model_version.stage_transitioned');

    // A client that reconnects with the last id it saw gets only what came after.
    await r.setRegisteredModelTag('fraud', 'owner', 'ann');
    const again = await fetch(`${d.url}/api/v1/events/stream`, {
      headers: { 'Last-Event-ID': got.events.at(-1)!.id },
    });
    const resumed = await readSse(again, 1).catch((e: Error) => {
      throw new Error(`resuming after Last-Event-ID: ${e.message}; daemon log:\n${d.logs.join('\n')}`);
    });
    resumed.stop();
    expect(resumed.events.map((e) => e.type)).toEqual(['registered_model_tag.set']);

    // A filtered stream sends no events, but still moves the client's Last-Event-ID on every commit.
    const filtered = await fetch(`${d.url}/api/v1/events/stream?model=nobody&since=${first[0]!.id}`);
    const idOnly = await readSse(filtered, 0, 1).catch((e: Error) => {
      throw new Error(`filtered stream: ${e.message}; daemon log:\n${d.logs.join('\n')}`);
    });
    idOnly.stop();
    expect(idOnly.events).toEqual([]);
    expect(idOnly.ids).toEqual([`${d.holder.current!.commit}:999999999`]);
    expect((await fetch(`${d.url}/api/v1/events/stream?since=nope`)).status).toBe(400);
    expect((await d.get('/metrics')).text).toMatch(/^mreg_event_streams \d+$/m);
  });

  it('a commit served just as the stream finishes a read is still sent (no lost wake-up)', async () => {
    // The HTTP server is not needed to hit the window: the stream is driven through its sink, and the next commit
    // is swapped in right after the stream wrote the id line that ends a read — before the read's loop has let go.
    const { dir, registry: r } = await freshRegistry();
    await r.createRegisteredModel('fraud');
    const repo = await GitReader.open(dir);
    const holder = new StateHolder();
    const at = async (): Promise<Served> => {
      const commit = (await repo.resolveBranch('main'))!;
      return { commit, loaded: await loadCommit(repo, commit), loadedAt: Date.now() };
    };
    holder.swap(await at());
    const events = new DaemonEvents(repo, holder);
    await r.createModelVersion('fraud', 's3://b/1');
    const next = await at();

    const chunks: string[] = [];
    let swapped = false;
    let sawNext!: () => void;
    const done = new Promise<void>((res) => (sawNext = res));
    const sink: StreamSink = {
      write(chunk) {
        chunks.push(chunk);
        if (!swapped && chunk.startsWith('id: ') && chunk.endsWith(':999999999\n\n')) {
          swapped = true;
          queueMicrotask(() => holder.swap(next));
        }
        if (chunk === `id: ${next.commit}:999999999\n\n`) sawNext();
        return true;
      },
      buffered: () => 0,
      end() {},
      onClose() {},
    };
    const reply = await events.stream(
      {
        method: 'GET',
        path: '/api/v1/events/stream',
        rawQuery: '',
        header: () => undefined,
      } as unknown as RequestInput,
      'GET',
      holder.current,
    );
    reply.stream!(sink);
    const timeout = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), 5_000).unref());
    expect(await Promise.race([done.then(() => 'sent'), timeout])).toBe('sent');
    // From now: only the next commit's one event, between the two id lines that end each read.
    const sent = chunks.filter((c) => c.includes('\nevent: '));
    expect(sent.map((c) => /\nevent: (\S+)/.exec(c)![1])).toEqual(['model_version.created']);
  });

  it('POST /api/v1/hooks/git: a signed push makes a --remote replica fetch at once', async () => {
    const root = await tempDir('mreg-hook-');
    const { dir: work, registry: r } = await freshRegistry();
    await r.createRegisteredModel('fraud');
    await git(root, 'clone', '-q', '--bare', work, path.join(root, 'registry.git'));
    const server = await startGitHttpServer(root);
    onTestFinished(() => server.close());
    const url = server.url('registry.git');
    await git(work, 'remote', 'add', 'origin', url);
    const secret = 'hook-secret-for-tests';
    const logs: string[] = [];
    // The poll is an hour apart: only the push webhook can make this replica move.
    const config = buildDaemonConfig(
      { repo: path.join(root, 'replica'), port: 0, snapshot: false, pollMs: 60_000, remote: url, interval: 3600 },
      { MREG_GIT_HOOK_SECRET: secret },
    );
    const d = await startDaemon(config, { logger: createLogger('debug', (l) => void logs.push(l)) });
    onTestFinished(() => d.stop());
    await d.ready;
    const before = d.holder.current!.commit;

    await r.createModelVersion('fraud', 's3://b/1');
    await git(work, 'push', '-q', 'origin', 'HEAD:main');
    const pushed = (await git(work, 'rev-parse', 'HEAD')).trim();
    const body = JSON.stringify({ ref: 'refs/heads/main', after: pushed });
    const post = (headers: Record<string, string>, b = body) =>
      fetch(`${d.url}/api/v1/hooks/git`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body: b,
      });
    const sign = (b: string, s = secret) => 'sha256=' + createHmac('sha256', s).update(b).digest('hex');

    expect((await post({})).status).toBe(401);
    expect((await post({ 'X-Hub-Signature-256': sign(body, 'wrong') })).status).toBe(401);
    expect((await post({ 'X-Gitlab-Token': 'wrong' })).status).toBe(401);
    expect(d.holder.current!.commit).toBe(before);
    expect(await (await post({ 'X-Hub-Signature-256': sign(body), 'X-GitHub-Event': 'ping' })).json()).toEqual({
      status: 'pong',
    });
    const other = JSON.stringify({ ref: 'refs/heads/feature' });
    const ignored = await post({ 'X-Hub-Signature-256': sign(other) }, other);
    expect([ignored.status, (await ignored.json()).status]).toEqual([202, 'ignored']);

    const ok = await post({ 'X-Hub-Signature-256': sign(body) });
    expect([ok.status, await ok.json()]).toEqual([202, { status: 'fetching' }]);
    const served = async (commit: string): Promise<void> => {
      const t0 = Date.now();
      while (d.holder.current!.commit !== commit) {
        if (Date.now() - t0 > 10_000) throw new Error(`${commit} not served; logs:\n${logs.join('\n')}`);
        await new Promise((res) => setTimeout(res, 10));
      }
    };
    await served(pushed);

    // GitLab's token works too.
    await r.createModelVersion('fraud', 's3://b/2');
    await git(work, 'push', '-q', 'origin', 'HEAD:main');
    const second = (await git(work, 'rev-parse', 'HEAD')).trim();
    expect((await post({ 'X-Gitlab-Token': secret })).status).toBe(202);
    await served(second);
    expect(
      (await fetch(`${d.url}/metrics`).then((x) => x.text())).match(/mreg_git_hooks_total\{outcome="\w+"\} \d+/g),
    ).toEqual([
      'mreg_git_hooks_total{outcome="accepted"} 2',
      'mreg_git_hooks_total{outcome="ignored"} 1',
      'mreg_git_hooks_total{outcome="rejected"} 3',
    ]);
  });

  it('a push webhook that arrives while a fetch is in flight is followed by a fetch of its own', async () => {
    const root = await tempDir('mreg-hook-race-');
    const { dir: work, registry: r } = await freshRegistry();
    await r.createRegisteredModel('fraud');
    await git(root, 'clone', '-q', '--bare', work, path.join(root, 'registry.git'));
    const server = await startGitHttpServer(root);
    onTestFinished(() => server.close());
    await git(work, 'remote', 'add', 'origin', server.url('registry.git'));
    // The replica reaches the host through a relay that can hold the host's answers: a fetch then sees the
    // host as it was when it asked, however late the answer arrives.
    const upstream = new URL(server.url('registry.git'));
    let hold: Promise<void> | undefined;
    let release = (): void => undefined;
    let held = 0;
    const relay = http.createServer((req, res) => {
      const up = http.request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (c: Buffer) => chunks.push(c));
          answer.on('end', () => {
            const send = (): void => {
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(chunks));
            };
            // (Only answers to POSTs: with git's protocol v2 the refs come in the answer to the first one.)
            if (hold && req.method === 'POST') {
              held++;
              void hold.then(send);
            } else send();
          });
        },
      );
      req.pipe(up);
    });
    await new Promise<void>((ok) => relay.listen(0, '127.0.0.1', ok));
    onTestFinished(() => new Promise<void>((ok) => relay.close(() => ok())));
    const url = `http://127.0.0.1:${(relay.address() as { port: number }).port}${upstream.pathname}`;
    const secret = 'hook-secret-for-tests';
    const config = buildDaemonConfig(
      { repo: path.join(root, 'replica'), port: 0, snapshot: false, pollMs: 60_000, remote: url, interval: 3600 },
      { MREG_GIT_HOOK_SECRET: secret },
    );
    const d = await startDaemon(config, { logger: createLogger('silent') });
    onTestFinished(() => d.stop());
    await d.ready;
    const hook = (after: string) => {
      const body = JSON.stringify({ ref: 'refs/heads/main', after });
      const sig = 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
      return fetch(`${d.url}/api/v1/hooks/git`, { method: 'POST', headers: { 'X-Hub-Signature-256': sig }, body });
    };
    const push = async (): Promise<string> => {
      await git(work, 'push', '-q', 'origin', 'HEAD:main');
      return (await git(work, 'rev-parse', 'HEAD')).trim();
    };

    await r.createModelVersion('fraud', 's3://b/1');
    const first = await push();
    hold = new Promise<void>((ok) => (release = ok));
    expect((await hook(first)).status).toBe(202);
    await until(() => held > 0, 10_000, 'the first fetch to ask the host');
    // A second push lands while the first fetch, which asked before it, is still in flight.
    await r.createModelVersion('fraud', 's3://b/2');
    const second = await push();
    expect((await hook(second)).status).toBe(202);
    hold = undefined;
    release();
    await until(() => d.holder.current?.commit === second, 20_000, 'the second push to be served');
  });

  it('the push webhook is refused without a secret or a remote', async () => {
    const { dir } = await freshRegistry();
    const local = await serveRepo(dir);
    await local.ready;
    const r1 = await fetch(`${local.url}/api/v1/hooks/git`, { method: 'POST', body: '{}' });
    expect([r1.status, (await r1.json()).error_code]).toEqual([404, 'ENDPOINT_NOT_FOUND']);
    expect((await fetch(`${local.url}/api/v1/hooks/git`)).status).toBe(405);
  });

  it('/metrics and /ui/webhooks show a parked webhook from the state mreg notify keeps', async () => {
    const { dir, registry: r } = await freshRegistry();
    await r.createRegisteredModel('fraud');
    await import('node:fs/promises').then((fs) =>
      fs.appendFile(
        path.join(dir, 'registry.yaml'),
        'webhooks:\n  - name: deploy\n    url: https://deploy.example.com/hook\n    events: [model_version.created]\n',
      ),
    );
    await git(dir, '-c', 'user.name=R', '-c', 'user.email=r@example.com', 'commit', '-qam', 'webhook');
    const repo = await GitReader.open(dir);
    await writeStatus(repo.gitdir, {
      name: 'deploy',
      url: 'https://deploy.example.com/hook',
      added_in: null,
      cursor: null,
      state: 'parked',
      delivered: 3,
      failures: 10,
      last_error: { id: 'x', message: 'HTTP 503', status: 503, at: '2026-01-01T00:00:00.000Z' },
      parked_at: '2026-01-01T00:00:00.000Z',
      next_attempt: '2026-01-01T00:05:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    });
    const d = await serveRepo(dir);
    await d.ready;
    const metrics = (await d.get('/metrics')).text;
    expect(metrics).toContain('mreg_webhook_parked{webhook="deploy"} 1');
    expect(metrics).toContain('mreg_webhook_failures{webhook="deploy"} 10');
    expect(metrics).toContain('mreg_webhook_delivered_total{webhook="deploy"} 3');
    const ui = await d.get('/ui/webhooks');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('A webhook is parked');
    expect(ui.text).toContain('HTTP 503');
    expect(ui.text).toContain('https://deploy.example.com/hook');
  });
});
