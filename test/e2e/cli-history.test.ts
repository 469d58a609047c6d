// mreg history (the audit log from git, newest first, following renames) and mreg resolve --at (time travel).
import { describe, expect, it } from 'vitest';
import { materializeExample } from '../../src/registry/example.js';
import { mreg, mregOk } from '../helpers/cli.js';
import { git, tempDir } from '../helpers/registry.js';

const ALICE = 'Alice Doe <alice@example.com>';
const BOB = 'Bob Roe <bob@example.com>';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('mreg history', () => {
  it('when, who, which commit, what changed — newest first, following a rename, for a model or one version', async () => {
    const dir = await tempDir('mreg-history-');
    await mregOk(['init', '--repo', dir]);
    await mregOk(['register', 'fraud', '--source', 's3://b/1', '--author', 'CI Bot <ci@example.com>'], { cwd: dir });
    await mregOk(['register', 'fraud', '--source', 's3://b/2', '--author', 'CI Bot <ci@example.com>'], { cwd: dir });
    await mregOk(['register', 'churn', '--source', 's3://c/1'], { cwd: dir });
    await mregOk(['transition', 'fraud', '2', 'Staging', '--author', ALICE], { cwd: dir });
    await mregOk(['rename', 'fraud', 'fraud-detector', '--author', BOB], { cwd: dir });
    await mregOk(['transition', 'fraud-detector', '2', 'Production', '--author', BOB], { cwd: dir });
    await mregOk(['alias', 'fraud-detector', 'champion', '2', '--author', ALICE], { cwd: dir });

    const all = await mregOk(['history'], { cwd: dir });
    const heads = all.stdout.split('\n').filter((l) => /^[0-9a-f]{10}  /.test(l));
    expect(heads).toHaveLength(8);
    expect(heads[0]).toMatch(/^[0-9a-f]{10}  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  Alice Doe <alice@example\.com>$/);
    expect(all.stdout).toContain('    fraud-detector: alias @champion → v2\n');
    expect(all.stdout).toContain('    fraud: renamed to fraud-detector\n');

    // "Who put v2 in Production, and when?" — across the rename, newest first.
    const v2 = await mregOk(['history', 'fraud-detector', '2'], { cwd: dir });
    const ops = v2.stdout
      .split('\n')
      .filter((l) => l.startsWith('    '))
      .map((l) => l.trim());
    expect(ops).toEqual([
      'fraud-detector v2: Staging → Production',
      'fraud: renamed to fraud-detector',
      'fraud v2: None → Staging',
      'fraud v2: registered from s3://b/2',
      'fraud: model created',
    ]);
    const who = v2.stdout
      .split('\n')
      .filter((l) => /^[0-9a-f]{10}  /.test(l))
      .map((l) => l.replace(/^\S+  \S+  /, ''));
    expect(who).toEqual([
      'Bob Roe <bob@example.com>',
      'Bob Roe <bob@example.com>',
      'Alice Doe <alice@example.com>',
      'CI Bot <ci@example.com>',
      'CI Bot <ci@example.com>',
    ]);

    const model = await mregOk(['history', 'fraud-detector'], { cwd: dir });
    expect(model.stdout).not.toContain('churn');
    expect(model.stdout).toContain('fraud v1: registered from s3://b/1');

    const json = JSON.parse((await mregOk(['history', 'fraud-detector', '2', '--json'], { cwd: dir })).stdout);
    expect(json.entries).toHaveLength(5);
    const log = (await git(dir, 'log', '--format=%H %ct'))
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    expect(json.entries[0]).toEqual({
      commit: log[1]![0],
      parents: [log[2]![0]],
      time: Number(log[1]![1]) * 1000,
      author: { name: 'Bob Roe', email: 'bob@example.com' },
      message: 'fraud-detector: v2 Staging → Production',
      operations: [{ op: 'stage_changed', name: 'fraud-detector', version: 2, from: 'Staging', to: 'Production' }],
    });
    expect(
      (JSON.parse((await mregOk(['history', '--limit', '2', '--json'], { cwd: dir })).stdout).entries as unknown[])
        .length,
    ).toBe(2);
    expect((await mreg(['history', '--limit', '0'], { cwd: dir })).code).toBe(1);
    // A model that never existed is an error, not an empty audit log (issue 10).
    const none = await mreg(['history', 'nope'], { cwd: dir });
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^mreg: RESOURCE_DOES_NOT_EXIST: Registered model 'nope' not found/);
  });

  it('the example registry: a model followed back through its rename, a deleted version, a promotion', async () => {
    const dir = await tempDir('mreg-history-');
    await materializeExample(dir);
    const ranker = await mregOk(['history', 'search-ranker', '--json'], { cwd: dir });
    const entries = JSON.parse(ranker.stdout).entries as Array<{
      time: number;
      author: { name: string };
      operations: Array<{ op: string; name: string }>;
    }>;
    expect(entries.at(-1)!.operations[0]).toEqual({ op: 'model_created', name: 'ranker' });
    expect(entries.map((e) => e.time)).toEqual([...entries.map((e) => e.time)].sort((a, b) => b - a));
    expect(entries.some((e) => e.operations.some((o) => o.op === 'model_renamed'))).toBe(true);
    const fraud2 = await mregOk(['history', 'fraud', '2'], { cwd: dir });
    expect(fraud2.stdout).toMatch(
      /2026-01-21T11:15:00Z  Alice Moreau <alice\.moreau@acme\.example>\n    fraud v2: deleted\n/,
    );
    const prod = await mregOk(['history', 'fraud', '5'], { cwd: dir });
    expect(prod.stdout).toMatch(
      /2026-03-04T14:00:00Z  Chen Wei <chen\.wei@acme\.example>\n    fraud v5: Staging → Production\n/,
    );
  });
});

describe('mreg resolve --at', () => {
  it('answers "which version was in Production on 1 March?" from the example history', async () => {
    const dir = await tempDir('mreg-resolve-');
    await materializeExample(dir);
    const at = (when: string) =>
      mregOk(['resolve', 'models:/fraud/Production', '--at', when, '--json'], { cwd: dir }).then((r) =>
        JSON.parse(r.stdout),
      );
    expect((await at('2026-03-01')).version).toBe('3');
    expect((await at('2026-03-01T23:59:59Z')).version).toBe('3');
    expect((await at('2026-03-04T14:00:00Z')).version).toBe('5');
    expect((await at('2026-01-13')).version).toBe('1');
    const now = JSON.parse((await mregOk(['resolve', 'models:/fraud/Production', '--json'], { cwd: dir })).stdout);
    expect(now.version).toBe('5');
    const text = await mregOk(['resolve', 'models:/fraud@champion', '--at', '2026-02-10T00:00:00Z'], { cwd: dir });
    expect(text.stdout).toMatch(
      /^models:\/fraud@champion → fraud v3 \(Production, @champion\): s3:\/\/acme-ml-artifacts\/fraud\/[0-9a-f]{32}\/artifacts\/model as of [0-9a-f]{10} \(2026-02-07T09:00:00Z\)\n$/,
    );
    // The old name resolves as of before the rename, and not after it.
    expect((await mregOk(['resolve', 'models:/ranker/Production', '--at', '2026-02-01'], { cwd: dir })).stdout).toMatch(
      /→ ranker v1 \(Production\)/,
    );
    const gone = await mreg(['resolve', 'models:/ranker/Production', '--at', '2026-03-01'], { cwd: dir });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('mreg: RESOURCE_DOES_NOT_EXIST: Registered Model with name=ranker not found\n');
    const before = await mreg(['resolve', 'models:/fraud/Production', '--at', '2025-12-01'], { cwd: dir });
    expect(before.code).toBe(1);
    expect(before.stderr).toMatch(
      /^mreg: RESOURCE_DOES_NOT_EXIST: The registry had no commits on 'main' at 2025-12-01T00:00:00\.000Z\.\n$/,
    );
  });

  it('takes a commit, a ref or HEAD~N, and a time between commits made now', async () => {
    const dir = await tempDir('mreg-resolve-');
    await mregOk(['init', '--repo', dir]);
    await mregOk(['register', 'm', '--source', 's3://m/1'], { cwd: dir });
    await mregOk(['transition', 'm', '1', 'Production'], { cwd: dir });
    const first = (await git(dir, 'rev-parse', 'HEAD')).trim();
    await git(dir, 'tag', 'release-1');
    await sleep(1100);
    const between = new Date().toISOString();
    await sleep(1100);
    await mregOk(['register', 'm', '--source', 's3://m/2'], { cwd: dir });
    await mregOk(['transition', 'm', '2', 'Production', '--archive-existing'], { cwd: dir });
    const v = async (at: string) =>
      JSON.parse((await mregOk(['resolve', 'models:/m/Production', '--at', at, '--json'], { cwd: dir })).stdout);
    expect((await v(first)).version).toBe('1');
    expect((await v(first.slice(0, 8))).version).toBe('1');
    expect((await v('release-1')).version).toBe('1');
    expect((await v('HEAD~2')).version).toBe('1');
    expect(await v(between)).toMatchObject({ version: '1', commit: first });
    expect((await v('HEAD')).version).toBe('2');
    const bad = await mreg(['resolve', 'models:/m/Production', '--at', 'yesterday-ish'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("mreg: INVALID_PARAMETER_VALUE: 'yesterday-ish' is neither a commit, a ref nor a time.\n");
  });
});
