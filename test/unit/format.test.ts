// The code is kept in one format (Prettier, width 120): a file that drifts fails here, named, with the fix.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PRETTIER = path.join(ROOT, 'node_modules/prettier/bin/prettier.cjs');

describe('formatting', () => {
  it('every file is formatted with Prettier (fix: npm run format)', async () => {
    const run = promisify(execFile);
    const unformatted = await run(process.execPath, [PRETTIER, '--list-different', '.'], { cwd: ROOT }).then(
      () => [] as string[],
      (e: { code?: number; stdout?: string; stderr?: string }) => {
        if (e.code !== 1) throw new Error(`prettier failed: ${e.stderr ?? ''}`);
        return (e.stdout ?? '').split('\n').filter(Boolean);
      },
    );
    expect(unformatted).toEqual([]);
  }, 180_000);
});
