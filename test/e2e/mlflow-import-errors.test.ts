// Bad input for `mreg import` / `mreg export`: servers that are not there, are not MLflow, refuse the
// credentials, send broken JSON or loop on page tokens; credentials never shown; TLS settings; and an import
// killed halfway. Every failure names the server, exits 1 and leaves the registry as it was.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cliEnv, mreg, mregOk, ROOT } from '../helpers/cli.js';
import { localServer, syntheticMlflow } from '../helpers/mlflow-replay.js';
import { commitCount, expectCleanRepo, git, tempDir } from '../helpers/registry.js';
import { readFileSync } from 'node:fs';
import { onTestFinished } from 'vitest';

async function freshRepo(): Promise<string> {
  const dir = await tempDir('mreg-import-bad-');
  await mregOk(['init', dir]);
  return dir;
}

const EMPTY = (_req: unknown, res: import('node:http').ServerResponse): void => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end('{}');
};

/** Runs an import expected to fail; checks the one-line error and that nothing was written. */
async function failing(url: string, env: Record<string, string> = {}, args: string[] = []): Promise<string> {
  const dir = await freshRepo();
  const r = await mreg(['import', '--from', url, ...args], { cwd: dir, env });
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(await commitCount(dir)).toBe(1);
  await expectCleanRepo(dir);
  return r.stderr;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('mreg import: servers that cannot be read', () => {
  it('an unreachable server', async () => {
    const port = await freePort();
    const err = await failing(`http://127.0.0.1:${port}`);
    expect(err).toBe(
      `mreg: TEMPORARILY_UNAVAILABLE: MLflow server http://127.0.0.1:${port} is unreachable (GET registered-models/search): connection refused.\n`,
    );
  });

  it('a server that is not MLflow (an HTML page, or HTML with 200)', async () => {
    for (const status of [404, 200]) {
      const s = await localServer((_req, res) => {
        res.writeHead(status, { 'Content-Type': 'text/html' });
        res.end('<html><body>Welcome</body></html>');
      });
      const err = await failing(s.url);
      expect(err).toContain(
        `mreg: ENDPOINT_NOT_FOUND: MLflow server ${s.url} does not look like an MLflow tracking server`,
      );
      expect(err).toContain(`answered HTTP ${status} (text/html)`);
    }
  });

  it('malformed JSON, and JSON of the wrong shape, name the server, the call and the field', async () => {
    const broken = await localServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"registered_models": [');
    });
    expect(await failing(broken.url)).toMatch(
      new RegExp(
        `^mreg: INVALID_STATE: MLflow server ${broken.url} sent a malformed answer to GET registered-models/search: not JSON`,
      ),
    );
    const shape = await localServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ registered_models: [{ name: 'ok', creation_timestamp: 1 }, { name: 7 }] }));
    });
    expect(await failing(shape.url)).toContain(
      `sent a malformed answer to GET registered-models/search: $.registered_models[1].name: expected a string.`,
    );
  });

  it('a page token that comes back is a loop, not an endless registry', async () => {
    let n = 0;
    const s = await localServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // The version listing runs beside the model listing: it finds nothing here.
      if (!req.url!.includes('registered-models/search')) return res.end('{}');
      n++;
      res.end(
        JSON.stringify({
          registered_models: [{ name: `m${n}`, creation_timestamp: 1, last_updated_timestamp: 1 }],
          next_page_token: n % 2 ? 'eyJvZmZzZXQiOiAxfQ==' : 'eyJvZmZzZXQiOiAyfQ==',
        }),
      );
    });
    const err = await failing(s.url);
    expect(err).toContain(`MLflow server ${s.url} sent the page token 'eyJvZmZzZXQiOiAxfQ==' twice while listing`);
    expect(err).toContain('(a page-token loop): stopped after 3 items');
    expect(n).toBe(3);
  });

  it("an MLflow error answer is passed on with MLflow's code and message", async () => {
    const s = await localServer((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error_code: 'INTERNAL_ERROR', message: 'database is locked' }));
    });
    const err = await failing(s.url, { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
    expect(err).toBe(
      `mreg: INTERNAL_ERROR: MLflow server ${s.url} answered GET registered-models/search with INTERNAL_ERROR: database is locked\n`,
    );
  });

  it('a server that never answers times out after MLFLOW_HTTP_REQUEST_TIMEOUT', async () => {
    const s = await localServer(() => undefined);
    const err = await failing(s.url, { MLFLOW_HTTP_REQUEST_TIMEOUT: '1', MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
    expect(err).toContain(`MLflow server ${s.url} is unreachable (GET registered-models/search): no answer within 1 s`);
  });

  it('answers 502/503 to a read are retried (MLFLOW_HTTP_REQUEST_MAX_RETRIES)', async () => {
    let n = 0;
    const s = await localServer((req, res) => {
      if (++n <= 2) {
        res.writeHead(503, { 'Content-Type': 'text/html' });
        res.end('busy');
        return;
      }
      EMPTY(req, res);
    });
    const dir = await freshRepo();
    const r = await mregOk(['import', '--from', s.url], { cwd: dir, env: { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2' } });
    expect(r.stdout).toContain('Nothing to import');
    expect(n).toBe(4); // two refusals, then the models and the versions
  });
});

describe("mreg import: MLflow's credentials, never shown", () => {
  const TOKEN = 'tok-3f9a1c7e5b';
  const PASSWORD = 'pw-9d2e6b1a77';

  it('401 with MLFLOW_TRACKING_TOKEN: Bearer sent, the token not printed', async () => {
    const s = await localServer((_req, res) => {
      res.writeHead(401, { 'Content-Type': 'text/plain' });
      res.end(`bad token ${TOKEN}`);
    });
    const err = await failing(s.url, { MLFLOW_TRACKING_TOKEN: TOKEN });
    expect(s.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(err).toBe(
      `mreg: PERMISSION_DENIED: MLflow server ${s.url} refused GET registered-models/search (HTTP 401) with the token of MLFLOW_TRACKING_TOKEN.\n`,
    );
    expect(err).not.toContain(TOKEN);
  });

  it('403 with a user name and password (Basic, which wins over a token, as in MLflow)', async () => {
    const s = await localServer((_req, res) => {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end('{"error_code": "PERMISSION_DENIED", "message": "no"}');
    });
    const err = await failing(s.url, {
      MLFLOW_TRACKING_USERNAME: 'alice',
      MLFLOW_TRACKING_PASSWORD: PASSWORD,
      MLFLOW_TRACKING_TOKEN: TOKEN,
    });
    expect(s.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`);
    expect(err).toContain(
      '(HTTP 403) with the user name and password of MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD',
    );
    expect(err).not.toContain(PASSWORD);
    expect(err).not.toContain(TOKEN);
  });

  it('credentials in the URL are used and never repeated; without any, the message says how to give them', async () => {
    const s = await localServer((_req, res) => {
      res.writeHead(401, { 'Content-Type': 'text/plain' });
      res.end('no');
    });
    const withUser = s.url.replace('http://', `http://bob:${PASSWORD}@`);
    const err = await failing(withUser);
    expect(s.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from(`bob:${PASSWORD}`).toString('base64')}`);
    expect(err).not.toContain(PASSWORD);
    expect(err).toContain(`MLflow server ${s.url} refused`);
    const none = await failing(s.url);
    expect(none).toContain(
      'without credentials (set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD)',
    );
  });

  it('a self-signed certificate is refused unless MLFLOW_TRACKING_INSECURE_TLS or MLFLOW_TRACKING_SERVER_CERT_PATH says otherwise', async () => {
    const dir = path.join(ROOT, 'test/fixtures/tls');
    const server = https.createServer(
      { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) },
      (req, res) => EMPTY(req, res),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const err = await failing(url, { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
    expect(err).toContain(
      `MLflow server ${url} is unreachable (GET registered-models/search): TLS certificate not trusted`,
    );
    for (const env of [
      { MLFLOW_TRACKING_INSECURE_TLS: 'true' },
      { MLFLOW_TRACKING_SERVER_CERT_PATH: path.join(dir, 'cert.pem') },
    ]) {
      const repo = await freshRepo();
      const r = await mregOk(['import', '--from', url], { cwd: repo, env });
      expect(r.stdout).toContain(`Nothing to import: no change in MLflow server ${url} (0 models, 0 versions)`);
    }
  });

  it('bad values of the variables are usage errors', async () => {
    const dir = await freshRepo();
    const r = await mreg(['import', '--from', 'http://127.0.0.1:9'], {
      cwd: dir,
      env: { MLFLOW_TRACKING_INSECURE_TLS: 'maybe' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("MLFLOW_TRACKING_INSECURE_TLS must be true or false, got 'maybe'.");
    const u = await mreg(['import', '--from', 'ftp://127.0.0.1/x'], { cwd: dir });
    expect(u.code).toBe(1);
    expect(u.stderr).toContain('only http and https MLflow servers are supported');
  });
});

describe('mreg import: an interrupted import leaves no partial commit', () => {
  it('SIGKILL while reading and while committing a 3,000-model import; the next run imports it all in one commit', async () => {
    const mlflow = await syntheticMlflow(3000, 4);
    const dir = await freshRepo();
    const objects = (): number => readdirSync(path.join(dir, '.git/objects')).length;
    const start = objects();
    const kill = async (when: () => boolean): Promise<void> => {
      const child = spawn(process.execPath, [BIN, 'import', '--from', mlflow.url], { cwd: dir, env: cliEnv() });
      const exited = new Promise<number | null>((r) =>
        child.on('exit', (_c, signal) => r(signal === 'SIGKILL' ? -9 : _c)),
      );
      const t0 = Date.now();
      while (!when() && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 5));
      expect(when()).toBe(true);
      child.kill('SIGKILL');
      expect(await exited).toBe(-9);
      expect(await commitCount(dir)).toBe(1);
      await git(dir, 'fsck', '--no-progress');
      expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
    };
    // While it reads from MLflow.
    await kill(() => mlflow.requests() >= 1);
    // While it plans and checks, holding the write lock.
    await kill(() => existsSync(path.join(dir, '.git/mreg-write.lock')));
    // While it writes the commit's objects (they fill git's fan-out folders long before the branch moves).
    await kill(() => objects() > start + 50);
    await mregOk(['validate'], { cwd: dir });
    const r = await mregOk(['import', '--from', mlflow.url], { cwd: dir, timeoutMs: 400_000 });
    expect(r.stdout).toMatch(/: 3000 models, 12000 versions \[/);
    expect(await commitCount(dir)).toBe(2);
    await expectCleanRepo(dir);
  }, 600_000);
});

describe('mreg export: bad input', () => {
  it('an unreachable server; an empty registry has nothing to send', async () => {
    const dir = await freshRepo();
    const port = await freePort();
    const r = await mreg(['export', '--to', `http://127.0.0.1:${port}`], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `mreg: TEMPORARILY_UNAVAILABLE: MLflow server http://127.0.0.1:${port} is unreachable (GET registered-models/search): connection refused.\n`,
    );
    const s = await localServer(EMPTY);
    const ok = await mregOk(['export', '--to', s.url], { cwd: dir });
    expect(ok.stdout).toBe(
      `Nothing to export: MLflow server ${s.url} already has every model and version of the registry.\n`,
    );
  });
});
