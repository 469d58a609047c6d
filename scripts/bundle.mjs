// Bundles the CLI (dist/cli/main.js and what it imports) into dist/bundle/, run by `npm run build` after tsc.
// Why: a CLI process spent ~100 ms resolving and compiling ~150 separate ES modules (yargs 18 alone is ~60 ms
// of them) before doing any work; one bundle with lazily loaded chunks (serve, the example) loads in a fraction.
// isomorphic-git, chokidar and markdown-it stay external: they are loaded only by the commands that need them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

rmSync(path.join(root, 'dist/bundle'), { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'dist/cli/main.js')],
  outdir: path.join(root, 'dist/bundle'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['isomorphic-git', 'isomorphic-git/*', 'chokidar', 'markdown-it'],
  // CommonJS dependencies bundled into ESM call require(); give them Node's.
  banner: {
    js: "import { createRequire as __mregCreateRequire } from 'node:module'; const require = __mregCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  legalComments: 'none',
});
