// mreg transition: move a version to another stage.
import { defineCommand, type WriteArgs } from '../options.js';
import { openForWrite } from '../open.js';
import { describeWrite, outputFor } from '../output.js';

interface Args extends WriteArgs {
  name: string;
  version: string;
  stage: string;
  'archive-existing'?: boolean;
}

export const transitionCommand = defineCommand<Args>({
  command: 'transition <name> <version> <stage>',
  describe: "Change a version's stage (None, Staging, Production, Archived; any case)",
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'Model name', demandOption: true })
      .positional('version', { type: 'string', describe: 'Version number', demandOption: true })
      .positional('stage', { type: 'string', describe: 'Target stage', demandOption: true })
      .option('archive-existing', {
        type: 'boolean',
        describe: 'Archive the other versions in the target stage, in the same commit',
      })
      .example(
        '$0 transition fraud 7 Production --archive-existing',
        'promote v7, archiving the previous Production version',
      )
      .example(
        '$0 transition fraud 7 production --no-commit --target-branch main',
        'prepare the promotion on a pull-request branch',
      ),
  async handler(a) {
    const out = outputFor(a);
    const reg = await openForWrite(a);
    const v = await reg.transitionModelVersionStage(a.name, a.version, a.stage, {
      archiveExistingVersions: a['archive-existing'] === true,
    });
    out.result({ model_version: v }, () =>
      describeWrite(reg.lastWrite, {
        pushed: a.push ? a.remote : undefined,
        nothing: `${a.name} v${v.version}: already in ${v.current_stage}`,
      }),
    );
  },
});
