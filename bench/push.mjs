#!/usr/bin/env node
// One registration pushed to a 100k-version remote over smart HTTP (`mreg register … --push`, a fresh
// process each time, as a CI job runs it), against native `git push` of the same kind of commit. Target
// (issue 3): ≤ 1 s — isomorphic-git's push walks the whole tree of the new commit (8.4 s at 100k); mreg
// sends only the objects the write created.
//
//   node bench/push.mjs [--models 10000] [--runs 5] [--keep DIR]
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startGitHttpServer } from '../scripts/lib/git-http.mjs';
import { makeSyntheticRegistry, synthModelName } from '../scripts/lib/synth.mjs';
import { BENCH_ENV as env, BIN, fmt, median, options, printSummary, scratch, timer } from './lib/common.mjs';

const opts = options({ models: 10_000, runs: 5, keep: undefined });
const models = opts.models;
const runs = opts.runs;
const keep = opts.keep;
const root = keep ?? scratch('push');
const served = path.join(root, 'served');
const bare = path.join(served, 'registry.git');
const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 }).trim();
// Anything that talks to the server must not block this process's event loop, which serves it.
const run = promisify(execFile);
const gitAsync = async (cwd, ...a) =>
  (await run('git', a, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 })).stdout.trim();

if (!existsSync(bare)) {
  mkdirSync(served, { recursive: true });
  const elapsed = timer();
  await makeSyntheticRegistry(bare, { models, versionsPerModel: 10, bare: true });
  console.log(`remote: ${models * 10} versions built with git fast-import in ${fmt(elapsed() / 1000, 1)} s`);
}
const server = await startGitHttpServer(served);
try {
  const clone = path.join(root, 'writer');
  if (!existsSync(clone)) {
    const elapsed = timer();
    await gitAsync(root, 'clone', '-q', server.url('registry.git'), clone);
    git(clone, 'config', 'gc.auto', '0');
    console.log(`writer: native clone with checkout in ${fmt(elapsed() / 1000, 1)} s`);
  } else {
    git(clone, 'remote', 'set-url', 'origin', server.url('registry.git')); // a new port each run
    await gitAsync(clone, 'pull', '-q', '--ff-only');
  }
  const mregMs = [];
  for (let i = 0; i < runs; i++) {
    const elapsed = timer();
    const r = await run(
      process.execPath,
      [BIN, 'register', synthModelName(i, models), '--source', `s3://bench/push/${Date.now()}-${i}`, '--push'],
      { cwd: clone, env, encoding: 'utf8' },
    );
    mregMs.push(elapsed());
    if (i === 0) console.log(`  ${r.stdout.trim()}`);
  }
  // Native git: the same change (a new version file and the model file), committed and pushed.
  const nativeMs = [];
  for (let i = 0; i < runs; i++) {
    const m = synthModelName(models - 1 - i, models);
    writeFileSync(
      path.join(clone, 'models', m, 'versions', '11.yaml'),
      `version: 11\nsource: s3://bench/native/${Date.now()}-${i}\nstage: None\nstatus: READY\ncreated_at: 2026-01-01T00:00:00.000Z\nupdated_at: 2026-01-01T00:00:00.000Z\n`,
    );
    const elapsed = timer();
    git(clone, 'add', `models/${m}`);
    git(clone, 'commit', '-q', '-m', `native ${i}`);
    await gitAsync(clone, 'push', '-q', 'origin', 'HEAD:main');
    nativeMs.push(elapsed());
  }
  const m = median(mregMs);
  const n = median(nativeMs);
  console.log(
    `  mreg register --push (whole process): median ${(m / 1000).toFixed(2)} s (${mregMs.map((x) => (x / 1000).toFixed(2)).join(', ')}) — ${m <= 1000 ? 'within' : 'OVER'} the 1 s target`,
  );
  console.log(
    `  native git add + commit + push:       median ${(n / 1000).toFixed(2)} s; ratio ${(m / n).toFixed(1)}x`,
  );
  git(bare, 'fsck', '--no-progress');
  printSummary('push', {
    versions: models * 10,
    target_s: 1,
    mreg_register_push_ms: Math.round(m),
    native_add_commit_push_ms: Math.round(n),
    ratio: +(m / n).toFixed(2),
  });
} finally {
  await server.close();
  if (!keep) rmSync(root, { recursive: true, force: true });
}
