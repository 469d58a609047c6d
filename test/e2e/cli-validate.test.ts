// `--no-commit` edits the working tree only and `mreg validate` sees them; validate reports every problem as
// path:line: message with exit 1; the policies of registry.yaml hold for writes and for pull-request branches.
import { readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mreg, mregOk } from '../helpers/cli.js';
import { expectCleanRepo, git, tempDir } from '../helpers/registry.js';

const POLICIES = `format_version: 2
name: test registry
policies:
  transitions:
    Production: [Staging]
  max_versions_per_stage:
    Production: 1
  required_fields:
    Production: [digest, run_id]
  protected:
    - branches: [main]
      stages: [Production]
      aliases: [champion]
`;
const DIGEST = `sha256:${'b'.repeat(64)}`;

async function commitAll(dir: string, message: string): Promise<string> {
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', message);
  return (await git(dir, 'rev-parse', 'HEAD')).trim();
}

/** A registry on main with policies, fraud v1 in Production (champion) and v2 in Staging. */
async function policed(): Promise<string> {
  const dir = await tempDir('mreg-validate-');
  await mregOk(['init', '--repo', dir]);
  await writeFile(path.join(dir, 'registry.yaml'), POLICIES);
  await commitAll(dir, 'registry: policies');
  for (const n of [1, 2])
    await mregOk(['register', 'fraud', '--source', `s3://b/fraud/${n}`, '--run-id', `run${n}`, '--digest', DIGEST], {
      cwd: dir,
    });
  await mregOk(['transition', 'fraud', '1', 'Staging'], { cwd: dir });
  await mregOk(['transition', 'fraud', '1', 'Production'], { cwd: dir });
  await mregOk(['alias', 'fraud', 'champion', '1'], { cwd: dir });
  await mregOk(['transition', 'fraud', '2', 'Staging'], { cwd: dir });
  return dir;
}

async function edit(dir: string, file: string, from: string | RegExp, to: string): Promise<void> {
  const p = path.join(dir, file);
  const text = await readFile(p, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`edit of ${file} changed nothing`);
  await writeFile(p, next);
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('--no-commit', () => {
  it.each([
    [['register', 'fraud', '--source', 's3://b/fraud/3', '--no-commit'], ['?? models/fraud/versions/3.yaml']],
    [['transition', 'fraud', '2', 'Archived', '--no-commit'], [' M models/fraud/versions/2.yaml']],
    [['tag', 'fraud', '2', 'k=v', '--no-commit'], [' M models/fraud/versions/2.yaml']],
    [['describe', 'fraud', 'hello', '--no-commit'], [' M models/fraud/model.yaml']],
    [['alias', 'fraud', 'challenger', '2', '--no-commit'], ['?? models/fraud/aliases/challenger.yaml']],
    [
      ['delete', 'fraud', '2', '--no-commit'],
      [' D models/fraud/versions/2.yaml', '?? models/fraud/deleted/'],
    ],
    [['create', 'churn', '--no-commit'], ['?? models/churn/']],
    [
      ['rename', 'fraud', 'fraud2', '--no-commit'],
      [' D models/fraud/model.yaml', '?? models/fraud2/'],
    ],
  ])('%j edits the working tree only', async (args, status) => {
    const dir = await policed();
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const r = await mregOk(args, { cwd: dir });
    expect(r.stdout).toMatch(/\(working tree only, not committed\)\n$/);
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(head);
    const lines = (await git(dir, 'status', '--porcelain')).split('\n').filter(Boolean);
    for (const s of status) expect(lines).toContain(s);
    // The next validate sees the edit, and finds it valid.
    const v = await mregOk(['validate'], { cwd: dir });
    expect(v.stdout).toMatch(/^ok: working tree: /);
  });

  it('successive --no-commit writes build on each other, and a person commits them with git', async () => {
    const dir = await policed();
    await mregOk(
      ['register', 'fraud', '--source', 's3://b/fraud/3', '--run-id', 'r3', '--digest', DIGEST, '--no-commit'],
      { cwd: dir },
    );
    await mregOk(['transition', 'fraud', '3', 'Staging', '--no-commit'], { cwd: dir });
    await mregOk(['alias', 'fraud', 'challenger', '3', '--no-commit'], { cwd: dir });
    expect(await readFile(path.join(dir, 'models/fraud/versions/3.yaml'), 'utf8')).toContain('stage: Staging');
    expect((await git(dir, 'log', '-1', '--format=%s')).trim()).toBe('fraud: v2 None → Staging');
    // Committed reads (get) still show the branch head; validate checks what the working tree holds.
    expect((await mreg(['get', 'fraud', '3'], { cwd: dir })).code).toBe(1);
    expect((await mregOk(['validate'], { cwd: dir })).stdout).toMatch(/^ok: working tree: 1 model, 3 versions;/);
    await commitAll(dir, 'fraud: v3 to Staging');
    expect((await mregOk(['validate', '--ref', 'HEAD'], { cwd: dir })).stdout).toMatch(
      /^ok: commit [0-9a-f]{10}: 1 model, 3 versions;/,
    );
    await mregOk(['register', 'fraud', '--source', 's3://b/fraud/4'], { cwd: dir });
    expect((await git(dir, 'log', '-1', '--format=%s')).trim()).toBe('fraud: v4 registered');
    await expectCleanRepo(dir);
  });

  it('a policy violation made with --no-commit is rejected like a committed one (nothing written)', async () => {
    const dir = await policed();
    const r = await mreg(['transition', 'fraud', '2', 'Production', '--no-commit'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^mreg: PERMISSION_DENIED: Rejected: models\/fraud\/model\.yaml:1: policy: fraud would have 2 versions in Production; at most 1 allowed\n$/,
    );
    expect(await git(dir, 'status', '--porcelain')).toBe('');
  });
});

describe('mreg validate', () => {
  it('prints every problem as path:line: message (the line of the offending key) and exits 1', async () => {
    const dir = await policed();
    await edit(dir, 'models/fraud/versions/2.yaml', 'stage: Staging', 'stgae: Staging');
    await edit(dir, 'models/fraud/aliases/champion.yaml', 'version: 1', 'version: 9');
    await mkdir(path.join(dir, 'models/Churn'), { recursive: true });
    await writeFile(
      path.join(dir, 'models/Churn/model.yaml'),
      'name: Churn\ncreated_at: 2026-01-01T00:00:00.000Z\nupdated_at: 2026-01-01T00:00:00.000Z\n',
    );
    await writeFile(path.join(dir, 'models/fraud/versions/notes.txt'), 'hello\n');
    await writeFile(path.join(dir, 'models/fraud/versions/5.yaml'), 'version: 5\nsource: [unclosed\n');
    const alias = await readFile(path.join(dir, 'models/fraud/aliases/champion.yaml'), 'utf8');
    const v2 = await readFile(path.join(dir, 'models/fraud/versions/2.yaml'), 'utf8');
    const r = await mreg(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain(
      `models/fraud/aliases/champion.yaml:${lineOf(alias, 'version')}: alias 'champion' points to version 9, which does not exist`,
    );
    expect(lines).toContain(`models/fraud/versions/2.yaml:${lineOf(v2, 'stgae')}: unknown key 'stgae'`);
    expect(lines).toContain("models/fraud/versions/2.yaml:1: missing required key 'stage'");
    expect(lines).toContain(
      `models/Churn/model.yaml:1: folder 'models/Churn' does not match model name "Churn" (expected 'models/^churn')`,
    );
    expect(lines).toContain(
      'models/fraud/versions/notes.txt:1: unexpected file: a model folder holds model.yaml, versions/<n>.yaml, aliases/<alias>.yaml and deleted/<n>.yaml only',
    );
    expect(lines.some((l) => /^models\/fraud\/versions\/5\.yaml:\d+: invalid YAML: /.test(l))).toBe(true);
    for (const l of lines) expect(l).toMatch(/^[^:\s]+:\d+: .+$/);
    expect(r.stderr).toMatch(/^mreg: INVALID_STATE: \d+ problems found, first: models\/.+\n$/);

    const json = JSON.parse((await mreg(['validate', '--json'], { cwd: dir })).stdout);
    expect(json.valid).toBe(false);
    expect(json.problems).toContainEqual({
      path: 'models/fraud/versions/2.yaml',
      line: lineOf(v2, 'stgae'),
      message: "unknown key 'stgae'",
    });

    const gh = await mreg(['validate', '--format', 'github'], { cwd: dir });
    expect(gh.stdout).toContain(
      `::error file=models/fraud/versions/2.yaml,line=${lineOf(v2, 'stgae')}::unknown key 'stgae'`,
    );

    // The committed state is still fine, and --ref checks it from git objects.
    expect((await mreg(['validate', '--ref', 'HEAD'], { cwd: dir })).code).toBe(0);
  });

  it("--ref validates a commit made behind mreg's back, and a bad one fails", async () => {
    const dir = await policed();
    await edit(dir, 'models/fraud/versions/1.yaml', /^status: READY$/m, 'status: DONE');
    const bad = await commitAll(dir, 'hand edit');
    await git(dir, 'revert', '--no-edit', 'HEAD');
    const r = await mreg(['validate', '--ref', bad], { cwd: dir });
    expect(r.code).toBe(1);
    // One problem, on the broken file: no "alias 'champion' points to version 1, which does not exist" (it does).
    expect(r.stdout).toMatch(
      /^models\/fraud\/versions\/1\.yaml:\d+: status must be one of READY, PENDING_REGISTRATION, FAILED_REGISTRATION\n$/,
    );
    expect((await mreg(['validate', '--ref', 'HEAD'], { cwd: dir })).code).toBe(0);
    expect((await mreg(['validate', '--ref', 'HEAD~1'], { cwd: dir })).code).toBe(1);
    const missing = await mreg(['validate', '--ref', 'no-such-ref'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^mreg: [A-Z_]+: .*no-such-ref.*\n$/);
  });
});

describe('numbers are never reused (format 2)', () => {
  it('a version file removed by hand without its tombstone fails against the base; with the tombstone it passes', async () => {
    const dir = await policed();
    await git(dir, 'checkout', '-q', '-b', 'tidy');
    await rm(path.join(dir, 'models/fraud/versions/2.yaml'));
    const r = await mreg(['validate', '--base', 'main'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'models/fraud/versions/2.yaml:1: version 2 of fraud was removed without a tombstone: a deleted version must leave models/fraud/deleted/2.yaml so its number is never reused',
    );
    await mkdir(path.join(dir, 'models/fraud/deleted'));
    await writeFile(
      path.join(dir, 'models/fraud/deleted/2.yaml'),
      'version: 2\ndeleted_at: 2026-06-01T00:00:00.000Z\n',
    );
    await mregOk(['validate', '--base', 'main'], { cwd: dir });
    // A tombstone beside a live version of the same number is refused on its own.
    await git(dir, 'checkout', '-q', 'main', '--', 'models/fraud/versions/2.yaml');
    const both = await mreg(['validate'], { cwd: dir });
    expect(both.stdout).toContain('models/fraud/deleted/2.yaml:1: version 2 is both live');
  });
});

describe('policies', () => {
  it('transitions: Production only from Staging (write rejected; hand edit flagged at the stage line)', async () => {
    const dir = await policed();
    await mregOk(['register', 'fraud', '--source', 's3://b/fraud/3', '--run-id', 'r3', '--digest', DIGEST], {
      cwd: dir,
    });
    const w = await mreg(['transition', 'fraud', '3', 'Production', '--archive-existing'], { cwd: dir });
    expect(w.code).toBe(1);
    expect(w.stderr).toBe(
      'mreg: PERMISSION_DENIED: Rejected: models/fraud/versions/3.yaml:1: policy: fraud v3 may enter Production only from Staging, not from None\n',
    );
    await edit(dir, 'models/fraud/versions/3.yaml', 'stage: None', 'stage: Production');
    await edit(dir, 'models/fraud/versions/1.yaml', 'stage: Production', 'stage: Archived');
    const text = await readFile(path.join(dir, 'models/fraud/versions/3.yaml'), 'utf8');
    const r = await mreg(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `models/fraud/versions/3.yaml:${lineOf(text, 'stage:')}: policy: fraud v3 may enter Production only from Staging, not from None\n`,
    );
  });

  it('max_versions_per_stage and required_fields', async () => {
    const dir = await policed();
    await mregOk(['register', 'fraud', '--source', 's3://b/fraud/3'], { cwd: dir });
    await mregOk(['transition', 'fraud', '3', 'Staging'], { cwd: dir });
    await edit(dir, 'models/fraud/versions/3.yaml', 'stage: Staging', 'stage: Production');
    const text = await readFile(path.join(dir, 'models/fraud/versions/3.yaml'), 'utf8');
    const r = await mreg(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n').sort()).toEqual(
      [
        'models/fraud/model.yaml:1: policy: fraud would have 2 versions in Production; at most 1 allowed',
        `models/fraud/versions/3.yaml:${lineOf(text, 'stage:')}: policy: fraud v3 needs 'digest' before it can enter Production`,
        `models/fraud/versions/3.yaml:${lineOf(text, 'stage:')}: policy: fraud v3 needs 'run_id' before it can enter Production`,
      ].sort(),
    );
  });

  it('protected: Production and @champion change only on main — a pull-request branch names its target with --branch, MREG_TARGET_BRANCH or GITHUB_BASE_REF', async () => {
    const dir = await policed();
    await git(dir, 'checkout', '-q', '-b', 'promote-v2');
    // The write itself checks the branch it lands on: promote-v2 is not main…
    const denied = await mreg(['transition', 'fraud', '2', 'Production', '--archive-existing', '--no-commit'], {
      cwd: dir,
    });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(
      // Both versions that would move are named: v2 into Production and v1 out of it.
      /^mreg: PERMISSION_DENIED: Rejected \(2 problems\): (models\/fraud\/versions\/\d\.yaml:1: policy: fraud v\d (Staging|Production) → (Production|Archived) may only change on main \(this is promote-v2\)(; |\n$)){2}/,
    );
    // …unless the person says where the branch will land.
    await mregOk(
      ['transition', 'fraud', '2', 'Production', '--archive-existing', '--no-commit', '--target-branch', 'main'],
      { cwd: dir },
    );
    await mregOk(['alias', 'fraud', 'champion', '2', '--no-commit'], { cwd: dir, env: { MREG_TARGET_BRANCH: 'main' } });
    const onBranch = await mreg(['validate'], { cwd: dir });
    expect(onBranch.code).toBe(1);
    expect(onBranch.stdout).toContain("policy: alias 'champion' of fraud may only change on main (this is promote-v2)");
    expect(onBranch.stdout).toContain(
      'policy: fraud v2 Staging → Production may only change on main (this is promote-v2)',
    );
    expect((await mreg(['validate', '--branch', 'main'], { cwd: dir })).code).toBe(0);
    expect((await mreg(['validate'], { cwd: dir, env: { MREG_TARGET_BRANCH: 'main' } })).code).toBe(0);
    expect((await mreg(['validate'], { cwd: dir, env: { GITHUB_BASE_REF: 'main' } })).code).toBe(0);
    expect((await mreg(['validate'], { cwd: dir, env: { GITHUB_BASE_REF: 'release' } })).code).toBe(1);
    await commitAll(dir, 'Promote fraud v2');

    // Meanwhile main moves on; the pull request is judged on what the branch changes since it forked.
    await git(dir, 'checkout', '-q', 'main');
    await mregOk(['register', 'churn', '--source', 's3://b/churn/1'], { cwd: dir });
    const ci = await mreg(['validate', '--ref', 'promote-v2', '--base', 'main', '--branch', 'main'], { cwd: dir });
    expect(ci.stderr).toBe('');
    expect(ci.stdout).toMatch(
      /^ok: commit [0-9a-f]{10}: 1 model, 2 versions; policies checked against [0-9a-f]{10} for branch main\n$/,
    );
    const forkPoint = (await git(dir, 'merge-base', 'main', 'promote-v2')).trim();
    const json = JSON.parse(
      (await mregOk(['validate', '--ref', 'promote-v2', '--base', 'main', '--branch', 'main', '--json'], { cwd: dir }))
        .stdout,
    );
    expect(json.base).toBe(forkPoint);
    const wrongTarget = await mreg(['validate', '--ref', 'promote-v2', '--base', 'main', '--branch', 'release'], {
      cwd: dir,
    });
    expect(wrongTarget.code).toBe(1);
  });

  it('a change must satisfy the base policies too: a branch cannot relax a rule and use it at once', async () => {
    const dir = await policed();
    await git(dir, 'checkout', '-q', '-b', 'sneaky');
    await edit(dir, 'registry.yaml', /  protected:[\s\S]*$/, '');
    await edit(dir, 'models/fraud/aliases/champion.yaml', 'version: 1', 'version: 2');
    const r = await mreg(['validate', '--base', 'main'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("policy: alias 'champion' of fraud may only change on main (this is sneaky)");
  });

  it('a rename is one model moving, not versions entering their stages from None (fix in Registry.check)', async () => {
    const dir = await policed();
    // Before the fix: "policy: fraud-v2 v1 may enter Production only from Staging, not from None".
    const r = await mregOk(['rename', 'fraud', 'fraud-v2'], { cwd: dir });
    expect(r.stdout).toMatch(/^fraud: renamed to fraud-v2 \[/);
    expect((await mregOk(['validate', '--ref', 'HEAD'], { cwd: dir })).stdout).toMatch(/^ok: /);
    // On another branch the rename moves no protected stage or alias, so it needs no target branch either.
    await git(dir, 'checkout', '-q', '-b', 'tidy');
    await mregOk(['rename', 'fraud-v2', 'fraud'], { cwd: dir });
    expect((await mregOk(['validate', '--ref', 'HEAD'], { cwd: dir })).stdout).toMatch(/^ok: .* for branch tidy\n$/);
  });

  it('policies judge changes only: a registry that predates a policy is not rejected wholesale', async () => {
    const dir = await tempDir('mreg-validate-');
    await mregOk(['init', '--repo', dir]);
    for (const n of [1, 2]) await mregOk(['register', 'm', '--source', `s3://b/${n}`], { cwd: dir });
    await mregOk(['transition', 'm', '1', 'Production'], { cwd: dir });
    await mregOk(['transition', 'm', '2', 'Production'], { cwd: dir });
    await writeFile(path.join(dir, 'registry.yaml'), POLICIES);
    await commitAll(dir, 'policies');
    expect((await mregOk(['validate'], { cwd: dir })).stdout).toMatch(/^ok: /);
    expect((await mregOk(['validate', '--ref', 'HEAD'], { cwd: dir })).stdout).toMatch(/^ok: /);
  });
});

describe('validate outside a commit history', () => {
  it('a registry whose only commit is the root is checked for schema and invariants', async () => {
    const dir = await tempDir('mreg-validate-');
    await mregOk(['init', '--repo', dir]);
    await rm(path.join(dir, 'registry.yaml'));
    const r = await mreg(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('registry.yaml:1: registry.yaml is missing\n');
  });
});
