// Every UI page says what is served: a banner when the branch tip was skipped (it failed validation, so an older
// commit is served), and on a replica the remote it follows and when it last fetched.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFiles, serveRepo, waitForCommit, waitForReady } from '../helpers/daemon.js';
import { freshRegistry, git, tempDir } from '../helpers/registry.js';

describe('UI banners about what is served', { timeout: 120_000 }, () => {
  it('a skipped tip shows on every page, naming the broken commit and the one served; a good tip clears it', async () => {
    const { dir, registry } = await freshRegistry();
    await registry.registerModelVersion('fraud', 's3://m/1');
    const good = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const d = await serveRepo(dir);
    await d.ready;
    expect((await d.get('/')).text).not.toContain('id="stale-tip"');

    await git(dir, 'config', 'user.name', 'Someone');
    await git(dir, 'config', 'user.email', 'someone@example.com');
    // A hand edit that no writer would make: a key the schema does not know.
    const original = await git(dir, 'show', `${good}:registry.yaml`);
    const broken = await commitFiles(dir, { 'registry.yaml': original + 'bogus: true\n' }, 'break it');
    await waitForReady(d, (b) => b.last_reload_error?.commit === broken);
    for (const page of ['/', '/ui/models/fraud', '/ui/models/fraud/versions/1', '/ui/history']) {
      const html = (await d.get(page)).text;
      const banner = /<div class="banner error" role="alert" id="stale-tip">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
      expect({ page, banner: banner.includes(`title="${broken}"`) }).toEqual({ page, banner: true });
      expect(banner).toContain('Not the tip of <code>main</code>');
      expect(banner).toContain(`title="${good}"`);
      expect(banner).toContain(`mreg validate --ref ${broken}`);
    }
    // A good commit on top is served, and the banner goes.
    const fixed = await commitFiles(dir, { 'registry.yaml': original }, 'fix it');
    await waitForCommit(d, fixed);
    expect((await d.get('/')).text).not.toContain('id="stale-tip"');
  });

  it('a replica says which remote it follows and when it last fetched', async () => {
    const { dir, registry } = await freshRegistry();
    await registry.registerModelVersion('fraud', 's3://m/1');
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const clone = path.join(await tempDir('mreg-replica-'), 'clone');
    const d = await serveRepo(clone, { remote: dir, interval: 30 });
    await d.ready;
    await waitForCommit(d, head);
    const html = (await d.get('/')).text;
    const banner = /<div class="banner info" role="status" id="replica">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
    expect(banner).toContain(`Replica following <code>${dir}</code>`);
    expect(banner).toContain('fetched every 30 s: last fetched <time datetime="');
    // A daemon serving its own repository is no replica.
    const local = await serveRepo(dir);
    await local.ready;
    expect((await local.get('/')).text).not.toContain('id="replica"');
  });
});
