// Webhook receivers (webhook-receiver.mjs, each its own process) and `mreg notify` as a long-running process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { BIN, cliEnv } from './cli.js';
import { git } from './registry.js';

const RECEIVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'webhook-receiver.mjs');

interface Delivery {
  delivery_id: string | null;
  timestamp: string | null;
  signed: boolean;
  body: { entity: string; action: string; timestamp: string; data: Record<string, unknown> } | null;
  accepted: boolean;
  reason?: string;
}

export interface Receiver {
  url: string;
  port: number;
  /** Every request received, in arrival order. */
  deliveries(): Delivery[];
  /** The delivery ids of the accepted ones, in arrival order. */
  accepted(): string[];
  stop(): void;
}

export async function startReceiver(
  dir: string,
  name: string,
  opts: {
    secret?: string;
    fail?: number;
    failStatus?: number;
    retryAfter?: number;
    delayMs?: number;
    status?: number;
  } = {},
): Promise<Receiver> {
  const log = path.join(dir, `${name}.jsonl`);
  const args = [RECEIVER, '--log', log];
  if (opts.secret !== undefined) args.push('--secret', opts.secret);
  if (opts.fail !== undefined) args.push('--fail', String(opts.fail));
  if (opts.failStatus !== undefined) args.push('--fail-status', String(opts.failStatus));
  if (opts.retryAfter !== undefined) args.push('--retry-after', String(opts.retryAfter));
  if (opts.delayMs !== undefined) args.push('--delay', String(opts.delayMs));
  if (opts.status !== undefined) args.push('--status', String(opts.status));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => void child.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`receiver exited with ${code}`)));
  });
  const deliveries = (): Delivery[] =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as Delivery)
      : [];
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    port,
    deliveries,
    accepted: () =>
      deliveries()
        .filter((d) => d.accepted)
        .map((d) => d.delivery_id!),
    stop: () => void child.kill('SIGKILL'),
  };
}

export interface HookSpec {
  name: string;
  url: string;
  events: string[];
  models?: string[];
  secret_env?: string;
}

/** Adds webhooks to registry.yaml in one commit, as a reviewed pull request would. */
export async function addWebhooks(dir: string, hooks: HookSpec[]): Promise<void> {
  const file = path.join(dir, 'registry.yaml');
  const text = readFileSync(file, 'utf8');
  let add = text.includes('\nwebhooks:') ? '' : 'webhooks:\n';
  for (const h of hooks) {
    add += `  - name: ${h.name}\n    url: ${h.url}\n    events: [${h.events.join(', ')}]\n`;
    if (h.models) add += `    models: [${h.models.map((m) => JSON.stringify(m)).join(', ')}]\n`;
    if (h.secret_env) add += `    secret_env: ${h.secret_env}\n`;
  }
  await appendFile(file, add);
  await git(dir, 'add', 'registry.yaml');
  await git(dir, '-c', 'user.name=Reviewer', '-c', 'user.email=reviewer@example.com', 'commit', '-q', '-m', 'webhooks');
}

export interface NotifyProcess {
  child: ChildProcess;
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** `mreg notify` in the background (killed after the test). */
export function startNotify(args: string[], env: Record<string, string | undefined> = {}): NotifyProcess {
  const child = spawn(process.execPath, [BIN, 'notify', ...args], {
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => void child.kill('SIGKILL'));
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exited };
}

/** Polls `pred` every 20 ms for up to `timeoutMs`. */
export async function until(pred: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
