// The git side of every write: one commit, readable message, the caller as author, a clean status and fsck,
// in work trees and bare repositories, and no lost or duplicated writes between processes.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Registry, initRegistry } from '../../src/index.js';
import {
  AUTHOR,
  commitCount,
  expectCleanRepo,
  expectCode,
  freshRegistry,
  git,
  tempDir,
  tickingClock,
} from '../helpers/registry.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('one write, one commit', () => {
  it('commits each write with a readable message and the caller as author; status and fsck stay clean', async () => {
    const { registry, dir } = await freshRegistry();
    const start = await commitCount(dir);
    await registry.createRegisteredModel('fraud', { description: 'Card fraud' });
    await registry.createModelVersion('fraud', 's3://b/1');
    await registry.createModelVersion('fraud', 's3://b/2');
    await registry.transitionModelVersionStage('fraud', 2, 'Staging');
    await registry.transitionModelVersionStage('fraud', 2, 'Production');
    await registry.setRegisteredModelAlias('fraud', 'champion', 2);
    expect(await commitCount(dir)).toBe(start + 6);
    const log = (await git(dir, 'log', '--format=%s|%an|%ae')).trim().split('\n');
    expect(log.slice(0, 6)).toEqual([
      'fraud: alias champion → v2|Test Author|test@example.com',
      'fraud: v2 Staging → Production|Test Author|test@example.com',
      'fraud: v2 None → Staging|Test Author|test@example.com',
      'fraud: v2 registered|Test Author|test@example.com',
      'fraud: v1 registered|Test Author|test@example.com',
      'fraud: created|Test Author|test@example.com',
    ]);
    await expectCleanRepo(dir);
    expect(await readFile(path.join(dir, 'models/fraud/versions/2.yaml'), 'utf8')).toContain('stage: Production');
  });

  it('writes canonical YAML that is byte-identical when rewritten', async () => {
    const { registry, dir } = await freshRegistry();
    await registry.createRegisteredModel('m', {
      description: 'line one\nline two: with colon\n\n- a list',
      tags: { true: 'yes', n: '123' },
    });
    const first = await git(dir, 'show', 'HEAD:models/m/model.yaml');
    expect(first).toMatchInlineSnapshot(`
      "name: m
      description: |-
        line one
        line two: with colon

        - a list
      tags:
        "true": yes
        n: "123"
      created_at: 2026-01-01T12:00:01.000Z
      updated_at: 2026-01-01T12:00:01.000Z
      "
    `);
    await registry.setRegisteredModelTag('m', 'x', '1');
    await registry.deleteRegisteredModelTag('m', 'x');
    expect(await git(dir, 'show', 'HEAD:models/m/model.yaml')).toBe(first);
  });

  it('works in a bare repository', async () => {
    const dir = await tempDir();
    const clock = tickingClock();
    await initRegistry(dir, { bare: true, author: AUTHOR, clock });
    const registry = await Registry.open(dir, { author: AUTHOR, clock });
    await registry.createRegisteredModel('m');
    await registry.createModelVersion('m', 's3://b/1');
    expect((await registry.getModelVersion('m', 1)).source).toBe('s3://b/1');
    await expectCleanRepo(dir, { bare: true });
    expect((await git(dir, 'log', '--format=%s', 'main')).trim().split('\n')[0]).toBe('m: v1 registered');
  });

  it('takes the author from MREG_AUTHOR_* when no option is given', async () => {
    const dir = await tempDir();
    await initRegistry(dir, { author: AUTHOR });
    const saved = { n: process.env.MREG_AUTHOR_NAME, e: process.env.MREG_AUTHOR_EMAIL };
    process.env.MREG_AUTHOR_NAME = 'Env Person';
    process.env.MREG_AUTHOR_EMAIL = 'env@example.com';
    try {
      const registry = await Registry.open(dir);
      await registry.createRegisteredModel('m');
    } finally {
      if (saved.n === undefined) delete process.env.MREG_AUTHOR_NAME;
      else process.env.MREG_AUTHOR_NAME = saved.n;
      if (saved.e === undefined) delete process.env.MREG_AUTHOR_EMAIL;
      else process.env.MREG_AUTHOR_EMAIL = saved.e;
    }
    expect((await git(dir, 'log', '-1', '--format=%an <%ae>')).trim()).toBe('Env Person <env@example.com>');
  });

  it('a native git commit after ours keeps our files, and ours after native keeps theirs', async () => {
    const { registry, dir } = await freshRegistry();
    await registry.createRegisteredModel('m');
    await writeFile(path.join(dir, 'README.md'), 'hello\n');
    await git(dir, 'add', 'README.md');
    await git(dir, '-c', 'user.name=N', '-c', 'user.email=n@x', 'commit', '-qm', 'readme');
    await registry.createModelVersion('m', 's3://b/1');
    const files = (await git(dir, 'ls-tree', '-r', '--name-only', 'HEAD')).trim().split('\n');
    expect(files).toEqual(['README.md', 'models/m/model.yaml', 'models/m/versions/1.yaml', 'registry.yaml']);
    await expectCleanRepo(dir);
  });

  it('a write that fails validation changes nothing: no commit, no file', async () => {
    const { registry, dir } = await freshRegistry();
    await registry.createRegisteredModel('m');
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
    await expectCode(registry.setRegisteredModelTag('m', 'k', 'x'.repeat(100_001)), 'INVALID_PARAMETER_VALUE');
    await expectCode(registry.createModelVersion('m', 's3://b/../x'), 'INVALID_PARAMETER_VALUE');
    await expectCode(registry.transitionModelVersionStage('m', 1, 'Prod'), 'INVALID_PARAMETER_VALUE');
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(head);
    await expectCleanRepo(dir);
  });

  it('refuses to write over a broken file and says where it is', async () => {
    const { registry, dir } = await freshRegistry();
    await registry.createRegisteredModel('m');
    await writeFile(path.join(dir, 'models/m/model.yaml'), 'name: m\nbogus: 1\n');
    await git(dir, 'commit', '-qam', 'hand edit');
    await expectCode(
      registry.createModelVersion('m', 's3://b/1'),
      'INVALID_STATE',
      /The registry has a broken file: models\/m\/model\.yaml:\d+: /,
    );
  });
});

describe('policies from registry.yaml', () => {
  it('enforces transitions, required fields, max per stage and protected branches on writes', async () => {
    const dir = await tempDir();
    const clock = tickingClock();
    await initRegistry(dir, {
      author: AUTHOR,
      clock,
      registry: {
        policies: {
          transitions: { Production: ['Staging'] },
          required_fields: { Production: ['run_id'] },
          max_versions_per_stage: { Production: 1 },
          protected: [{ branches: ['release'], aliases: ['champion'] }],
        },
      },
    });
    const registry = await Registry.open(dir, { author: AUTHOR, clock });
    await registry.createRegisteredModel('m');
    await registry.createModelVersion('m', 's3://b/1', { runId: 'r1' });
    await registry.createModelVersion('m', 's3://b/2');
    await registry.createModelVersion('m', 's3://b/3', { runId: 'r3' });
    await expectCode(
      registry.transitionModelVersionStage('m', 1, 'Production'),
      'PERMISSION_DENIED',
      'only from Staging',
    );
    await registry.transitionModelVersionStage('m', 2, 'Staging');
    await expectCode(registry.transitionModelVersionStage('m', 2, 'Production'), 'PERMISSION_DENIED', "needs 'run_id'");
    await registry.transitionModelVersionStage('m', 1, 'Staging');
    await registry.transitionModelVersionStage('m', 1, 'Production');
    await registry.transitionModelVersionStage('m', 3, 'Staging');
    await expectCode(registry.transitionModelVersionStage('m', 3, 'Production'), 'PERMISSION_DENIED', 'at most 1');
    await registry.transitionModelVersionStage('m', 3, 'Production', { archiveExistingVersions: true });
    await expectCode(
      registry.setRegisteredModelAlias('m', 'champion', 3),
      'PERMISSION_DENIED',
      'may only change on release',
    );
    await registry.setRegisteredModelAlias('m', 'other', 3);
    await expectCleanRepo(dir);
  });
});

describe('concurrency between processes', () => {
  it('four processes registering at once lose nothing and never reuse a number', async () => {
    const { dir } = await freshRegistry();
    const r = await Registry.open(dir, { author: AUTHOR });
    await r.createRegisteredModel('race');
    const script = path.join(dir, '..', `writer-${path.basename(dir)}.mjs`);
    await writeFile(
      script,
      `import { Registry } from ${JSON.stringify(path.join(ROOT, 'dist/index.js'))};
       const reg = await Registry.open(process.argv[2], { author: { name: 'w' + process.argv[3], email: 'w@x' } });
       for (let i = 0; i < 10; i++) { const v = await reg.createModelVersion('race', 's3://b/' + process.argv[3] + '/' + i); console.log(v.version); }`,
    );
    const outputs = await Promise.all(
      [0, 1, 2, 3].map(
        (w) =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, [script, dir, String(w)], { stdio: ['ignore', 'pipe', 'pipe'] });
            let out = '';
            let err = '';
            child.stdout.on('data', (d) => (out += d));
            child.stderr.on('data', (d) => (err += d));
            child.on('exit', (code) =>
              code === 0 ? resolve(out) : reject(new Error(`writer ${w} exited ${code}: ${err}`)),
            );
          }),
      ),
    );
    const numbers = outputs
      .flatMap((o) => o.trim().split('\n'))
      .map(Number)
      .sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const files = (await git(dir, 'ls-tree', '--name-only', 'HEAD', 'models/race/versions/')).trim().split('\n');
    expect(files.length).toBe(40);
    expect(Number((await git(dir, 'rev-list', '--count', 'HEAD')).trim())).toBe(2 + 40);
    await expectCleanRepo(dir);
  });

  it('recovers a stale lock left by a killed writer without waiting for it', async () => {
    const { registry, dir } = await freshRegistry();
    await registry.createRegisteredModel('m');
    const gitdir = path.join(dir, '.git');
    await writeFile(
      path.join(gitdir, 'mreg-write.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, hostname: (await import('node:os')).hostname(), started: Date.now() }),
    );
    // The dead owner's lock is taken over at once; without that this write would time out on the lock.
    const writer = await Registry.open(dir, { author: AUTHOR, lockTimeoutMs: 10_000 });
    await writer.createModelVersion('m', 's3://b/1');
    expect((await writer.getModelVersion('m', 1)).source).toBe('s3://b/1');
    await expectCleanRepo(dir);
  });
});
