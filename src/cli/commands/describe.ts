// mreg describe: set the description (Markdown) of a model or of a version.
import { readFile } from 'node:fs/promises';
import { defineCommand, UsageError, type WriteArgs } from '../options.js';
import { openForWrite } from '../open.js';
import { describeWrite, outputFor } from '../output.js';

interface Args extends WriteArgs {
  name: string;
  args?: Array<string | number>;
  file?: string;
  '--'?: Array<string | number>;
}

/** The description from --description, else from a file ('-' = stdin), else undefined. */
export async function readDescription(
  inline: string | undefined,
  file: string | undefined,
): Promise<string | undefined> {
  if (inline !== undefined) return inline;
  if (file === undefined) return undefined;
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`Cannot read ${file}: ${(e as Error).message}`);
  }
}

export const describeCommand = defineCommand<Args>({
  command: 'describe <name> [args..]',
  describe: "Set a model's description, or a version's when VERSION is given ('' clears it)",
  builder: (y) =>
    y
      .usage('$0 describe NAME [VERSION] DESCRIPTION\n$0 describe NAME [VERSION] --file README.md')
      .positional('name', { type: 'string', describe: 'Model name', demandOption: true })
      .positional('args', { type: 'string', array: true, describe: '[VERSION] DESCRIPTION' })
      .option('file', { type: 'string', describe: "Read the description from a file ('-' = stdin)", requiresArg: true })
      .example("$0 describe fraud 'Card fraud scorer. **Owner:** risk team.'", "the model's description")
      .example("$0 describe fraud 7 'Retrained on March data'", "version 7's description")
      .example('$0 describe fraud --file docs/fraud.md', 'from a Markdown file')
      .example("$0 describe fraud 7 -- '- a list item first'", "after --, text that starts with '-'"),
  async handler(a) {
    const rest = [...(a.args ?? []), ...(a['--'] ?? [])].map(String);
    let version: string | undefined;
    let text: string | undefined;
    if (a.file !== undefined) {
      if (rest.length > 1) throw new UsageError('With --file, give at most a VERSION.');
      version = rest[0];
      text = await readDescription(undefined, a.file);
    } else {
      if (rest.length === 0) throw new UsageError('Missing DESCRIPTION (or --file).');
      if (rest.length > 2) throw new UsageError('Expected [VERSION] DESCRIPTION: quote a description that has spaces.');
      if (rest.length === 2) version = rest[0];
      text = rest[rest.length - 1];
    }
    const out = outputFor(a);
    const reg = await openForWrite(a);
    const nothing = `${a.name}${version !== undefined ? ` v${version}` : ''}: description unchanged`;
    if (version !== undefined) {
      const v = await reg.updateModelVersion(a.name, version, { description: text ?? '' });
      out.result({ model_version: v }, () =>
        describeWrite(reg.lastWrite, { pushed: a.push ? a.remote : undefined, nothing }),
      );
    } else {
      const m = await reg.updateRegisteredModel(a.name, { description: text ?? '' });
      out.result({ registered_model: m }, () =>
        describeWrite(reg.lastWrite, { pushed: a.push ? a.remote : undefined, nothing }),
      );
    }
  },
});
