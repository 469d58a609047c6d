// `mreg migrate`: a format-1 registry (written by hand here, the one place tests write format 1) becomes
// format 2 in one commit with the same MLflow answers, and every other command refuses format 1 naming
// `mreg migrate` with exit 1 (a registry error).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mreg, mregOk } from '../helpers/cli.js';
import { expectCleanRepo, git, tempDir } from '../helpers/registry.js';
import { serveRepo } from '../helpers/daemon.js';

const FORMAT_1: Record<string, string> = {
  'registry.yaml': 'format_version: 1\nname: old registry\n',
  // v3 and v4 were deleted (latest_version 4); `gone` dangles at v3, as MLflow's REST delete can leave it.
  'models/fraud/model.yaml': [
    'name: fraud',
    'description: Card fraud.',
    'tags:',
    '  team: risk',
    'aliases:',
    '  zeta: 2',
    '  Champion: 1',
    '  gone: 3',
    'latest_version: 4',
    'created_at: 2026-01-01T00:00:00.000Z',
    'updated_at: 2026-01-09T00:00:00.000Z',
    '',
  ].join('\n'),
  'models/fraud/versions/1.yaml': version(1, 'Production'),
  'models/fraud/versions/2.yaml': version(2, 'Staging'),
  'models/^churn/model.yaml':
    'name: Churn\nlatest_version: 1\ncreated_at: 2026-01-01T00:00:00.000Z\nupdated_at: 2026-01-02T00:00:00.000Z\n',
  'models/^churn/versions/1.yaml': version(1, 'None'),
};

function version(n: number, stage: string): string {
  return `version: ${n}\nsource: s3://b/${n}\nstage: ${stage}\nstatus: READY\ncreated_at: 2026-01-0${n + 1}T00:00:00.000Z\nupdated_at: 2026-01-0${n + 1}T00:00:00.000Z\n`;
}

async function formatOneRegistry(): Promise<string> {
  const dir = await tempDir('mreg-migrate-');
  await git(dir, 'init', '-q', '-b', 'main');
  for (const [p, text] of Object.entries(FORMAT_1)) {
    await mkdir(path.dirname(path.join(dir, p)), { recursive: true });
    await writeFile(path.join(dir, p), text);
  }
  await git(dir, 'add', '-A');
  await git(dir, '-c', 'user.name=Old', '-c', 'user.email=old@example.com', 'commit', '-q', '-m', 'format 1');
  return dir;
}

describe('mreg migrate', () => {
  it('refuses every other command on format 1, naming mreg migrate (exit 1), and changes nothing', async () => {
    const dir = await formatOneRegistry();
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
    for (const args of [
      ['get', 'fraud'],
      ['versions', '--filter', "name = 'fraud'"],
      ['history', 'fraud'],
      ['diff', 'HEAD'],
      ['search'],
      ['resolve', 'models:/fraud/1'],
      ['register', 'fraud', '--source', 's3://b/5'],
      ['transition', 'fraud', '2', 'Production'],
      ['alias', 'fraud', 'x', '1'],
      ['validate'],
    ]) {
      const r = await mreg(args, { cwd: dir });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain("Run 'mreg migrate'");
    }
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(head);
    // The daemon does not serve it either.
    await expect(serveRepo(dir)).rejects.toThrow(/mreg migrate/);
  }, 180_000);

  it('rewrites format 1 as format 2 in one commit; MLflow answers stay the same; numbers stay unused', async () => {
    const dir = await formatOneRegistry();
    const before = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const r = await mregOk(['migrate', '--json'], { cwd: dir });
    expect(JSON.parse(r.stdout)).toMatchObject({
      from: 1,
      models: 2,
      aliases: 2,
      tombstones: 2,
      dropped: ['fraud@gone (v3)'],
    });
    expect((await git(dir, 'rev-parse', 'HEAD~1')).trim()).toBe(before);
    const changed = (await git(dir, 'diff', '--name-status', 'HEAD~1', 'HEAD')).trim().split('\n').sort();
    expect(changed).toEqual(
      [
        'A\tmodels/fraud/aliases/^champion.yaml',
        'A\tmodels/fraud/aliases/zeta.yaml',
        'A\tmodels/fraud/deleted/3.yaml',
        'A\tmodels/fraud/deleted/4.yaml',
        'M\tmodels/^churn/model.yaml',
        'M\tmodels/fraud/model.yaml',
        'M\tregistry.yaml',
      ].sort(),
    );
    expect(await readFile(path.join(dir, 'registry.yaml'), 'utf8')).toBe('format_version: 2\nname: old registry\n');
    expect(await readFile(path.join(dir, 'models/fraud/model.yaml'), 'utf8')).toBe(
      'name: fraud\ndescription: Card fraud.\ntags:\n  team: risk\ncreated_at: 2026-01-01T00:00:00.000Z\nupdated_at: 2026-01-09T00:00:00.000Z\n',
    );
    expect(await readFile(path.join(dir, 'models/fraud/deleted/4.yaml'), 'utf8')).toBe(
      'version: 4\ndeleted_at: 2026-01-09T00:00:00.000Z\n',
    );
    await expectCleanRepo(dir);
    await mregOk(['validate'], { cwd: dir });

    const got = JSON.parse((await mregOk(['get', 'fraud', '--json'], { cwd: dir })).stdout).registered_model;
    // format 1's updated_at, exactly; aliases in MLflow's order (sorted by name).
    expect(got.last_updated_timestamp).toBe(Date.parse('2026-01-09T00:00:00.000Z'));
    expect(got.aliases).toEqual([
      { alias: 'Champion', version: '1' },
      { alias: 'zeta', version: '2' },
    ]);
    const churn = JSON.parse((await mregOk(['get', 'Churn', '--json'], { cwd: dir })).stdout).registered_model;
    expect(churn.last_updated_timestamp).toBe(Date.parse('2026-01-02T00:00:00.000Z'));
    // latest_version 4 survives as tombstones: the next number is 5, not 3.
    const v = JSON.parse((await mregOk(['register', 'fraud', '--source', 's3://b/5', '--json'], { cwd: dir })).stdout);
    expect(v.model_version.version).toBe('5');
    // A second run has nothing to do.
    const again = await mregOk(['migrate'], { cwd: dir });
    expect(again.stdout).toContain('Already format 2');
    await expectCleanRepo(dir);
  }, 180_000);
});
