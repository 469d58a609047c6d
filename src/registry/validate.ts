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
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../errors.js';
import { isRegistryError, RegistryError } from '../errors.js';
import { dirTombstoneFile, dirVersionFile, REGISTRY_FILE } from '../domain/layout.js';
import { pairModels } from '../domain/diff.js';
import { checkNumbersKept } from '../domain/invariants.js';
import { checkChangePolicies, type PolicyProblem } from '../domain/policies.js';
import { GitReader } from '../store/git/reader.js';
import { loadTree, type Loaded } from '../store/load.js';
import { lineOfKey } from '../store/yaml.js';
import { statePair } from './changes.js';
import { commitSource, counted, readWorkTreeSync, workTreeSource, type TreeSource } from './tree-source.js';

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
  /** What was read: a commit, the working tree of a git repository, or a registry folder outside git. */
  source: 'commit' | 'work-tree' | 'folder';
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

async function resolveOrNull(repo: GitReader, rev: string): Promise<string | null> {
  try {
    return await repo.resolveRevision(rev);
  } catch (e) {
    if (isRegistryError(e)) return null;
    throw e;
  }
}

/**
 * Validates the registry in `dir`: a commit (`ref`) or the working tree of its git repository, or — when `dir`
 * is a registry folder outside git and no commit was asked for — that folder (schema and invariants only).
 * Problems are data: the result lists them; nothing is thrown for a problem of the registry.
 * @throws when `dir` is neither a git repository nor a registry folder, or a ref names nothing
 */
export async function validateRegistry(dir: string, opts: ValidateOptions = {}): Promise<ValidateResult> {
  const repo = await GitReader.open(dir).catch(async (e: unknown) => {
    // Not a git repository: a plain folder can still be checked, unless a commit was asked for.
    const isFolder = !!(await stat(path.join(dir, REGISTRY_FILE)).catch(() => null));
    if (isFolder && opts.ref === undefined && opts.base === undefined) return null;
    if (isFolder) throw e;
    // A sub-folder of a registry's work tree: its repository, found as git finds it.
    return GitReader.open(dir, { discover: true });
  });
  return repo ? validateRepository(repo, opts) : validateFolder(dir, opts);
}

/** Schema, invariants and (against a base) policies of a commit or of the working tree of `repo`. */
async function validateRepository(repo: GitReader, opts: ValidateOptions = {}): Promise<ValidateResult> {
  const oids = new Map<string, string>();
  let target: string | null = null;
  let source: TreeSource;
  if (opts.ref !== undefined) {
    target = await repo.resolveRevision(opts.ref);
    source = commitSource(repo, target, repo.bare ? {} : { workTree: repo.dir });
  } else {
    if (repo.bare) await repo.listWorkTreeFiles(''); // throws: a bare repository has no working tree
    source = workTreeSource(repo.dir, { oids });
  }
  const loaded = await loadTree(opts.onProgress ? counted(source, opts.onProgress) : source);
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

  if (base !== null) {
    const pair = await statePair(repo, base, target, {
      targetLoaded: loaded,
      workTreeOids: target === null ? oids : undefined,
    });
    const refused = checkChangePolicies(
      [pair.before.registry, pair.after.registry],
      pair.before.models,
      pair.after.models,
      {
        ...(branch !== undefined ? { branch } : {}),
        // A fix of a file that was broken at the base is not judged as the model's versions appearing.
        skip: (m) => pair.brokenBefore.has(m.dir),
      },
    );
    // Numbers are never reused: a version removed without its tombstone is caught against the base.
    problems.push(
      ...checkNumbersKept(pairModels(pair.before.models, pair.after.models), (after, n) =>
        [dirVersionFile(after.dir, n), dirTombstoneFile(after.dir, n)].some(
          (p) => loaded.dirs.get(after.dir)?.fileProblems.has(p) ?? false,
        ),
      ),
    );
    const read = (p: string) =>
      target === null ? Promise.resolve(readWorkTreeSync(repo.dir, p)) : repo.readFileAt(target, p);
    problems.push(...(await withLines(read, refused)));
  }
  return result(target === null ? 'work-tree' : 'commit', loaded, problems, {
    target,
    base,
    branch,
    policiesChecked: base !== null,
  });
}

/**
 * A registry folder outside git (a copy, an unpacked archive, registry-example/ inside this repository):
 * schema and invariants only — without commits there is no change for policies to judge.
 */
async function validateFolder(dir: string, opts: Pick<ValidateOptions, 'onProgress'> = {}): Promise<ValidateResult> {
  const source = workTreeSource(dir);
  const loaded = await loadTree(opts.onProgress ? counted(source, opts.onProgress) : source);
  return result('folder', loaded, [...loaded.problems], {
    target: null,
    base: null,
    branch: undefined,
    policiesChecked: false,
  });
}

function result(
  source: ValidateResult['source'],
  loaded: Loaded,
  problems: Problem[],
  facts: Pick<ValidateResult, 'target' | 'base' | 'branch' | 'policiesChecked'>,
): ValidateResult {
  let versions = 0;
  for (const m of loaded.state.models.values()) versions += m.versions.size;
  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : (a.line ?? 1) - (b.line ?? 1)));
  return {
    source,
    ...facts,
    files: countFiles(loaded),
    models: loaded.state.models.size,
    versions,
    problems,
  };
}

/** Policy problems as validate reports them: the line of the key they name, no code or pointer. */
async function withLines(
  read: (path: string) => Promise<Uint8Array | null>,
  found: PolicyProblem[],
): Promise<Problem[]> {
  const out: Problem[] = [];
  for (const p of found) {
    let line = 1;
    if (p.pointer) {
      const bytes = await read(p.path);
      if (bytes) line = lineOfKey(new TextDecoder().decode(bytes), p.pointer);
    }
    out.push({ path: p.path, line, message: p.message });
  }
  return out;
}

function countFiles(loaded: Loaded): number {
  let n = 1; // registry.yaml
  for (const d of loaded.dirs.values())
    n += (d.model ? 1 : 0) + d.versions.size + d.aliases.size + d.deleted.size + d.fileProblems.size;
  return n;
}

/** The one-line summary of a failed validation, as an error (the CLI prints it and exits 1). */
export function failure(result: ValidateResult): RegistryError {
  const n = result.problems.length;
  const first = result.problems[0]!;
  return new RegistryError(
    'INVALID_STATE',
    `${n} problem${n === 1 ? '' : 's'} found, first: ${first.path}:${first.line ?? 1}: ${first.message}`,
    { problems: result.problems },
  );
}
