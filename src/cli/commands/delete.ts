// mreg delete: versions of a model (one commit each), or the whole model.
import { defineCommand, type WriteArgs } from '../options.js';
import { openForWrite } from '../open.js';
import { describeWrite, outputFor } from '../output.js';

interface Args extends WriteArgs {
  name: string;
  versions?: Array<string | number>;
}

export const deleteCommand = defineCommand<Args>({
  command: 'delete <name> [versions..]',
  describe:
    'Delete versions of a model (their numbers are never reused), or, without VERSION, the model and all its versions',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'Model name', demandOption: true })
      .positional('versions', { type: 'string', array: true, describe: 'Version numbers' })
      .example('$0 delete fraud 3 4', 'delete versions 3 and 4 (one commit each)')
      .example('$0 delete fraud', 'delete the model'),
  async handler(a) {
    const out = outputFor(a);
    const reg = await openForWrite(a);
    const lines: string[] = [];
    const pushed = a.push ? a.remote : undefined;
    const versions = (a.versions ?? []).map(String);
    if (versions.length === 0) {
      await reg.deleteRegisteredModel(a.name);
      lines.push(describeWrite(reg.lastWrite, { pushed, nothing: `${a.name}: nothing to delete` }));
    }
    for (const v of versions) {
      await reg.deleteModelVersion(a.name, v);
      lines.push(describeWrite(reg.lastWrite, { pushed, nothing: `${a.name} v${v}: nothing to delete` }));
    }
    out.result({}, () => lines);
  },
});
