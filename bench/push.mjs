#!/usr/bin/env node
// One registration pushed to a 100k-version remote over smart HTTP (`mreg register … --push`, a fresh
// process each time, as a CI job runs it), against native `git push` of the same kind of commit. Target
// (issue 3): ≤ 1 s — isomorphic-git's push walks the whole tree of the new commit (8.4 s at 100k); mreg
// sends only the objects the write created.
//
//   node bench/push.mjs [--models 10000] [--runs 5] [--keep DIR]
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGitHttpServer } from './lib/git-http.mjs';
import { makeSyntheticRegistry, synthModelName } from './lib/synth.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/mreg.js');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const models = Number(arg('models', 10_000));
const runs = Number(arg('runs', 5));
const keep = arg('keep');
const root = keep ?? mkdtempSync(path.join(os.tmpdir(), 'mreg-bench-push-'));
const served = path.join(root, 'served');
const bare = path.join(served, 'registry.git');
const git = (cwd, ...a) => execFileSync('git', a, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 }).trim();
// Anything that talks to the server must not block this process's event loop, which serves it.
const run = promisify(execFile);
const gitAsync = async (cwd, ...a) =>
  (await run('git', a, { cwd, encoding: 'utf8', maxBuffer: 1 << 26 })).stdout.trim();

if (!existsSync(bare)) {
  mkdirSync(served, { recursive: true });
  const t0 = performance.now();
  await makeSyntheticRegistry(bare, { models, versionsPerModel: 10, bare: true });
  console.log(
    `remote: ${models * 10} versions built with git fast-import in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}
const server = await startGitHttpServer(served);
try {
  const clone = path.join(root, 'writer');
  if (!existsSync(clone)) {
    const t0 = performance.now();
    await gitAsync(root, 'clone', '-q', server.url('registry.git'), clone);
    git(clone, 'config', 'gc.auto', '0');
    console.log(`writer: native clone with checkout in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } else {
    git(clone, 'remote', 'set-url', 'origin', server.url('registry.git')); // a new port each run
    await gitAsync(clone, 'pull', '-q', '--ff-only');
  }
  const env = {
    ...process.env,
    MREG_AUTHOR_NAME: 'bench',
    MREG_AUTHOR_EMAIL: 'bench@example.com',
    GIT_AUTHOR_NAME: 'bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  const mregMs = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = await run(
      process.execPath,
      [BIN, 'register', synthModelName(i, models), '--source', `s3://bench/push/${Date.now()}-${i}`, '--push'],
      { cwd: clone, env, encoding: 'utf8' },
    );
    mregMs.push(performance.now() - t);
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
    const t = performance.now();
    git(clone, 'add', `models/${m}`);
    git(clone, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', `native ${i}`);
    await gitAsync(clone, 'push', '-q', 'origin', 'HEAD:main');
    nativeMs.push(performance.now() - t);
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
  console.log(
    JSON.stringify({
      bench: 'push',
      versions: models * 10,
      target_s: 1,
      mreg_register_push_ms: Math.round(m),
      native_add_commit_push_ms: Math.round(n),
      ratio: +(m / n).toFixed(2),
    }),
  );
} finally {
  await server.close();
  if (!keep) rmSync(root, { recursive: true, force: true });
}
