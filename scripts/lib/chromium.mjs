// The headless Chromium that the UI tests, the UI benchmark and the screenshots drive through playwright-core: the
// system's browser (Debian's /usr/bin/chromium, or $CHROMIUM_PATH), never one downloaded at run time, started
// with the same flags everywhere (no sandbox in containers, no GPU, no background traffic).
import { chromium } from 'playwright-core';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS });
}
