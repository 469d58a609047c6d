// Remotes of every kind for tests, with no sshd and no network beyond loopback:
// - FAKE_SSH: a GIT_SSH_COMMAND that runs the requested git-upload-pack / git-receive-pack locally, so the
//   real ssh transport of git runs end to end (see fake-ssh.sh);
// - startAuthGitServer: the smart-HTTP git server behind a gate that demands HTTP basic authentication,
//   as a git host does, counting what it let through and what it refused;
// - serveProcess: `mreg serve` as a process, with its output kept for inspection.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { assertBuilt, BIN, cliEnv, ROOT } from './cli.js';
import { startGitHttpServer } from './git-http-server.js';

export const FAKE_SSH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-ssh.sh');

export interface AuthGitServer {
  /** http://127.0.0.1:<port>/<repo> (no credentials in it). */
  url(repo: string): string;
  /** The same with `user:password@` in it. */
  urlWithCredentials(repo: string, user: string, password: string): string;
  /** Requests let through with good credentials, and refused (none, or wrong ones). */
  readonly counts: { authorized: number; refused: number; receivePack: number };
  close(): Promise<void>;
}

/**
 * Serves the git repositories under `root`, answering 401 unless the request carries `user:password` (basic);
 * with `readOnly`, an authenticated push is refused with 403, as a host does for an account that may only read.
 */
export async function startAuthGitServer(
  root: string,
  credentials: { user: string; password: string },
  opts: { readOnly?: boolean } = {},
): Promise<AuthGitServer> {
  const backend = await startGitHttpServer(root);
  const backendUrl = new URL(backend.url('x'));
  const expected = Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64');
  // The scheme is case-insensitive (RFC 9110): GitHub Actions' checkout sends `AUTHORIZATION: basic …`.
  const authorized = (header: string | undefined) =>
    /^basic$/i.test(header?.split(' ')[0] ?? '') && header?.split(' ')[1] === expected;
  const counts = { authorized: 0, refused: 0, receivePack: 0 };
  const server = http.createServer((req, res) => {
    if (!authorized(req.headers.authorization)) {
      counts.refused++;
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="mreg test"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    counts.authorized++;
    if (opts.readOnly && req.url?.includes('git-receive-pack')) {
      req.resume();
      res.writeHead(403, { 'Content-Type': 'text/plain' });
      res.end('this account may not push\n');
      return;
    }
    if (req.url?.includes('git-receive-pack') && req.method === 'POST') counts.receivePack++;
    const headers = { ...req.headers };
    delete headers.authorization;
    const upstream = http.request(
      { host: backendUrl.hostname, port: backendUrl.port, path: req.url, method: req.method, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: (repo) => `http://127.0.0.1:${port}/${repo}`,
    urlWithCredentials: (repo, user, password) =>
      `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${repo}`,
    counts,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await backend.close();
    },
  };
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything the daemon printed so far, stdout and stderr. */
  output(): string;
  get(p: string): Promise<{ status: number; commit: string | null; text: string }>;
}

/** `mreg serve --port 0 …` with `env` on top of cliEnv(); resolves once it printed its URL. Stopped after the test. */
export async function serveProcess(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<ServeProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    cwd: opts.cwd ?? ROOT,
    env: cliEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  // SIGTERM and wait: the daemon then lets a fetch in flight finish, so no git of its own still writes into
  // the test's directory when that is removed.
  onTestFinished(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  });
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL after 30 s: ${out}`)), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      stdout += d;
      const m = /^mreg serve: (http:\/\/127\.0\.0\.1:\d+)/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`mreg serve exited ${code}: ${out}`)));
  });
  return {
    child,
    url,
    output: () => out,
    get: async (p) => {
      const res = await fetch(url + p);
      return { status: res.status, commit: res.headers.get('x-mreg-commit'), text: await res.text() };
    },
  };
}

/** Polls /readyz until the daemon serves `commit` (bounded). */
export async function untilServing(s: ServeProcess, commit: string, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  let last: string | null = null;
  while (Date.now() - t0 < timeoutMs) {
    last = (await s.get('/readyz').catch(() => ({ commit: null }))).commit;
    if (last === commit) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the daemon serves ${last}, not ${commit}, after ${timeoutMs} ms:\n${s.output()}`);
}
