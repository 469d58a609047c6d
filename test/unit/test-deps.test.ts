// The suite stands on its own: nothing under test/ imports from bench/ (benchmarks may change or go without a test
// noticing; what both need lives in scripts/lib/), and nothing reads the folder beside the checkout (the
// design notes' folder),
// which a user's clone does not have — recorded data belongs in test/fixtures/.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TEST_DIR = path.join(ROOT, 'test');
const BENCH_DIR = path.join(ROOT, 'bench');
const CODE = /\.(?:[cm]?ts|[cm]?js)$/;

/** Module specifiers in static imports and re-exports, side-effect imports, import() and require(). */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"`])([^'"`\n]+)\1/g;
/**
 * A path to the folder beside the checkout: a quoted relative path into it (any number of parent steps, either
 * slash), a longer path that passes through it, or the two segments given to path.join or path.resolve.
 */
const BESIDE = [
  /(['"`])(?:\.\.[/\\])*\.\.[/\\]shared(?:[/\\][^'"`\n]*)?\1/,
  /[/\\]\.\.[/\\]shared(?![\w-])/,
  /(['"`])\.\.\1\s*,\s*(['"`])shared\2/,
];

/** What in `text`, the source of the file at `file`, breaks the rule: one line each, empty when nothing does. */
function forbiddenReferences(file: string, text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[2]!;
    if (!spec.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), spec);
    if (target === BENCH_DIR || target.startsWith(BENCH_DIR + path.sep))
      found.push(`${path.relative(ROOT, file)} imports ${spec} (bench/)`);
  }
  text.split('\n').forEach((line, i) => {
    if (BESIDE.some((re) => re.test(line)))
      found.push(`${path.relative(ROOT, file)}:${i + 1} reads the folder beside the checkout: ${line.trim()}`);
  });
  return found;
}

function codeFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : codeFiles(p);
    return CODE.test(e.name) ? [p] : [];
  });
}

describe('test/ depends on neither bench/ nor the folder beside the checkout', () => {
  it('no file under test/ imports from bench/ or reads the folder beside the checkout', () => {
    const files = codeFiles(TEST_DIR);
    // The scan reaches the whole suite, helpers included (the files that once broke the rule among them).
    expect(files.length).toBeGreaterThan(30);
    for (const f of ['test/helpers/git-http-server.ts', 'test/integration/daemon-contract.test.ts'])
      expect(files).toContain(path.join(ROOT, f));
    expect(files.flatMap((f) => forbiddenReferences(f, readFileSync(f, 'utf8')))).toEqual([]);
  });

  // The planted texts are built from parts so that this file's own source holds no violation.
  const at = path.join(TEST_DIR, 'integration', 'planted.test.ts');
  const bench = '../../' + 'bench';
  const shared = 'sha' + 'red';

  it.each([
    ['a static import', `import { makeSyntheticRegistry } from '${bench}/lib/synth.mjs';`],
    ['a type re-export', `export { type GitHttpServer } from "${bench}/lib/git-http.mjs";`],
    ['a dynamic import', `const m = await import('${bench}/write.mjs');`],
    ['a side-effect import', `import '${bench}/lib/common.mjs';`],
    ['a require', `const x = require('${bench}/run.js');`],
  ])('a planted import from bench/ is found: %s', (_, text) => {
    expect(forbiddenReferences(at, text)).toEqual([expect.stringMatching(/planted\.test\.ts imports .*\(bench\/\)$/)]);
  });

  it.each([
    ['one path', `const R = path.resolve(ROOT, '../${shared}/mlflow-responses');`],
    ['path segments', `const R = path.join(ROOT, '..', '${shared}', 'mlflow-responses');`],
    ['a Windows separator', `const R = '..\\${shared}\\mlflow-responses';`],
    ['two levels up', `const R = path.resolve(HERE, '../../../${shared}');`],
    ['through a longer path', `const R = \`\${ROOT}/../${shared}/mlflow-responses\`;`],
  ])('a planted read of the folder beside the checkout is found: %s', (_, text) => {
    expect(forbiddenReferences(at, `// line one\n${text}`)).toEqual([
      expect.stringMatching(/planted\.test\.ts:2 reads the folder beside the checkout: /),
    ]);
  });

  it('what is allowed passes: scripts/lib, test helpers, fixtures, packages, and words like "bench" or "shared"', () => {
    const text = [
      `import { makeSyntheticRegistry } from '../../scripts/lib/synth.mjs';`,
      `import { startGitHttpServer } from '../helpers/git-http-server.js';`,
      `const F = path.join(ROOT, 'test/fixtures/mlflow-responses');`,
      `import autocannon from 'autocannon';`,
      `import { x } from './bench-like.js';`,
      `const cache = '../${shared}-cache'; // a sibling folder with another name`,
      `// the benchmarks in bench/ measure this; shared state is reset below`,
    ].join('\n');
    expect(forbiddenReferences(at, text)).toEqual([]);
  });
});
