// The web UI in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core), served by the
// real daemon on 127.0.0.1 from a registry written with the library at fixed times: navigation, search,
// sorting, paging, time travel, pages without JavaScript, a narrow screen, and XSS payloads that must
// stay text.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDaemonConfig } from '../../src/daemon/config.js';
import { createLogger } from '../../src/daemon/log.js';
import { startDaemon, type Daemon } from '../../src/daemon/serve.js';
import { initRegistry, Registry } from '../../src/index.js';
import { git } from '../helpers/registry.js';
import { launchChromium } from '../../scripts/lib/chromium.mjs';

const AUTHOR = { name: 'Test Author', email: 'test@example.com' };
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

const XSS_NAME = `x"><img src=x onerror=window.__xss=1>`;
const WEIRD_NAME = `q?a#b é & 'o' @ <tag>`;
const XSS_MD = [
  '<script>window.__xss=1</script>',
  '<img src=x onerror="window.__xss=1">',
  '[click me](javascript:window.__xss=1)',
  '[also me](JAVASCRIPT:window.__xss=1)',
  '<a href="javascript:window.__xss=1">raw anchor</a>',
  '[fine](https://example.com/docs)',
].join('\n\n');
const BIG_VERSIONS = 230;

interface Fixture {
  dir: string;
  daemon: Daemon;
  /** fraud v2 in Staging and v1 in Production: the commit, and a time just after it. */
  beforePromotion: string;
  beforePromotionTime: string;
  modelCount: number;
}

let fx: Fixture;
let browser: Browser;

async function buildRegistry(dir: string): Promise<Omit<Fixture, 'daemon' | 'dir'>> {
  let t = T0 - 60_000;
  const clock = () => (t += 60_000);
  await initRegistry(dir, { author: AUTHOR, clock });
  const r = await Registry.open(dir, { author: AUTHOR, clock });
  let models = 0;

  await r.createRegisteredModel('fraud', {
    description: '# Fraud scorer\n\nScores **card** transactions. Runbook: https://wiki.example/fraud',
    tags: { team: 'risk', tier: '1' },
  });
  models++;
  const lineage = (n: number) => ({
    runId: `run${n}`.padEnd(32, '0'),
    runLink: `https://mlflow.example/#/experiments/1/runs/run${n}`,
    digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
    codeCommit: 'c0ffee'.padEnd(40, '0'),
    dataset: `bq://acme.tx@2026-01-0${n}`,
    description: `Version ${n} of **fraud**\n\nMore text.`,
    tags: { auc: `0.9${n}` },
  });
  await r.createModelVersion('fraud', 's3://bucket/fraud/1', lineage(1));
  await r.transitionModelVersionStage('fraud', 1, 'Staging');
  await r.transitionModelVersionStage('fraud', 1, 'Production');
  await r.setRegisteredModelAlias('fraud', 'champion', 1);
  await r.createModelVersion('fraud', 's3://bucket/fraud/2', lineage(2));
  await r.transitionModelVersionStage('fraud', 2, 'Staging');
  const beforePromotion = (await git(dir, 'rev-parse', 'HEAD')).trim();
  const beforePromotionTime = new Date(t + 30_000).toISOString();
  await r.transitionModelVersionStage('fraud', 2, 'Production', { archiveExistingVersions: true });
  await r.setRegisteredModelAlias('fraud', 'champion', 2);

  await r.createRegisteredModel('churn-old', { tags: { team: 'growth' } });
  models++;
  await r.createModelVersion('churn-old', 's3://bucket/churn/1');
  await r.renameRegisteredModel('churn-old', 'churn');
  await r.transitionModelVersionStage('churn', 1, 'Staging');

  // Hostile data everywhere a person can type.
  await r.createRegisteredModel(XSS_NAME, {
    description: XSS_MD,
    tags: { note: '<img src=x onerror="window.__xss=1">', 'a b': '"><script>window.__xss=1</script>' },
  });
  models++;
  await r.createModelVersion(XSS_NAME, 's3://bucket/<script>window.__xss=1</script>', {
    runId: '"><svg onload=window.__xss=1>',
    runLink: 'javascript:window.__xss=1',
    description: XSS_MD,
    tags: { payload: '<img src=x onerror=window.__xss=1>' },
    dataset: '<img src=x onerror=window.__xss=1>',
  });
  await r.transitionModelVersionStage(XSS_NAME, 1, 'Staging');
  await r.setRegisteredModelAlias(XSS_NAME, 'champion', 1);
  await r.createRegisteredModel(WEIRD_NAME, { description: 'A name with `?`, `#`, `&`, quotes and unicode.' });
  models++;
  await r.createModelVersion(WEIRD_NAME, 's3://bucket/weird/1');

  // A model with a few hundred versions (5 pages of 50) and one deleted number.
  await r.createRegisteredModel('big', { tags: { team: 'search' } });
  models++;
  for (let i = 1; i <= BIG_VERSIONS; i++)
    await r.createModelVersion('big', `s3://bucket/big/${i}`, { description: `build ${i}` });
  await r.transitionModelVersionStage('big', 200, 'Production');
  await r.transitionModelVersionStage('big', 229, 'Staging');
  await r.deleteModelVersion('big', 7);

  // Enough models for two pages of the list (25 a page).
  for (let i = 0; i < 26; i++) {
    await r.createRegisteredModel(`m-${String(i).padStart(2, '0')}`, { tags: { team: i % 2 ? 'risk' : 'ops' } });
    models++;
  }
  return { beforePromotion, beforePromotionTime, modelCount: models };
}

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mreg-ui-e2e-'));
  const built = await buildRegistry(dir);
  const daemon = await startDaemon(buildDaemonConfig({ repo: dir, port: 0, snapshot: false, pollMs: 60_000 }, {}), {
    logger: createLogger('silent'),
  });
  await daemon.ready;
  fx = { dir, daemon, ...built };
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await fx?.daemon.stop();
  if (fx) await rm(fx.dir, { recursive: true, force: true });
});

interface Session {
  context: BrowserContext;
  page: Page;
  dialogs: string[];
  cspErrors: string[];
  pageErrors: string[];
}

async function session(opts: { javaScriptEnabled?: boolean; width?: number } = {}): Promise<Session> {
  const context = await browser.newContext({
    javaScriptEnabled: opts.javaScriptEnabled ?? true,
    viewport: { width: opts.width ?? 1280, height: 900 },
  });
  const page = await context.newPage();
  const s: Session = { context, page, dialogs: [], cspErrors: [], pageErrors: [] };
  page.on('dialog', (d) => {
    s.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) s.cspErrors.push(m.text());
  });
  page.on('pageerror', (e) => s.pageErrors.push(e.message));
  // Nothing outside the daemon is ever fetched (the markdown's external links are not followed).
  await context.route(/^(?!http:\/\/127\.0\.0\.1:)/, (route) => route.abort());
  return s;
}

const url = (p: string) => fx.daemon.url + p;
const modelHref = (name: string) => `/ui/models/${encodeURIComponent(name)}`;

async function texts(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
}

async function xssState(page: Page): Promise<unknown> {
  return page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);
}

async function hrefs(page: Page): Promise<string[]> {
  return page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
}

describe('web UI in Chromium', () => {
  it('navigates list → model → version → activity by clicking, with security headers on every page', async () => {
    const { page, context, cspErrors, pageErrors } = await session();
    const res = await page.goto(url('/'));
    expect(res!.status()).toBe(200);
    const h = res!.headers();
    expect(h['content-security-policy']).toContain("default-src 'none'");
    expect(h['content-security-policy']).toContain("script-src 'self'");
    expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['referrer-policy']).toBe('no-referrer');
    expect(h['x-frame-options']).toBe('DENY');
    expect(await page.locator('h1').textContent()).toBe('Registered models');
    expect(await texts(page, 'thead th')).toEqual([
      'Name▲',
      'Latest version',
      'Staging',
      'Production',
      'Aliases',
      'Tags',
      'Last modified↕',
    ]);
    const fraudRow = page.locator('tbody tr', { has: page.locator('td.name', { hasText: /^fraud$/ }) });
    expect((await fraudRow.locator('td').allTextContents()).map((t) => t.trim().replace(/\s+/g, ' '))).toEqual([
      'fraud',
      'Version 2',
      '—',
      'v2',
      '@championv2',
      'teamrisktier1',
      '2026-01-01 12:08',
    ]);

    await page.getByRole('link', { name: 'fraud', exact: true }).click();
    await page.waitForURL(url('/ui/models/fraud'));
    expect(await page.locator('h1').textContent()).toBe('fraud');
    expect(await page.locator('.md h3').textContent()).toBe('Fraud scorer'); // Markdown rendered, heading moved down
    expect(await page.locator('.md a').getAttribute('href')).toBe('https://wiki.example/fraud');
    expect(await texts(page, 'table.collapse tbody td:first-child')).toEqual(['Version 2', 'Version 1']);
    expect(await texts(page, 'table.collapse tbody td:nth-child(2)')).toEqual(['Production', 'Archived']);
    expect(await page.locator('.cmd code').allTextContents()).toContain('mreg alias fraud champion 2');

    await page.getByRole('link', { name: 'Version 2', exact: true }).first().click();
    await page.waitForURL(url('/ui/models/fraud/versions/2'));
    expect(await page.locator('h1').textContent()).toBe('fraud · Version 2');
    expect(await page.locator('.page-head .badge').textContent()).toBe('Production');
    const lineage = Object.fromEntries(
      await page.locator('#lineage-h + dl.props').evaluate((dl) => {
        const dts = [...dl.querySelectorAll('dt')];
        return dts.map((dt) => [dt.textContent!.trim(), (dt.nextElementSibling?.textContent ?? '').trim()]);
      }),
    );
    expect(lineage).toEqual({
      'Run ID': 'run2'.padEnd(32, '0'),
      'Run link': 'https://mlflow.example/#/experiments/1/runs/run2',
      Source: 's3://bucket/fraud/2',
      'Download URI': 's3://bucket/fraud/2',
      Digest: `sha256:${'2'.repeat(64)}`,
      'Code commit': 'c0ffee'.padEnd(40, '0'),
      Dataset: 'bq://acme.tx@2026-01-02',
      User: 'Test Author',
    });
    expect(await page.locator('#lineage-h + dl.props a').getAttribute('href')).toBe(
      'https://mlflow.example/#/experiments/1/runs/run2',
    );
    // This version's history: every change (alias moves included), newest first, with author and short commit.
    const history = await texts(page, '.timeline > li');
    expect(history).toHaveLength(4);
    expect(history[0]).toMatch(
      /^2026-01-01 12:09:00\s*Test Author\s*[0-9a-f]{7}\s*fraud: alias champion → v2 \(was v1\)\s*fraud: alias @champion\s*→\s*to\s*fraud v2\s*\(was v1\)$/,
    );
    expect(history[1]).toMatch(
      /^2026-01-01 12:08:00\s*Test Author\s*[0-9a-f]{7}\s*fraud: v2 Staging → Production; archived v1/,
    );
    expect(history[2]).toMatch(/None\s*→\s*to\s*Staging/);
    expect(history[3]).toMatch(/fraud v2 registered from s3:\/\/bucket\/fraud\/2/);
    const cmds = await page.locator('.cmd code').allTextContents();
    expect(cmds).toContain('mreg alias fraud champion 2');
    expect(cmds).toContain('mreg transition fraud 2 Archived');
    expect(cmds).toContain('mreg history fraud 2');

    await page.getByRole('link', { name: 'Activity', exact: true }).first().click();
    await page.waitForURL(url('/ui/history'));
    expect(await page.locator('h1').textContent()).toBe('Activity');
    const times = await page
      .locator('.timeline > li .when time')
      .evaluateAll((ts) => ts.map((t) => Date.parse(t.getAttribute('datetime')!)));
    expect(times.length).toBe(30);
    expect([...times].sort((a, b) => b - a)).toEqual(times); // newest first
    expect(cspErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('searches with the MLflow grammar, plain text, and shows MLflow’s message for a bad filter', async () => {
    const { page, context } = await session();
    await page.goto(url('/'));
    await page.getByLabel('Search', { exact: true }).fill("tags.team = 'risk' AND name LIKE 'm-0%'");
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\?q=/);
    expect(await texts(page, 'tbody td.name')).toEqual(['m-01', 'm-03', 'm-05', 'm-07', 'm-09']);
    expect(new URL(page.url()).searchParams.get('q')).toBe("tags.team = 'risk' AND name LIKE 'm-0%'");
    expect(await page.locator('.cmd code').allTextContents()).toContain(
      `mreg search --filter 'tags.team = '\\''risk'\\'' AND name LIKE '\\''m-0%'\\'''`,
    );

    await page.goto(url('/?q=FRAU'));
    expect(await texts(page, 'tbody td.name')).toEqual(['fraud']);
    expect(await page.locator('.result-line').textContent()).toContain("name ILIKE '%FRAU%'");

    const bad = await page.goto(url(`/?q=${encodeURIComponent('name LIKE fraud')}`));
    expect(bad!.status()).toBe(400);
    expect(await page.locator('.banner.error').textContent()).toContain(
      'Parameter value is either not quoted or unidentified quote types used for string value fraud',
    );
    expect(await page.getByLabel('Search', { exact: true }).inputValue()).toBe('name LIKE fraud');
    const bad2 = await page.goto(url(`/?q=${encodeURIComponent("tags.team = 'risk' OR name = 'x'")}`));
    expect(bad2!.status()).toBe(400);
    expect(await page.locator('.banner.error code').textContent()).toMatch(/Invalid clause|OR/);

    await page.goto(url(`/?q=${encodeURIComponent("name = 'nothing-here'")}`));
    expect(await page.locator('.empty h2').textContent()).toBe('No models match');
    await context.close();
  });

  it('sorts and paginates the list, keeping page, filter and order in the URL', async () => {
    const { page, context } = await session();
    await page.goto(url('/'));
    expect(await page.locator('.pager .count').textContent()).toBe(`Showing 1–25 of ${fx.modelCount} models`);
    const first = await texts(page, 'tbody td.name');
    expect(first).toHaveLength(25);
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/page=2/);
    const second = await texts(page, 'tbody td.name');
    expect(second).toHaveLength(fx.modelCount - 25);
    expect(second.some((n) => first.includes(n))).toBe(false);

    await page.getByRole('link', { name: /Last modified/ }).click();
    await page.waitForURL(/order=-updated/);
    expect(new URL(page.url()).searchParams.get('page')).toBeNull(); // a new order starts at page 1
    expect((await texts(page, 'tbody td.name'))[0]).toBe('m-25'); // the most recently modified
    expect(await page.locator('th[aria-sort]').getAttribute('aria-sort')).toBe('descending');
    await page.getByRole('link', { name: /^Name/ }).click();
    await page.waitForURL((u) => !u.search.includes('order'));
    await page.getByRole('link', { name: /^Name/ }).click();
    await page.waitForURL(/order=-name/);
    const desc = await texts(page, 'tbody td.name');
    expect(desc[0]).toBe(XSS_NAME); // code-point order, descending: 'x"…' sorts after 'q?…'

    await page.goto(url(`/?q=${encodeURIComponent("tags.team = 'risk'")}&order=-name&page=2`));
    expect(await page.locator('.pager .count').textContent()).toBe('Showing 1–14 of 14 models'); // out-of-range page → last page
    await context.close();
  });

  it('pages through a model with a few hundred versions, newest first, 50 a page, by stage', async () => {
    const { page, context } = await session();
    await page.goto(url('/ui/models/big'));
    const nums = async () =>
      (await texts(page, 'table.collapse tbody td:first-child')).map((t) => Number(t.replace('Version ', '')));
    let shown = await nums();
    expect(shown).toEqual(Array.from({ length: 50 }, (_, i) => BIG_VERSIONS - i));
    expect(await page.locator('.pager .count').textContent()).toBe(`Showing 1–50 of ${BIG_VERSIONS - 1} versions`);
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/page=2/);
    shown = await nums();
    expect(shown[0]).toBe(180);
    expect(shown).toHaveLength(50);
    await page.getByRole('link', { name: 'Page 5' }).click();
    await page.waitForURL(/page=5/);
    shown = await nums();
    expect(shown).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i).filter((n) => n !== 7)); // v7 was deleted
    await page.getByRole('link', { name: /^Production/ }).click();
    await page.waitForURL(/stage=Production/);
    expect(await nums()).toEqual([200]);
    await page.locator('th a.sort').click(); // the Version column header: oldest first, the stage kept
    await page.waitForURL(/order=asc/);
    expect(new URL(page.url()).searchParams.get('stage')).toBe('Production');
    await page.goto(url('/ui/models/big?order=asc'));
    expect((await nums()).slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 8, 9]);
    // The deleted version has a 404 page that says so.
    const gone = await page.goto(url('/ui/models/big/versions/7'));
    expect(gone!.status()).toBe(404);
    expect(await page.locator('.lead').textContent()).toContain('Version 7 of big was deleted');
    await context.close();
  });

  it('time travel: ?at= shows the old stage under a banner, links keep at, and back to now leaves it', async () => {
    const { page, context } = await session();
    const short = fx.beforePromotion.slice(0, 7);
    await page.goto(url(`/ui/models/fraud/versions/2?at=${fx.beforePromotion}`));
    expect(await page.locator('.page-head .badge').textContent()).toBe('Staging');
    const banner = (await page.locator('#time-travel').textContent())!.replace(/\s+/g, ' ');
    expect(banner).toContain('Viewing the registry as of 2026-01-01 12:07:00 UTC');
    expect(banner).toContain(`commit ${short}`);
    expect(banner).toContain('back to now');
    // Every link to a page of the UI carries the commit.
    const internal = (await hrefs(page)).filter(
      (h) =>
        h.startsWith('/') &&
        !h.startsWith('/api') &&
        !h.startsWith('/readyz') &&
        !h.startsWith('/metrics') &&
        !h.startsWith('/static') &&
        // Webhook delivery is the present state of `mreg notify`, not part of any commit: that page has no `at`.
        h !== '/ui/webhooks',
    );
    const backToNow = await page.getByRole('link', { name: 'back to now' }).getAttribute('href');
    for (const h of internal) if (h !== backToNow) expect(h, h).toMatch(/[?&]at=[0-9a-f]{40}/);
    await page.getByRole('link', { name: 'fraud', exact: true }).first().click();
    await page.waitForURL(new RegExp(`/ui/models/fraud\\?at=${fx.beforePromotion}`));
    expect(await texts(page, 'table.collapse tbody td:nth-child(2)')).toEqual(['Staging', 'Production']);
    await page.getByRole('link', { name: 'back to now' }).click();
    await page.waitForURL(url('/ui/models/fraud'));
    expect(await page.locator('#time-travel').count()).toBe(0);
    expect(await texts(page, 'table.collapse tbody td:nth-child(2)')).toEqual(['Production', 'Archived']);

    // By time: the newest commit at or before it, and the banner says what was asked.
    await page.goto(url(`/?at=${encodeURIComponent(fx.beforePromotionTime)}`));
    expect(await page.locator('#time-travel').textContent()).toContain(fx.beforePromotionTime);
    expect(await page.locator('#time-travel code').first().textContent()).toBe(short);
    // The search form keeps the moment too.
    await page.getByLabel('Search', { exact: true }).fill('fraud');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(new RegExp(`at=${fx.beforePromotion}`));
    expect(await texts(page, 'tbody td:nth-child(3)')).toEqual(['v2']); // v2 is in Staging then

    // A bad `at` is a 400 page that says why.
    const bad = await page.goto(url('/ui/models/fraud?at=no..such..ref'));
    expect(bad!.status()).toBe(400);
    expect(await page.locator('.lead').textContent()).toContain(
      "'no..such..ref' is neither a commit, a ref nor a time",
    );
    const early = await page.goto(url('/?at=2000-01-01T00:00:00Z'));
    expect(early!.status()).toBe(400);
    expect(await page.locator('.lead').textContent()).toContain('had no commits');
    await context.close();
  });

  it('activity: newest first, filtered by model across a rename, paged by commit', async () => {
    const { page, context } = await session();
    await page.goto(url('/ui/history'));
    await page.getByLabel('Model').fill('churn');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/model=churn/);
    // What is shown (the screen-reader-only words left out), one operation per item.
    const ops = await page.locator('.timeline .ops > li').evaluateAll((lis) =>
      lis.map((li) => {
        const c = li.cloneNode(true) as HTMLElement;
        c.querySelectorAll('.sr-only').forEach((e) => e.remove());
        return (c.textContent ?? '').replace(/\s+/g, ' ').trim();
      }),
    );
    expect(ops).toEqual([
      'churn v1: None → Staging',
      'churn-old renamed → churn',
      'churn-old v1 registered from s3://bucket/churn/1',
      'churn-old created',
      'churn-old: tag team = growth',
    ]);
    // Unfiltered, pages of 30 commits go back with ?before=.
    await page.goto(url('/ui/history'));
    const page1 = await page.locator('.timeline .oid').allTextContents();
    await page.getByRole('link', { name: 'Older →' }).click();
    await page.waitForURL(/before=[0-9a-f]{40}/);
    const page2 = await page.locator('.timeline .oid').allTextContents();
    expect(page2).toHaveLength(30);
    expect(page2.some((o) => page1.includes(o))).toBe(false);
    // A commit id links to the registry as of that commit.
    const oidLink = page.locator('.timeline .oid').first();
    const target = await oidLink.getAttribute('href');
    expect(target).toMatch(/^\/\?at=[0-9a-f]{40}$/);
    await oidLink.click();
    await page.waitForURL(/at=/);
    expect(await page.locator('#time-travel').count()).toBe(1);
    await context.close();
  });

  it('never runs an XSS payload from a name, description, tag, source, run link or dataset', async () => {
    const { page, context, dialogs, pageErrors } = await session();
    const pages = [
      '/',
      modelHref(XSS_NAME),
      `${modelHref(XSS_NAME)}/versions/1`,
      `/ui/history?model=${encodeURIComponent(XSS_NAME)}`,
      '/ui/history',
      `/?q=${encodeURIComponent("name LIKE 'x%'")}`,
    ];
    for (const p of pages) {
      const res = await page.goto(url(p));
      expect(res!.status(), p).toBe(200);
      expect(await xssState(page), p).toBeUndefined();
      const all = await hrefs(page);
      expect(
        all.filter((h) => /^\s*(javascript|data|vbscript):/i.test(h)),
        p,
      ).toEqual([]);
      expect(await page.locator('img').count(), p).toBe(0);
      expect(await page.locator('script:not([src])').count(), p).toBe(0);
    }
    // The hostile name is text, in the heading and the breadcrumbs, and its links round-trip.
    await page.goto(url('/?page=2'));
    await page.getByRole('link', { name: XSS_NAME, exact: true }).click();
    await page.waitForURL(url(modelHref(XSS_NAME)));
    expect(await page.locator('h1').textContent()).toBe(XSS_NAME);
    const md = page.locator('#desc-h + .md');
    expect(await md.textContent()).toContain('<script>window.__xss=1</script>');
    expect(await md.textContent()).toContain('[click me](javascript:window.__xss=1)');
    expect(await md.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual([
      'https://example.com/docs',
    ]);
    // Click every link on the model and version pages that stays on the daemon, then check again.
    for (const start of [modelHref(XSS_NAME), `${modelHref(XSS_NAME)}/versions/1`]) {
      await page.goto(url(start));
      const count = await page.locator('main a[href^="/"]').count();
      for (let i = 0; i < count; i++) {
        await page.goto(url(start));
        await page.locator('main a[href^="/"]').nth(i).click();
        await page.waitForLoadState('load');
        expect(await xssState(page), `link ${i} of ${start}`).toBeUndefined();
      }
      // And the in-description links that were refused are plain text: clicking them does nothing.
      await page.goto(url(start));
      await page.getByText('[click me](javascript:window.__xss=1)').first().click();
      expect(await xssState(page)).toBeUndefined();
    }
    await page.goto(url(`${modelHref(XSS_NAME)}/versions/1`));
    expect(await page.locator('h1').textContent()).toBe(`${XSS_NAME} · Version 1`);
    const runLink = await page.locator('#lineage-h + dl.props dd').nth(1).innerHTML();
    expect(runLink).not.toContain('<a');
    expect(await page.locator('#lineage-h + dl.props dd').nth(1).textContent()).toContain(
      'javascript:window.__xss=1 (not an http(s) link)',
    );
    // A name with ? # & quotes and unicode round-trips through its URL.
    await page.goto(url('/?page=2'));
    await page.getByRole('link', { name: WEIRD_NAME, exact: true }).click();
    await page.waitForURL(url(modelHref(WEIRD_NAME)));
    expect(await page.locator('h1').textContent()).toBe(WEIRD_NAME);
    await page.getByRole('link', { name: 'Version 1', exact: true }).first().click();
    expect(await page.locator('h1').textContent()).toBe(`${WEIRD_NAME} · Version 1`);
    expect(await page.locator('.cmd code').allTextContents()).toContain(
      `mreg history 'q?a#b é & '\\''o'\\'' @ <tag>' 1`,
    );
    expect(await xssState(page)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    await context.close();
  });

  it('works without JavaScript: navigation, search and paging are links and GET forms', async () => {
    const { page, context } = await session({ javaScriptEnabled: false });
    await page.goto(url('/'));
    await page.getByLabel('Search', { exact: true }).fill('big');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=big/);
    await page.getByRole('link', { name: 'big', exact: true }).click();
    await page.waitForURL(url('/ui/models/big'));
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/page=2/);
    await page.getByRole('link', { name: 'Version 180', exact: true }).click();
    expect(await page.locator('h1').textContent()).toBe('big · Version 180');
    expect(await page.locator('button.copy').count()).toBe(0); // the Copy buttons are the script's
    await context.close();
  });

  it('is usable 375 px wide: nothing overflows the viewport, tables become cards', async () => {
    const { page, context } = await session({ width: 375 });
    for (const p of [
      '/',
      '/ui/models/fraud',
      '/ui/models/fraud/versions/2',
      '/ui/history',
      modelHref(XSS_NAME),
      `/ui/models/big?at=${fx.beforePromotion}`,
    ]) {
      await page.goto(url(p));
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow, p).toBeLessThanOrEqual(0);
    }
    await page.goto(url('/'));
    expect(await page.locator('thead th:not(.sortable)').first().isVisible()).toBe(false);
    expect(
      await page
        .locator('tbody td.time')
        .first()
        .evaluate((td) => getComputedStyle(td, '::before').content),
    ).toBe('"Modified"');
    await context.close();
  });

  it('answers 404 pages for unknown models, versions and paths, and serves hashed static files', async () => {
    const { page, context } = await session();
    let res = await page.goto(url('/ui/models/nope'));
    expect(res!.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('Model not found');
    res = await page.goto(url('/ui/models/fraud/versions/99'));
    expect(res!.status()).toBe(404);
    expect(await page.locator('.lead').textContent()).toBe('fraud has no version 99 (the latest is version 2).');
    res = await page.goto(url('/ui/models/fraud/versions/x1'));
    expect(res!.status()).toBe(404);
    res = await page.goto(url('/ui/nothing'));
    expect(res!.status()).toBe(404);
    expect(res!.headers()['content-security-policy']).toContain("default-src 'none'");
    res = await page.goto(url('/ui/models/%E0%A4%A'));
    expect(res!.status()).toBe(404);
    const css = await page.locator('link[rel=stylesheet]').getAttribute('href');
    expect(css).toMatch(/^\/static\/mreg\.css\?v=[0-9a-f]{12}$/);
    const r1 = await fetch(url(css!));
    expect(r1.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(r1.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const r2 = await fetch(url('/static/mreg.css'));
    expect(r2.headers.get('cache-control')).toBe('no-cache');
    const r3 = await fetch(url('/static/mreg.css'), { headers: { 'If-None-Match': r2.headers.get('etag')! } });
    expect(r3.status).toBe(304);
    expect((await fetch(url('/static/../package.json'))).status).toBe(404);
    expect((await fetch(url('/static/nothing.js'))).status).toBe(404);
    const post = await fetch(url('/ui/models/fraud'), { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await context.close();
  });
});
