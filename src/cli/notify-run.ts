// The work of `mreg notify` (cli/commands/notify.ts declares its options): run the notifier under a lock,
// print --status, send --test.
import path from 'node:path';
import { buildDaemonConfig } from '../daemon/config.js';
import { RegistryError } from '../errors.js';
import { EventLog, afterCommit, type Position } from '../events/log.js';
import { loadRegistryFile } from '../events/source.js';
import { parseEventId } from '../events/types.js';
import { Notifier, type NotifierOptions } from '../notify/notifier.js';
import { entityAction, exampleData, asciiJson, pythonIsoTime, webhookHeaders } from '../notify/payload.js';
import { postJson } from '../notify/post.js';
import { readAllStatusSync, type WebhookStatus } from '../notify/status-read.js';
import { wants, webhooksOf, type Webhook } from '../notify/webhooks.js';
import { openNotifyRepository, type NotifyRepository } from '../notify/repository.js';
import { withFileLock } from '../util/lock.js';
import type { NotifyArgs as Args } from './commands/notify.js';
import { envValue, repoDir } from './options.js';
import { outputFor } from './output.js';

const USER_AGENT = 'mreg-notify';
/** --status counts pending events up to this many. */
const MAX_PENDING_COUNT = 1000;

export async function runNotify(a: Args): Promise<void> {
  const out = outputFor(a);
  let dir: string;
  if (a.remote !== undefined) {
    dir = buildDaemonConfig({ remote: a.remote, ...(a.repo !== undefined ? { repo: a.repo } : {}) }).repoDir;
  } else dir = repoDir(a);
  const repo = await openNotifyRepository(dir, {
    followsRemote: a.remote !== undefined,
    ...(a.branch !== undefined ? { branch: a.branch } : {}),
  });
  const branch = a.branch ?? (a.remote !== undefined ? 'main' : ((await repo.currentBranch()) ?? 'main'));
  const tipOf = async (): Promise<string | null> =>
    a.remote !== undefined ? repo.resolveRemoteBranch('origin', branch) : repo.resolveBranch(branch);

  if (a.remote !== undefined && (a.status || a.test !== undefined))
    await repo.fetch({ remote: 'origin', url: a.remote, branch });
  if (a.status) return status(a, repo, await tipOf());
  if (a.test !== undefined) return ping(a, repo, await tipOf(), a.test);

  const opts: NotifierOptions = {
    repo,
    branch,
    ...(a.remote !== undefined ? { remote: { url: a.remote, intervalMs: (a.interval ?? 10) * 1000 } } : {}),
    allowPrivate: a['allow-private'] === true,
    timeoutMs: (a.timeout ?? 10) * 1000,
    retries: a.retries ?? 10,
    backoffMs: (a.backoff ?? 1) * 1000,
    maxBackoffMs: 60_000,
    parkMs: (a.park ?? 300) * 1000,
    secret: (name) => envValue(name),
    log: (line) => out.note(`mreg notify: ${line}`),
    verbose: a.verbose === true,
    userAgent: USER_AGENT,
    once: a.once === true,
    // The running CLI: a long backlog is derived by a second `mreg events` process.
    ...(process.argv[1] ? { cli: process.argv[1] } : {}),
  };
  const lock = path.join(repo.gitdir, 'mreg', 'notify.lock');
  await withFileLock(
    lock,
    async () => {
      const notifier = new Notifier(opts);
      const stop = (): void => void notifier.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await notifier.run();
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await notifier.stop();
      }
      if (a.once) {
        const parked = notifier.statuses().filter((s) => s.state === 'parked');
        if (parked.length)
          throw new RegistryError(
            'INVALID_STATE',
            `${parked.map((s) => `webhook '${s.name}' is parked (${s.last_error?.message ?? 'failing'})`).join('; ')}.`,
          );
      }
    },
    {
      timeoutMs: 1000,
      timeoutError: (_p, owner) =>
        new RegistryError(
          'INVALID_STATE',
          `Another mreg notify${owner ? ` (pid ${owner.pid} on ${owner.hostname})` : ''} is delivering for this repository.`,
        ),
    },
  );
}

async function configured(repo: NotifyRepository, tip: string | null): Promise<Webhook[]> {
  if (!tip) return [];
  const registry = await loadRegistryFile(repo, tip);
  if (!registry) throw new RegistryError('INVALID_STATE', `registry.yaml at ${tip.slice(0, 10)} does not validate.`);
  return webhooksOf(registry);
}

async function status(a: Args, repo: NotifyRepository, tip: string | null): Promise<void> {
  const out = outputFor(a);
  const hooks = await configured(repo, tip);
  const saved = new Map(readAllStatusSync(repo.gitdir).map((s) => [s.name, s]));
  const log = new EventLog(repo);
  const rows: Array<{ webhook: Webhook | undefined; status: WebhookStatus | undefined; pending: number | null }> = [];
  for (const h of hooks) {
    const s = saved.get(h.name);
    let pending: number | null = null;
    if (tip && s) {
      pending = 0;
      const c = s.cursor ? parseEventId(s.cursor) : undefined;
      const from: Position = c
        ? { kind: 'cursor', cursor: c }
        : s.added_in
          ? afterCommit(s.added_in)
          : { kind: 'start' };
      for await (const e of log.read(tip, from)) {
        if (wants(h, e) && ++pending > MAX_PENDING_COUNT) break;
      }
    }
    rows.push({ webhook: h, status: s, pending });
    saved.delete(h.name);
  }
  for (const s of saved.values()) rows.push({ webhook: undefined, status: s, pending: null });
  if (out.json) {
    out.print(
      JSON.stringify(
        {
          webhooks: rows.map((r) => ({
            name: r.webhook?.name ?? r.status!.name,
            url: r.webhook?.url ?? r.status!.url,
            configured: r.webhook !== undefined,
            state: r.status?.state ?? 'new',
            pending: r.pending,
            ...(r.status ?? {}),
          })),
        },
        null,
        2,
      ),
    );
    return;
  }
  if (!rows.length) return out.print('No webhooks in registry.yaml.');
  for (const r of rows) {
    const s = r.status;
    const name = r.webhook?.name ?? s!.name;
    const state = !r.webhook ? 'removed from registry.yaml' : (s?.state ?? 'new (not started)');
    const pending =
      r.pending === null ? '' : `, ${r.pending > MAX_PENDING_COUNT ? `${MAX_PENDING_COUNT}+` : r.pending} pending`;
    out.print(`${name}  ${state}  ${r.webhook?.url ?? s!.url}`);
    if (s) {
      out.print(
        `    delivered ${s.delivered}${pending}; cursor ${s.cursor ?? `after ${s.added_in ?? 'the first commit'}`}`,
      );
      if (s.last_delivery)
        out.print(`    last delivery ${s.last_delivery.at}: ${s.last_delivery.id} → ${s.last_delivery.status}`);
      if (s.state !== 'ok' && s.last_error)
        out.print(
          `    failing since ${s.parked_at ?? s.last_error.at}: ${s.last_error.message}; next attempt ${s.next_attempt ?? 'now'}`,
        );
      if (s.last_rewind)
        out.print(
          `    force-push seen ${s.last_rewind.at}: ${s.last_rewind.from.slice(0, 10)} rewound to ${s.last_rewind.to.slice(0, 10)}`,
        );
    }
  }
}

async function ping(a: Args, repo: NotifyRepository, tip: string | null, name: string): Promise<void> {
  const out = outputFor(a);
  const hook = (await configured(repo, tip)).find((h) => h.name === name);
  if (!hook) throw RegistryError.notFound(`No webhook '${name}' in registry.yaml.`, { webhook: name });
  let secret: string | undefined;
  if (hook.secret_env !== undefined) {
    secret = envValue(hook.secret_env);
    if (!secret)
      throw new RegistryError(
        'INVALID_STATE',
        `Environment variable ${hook.secret_env} (the secret of '${name}') is not set.`,
      );
  }
  const type = hook.events[0]!;
  const now = Date.now();
  const deliveryId = `test-${now.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const body = asciiJson({ ...entityAction(type), timestamp: pythonIsoTime(now), data: exampleData(type) });
  const headers = webhookHeaders(deliveryId, body, now, secret, USER_AGENT);
  let r;
  try {
    r = await postJson(new URL(hook.url), body, headers, {
      timeoutMs: (a.timeout ?? 10) * 1000,
      allowPrivate: a['allow-private'] === true,
    });
  } catch (e) {
    throw new RegistryError('INVALID_STATE', `Webhook '${name}' could not be reached: ${(e as Error).message}`);
  }
  const ok = r.status >= 200 && r.status < 300;
  out.result(
    { webhook: name, event: type, delivery_id: deliveryId, status: r.status, ms: Math.round(r.ms), body: r.body },
    () =>
      `${name}: ${type} (delivery ${deliveryId}${secret ? ', signed' : ', unsigned'}) → HTTP ${r.status} in ${Math.round(r.ms)} ms${r.body ? `: ${r.body.slice(0, 200)}` : ''}`,
  );
  if (!ok) throw new RegistryError('INVALID_STATE', `Webhook '${name}' answered HTTP ${r.status}.`);
}
