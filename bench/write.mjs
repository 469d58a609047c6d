#!/usr/bin/env node
// The write benchmark (issue 2): one whole `mreg register` process on registries of 1k, 10k and 100k
// versions with a work tree, against a whole native `git add && git commit` of the same change (a new
// version file + the edited model.yaml) in the same run; plus the library call itself, warm.
//
//   npm run build && node bench/write.mjs [--sizes 1000,10000,100000] [--rounds 7]
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeSyntheticRegistry, synthModelName } from '../scripts/lib/synth.mjs';
import { BENCH_ENV as env, BIN, importDist, median, options, printSummary, scratch, timer } from './lib/common.mjs';

const opts = options({ sizes: '1000,10000,100000', rounds: 7 });
const SIZES = opts.sizes.split(',').map(Number);
const ROUNDS = opts.rounds;
const { Registry } = await importDist('index.js');
const results = [];

for (const versions of SIZES) {
  const models = versions / 10;
  const dir = scratch(`write-${versions}`);
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
      let elapsed = timer();
      const p = spawnSync(
        process.execPath,
        [BIN, 'register', target, '--source', `s3://bench/${target}/${r}`, '--repo', dir],
        { env, encoding: 'utf8' },
      );
      ours.push(elapsed());
      if (p.status !== 0) throw new Error(`mreg register failed: ${p.stderr}`);
      // native: the same change written by hand, then `git add` + `git commit` (two processes)
      const n = 11 + r;
      const vdir = path.join(dir, 'models', nativeModel, 'versions');
      writeFileSync(
        path.join(vdir, `${n}.yaml`),
        `version: ${n}\nsource: s3://bench/${nativeModel}/${n}\nstage: None\nstatus: READY\ncreated_at: 2026-11-26T00:00:00.000Z\nupdated_at: 2026-11-26T00:00:00.000Z\n`,
      );
      elapsed = timer();
      execFileSync('git', ['add', `models/${nativeModel}/versions/${n}.yaml`], {
        cwd: dir,
        env,
      });
      execFileSync('git', ['commit', '-q', '-m', `${nativeModel}: v${n} registered`], { cwd: dir, env });
      native.push(elapsed());
    }
    // the library call itself, warm: one process, one Registry, many writes
    const registry = await Registry.open(dir, { author: { name: 'Bench', email: 'bench@example.com' } });
    const lib = [];
    for (let r = 0; r < ROUNDS + 3; r++) {
      const elapsed = timer();
      await registry.createModelVersion(target, `s3://bench/${target}/lib-${r}`);
      lib.push(elapsed());
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
printSummary('write', { results });
