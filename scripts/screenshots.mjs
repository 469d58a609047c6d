#!/usr/bin/env node
// Screenshots of the web UI for the README: builds the example registry (what `mreg serve --example`
// serves) in a temporary folder, starts the daemon on 127.0.0.1 and a free port, and saves PNGs of the
// main pages into docs/screenshots/ with headless Chromium (Debian's /usr/bin/chromium, or
// $CHROMIUM_PATH). Needs the build: `npm run build && node scripts/screenshots.mjs [outDir]`.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './lib/chromium.mjs';
import { materializeExample } from '../dist/registry/example.js';
import { buildDaemonConfig } from '../dist/daemon/config.js';
import { createLogger } from '../dist/daemon/log.js';
import { startDaemon } from '../dist/daemon/serve.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs', 'screenshots'));

const dir = await mkdtemp(path.join(os.tmpdir(), 'mreg-screens-'));
let daemon;
let browser;
try {
  await materializeExample(dir);
  daemon = await startDaemon(buildDaemonConfig({ repo: dir, port: 0, snapshot: false }, {}), {
    logger: createLogger('silent'),
  });
  await daemon.ready;
  const base = daemon.url;
  // A moment in the example's past: fraud v3 in Production and v4 in Staging, before v5 replaced them.
  const past = '2026-02-25T00:00:00Z';
  const shots = [
    ['models.png', '/', 1280],
    ['model.png', '/ui/models/fraud', 1280],
    ['version.png', '/ui/models/fraud/versions/4', 1280],
    ['history.png', '/ui/history', 1280],
    ['time-travel.png', `/ui/models/fraud?at=${encodeURIComponent(past)}`, 1280],
    ['search-error.png', `/?q=${encodeURIComponent('name LIKE fraud')}`, 1280],
    ['models-375.png', '/', 375],
    ['version-375.png', '/ui/models/fraud/versions/4', 375],
  ];
  browser = await launchChromium();
  await mkdir(OUT, { recursive: true });
  for (const [file, url, width] of shots) {
    const page = await browser.newPage({
      viewport: { width, height: width < 600 ? 812 : 900 },
      deviceScaleFactor: width < 600 ? 2 : 1,
    });
    const res = await page.goto(base + url, { waitUntil: 'load' });
    await page.screenshot({ path: path.join(OUT, file), fullPage: true });
    process.stdout.write(`${file}: ${url} (${res?.status()}) at ${width}px\n`);
    await page.close();
  }
} finally {
  await browser?.close();
  await daemon?.stop();
  await rm(dir, { recursive: true, force: true });
}
