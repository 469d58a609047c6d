// The real gateway on 127.0.0.1 and an ephemeral port, in this process (integration tests) or as `mreg gateway`
// processes (end-to-end tests), with tokens made the way `mreg token add` makes them.
import { spawn, type ChildProcess } from 'node:child_process';
import { onTestFinished } from 'vitest';
import { createLogger } from '../../src/daemon/log.js';
import { buildGatewayConfig, type GatewayFlags } from '../../src/gateway/config.js';
import { startGateway, type Gateway } from '../../src/gateway/serve.js';
import { addToken, tokenFileOf } from '../../src/gateway/tokens.js';
import { BIN, cliEnv } from './cli.js';

export interface Http {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

export interface Credentials {
  /** Authorization: Bearer <token> */
  token?: string;
  /** Authorization: Basic base64(user:password) */
  basic?: { user: string; password: string };
  /** A raw Authorization header. */
  authorization?: string;
}

function authHeader(c: Credentials | undefined): Record<string, string> {
  if (!c) return {};
  if (c.authorization !== undefined) return { Authorization: c.authorization };
  if (c.basic)
    return { Authorization: `Basic ${Buffer.from(`${c.basic.user}:${c.basic.password}`).toString('base64')}` };
  if (c.token !== undefined) return { Authorization: `Bearer ${c.token}` };
  return {};
}

/** One request as the MLflow client sends it: JSON body (with Content-Type) for POST/PATCH/DELETE, a query for GET. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  creds?: Credentials,
  extraHeaders: Record<string, string> = {},
): Promise<Http> {
  const headers: Record<string, string> = { ...authHeader(creds), ...extraHeaders };
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export const API = '/api/2.0/mlflow/';

export interface TestGateway extends Gateway {
  logs: string[];
  /** call() against this gateway. */
  call(method: string, path: string, body?: unknown, creds?: Credentials): Promise<Http>;
}

/** A gateway in this process on a temporary repository; stopped after the test. */
export async function startTestGateway(repo: string, flags: GatewayFlags = {}): Promise<TestGateway> {
  const logs: string[] = [];
  const config = buildGatewayConfig({ repo, port: 0, snapshot: false, pollMs: 60_000, ...flags }, {});
  const gw = await startGateway(config, { logger: createLogger('debug', (l) => void logs.push(l)) });
  onTestFinished(() => gw.stop());
  await gw.ready;
  return Object.assign(gw, {
    logs,
    call: (method: string, path: string, body?: unknown, creds?: Credentials) =>
      call(gw.url, method, path.startsWith('/') ? path : API + path, body, creds),
  });
}

/** A token in the repository's default token file (or `file`), as `mreg token add` makes it. */
export async function makeToken(
  repo: string,
  name: string,
  role: 'reader' | 'writer' = 'writer',
  file?: string,
): Promise<string> {
  const f = file ?? (await tokenFileOf(repo));
  return (await addToken(f, { name, email: `${name}@example.com`, role })).token;
}

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  pid: number;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

/** `mreg gateway … --port 0` as a child process; resolves once it prints its URL. */
export function spawnGateway(args: string[], env: Record<string, string | undefined> = {}): Promise<GatewayProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'gateway', '--port', '0', ...args], {
      env: cliEnv({ MREG_LOG_LEVEL: 'warn', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let settled = false;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`mreg gateway did not start: ${err}`));
    }, 60_000);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /mreg gateway: (http:\/\/\S+)/.exec(out);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        const p: GatewayProcess = {
          child,
          url: m[1]!,
          pid: child.pid!,
          stdout: () => out,
          stderr: () => err,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            return exited;
          },
          kill: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
            await exited;
          },
        };
        onTestFinished(() => p.kill());
        resolve(p);
      }
    });
    child.on('exit', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`mreg gateway exited ${code}: ${err}`));
    });
  });
}
