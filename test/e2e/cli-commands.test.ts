// Every DESIGN command through the built CLI: stdout, stderr, exit codes, --json shapes and the commits made.
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cliEnv, mreg, mregOk, ROOT } from '../helpers/cli.js';
import { expectCleanRepo, git, tempDir } from '../helpers/registry.js';

const RESPONSES = path.resolve(ROOT, 'test/fixtures/mlflow-responses');

async function newRegistry(): Promise<string> {
  const dir = await tempDir('mreg-cli-');
  await mregOk(['init', '--repo', dir]);
  return dir;
}

/** The keys of a JSON value and their types, recursively (arrays by their first element). */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .map(([k, x]) => [k, shape(x)])
        .sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)),
    );
  return typeof v;
}

async function mlflowResponse(file: string): Promise<unknown> {
  return JSON.parse(await readFile(path.join(RESPONSES, file), 'utf8'));
}

const ANSI = /\x1b\[/;

describe('mreg init', () => {
  it('makes a git repository with registry.yaml in its first commit', async () => {
    const dir = await tempDir('mreg-cli-');
    const r = await mregOk(['init', '--repo', dir]);
    expect(r.stdout).toMatch(/^Initialised an empty registry in .* \(branch main\) \[[0-9a-f]{10}\]\n$/);
    expect(r.stderr).toBe('');
    expect((await git(dir, 'log', '--format=%s|%an')).trim()).toBe('registry: initialised|CLI Tester');
    expect(await readFile(path.join(dir, 'registry.yaml'), 'utf8')).toContain('format_version: 2');
    await expectCleanRepo(dir);
    const again = await mreg(['init', '--repo', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^mreg: RESOURCE_ALREADY_EXISTS: .*already holds a registry.*\n$/);
    expect(again.stdout).toBe('');
  });

  it('finds the repository through MREG_REPO, and --repo wins over it', async () => {
    const a = await newRegistry();
    const b = await newRegistry();
    await mregOk(['create', 'only-in-a'], { env: { MREG_REPO: a } });
    expect((await mreg(['get', 'only-in-a'], { env: { MREG_REPO: a } })).code).toBe(0);
    const viaFlag = await mreg(['get', 'only-in-a', '--repo', b], { env: { MREG_REPO: a } });
    expect(viaFlag.code).toBe(1);
    expect(viaFlag.stderr).toBe('mreg: RESOURCE_DOES_NOT_EXIST: Registered Model with name=only-in-a not found\n');
    // …and the current directory when neither is given.
    expect((await mreg(['get', 'only-in-a'], { cwd: a })).code).toBe(0);
  });
});

describe('writes: one commit each, readable messages, MLflow JSON', () => {
  it('create, register, transition, alias, tag, describe, rename, delete', async () => {
    const dir = await newRegistry();
    const created = await mregOk(
      ['create', 'fraud', '--description', 'Card **fraud** scorer', '--tag', 'team=risk', '--tag', 'tier=1', '--json'],
      { cwd: dir },
    );
    const model = JSON.parse(created.stdout);
    expect(shape(model)).toEqual(
      shape({
        registered_model: {
          name: '',
          creation_timestamp: 0,
          last_updated_timestamp: 0,
          description: '',
          tags: [{ key: '', value: '' }],
        },
      }),
    );
    expect(model.registered_model.tags).toEqual([
      { key: 'team', value: 'risk' },
      { key: 'tier', value: '1' },
    ]);

    const reg = await mregOk(
      [
        'register',
        'fraud',
        '--source',
        's3://b/fraud/1',
        '--run-id',
        'r1',
        '--digest',
        `sha256:${'a'.repeat(64)}`,
        '--json',
      ],
      { cwd: dir },
    );
    const v1 = JSON.parse(reg.stdout).model_version;
    expect(v1).toMatchObject({
      name: 'fraud',
      version: '1',
      current_stage: 'None',
      source: 's3://b/fraud/1',
      run_id: 'r1',
      status: 'READY',
      run_link: '',
      description: '',
    });
    const mlflowVersion = (
      (await mlflowResponse('model-versions-create.json')) as { model_version: Record<string, unknown> }
    ).model_version;
    // MLflow's keys, then mreg's lineage keys for machines (issue 10).
    expect(Object.keys(v1).sort()).toEqual(
      Object.keys(mlflowVersion)
        .filter((k) => k !== 'tags' && k !== 'aliases')
        .concat('digest', 'code_commit', 'dataset', 'user_id')
        .sort(),
    );

    const text = await mregOk(['register', 'fraud', '--source', 's3://b/fraud/2'], { cwd: dir });
    expect(text.stdout).toMatch(/^fraud: v2 registered \[[0-9a-f]{10}\]\n$/);
    expect(text.stderr).toBe('');
    expect((await mregOk(['transition', 'fraud', '1', 'staging'], { cwd: dir })).stdout).toMatch(
      /^fraud: v1 None → Staging \[/,
    );
    expect((await mregOk(['transition', 'fraud', '2', 'Staging'], { cwd: dir })).stdout).toMatch(
      /^fraud: v2 None → Staging \[/,
    );
    const promoted = await mregOk(['transition', 'fraud', '2', 'PRODUCTION', '--archive-existing', '--json'], {
      cwd: dir,
    });
    expect(JSON.parse(promoted.stdout).model_version).toMatchObject({ version: '2', current_stage: 'Production' });
    expect(
      (await mregOk(['transition', 'fraud', '1', 'production', '--archive-existing'], { cwd: dir })).stdout,
    ).toMatch(/^fraud: v1 Staging → Production; archived v2 \[/);
    expect((await mregOk(['alias', 'fraud', 'champion', '1'], { cwd: dir })).stdout).toMatch(
      /^fraud: alias champion → v1 \[/,
    );
    expect((await mregOk(['alias', 'fraud', 'champion', '1', '--json'], { cwd: dir })).stdout).toBe('{}\n');
    await mregOk(['tag', 'fraud', 'owner=alice'], { cwd: dir });
    await mregOk(['tag', 'fraud', '1', 'validated=true'], { cwd: dir });
    await mregOk(['tag', 'fraud', '1', 'note=a=b'], { cwd: dir });
    await mregOk(['tag', 'fraud', '1', '--delete', 'note'], { cwd: dir });
    await mregOk(['describe', 'fraud', '1', 'Retrained on *March* data'], { cwd: dir });
    await mregOk(['describe', 'fraud', 'New model description'], { cwd: dir });

    const got = JSON.parse((await mregOk(['get', 'fraud', '--json'], { cwd: dir })).stdout).registered_model;
    expect(got).toMatchObject({
      name: 'fraud',
      description: 'New model description',
      aliases: [{ alias: 'champion', version: '1' }],
    });
    expect(got.tags).toEqual([
      { key: 'team', value: 'risk' },
      { key: 'tier', value: '1' },
      { key: 'owner', value: 'alice' },
    ]);
    expect(
      got.latest_versions
        .map((v: { version: string; current_stage: string }) => `${v.version}:${v.current_stage}`)
        .sort(),
    ).toEqual(['1:Production', '2:Archived']);
    const mlflowModel = ((await mlflowResponse('registered-models-get.json')) as { registered_model: unknown })
      .registered_model;
    expect(Object.keys(got).sort()).toEqual(Object.keys(mlflowModel as object).sort());

    const gotV = JSON.parse((await mregOk(['get', 'fraud', '1', '--json'], { cwd: dir })).stdout).model_version;
    expect(gotV).toMatchObject({
      version: '1',
      current_stage: 'Production',
      description: 'Retrained on *March* data',
      tags: [{ key: 'validated', value: 'true' }],
      aliases: ['champion'],
    });

    const vText = (await mregOk(['get', 'fraud', '1'], { cwd: dir })).stdout;
    expect(vText).toContain('fraud v1\n');
    expect(vText).toMatch(/stage: +Production/);
    expect(vText).toMatch(/digest: +sha256:a{64}/);
    expect(vText).not.toMatch(ANSI);

    const renamed = await mregOk(['rename', 'fraud', 'fraud-detector', '--json'], { cwd: dir });
    expect(JSON.parse(renamed.stdout).registered_model.name).toBe('fraud-detector');
    expect((await mregOk(['delete', 'fraud-detector', '2'], { cwd: dir })).stdout).toMatch(
      /^fraud-detector: v2 deleted \[/,
    );
    await mregOk(['create', 'scratch'], { cwd: dir });
    expect((await mregOk(['delete', 'scratch', '--json'], { cwd: dir })).stdout).toBe('{}\n');

    const log = (await git(dir, 'log', '--format=%s|%an|%ae')).trim().split('\n');
    expect(log).toEqual([
      'scratch: deleted|CLI Tester|cli@example.com',
      'scratch: created|CLI Tester|cli@example.com',
      'fraud-detector: v2 deleted|CLI Tester|cli@example.com',
      'fraud: renamed to fraud-detector|CLI Tester|cli@example.com',
      'fraud: description updated|CLI Tester|cli@example.com',
      'fraud: v1 description updated|CLI Tester|cli@example.com',
      'fraud: v1 tag note deleted|CLI Tester|cli@example.com',
      'fraud: v1 tag note set|CLI Tester|cli@example.com',
      'fraud: v1 tag validated set|CLI Tester|cli@example.com',
      'fraud: tag owner set|CLI Tester|cli@example.com',
      'fraud: alias champion → v1|CLI Tester|cli@example.com',
      'fraud: v1 Staging → Production; archived v2|CLI Tester|cli@example.com',
      'fraud: v2 Staging → Production|CLI Tester|cli@example.com',
      'fraud: v2 None → Staging|CLI Tester|cli@example.com',
      'fraud: v1 None → Staging|CLI Tester|cli@example.com',
      'fraud: v2 registered|CLI Tester|cli@example.com',
      'fraud: v1 registered|CLI Tester|cli@example.com',
      'fraud: created|CLI Tester|cli@example.com',
      'registry: initialised|CLI Tester|cli@example.com',
    ]);
    await expectCleanRepo(dir);
  }, 120_000);

  it('register creates the model when it does not exist, in one commit; --author overrides the author', async () => {
    const dir = await newRegistry();
    const r = await mregOk(
      ['register', 'new-model', '--source', 's3://b/n/1', '--author', 'Pipeline Bot <bot@ci.example>'],
      { cwd: dir },
    );
    expect(r.stdout).toMatch(/^new-model: created; v1 registered \[/);
    expect((await git(dir, 'log', '-1', '--format=%s|%an|%ae')).trim()).toBe(
      'new-model: created; v1 registered|Pipeline Bot|bot@ci.example',
    );
    expect(await readFile(path.join(dir, 'models/new-model/versions/1.yaml'), 'utf8')).toContain(
      'user_id: Pipeline Bot',
    );
    await expectCleanRepo(dir);
  });

  it('descriptions: Markdown from a file or stdin, text after --, values kept as text', async () => {
    const dir = await newRegistry();
    await writeFile(path.join(dir, '..', `${path.basename(dir)}.md`), '# Fraud\n\n- scores cards\n');
    await mregOk(['create', 'fraud', '--description-file', path.join(dir, '..', `${path.basename(dir)}.md`)], {
      cwd: dir,
    });
    const get = async (...v: string[]) => {
      const j = JSON.parse((await mregOk(['get', 'fraud', ...v, '--json'], { cwd: dir })).stdout);
      return (j.registered_model ?? j.model_version).description;
    };
    expect(await get()).toBe('# Fraud\n\n- scores cards\n');
    await mregOk(['register', 'fraud', '--source', 's3://b/1'], { cwd: dir });
    await mregOk(['describe', 'fraud', '1', '--file', '-'], { cwd: dir, input: 'From **stdin**\n' });
    expect(await get('1')).toBe('From **stdin**\n');
    await mregOk(['describe', 'fraud', '1', '--', '- starts with a dash'], { cwd: dir });
    expect(await get('1')).toBe('- starts with a dash');
    await mregOk(['describe', 'fraud', '1e3'], { cwd: dir });
    expect(await get()).toBe('1e3');
    await mregOk(['describe', 'fraud', ''], { cwd: dir });
    expect(await get()).toBeUndefined();
    expect((await mreg(['describe', 'fraud', '1', '2', '3'], { cwd: dir })).code).toBe(2);
  });

  it('a no-op write makes no commit and says so', async () => {
    const dir = await newRegistry();
    await mregOk(['create', 'm', '--tag', 'a=1'], { cwd: dir });
    const before = (await git(dir, 'rev-parse', 'HEAD')).trim();
    expect((await mregOk(['tag', 'm', 'a=1'], { cwd: dir })).stdout).toBe('m: tag a already has that value\n');
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(before);
  });
});

describe('reads', () => {
  it('search and versions: MLflow filters, tables without colour when piped, --json, paging', async () => {
    const dir = await newRegistry();
    for (const name of ['fraud', 'fraud-eu', 'churn'])
      await mregOk(['register', name, '--source', `s3://b/${name}/1`, '--run-id', `run-${name}`], { cwd: dir });
    await mregOk(['tag', 'churn', 'team=growth'], { cwd: dir });
    const s = await mregOk(['search', '--filter', "name LIKE 'fraud%'"], { cwd: dir });
    expect(s.stdout.split('\n')[0]).toMatch(/^NAME +LATEST VERSIONS +ALIASES +UPDATED$/);
    expect(s.stdout).toMatch(/^fraud +v1 None/m);
    expect(s.stdout).toMatch(/^fraud-eu +v1 None/m);
    expect(s.stdout).not.toContain('churn');
    expect(s.stdout).not.toMatch(ANSI);
    const tagged = JSON.parse(
      (await mregOk(['search', '--filter', "tags.team = 'growth'", '--json'], { cwd: dir })).stdout,
    );
    expect(tagged.registered_models.map((m: { name: string }) => m.name)).toEqual(['churn']);
    const page1 = JSON.parse(
      (await mregOk(['search', '--max-results', '2', '--order-by', 'name ASC', '--json'], { cwd: dir })).stdout,
    );
    expect(page1.registered_models.map((m: { name: string }) => m.name)).toEqual(['churn', 'fraud']);
    const page2 = JSON.parse(
      (
        await mregOk(
          ['search', '--max-results', '2', '--order-by', 'name ASC', '--page-token', page1.next_page_token, '--json'],
          { cwd: dir },
        )
      ).stdout,
    );
    expect(page2.registered_models.map((m: { name: string }) => m.name)).toEqual(['fraud-eu']);
    expect(page2.next_page_token).toBeUndefined();
    const textPage = await mregOk(['search', '--max-results', '2'], { cwd: dir });
    expect(textPage.stderr).toMatch(/^More results: --page-token \S+\n$/);
    expect(JSON.parse((await mregOk(['search', '--filter', "name = 'nope'", '--json'], { cwd: dir })).stdout)).toEqual(
      {},
    );

    const v = JSON.parse(
      (await mregOk(['versions', '--filter', "run_id = 'run-churn'", '--json'], { cwd: dir })).stdout,
    );
    expect(v.model_versions.map((x: { name: string; version: string }) => `${x.name}/${x.version}`)).toEqual([
      'churn/1',
    ]);
    expect(v.model_versions[0].aliases).toBeUndefined();
    const vt = await mregOk(['versions', '--filter', "name = 'fraud'"], { cwd: dir });
    expect(vt.stdout).toMatch(
      /^NAME +VERSION +STAGE +SOURCE +RUN ID +UPDATED\nfraud +1 +None +s3:\/\/b\/fraud\/1 +run-fraud +\d{4}-/,
    );
    const bad = await mreg(['search', '--filter', 'name ~ 1'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^mreg: INVALID_PARAMETER_VALUE: .+\n$/);
  });

  it('resolve: versions, stages, latest and aliases, as text and JSON', async () => {
    const dir = await newRegistry();
    await mregOk(['register', 'fraud', '--source', 's3://b/fraud/1'], { cwd: dir });
    await mregOk(['register', 'fraud', '--source', 's3://b/fraud/2'], { cwd: dir });
    await mregOk(['transition', 'fraud', '1', 'Production'], { cwd: dir });
    await mregOk(['alias', 'fraud', 'champion', '1'], { cwd: dir });
    expect((await mregOk(['resolve', 'models:/fraud/Production'], { cwd: dir })).stdout).toBe(
      'models:/fraud/Production → fraud v1 (Production, @champion): s3://b/fraud/1\n',
    );
    expect((await mregOk(['resolve', 'models:/fraud/latest'], { cwd: dir })).stdout).toBe(
      'models:/fraud/latest → fraud v2 (None): s3://b/fraud/2\n',
    );
    const j = JSON.parse(
      (await mregOk(['resolve', 'models:/fraud@champion/model.pkl', '--json'], { cwd: dir })).stdout,
    );
    expect(j).toMatchObject({
      name: 'fraud',
      version: '1',
      stage: 'Production',
      source: 's3://b/fraud/1',
      artifact_uri: 's3://b/fraud/1/model.pkl',
    });
    expect(j.commit).toMatch(/^[0-9a-f]{40}$/);
    const missing = await mreg(['resolve', 'models:/fraud/Staging'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      "mreg: RESOURCE_DOES_NOT_EXIST: No versions of model with name 'fraud' and stage 'Staging' found\n",
    );
  });
});

describe('exit codes and help', () => {
  const COMMANDS = [
    'init',
    'create',
    'register',
    'transition',
    'alias',
    'tag',
    'describe',
    'rename',
    'delete',
    'get',
    'search',
    'versions',
    'resolve',
    'history',
    'validate',
    'diff',
    'serve',
  ];

  it.each(COMMANDS)('mreg %s --help shows usage with an example and exits 0', async (cmd) => {
    const r = await mreg([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`mreg ${cmd}`);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).not.toMatch(ANSI);
    expect(r.stderr).toBe('');
  });

  it('mreg --help lists every command', async () => {
    const r = await mregOk(['--help']);
    for (const cmd of COMMANDS) expect(r.stdout).toContain(`mreg ${cmd}`);
    expect(r.stdout).toContain('Exit status: 0 success, 1 registry error');
  });

  it.each([
    [['frobnicate'], /Unknown argument: frobnicate|Unknown command/],
    [[], /Give a command/],
    [['register', 'fraud'], /Missing required argument: source/],
    [['transition', 'fraud', '1'], /Not enough non-option arguments/],
    [['get', 'fraud', '--bogus'], /Unknown argument/],
    [['alias', 'fraud', 'champion'], /Missing VERSION/],
    [['tag', 'fraud', 'novalue'], /Expected KEY=VALUE/],
    [['register', 'fraud', '--source', 's', '--push', '--no-commit'], /cannot be combined/],
    [['create', 'x', '--author', 'nobody'], /--author must look like/],
  ])('usage error %j exits 2 with a message on stderr', async (args, message) => {
    const dir = await newRegistry();
    const r = await mreg(args, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^mreg: /);
  });

  it.each([
    [['get', 'nope'], 'RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=nope not found'],
    [['get', 'm', '9'], 'RESOURCE_DOES_NOT_EXIST', 'Model Version (name=m, version=9) not found'],
    [['create', 'm'], 'RESOURCE_ALREADY_EXISTS', 'Registered Model (name=m) already exists.'],
    [
      ['transition', 'm', '1', 'Prod'],
      'INVALID_PARAMETER_VALUE',
      'Invalid Model Version stage: Prod. Value must be one of None, Staging, Production, Archived.',
    ],
    [['get', 'm', 'x'], 'INVALID_PARAMETER_VALUE', "Parameter 'version' must be an integer, got 'x'."],
    [['alias', 'm', 'latest', '1'], 'INVALID_PARAMETER_VALUE', "'latest' alias name (case insensitive) is reserved."],
    [['resolve', 'runs:/abc/model'], 'INVALID_PARAMETER_VALUE', undefined],
  ])('registry error %j exits 1 with one line: mreg: CODE: message', async (args, code, message) => {
    const dir = await newRegistry();
    await mregOk(['register', 'm', '--source', 's3://b/m/1'], { cwd: dir });
    const before = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const r = await mreg(args as string[], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(r.stderr.startsWith(`mreg: ${code}: `)).toBe(true);
    if (message) expect(r.stderr).toBe(`mreg: ${code}: ${message}\n`);
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(before);
    await expectCleanRepo(dir);
  });

  it('a directory that is not a registry is a registry error, not a crash', async () => {
    const dir = await tempDir('mreg-cli-empty-');
    const r = await mreg(['get', 'fraud'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^mreg: [A-Z_]+: .+\n$/);
    expect(r.stderr).not.toContain('INTERNAL_ERROR');
  });
});

describe('terminals', () => {
  /** Runs the CLI under a pseudo-terminal (util-linux `script`), so stdout and stderr are TTYs. */
  async function onTty(args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = [process.execPath, BIN, ...args].map(quote).join(' ');
    const r = await promisify(execFile)('script', ['-qec', cmd, '/dev/null'], { cwd, env: cliEnv(env) });
    return r.stdout;
  }

  it('colour only on a terminal (and not with NO_COLOR); a progress line for validate on a terminal only', async () => {
    const dir = await newRegistry();
    await mregOk(['register', 'fraud', '--source', 's3://b/1'], { cwd: dir });
    await mregOk(['transition', 'fraud', '1', 'Production'], { cwd: dir });
    const tty = await onTty(['get', 'fraud'], dir);
    expect(tty).toMatch(ANSI);
    expect(tty).toContain('\x1b[32mProduction\x1b[39m');
    expect(await onTty(['get', 'fraud'], dir, { NO_COLOR: '1' })).not.toMatch(ANSI);
    expect(await onTty(['get', 'fraud', '--json'], dir)).not.toMatch(ANSI);
    const piped = await mregOk(['get', 'fraud'], { cwd: dir });
    expect(piped.stdout).not.toMatch(ANSI);

    for (let i = 0; i < 300; i++) {
      await mkdir(path.join(dir, 'models', `m${i}`), { recursive: true });
      await writeFile(
        path.join(dir, 'models', `m${i}`, 'model.yaml'),
        `name: m${i}\ncreated_at: 2026-01-01T00:00:00.000Z\nupdated_at: 2026-01-01T00:00:00.000Z\n`,
      );
    }
    const progress = await onTty(['validate'], dir);
    expect(progress).toMatch(/\r\x1b\[2Kvalidating \d+\/\d+ \d+%/);
    expect(progress).toMatch(/ok: working tree: 301 models, 1 version;/);
    const quiet = await mregOk(['validate'], { cwd: dir });
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/^ok: working tree: 301 models, 1 version;/);
  });
});
