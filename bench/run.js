#!/usr/bin/env node
// `npm run bench`: runs every benchmark in turn (each prints its figures and ratios against a reference
// measured in the same run: native git, a bare node:http server) and ends with a summary of the JSON lines
// they print. `node bench/run.js write serve` runs only those. Nothing here is a test: figures, not verdicts.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ALL = [
  'write',
  'store-commit',
  'validate',
  'history',
  'push',
  'remotes',
  'serve',
  'ui-pages',
  'import',
  'events',
  'gateway',
];
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = (wanted.length ? wanted : ALL).filter((n) => existsSync(path.join(here, `${n}.mjs`)));
const summary = [];

for (const name of names) {
  console.log(`\n=== bench/${name}.mjs ===`);
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, `${name}.mjs`)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('{"bench"')) {
          try {
            summary.push(JSON.parse(line));
          } catch {
            /* not a summary line */
          }
        }
      }
    });
    child.on('exit', (c) => resolve(c ?? 1));
  });
  if (code !== 0) summary.push({ bench: name, failed: true, exit: code });
}

console.log('\n=== summary ===');
for (const s of summary) console.log(JSON.stringify(s));
