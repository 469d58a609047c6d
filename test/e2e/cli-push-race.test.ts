// The CI scenario of DESIGN: pipelines register versions of one model at the same time and push to the
// registry's remote (a real `git http-backend` on loopback). Every pipeline must win, with distinct numbers.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { startGitHttpServer } from '../helpers/git-http-server.js';
import { mreg, mregOk } from '../helpers/cli.js';
import { expectCleanRepo, git, tempDir } from '../helpers/registry.js';

const run = promisify(execFile);
const WRITERS = 4;
const PER_WRITER = 25;

describe('mreg register --push against a real smart-HTTP remote', () => {
  it(`${WRITERS} concurrent writer processes × ${PER_WRITER} registrations of one model: versions 1–${WRITERS * PER_WRITER}, each exactly once, nothing lost`, async () => {
    const root = await tempDir('mreg-race-');
    const served = path.join(root, 'served');
    const bare = path.join(served, 'registry.git');
    await mregOk(['init', '--bare', bare]);
    const server = await startGitHttpServer(served);
    try {
      const url = server.url('registry.git');
      const clones: string[] = [];
      for (let w = 0; w < WRITERS; w++) {
        const dir = path.join(root, `writer-${w}`);
        await run('git', ['clone', '-q', url, dir]);
        // Each fetch adds a pack; past gc.autoPackLimit native git would start a detached gc in the clone.
        await git(dir, 'config', 'gc.auto', '0');
        clones.push(dir);
      }
      const started = Date.now();
      const results: Array<{ writer: number; i: number; source: string; version: number; commit: string }> = [];
      const failures: string[] = [];
      // Each writer is a CI job running `mreg register … --push` once per model it trained, one after another.
      await Promise.all(
        clones.map(async (dir, w) => {
          for (let i = 0; i < PER_WRITER; i++) {
            const source = `s3://models/fraud/writer-${w}/run-${i}`;
            const r = await mreg(
              ['register', 'fraud', '--source', source, '--run-id', `w${w}r${i}`, '--push', '--json'],
              { cwd: dir, timeoutMs: 120_000 },
            );
            if (r.code !== 0) {
              failures.push(`writer ${w} run ${i}: exit ${r.code}: ${r.stderr}`);
              continue;
            }
            const v = JSON.parse(r.stdout).model_version;
            expect(v.source).toBe(source);
            results.push({ writer: w, i, source, version: Number(v.version), commit: '' });
          }
        }),
      );
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `push race: ${WRITERS}×${PER_WRITER} registrations in ${seconds.toFixed(1)} s (${((seconds * 1000) / (WRITERS * PER_WRITER)).toFixed(0)} ms each, ${server.requests.receivePack} receive-pack requests)`,
      );
      expect(failures).toEqual([]);

      // Every caller was told a distinct number, and together they are 1..100.
      const numbers = results.map((r) => r.version).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: WRITERS * PER_WRITER }, (_, i) => i + 1));

      // The remote holds exactly those versions, each with the source its caller registered.
      const files = (await git(bare, 'ls-tree', '--name-only', 'main', 'models/fraud/versions/')).trim().split('\n');
      expect(files.map((f) => Number(path.basename(f, '.yaml'))).sort((a, b) => a - b)).toEqual(numbers);
      for (const r of results) {
        const doc = YAML.parse(await git(bare, 'show', `main:models/fraud/versions/${r.version}.yaml`)) as {
          source: string;
          run_id: string;
        };
        expect(doc.source).toBe(r.source);
        expect(doc.run_id).toBe(`w${r.writer}r${r.i}`);
      }
      expect(files).toHaveLength(WRITERS * PER_WRITER);

      // One linear commit per registration on top of the first; nothing overwritten, the remote is sound.
      const log = (await git(bare, 'log', '--format=%P|%s', 'main')).trim().split('\n');
      expect(log).toHaveLength(WRITERS * PER_WRITER + 1);
      expect(log.every((l) => l.split('|')[0]!.split(' ').filter(Boolean).length <= 1)).toBe(true);
      expect(log.filter((l) => /\|fraud: (created; )?v\d+ registered$/.test(l))).toHaveLength(WRITERS * PER_WRITER);
      await git(bare, 'fsck', '--strict', '--no-progress');
      expect((await mregOk(['validate', '--ref', 'main', '--repo', bare])).stdout).toMatch(
        /^ok: commit [0-9a-f]{10}: 1 model, 100 versions;/,
      );

      // The writers' clones are clean and, after a pull, equal to the remote.
      for (const dir of clones) {
        await expectCleanRepo(dir);
        await git(dir, 'pull', '-q', '--ff-only');
        expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe((await git(bare, 'rev-parse', 'main')).trim());
      }
    } finally {
      await server.close();
    }
  }, 600_000);

  it('a write that cannot be pushed (diverged local branch) fails with one line and leaves no half state', async () => {
    const root = await tempDir('mreg-race-');
    const bare = path.join(root, 'served', 'registry.git');
    await mregOk(['init', '--bare', bare]);
    const server = await startGitHttpServer(path.join(root, 'served'));
    try {
      const a = path.join(root, 'a');
      const b = path.join(root, 'b');
      await run('git', ['clone', '-q', server.url('registry.git'), a]);
      await run('git', ['clone', '-q', server.url('registry.git'), b]);
      await mregOk(['register', 'm', '--source', 's3://m/1', '--push'], { cwd: a });
      await mregOk(['register', 'other', '--source', 's3://o/1'], { cwd: b }); // local only: b now diverges
      const before = (await git(b, 'rev-parse', 'HEAD')).trim();
      const r = await mreg(['register', 'm', '--source', 's3://m/2', '--push'], { cwd: b });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^mreg: RESOURCE_CONFLICT: .*diverged.*\n$/);
      expect((await git(b, 'rev-parse', 'HEAD')).trim()).toBe(before);
      await expectCleanRepo(b);
      // The plain push text says where it went.
      const ok = await mregOk(['register', 'm', '--source', 's3://m/3', '--push'], { cwd: a });
      expect(ok.stdout).toMatch(/^m: v2 registered \[[0-9a-f]{10}, pushed to origin\]\n$/);
    } finally {
      await server.close();
    }
  });
});
