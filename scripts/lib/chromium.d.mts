// Types for chromium.mjs (plain ESM, shared by the UI tests, the UI benchmark and the screenshots).
import type { Browser } from 'playwright-core';
export declare function launchChromium(): Promise<Browser>;
