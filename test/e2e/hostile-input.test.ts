// Hostile input wherever it enters: library arguments, CLI arguments and the files of a pull request
// (`mreg validate`, `--no-commit`). Traversal in names (../, absolute paths, %2e%2e, NUL, every platform's
// separators, Windows device names), control and invisible characters, names differing only by case or
// Unicode normalisation, 1 MB names and values, malformed Unicode, entity-expansion and deeply nested YAML,
// symbolic links and FIFOs in the work tree. Each gets a clear one-line error (or, for a legitimate
// but unusual name, a safe folder); nothing is written outside the registry, nothing hangs or crashes.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decodeName } from '../../src/domain/names.js';
import { initRegistry, Registry, RegistryError } from '../../src/index.js';
import { mreg, mregOk } from '../helpers/cli.js';
import { reportFigures } from '../helpers/figures.js';
import { AUTHOR, git, tempDir, tickingClock } from '../helpers/registry.js';

const run = promisify(execFile);

/** Every file and directory under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(dir, p) + (e.isDirectory() ? '/' : ''));
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out.sort();
}

/** A sandbox: `root/registry` is the registry; anything else appearing under `root` was written outside it. */
async function sandbox(): Promise<{
  root: string;
  dir: string;
  outside: () => Promise<string[]>;
  mark: () => Promise<void>;
}> {
  const root = await tempDir('mreg-hostile-');
  const dir = path.join(root, 'registry');
  await mkdir(dir);
  let before = new Set(await tree(root));
  return {
    root,
    dir,
    outside: async () => (await tree(root)).filter((p) => !before.has(p) && !p.startsWith('registry/')),
    /** Files created by the test itself outside the registry (decoys) are not counted. */
    mark: async () => void (before = new Set(await tree(root))),
  };
}

const MB = 1024 * 1024;

/** Names that must be refused, with the reason the message has to give. */
const BAD_NAMES: Array<[string, RegExp]> = [
  ['../evil', /path separator/],
  ['../../../../../../tmp/evil', /path separator/],
  ['/etc/passwd', /path separator/],
  ['..\\..\\evil', /path separator/],
  ['C:\\Windows\\evil', /path separator/],
  ['\\\\server\\share\\evil', /path separator/],
  ['a/b', /path separator/],
  ['%2e%2e%2fevil', /'%'/],
  ['..%2f..%2fevil', /'%'/],
  ['..', /'\.' or '\.\.'/],
  ['.', /'\.' or '\.\.'/],
  ['evil\u0000.yaml', /control characters/],
  ['a\nb', /control characters/],
  ['a\rb', /control characters/],
  ['tab\there', /control characters/],
  ['esc\u001b[31m', /control characters/],
  ['del\u007f', /control characters/],
  ['nel\u0085', /control characters/],
  ['line\u2028sep', /control characters/],
  ['rlo\u202egnp.exe', /invisible or bidirectional/],
  ['zero\u200bwidth', /invisible or bidirectional/],
  ['\ufeffbom', /invisible or bidirectional/],
  ['soft\u00adhyphen', /invisible or bidirectional/],
  ['e\u0301', /normal form C/],
  ['\u212b', /normal form C/],
  ['A\u030a', /normal form C/],
  ['lone\ud800', /well-formed Unicode/],
  ['lone\udc00x', /well-formed Unicode/],
  ['', /Missing value/],
  ['   ', /blank/],
  ['trailing ', /begin or end with white space/],
  [' leading', /begin or end with white space/],
  ['tab\t', /control characters/],
  ['nbsp\u00a0', /begin or end with white space/],
  ['\u3000ideographic', /begin or end with white space/],
  ['x'.repeat(MB), /maximum length/],
  ['é'.repeat(200), /too long for a folder name/],
];

/** Unusual names that are legitimate and must land in one safe folder of their own. */
const ODD_NAMES = [
  'con',
  'CON',
  'nul.txt',
  'aux',
  'com1',
  'LPT9',
  'lpt¹',
  'prn.tar.gz',
  'C:',
  'a:b',
  'a*b?c',
  'a<b>|c',
  '"quoted"',
  "it's",
  '.hidden',
  'trailing.',
  'inner space',
  'two  inner spaces',
  'Fraud',
  'fraud',
  'FRAUD',
  'ß',
  'SS',
  'café',
  'ǅ',
  '😀',
  'x'.repeat(200),
  '~2E',
  '^f',
  'a~20b',
];

describe('hostile input: the library', () => {
  it('model names: traversal, separators, control/invisible characters, non-NFC, malformed Unicode and 1 MB names are refused with a clear one-line error; odd but legitimate names get one safe folder each', async () => {
    const sb = await sandbox();
    const clock = tickingClock();
    await initRegistry(sb.dir, { author: AUTHOR, clock });
    const reg = await Registry.open(sb.dir, { author: AUTHOR, clock });
    await reg.registerModelVersion('ok', 's3://ok/1');
    let tried = 0;
    for (const [name, reason] of BAD_NAMES) {
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['createRegisteredModel', () => reg.createRegisteredModel(name)],
        ['registerModelVersion', () => reg.registerModelVersion(name, 's3://x/1')],
        ['createModelVersion', () => reg.createModelVersion(name, 's3://x/1')],
        ['renameRegisteredModel', () => reg.renameRegisteredModel('ok', name)],
        ['getRegisteredModel', () => reg.getRegisteredModel(name)],
        ['setRegisteredModelTag', () => reg.setRegisteredModelTag(name, 'k', 'v')],
        ['transitionModelVersionStage', () => reg.transitionModelVersionStage(name, 1, 'Production')],
        ['getModelVersion', () => reg.getModelVersion(name, 1)],
      ];
      for (const [method, call] of calls) {
        tried++;
        const e = await call().then(
          () => undefined,
          (x: unknown) => x,
        );
        const what = `${method}(${JSON.stringify(name.slice(0, 40))})`;
        expect(e, what).toBeInstanceOf(RegistryError);
        const err = e as RegistryError;
        expect(err.code, `${what}: ${err.message}`).toBe('INVALID_PARAMETER_VALUE');
        expect(err.message, what).toMatch(reason);
        expect(err.message, what).not.toMatch(/[\n\r]/);
        expect(err.message.length, what).toBeLessThan(1_000);
      }
    }
    expect((await reg.getRegisteredModel('ok')).name).toBe('ok'); // the renames above changed nothing

    const folders = new Map<string, string>();
    for (const name of ODD_NAMES) {
      tried++;
      const v = await reg.registerModelVersion(name, 's3://odd/1');
      expect(v.name).toBe(name);
      expect((await reg.getRegisteredModel(name)).name).toBe(name);
      if (!/[?#]/.test(name)) expect((await reg.resolve(`models:/${name}/1`)).name).toBe(name); // '?' and '#' end a URI's path
    }
    for (const dirName of await readdir(path.join(sb.dir, 'models'))) {
      const name = decodeName(dirName);
      expect(name, dirName).toBeDefined();
      // Safe on every file system: ASCII, no separator, no leading/trailing dot or space, no device name;
      // upper case only in the hex digits of '~XX' escapes.
      expect(dirName).toMatch(/^[a-z0-9_~^-][a-z0-9._~^-]*[a-z0-9_~^-]$|^[a-z0-9_~^-]$/i);
      expect(dirName.replace(/~[0-9A-F]{2}/g, '')).not.toMatch(/[A-Z]/);
      expect(dirName.split('.')[0]).not.toMatch(/^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i);
      const lower = dirName.toLowerCase();
      expect(folders.has(lower), `${dirName} and ${folders.get(lower)} differ only by case`).toBe(false);
      folders.set(lower, dirName);
    }
    expect(folders.size).toBe(ODD_NAMES.length + 1);
    expect((await mregOk(['validate', '--repo', sb.dir])).stdout).toMatch(/^ok: working tree: 31 models/);
    expect(await sb.outside()).toEqual([]);
    reportFigures('hostile-names', {
      refused_calls: BAD_NAMES.length * 8,
      odd_names: ODD_NAMES.length,
      inputs: tried,
      written_outside: 0,
    });
  });

  it('tags, aliases, sources, descriptions and versions: 1 MB values, control characters, traversal and malformed Unicode are refused, nothing is stored changed', async () => {
    const sb = await sandbox();
    const clock = tickingClock();
    await initRegistry(sb.dir, { author: AUTHOR, clock });
    const reg = await Registry.open(sb.dir, { author: AUTHOR, clock });
    await reg.registerModelVersion('fraud', 's3://ok/1');
    const head = (await git(sb.dir, 'rev-parse', 'HEAD')).trim();
    const refused: Array<[string, () => Promise<unknown>, RegExp]> = [
      ['tag key ../x', () => reg.setRegisteredModelTag('fraud', '../x', 'v'), /must not resolve to other names/],
      ['tag key /abs', () => reg.setModelVersionTag('fraud', 1, '/etc/passwd', 'v'), /Names may|resolve/],
      ['tag key with NUL', () => reg.setRegisteredModelTag('fraud', 'k\u0000', 'v'), /Names may only contain/],
      ['tag key 1 MB', () => reg.setRegisteredModelTag('fraud', 'k'.repeat(MB), 'v'), /maximum length of 250/],
      [
        'tag key 1 MB, invalid',
        () => reg.setRegisteredModelTag('fraud', '!'.repeat(MB), 'v'),
        /Names may only contain/,
      ],
      ['tag value 1 MB', () => reg.setModelVersionTag('fraud', 1, 'k', 'v'.repeat(MB)), /maximum length of 100000/],
      ['alias ../x', () => reg.setRegisteredModelAlias('fraud', '../x', 1), /Invalid alias name/],
      ['alias 1 MB', () => reg.setRegisteredModelAlias('fraud', 'a'.repeat(MB), 1), /maximum length of 255/],
      ['alias 1 MB, invalid', () => reg.setRegisteredModelAlias('fraud', '.'.repeat(MB), 1), /Invalid alias name/],
      ['source ../', () => reg.createModelVersion('fraud', 's3://b/../../etc/passwd'), /'\.\.' segments/],
      ['source %2e%2e', () => reg.createModelVersion('fraud', 's3://b/%2e%2e/%2e%2e/etc'), /'\.\.' segments/],
      ['source %252e%252e', () => reg.createModelVersion('fraud', 's3://b/%252e%252e/x'), /'\.\.' segments/],
      ['source with NUL', () => reg.createModelVersion('fraud', 's3://b/x\u0000y'), /NUL bytes or control characters/],
      ['source with ESC', () => reg.createModelVersion('fraud', 's3://b/\u001b[2J'), /control characters/],
      [
        'source 1 MB',
        () => reg.createModelVersion('fraud', 's3://b/' + 'x'.repeat(MB)),
        /source must NOT have more than 8192 characters/,
      ],
      [
        'description 5 MB',
        () => reg.updateRegisteredModel('fraud', { description: 'd'.repeat(5 * MB) }),
        /limit|more than/,
      ],
      ['version ../1', () => reg.getModelVersion('fraud', '../1'), /must be an integer/],
      ['version 1e309', () => reg.getModelVersion('fraud', '1e309'), /must be an integer/],
      [
        'version 2^64',
        () => reg.transitionModelVersionStage('fraud', '18446744073709551616', 'Production'),
        /must be an integer/,
      ],
      ['version 1 MB of digits', () => reg.getModelVersion('fraud', '9'.repeat(MB)), /must be an integer/],
      ['stage 1 MB', () => reg.transitionModelVersionStage('fraud', 1, 'P'.repeat(MB)), /stage/i],
      ['stage ../Production', () => reg.transitionModelVersionStage('fraud', 1, '../Production'), /stage/i],
    ];
    for (const [what, call, reason] of refused) {
      const e = await call().then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e, what).toBeInstanceOf(RegistryError);
      expect((e as RegistryError).code, `${what}: ${(e as Error).message}`).toBe('INVALID_PARAMETER_VALUE');
      expect((e as Error).message, what).toMatch(reason);
      expect((e as Error).message.length, `${what}: the message repeats the whole value`).toBeLessThan(2_000);
    }
    expect((await git(sb.dir, 'rev-parse', 'HEAD')).trim()).toBe(head);
    // Malformed UTF-16 (lone surrogates) in values is stored exactly, as a YAML escape, never as U+FFFD.
    const odd = 'a\ud800b\udfffc\u202e\u0000'.replace('\u0000', '');
    await reg.setRegisteredModelTag('fraud', 'k', odd);
    await reg.updateModelVersion('fraud', 1, { description: odd });
    expect((await reg.getRegisteredModel('fraud')).tags).toEqual([{ key: 'k', value: odd }]);
    expect((await reg.getModelVersion('fraud', 1)).description).toBe(odd);
    expect(await readFile(path.join(sb.dir, 'models/fraud/model.yaml'), 'utf8')).toContain(
      'k: "a\\ud800b\\udfffc\u202e"',
    );
    expect((await mregOk(['validate', '--repo', sb.dir])).stdout).toMatch(/^ok: /);
    expect(await sb.outside()).toEqual([]);
    reportFigures('hostile-values', { inputs: refused.length + 2, written: 0 });
  });
});

describe('hostile input: the CLI', () => {
  it('names, tags and sources from the command line: exit 1 with one line naming the problem (2 for usage), nothing written outside', async () => {
    const sb = await sandbox();
    await mregOk(['init', '--repo', sb.dir]);
    await mregOk(['register', 'ok', '--source', 's3://ok/1', '--repo', sb.dir]);
    const cases: Array<[string[], number, RegExp]> = [
      [
        ['register', '../evil', '--source', 's3://x/1'],
        1,
        /^mreg: INVALID_PARAMETER_VALUE: Invalid name "\.\.\/evil": .*path separator/,
      ],
      [['register', path.join(sb.root, 'abs'), '--source', 's3://x/1'], 1, /path separator/],
      [['register', '..\\..\\evil', '--source', 's3://x/1'], 1, /path separator/],
      [['register', '%2e%2e', '--source', 's3://x/1'], 1, /'%'/],
      [['register', '..', '--source', 's3://x/1'], 1, /'\.' or '\.\.'/],
      [['register', 'e\u0301', '--source', 's3://x/1'], 1, /normal form C/],
      [['register', 'a\u001b[2Jb', '--source', 's3://x/1'], 1, /control characters/],
      [['register', 'rlo\u202eexe', '--source', 's3://x/1'], 1, /invisible or bidirectional/],
      [['register', 'n'.repeat(100_000), '--source', 's3://x/1'], 1, /maximum length/],
      [['register', 'ok', '--source', 's3://x/../../etc'], 1, /'\.\.' segments/],
      [['register', 'ok', '--source', 's3://x/1', '--tag', '../k=v'], 1, /must not resolve/],
      [['register', 'ok', '--source', 's3://x/1', '--tag', `k=${'v'.repeat(100_001)}`], 1, /maximum length of 100000/],
      [['register', 'ok', '--source', 's3://x/1', '--tag', 'novalue'], 2, /KEY=VALUE/],
      [['transition', 'ok', '../1', 'Production'], 1, /must be an integer/],
      [['alias', 'ok', '../x', '1'], 1, /Invalid alias name/],
      [['rename', 'ok', '../../evil'], 1, /path separator/],
      [['resolve', 'models:/../../etc/passwd/1'], 1, /INVALID_PARAMETER_VALUE|RESOURCE_DOES_NOT_EXIST/],
      [['search', '--filter', "name = 'x' OR 1=1; DROP TABLE models --"], 1, /INVALID_PARAMETER_VALUE/],
      [['search', '--filter', '('.repeat(50_000)], 1, /INVALID_PARAMETER_VALUE/],
      [['versions', '--filter', `name LIKE '${'%_'.repeat(40_000)}'`], 0, /^$/],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await mreg([...args, '--repo', sb.dir], { timeoutMs: 60_000 });
      const what = `mreg ${args.map((a) => a.slice(0, 40)).join(' ')}`;
      expect(r.code, `${what}: ${r.stderr.slice(0, 300)}`).toBe(code);
      if (code === 1) {
        expect(r.stderr, what).toMatch(pattern);
        expect(r.stderr.trimEnd().split('\n'), `${what}: one line`).toHaveLength(1);
        expect(r.stderr.length, `${what}: the message repeats the whole value`).toBeLessThan(2_000);
      } else if (code === 2) expect(r.stderr, what).toMatch(pattern);
    }
    // Malformed UTF-8 in argv becomes U+FFFD (node decodes argv leniently): a legitimate name, one safe folder.
    const bytes = await run(
      'bash',
      [
        '-c',
        `"${process.execPath}" "$1" register "$(printf 'bad\\xff\\xfeutf8')" --source s3://x/1 --repo "$2"`,
        'sh',
        path.resolve('bin/mreg.js'),
        sb.dir,
      ],
      { env: { ...process.env, MREG_AUTHOR_NAME: 'A', MREG_AUTHOR_EMAIL: 'a@example.com' } },
    );
    expect(bytes.stdout).toMatch(/^bad\ufffd\ufffdutf8: created; v1 registered/);
    expect((await readdir(path.join(sb.dir, 'models'))).sort()).toEqual(['bad~EF~BF~BD~EF~BF~BDutf8', 'ok']);
    expect(await sb.outside()).toEqual([]);
    expect((await git(sb.dir, 'status', '--porcelain')).trim()).toBe('');
    reportFigures('hostile-cli', { inputs: cases.length + 1, written_outside: 0 });
  }, 180_000);
});

describe('hostile input: files of a pull request', () => {
  it('mreg validate on a hostile work tree and commit: every problem reported as path:line, no hang, no crash, nothing read outside the repository', async () => {
    const sb = await sandbox();
    await mregOk(['init', '--repo', sb.dir]);
    await mregOk(['register', 'fraud', '--source', 's3://fraud/1', '--repo', sb.dir]);
    const secretFile = path.join(sb.root, 'secret.yaml');
    await writeFile(secretFile, 'aws_secret_access_key: hunter2-SECRET\n');
    const outsideDir = path.join(sb.root, 'outside-model');
    await mkdir(path.join(outsideDir, 'versions'), { recursive: true });
    await writeFile(path.join(outsideDir, 'model.yaml'), 'private_key_material: hunter2-SECRET\n');
    const lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++)
      lol.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill('*' + String.fromCharCode(96 + i))
          .join(',')}]`,
      );
    const version = (extra = '') =>
      `version: 1\nsource: s3://x/1\nstage: None\nstatus: READY\ncreated_at: 2026-01-01T00:00:00.000Z\nupdated_at: 2026-01-01T00:00:00.000Z\n${extra}`;
    const model = (name: string, extra = '') =>
      `name: ${JSON.stringify(name)}\ncreated_at: 2026-01-01T00:00:00.000Z\nupdated_at: 2026-01-01T00:00:00.000Z\n${extra}`;
    const files: Record<string, string | Buffer> = {
      'models/billion/model.yaml': lol.join('\n') + '\n',
      'models/deep/model.yaml': 'name: ' + '['.repeat(20_000) + ']'.repeat(20_000) + '\n',
      'models/deepmap/model.yaml':
        Array.from({ length: 5_000 }, (_, i) => ' '.repeat(i) + `k${i}:`).join('\n') + ' 1\n',
      'models/big/model.yaml': 'description: ' + 'x'.repeat(5 * MB) + '\n',
      'models/bigkey/model.yaml': `${'k'.repeat(MB)}: 1\n`,
      'models/utf8/model.yaml': Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xc3, 0x28, 0xff, 0xfe, 0x0a]),
      'models/nul/model.yaml': 'name: "a\u0000b"\nlatest_version: 0\n',
      'models/tags/model.yaml': 'name: !!python/object/apply:os.system ["touch /tmp/pwned"]\n',
      'models/merge/model.yaml': 'base: &b {latest_version: 1}\n<<: *b\nname: merge\n',
      'models/dup/model.yaml': model('dup') + 'name: dup2\n',
      'models/..~2F..~2Fetc/model.yaml': model('../../etc'),
      'models/^fraud/model.yaml': model('fraud'),
      'models/Fraud2/model.yaml': model('Fraud2'),
      'models/e~CC~81/model.yaml': model('e\u0301'),
      'models/con/model.yaml': model('con'),
      'models/fraud/versions/2.yaml': version('run_id: "\\ud800"\n').replace('version: 1', 'version: 2'),
      'models/fraud/versions/-1.yaml': version(),
      'models/fraud/versions/../../../../evil.yaml': version(),
      'models/fraud/versions/1.yaml.bak': version(),
      'models/fraud/evil.sh': '#!/bin/sh\nrm -rf /\n',
    };
    for (const [p, content] of Object.entries(files)) {
      const abs = path.join(sb.dir, p);
      if (!path.resolve(abs).startsWith(sb.dir + path.sep)) continue; // '..' in a path: git itself refuses such a path
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFile(abs, content);
    }
    // Links committed in the pull request: a file and a folder pointing outside the repository.
    await mkdir(path.join(sb.dir, 'models/leak/versions'), { recursive: true });
    await writeFile(path.join(sb.dir, 'models/leak/model.yaml'), model('leak'));
    await symlink(secretFile, path.join(sb.dir, 'models/leak/versions/1.yaml'));
    await symlink(outsideDir, path.join(sb.dir, 'models/linked'));
    await symlink('/dev/zero', path.join(sb.dir, 'models/zero.yaml'));
    await mkdir(path.join(sb.dir, 'models/devzero'), { recursive: true });
    await symlink('/dev/zero', path.join(sb.dir, 'models/devzero/model.yaml'));
    await git(sb.dir, 'add', '-A');
    await git(
      sb.dir,
      '-c',
      'user.name=PR',
      '-c',
      'user.email=pr@example.com',
      'commit',
      '-q',
      '-m',
      'hostile pull request',
    );
    // Only locally (git cannot commit one): a FIFO where a version file goes would block a plain read forever.
    await run('mkfifo', [path.join(sb.dir, 'models/fraud/versions/3.yaml')]);
    await sb.mark();

    for (const args of [
      ['validate'],
      ['validate', '--ref', 'HEAD'],
      ['validate', '--json'],
      ['validate', '--format', 'github'],
    ]) {
      const r = await mreg([...args, '--repo', sb.dir], { timeoutMs: 120_000 });
      const what = `mreg ${args.join(' ')}`;
      expect(r.code, `${what}: ${r.stderr.slice(0, 500)}`).toBe(1);
      expect(r.stderr, what).not.toMatch(/INTERNAL_ERROR/);
      expect(r.stdout + r.stderr, `${what} leaked a file outside the repository`).not.toMatch(
        /hunter2|aws_secret_access_key|private_key_material/,
      );
      expect(r.stdout.length, `${what}: output repeats a 1 MB key`).toBeLessThan(200_000);
      if (args.length === 1 || args[1] === '--ref') {
        const lines = r.stdout.trimEnd().split('\n');
        expect(
          lines.filter((l) => !/^[^:\n]+:\d+: \S/.test(l)),
          what,
        ).toEqual([]);
        const text = r.stdout;
        for (const p of [
          'models/billion/model.yaml',
          'models/deep/model.yaml',
          'models/big/model.yaml',
          'models/bigkey/model.yaml',
          'models/utf8/model.yaml',
          'models/tags/model.yaml',
          'models/merge/model.yaml',
          'models/dup/model.yaml',
          'models/^fraud/model.yaml',
          'models/Fraud2/model.yaml',
          'models/e~CC~81/model.yaml',
          'models/con/model.yaml',
          'models/..~2F..~2Fetc/model.yaml',
          'models/leak/versions/1.yaml',
        ]) {
          expect(text, `${what}: no problem reported for ${p}`).toContain(`${p}:`);
        }
      }
    }
    expect(await sb.outside()).toEqual([]);
    await expect(readFile('/tmp/pwned')).rejects.toThrow();
    reportFigures('hostile-pr-files', {
      files: Object.keys(files).length + 5,
      validate_runs: 4,
      leaks: 0,
      hangs: 0,
      crashes: 0,
    });
  }, 300_000);

  it('writes never follow a symbolic link out of the repository (--no-commit and committed)', async () => {
    const sb = await sandbox();
    await mregOk(['init', '--repo', sb.dir]);
    const outside = path.join(sb.root, 'outside');
    await mkdir(outside);
    await writeFile(
      path.join(outside, 'model.yaml'),
      'name: fraud\ncreated_at: 2026-01-01T00:00:00.000Z\nupdated_at: 2026-01-01T00:00:00.000Z\n',
    );
    await mkdir(path.join(sb.dir, 'models'));
    await symlink(outside, path.join(sb.dir, 'models/fraud'));
    await git(sb.dir, 'add', '-A');
    await git(
      sb.dir,
      '-c',
      'user.name=PR',
      '-c',
      'user.email=pr@example.com',
      'commit',
      '-q',
      '-m',
      'a link where a model folder goes',
    );
    const before = await tree(outside);
    const rootBefore = (await tree(sb.root)).filter((p) => !p.startsWith('registry/'));
    const draft = await mreg(['register', 'fraud', '--source', 's3://x/1', '--no-commit', '--repo', sb.dir]);
    expect(draft.code, draft.stderr).toBe(1);
    expect(draft.stderr).toMatch(/^mreg: INVALID_STATE: .*symbolic link/);
    expect(await tree(outside)).toEqual(before);
    // A commit replaces the link (a blob in git) by a real folder; the checkout removes the link, never writes through it.
    const committed = await mregOk(['register', 'fraud', '--source', 's3://x/1', '--repo', sb.dir]);
    expect(committed.stdout).toMatch(/^fraud: created; v1 registered/);
    expect(await tree(outside)).toEqual(before);
    expect((await git(sb.dir, 'status', '--porcelain')).trim()).toBe('');
    expect((await tree(sb.root)).filter((p) => !p.startsWith('registry/'))).toEqual(rootBefore);
  });
});
