// Dependencies point inward: the domain is pure, the daemon cannot write, env reads live in config files.
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { HTTP_STATUS } from '../../src/mlflow/errors.js';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

const RULES: Array<{ folder: string; banned: RegExp[] }> = [
  {
    folder: 'domain',
    banned: [/^node:/, /^isomorphic-git/, /^yaml$/, /\/store\//, /\/registry\//, /\/daemon\//, /\/cli\//],
  },
  { folder: 'mlflow', banned: [/^node:/, /^isomorphic-git/, /\/store\//, /\/registry\//, /\/daemon\//, /\/cli\//] },
  // The read-only daemon never imports a write path; the gateway hands it write handlers instead.
  { folder: 'daemon', banned: [/\/registry\//, /store\/apply/, /\/cli\/(?!example)/, /\/gateway\//] },
  { folder: 'gateway', banned: [/\/cli\//] },
  { folder: 'store', banned: [/\/registry\//, /\/daemon\//, /\/cli\//] },
];

describe('architecture', () => {
  it.each(RULES)('$folder imports only what it may', async ({ folder, banned }) => {
    const offenders: string[] = [];
    let dirFiles: string[] = [];
    try {
      dirFiles = await files(path.join(SRC, folder));
    } catch {
      return;
    }
    for (const f of dirFiles) {
      for (const spec of await importsOf(f)) {
        if (banned.some((b) => b.test(spec))) offenders.push(`${path.relative(SRC, f)} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('isomorphic-git is imported by src/store only', async () => {
    const offenders: string[] = [];
    for (const f of await files(SRC)) {
      if (f.startsWith(path.join(SRC, 'store'))) continue;
      if ((await importsOf(f)).some((s) => s.startsWith('isomorphic-git'))) offenders.push(path.relative(SRC, f));
    }
    expect(offenders).toEqual([]);
  });

  it('process.env is read only in the config modules', async () => {
    const allowed = new Set(['registry/config.ts', 'cli/options.ts', 'daemon/config.ts', 'gateway/config.ts']);
    const offenders: string[] = [];
    for (const f of await files(SRC)) {
      const rel = path.relative(SRC, f);
      if (allowed.has(rel)) continue;
      if (/process\.env/.test(await readFile(f, 'utf8'))) offenders.push(rel);
    }
    expect(offenders).toEqual([]);
  });

  it('every error code has an HTTP status', () => {
    for (const code of ERROR_CODES) expect(HTTP_STATUS[code], code).toBeGreaterThanOrEqual(400);
    expect(HTTP_STATUS.RESOURCE_ALREADY_EXISTS).toBe(400);
  });
});
