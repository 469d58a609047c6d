// mreg serve: the read-only daemon (MLflow REST API, models:/ resolution, /metrics, the web UI).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defineCommand, repoDir, UsageError, type GlobalArgs } from '../options.js';
import { untilStopSignal } from '../signals.js';

interface Args extends GlobalArgs {
  port: string;
  host: string;
  branch?: string;
  remote?: string;
  interval?: string;
  example?: boolean;
  snapshot?: boolean;
}

export const serveCommand = defineCommand<Args>({
  command: 'serve',
  describe: 'Serve the registry read-only: MLflow REST API, models:/ resolution, /metrics and the web UI',
  builder: (y) =>
    y
      // Read as text and checked here: yargs turns 'abc' into NaN, and the message must quote what was given.
      .option('port', { type: 'string', default: '5000', describe: 'Port (0 picks a free one)', requiresArg: true })
      .option('host', {
        type: 'string',
        default: '127.0.0.1',
        describe: 'Address to bind (loopback unless told otherwise)',
        requiresArg: true,
      })
      .option('branch', {
        type: 'string',
        describe: 'Branch to serve (default: the checked-out branch, else main)',
        requiresArg: true,
      })
      .option('remote', {
        type: 'string',
        describe:
          'Follow a git remote (https://, ssh://, git@host:path, file:// or a path; credentials as git has them): a local clone (--repo, else a cache folder) is fetched every --interval seconds',
        requiresArg: true,
      })
      .option('interval', {
        type: 'string',
        describe: 'Seconds between fetches from --remote (default 30)',
        requiresArg: true,
      })
      .option('example', {
        type: 'boolean',
        describe: 'Build the bundled example registry in a temporary folder (removed on exit) and serve it',
      })
      .option('snapshot', {
        type: 'boolean',
        default: true,
        describe:
          'Keep a snapshot of the parsed state under <gitdir>/mreg/ for fast restarts (--no-snapshot to disable)',
      })
      .check((a) => {
        parsePort(a.port);
        if (a.interval !== undefined) parseInterval(a.interval);
        if (a.interval !== undefined && a.remote === undefined) throw new UsageError('--interval needs --remote.');
        if (a.example && a.remote !== undefined) throw new UsageError('--example and --remote cannot be combined.');
        return true;
      })
      .example('$0 serve --port 5000', 'serve the registry in the current directory')
      .example('$0 serve --remote https://git.example.com/ml/registry.git --interval 10', 'follow a remote registry')
      .example('$0 serve --example', 'serve the bundled example (what npm start runs)'),
  async handler(args) {
    let repo: string | undefined;
    let scratch: string | undefined;
    if (args.example) {
      // Built afresh in a temporary folder on every start (it is deterministic): never inside the package,
      // which may be installed read-only or shared by several users. By a child process (`mreg init
      // --example`): this one never loads the code that writes.
      scratch = await mkdtemp(path.join(os.tmpdir(), 'mreg-example-'));
      await buildExample(scratch);
      repo = scratch;
    } else if (args.remote === undefined || args.repo !== undefined) repo = repoDir(args);
    // The daemon (HTTP, watcher, UI) loads only for `serve`: every other command starts faster without it.
    const [{ buildDaemonConfig, redactUrl }, { startDaemon }] = await Promise.all([
      import('../../daemon/config.js'),
      import('../../daemon/serve.js'),
    ]);
    const config = buildDaemonConfig({
      ...(repo !== undefined ? { repo } : {}),
      ...(args.branch !== undefined ? { branch: args.branch } : {}),
      host: args.host,
      port: parsePort(args.port),
      ...(args.remote !== undefined ? { remote: args.remote } : {}),
      ...(args.interval !== undefined ? { interval: parseInterval(args.interval) } : {}),
      ...(args.snapshot === false ? { snapshot: false } : {}),
    });
    try {
      const daemon = await startDaemon(config);
      process.stdout.write(
        `mreg serve: ${daemon.url} — branch ${daemon.branch} of ${config.repoDir}${config.remote ? ` (following ${redactUrl(config.remote.url)})` : ''}; read-only\n`,
      );
      await untilStopSignal();
      await daemon.stop();
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    }
  },
});

/** --port: a whole number from 0 to 65535. @throws UsageError quoting what was given */
export function parsePort(given: unknown): number {
  const text = String(given).trim();
  const n = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 65535))
    throw new UsageError(`--port must be a port number from 0 to 65535, got '${String(given)}'.`);
  return n;
}

/** --interval: seconds, a positive number. @throws UsageError quoting what was given */
export function parseInterval(given: unknown): number {
  const text = String(given).trim();
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(n > 0)) throw new UsageError(`--interval must be a positive number of seconds, got '${String(given)}'.`);
  return n;
}

/** Runs `mreg init --example DIR` (this same CLI, in a child process); rejects with its error output. */
function buildExample(dir: string): Promise<void> {
  const cli = process.argv[1];
  if (!cli) return Promise.reject(new Error('cannot find the mreg CLI to build the example with'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'init', '--example', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`building the example failed (exit ${code}): ${err.trim()}`)),
    );
  });
}
