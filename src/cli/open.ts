// Opening the registry for a command: the one place the CLI's options meet the library (options.ts stays free
// of it, so a command that must not load the library — `mreg serve` — can share the option helpers).
import { Registry, type RegistryOptions } from '../registry/registry.js';
import {
  DEFAULT_PUSH_ATTEMPTS,
  parseAuthor,
  repoDir,
  targetBranch,
  type GlobalArgs,
  type WriteArgs,
} from './options.js';

/**
 * Opens the registry for reading — at the branch head, or as of `--at` — with the lineage keys (digest,
 * code_commit, …) in the model versions --json prints.
 */
export async function openForRead(args: GlobalArgs & { branch?: string; at?: string }): Promise<Registry> {
  return Registry.open(repoDir(args), {
    lineage: true,
    ...(args.branch ? { branch: args.branch } : {}),
    ...(args.at !== undefined ? { at: args.at } : {}),
  });
}

/** Opens the registry for one write, with the write flags turned into Registry options. */
export async function openForWrite(args: WriteArgs): Promise<Registry> {
  const opts: RegistryOptions = { commit: args.commit !== false, lineage: true };
  if (args.push) {
    opts.push = args.remote ?? 'origin';
    opts.maxAttempts = args['max-attempts'] ?? DEFAULT_PUSH_ATTEMPTS;
  } else if (args['max-attempts'] !== undefined) opts.maxAttempts = args['max-attempts'];
  if (args.branch) opts.branch = args.branch;
  if (args.author) opts.author = parseAuthor(args.author);
  const target = targetBranch(args['target-branch']);
  if (target) opts.policyBranch = target;
  return Registry.open(repoDir(args), opts);
}
