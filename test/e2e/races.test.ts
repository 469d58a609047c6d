// Races: many writer processes at once, with mixed operations (registrations, stage transitions with
// archiving, aliases, tags), on one repository and through a remote. Every write must land, version
// numbers must be distinct, history linear and every commit message readable. (cli-push-race.test.ts
// covers registrations of one model through a remote; this extends it to every kind of write.)
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { startGitHttpServer } from '../helpers/git-http-server.js';
import { mreg, mregOk } from '../helpers/cli.js';
import { reportFigures } from '../helpers/figures.js';
import { expectCleanRepo, git, tempDir } from '../helpers/registry.js';

const run = promisify(execFile);

interface ModelYaml {
  tags?: Record<string, string>;
}

/** One writer's plan: op i of writer w, on model `models[w % models.length]`. */
function plan(w: number, i: number, model: string, mine: number[]): string[] | undefined {
  const last = mine[mine.length - 1];
  switch (last === undefined ? 0 : i % 4) {
    case 0:
      return ['register', model, '--source', `s3://${model}/w${w}/${i}`, '--run-id', `w${w}-${i}`];
    case 1:
      return ['transition', model, String(last), i % 8 === 1 ? 'Production' : 'Staging', '--archive-existing'];
    case 2:
      return ['alias', model, `writer-${w}`, String(last)];
    default:
      return ['tag', model, `writer-${w}=op-${i}`];
  }
}

/** Checks the branch `ref` of `dir` after the race: what every writer did is there, exactly once. */
async function checkOutcome(
  dir: string,
  ref: string,
  results: Array<{ w: number; i: number; args: string[]; stdout: string }>,
  models: string[],
): Promise<number> {
  await git(dir, 'fsck', '--strict', '--no-progress');
  expect((await mregOk(['validate', '--ref', ref, '--repo', dir])).stdout).toMatch(/^ok: commit [0-9a-f]{10}: /);
  // Linear history, one commit per write, each message one readable line about its model.
  expect((await git(dir, 'rev-list', '--merges', ref)).trim()).toBe('');
  const subjects = (await git(dir, 'log', '--format=%s', ref)).trim().split('\n');
  expect(subjects.pop()).toBe('registry: initialised');
  expect(subjects).toHaveLength(results.filter((r) => /\[[0-9a-f]{10}[,\]]/.test(r.stdout)).length);
  const readable = new RegExp(
    `^(${models.join('|')}): (created; v1 registered|v\\d+ registered|v\\d+ \\w+ → \\w+(; archived v\\d+(, v\\d+)*)?|alias writer-\\d+ → v\\d+( \\(was v\\d+\\))?|tag writer-\\d+ set)$`,
  );
  expect(subjects.filter((s) => !readable.test(s))).toEqual([]);
  for (const model of models) {
    const doc = YAML.parse(await git(dir, 'show', `${ref}:models/${model}/model.yaml`)) as ModelYaml;
    const mine = results.filter((r) => r.args[1] === model);
    // Registrations: distinct numbers 1..N, each holding the run its caller registered.
    const regs = mine
      .filter((r) => r.args[0] === 'register')
      .map((r) => ({ run: r.args[5]!, v: Number(/v(\d+) registered/.exec(r.stdout)![1]) }));
    expect(regs.map((r) => r.v).sort((a, b) => a - b)).toEqual(Array.from({ length: regs.length }, (_, k) => k + 1));
    const latest = (await git(dir, 'ls-tree', '--name-only', ref, `models/${model}/versions/`))
      .trim()
      .split('\n').length;
    expect(latest).toBe(regs.length);
    for (const r of regs)
      expect(
        (YAML.parse(await git(dir, 'show', `${ref}:models/${model}/versions/${r.v}.yaml`)) as { run_id: string })
          .run_id,
      ).toBe(r.run);
    // Each writer's alias and tag hold the last value that writer set (nobody else writes them).
    for (const w of new Set(mine.map((r) => r.w))) {
      const lastAlias = mine.filter((r) => r.w === w && r.args[0] === 'alias').pop();
      if (lastAlias)
        expect(
          (YAML.parse(await git(dir, 'show', `${ref}:models/${model}/aliases/writer-${w}.yaml`)) as { version: number })
            .version,
        ).toBe(Number(lastAlias.args[3]));
      const lastTag = mine.filter((r) => r.w === w && r.args[0] === 'tag').pop();
      if (lastTag) expect(doc.tags?.[`writer-${w}`]).toBe(lastTag.args[2]!.split('=')[1]);
    }
    // Every transition archived the others: at most one version per active stage.
    const stages: string[] = [];
    for (let v = 1; v <= latest; v++)
      stages.push(
        (YAML.parse(await git(dir, 'show', `${ref}:models/${model}/versions/${v}.yaml`)) as { stage: string }).stage,
      );
    expect(stages.filter((s) => s === 'Production').length).toBeLessThanOrEqual(1);
    expect(stages.filter((s) => s === 'Staging').length).toBeLessThanOrEqual(1);
  }
  return subjects.length;
}

describe('races', () => {
  it('8 local writer processes × 15 mixed writes on one repository: every write lands once, in a linear history', async () => {
    const dir = await tempDir('mreg-races-');
    await mregOk(['init', '--repo', dir]);
    const WRITERS = 8;
    const OPS = 15;
    const models = ['fraud', 'churn'];
    const results: Array<{ w: number; i: number; args: string[]; stdout: string }> = [];
    const failures: string[] = [];
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        const model = models[w % models.length]!;
        const mine: number[] = [];
        for (let i = 0; i < OPS; i++) {
          const args = plan(w, i, model, mine)!;
          const r = await mreg([...args, '--repo', dir], { timeoutMs: 120_000 });
          if (r.code !== 0) {
            failures.push(`writer ${w} op ${i} (${args.join(' ')}): exit ${r.code}: ${r.stderr}`);
            continue;
          }
          if (args[0] === 'register') mine.push(Number(/v(\d+) registered/.exec(r.stdout)![1]));
          results.push({ w, i, args, stdout: r.stdout });
        }
      }),
    );
    expect(failures).toEqual([]);
    const commits = await checkOutcome(dir, 'main', results, models);
    await expectCleanRepo(dir);
    reportFigures('race-local', {
      writers: WRITERS,
      writes: WRITERS * OPS,
      commits,
      failed: failures.length,
      seconds: Math.round((Date.now() - t0) / 1000),
    });
  }, 400_000);

  it('4 clones × 8 mixed writes with --push through git http-backend: every write lands once, in a linear history', async () => {
    const root = await tempDir('mreg-races-');
    const served = path.join(root, 'served');
    const bare = path.join(served, 'registry.git');
    await mregOk(['init', '--bare', bare]);
    const server = await startGitHttpServer(served);
    try {
      const WRITERS = 4;
      const OPS = 8;
      const models = ['fraud', 'churn'];
      const clones: string[] = [];
      for (let w = 0; w < WRITERS; w++) {
        const dir = path.join(root, `writer-${w}`);
        await run('git', ['clone', '-q', server.url('registry.git'), dir]);
        clones.push(dir);
      }
      const results: Array<{ w: number; i: number; args: string[]; stdout: string }> = [];
      const failures: string[] = [];
      const t0 = Date.now();
      await Promise.all(
        clones.map(async (dir, w) => {
          const model = models[w % models.length]!;
          const mine: number[] = [];
          for (let i = 0; i < OPS; i++) {
            const args = plan(w, i, model, mine)!;
            const r = await mreg([...args, '--push'], { cwd: dir, timeoutMs: 120_000 });
            if (r.code !== 0) {
              failures.push(`writer ${w} op ${i} (${args.join(' ')}): exit ${r.code}: ${r.stderr}`);
              continue;
            }
            expect(r.stdout).toMatch(/, pushed to origin\]\n$/);
            if (args[0] === 'register') mine.push(Number(/v(\d+) registered/.exec(r.stdout)![1]));
            results.push({ w, i, args, stdout: r.stdout });
          }
        }),
      );
      expect(failures).toEqual([]);
      const commits = await checkOutcome(bare, 'main', results, models);
      for (const dir of clones) {
        await expectCleanRepo(dir);
        await git(dir, 'pull', '-q', '--ff-only');
        expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe((await git(bare, 'rev-parse', 'main')).trim());
      }
      reportFigures('race-remote', {
        writers: WRITERS,
        writes: WRITERS * OPS,
        commits,
        failed: failures.length,
        receive_pack_requests: server.requests.receivePack,
        seconds: Math.round((Date.now() - t0) / 1000),
      });
    } finally {
      await server.close();
    }
  }, 400_000);
});
