// mreg init: an empty registry (git repository, registry.yaml, first commit), or the bundled example.
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { materializeExample } from '../../registry/example.js';
import { initRegistry } from '../../registry/init.js';
import { defineCommand, parseAuthor, repoDir, UsageError, type GlobalArgs } from '../options.js';
import { outputFor, shortOid } from '../output.js';

interface Args extends GlobalArgs {
  dir?: string;
  branch?: string;
  bare?: boolean;
  name?: string;
  author?: string;
  example?: boolean;
}

export const initCommand = defineCommand<Args>({
  command: 'init [dir]',
  describe: 'Make an empty registry: a git repository with registry.yaml in its first commit',
  builder: (y) =>
    y
      .positional('dir', {
        type: 'string',
        describe: 'Where (default: --repo, $MREG_REPO, else the current directory)',
      })
      .option('branch', {
        type: 'string',
        describe: 'Branch of the first commit (default: main, or the checked-out branch of an existing repository)',
        requiresArg: true,
      })
      .option('bare', { type: 'boolean', describe: 'Make a bare repository (for a shared remote)' })
      .option('name', { type: 'string', describe: "The registry's display name in registry.yaml", requiresArg: true })
      .option('author', { type: 'string', describe: "Commit author as 'Name <email>'", requiresArg: true })
      .option('example', {
        type: 'boolean',
        describe: 'Fill it with the bundled example registry and its history (what `mreg serve --example` serves)',
      })
      .check((a) => {
        if (a.example && (a.bare || a.name !== undefined || a.author !== undefined))
          throw new UsageError('--example cannot be combined with --bare, --name or --author.');
        return true;
      })
      .example('$0 init --repo ./models-registry', 'a new registry in ./models-registry')
      .example('$0 init --example ./try-mreg', 'the example registry, to try commands on')
      .example('$0 init --bare /srv/git/registry.git', 'a bare one to push to'),
  async handler(a) {
    const out = outputFor(a);
    const dir = a.dir !== undefined ? path.resolve(a.dir) : repoDir(a);
    await mkdir(dir, { recursive: true });
    if (a.example) {
      if ((await readdir(dir)).length > 0)
        throw new UsageError(`--example needs a new or empty folder; ${dir} is not empty.`);
      await materializeExample(dir, a.branch ? { branch: a.branch } : {});
      out.result(
        { path: dir, branch: a.branch ?? 'main' },
        () => `Made the example registry in ${dir} (branch ${a.branch ?? 'main'})`,
      );
      return;
    }
    const reg = await initRegistry(dir, {
      ...(a.bare ? { bare: true } : {}),
      ...(a.branch ? { branch: a.branch } : {}),
      ...(a.author ? { author: parseAuthor(a.author) } : {}),
      ...(a.name ? { registry: { name: a.name } } : {}),
    });
    const commit = await reg.head();
    out.result(
      { path: dir, branch: reg.branch, commit },
      () => `Initialised an empty registry in ${dir} (branch ${reg.branch}) [${shortOid(commit)}]`,
    );
  },
});
