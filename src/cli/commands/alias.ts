// mreg alias: set (or move) an alias, or delete it.
import { defineCommand, UsageError, type WriteArgs } from '../options.js';
import { openForWrite } from '../open.js';
import { describeWrite, outputFor } from '../output.js';

interface Args extends WriteArgs {
  name: string;
  alias: string;
  version?: string;
  delete?: boolean;
}

export const aliasCommand = defineCommand<Args>({
  command: 'alias <name> <alias> [version]',
  describe: 'Point an alias at a version (moving it if it is set), or delete it with --delete',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'Model name', demandOption: true })
      .positional('alias', { type: 'string', describe: 'Alias name', demandOption: true })
      .positional('version', { type: 'string', describe: 'Version number (omit with --delete)' })
      .option('delete', { type: 'boolean', describe: 'Delete the alias' })
      .example('$0 alias fraud champion 7', '@champion → v7')
      .example('$0 alias fraud champion --delete', 'remove @champion'),
  async handler(a) {
    if (a.delete && a.version !== undefined) throw new UsageError('Give either a VERSION or --delete, not both.');
    if (!a.delete && a.version === undefined) throw new UsageError('Missing VERSION (or --delete).');
    const out = outputFor(a);
    const reg = await openForWrite(a);
    if (a.delete) await reg.deleteRegisteredModelAlias(a.name, a.alias);
    else await reg.setRegisteredModelAlias(a.name, a.alias, a.version!);
    out.result({}, () =>
      describeWrite(reg.lastWrite, {
        pushed: a.push ? a.remote : undefined,
        nothing: a.delete
          ? `${a.name}: alias @${a.alias} is not set`
          : `${a.name}: alias @${a.alias} already points to v${a.version}`,
      }),
    );
  },
});
