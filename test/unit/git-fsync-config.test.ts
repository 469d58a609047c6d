// What mreg fsyncs follows the repository's core.fsync as native git reads it: nothing unless asked.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fsyncComponents, locateRepository } from '../../src/store/git/repository.js';

describe('core.fsync', () => {
  it('reads the components and groups git documents, with removals and none', () => {
    const cases: Array<[string | undefined, string | undefined, { refs: boolean; objects: boolean }]> = [
      [undefined, undefined, { refs: false, objects: false }],
      ['reference', undefined, { refs: true, objects: false }],
      ['loose-object', undefined, { refs: false, objects: true }],
      ['committed', undefined, { refs: true, objects: true }],
      ['committed,-loose-object', undefined, { refs: true, objects: false }],
      ['all,-reference', undefined, { refs: false, objects: true }],
      ['added', undefined, { refs: false, objects: true }],
      ['pack,index', undefined, { refs: false, objects: false }],
      ['reference,none', undefined, { refs: false, objects: false }],
      ['none,reference', undefined, { refs: true, objects: false }],
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
});
