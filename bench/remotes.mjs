#!/usr/bin/env node
// One registration pushed to a 100k-version remote over each transport — `mreg register … --push`, a fresh
// process each time, as a CI job runs it — against native `git add`, `git commit` and `git push` of the same
// change (a new version file and the model file) over the same transport, measured in the same round,
// alternating. Targets (issue 10): file:// and ssh at most 1.5× native; http under 1 s.
// ssh runs git's real ssh transport through test/helpers/fake-ssh.sh (no sshd), for mreg and native alike.
//
//   node bench/remotes.mjs [--models 10000] [--runs 5] [--transports file,ssh,http] [--keep DIR]
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startGitHttpServer } from '../scripts/lib/git-http.mjs';
import { makeSyntheticRegistry, synthModelName } from '../scripts/lib/synth.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/mreg.js');
const FAKE_SSH = path.join(ROOT, 'test/helpers/fake-ssh.sh');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const models = Number(arg('models', 10_000));
const runs = Number(arg('runs', 5));
const transports = arg('transports', 'file,ssh,http').split(',');
const keep = arg('keep');
const root = keep ?? mkdtempSync(path.join(os.tmpdir(), 'mreg-bench-remotes-'));
const served = path.join(root, 'served');
const bare = path.join(served, 'registry.git');
const run = promisify(execFile);
const env = {
  ...process.env,
  MREG_AUTHOR_NAME: 'bench',
  MREG_AUTHOR_EMAIL: 'bench@example.com',
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  GIT_SSH_COMMAND: FAKE_SSH,
  FAKE_SSH_HOME: served,
};
const git = (cwd, ...a) => execFileSync('git', a, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 }).trim();
// The http server runs in this process: anything that talks to it must not block the event loop.
const gitAsync = async (cwd, ...a) => (await run('git', a, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 })).stdout;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// CPU time (user + sys, children included) beside wall time: on a busy machine it is the steadier figure.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
/** Runs a command; resolves to [wall ms, cpu ms or NaN, stdout]. */
async function timed(cmd, args, cwd) {
  const t = performance.now();
  const r = TIME
    ? await run(TIME, ['-f', 'cpu %U %S', cmd, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 })
    : await run(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = performance.now() - t;
  const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  return [wall, m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, r.stdout];
}
const s = (ms) => (ms / 1000).toFixed(2);

if (!existsSync(bare)) {
  mkdirSync(served, { recursive: true });
  const t0 = performance.now();
  await makeSyntheticRegistry(bare, { models, versionsPerModel: 10, bare: true });
  console.log(`remote: ${models * 10} versions built with git fast-import in ${s(performance.now() - t0)} s`);
}
const clone = path.join(root, 'writer');
if (!existsSync(clone)) {
  const t0 = performance.now();
  await gitAsync(root, 'clone', '-q', bare, clone);
  git(clone, 'config', 'gc.auto', '0');
  console.log(`writer: native clone with checkout in ${s(performance.now() - t0)} s`);
}
const server = transports.includes('http') ? await startGitHttpServer(served) : undefined;
const urls = { file: `file://${bare}`, ssh: 'git@registry.example:registry.git', http: server?.url('registry.git') };

let next = 0;
/** A model no run has touched yet, so each run writes a fresh version 11 (native) or 11+ (mreg). */
const freshModel = () => synthModelName((next++ * 7919) % models, models);

try {
  for (const transport of transports) {
    git(clone, 'remote', 'set-url', 'origin', urls[transport]);
    await gitAsync(clone, 'pull', '-q', '--ff-only', 'origin', 'main');
    const mregMs = [];
    const nativeMs = [];
    const mregCpu = [];
    const nativeCpu = [];
    for (let i = 0; i < runs; i++) {
      const [wall, cpu, out] = await timed(
        process.execPath,
        [BIN, 'register', freshModel(), '--source', `s3://bench/${transport}/${Date.now()}-${i}`, '--push'],
        clone,
      );
      mregMs.push(wall);
      mregCpu.push(cpu);
      if (i === 0) console.log(`  ${transport}: ${out.trim()}`);

      // Native git: the same change — a new version file (format 2: nothing else changes).
      const m = freshModel();
      const dir = path.join(clone, 'models', m);
      writeFileSync(
        path.join(dir, 'versions', '11.yaml'),
        `version: 11\nsource: s3://bench/native/${Date.now()}-${i}\nstage: None\nstatus: READY\ncreated_at: 2026-01-01T00:00:00.000Z\nupdated_at: 2026-01-01T00:00:00.000Z\n`,
      );
      let wallSum = 0;
      let cpuSum = 0;
      for (const args of [
        ['add', `models/${m}`],
        ['commit', '-q', '-m', `native ${i}`],
        ['push', '-q', 'origin', 'HEAD:main'],
      ]) {
        const [w, c] = await timed('git', args, clone);
        wallSum += w;
        cpuSum += c;
      }
      nativeMs.push(wallSum);
      nativeCpu.push(cpuSum);
    }
    const m = median(mregMs);
    const n = median(nativeMs);
    const ratio = m / n;
    const cpuRatio = median(mregCpu) / median(nativeCpu);
    const target =
      transport === 'http'
        ? `${m <= 1000 ? 'within' : 'OVER'} the 1 s target`
        : `${ratio <= 1.5 ? 'within' : 'OVER'} the 1.5x target`;
    console.log(`  ${transport}: mreg register --push median ${s(m)} s (${mregMs.map(s).join(', ')})`);
    console.log(
      `  ${transport}: native add + commit + push median ${s(n)} s (${nativeMs.map(s).join(', ')}); ratio ${ratio.toFixed(2)}x — ${target}`,
    );
    if (TIME)
      console.log(
        `  ${transport}: CPU (user + sys, children included): mreg ${s(median(mregCpu))} s, native ${s(median(nativeCpu))} s; ratio ${cpuRatio.toFixed(2)}x`,
      );
    console.log(
      JSON.stringify({
        bench: 'remotes',
        transport,
        versions: models * 10,
        mreg_register_push_ms: Math.round(m),
        native_add_commit_push_ms: Math.round(n),
        ratio: +ratio.toFixed(2),
        ...(TIME ? { cpu_ratio: +cpuRatio.toFixed(2) } : {}),
        ...(transport === 'http' ? { target_s: 1 } : { target_ratio: 1.5 }),
      }),
    );
  }
  git(bare, 'fsck', '--no-progress');
} finally {
  await server?.close();
  if (!keep) rmSync(root, { recursive: true, force: true });
}
