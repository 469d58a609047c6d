// registry-example/: it is exactly what the example script produces, it validates, and the commands of its
// CI workflow run — on a pull request that promotes a version, and on one that breaks a policy.
import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { materializeExample } from '../../src/registry/example.js';
import { BIN, cliEnv, mreg, mregOk, ROOT } from '../helpers/cli.js';
import { expectCleanRepo, git, tempDir } from '../helpers/registry.js';

const run = promisify(execFile);
const EXAMPLE = path.join(ROOT, 'registry-example');

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name !== '.git') out.push(...(await walk(path.join(dir, e.name), rel)));
    } else out.push(rel);
  }
  return out.sort();
}

interface Step {
  name?: string;
  run?: string;
  if?: string;
}

async function workflowSteps(): Promise<Step[]> {
  const wf = YAML.parse(await readFile(path.join(EXAMPLE, '.github/workflows/registry.yml'), 'utf8')) as {
    on: Record<string, unknown>;
    jobs: Record<string, { steps: Step[] }>;
  };
  expect(Object.keys(wf.on)).toContain('pull_request');
  return Object.values(wf.jobs).flatMap((j) => j.steps);
}

/** Runs a workflow step's shell script as the CI runner would, with `mreg` on PATH. */
async function runStep(
  step: Step,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = path.join(cwd, '..', 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(path.join(bin, 'mreg'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  await chmod(path.join(bin, 'mreg'), 0o755);
  try {
    const r = await run('bash', ['-e', '-c', step.run!], {
      cwd,
      env: cliEnv({ ...env, PATH: `${bin}:${process.env.PATH}` }),
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** A CI checkout of a pull-request branch: a clone of the example with origin/main, on `branch`. */
async function pullRequest(branch: string): Promise<{ origin: string; work: string }> {
  const root = await tempDir('mreg-example-');
  const origin = path.join(root, 'origin');
  await materializeExample(origin);
  const work = path.join(root, 'work');
  await run('git', ['clone', '-q', origin, work]);
  await git(work, 'checkout', '-q', '-b', branch);
  return { origin, work };
}

describe('registry-example/', () => {
  it('is exactly the output of the example script (node scripts/build-example.mjs regenerates it)', async () => {
    const dir = await tempDir('mreg-example-');
    await materializeExample(dir);
    const committed = (await git(dir, 'ls-files')).trim().split('\n').sort();
    expect(await walk(EXAMPLE)).toEqual(committed);
    for (const f of committed)
      expect(await readFile(path.join(EXAMPLE, f), 'utf8'), f).toBe(await readFile(path.join(dir, f), 'utf8'));
    await expectCleanRepo(dir);
  });

  it('is realistic: several models, every stage, aliases, tags, Markdown descriptions, lineage, a rename and deletions in its history', async () => {
    const dir = await tempDir('mreg-example-');
    await materializeExample(dir);
    const search = JSON.parse((await mregOk(['search', '--json'], { cwd: dir })).stdout);
    expect(search.registered_models.length).toBeGreaterThanOrEqual(5);
    const versions = JSON.parse((await mregOk(['versions', '--json'], { cwd: dir })).stdout).model_versions as Array<{
      current_stage: string;
      tags?: unknown[];
      run_id: string;
      description: string;
    }>;
    expect(new Set(versions.map((v) => v.current_stage))).toEqual(
      new Set(['None', 'Staging', 'Production', 'Archived']),
    );
    expect(versions.filter((v) => v.tags?.length).length).toBeGreaterThan(5);
    expect(search.registered_models.some((m: { aliases?: unknown[] }) => m.aliases?.length)).toBe(true);
    expect(search.registered_models.some((m: { description?: string }) => /^## /m.test(m.description ?? ''))).toBe(
      true,
    );
    const fraud5 = await readFile(path.join(EXAMPLE, 'models/fraud/versions/5.yaml'), 'utf8');
    for (const key of ['digest: sha256:', 'run_id:', 'run_link:', 'code_commit:', 'dataset:'])
      expect(fraud5).toContain(key);
    const subjects = await git(dir, 'log', '--format=%s|%an');
    expect(subjects).toContain('ranker: renamed to search-ranker|Bongani Dlamini');
    expect(subjects).toContain('legacy-scorer: deleted|Alice Moreau');
    expect(subjects).toContain('fraud: v2 deleted|Alice Moreau');
    expect(
      new Set(
        subjects
          .trim()
          .split('\n')
          .map((l) => l.split('|')[1]),
      ).size,
    ).toBeGreaterThanOrEqual(4);
    // The same script always gives the same commits.
    const again = await tempDir('mreg-example-');
    await materializeExample(again);
    expect((await git(again, 'rev-parse', 'HEAD')).trim()).toBe((await git(dir, 'rev-parse', 'HEAD')).trim());
  });

  it('`mreg init --example` makes the same repository, commit for commit; it refuses a folder in use', async () => {
    const dir = await tempDir('mreg-init-example-');
    const byLibrary = path.join(dir, 'library');
    const byCli = path.join(dir, 'cli');
    await materializeExample(byLibrary);
    expect((await mregOk(['init', '--example', byCli])).stdout).toContain(`Made the example registry in ${byCli}`);
    expect(await git(byCli, 'rev-parse', 'HEAD')).toBe(await git(byLibrary, 'rev-parse', 'HEAD'));
    await expectCleanRepo(byCli);
    const again = await mreg(['init', '--example', byCli]);
    expect([again.code, again.stderr]).toEqual([2, expect.stringContaining('--example needs a new or empty folder')]);
    const bare = await mreg(['init', '--example', '--bare', path.join(dir, 'bare')]);
    expect([bare.code, bare.stderr]).toEqual([2, expect.stringContaining('cannot be combined with --bare')]);
  });

  it('validates as a plain folder too (schema and invariants; no commits, so no policies)', async () => {
    expect((await mregOk(['validate', '--repo', EXAMPLE])).stdout).toBe(
      'ok: folder: 6 models, 15 versions; policies not checked (not a git repository)\n',
    );
    const copy = await tempDir('mreg-example-copy-');
    await cp(EXAMPLE, copy, { recursive: true });
    await writeFile(
      path.join(copy, 'models/churn/versions/2.yaml'),
      (await readFile(path.join(copy, 'models/churn/versions/2.yaml'), 'utf8')).replace(
        'stage: Staging',
        'stage: staging',
      ),
    );
    const r = await mreg(['validate', '--repo', copy]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^models\/churn\/versions\/2\.yaml:\d+: stage must be one of None, Staging, Production, Archived\n$/,
    );
    expect((await mreg(['validate', '--repo', copy, '--ref', 'HEAD'])).stderr).toMatch(
      /^mreg: INVALID_STATE: .* is not a git repository\n$/,
    );
  });

  it('validates, as the working tree and as a commit', async () => {
    const dir = await tempDir('mreg-example-');
    await materializeExample(dir);
    expect((await mregOk(['validate'], { cwd: dir })).stdout).toMatch(
      /^ok: working tree: 6 models, 15 versions; policies checked against [0-9a-f]{10} for branch main\n$/,
    );
    expect((await mregOk(['validate', '--ref', 'HEAD'], { cwd: dir })).stdout).toMatch(/^ok: commit /);
    // Every commit of its history is valid too.
    const commits = (await git(dir, 'rev-list', 'HEAD')).trim().split('\n');
    for (const c of commits.slice(0, 8)) expect((await mreg(['validate', '--ref', c], { cwd: dir })).code, c).toBe(0);
  });

  it('its CI workflow validates and comments on a pull request that promotes a version', async () => {
    const steps = await workflowSteps();
    const validate = steps.find((s) => s.run?.includes('mreg validate'))!;
    const diff = steps.find((s) => s.run?.includes('mreg diff'))!;
    expect(validate).toBeDefined();
    expect(diff.run).toContain('--format markdown');

    const { work } = await pullRequest('promote-fraud-v6');
    await mregOk(['transition', 'fraud', '6', 'Staging', '--no-commit', '--target-branch', 'main'], { cwd: work });
    await mregOk(['alias', 'fraud', 'challenger', '6', '--no-commit'], { cwd: work });
    await git(work, 'add', '-A');
    await git(work, 'commit', '-q', '-m', 'Stage fraud v6');

    const env = { GITHUB_BASE_REF: 'main', GITHUB_EVENT_NAME: 'pull_request' };
    const v = await runStep(validate, work, env);
    expect(v).toMatchObject({ code: 0, stderr: '' });
    expect(v.stdout).toMatch(
      /^ok: working tree: 6 models, 15 versions; policies checked against [0-9a-f]{10} for branch main\n$/,
    );
    const d = await runStep(diff, work, env);
    expect(d.code).toBe(0);
    const comment = await readFile(path.join(work, 'registry-diff.md'), 'utf8');
    expect(comment.split('\n')).toEqual([
      '<!-- mreg-diff -->',
      '### Registry changes',
      '',
      expect.stringMatching(/^\*\*2 changes\*\* to 1 model \(`[0-9a-f]{10}`…`[0-9a-f]{10}`\)$/),
      '',
      '**fraud**',
      '- v6: None → Staging',
      '- alias @challenger → v6',
      '',
    ]);
  });

  it('its CI workflow judges a push to main on what the push changed', async () => {
    const steps = await workflowSteps();
    const validate = steps.find((s) => s.run?.includes('mreg validate'))!;
    const dir = await tempDir('mreg-example-');
    await materializeExample(dir);
    const before = (await git(dir, 'rev-parse', 'HEAD')).trim();
    await mregOk(['transition', 'fraud', '6', 'Staging'], { cwd: dir });
    await mregOk(['register', 'churn', '--source', 's3://c/3'], { cwd: dir });
    const good = await runStep(validate, dir, { BEFORE: before, GITHUB_EVENT_NAME: 'push' });
    expect(good).toMatchObject({ code: 0, stderr: '' });
    expect(good.stdout).toMatch(new RegExp(`policies checked against ${before.slice(0, 10)} for branch main`));
    // A hand-made commit pushed straight to main that skips Staging.
    const file = path.join(dir, 'models/churn/versions/3.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('stage: None', 'stage: Production'));
    await git(dir, 'commit', '-q', '-am', 'Straight to Production');
    const bad = await runStep(validate, dir, { BEFORE: before, GITHUB_EVENT_NAME: 'push' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('policy: churn v3 may enter Production only from Staging, not from None');
    // A new branch (no usable "before"): schema and invariants of the checkout.
    expect((await runStep(validate, dir, { BEFORE: '0000000000000000000000000000000000000000' })).code).toBe(0);
  });

  it('its CI workflow fails a pull request that breaks a policy, with an annotation on the line', async () => {
    const steps = await workflowSteps();
    const validate = steps.find((s) => s.run?.includes('mreg validate'))!;
    const { work } = await pullRequest('yolo');
    const file = path.join(work, 'models/fraud/versions/6.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('stage: None', 'stage: Production'));
    await git(work, 'commit', '-q', '-am', 'Ship it');
    const line = text.split('\n').findIndex((l) => l.startsWith('stage:')) + 1;
    const v = await runStep(validate, work, { GITHUB_BASE_REF: 'main' });
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(
      `models/fraud/versions/6.yaml:${line}: policy: fraud v6 may enter Production only from Staging, not from None`,
    );
    expect(v.stdout).toContain(
      'models/fraud/model.yaml:1: policy: fraud would have 2 versions in Production; at most 1 allowed',
    );
    expect(v.stdout).toContain(
      `::error file=models/fraud/versions/6.yaml,line=${line}::policy: fraud v6 may enter Production only from Staging, not from None`,
    );
    expect(v.stderr).toMatch(/^mreg: INVALID_STATE: 2 problems found, first: /);
  });
});
