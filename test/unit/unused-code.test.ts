// No dead code: knip (configured in knip.json) lists unused files, exports, types and dependencies. An export used
// only inside its own file is made local; a function nothing calls is deleted. Fix what it names, or, when an
// export is public on purpose, import it from an entry point.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KNIP = path.join(ROOT, 'node_modules/knip/bin/knip.js');
const run = promisify(execFile);

/** knip's findings in `dir` as "kind file name" lines; [] when it finds nothing. */
async function findings(dir: string): Promise<string[]> {
  const out = await run(process.execPath, [KNIP, '--reporter', 'json', '--no-progress'], { cwd: dir }).then(
    (r) => r.stdout,
    (e: { code?: number; stdout?: string; stderr?: string }) => {
      if (e.code !== 1) throw new Error(`knip failed: ${e.stderr ?? ''}`);
      return e.stdout ?? '';
    },
  );
  const report = JSON.parse(out) as { files?: string[]; issues: Array<Record<string, unknown> & { file: string }> };
  const lines = (report.files ?? []).map((f) => `file ${f}`);
  for (const issue of report.issues)
    for (const [kind, list] of Object.entries(issue))
      if (Array.isArray(list))
        for (const item of list as Array<{ name: string }>) lines.push(`${kind} ${issue.file} ${item.name}`);
  return lines;
}

describe('unused code', () => {
  const temps: string[] = [];
  afterAll(async () => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

  it('knip finds no unused file, export, type or dependency in the project', async () => {
    expect(await findings(ROOT)).toEqual([]);
  }, 180_000);

  it('the check can fail: an unused export and an unused file in a small project are named', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mreg-knip-'));
    temps.push(dir);
    await mkdir(path.join(dir, 'src'));
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'planted', type: 'module', private: true }));
    await writeFile(path.join(dir, 'knip.json'), JSON.stringify({ entry: ['src/main.ts'], project: ['src/**/*.ts'] }));
    await writeFile(path.join(dir, 'src/main.ts'), "import { used } from './lib.js';\nconsole.log(used());\n");
    await writeFile(
      path.join(dir, 'src/lib.ts'),
      'export function used() { return 1; }\nexport function dead() { return 2; }\n',
    );
    await writeFile(path.join(dir, 'src/orphan.ts'), 'export const nobody = 3;\n');
    const found = await findings(dir);
    expect(found).toContain('exports src/lib.ts dead');
    expect(found.some((f) => f.includes('orphan.ts'))).toBe(true);
    expect(found.some((f) => f.includes('used'))).toBe(false);
  }, 180_000);
});
