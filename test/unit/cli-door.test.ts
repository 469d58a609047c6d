// The library is the CLI's only door: src/cli parses arguments, calls src/registry (or the domain and MLflow
// shapes for printing), and prints. It never reaches into src/store, where git is read and written.
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await tsFiles(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every module a file names: static imports and re-exports, and dynamic `import('…')`. */
async function specifiers(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const statics = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  const dynamics = [...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  return [...statics, ...dynamics];
}

/** `cli/…` files whose imports resolve into `store/`, as `file → specifier`. */
async function storeImports(src: string): Promise<string[]> {
  const cli = path.join(src, 'cli');
  const store = path.join(src, 'store') + path.sep;
  const offenders: string[] = [];
  for (const f of await tsFiles(cli)) {
    for (const spec of await specifiers(f)) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(f), spec);
      if (target.startsWith(store)) offenders.push(`${path.relative(src, f)} → ${spec}`);
    }
  }
  return offenders;
}

describe('the CLI goes through the library', () => {
  it('no file under src/cli imports from src/store', async () => {
    const cliFiles = await tsFiles(path.join(SRC, 'cli'));
    expect(cliFiles.length).toBeGreaterThan(10);
    expect(await storeImports(SRC)).toEqual([]);
  });

  it('the rule catches a planted violation, static or dynamic, at any depth', async () => {
    const src = await mkdtemp(path.join(os.tmpdir(), 'mreg-cli-door-'));
    onTestFinished(() => rm(src, { recursive: true, force: true }));
    await mkdir(path.join(src, 'cli', 'commands'), { recursive: true });
    await mkdir(path.join(src, 'store'), { recursive: true });
    await writeFile(path.join(src, 'cli', 'ok.ts'), "import { Registry } from '../registry/registry.js';\n");
    await writeFile(path.join(src, 'cli', 'commands', 'bad.ts'), "import { GitRepo } from '../../store/git.js';\n");
    await writeFile(
      path.join(src, 'cli', 'lazy.ts'),
      "export async function f() {\n  return import('../store/load.js');\n}\n",
    );
    expect((await storeImports(src)).sort()).toEqual([
      'cli/commands/bad.ts → ../../store/git.js',
      'cli/lazy.ts → ../store/load.js',
    ]);
  });
});
