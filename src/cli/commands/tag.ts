// mreg tag: set or delete a tag on a model or on one of its versions.
import { defineCommand, splitPair, UsageError, type WriteArgs } from '../options.js';
import { openForWrite } from '../open.js';
import { describeWrite, outputFor } from '../output.js';

interface Args extends WriteArgs {
  name: string;
  args?: string[];
  delete?: string;
}

/** `[VERSION] KEY=VALUE` or, with --delete KEY, `[VERSION]`. */
function parseTagArgs(args: readonly string[], deleting: boolean): { version?: string; key?: string; value?: string } {
  const rest = [...args];
  if (deleting) {
    if (rest.length > 1) throw new UsageError(`With --delete, give at most a VERSION, got: ${rest.join(' ')}`);
    return rest.length ? { version: rest[0]! } : {};
  }
  if (rest.length === 0) throw new UsageError('Missing KEY=VALUE (or --delete KEY).');
  if (rest.length > 2) throw new UsageError(`Expected [VERSION] KEY=VALUE, got: ${rest.join(' ')}`);
  const pair = rest.pop()!;
  const [key, value] = splitPair(pair);
  return rest.length ? { version: rest[0]!, key, value } : { key, value };
}

export const tagCommand = defineCommand<Args>({
  command: 'tag <name> [args..]',
  describe: 'Set a tag (KEY=VALUE) on a model, or on a version when VERSION is given; --delete KEY removes it',
  builder: (y) =>
    y
      .usage('$0 tag NAME [VERSION] KEY=VALUE\n$0 tag NAME [VERSION] --delete KEY')
      .positional('name', { type: 'string', describe: 'Model name', demandOption: true })
      .positional('args', { type: 'string', array: true, describe: '[VERSION] KEY=VALUE' })
      .option('delete', { type: 'string', describe: 'Delete this tag key', requiresArg: true })
      .example('$0 tag fraud team=risk', 'tag the model')
      .example('$0 tag fraud 7 validated=true', 'tag version 7')
      .example('$0 tag fraud 7 --delete validated', 'remove the tag from version 7'),
  async handler(a) {
    const deleting = a.delete !== undefined;
    const t = parseTagArgs((a.args ?? []).map(String), deleting);
    const key = deleting ? a.delete! : t.key!;
    const out = outputFor(a);
    const reg = await openForWrite(a);
    if (t.version !== undefined) {
      if (deleting) await reg.deleteModelVersionTag(a.name, t.version, key);
      else await reg.setModelVersionTag(a.name, t.version, key, t.value!);
    } else if (deleting) await reg.deleteRegisteredModelTag(a.name, key);
    else await reg.setRegisteredModelTag(a.name, key, t.value!);
    const who = t.version !== undefined ? `${a.name} v${t.version}` : a.name;
    out.result({}, () =>
      describeWrite(reg.lastWrite, {
        pushed: a.push ? a.remote : undefined,
        nothing: deleting ? `${who}: tag ${key} is not set` : `${who}: tag ${key} already has that value`,
      }),
    );
  },
});
