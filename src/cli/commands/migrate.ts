// mreg migrate: rewrites a format-1 registry as format 2 in one commit (docs/FORMAT2.md).
import { migrateRegistry } from '../../registry/migrate.js';
import { defineCommand, parseAuthor, repoDir, type GlobalArgs } from '../options.js';
import { outputFor, shortOid } from '../output.js';

interface Args extends GlobalArgs {
  branch?: string;
  author?: string;
}

export const migrateCommand = defineCommand<Args>({
  command: 'migrate',
  describe: 'Rewrite a format-1 registry as format 2 (alias files, tombstones) in one commit',
  builder: (y) =>
    y
      .option('branch', {
        type: 'string',
        describe: 'Branch to migrate (default: the checked-out one)',
        requiresArg: true,
      })
      .option('author', { type: 'string', describe: "Commit author as 'Name <email>'", requiresArg: true })
      .example('$0 migrate --repo ./models-registry', 'one commit; then push it like any change'),
  async handler(a) {
    const out = outputFor(a);
    const r = await migrateRegistry(repoDir(a), {
      ...(a.branch ? { branch: a.branch } : {}),
      ...(a.author ? { author: parseAuthor(a.author) } : {}),
    });
    out.result(r, () =>
      r.commit === null
        ? `Already format 2: nothing to do (branch ${r.branch}).`
        : `Migrated branch ${r.branch} from format ${r.from} to 2: ${r.models} models, ${r.aliases} alias files, ${r.tombstones} tombstones [${shortOid(r.commit)}]` +
          (r.dropped?.length ? `\nDropped aliases of deleted versions: ${r.dropped.join(', ')}` : ''),
    );
  },
});
