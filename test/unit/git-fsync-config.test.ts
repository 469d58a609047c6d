// What mreg fsyncs follows the repository's core.fsync as native git reads it: nothing unless asked.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cliEnv, mregOk } from '../helpers/cli.js';
import { fsyncComponents, locateRepository } from '../../src/store/git/repository.js';

describe('core.fsync', () => {
  it('reads the value as git does: prefixes, groups, additions winning over removals, none as the last word', () => {
    // The flushes of `git -c core.fsync=<value> commit --allow-empty` (git 2.39, counted with strace) for the
    // marked cases: a reference and, for the groups holding loose objects, the commit object.
    const cases: Array<[string | undefined, string | undefined, { refs: boolean; objects: boolean }]> = [
      [undefined, undefined, { refs: false, objects: false }], // 0 fsyncs
      ['reference', undefined, { refs: true, objects: false }], // 1
      ['ref', undefined, { refs: true, objects: false }], // 1: a prefix names the component
      ['loose', undefined, { refs: false, objects: true }], // 1
      ['added', undefined, { refs: true, objects: true }], // 2
      ['reference,-reference', undefined, { refs: true, objects: false }], // 1: an addition wins
      ['-reference,reference', undefined, { refs: true, objects: false }], // 1
      ['reference,none', undefined, { refs: true, objects: false }], // 1: none empties only the starting set
      ['none,reference', undefined, { refs: true, objects: false }], // 1
      ['committed', undefined, { refs: true, objects: true }],
      ['all,-reference', undefined, { refs: true, objects: true }],
      ['pack,index,commit-graph', undefined, { refs: false, objects: false }],
      ['-,reference', undefined, { refs: false, objects: false }], // a lone '-' ends the reading
      [undefined, 'true', { refs: false, objects: true }],
      [' reference , objects ', undefined, { refs: true, objects: true }],
    ];
    for (const [value, objectFiles, want] of cases)
      expect(fsyncComponents(value, objectFiles), String(value)).toEqual(want);
  });

  it('is off in a fresh repository and on where its config asks', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mreg-fsync-'));
    try {
      execFileSync('git', ['init', '-q', '--bare', dir]);
      expect((await locateRepository(dir)).fsync).toEqual({ refs: false, objects: false });
      execFileSync('git', ['config', 'core.fsync', 'committed'], { cwd: dir });
      expect((await locateRepository(dir)).fsync).toEqual({ refs: true, objects: true });
      execFileSync('git', ['config', 'core.logAllRefUpdates', 'true'], { cwd: dir });
      const paths = await locateRepository(dir);
      expect([paths.logRefUpdates, paths.fsync.refs]).toEqual([true, true]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // strace counts the flushes a real `mreg register` makes; machines without it skip this one.
  const strace = (() => {
    try {
      execFileSync('strace', ['-V'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!strace)('a registration fsyncs nothing by default, and what core.fsync names when set', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mreg-fsync-'));
    try {
      const repo = path.join(dir, 'repo');
      await mregOk(['init', '--repo', repo]);
      const flushes = (n: number): number => {
        const trace = path.join(dir, `trace-${n}`);
        execFileSync(
          'strace',
          [
            '-f',
            '-e',
            'trace=fsync,fdatasync',
            '-o',
            trace,
            process.execPath,
            BIN,
            'register',
            'm',
            '--source',
            `s3://b/${n}`,
            '--repo',
            repo,
          ],
          { env: cliEnv(), stdio: 'ignore' },
        );
        return fs
          .readFileSync(trace, 'utf8')
          .split('\n')
          .filter((l) => /\b(fsync|fdatasync)\(/.test(l)).length;
      };
      expect(flushes(1)).toBe(0);
      execFileSync('git', ['config', 'core.fsync', 'reference'], { cwd: repo });
      const refsOnly = flushes(2);
      expect(refsOnly).toBeGreaterThan(0);
      execFileSync('git', ['config', 'core.fsync', 'committed'], { cwd: repo });
      expect(flushes(3)).toBeGreaterThan(refsOnly); // the new objects too
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
