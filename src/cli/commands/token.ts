// mreg token add | list | revoke: the tokens `mreg gateway` accepts. Only hashes are stored; a new token is
// printed once (text: alone on the last line; --json: {"name", "role", "token"}).
import type { Argv } from 'yargs';
import { defineCommand, repoDir, UsageError, type GlobalArgs } from '../options.js';
import { outputFor, table } from '../output.js';

interface Args extends GlobalArgs {
  action: string;
  name?: string;
  email?: string;
  role?: string;
  auth?: string;
  remote?: string;
}

/** `--auth FILE`, else the default file of the repository the gateway serves (--repo, or --remote's clone). */
async function tokenFile(a: Args): Promise<string> {
  const path = await import('node:path');
  if (a.auth !== undefined) return path.resolve(a.auth);
  const { tokenFileOf } = await import('../../gateway/tokens.js');
  if (a.remote !== undefined && a.repo === undefined) {
    const { buildDaemonConfig } = await import('../../daemon/config.js');
    return tokenFileOf(buildDaemonConfig({ remote: a.remote }).repoDir, { bareIfMissing: true });
  }
  return tokenFileOf(repoDir(a), { bareIfMissing: a.remote !== undefined });
}

export const tokenCommand = defineCommand<Args>({
  command: 'token <action> [name]',
  describe: 'Manage the tokens mreg gateway accepts: add (printed once), list, revoke',
  builder: (y: Argv) =>
    y
      .positional('action', { type: 'string', choices: ['add', 'list', 'revoke'], describe: 'What to do' })
      .positional('name', { type: 'string', describe: 'Token name (the commit author name of its writes)' })
      .option('email', { type: 'string', describe: 'Commit author email of its writes (add)', requiresArg: true })
      .option('role', {
        type: 'string',
        choices: ['reader', 'writer'],
        describe: 'writer: reads and writes; reader: reads only (add; default writer)',
        requiresArg: true,
      })
      .option('auth', {
        type: 'string',
        describe: 'Token file (default: <git dir>/mreg/tokens.json of --repo, the same file mreg gateway uses)',
        requiresArg: true,
      })
      .option('remote', {
        type: 'string',
        describe: 'The --remote of the gateway, to find its default token file (its clone in the cache folder)',
        requiresArg: true,
      })
      .example(
        '$0 token add ci --email ci@example.com',
        'a writer token for a pipeline; printed once, on the last line',
      )
      .example('$0 token add dashboard --email ops@example.com --role reader --json', '{"name", "role", "token"}')
      .example('$0 token list', 'names, roles, emails and creation times (never the tokens)')
      .example('$0 token revoke ci', 'refused from the next request on, without restarting the gateway'),
  async handler(a) {
    const out = outputFor(a);
    const tokens = await import('../../gateway/tokens.js');
    const file = await tokenFile(a);
    if (a.action === 'add') {
      if (!a.name) throw new UsageError('Missing NAME: mreg token add NAME --email EMAIL.');
      if (a.email === undefined) throw new UsageError('Missing --email: the commit author email of its writes.');
      const { record, token } = await tokens.addToken(file, {
        name: a.name,
        email: a.email,
        ...(a.role !== undefined ? { role: a.role } : {}),
      });
      out.result({ name: record.name, role: record.role, token }, () => [
        `Token '${record.name}' (${record.role}, ${record.email}) added to ${file}.`,
        'It is shown only now; store it as a secret (MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_PASSWORD):',
        token,
      ]);
      return;
    }
    if (a.action === 'list') {
      if (a.name !== undefined) throw new UsageError('mreg token list takes no NAME.');
      const list = tokens.readTokenFile(file).map(({ name, email, role, created_at }) => ({
        name,
        email,
        role,
        created_at,
      }));
      out.result({ tokens: list }, () =>
        list.length
          ? table(list.map((t) => [t.name, t.role, t.email, t.created_at]))
          : [`No tokens in ${file}: add one with mreg token add NAME --email EMAIL.`],
      );
      return;
    }
    if (!a.name) throw new UsageError('Missing NAME: mreg token revoke NAME.');
    const gone = await tokens.revokeToken(file, a.name);
    out.result({ name: gone.name, revoked: true }, () => `Token '${gone.name}' revoked.`);
  },
});
