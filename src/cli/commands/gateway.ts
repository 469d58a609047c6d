// mreg gateway: MLflow's REST API with its registry writes, each write one commit authored by its token's owner.
import { redactUrl } from '../../registry/remotes.js';
import { defineCommand, repoDir, UsageError, type GlobalArgs } from '../options.js';
import { untilStopSignal } from '../signals.js';

interface Args extends GlobalArgs {
  port: number;
  host: string;
  branch?: string;
  remote?: string;
  interval?: number;
  auth?: string;
  private?: boolean;
  snapshot?: boolean;
  'max-batch'?: number;
}

export const gatewayCommand = defineCommand<Args>({
  command: 'gateway',
  describe: "Serve MLflow's REST API with its registry writes (token-authenticated), each write one commit",
  builder: (y) =>
    y
      .option('port', { type: 'number', default: 5000, describe: 'Port (0 picks a free one)', requiresArg: true })
      .option('host', {
        type: 'string',
        default: '127.0.0.1',
        describe: 'Address to bind (loopback unless told otherwise)',
        requiresArg: true,
      })
      .option('branch', {
        type: 'string',
        describe: 'Branch to write and serve (default: the checked-out branch, else main)',
        requiresArg: true,
      })
      .option('remote', {
        type: 'string',
        describe:
          'Write through a git remote over HTTP(S): every write is pushed before it is acknowledged (a local clone: --repo, else a cache folder)',
        requiresArg: true,
      })
      .option('interval', {
        type: 'number',
        describe: "Seconds between fetches of others' writes from --remote (default 30)",
        requiresArg: true,
      })
      .option('auth', {
        type: 'string',
        describe: 'Token file (default: <git dir>/mreg/tokens.json, the same file `mreg token` uses)',
        requiresArg: true,
      })
      .option('private', { type: 'boolean', describe: 'Reads need a token too (default: reads are open)' })
      .option('snapshot', {
        type: 'boolean',
        default: true,
        describe: 'Keep a snapshot of the parsed state under <gitdir>/mreg/ for fast restarts (--no-snapshot)',
      })
      .option('max-batch', {
        type: 'number',
        describe: 'Most writes committed under one ref update (each its own commit; default 64)',
        requiresArg: true,
        hidden: true,
      })
      .check((a) => {
        if (a.interval !== undefined && a.remote === undefined) throw new UsageError('--interval needs --remote.');
        const n = a['max-batch'];
        if (n !== undefined && (!Number.isInteger(n) || n < 1))
          throw new UsageError(`--max-batch must be a positive integer, got ${String(n)}.`);
        return true;
      })
      .example('$0 token add ci --email ci@example.com', 'first: a token for the pipeline (printed once)')
      .example('$0 gateway --port 5000', 'serve the registry in the current directory; writes become commits')
      .example(
        '$0 gateway --remote https://git.example.com/ml/registry.git',
        'write through the git host: each write is pushed before it is acknowledged',
      )
      .example('$0 gateway --private --auth /etc/mreg/tokens.json', 'reads need a token too'),
  async handler(args) {
    const repo = args.remote === undefined || args.repo !== undefined ? repoDir(args) : undefined;
    // The daemon and the gateway load only for this command.
    const [{ buildGatewayConfig }, { startGateway }] = await Promise.all([
      import('../../gateway/config.js'),
      import('../../gateway/serve.js'),
    ]);
    const config = buildGatewayConfig({
      ...(repo !== undefined ? { repo } : {}),
      ...(args.branch !== undefined ? { branch: args.branch } : {}),
      host: args.host,
      port: args.port,
      ...(args.remote !== undefined ? { remote: args.remote } : {}),
      ...(args.interval !== undefined ? { interval: args.interval } : {}),
      ...(args.snapshot === false ? { snapshot: false } : {}),
      ...(args.auth !== undefined ? { auth: args.auth } : {}),
      ...(args.private ? { private: true } : {}),
      ...(args['max-batch'] !== undefined ? { maxBatch: args['max-batch'] } : {}),
    });
    const gateway = await startGateway(config);
    // The line below means "taking writes": printed once the branch is loaded (and, with a remote, fetched).
    await gateway.ready;
    const tokens = gateway.tokens.size;
    process.stdout.write(
      `mreg gateway: ${gateway.url} — branch ${gateway.branch} of ${config.daemon.repoDir}` +
        `${config.daemon.remote ? ` (each write pushed to ${redactUrl(config.daemon.remote.url)})` : ''}; ` +
        `${tokens} token${tokens === 1 ? '' : 's'} in ${gateway.tokens.file}; reads ${config.private ? 'need a token' : 'open'}\n`,
    );
    if (tokens === 0)
      process.stderr.write(
        `mreg gateway: no tokens yet: every write answers 401 until \`mreg token add NAME --email EMAIL\` adds one (no restart needed).\n`,
      );
    await untilStopSignal();
    await gateway.stop();
  },
});
