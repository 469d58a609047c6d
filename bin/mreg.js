#!/usr/bin/env node
// The CLI, bundled by `npm run build` (scripts/bundle.mjs) so a process starts in one module load.
import '../dist/bundle/main.mjs';
