#!/usr/bin/env node
// `mreg validate` on a 100k-version registry (10,000 models × 10 versions, 110,001 files), as CI runs it:
// a fresh process on a fresh checkout. Target (issue 3): at most 10 s. Built with native `git fast-import`
// (scripts/lib/synth.mjs), which takes seconds where `git add` of 110k files takes far longer.
//
//   node bench/validate.mjs [--models 10000] [--versions 10] [--runs 3] [--keep DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { makeSyntheticRegistry, synthModelName } from '../scripts/lib/synth.mjs';
import { BIN, fmt, median, options, printSummary, scratch, timeMreg, timer } from './lib/common.mjs';

const opts = options({ models: 10_000, versions: 10, runs: 3, keep: undefined });
const { models, versions, runs, keep } = opts;
const TARGET_S = 10;

const dir = keep ?? scratch('validate');
if (keep && existsSync(path.join(keep, '.git'))) {
  execFileSync('git', ['checkout', '-q', '--', '.'], { cwd: dir });
  console.log(`reusing ${dir}`);
} else {
  const elapsed = timer();
  await makeSyntheticRegistry(dir, { models, versionsPerModel: versions });
  console.log(
    `built ${models * versions} versions (${models * (versions + 1 + (versions >= 10 ? 2 : 0)) + 1} files, alias files included) with git fast-import in ${fmt(elapsed() / 1000, 1)} s: ${dir}`,
  );
}

// Wall time is what the target is about; CPU time (user + sys of the child) tells a busy machine from a slow run.
function time(args) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const r = timeMreg(args, { cwd: dir });
    wall.push(r.ms);
    cpu.push(r.cpuMs);
    if (i === 0) console.log(`  ${r.stdout.trim().split('\n').at(-1)}`);
  }
  return { median: median(wall), min: Math.min(...wall), max: Math.max(...wall), cpu: median(cpu) };
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

printSummary('validate', {
  versions: models * versions,
  target_s: TARGET_S,
  results: [...results, { label: 'working tree with a change', ...pr }],
});
if (!keep) rmSync(dir, { recursive: true, force: true });
else execFileSync('git', ['checkout', '-q', '--', '.'], { cwd: dir });
