// `initRegistry`: an empty registry — a git repository (made if needed) with registry.yaml in its first commit.
import { RegistryError } from '../errors.js';
import { REGISTRY_FILE } from '../domain/layout.js';
import { FORMAT_VERSION, type RegistryFile } from '../domain/state.js';
import { GitWriter } from '../store/git/writer.js';
import { parseDocumentText, stringifyDocument } from '../store/yaml.js';
import { resolveAuthor, type Author } from './config.js';
import { Registry } from './registry.js';
import { rejected } from './write-check.js';

export interface InitOptions {
  bare?: boolean;
  /** The first commit's branch: default the checked-out branch of an existing repository, else `main`. */
  branch?: string;
  author?: Partial<Author>;
  clock?: () => number;
  /** registry.yaml's other fields (name, description, policies). */
  registry?: Partial<RegistryFile>;
}

/**
 * Makes an empty registry: a git repository with registry.yaml in its first commit.
 * @throws RESOURCE_ALREADY_EXISTS when the branch already holds a registry
 */
export async function initRegistry(dir: string, opts: InitOptions = {}): Promise<Registry> {
  const branch = opts.branch ?? 'main';
  let repo: GitWriter;
  try {
    repo = await GitWriter.open(dir);
  } catch {
    repo = await GitWriter.init(dir, { bare: opts.bare ?? false, branch });
  }
  const useBranch = opts.branch ?? (await repo.currentBranch()) ?? branch;
  const head = await repo.resolveBranch(useBranch);
  if (head && (await repo.readFileAt(head, REGISTRY_FILE))) {
    throw RegistryError.alreadyExists(`${dir} already holds a registry (registry.yaml exists on '${useBranch}').`);
  }
  const author = await resolveAuthor(repo.gitdir, opts.author);
  const registryFile: RegistryFile = { ...opts.registry, format_version: FORMAT_VERSION };
  const text = stringifyDocument('registry', registryFile);
  const parsed = parseDocumentText('registry', REGISTRY_FILE, text);
  if (!parsed.ok) throw rejected(parsed.problems);
  const ms = opts.clock ? opts.clock() : Date.now();
  await repo.withWriteLock(async () => {
    await repo.commit({
      branch: useBranch,
      parent: head,
      changes: new Map([[REGISTRY_FILE, new TextEncoder().encode(text)]]),
      message: 'registry: initialised\n',
      author: { name: author.name, email: author.email, timestamp: Math.floor(ms / 1000), timezoneOffset: 0 },
    });
  });
  return Registry.open(dir, { author, branch: useBranch, ...(opts.clock ? { clock: opts.clock } : {}) });
}
