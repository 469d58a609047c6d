// mreg register: the next version of a model (creating the model when it does not exist), as pipelines call it from CI.
import { defineCommand, parseTagPairs, type WriteArgs } from '../options.js';
import { openForWrite } from '../open.js';
import { describeWrite, outputFor } from '../output.js';
import { readDescription } from './describe.js';

interface Args extends WriteArgs {
  name: string;
  source: string;
  'run-id'?: string;
  'run-link'?: string;
  description?: string;
  'description-file'?: string;
  tag?: string[];
  digest?: string;
  'code-commit'?: string;
  dataset?: string;
  stage?: string;
  'archive-existing'?: boolean;
  alias?: string[];
}

export const registerCommand = defineCommand<Args>({
  command: 'register <name>',
  describe: 'Register the next version of a model (and the model, if it does not exist yet)',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'Model name', demandOption: true })
      .option('source', {
        type: 'string',
        describe: "The version's artifact URI",
        demandOption: true,
        requiresArg: true,
      })
      .option('run-id', { type: 'string', describe: 'The run that produced it', requiresArg: true })
      .option('run-link', { type: 'string', describe: 'A link to that run', requiresArg: true })
      .option('description', { type: 'string', alias: 'd', describe: 'Description (Markdown)', requiresArg: true })
      .option('description-file', {
        type: 'string',
        describe: "Read the description from a file ('-' = stdin)",
        requiresArg: true,
        conflicts: 'description',
      })
      .option('tag', {
        type: 'string',
        array: true,
        describe: 'A version tag as key=value (repeatable)',
        requiresArg: true,
      })
      .option('digest', {
        type: 'string',
        describe: "Content digest of the artifacts, '<algorithm>:<hex>' (lineage)",
        requiresArg: true,
      })
      .option('code-commit', {
        type: 'string',
        describe: 'The code commit it was trained from (lineage)',
        requiresArg: true,
      })
      .option('dataset', { type: 'string', describe: 'The data set it was trained on (lineage)', requiresArg: true })
      .option('stage', {
        type: 'string',
        describe: 'Put the new version in this stage, in the same commit (any case: staging, Production, …)',
        requiresArg: true,
      })
      .option('archive-existing', {
        type: 'boolean',
        describe: 'With --stage: archive the versions already in that stage, in the same commit',
        implies: 'stage',
      })
      .option('alias', {
        type: 'string',
        array: true,
        describe: 'Point this alias at the new version, in the same commit (repeatable)',
        requiresArg: true,
      })
      .example(
        '$0 register fraud --source s3://models/fraud/42 --run-id 8f2c --push',
        'register and push, retrying if another pipeline pushed first',
      )
      .example(
        '$0 register fraud --source s3://models/fraud/43 --stage staging --alias challenger',
        'register, stage and alias the new version in one commit',
      )
      .example('$0 register fraud --source s3://models/fraud/42 --json', "print MLflow's model_version JSON"),
  async handler(a) {
    const out = outputFor(a);
    const tags = parseTagPairs(a.tag);
    const description = await readDescription(a.description, a['description-file']);
    const reg = await openForWrite(a);
    const version = await reg.registerModelVersion(a.name, a.source, {
      runId: a['run-id'] ?? null,
      runLink: a['run-link'] ?? null,
      description: description ?? null,
      tags,
      digest: a.digest ?? null,
      codeCommit: a['code-commit'] ?? null,
      dataset: a.dataset ?? null,
      ...(a.stage !== undefined ? { stage: a.stage } : {}),
      ...(a['archive-existing'] ? { archiveExistingVersions: true } : {}),
      ...(a.alias?.length ? { aliases: a.alias } : {}),
    });
    out.result({ model_version: version }, () =>
      describeWrite(reg.lastWrite, { pushed: a.push ? a.remote : undefined, nothing: `${a.name}: nothing to change` }),
    );
  },
});
