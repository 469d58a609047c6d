// Runs the BUILT CLI (`node bin/mreg.js …`) as a child process, as a pipeline or a person would.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The CLI under test: the built bin/mreg.js, or MREG_E2E_BIN (a snapshot of a build, on a machine where others rebuild dist/). */
export const BIN = process.env.MREG_E2E_BIN ?? path.join(ROOT, 'bin/mreg.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const CLI_AUTHOR = { name: 'CLI Tester', email: 'cli@example.com' };

/** An environment without the caller's registry settings, with a fixed author and git identity. */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [
    'MREG_REPO',
    'MREG_TARGET_BRANCH',
    'GITHUB_BASE_REF',
    'MREG_AUTHOR_NAME',
    'MREG_AUTHOR_EMAIL',
    'GIT_AUTHOR_NAME',
    'GIT_AUTHOR_EMAIL',
    'NO_COLOR',
    'FORCE_COLOR',
    'MREG_DEBUG',
  ])
    delete env[k];
  Object.assign(env, {
    MREG_AUTHOR_NAME: CLI_AUTHOR.name,
    MREG_AUTHOR_EMAIL: CLI_AUTHOR.email,
    GIT_AUTHOR_NAME: CLI_AUTHOR.name,
    GIT_AUTHOR_EMAIL: CLI_AUTHOR.email,
    GIT_COMMITTER_NAME: CLI_AUTHOR.name,
    GIT_COMMITTER_EMAIL: CLI_AUTHOR.email,
    GIT_CONFIG_NOSYSTEM: '1',
  });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function assertBuilt(): void {
  if (!process.env.MREG_E2E_BIN && !existsSync(path.join(ROOT, 'dist/cli/main.js'))) {
    throw new Error(
      'dist/cli/main.js is missing: run `npx tsc -p tsconfig.json` (npm test does) before the end-to-end tests.',
    );
  }
}

/** `mreg …` in `cwd` (default: the repository root, so nothing is found by accident) with `env` on top of cliEnv(). */
export function mreg(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: cliEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Like mreg(), but fails the test with the output when the exit code is not `expected`. */
export async function mregOk(args: string[], opts: Parameters<typeof mreg>[1] = {}, expected = 0): Promise<RunResult> {
  const r = await mreg(args, opts);
  if (r.code !== expected)
    throw new Error(
      `mreg ${args.join(' ')} exited ${r.code}, expected ${expected}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  return r;
}
