// mreg rename: a model gets a new name, keeping its versions, aliases and history.
import { defineCommand, type WriteArgs } from '../options.js';
import { openForWrite } from '../open.js';
import { describeWrite, outputFor } from '../output.js';

interface Args extends WriteArgs {
  name: string;
  'new-name': string;
}

export const renameCommand = defineCommand<Args>({
  command: 'rename <name> <new-name>',
  describe: 'Rename a model (its versions, aliases and history go with it)',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'Current name', demandOption: true })
      .positional('new-name', { type: 'string', describe: 'New name', demandOption: true })
      .example('$0 rename fraud fraud-detector', 'models/fraud → models/fraud-detector'),
  async handler(a) {
    const out = outputFor(a);
    const reg = await openForWrite(a);
    const m = await reg.renameRegisteredModel(a.name, a['new-name']);
    out.result({ registered_model: m }, () =>
      describeWrite(reg.lastWrite, { pushed: a.push ? a.remote : undefined, nothing: `${a.name}: already named so` }),
    );
  },
});
