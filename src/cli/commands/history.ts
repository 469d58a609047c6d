// mreg history: the audit log from git — when, who, which commit, what changed — newest first, following renames;
// a change that a merge brought in is shown under the commit that made it, with the merge that brought it.
import { describeOperation } from '../../domain/diff.js';
import { RegistryError } from '../../errors.js';
import type { HistoryEntry, HistoryQuery } from '../../registry/registry.js';
import { defineCommand, type GlobalArgs } from '../options.js';
import { openForRead } from '../open.js';
import { humanTime, outputFor } from '../output.js';

interface Args extends GlobalArgs {
  name?: string;
  version?: string;
  limit?: number;
  branch?: string;
  ref?: string;
}

export const historyCommand = defineCommand<Args>({
  command: 'history [name] [version]',
  describe: 'The audit log: every commit that changed the registry (or one model, or one version), newest first',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'Only this model (followed across renames)' })
      .positional('version', { type: 'string', describe: 'Only this version of it' })
      .option('limit', { type: 'number', alias: 'n', describe: 'At most this many commits', requiresArg: true })
      .option('branch', {
        type: 'string',
        describe: 'History of this branch (default: the checked-out branch)',
        requiresArg: true,
      })
      .option('ref', {
        type: 'string',
        describe: 'Start from this commit or ref instead of the branch tip',
        requiresArg: true,
      })
      .example('$0 history fraud 7', 'who moved v7 between stages, and when')
      .example('$0 history --limit 20 --json', 'the last 20 registry commits as JSON'),
  async handler(a) {
    const out = outputFor(a);
    if (a.limit !== undefined && (!Number.isInteger(a.limit) || a.limit < 1))
      throw RegistryError.invalid(`--limit must be a positive integer, got ${a.limit}.`);
    const reg = await openForRead(a);
    const q: HistoryQuery = {};
    if (a.name !== undefined) q.model = a.name;
    if (a.version !== undefined) q.version = a.version;
    if (a.limit !== undefined) q.limit = a.limit;
    if (a.ref !== undefined) q.ref = a.ref;
    const entries: HistoryEntry[] = [];
    let count = 0;
    let ofVersion = 0;
    const wanted = a.version !== undefined ? Number(a.version) : undefined;
    // A version's entries are held back until one about the version itself shows it exists (its model's own
    // changes come first, newest first); everything else streams.
    const held: HistoryEntry[] = [];
    for await (const e of reg.history(q)) {
      count++;
      if (e.operations.some((o) => o.version === wanted)) ofVersion++;
      if (out.json) entries.push(e);
      else if (wanted !== undefined && ofVersion === 0) held.push(e);
      else {
        for (const h of held.splice(0)) out.print(entryText(h, (s) => out.bold(s)).join('\n'));
        out.print(entryText(e, (s) => out.bold(s)).join('\n'));
      }
    }
    // Every model (and version) that ever existed has at least the commit that created it: none means a wrong
    // name, which must not pass for an empty audit log.
    // (Under --limit the few entries shown may all be the model's, so only an empty answer counts there.)
    const versionUnseen = wanted !== undefined && ofVersion === 0 && a.limit === undefined;
    if (a.name !== undefined && (count === 0 || versionUnseen)) {
      const where = `the history of ${a.ref !== undefined ? `'${a.ref}'` : `branch '${reg.branch}'`}`;
      throw RegistryError.notFound(
        a.version !== undefined
          ? `Version ${a.version} of registered model '${a.name}' not found in ${where}.`
          : `Registered model '${a.name}' not found in ${where}.`,
      );
    }
    for (const h of held) out.print(entryText(h, (s) => out.bold(s)).join('\n'));
    if (out.json) out.result({ entries }, () => []);
  },
});

function entryText(e: HistoryEntry, bold: (s: string) => string = (s) => s): string[] {
  const head = `${bold(e.commit.slice(0, 10))}  ${humanTime(e.time)}  ${e.author.name} <${e.author.email}>`;
  const ops = e.operations.length ? e.operations.map(describeOperation) : [e.message.split('\n')[0]!];
  // The approval trail: the merge that brought this commit into the branch, and who made it.
  const via = e.via
    ? [
        `  merged in ${e.via.commit.slice(0, 10)}  ${humanTime(e.via.time)}  ${e.via.author.name} <${e.via.author.email}>`,
      ]
    : [];
  return [head, ...via, ...ops.map((l) => '    ' + l)];
}
