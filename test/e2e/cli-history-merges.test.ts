// mreg history across merges, with real git merges and the real CLI: every change is attributed to the commit
// that made it (author, time, message), not to the merge that brought it in; a change that arrived through a
// merge also names that merge and who made it; a squash is the change. `mreg events` agrees commit for commit,
// and `resolve --at` still answers what the branch served then (its first-parent line).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RegistryEvent } from '../../src/events/types.js';
import type { HistoryEntry } from '../../src/store/history.js';
import { cliEnv, mreg, mregOk } from '../helpers/cli.js';
import { tempDir } from '../helpers/registry.js';

const CI = 'CI Bot <ci@example.com>';
const ALICE = 'Alice Doe <alice@example.com>';
const REVIEWER = { name: 'Rita Reviewer', email: 'rita@example.com' };

/** Native git as a person (or a git host's merge button) runs it: `who` merges, at `date` when given. */
async function git(dir: string, args: string[], opts: { who?: typeof REVIEWER; date?: string } = {}): Promise<string> {
  const who = opts.who ?? { name: 'Alice Doe', email: 'alice@example.com' };
  const env = cliEnv({
    GIT_AUTHOR_NAME: who.name,
    GIT_AUTHOR_EMAIL: who.email,
    GIT_COMMITTER_NAME: who.name,
    GIT_COMMITTER_EMAIL: who.email,
    ...(opts.date ? { GIT_AUTHOR_DATE: opts.date, GIT_COMMITTER_DATE: opts.date } : {}),
  });
  const { stdout } = await promisify(execFile)('git', args, { cwd: dir, env });
  return stdout.trim();
}

async function history(dir: string, ...args: string[]): Promise<HistoryEntry[]> {
  return (
    JSON.parse((await mregOk(['history', '--json', ...args], { cwd: dir })).stdout) as { entries: HistoryEntry[] }
  ).entries;
}

async function events(dir: string): Promise<RegistryEvent[]> {
  const out = (await mregOk(['events', '--json'], { cwd: dir })).stdout;
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as RegistryEvent);
}

/** One line per entry: who made it, the first operation, and the merge it came through. */
const summary = (entries: HistoryEntry[]): string[] =>
  entries.map((e) => {
    const op = e.operations[0];
    const what = op
      ? `${op.op}${op.name ? ` ${op.name}` : ''}${op.version !== undefined ? ` v${op.version}` : ''}`
      : `(${e.message.split('\n')[0]})`;
    return `${e.author.name}: ${what}${e.via ? ` via ${e.via.author.name}` : ''}`;
  });

describe('mreg history across merges', () => {
  it('a PR merged with a merge commit, main merged into a PR then fast-forwarded, a squash merge', async () => {
    const dir = await tempDir('mreg-history-merges-');
    await mregOk(['init', '--repo', dir]);
    await mregOk(['register', 'fraud', '--source', 's3://b/1', '--author', CI], { cwd: dir });
    await mregOk(['register', 'fraud', '--source', 's3://b/2', '--author', CI], { cwd: dir });

    // 1. A pull request merged with a merge commit (git merge --no-ff), made an hour after the PR's commits.
    await git(dir, ['checkout', '-q', '-b', 'promote']);
    await mregOk(['transition', 'fraud', '2', 'Production', '--author', ALICE], { cwd: dir });
    await mregOk(['tag', 'fraud', '2', 'approved=yes', '--author', ALICE], { cwd: dir });
    const promote = await git(dir, ['rev-parse', 'HEAD']);
    await git(dir, ['checkout', '-q', 'main']);
    await mregOk(['register', 'churn', '--source', 's3://c/1', '--author', CI], { cwd: dir });
    const beforeMerge = Date.now();
    const mergedAt = new Date(Math.ceil(beforeMerge / 1000) * 1000 + 3_600_000);
    await git(dir, ['merge', '-q', '--no-ff', 'promote', '-m', 'Merge pull request #1 from promote'], {
      who: REVIEWER,
      date: mergedAt.toISOString(),
    });
    const merge1 = await git(dir, ['rev-parse', 'HEAD']);

    let all = await history(dir);
    expect(summary(all)).toEqual([
      'Rita Reviewer: (Merge pull request #1 from promote)',
      'Alice Doe: version_tag_set fraud v2 via Rita Reviewer',
      'Alice Doe: stage_changed fraud v2 via Rita Reviewer',
      'CI Bot: model_created churn',
      'CI Bot: version_registered fraud v2',
      'CI Bot: model_created fraud',
      'CLI Tester: registry_changed',
    ]);
    // The PR's commits keep their own commit, time and message; the merge is their approval trail.
    const promotion = all[2]!;
    expect(promotion.commit).toBe(await git(dir, ['rev-parse', 'promote~1']));
    expect(promotion.message).toBe('fraud: v2 None → Production');
    expect(promotion.time).toBeLessThan(mergedAt.getTime());
    expect(promotion.via).toEqual({
      commit: merge1,
      time: mergedAt.getTime(),
      author: REVIEWER,
      message: 'Merge pull request #1 from promote',
    });
    expect(all[0]).toMatchObject({ commit: merge1, operations: [] });
    expect(all[0]!.via).toBeUndefined();
    // One version's history says who promoted it, through which merge.
    const v2 = await mregOk(['history', 'fraud', '2'], { cwd: dir });
    const lines = v2.stdout.split('\n');
    const at = lines.findIndex((l) => l === '    fraud v2: None → Production');
    expect(lines[at - 2]).toMatch(/^[0-9a-f]{10}  \S+  Alice Doe <alice@example\.com>$/);
    expect(lines[at - 1]).toBe(
      `  merged in ${merge1.slice(0, 10)}  ${mergedAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}  Rita Reviewer <rita@example.com>`,
    );

    // --at keeps its meaning: before the merge landed, main did not serve the promotion made on the PR branch.
    const then = new Date(mergedAt.getTime() - 1_800_000).toISOString();
    const early = await mreg(['resolve', 'models:/fraud/Production', '--at', then], { cwd: dir });
    expect(early.code).toBe(1);
    const later = await mregOk(['resolve', 'models:/fraud/Production', '--at', mergedAt.toISOString(), '--json'], {
      cwd: dir,
    });
    expect(JSON.parse(later.stdout)).toMatchObject({ version: '2' });

    // 2. main merged into a PR branch, then main fast-forwarded to it.
    await git(dir, ['checkout', '-q', '-b', 'staging', 'HEAD~1']); // from before the merge
    await mregOk(['transition', 'churn', '1', 'Staging', '--author', ALICE], { cwd: dir });
    await git(dir, ['merge', '-q', '--no-ff', 'main', '-m', "Merge branch 'main' into staging"]);
    const merge2 = await git(dir, ['rev-parse', 'HEAD']);
    await mregOk(['describe', 'churn', '1', 'Candidate for the spring release', '--author', ALICE], { cwd: dir });
    await git(dir, ['checkout', '-q', 'main']);
    await git(dir, ['merge', '-q', '--ff-only', 'staging']);

    all = await history(dir);
    expect(summary(all).slice(0, 6)).toEqual([
      'Alice Doe: version_description_changed churn v1',
      "Alice Doe: (Merge branch 'main' into staging)",
      // What main had and the PR branch did not, under the commits that made it, through Alice's merge.
      'Rita Reviewer: (Merge pull request #1 from promote) via Alice Doe',
      'Alice Doe: version_tag_set fraud v2 via Alice Doe',
      'Alice Doe: stage_changed fraud v2 via Alice Doe',
      'Alice Doe: stage_changed churn v1',
    ]);
    expect(all[3]!.via!.commit).toBe(merge2);
    expect(all[3]!.commit).toBe(promote);

    // 3. A squash merge: the squash commit is the change (the branch's commits are not in main's history).
    await git(dir, ['checkout', '-q', '-b', 'archive']);
    await mregOk(['transition', 'fraud', '1', 'Archived', '--author', ALICE], { cwd: dir });
    await mregOk(['tag', 'fraud', '1', 'retired=yes', '--author', ALICE], { cwd: dir });
    await git(dir, ['checkout', '-q', 'main']);
    await git(dir, ['merge', '-q', '--squash', 'archive'], { who: REVIEWER });
    await git(dir, ['commit', '-q', '-m', 'Archive fraud v1 (#3)', '--author', ALICE], { who: REVIEWER });
    const squash = await git(dir, ['rev-parse', 'HEAD']);

    all = await history(dir);
    expect(all[0]).toMatchObject({
      commit: squash,
      parents: [await git(dir, ['rev-parse', 'HEAD~1'])],
      author: { name: 'Alice Doe', email: 'alice@example.com' },
      message: 'Archive fraud v1 (#3)',
      operations: [
        { op: 'stage_changed', name: 'fraud', version: 1, from: 'None', to: 'Archived' },
        { op: 'version_tag_set', name: 'fraud', version: 1, key: 'retired', after: 'yes' },
      ],
    });
    expect(all[0]!.via).toBeUndefined();

    // Events agree with history, commit for commit: the same commits made the changes, in the reverse order.
    const evs = await events(dir);
    const eventCommits = [...new Set(evs.map((e) => e.commit))];
    // (mreg init writes registry.yaml without policies: a history entry, and no event.)
    const changing = all.filter((e) => e.operations.some((op) => op.op !== 'registry_changed')).map((e) => e.commit);
    expect(eventCommits).toEqual([...changing].reverse());
    const promoted = evs.find((e) => e.type === 'model_version.stage_transitioned' && e.version === 2)!;
    expect(promoted.commit).toBe(promotion.commit);
    expect(promoted.author).toEqual({ name: 'Alice Doe', email: 'alice@example.com' });
    // Clean merges changed nothing themselves, so neither lists them as a change.
    expect(eventCommits).not.toContain(merge1);
    expect(eventCommits).not.toContain(merge2);
  });

  it("a merge's own changes (a conflict resolved by hand) are the merge's, under whoever merged", async () => {
    const dir = await tempDir('mreg-history-conflict-');
    await mregOk(['init', '--repo', dir]);
    await mregOk(['register', 'fraud', '--source', 's3://b/1', '--author', CI], { cwd: dir });
    await git(dir, ['checkout', '-q', '-b', 'pr']);
    await mregOk(['describe', 'fraud', '1', 'from the PR', '--author', ALICE], { cwd: dir });
    await git(dir, ['checkout', '-q', 'main']);
    await mregOk(['describe', 'fraud', '1', 'from main', '--author', CI], { cwd: dir });
    // Both changed the same fact: git stops with a conflict, and the reviewer writes a third text.
    await git(dir, ['merge', '-q', '--no-ff', 'pr', '-m', 'Merge pr'], { who: REVIEWER }).catch(() => undefined);
    await git(dir, ['checkout', '--ours', '--', 'models']);
    await mregOk(['describe', 'fraud', '1', 'agreed text', '--no-commit', '--author', CI], { cwd: dir });
    await git(dir, ['add', '-A']);
    await git(dir, ['commit', '-q', '--no-edit'], { who: REVIEWER });

    const all = await history(dir);
    expect(summary(all)).toEqual([
      'Rita Reviewer: version_description_changed fraud v1',
      'Alice Doe: version_description_changed fraud v1 via Rita Reviewer',
      'CI Bot: version_description_changed fraud v1',
      'CI Bot: model_created fraud',
      'CLI Tester: registry_changed',
    ]);
    expect(all[0]!.operations).toEqual([
      { op: 'version_description_changed', name: 'fraud', version: 1, after: 'agreed text' },
    ]);
    expect(all[0]!.parents).toHaveLength(2);
    // The same for the version's own history (a merge is looked into only when it touched the model).
    expect(summary(await history(dir, 'fraud', '1'))).toEqual(summary(all).slice(0, 4));
  });
});
