// The mreg CLI: one explicit command list (yargs' commandDir does not work in ESM) and one place that turns
// an outcome into an exit code — 0 success, 1 a registry error (one line on stderr: `mreg: CODE: message`),
// 2 a usage error.
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import type { CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isRegistryError } from '../errors.js';
import { aliasCommand } from './commands/alias.js';
import { createCommand } from './commands/create.js';
import { deleteCommand } from './commands/delete.js';
import { describeCommand } from './commands/describe.js';
import { diffCommand } from './commands/diff.js';
import { exportCommand } from './commands/export.js';
import { eventsCommand } from './commands/events.js';
import { getCommand } from './commands/get.js';
import { historyCommand } from './commands/history.js';
import { importCommand } from './commands/import.js';
import { initCommand } from './commands/init.js';
import { migrateCommand } from './commands/migrate.js';
import { notifyCommand } from './commands/notify.js';
import { registerCommand } from './commands/register.js';
import { renameCommand } from './commands/rename.js';
import { resolveCommand } from './commands/resolve.js';
import { searchCommand, versionsCommand } from './commands/search.js';
import { tagCommand } from './commands/tag.js';
import { tokenCommand } from './commands/token.js';
import { transitionCommand } from './commands/transition.js';
import { validateCommand } from './commands/validate.js';
import { debugWanted, globalOptions, UsageError, writeOptions } from './options.js';
import { setIo, type Io } from './output.js';

export const EXIT = { ok: 0, registryError: 1, usage: 2 } as const;

/** Commands that write take the write flags (--no-commit, --push, …). */
const WRITES: CommandModule[] = [
  createCommand,
  registerCommand,
  transitionCommand,
  aliasCommand,
  tagCommand,
  describeCommand,
  renameCommand,
  deleteCommand,
];
const READS: CommandModule[] = [
  initCommand,
  migrateCommand,
  getCommand,
  searchCommand,
  versionsCommand,
  resolveCommand,
  historyCommand,
  validateCommand,
  diffCommand,
  importCommand,
  exportCommand,
  eventsCommand,
  notifyCommand,
  tokenCommand,
];

/**
 * `serve` pulls in the daemon (HTTP, UI, Markdown, watcher): load it only when the command line may run it,
 * so the commands pipelines call in a loop start without it. Elsewhere a stand-in lists it in --help.
 */
async function serve(argv: string[]): Promise<CommandModule> {
  if (argv.includes('serve')) return (await import('./commands/serve.js')).serveCommand;
  return {
    command: 'serve',
    describe: 'Serve the registry read-only: MLflow REST API, models:/ resolution, /metrics and the web UI',
    handler: () => undefined,
  };
}

/** `gateway` pulls in the daemon and the write loop: loaded, like `serve`, only when it may run. */
async function gateway(argv: string[]): Promise<CommandModule> {
  if (argv.includes('gateway')) return (await import('./commands/gateway.js')).gatewayCommand;
  return {
    command: 'gateway',
    describe: "Serve MLflow's REST API with its registry writes (token-authenticated), each write one commit",
    handler: () => undefined,
  };
}

/** A handler's own failure, told apart from yargs' validation failures (which are usage errors). */
class HandlerFailure extends Error {
  constructor(readonly error: unknown) {
    super('handler failed');
  }
}

function wrap(cmd: CommandModule, isWrite: boolean): CommandModule {
  const builder = cmd.builder;
  return {
    ...cmd,
    builder: (y) => {
      const built = typeof builder === 'function' ? builder(y) : builder ? y.options(builder) : y;
      return isWrite ? writeOptions(built as typeof y) : built;
    },
    handler: async (args) => {
      try {
        await cmd.handler(args);
      } catch (e) {
        throw new HandlerFailure(e);
      }
    },
  } as CommandModule;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  setIo(io);
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    io.stdout.write(version() + '\n');
    return EXIT.ok;
  }
  const parser = globalOptions(yargs(argv))
    .scriptName('mreg')
    // Arguments after `--` (a description that starts with '-') reach the handlers as argv['--'].
    .parserConfiguration({ 'populate--': true })
    .usage(
      '$0 <command> [options]\n\nA git-backed model registry with MLflow semantics: YAML files in git, one commit per write.',
    )
    .command(WRITES.map((c) => wrap(c, true)))
    .command([...READS, await serve(argv), await gateway(argv)].map((c) => wrap(c, false)))
    // `mreg completion >> ~/.bashrc` (or ~/.zshrc): yargs' script, which calls back `mreg --get-yargs-completions`.
    .completion('completion', 'Print a shell completion script for bash or zsh (mreg completion >> ~/.bashrc)')
    .demandCommand(1, 'Give a command; see mreg --help.')
    .recommendCommands()
    .strict()
    .help()
    .alias('h', 'help')
    // Commands have a VERSION positional, so yargs' own --version (a reserved key) is replaced by ours.
    .version(false)
    .wrap(Math.min(110, io.stdout.isTTY ? ((io.stdout as { columns?: number }).columns ?? 100) : 100))
    .epilogue(
      'Exit status: 0 success, 1 registry error (MLflow error code on stderr), 2 usage error. mreg --version prints the version.\nThe repository is --repo, else $MREG_REPO, else the current directory.',
    )
    .exitProcess(false)
    .showHelpOnFail(false)
    .fail((msg, err) => {
      if (err instanceof HandlerFailure) throw err;
      throw new UsageError(msg ?? err?.message ?? 'invalid usage');
    });
  skipHelpCache(parser);
  try {
    await parser.parseAsync();
    return EXIT.ok;
  } catch (thrown) {
    const e = thrown instanceof HandlerFailure ? thrown.error : thrown;
    if (e instanceof UsageError) {
      const names = new Set(
        [...WRITES, ...READS].map((c) => String(c.command).split(' ')[0]).concat('serve', 'gateway'),
      );
      const cmd = argv.find((a) => names.has(a));
      io.stderr.write(`mreg: ${e.message}\nRun 'mreg ${cmd ? cmd + ' ' : ''}--help'.\n`);
      return EXIT.usage;
    }
    if (isRegistryError(e)) {
      io.stderr.write(`mreg: ${e.code}: ${oneLine(e.message)}\n`);
      return EXIT.registryError;
    }
    const err = e as Error;
    io.stderr.write(
      `mreg: INTERNAL_ERROR: ${oneLine(err?.message ?? String(e))}\nThis is a bug in mreg; please report it with the command you ran.\n`,
    );
    if (debugWanted() && err?.stack) io.stderr.write(err.stack + '\n');
    return EXIT.registryError;
  }
}

/**
 * yargs renders the whole help text (every command, wrapped and measured character by character) after it
 * starts a command's handler, to have it ready should the command fail — ~80 ms of a CLI write's CPU, and
 * more than that under load. mreg never prints help on a failure (showHelpOnFail is off), so that rendering
 * is skipped. It is an internal of yargs: if it is missing, nothing is changed and help still works.
 */
function skipHelpCache(parser: unknown): void {
  const usage = (parser as { getInternalMethods?: () => { getUsageInstance?: () => Record<string, unknown> } })
    .getInternalMethods?.()
    .getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

const invokedDirectly = process.argv[1] !== undefined && /(?:^|[\\/])(?:mreg(?:\.js)?|main\.js)$/.test(process.argv[1]);
if (invokedDirectly) {
  process.exitCode = await main(hideBin(process.argv));
}
