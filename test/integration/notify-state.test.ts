// mreg notify's per-webhook journal: the last whole line wins, a torn last line (a crash mid-append) falls back
// to the line before, and the journal is rewritten to one line when it grows past its bound.
import { appendFile, readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readAllStatusSync, readStatus, statusPath, writeStatus, type WebhookStatus } from '../../src/notify/state.js';
import { tempDir } from '../helpers/registry.js';

const base = (n: number): WebhookStatus => ({
  name: 'deploy',
  url: 'https://example.com/hook',
  added_in: null,
  cursor: `${'a'.repeat(40)}:${n}`,
  state: 'ok',
  delivered: n,
  failures: 0,
  updated_at: '2026-01-01T00:00:00.000Z',
});

describe('notify state journal', () => {
  it('keeps the last whole line, skips a torn one, and compacts past 1 MB', async () => {
    const gitdir = await tempDir('mreg-journal-');
    for (let i = 1; i <= 3; i++) writeStatus(gitdir, base(i));
    expect((await readStatus(gitdir, 'deploy'))?.delivered).toBe(3);
    // A crash in the middle of the fourth append.
    await appendFile(statusPath(gitdir, 'deploy'), JSON.stringify(base(4)).slice(0, 40));
    expect((await readStatus(gitdir, 'deploy'))?.cursor).toBe(`${'a'.repeat(40)}:3`);
    expect(readAllStatusSync(gitdir).map((s) => s.delivered)).toEqual([3]);

    const other = await tempDir('mreg-journal-');
    for (let i = 1; i <= 8000; i++) writeStatus(other, base(i));
    const size = (await stat(statusPath(other, 'deploy'))).size;
    expect(size).toBeLessThanOrEqual(1024 * 1024);
    const lines = (await readFile(statusPath(other, 'deploy'), 'utf8')).trim().split('\n');
    expect(lines.length).toBeLessThan(8000);
    expect((await readStatus(other, 'deploy'))?.delivered).toBe(8000);
  });
});
