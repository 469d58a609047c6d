// What every benchmark needs, once: its command-line options, the repository's paths, the built package,
// statistics over samples, a timer, a scratch folder, a git identity, and the JSON line that bench/run.js
// collects into its summary. Plain JS: benchmarks run with bare node against dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/mreg.js');
const DIST = path.join(ROOT, 'dist');

/**
 * `--name value` options with their defaults: a number default reads a number, `false` makes a flag, anything
 * else (a string, or `undefined` for "not given") reads a string. An unknown option or a value that is not a
 * number stops the benchmark with a message naming it, before anything is built.
 */
export function options(defaults, argv = process.argv.slice(2)) {
  const spec = Object.fromEntries(
    Object.entries(defaults).map(([name, value]) => [name, { type: value === false ? 'boolean' : 'string' }]),
  );
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: false }));
  } catch (e) {
    usage(defaults, e.message);
  }
  const out = {};
  for (const [name, def] of Object.entries(defaults)) {
    const given = values[name];
    if (given === undefined) out[name] = def;
    else if (typeof def === 'number') {
      const n = Number(given);
      if (given.trim() === '' || !Number.isFinite(n)) usage(defaults, `--${name} wants a number, not '${given}'`);
      out[name] = n;
    } else out[name] = given;
  }
  return out;
}

function usage(defaults, message) {
  const known = Object.entries(defaults)
    .map(([name, def]) => (def === false ? `[--${name}]` : `[--${name} ${def ?? 'VALUE'}]`))
    .join(' ');
  console.error(`${path.basename(process.argv[1] ?? 'bench')}: ${message}\nusage: ${known}`);
  process.exit(2);
}

/** The path of `dist/<rel>`; stops the benchmark with a hint when it is not built. */
export function built(rel) {
  const file = path.join(DIST, rel);
  if (!existsSync(file)) {
    console.error(`dist/${rel} is missing: run \`npm run build\` first.`);
    process.exit(2);
  }
  return file;
}

/** Imports a module of the built package, `dist/<rel>`. */
export const importDist = (rel) => import(pathToFileURL(built(rel)).href);

/** The middle value (the mean of the two middle ones for an even count); NaN for no samples. */
export function median(samples) {
  const s = Float64Array.from(samples).sort();
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The nearest-rank percentile, `p` in (0, 1]: the smallest sample with at least p of them at or below it. */
export function percentile(samples, p) {
  const s = Float64Array.from(samples).sort();
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/** Starts a clock; calling the result gives the milliseconds since. */
export function timer() {
  const t0 = performance.now();
  return () => performance.now() - t0;
}

/** A number for a report line, or 'n/a' when it is not one. */
export const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** A new scratch folder under the system's temporary directory, named after the benchmark. */
export function scratch(name) {
  return mkdtempSync(path.join(os.tmpdir(), `mreg-bench-${name}-`));
}

/** The environment for git and mreg processes a benchmark starts: one fixed author and committer. */
export const BENCH_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  MREG_AUTHOR_NAME: 'Bench',
  MREG_AUTHOR_EMAIL: 'bench@example.com',
};

/**
 * Runs the CLI once in `cwd` under /usr/bin/time: wall milliseconds, and the CPU milliseconds (user + system) the
 * process used, which tell a busy machine from a slow run. Throws with the process's output if it fails.
 */
export function timeMreg(args, { cwd, env = BENCH_ENV } = {}) {
  const elapsed = timer();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, BIN, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const ms = elapsed();
  const lines = r.stderr.trim().split('\n');
  const [user, system] = (lines.at(-1) ?? '').split(' ').map(Number);
  const stderr = lines.slice(0, -1).join('\n');
  if (r.status !== 0) throw new Error(`mreg ${args.join(' ')} exited ${r.status}: ${r.stdout.slice(0, 500)} ${stderr}`);
  return { ms, cpuMs: (user + system) * 1000, stdout: r.stdout, stderr };
}

/** Prints the benchmark's one summary line, `{"bench": name, …}`, which bench/run.js gathers. */
export function printSummary(bench, fields) {
  console.log(JSON.stringify({ bench, ...fields }));
}
