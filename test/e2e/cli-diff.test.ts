// mreg diff: a branch's changes as registry operations (text, Markdown, JSON), computed from the merge base;
// and a hand edit of the YAML gives exactly the diff of the equivalent mreg command.
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { mreg, mregOk } from '../helpers/cli.js';
import { git, tempDir } from '../helpers/registry.js';

async function commitAll(dir: string, message: string): Promise<void> {
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', message);
}

/** A registry with fraud (v1 Production @champion, v2 Staging, tags, description) and churn (v1). */
async function base(): Promise<string> {
  const dir = await tempDir('mreg-diff-');
  await mregOk(['init', '--repo', dir]);
  await mregOk(['create', 'fraud', '--description', 'Card fraud', '--tag', 'team=risk'], { cwd: dir });
  await mregOk(['register', 'fraud', '--source', 's3://b/fraud/1', '--tag', 'auc=0.93'], { cwd: dir });
  await mregOk(['register', 'fraud', '--source', 's3://b/fraud/2'], { cwd: dir });
  await mregOk(['transition', 'fraud', '1', 'Production'], { cwd: dir });
  await mregOk(['transition', 'fraud', '2', 'Staging'], { cwd: dir });
  await mregOk(['alias', 'fraud', 'champion', '1'], { cwd: dir });
  await mregOk(['register', 'churn', '--source', 's3://b/churn/1'], { cwd: dir });
  return dir;
}

describe('mreg diff', () => {
  it('text, Markdown and JSON for what a branch changes', async () => {
    const dir = await base();
    await git(dir, 'checkout', '-q', '-b', 'promote');
    await mregOk(['transition', 'fraud', '2', 'Production', '--archive-existing'], { cwd: dir });
    await mregOk(['alias', 'fraud', 'champion', '2'], { cwd: dir });
    await mregOk(['tag', 'fraud', 'team=fraud-ops'], { cwd: dir });
    await mregOk(['describe', 'fraud', '2', 'Retrained | with <b>care</b>'], { cwd: dir });
    await mregOk(['register', 'Fraud.EU', '--source', 's3://b/eu/1'], { cwd: dir });
    await mregOk(['rename', 'churn', 'churn-v2'], { cwd: dir });
    await mregOk(['delete', 'fraud', '1'], { cwd: dir });

    const text = await mregOk(['diff', 'main', 'promote'], { cwd: dir });
    expect(text.stdout).toBe(
      [
        'Fraud.EU: model created',
        'Fraud.EU v1: registered from s3://b/eu/1',
        'churn: renamed to churn-v2',
        'fraud: tag team = "fraud-ops" (was "risk")',
        'fraud v1: deleted',
        'fraud v2: Staging → Production',
        'fraud v2: description set: "Retrained | with <b>care</b>"',
        'fraud: alias @champion → v2 (was v1)',
        '',
      ].join('\n'),
    );
    expect(text.stderr).toBe('');

    const md = (await mregOk(['diff', 'main', 'promote', '--format', 'markdown'], { cwd: dir })).stdout;
    expect(md).toContain('<!-- mreg-diff -->\n### Registry changes\n');
    expect(md).toMatch(/\*\*8 changes\*\* to 3 models \(`[0-9a-f]{10}`…`[0-9a-f]{10}`\) — \*\*1 Production change\*\*/);
    expect(md).toContain('**fraud**\n- tag team = "fraud-ops" (was "risk")');
    expect(md).toContain('- v2: Staging → Production 🚀');
    // Names and descriptions cannot inject Markdown or HTML into the comment.
    expect(md).toContain('- v2: description set: "Retrained \\| with \\<b\\>care\\</b\\>"');
    expect(md).toContain('**churn-v2**\n- churn: renamed to churn-v2');

    const json = JSON.parse((await mregOk(['diff', 'main', 'promote', '--json'], { cwd: dir })).stdout);
    expect(json.base).toBe((await git(dir, 'rev-parse', 'main')).trim());
    expect(json.head).toBe((await git(dir, 'rev-parse', 'promote')).trim());
    expect(json.operations).toContainEqual({
      op: 'stage_changed',
      name: 'fraud',
      version: 2,
      from: 'Staging',
      to: 'Production',
    });
    expect(json.operations).toContainEqual({ op: 'model_renamed', name: 'churn-v2', from: 'churn', to: 'churn-v2' });
    expect(json.operations).toContainEqual({ op: 'alias_set', name: 'fraud', alias: 'champion', before: 1, after: 2 });
    expect(JSON.parse((await mregOk(['diff', 'main', 'promote', '--format', 'json'], { cwd: dir })).stdout)).toEqual(
      json,
    );
  });

  it('is computed from the merge base: what main did since the branch forked is not in the branch diff', async () => {
    const dir = await base();
    await git(dir, 'checkout', '-q', '-b', 'feature');
    await mregOk(['tag', 'churn', 'team=growth'], { cwd: dir });
    await git(dir, 'checkout', '-q', 'main');
    await mregOk(['register', 'fraud', '--source', 's3://b/fraud/3'], { cwd: dir });
    expect((await mregOk(['diff', 'main', 'feature'], { cwd: dir })).stdout).toBe('churn: tag team = "growth"\n');
    expect((await mregOk(['diff', 'feature', 'main'], { cwd: dir })).stdout).toBe(
      'fraud v3: registered from s3://b/fraud/3\n',
    );
    expect((await mregOk(['diff', 'main', 'main'], { cwd: dir })).stdout).toBe('No registry changes.\n');
    expect((await mregOk(['diff', 'main', 'main', '--format', 'markdown'], { cwd: dir })).stdout).toMatch(
      /No registry changes \(/,
    );
    expect(JSON.parse((await mregOk(['diff', 'main', 'main', '--json'], { cwd: dir })).stdout).operations).toEqual([]);
  });

  it('without HEAD it compares with the working tree (uncommitted --no-commit edits included)', async () => {
    const dir = await base();
    await mregOk(['transition', 'fraud', '2', 'Archived', '--no-commit'], { cwd: dir });
    expect((await mregOk(['diff', 'HEAD'], { cwd: dir })).stdout).toBe('fraud v2: Staging → Archived\n');
    expect((await mregOk(['diff', 'HEAD', 'HEAD'], { cwd: dir })).stdout).toBe('No registry changes.\n');
  });

  it('a bad ref is a registry error; a missing BASE is a usage error', async () => {
    const dir = await base();
    const bad = await mreg(['diff', 'nope'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mreg: [A-Z_]+: .*nope.*\n$/);
    expect((await mreg(['diff'], { cwd: dir })).code).toBe(2);
  });
});

type Doc = Record<string, unknown>;
const yamlOf = async (dir: string, file: string): Promise<Doc> =>
  YAML.parse(await readFile(path.join(dir, file), 'utf8')) as Doc;
const writeYaml = async (dir: string, file: string, doc: Doc) => {
  await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
  await writeFile(path.join(dir, file), YAML.stringify(doc));
};
async function editYaml(dir: string, file: string, fn: (d: Doc) => void): Promise<void> {
  const d = await yamlOf(dir, file);
  fn(d);
  await writeYaml(dir, file, d);
}
const M = 'models/fraud/model.yaml';
const V = (n: number) => `models/fraud/versions/${n}.yaml`;
const NOW = '2027-01-01T00:00:00.000Z';

/** What a person would do in an editor (or a shell) for each command. */
const EQUIVALENTS: Array<[string, string[], (dir: string) => Promise<void>]> = [
  ['transition', ['transition', 'fraud', '2', 'Production'], (d) => editYaml(d, V(2), (v) => (v.stage = 'Production'))],
  [
    'transition --archive-existing',
    ['transition', 'fraud', '2', 'Production', '--archive-existing'],
    async (d) => {
      await editYaml(d, V(2), (v) => (v.stage = 'Production'));
      await editYaml(d, V(1), (v) => (v.stage = 'Archived'));
    },
  ],
  [
    'alias move',
    ['alias', 'fraud', 'champion', '2'],
    (d) => editYaml(d, 'models/fraud/aliases/champion.yaml', (a) => (a.version = 2)),
  ],
  [
    'alias set',
    ['alias', 'fraud', 'challenger', '2'],
    (d) => writeYaml(d, 'models/fraud/aliases/challenger.yaml', { alias: 'challenger', version: 2 }),
  ],
  [
    'alias delete',
    ['alias', 'fraud', 'champion', '--delete'],
    (d) => rm(path.join(d, 'models/fraud/aliases/champion.yaml')),
  ],
  ['model tag', ['tag', 'fraud', 'tier=1'], (d) => editYaml(d, M, (m) => ((m.tags as Doc).tier = '1'))],
  ['model tag change', ['tag', 'fraud', 'team=ops'], (d) => editYaml(d, M, (m) => ((m.tags as Doc).team = 'ops'))],
  ['model tag delete', ['tag', 'fraud', '--delete', 'team'], (d) => editYaml(d, M, (m) => delete m.tags)],
  [
    'version tag',
    ['tag', 'fraud', '1', 'validated=yes'],
    (d) => editYaml(d, V(1), (v) => ((v.tags as Doc).validated = 'yes')),
  ],
  ['version tag delete', ['tag', 'fraud', '1', '--delete', 'auc'], (d) => editYaml(d, V(1), (v) => delete v.tags)],
  [
    'model description',
    ['describe', 'fraud', '# Fraud\n\nNew text'],
    (d) => editYaml(d, M, (m) => (m.description = '# Fraud\n\nNew text')),
  ],
  [
    'version description',
    ['describe', 'fraud', '2', 'Better'],
    (d) => editYaml(d, V(2), (v) => (v.description = 'Better')),
  ],
  [
    'register',
    ['register', 'fraud', '--source', 's3://b/fraud/3', '--run-id', 'r3'],
    async (d) => {
      await writeYaml(d, V(3), {
        version: 3,
        source: 's3://b/fraud/3',
        run_id: 'r3',
        stage: 'None',
        status: 'READY',
        created_at: NOW,
        updated_at: NOW,
      });
    },
  ],
  [
    'delete version',
    ['delete', 'fraud', '2'],
    async (d) => {
      await rm(path.join(d, V(2)));
      await writeYaml(d, 'models/fraud/deleted/2.yaml', { version: 2, deleted_at: NOW });
    },
  ],
  [
    'create',
    ['create', 'new-model', '--tag', 'a=b'],
    (d) =>
      writeYaml(d, 'models/new-model/model.yaml', {
        name: 'new-model',
        tags: { a: 'b' },
        created_at: NOW,
        updated_at: NOW,
      }),
  ],
  ['delete model', ['delete', 'churn'], (d) => rm(path.join(d, 'models/churn'), { recursive: true })],
  [
    'rename',
    ['rename', 'churn', 'retention'],
    async (d) => {
      await rename(path.join(d, 'models/churn'), path.join(d, 'models/retention'));
      await editYaml(d, 'models/retention/model.yaml', (m) => (m.name = 'retention'));
    },
  ],
];

describe('a hand edit and the equivalent command give the same diff', () => {
  it.each(EQUIVALENTS)('%s', async (_label, args, handEdit) => {
    const dir = await base();
    const byHand = path.join(dir, '..', path.basename(dir) + '-hand');
    await cp(dir, byHand, { recursive: true });
    const cmdRun = await mregOk(args, { cwd: dir });
    expect(cmdRun.stdout).toMatch(/\[[0-9a-f]{10}\]\n$/);
    await handEdit(byHand);
    await commitAll(byHand, 'hand edit');
    // The hand edit is valid, as the command's commit is.
    expect((await mregOk(['validate', '--ref', 'HEAD'], { cwd: byHand })).stdout).toMatch(/^ok: /);
    const viaCommand = JSON.parse((await mregOk(['diff', 'HEAD~1', 'HEAD', '--json'], { cwd: dir })).stdout).operations;
    const viaHand = JSON.parse((await mregOk(['diff', 'HEAD~1', 'HEAD', '--json'], { cwd: byHand })).stdout).operations;
    expect(viaCommand.length).toBeGreaterThan(0);
    expect(viaHand).toEqual(viaCommand);
    const markdown = async (d: string) =>
      (await mregOk(['diff', 'HEAD~1', 'HEAD', '--format', 'markdown'], { cwd: d })).stdout.replace(
        /`[0-9a-f]{10}`…`[0-9a-f]{10}`/,
        'RANGE',
      );
    expect(await markdown(byHand)).toBe(await markdown(dir));
    await rm(byHand, { recursive: true, force: true });
  });
});
