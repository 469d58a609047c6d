#!/usr/bin/env node
// `mreg validate` on a 100k-version registry (10,000 models × 10 versions, 110,001 files), as CI runs it:
// a fresh process on a fresh checkout. Target (issue 3): at most 10 s. Built with native `git fast-import`
// (bench/lib/synth.mjs), which takes seconds where `git add` of 110k files takes far longer.
//
//   node bench/validate.mjs [--models 10000] [--versions 10] [--runs 3] [--keep DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSyntheticRegistry, synthModelName } from './lib/synth.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/mreg.js');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const models = Number(arg('models', 10_000));
const versions = Number(arg('versions', 10));
const runs = Number(arg('runs', 3));
const TARGET_S = 10;

const keep = arg('keep');
const dir = keep ?? mkdtempSync(path.join(os.tmpdir(), 'mreg-bench-validate-'));
if (keep && existsSync(path.join(keep, '.git'))) {
  execFileSync('git', ['checkout', '-q', '--', '.'], { cwd: dir });
  console.log(`reusing ${dir}`);
} else {
  const t0 = performance.now();
  await makeSyntheticRegistry(dir, { models, versionsPerModel: versions });
  console.log(
    `built ${models * versions} versions (${models * (versions + 1) + 1} files) with git fast-import in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${dir}`,
  );
}

// Wall time is what the target is about; CPU time (user + sys of the child) tells a busy machine from a slow run.
function time(args) {
  const out = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, BIN, ...args], {
      cwd: dir,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    const ms = performance.now() - start;
    const times = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    cpu.push((times[0] + times[1]) * 1000);
    r.stderr = r.stderr.trim().split('\n').slice(0, -1).join('\n');
    if (r.status !== 0)
      throw new Error(`mreg ${args.join(' ')} exited ${r.status}: ${r.stdout.slice(0, 500)} ${r.stderr}`);
    out.push(ms);
    if (i === 0) console.log(`  ${r.stdout.trim().split('\n').at(-1)}`);
  }
  out.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return {
    median: out[Math.floor(out.length / 2)],
    min: out[0],
    max: out.at(-1),
    cpu: cpu[Math.floor(cpu.length / 2)],
  };
}

const results = [];
for (const [label, args] of [
  ['working tree (CI checkout)', ['validate']],
  ['a commit (--ref HEAD; unchanged files read from the work tree)', ['validate', '--ref', 'HEAD']],
]) {
  console.log(`mreg ${args.join(' ')}`);
  const t = time(args);
  results.push({ label, ...t });
  const verdict = t.median / 1000 <= TARGET_S ? 'within' : 'OVER';
  console.log(
    `  ${label}: median ${(t.median / 1000).toFixed(2)} s (${(t.min / 1000).toFixed(2)}–${(t.max / 1000).toFixed(2)}, ${runs} runs; CPU ${(t.cpu / 1000).toFixed(2)} s) — ${verdict} the ${TARGET_S} s target`,
  );
}

// A bare repository (a server): every file inflated from the pack.
const bare = `${dir}.bare.git`;
if (!existsSync(bare)) execFileSync('git', ['clone', '-q', '--bare', dir, bare]);
console.log('mreg validate --ref main (bare repository)');
const fromObjects = time(['validate', '--repo', bare, '--ref', 'main']);
results.push({ label: 'a commit in a bare repository (all from git objects)', ...fromObjects });
console.log(
  `  a commit in a bare repository (all from git objects): median ${(fromObjects.median / 1000).toFixed(2)} s (${(fromObjects.min / 1000).toFixed(2)}–${(fromObjects.max / 1000).toFixed(2)}; CPU ${(fromObjects.cpu / 1000).toFixed(2)} s) — ${fromObjects.median / 1000 <= TARGET_S ? 'within' : 'OVER'} the ${TARGET_S} s target`,
);
if (!keep) rmSync(bare, { recursive: true, force: true });

// A pull request's view: one promotion in the working tree, policies judged against HEAD.
execFileSync('git', ['config', 'user.name', 'bench'], { cwd: dir });
const edit = spawnSync(
  process.execPath,
  [BIN, 'transition', synthModelName(42, models), '9', 'Archived', '--no-commit'],
  { cwd: dir, encoding: 'utf8' },
);
if (edit.status !== 0) throw new Error(edit.stderr);
console.log('mreg validate (after one --no-commit transition)');
const pr = time(['validate']);
console.log(
  `  working tree with a change: median ${(pr.median / 1000).toFixed(2)} s (${(pr.min / 1000).toFixed(2)}–${(pr.max / 1000).toFixed(2)}; CPU ${(pr.cpu / 1000).toFixed(2)} s)`,
);

console.log(
  JSON.stringify({
    bench: 'validate',
    versions: models * versions,
    target_s: TARGET_S,
    results: [...results, { label: 'working tree with a change', ...pr }],
  }),
);
if (!keep) rmSync(dir, { recursive: true, force: true });
else execFileSync('git', ['checkout', '-q', '--', '.'], { cwd: dir });
