// mreg resolve: what a models:/ URI points to, now or as of a past moment.
import { defineCommand, type GlobalArgs } from '../options.js';
import { openForRead } from '../open.js';
import { humanTime, outputFor, shortOid } from '../output.js';

interface Args extends GlobalArgs {
  uri: string;
  at?: string;
  branch?: string;
}

export const resolveCommand = defineCommand<Args>({
  command: 'resolve <uri>',
  describe:
    'Resolve models:/NAME/VERSION, models:/NAME/STAGE, models:/NAME/latest or models:/NAME@ALIAS, now or --at a past time or commit',
  builder: (y) =>
    y
      .positional('uri', { type: 'string', describe: 'A models:/ URI', demandOption: true })
      .option('at', {
        type: 'string',
        describe:
          'As of a time (ISO 8601, e.g. 2026-03-01T12:00Z; a date alone is 00:00 UTC) or a commit/ref (abc1234, HEAD~3, v1.2)',
        requiresArg: true,
      })
      .option('branch', {
        type: 'string',
        describe: 'Read this branch (default: the checked-out branch)',
        requiresArg: true,
      })
      .example('$0 resolve models:/fraud/Production', 'the current Production version and its source')
      .example(
        "$0 resolve models:/fraud/Production --at '2026-03-01T23:59:59Z'",
        'which version was in Production at the end of 1 March',
      ),
  async handler(a) {
    const out = outputFor(a);
    const reg = await openForRead(a);
    const r = await reg.resolve(a.uri, a.at !== undefined ? { at: a.at } : {});
    let when = '';
    if (a.at !== undefined && r.commit) {
      const c = await reg.getCommit(r.commit);
      when = ` as of ${shortOid(r.commit)} (${humanTime(c.time)})`;
    }
    out.result(r, () => {
      const aliases = r.aliases.length ? `, ${r.aliases.map((x) => '@' + x).join(' ')}` : '';
      return `${r.uri} → ${r.name} v${r.version} (${out.stage(r.stage)}${aliases}): ${r.artifact_uri}${when}`;
    });
  },
});
