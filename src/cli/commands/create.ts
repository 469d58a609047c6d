// mreg create: a registered model.
import { defineCommand, parseTagPairs, type WriteArgs } from '../options.js';
import { openForWrite } from '../open.js';
import { describeWrite, outputFor } from '../output.js';
import { readDescription } from './describe.js';

interface Args extends WriteArgs {
  name: string;
  description?: string;
  'description-file'?: string;
  tag?: string[];
}

export const createCommand = defineCommand<Args>({
  command: 'create <name>',
  describe: 'Create a registered model',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'Model name', demandOption: true })
      .option('description', { type: 'string', alias: 'd', describe: 'Description (Markdown)', requiresArg: true })
      .option('description-file', {
        type: 'string',
        describe: "Read the description from a file ('-' = stdin)",
        requiresArg: true,
        conflicts: 'description',
      })
      .option('tag', { type: 'string', array: true, describe: 'A tag as key=value (repeatable)', requiresArg: true })
      .example("$0 create fraud --description 'Card fraud scorer' --tag team=risk", 'create the model fraud'),
  async handler(a) {
    const out = outputFor(a);
    const tags = parseTagPairs(a.tag);
    const description = await readDescription(a.description, a['description-file']);
    const reg = await openForWrite(a);
    const model = await reg.createRegisteredModel(a.name, { tags, description: description ?? null });
    out.result({ registered_model: model }, () =>
      describeWrite(reg.lastWrite, { pushed: a.push ? a.remote : undefined, nothing: `${a.name}: nothing to change` }),
    );
  },
});
