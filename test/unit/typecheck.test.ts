// The tests are type-checked too (`tsc -p tsconfig.json` covers src/ only): a test importing a module that was
// moved or deleted failed only when run, and in CI. The UI test runs code in the browser, so it is checked
// with the DOM's types in a program of its own.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');

async function typeErrors(project: string): Promise<string[]> {
  return promisify(execFile)(process.execPath, [TSC, '-p', project, '--pretty', 'false'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  }).then(
    () => [],
    (e: { stdout?: string; stderr?: string }) => {
      const lines = (e.stdout ?? '').split('\n').filter((l) => l.includes('error TS'));
      if (lines.length === 0) throw new Error(`tsc failed: ${e.stderr ?? e.stdout ?? ''}`);
      return lines;
    },
  );
}

describe('type check', () => {
  it.each(['tsconfig.test.json', 'tsconfig.browser-test.json'])(
    '%s has no type errors',
    async (project) => {
      expect(await typeErrors(project)).toEqual([]);
    },
    300_000,
  );
});
