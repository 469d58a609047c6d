// The real daemon on 127.0.0.1 and an ephemeral port, against real temporary repositories; stopped by
// the runner after the test.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { buildDaemonConfig, type DaemonFlags } from '../../src/daemon/config.js';
import { createLogger } from '../../src/daemon/log.js';
import { startDaemon, type Daemon } from '../../src/daemon/serve.js';
import { git } from './registry.js';

export interface TestDaemon extends Daemon {
  get(pathAndQuery: string): Promise<{ status: number; commit: string | null; body: any; text: string }>;
  logs: string[];
}

export async function serveRepo(repo: string, flags: DaemonFlags = {}): Promise<TestDaemon> {
  const logs: string[] = [];
  const config = buildDaemonConfig({ repo, port: 0, snapshot: false, pollMs: 60_000, ...flags }, {});
  const daemon = await startDaemon(config, { logger: createLogger('debug', (l) => void logs.push(l)) });
  onTestFinished(() => daemon.stop());
  const get = async (p: string) => {
    const res = await fetch(daemon.url + p);
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, commit: res.headers.get('x-mreg-commit'), body, text };
  };
  return Object.assign(daemon, { get, logs });
}

/** Polls until a response's X-Mreg-Commit is `commit` (bounded); returns the milliseconds it took. */
export async function waitForCommit(
  d: TestDaemon,
  commit: string,
  probe = '/readyz',
  timeoutMs = 10_000,
): Promise<number> {
  const t0 = Date.now();
  let last: string | null = null;
  while (Date.now() - t0 < timeoutMs) {
    last = (await d.get(probe)).commit;
    if (last === commit) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`daemon still serves ${last} after ${timeoutMs} ms, expected ${commit}`);
}

/** Polls a predicate on /readyz (bounded). */
export async function waitForReady(d: TestDaemon, pred: (body: any) => boolean, timeoutMs = 10_000): Promise<any> {
  const t0 = Date.now();
  let body: any;
  while (Date.now() - t0 < timeoutMs) {
    body = (await d.get('/readyz')).body;
    if (body && pred(body)) return body;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`/readyz never matched: ${JSON.stringify(body)}`);
}

/** Writes files into a work tree and commits them with native git; returns the new HEAD. */
export async function commitFiles(
  dir: string,
  files: Record<string, string | null>,
  message = 'change',
): Promise<string> {
  for (const [p, text] of Object.entries(files)) {
    if (text === null) await git(dir, 'rm', '-q', '-r', '--', p);
    else {
      await writeFile(path.join(dir, p), text);
      await git(dir, 'add', '--', p);
    }
  }
  await git(dir, 'commit', '-q', '-m', message);
  return (await git(dir, 'rev-parse', 'HEAD')).trim();
}
