// Issue 10 item 2, "promotions that merge": two changes made with the real CLI on two branches, merged with
// git's ordinary three-way merge (no merge driver) both ways git hosts do it — `git merge` in a checkout and
// `git merge-tree --write-tree` (what servers run) — must merge cleanly unless they change the same fact, and
// a clean merge must pass `mreg validate`. Plus the policy case: two pull requests that each promote a
// different version into a stage limited to one version are caught by `mreg validate --base` on the merge.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, mreg, mregOk } from '../helpers/cli.js';
import { git, tempDir } from '../helpers/registry.js';

/** git with the test identity; resolves with the exit code instead of throwing (a conflict exits 1). */
function gitRun(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd: dir, env: cliEnv(), maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

type Change = string[][];

/** fraud: v1 Production (@champion), v2 Staging, v3 None; churn: v1 None. */
let base: string;

const bases: string[] = [];
afterAll(() => Promise.all(bases.map((d) => rm(d, { recursive: true, force: true }))));

/** A registry made by the CLI (shared by a describe's tests, so not tied to one test's lifetime). */
async function buildBase(registryYaml?: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mreg-merge-base-'));
  bases.push(dir);
  await mregOk(['init', '--repo', dir]);
  if (registryYaml) {
    await writeFile(path.join(dir, 'registry.yaml'), registryYaml);
    await gitRun(dir, 'commit', '-qam', 'registry: policies');
  }
  return dir;
}

async function cli(dir: string, change: Change): Promise<void> {
  for (const args of change) await mregOk(args, { cwd: dir });
}

/** A working clone of `from` with branches a and b, each made by the CLI on top of main. */
async function twoBranches(from: string, a: Change, b: Change): Promise<string> {
  const dir = await tempDir('mreg-merge-');
  await git(path.dirname(dir), 'clone', '-q', from, dir);
  for (const [branch, change] of [
    ['a', a],
    ['b', b],
  ] as const) {
    await git(dir, 'checkout', '-q', '-b', branch, 'main');
    await cli(dir, change);
  }
  return dir;
}

interface Merged {
  mergeTree: { code: number; tree: string };
  merge: { code: number; tree: string };
}

/** Merges b into a both ways; for a clean merge both trees are returned (they must agree). */
async function mergeBoth(dir: string): Promise<Merged> {
  const mt = await gitRun(dir, 'merge-tree', '--write-tree', 'a', 'b');
  await git(dir, 'checkout', '-q', 'a');
  const m = await gitRun(dir, 'merge', '--no-edit', '-q', 'b');
  const tree = m.code === 0 ? (await git(dir, 'rev-parse', 'HEAD^{tree}')).trim() : '';
  return { mergeTree: { code: mt.code, tree: mt.stdout.split('\n')[0]!.trim() }, merge: { code: m.code, tree } };
}

const register = (name: string, n: number): string[] => ['register', name, '--source', `s3://b/${name}/${n}`];

const CLEAN: Array<[string, Change, Change]> = [
  [
    'a registration × a stage change of another version of the same model',
    [register('fraud', 4)],
    [['transition', 'fraud', '2', 'Production', '--archive-existing']],
  ],
  ['a registration × an alias set', [register('fraud', 4)], [['alias', 'fraud', 'challenger', '3']]],
  ['a registration × an alias moved', [register('fraud', 4)], [['alias', 'fraud', 'champion', '2']]],
  ['a registration × a model tag', [register('fraud', 4)], [['tag', 'fraud', 'team=risk']]],
  ['a registration × a model description', [register('fraud', 4)], [['describe', 'fraud', 'Card fraud.']]],
  ['registrations of two different models', [register('fraud', 4)], [register('churn', 2)]],
  [
    'stage changes of two different versions',
    [['transition', 'fraud', '2', 'Production']],
    [['transition', 'fraud', '3', 'Staging']],
  ],
  ['tags on two different versions', [['tag', 'fraud', '1', 'k=a']], [['tag', 'fraud', '2', 'k=b']]],
  [
    'two different aliases of one model',
    [['alias', 'fraud', 'champion', '2']],
    [['alias', 'fraud', 'challenger', '3']],
  ],
  ['a version deleted × a registration', [['delete', 'fraud', '3']], [register('fraud', 4)]],
];

const CONFLICT: Array<[string, Change, Change, string]> = [
  [
    'two registrations of the same model (both claim the same number)',
    [register('fraud', 4)],
    [register('fraud', 5)],
    'models/fraud/versions/4.yaml',
  ],
  [
    'one alias moved to two different versions',
    [['alias', 'fraud', 'champion', '2']],
    [['alias', 'fraud', 'champion', '3']],
    'models/fraud/aliases/champion.yaml',
  ],
];

describe('merge matrix (format 2)', () => {
  beforeAll(async () => {
    base = await buildBase();
    await cli(base, [
      register('fraud', 1),
      register('fraud', 2),
      register('fraud', 3),
      ['transition', 'fraud', '1', 'Production'],
      ['transition', 'fraud', '2', 'Staging'],
      ['alias', 'fraud', 'champion', '1'],
      register('churn', 1),
    ]);
  }, 300_000);

  it.each(CLEAN)(
    'merges cleanly: %s',
    async (_label, a, b) => {
      const dir = await twoBranches(base, a, b);
      const r = await mergeBoth(dir);
      expect(r.mergeTree.code).toBe(0);
      expect(r.merge.code).toBe(0);
      expect(r.merge.tree).toBe(r.mergeTree.tree);
      // The merged tree is a valid registry, with both changes in it.
      const v = await mreg(['validate', '--ref', 'HEAD', '--base', 'main'], { cwd: dir });
      expect(v.code, v.stdout + v.stderr).toBe(0);
      await mregOk(['validate'], { cwd: dir });
      const ops = JSON.parse((await mregOk(['diff', 'main', 'HEAD', '--json'], { cwd: dir })).stdout);
      const want = [
        ...JSON.parse((await mregOk(['diff', 'main', 'a', '--json'], { cwd: dir })).stdout).operations,
        ...JSON.parse((await mregOk(['diff', 'main', 'b', '--json'], { cwd: dir })).stdout).operations,
      ];
      expect(new Set(ops.operations.map((o: object) => JSON.stringify(o)))).toEqual(
        new Set(want.map((o: object) => JSON.stringify(o))),
      );
    },
    300_000,
  );

  it.each(CONFLICT)(
    'conflicts: %s',
    async (_label, a, b, file) => {
      const dir = await twoBranches(base, a, b);
      const r = await mergeBoth(dir);
      expect(r.mergeTree.code).toBe(1);
      expect(r.merge.code).toBe(1);
      const conflicted = (await git(dir, 'diff', '--name-only', '--diff-filter=U')).trim().split('\n');
      expect(conflicted).toEqual([file]);
      await git(dir, 'merge', '--abort');
    },
    300_000,
  );
});

describe('a stage limited to one version, promoted by two pull requests', () => {
  const POLICY = 'format_version: 2\npolicies:\n  max_versions_per_stage:\n    Production: 1\n';
  let policed: string;

  beforeAll(async () => {
    policed = await buildBase(POLICY);
    await cli(policed, [
      register('fraud', 1),
      register('fraud', 2),
      register('fraud', 3),
      ['transition', 'fraud', '1', 'Staging'],
      ['transition', 'fraud', '2', 'Staging'],
      ['transition', 'fraud', '3', 'Production'],
    ]);
  }, 300_000);

  it('with --archive-existing both pull requests archive the same version: git conflicts', async () => {
    const dir = await twoBranches(
      policed,
      [['transition', 'fraud', '1', 'Production', '--archive-existing']],
      [['transition', 'fraud', '2', 'Production', '--archive-existing']],
    );
    for (const br of ['a', 'b']) {
      const v = await mreg(['validate', '--ref', br, '--base', 'main'], { cwd: dir });
      expect(v.code, `${br} alone: ${v.stdout}${v.stderr}`).toBe(0);
    }
    const r = await mergeBoth(dir);
    expect(r.mergeTree.code).toBe(1);
    expect(r.merge.code).toBe(1);
    expect((await git(dir, 'diff', '--name-only', '--diff-filter=U')).trim()).toBe('models/fraud/versions/3.yaml');
    await git(dir, 'merge', '--abort');
  }, 300_000);

  it('merged cleanly, mreg validate --base on the merge result refuses two versions in Production', async () => {
    // An empty Production: each pull request alone promotes one version, which the policy allows.
    const dir = await twoBranches(policed, [['transition', 'fraud', '3', 'Archived']], []);
    await git(dir, 'checkout', '-q', 'main');
    await git(dir, 'merge', '-q', '--ff-only', 'a');
    for (const [br, n] of [
      ['pr1', '1'],
      ['pr2', '2'],
    ] as const) {
      await git(dir, 'checkout', '-q', '-b', br, 'main');
      await mregOk(['transition', 'fraud', n, 'Production'], { cwd: dir });
      const alone = await mreg(['validate', '--ref', br, '--base', 'main'], { cwd: dir });
      expect(alone.code, alone.stdout + alone.stderr).toBe(0);
    }
    // Different files: git merges them without a conflict, either way.
    const mt = await gitRun(dir, 'merge-tree', '--write-tree', 'pr1', 'pr2');
    expect(mt.code).toBe(0);
    // What a host checks before merging pr2 once pr1 has landed ("require branches to be up to date"): the
    // merge of pr2 into the new main — here the merge commit GitHub keeps as refs/pull/N/merge.
    await git(dir, 'checkout', '-q', 'main');
    await git(dir, 'merge', '-q', '--ff-only', 'pr1');
    const tree = (await gitRun(dir, 'merge-tree', '--write-tree', 'main', 'pr2')).stdout.split('\n')[0]!.trim();
    const merge = (
      await gitRun(dir, 'commit-tree', tree, '-p', 'main', '-p', 'pr2', '-m', 'Merge pr2 into main')
    ).stdout.trim();
    await git(dir, 'update-ref', 'refs/pull/2/merge', merge);
    const v = await mreg(['validate', '--ref', 'refs/pull/2/merge', '--base', 'main'], { cwd: dir });
    expect(v.code).toBe(1);
    expect(v.stdout + v.stderr).toMatch(/fraud would have 2 versions in Production; at most 1 allowed/);
    // The same in a checkout: `git merge` then `mreg validate --base main` on the working tree.
    await git(dir, 'checkout', '-q', '-b', 'merged', 'main');
    expect((await gitRun(dir, 'merge', '--no-edit', '-q', 'pr2')).code).toBe(0);
    const w = await mreg(['validate', '--base', 'main'], { cwd: dir });
    expect(w.code).toBe(1);
    expect(w.stdout + w.stderr).toMatch(/at most 1 allowed/);
  }, 300_000);
});
