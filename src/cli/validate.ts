// `mreg validate`: schema and invariants of every file of a commit (or the working tree), then the
// registry's policies on what changed since a base. Problems are data; the command prints and counts them.
//
// Policy semantics (see the README, "Policies"):
// - Policies judge a change: the models that differ between the base and the target. Without a base
//   (a folder outside git, or a root commit) only schema and invariants are checked.
// - The base is `--base REF` (its merge base with the target, so a pull request is judged on what the
//   branch changes even when its target moved on); without it, HEAD for the working tree, and the first
//   parent for `--ref REF`.
// - The change must satisfy the policies of the base and of the target, so a pull request cannot relax
//   a policy and use the relaxation at once.
// - `protected` rules compare against the branch the change lands on: `--branch`, else
//   MREG_TARGET_BRANCH, else GITHUB_BASE_REF (a pull request's base on GitHub Actions), else the ref
//   validated when it names a branch, else the checked-out branch.
import type { Problem } from '../errors.js';
import { isRegistryError, RegistryError } from '../errors.js';
import { pairRenames } from '../domain/diff.js';
import { parsePath } from '../domain/layout.js';
import { checkPolicies } from '../domain/policies.js';
import type { ModelEntry, RegistryFile } from '../domain/state.js';
import type { GitReader } from '../store/git/reader.js';
import { loadCommit, loadWorkTree, type Loaded } from '../store/load.js';
import { lineOfKey } from '../store/yaml.js';
import { blobOid, listWorkTreeSync, readWorkTreeSync, statePair } from './changes.js';

export interface ValidateOptions {
  /** A commit or ref to validate; undefined = the working tree. */
  ref?: string | undefined;
  /** What policies compare against; see the header. */
  base?: string | undefined;
  /** The branch the change lands on, for `protected` rules. */
  branch?: string | undefined;
  /** Called as files are read: (done, total). */
  onProgress?: ((done: number, total: number) => void) | undefined;
}

export interface ValidateResult {
  /** The commit validated, or null for the working tree. */
  target: string | null;
  /** The commit policies compared against, or null when policies were not checked. */
  base: string | null;
  branch: string | undefined;
  files: number;
  models: number;
  versions: number;
  policiesChecked: boolean;
  problems: Problem[];
}

/**
 * A view of the repository for one full read: counts file reads (for a progress display), hashes work-tree
 * files as they are read (so the policy check knows what changed without reading them twice), and reads
 * the work tree synchronously — one readFileSync is ~10x cheaper than fs/promises' open/stat/read/close
 * round trips through the thread pool, which dominated validate at 100k files.
 */
function readingView(
  repo: GitReader,
  onProgress: ValidateOptions['onProgress'],
  oids?: Map<string, string>,
): GitReader {
  let total = 0;
  let done = 0;
  const pathOf = new Map<string, string>();
  const tick = () => {
    done++;
    if (onProgress && (done % 256 === 0 || done === total)) onProgress(done, total);
  };
  const overrides: Record<string, unknown> = {
    listWorkTreeFiles: async (prefix: string) => {
      const list = repo.bare ? await repo.listWorkTreeFiles(prefix) : listWorkTreeSync(repo.dir, prefix);
      total = list.filter((p) => parsePath(p).kind !== 'other').length;
      return list;
    },
    listFiles: async (commit: string, prefix?: string) => {
      const list = await repo.listFiles(commit, prefix);
      total = list.filter((f) => parsePath(f.path).kind !== 'other').length;
      if (!repo.bare) for (const f of list) if (!pathOf.has(f.oid)) pathOf.set(f.oid, f.path);
      return list;
    },
    readWorkTreeFile: async (p: string) => {
      const bytes = readWorkTreeSync(repo.dir, p);
      tick();
      if (bytes && oids) oids.set(p, blobOid(bytes));
      return bytes;
    },
    readBlob: async (oid: string) => {
      // A commit's file that the work tree holds unchanged (same blob id) is read from the work tree:
      // inflating 100k objects from a pack costs several times more than reading and hashing the files.
      const p = pathOf.get(oid);
      const local = p === undefined ? null : readWorkTreeSync(repo.dir, p);
      const r = local && blobOid(local) === oid ? local : await repo.readBlob(oid);
      tick();
      return r;
    },
  };
  return new Proxy(repo, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in overrides) return overrides[prop];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as GitReader;
}

/**
 * A listed work-tree file as git would commit it (GitReader.readWorkTreeFile's rules): a symbolic link reads as
 * the path it holds, never as its target, and a FIFO or device is absent. A pull request's links must not
 * make validate read and print files from outside the repository, nor hang on /dev/zero. (The listing never
 * enters a linked folder.)
 */
async function resolveOrNull(repo: GitReader, rev: string): Promise<string | null> {
  try {
    return await repo.resolveRevision(rev);
  } catch (e) {
    if (isRegistryError(e)) return null;
    throw e;
  }
}

export async function validateRepository(repo: GitReader, opts: ValidateOptions = {}): Promise<ValidateResult> {
  const oids = new Map<string, string>();
  const view = readingView(repo, opts.onProgress, opts.ref === undefined ? oids : undefined);
  let target: string | null = null;
  let loaded: Loaded;
  if (opts.ref !== undefined) {
    target = await repo.resolveRevision(opts.ref);
    loaded = await loadCommit(view, target);
  } else {
    loaded = await loadWorkTree(view);
  }
  const problems: Problem[] = [...loaded.problems];

  // The base of the policy check.
  const current = await repo.currentBranch().catch(() => undefined);
  let base: string | null = null;
  if (opts.base !== undefined) {
    const b = await repo.resolveRevision(opts.base);
    const head = target ?? (current ? await repo.resolveBranch(current) : await resolveOrNull(repo, 'HEAD'));
    base = head ? ((await repo.mergeBase(b, head)) ?? b) : b;
  } else if (target !== null) {
    base = (await repo.readCommit(target)).parents[0] ?? null;
  } else {
    base = current ? await repo.resolveBranch(current) : await resolveOrNull(repo, 'HEAD');
  }
  const refBranch =
    opts.ref !== undefined && (await repo.resolveBranch(opts.ref).catch(() => null)) ? opts.ref : undefined;
  const branch = opts.branch ?? refBranch ?? current ?? undefined;

  let policiesChecked = false;
  if (base !== null) {
    const pair = await statePair(repo, base, target, {
      targetLoaded: loaded,
      workTreeOids: target === null ? oids : undefined,
    });
    const registries = [pair.before.registry, pair.after.registry].filter(
      (r, i, all) => r.policies && (i === 0 || JSON.stringify(r) !== JSON.stringify(all[0])),
    );
    policiesChecked = true;
    const deleted = [...pair.before.models.values()].filter((m) => !pair.after.models.has(m.file.name));
    const created = [...pair.after.models.values()].filter((m) => !pair.before.models.has(m.file.name));
    const renames = pairRenames(deleted, created);
    const renamedTo = new Map(renames.map(([d, c]) => [c.file.name, d]));
    const renamedAway = new Set(renames.map(([d]) => d.file.name));
    const names = new Set([...pair.before.models.keys(), ...pair.after.models.keys()]);
    const seen = new Set<string>();
    for (const registry of registries) {
      for (const name of names) {
        if (renamedAway.has(name)) continue;
        const before = pair.before.models.get(name) ?? renamedTo.get(name);
        const after = pair.after.models.get(name);
        // A fix of a file that was broken at the base is not judged as the model's versions appearing.
        if ([before, after].some((m) => m && pair.brokenBefore.has(m.dir))) continue;
        for (const p of await withLines(view, target, policyProblems(registry, before, after, branch))) {
          const key = `${p.path}\0${p.message}`;
          if (!seen.has(key)) {
            seen.add(key);
            problems.push(p);
          }
        }
      }
    }
  }

  let versions = 0;
  for (const m of loaded.state.models.values()) versions += m.versions.size;
  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : (a.line ?? 1) - (b.line ?? 1)));
  return {
    target,
    base: policiesChecked ? base : null,
    branch,
    files: loaded.dirs.size === 0 ? 1 : countFiles(loaded),
    models: loaded.state.models.size,
    versions,
    policiesChecked,
    problems,
  };
}

function policyProblems(
  registry: RegistryFile,
  before: ModelEntry | undefined,
  after: ModelEntry | undefined,
  branch: string | undefined,
) {
  return checkPolicies(registry, before, after, branch !== undefined ? { branch } : {});
}

async function withLines(
  repo: GitReader,
  target: string | null,
  found: Array<Problem & { pointer?: string }>,
): Promise<Problem[]> {
  const out: Problem[] = [];
  for (const p of found) {
    let line = 1;
    if (p.pointer) {
      const bytes = target === null ? await repo.readWorkTreeFile(p.path) : await repo.readFileAt(target, p.path);
      if (bytes) line = lineOfKey(new TextDecoder().decode(bytes), p.pointer);
    }
    out.push({ path: p.path, line, message: p.message });
  }
  return out;
}

function countFiles(loaded: Loaded): number {
  let n = 1; // registry.yaml
  for (const d of loaded.dirs.values()) n += (d.model ? 1 : 0) + d.versions.size + d.fileProblems.size;
  return n;
}

/**
 * A registry folder outside git (a copy, an unpacked archive, registry-example/ inside this repository):
 * schema and invariants only — without commits there is no change for policies to judge.
 */
export async function validateFolder(
  dir: string,
  opts: Pick<ValidateOptions, 'onProgress'> = {},
): Promise<ValidateResult> {
  const folder = { dir, bare: false } as unknown as GitReader;
  const loaded = await loadWorkTree(readingView(folder, opts.onProgress));
  let versions = 0;
  for (const m of loaded.state.models.values()) versions += m.versions.size;
  const problems = [...loaded.problems].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : (a.line ?? 1) - (b.line ?? 1),
  );
  return {
    target: null,
    base: null,
    branch: undefined,
    files: countFiles(loaded),
    models: loaded.state.models.size,
    versions,
    policiesChecked: false,
    problems,
  };
}

/** The one-line stderr summary of a failed validation. */
export function failure(result: ValidateResult): RegistryError {
  const n = result.problems.length;
  const first = result.problems[0]!;
  return new RegistryError(
    'INVALID_STATE',
    `${n} problem${n === 1 ? '' : 's'} found, first: ${first.path}:${first.line ?? 1}: ${first.message}`,
    { problems: result.problems },
  );
}
