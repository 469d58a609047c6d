// The UI's activity and version pages in a real Chromium after a pull request merged with a merge commit: the
// promotion shows under the person who made it, with the merge that brought it in and who merged it.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { launchChromium } from '../../scripts/lib/chromium.mjs';
import { freshRegistry, git } from '../helpers/registry.js';
import { serveRepo } from '../helpers/daemon.js';

describe('UI history across a merge, in Chromium', () => {
  it('the activity page and the version page show the commit that made the change and the merge under it', async () => {
    const { dir, registry: r } = await freshRegistry();
    await r.createRegisteredModel('fraud');
    await r.createModelVersion('fraud', 's3://b/1');
    await git(dir, 'checkout', '-q', '-b', 'promote');
    // Alice promotes on a branch (a hand edit of stage:, as a pull request does), Rita merges it.
    const file = path.join(dir, 'models', 'fraud', 'versions', '1.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('stage: None', 'stage: Production'));
    await git(dir, 'add', '-A');
    await git(
      dir,
      '-c',
      'user.name=Alice Doe',
      '-c',
      'user.email=alice@example.com',
      'commit',
      '-q',
      '-m',
      'Promote v1',
    );
    const promotion = (await git(dir, 'rev-parse', 'HEAD')).trim();
    await git(dir, 'checkout', '-q', 'main');
    await git(
      dir,
      '-c',
      'user.name=Rita Reviewer',
      '-c',
      'user.email=rita@example.com',
      'merge',
      '-q',
      '--no-ff',
      'promote',
      '-m',
      'Merge pull request #7 from promote',
    );
    const merge = (await git(dir, 'rev-parse', 'HEAD')).trim();

    const daemon = await serveRepo(dir);
    const browser = await launchChromium();
    onTestFinished(() => browser.close());
    const page = await browser.newPage();
    for (const where of ['/ui/history', '/ui/models/fraud/versions/1']) {
      await page.goto(daemon.url + where);
      const rows = await page.locator('.timeline > li').evaluateAll((lis) =>
        lis.map((li) => ({
          who: li.querySelector('.meta .who')?.textContent?.trim(),
          oid: li.querySelector('.meta .oid')?.textContent?.trim(),
          via: li.querySelector('.via')?.textContent?.replace(/\s+/g, ' ').trim() ?? null,
          ops: [...li.querySelectorAll('.ops > li')].map((o) => (o.textContent ?? '').replace(/\s+/g, ' ').trim()),
        })),
      );
      const promoted = rows.find((row) => row.ops.some((o) => o.includes('Production')));
      expect(promoted, where).toMatchObject({ who: 'Alice Doe', oid: promotion.slice(0, 7) });
      expect(promoted!.via, where).toMatch(new RegExp(`^merged in ${merge.slice(0, 7)} by Rita Reviewer `));
      const link = page.locator('.timeline .via .oid').first();
      expect(await link.getAttribute('href')).toContain(merge);
    }
  });
});
