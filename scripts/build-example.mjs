#!/usr/bin/env node
// Regenerates registry-example/ from the example's script (src/registry/example.ts): replays it into a temporary git
// repository and copies the committed files over. `--check` only compares and exits 1 on a difference.
// Needs the built library: run `npm run build` first.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = path.join(ROOT, 'registry-example');
const check = process.argv.includes('--check');

const { materializeExample } = await import(path.join(ROOT, 'dist/registry/example.js'));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'mreg-example-'));
try {
  await materializeExample(tmp);
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: tmp, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean)
    .sort();
  const existing = existsSync(TARGET) ? walk(TARGET).sort() : [];
  const differences = [];
  for (const f of files) {
    const want = readFileSync(path.join(tmp, f));
    const have = existsSync(path.join(TARGET, f)) ? readFileSync(path.join(TARGET, f)) : null;
    if (!have || !have.equals(want)) differences.push(have ? `changed: ${f}` : `missing: ${f}`);
  }
  for (const f of existing) if (!files.includes(f)) differences.push(`extra: ${f}`);
  if (check) {
    for (const d of differences) console.log(d);
    console.log(
      differences.length
        ? `registry-example/ is out of date (${differences.length} differences): run node scripts/build-example.mjs`
        : 'registry-example/ is up to date',
    );
    process.exitCode = differences.length ? 1 : 0;
  } else {
    rmSync(TARGET, { recursive: true, force: true });
    for (const f of files) {
      mkdirSync(path.dirname(path.join(TARGET, f)), { recursive: true });
      writeFileSync(path.join(TARGET, f), readFileSync(path.join(tmp, f)));
    }
    console.log(`registry-example/: ${files.length} files written (${differences.length} changed)`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

function walk(dir, prefix = '') {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(path.join(dir, e.name), rel));
    else out.push(rel);
  }
  return out;
}
