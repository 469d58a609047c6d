// `mreg serve` as a process: `--example` (what `npm start` runs) and a registry written by the CLI while
// it is served. Needs the build (npm test runs it first).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { makeSyntheticRegistry } from '../../scripts/lib/synth.mjs';
import { assertBuilt, BIN, cliEnv, mregOk, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/registry.js';

interface Served {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function serve(args: string[], cwd = ROOT): Promise<Served> {
  assertBuilt();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    cwd,
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL on stdout after 30 s; stderr: ${err}`)), 30_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  return { child, url, stderr: () => err, exited };
}

async function untilReady(url: string): Promise<any> {
  const t0 = Date.now();
  while (Date.now() - t0 < 20_000) {
    const r = await fetch(`${url}/readyz`).catch(() => undefined);
    if (r?.status === 200) return r.json();
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('never ready');
}

describe('mreg serve (process)', () => {
  it('--example serves the bundled registry on 127.0.0.1 (API and UI) and stops cleanly on SIGTERM', async () => {
    const s = await serve(['--example']);
    const ready = await untilReady(s.url);
    expect(ready.models).toBeGreaterThan(0);
    const search = await (await fetch(`${s.url}/api/2.0/mlflow/registered-models/search`)).json();
    expect(search.registered_models.length).toBe(ready.models);
    const ui = await fetch(`${s.url}/`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toMatch(/text\/html/);
    expect(ui.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    const write = await fetch(`${s.url}/api/2.0/mlflow/registered-models/create`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name":"x"}',
    });
    expect(write.status).toBe(403);
    expect(s.stderr()).toContain('"msg":"ready"');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('serves --repo and picks up a version registered with the CLI (isomorphic-git ref CAS) while it runs', async () => {
    const dir = await tempDir('mreg-serve-e2e-');
    await makeSyntheticRegistry(dir, { models: 2, versionsPerModel: 10 });
    const s = await serve(['--repo', dir, '--no-snapshot']);
    await untilReady(s.url);
    await mregOk(['register', 'model-001', '--source', 's3://bucket/model-001/11', '--repo', dir]);
    const t0 = Date.now();
    let v: any;
    while (Date.now() - t0 < 10_000) {
      v = await (await fetch(`${s.url}/api/2.0/mlflow/model-versions/get?name=model-001&version=11`)).json();
      if (v.model_version) break;
      await new Promise((res) => setTimeout(res, 25));
    }
    expect(v.model_version).toMatchObject({
      name: 'model-001',
      version: '11',
      source: 's3://bucket/model-001/11',
      current_stage: 'None',
    });
    s.child.kill('SIGINT');
    expect(await s.exited).toBe(0);
  });

  it('refuses an --interval without --remote (usage error, exit 2)', async () => {
    const { mreg } = await import('../helpers/cli.js');
    const r = await mreg(['serve', '--interval', '5'], { cwd: path.join(ROOT) });
    expect(r.code).toBe(2);
  });
});
