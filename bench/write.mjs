#!/usr/bin/env node
// The write benchmark (issue 2): one whole `mreg register` process on registries of 1k, 10k and 100k
// versions with a work tree, against a whole native `git add && git commit` of the same change (a new
// version file + the edited model.yaml) in the same run; plus the library call itself, warm.
//
//   npm run build && node bench/write.mjs [--sizes 1000,10000,100000] [--rounds 7]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSyntheticRegistry, synthModelName } from './lib/synth.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { Registry } = await import(path.join(root, 'dist/index.js'));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const SIZES = arg('sizes', '1000,10000,100000').split(',').map(Number);
const ROUNDS = Number(arg('rounds', '7'));
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  MREG_AUTHOR_NAME: 'Bench',
  MREG_AUTHOR_EMAIL: 'bench@example.com',
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const results = [];

for (const versions of SIZES) {
  const models = versions / 10;
  const dir = mkdtempSync(path.join(os.tmpdir(), `mreg-bench-write-${versions}-`));
  try {
    process.stderr.write(`building ${versions} versions (${models} models) …\n`);
    await makeSyntheticRegistry(dir, { models, versionsPerModel: 10 });
    execFileSync('git', ['config', 'gc.auto', '0'], { cwd: dir });
    execFileSync('git', ['status', '--porcelain'], { cwd: dir, env }); // refresh the index's stat data once, for both sides
    const ours = [];
    const native = [];
    const target = synthModelName(Math.floor(models / 2), models);
    const nativeModel = synthModelName(Math.floor(models / 3), models);
    for (let r = 0; r < ROUNDS; r++) {
      // ours: a whole CLI process, as a pipeline calls it
      let t0 = process.hrtime.bigint();
      const p = spawnSync(
        process.execPath,
        [path.join(root, 'bin/mreg.js'), 'register', target, '--source', `s3://bench/${target}/${r}`, '--repo', dir],
        { env, encoding: 'utf8' },
      );
      ours.push(ms(t0));
      if (p.status !== 0) throw new Error(`mreg register failed: ${p.stderr}`);
      // native: the same change written by hand, then `git add` + `git commit` (two processes)
      const n = 11 + r;
      const vdir = path.join(dir, 'models', nativeModel, 'versions');
      const modelFile = path.join(dir, 'models', nativeModel, 'model.yaml');
      writeFileSync(
        path.join(vdir, `${n}.yaml`),
        `version: ${n}\nsource: s3://bench/${nativeModel}/${n}\nstage: None\nstatus: READY\ncreated_at: 2026-11-26T00:00:00.000Z\nupdated_at: 2026-11-26T00:00:00.000Z\n`,
      );
      writeFileSync(modelFile, readFileSync(modelFile, 'utf8').replace(/latest_version: \d+/, `latest_version: ${n}`));
      t0 = process.hrtime.bigint();
      execFileSync('git', ['add', `models/${nativeModel}/versions/${n}.yaml`, `models/${nativeModel}/model.yaml`], {
        cwd: dir,
        env,
      });
      execFileSync('git', ['commit', '-q', '-m', `${nativeModel}: v${n} registered`], { cwd: dir, env });
      native.push(ms(t0));
    }
    // the library call itself, warm: one process, one Registry, many writes
    const registry = await Registry.open(dir, { author: { name: 'Bench', email: 'bench@example.com' } });
    const lib = [];
    for (let r = 0; r < ROUNDS + 3; r++) {
      const t0 = process.hrtime.bigint();
      await registry.createModelVersion(target, `s3://bench/${target}/lib-${r}`);
      lib.push(ms(t0));
    }
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' }).trim();
    execFileSync('git', ['fsck', '--no-progress'], { cwd: dir });
    const row = {
      versions,
      ours_ms: median(ours),
      native_ms: median(native),
      ratio: median(ours) / median(native),
      library_warm_ms: median(lib.slice(3)),
      status_clean: status === '',
    };
    results.push(row);
    console.log(
      `write ${versions} versions: mreg register ${row.ours_ms.toFixed(0)} ms, native git add+commit ${row.native_ms.toFixed(0)} ms, ratio ${row.ratio.toFixed(2)}x (target ≤ 1.5x at 100k); library warm ${row.library_warm_ms.toFixed(1)} ms (target < 100 ms); status clean: ${row.status_clean}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(JSON.stringify({ bench: 'write', results }));
