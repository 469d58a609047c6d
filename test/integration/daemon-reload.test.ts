// The daemon follows its branch as native git moves it: new commits, broken commits, deletions,
// rewinds, packed refs and bursts. Each test starts the real daemon on loopback against a real repo.
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { readSnapshot } from '../../src/daemon/snapshot.js';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../src/daemon/log.js';
import { RefWatcher } from '../../src/daemon/watcher.js';
import { makeSyntheticRegistry, synthVersionYaml } from '../../scripts/lib/synth.mjs';
import { commitFiles, serveRepo, waitForCommit, waitForReady } from '../helpers/daemon.js';
import { git, tempDir } from '../helpers/registry.js';

const API = '/api/2.0/mlflow';
const V3 = 'models/model-000/versions/3.yaml';

async function repo(models = 3): Promise<{ dir: string; head: string }> {
  const dir = await tempDir('mreg-daemon-');
  const head = await makeSyntheticRegistry(dir, { models, versionsPerModel: 10 });
  return { dir, head };
}

function describeV3(text: string): string {
  return synthVersionYaml(0, 3, 3, 10).replace('description: version 3 of model-000', `description: ${text}`);
}

describe('daemon reloads (native git underneath)', () => {
  it('serves the tip at start and a new commit within a bounded wait, in one consistent answer', async () => {
    const { dir, head } = await repo();
    const d = await serveRepo(dir);
    await d.ready;
    const first = await d.get(`${API}/model-versions/get?name=model-000&version=3`);
    expect(first.status).toBe(200);
    expect(first.commit).toBe(head);
    expect(first.body.model_version.description).toBe('version 3 of model-000');
    const next = await commitFiles(dir, { [V3]: describeV3('retrained') });
    await waitForCommit(d, next, `${API}/model-versions/get?name=model-000&version=3`);
    const after = await d.get(`${API}/model-versions/get?name=model-000&version=3`);
    expect(after.commit).toBe(next);
    expect(after.body.model_version.description).toBe('retrained');
  });

  it('a commit with broken YAML is not served; /readyz and /metrics report it; the next good commit recovers', async () => {
    const { dir, head } = await repo();
    const d = await serveRepo(dir);
    await d.ready;
    const broken = await commitFiles(dir, { 'models/model-001/model.yaml': 'name: [unclosed\n' }, 'break it');
    const ready = await waitForReady(d, (b) => b.last_reload_error?.commit === broken);
    expect(ready.status).toBe('stale');
    expect(ready.commit).toBe(head);
    expect(ready.last_reload_error.message).toMatch(/^models\/model-001\/model\.yaml:\d+: /);
    const still = await d.get(`${API}/registered-models/get?name=model-001`);
    expect(still.status).toBe(200);
    expect(still.commit).toBe(head);
    const metrics = (await d.get('/metrics')).text;
    expect(metrics).toContain('mreg_last_reload_failed 1');
    expect(metrics).toMatch(/mreg_reloads_failed_total [1-9]/);
    expect(metrics).toContain(`mreg_last_reload_error_info{commit="${broken}"`);
    expect(d.logs.some((l) => l.includes('"level":"warn"') && l.includes(broken))).toBe(true);
    // Fixed by the next commit: restore the file.
    const text = await git(dir, 'show', `${head}:models/model-001/model.yaml`);
    const fixed = await commitFiles(dir, { 'models/model-001/model.yaml': text }, 'fix it');
    await waitForCommit(d, fixed);
    const ok = await waitForReady(d, (b) => b.status === 'ready');
    expect(ok.last_reload_error).toBeNull();
    expect((await d.get('/metrics')).text).toContain('mreg_last_reload_failed 0');
  });

  it('a commit deleting a model: the model and its versions are gone', async () => {
    const { dir } = await repo();
    const d = await serveRepo(dir);
    await d.ready;
    const next = await commitFiles(dir, { 'models/model-002': null }, 'delete model-002');
    await waitForCommit(d, next);
    expect((await d.get(`${API}/registered-models/get?name=model-002`)).status).toBe(404);
    expect((await d.get(`${API}/model-versions/get?name=model-002&version=1`)).status).toBe(404);
    const search = await d.get(`${API}/registered-models/search`);
    expect(search.body.registered_models.map((m: { name: string }) => m.name)).toEqual(['model-000', 'model-001']);
  });

  it('a force-push that rewinds the branch is served like any other tip', async () => {
    const { dir, head } = await repo();
    const d = await serveRepo(dir);
    await d.ready;
    const a = await commitFiles(dir, { [V3]: describeV3('a') });
    const b = await commitFiles(dir, { [V3]: describeV3('b') });
    await waitForCommit(d, b);
    await git(dir, 'reset', '-q', '--hard', head);
    await waitForCommit(d, head, `${API}/model-versions/get?name=model-000&version=3`);
    expect((await d.get(`${API}/model-versions/get?name=model-000&version=3`)).body.model_version.description).toBe(
      'version 3 of model-000',
    );
    await git(dir, 'reset', '-q', '--hard', a);
    await waitForCommit(d, a);
    expect((await d.get(`${API}/model-versions/get?name=model-000&version=3`)).body.model_version.description).toBe(
      'a',
    );
  });

  it('after git gc / pack-refs --all (the loose ref deleted), the next commit is still seen by the watcher', async () => {
    const { dir } = await repo();
    const d = await serveRepo(dir); // the poll is 60 s here: only the watcher can see these commits
    await d.ready;
    const c1 = await commitFiles(dir, { [V3]: describeV3('before gc') });
    await waitForCommit(d, c1);
    await git(dir, 'gc', '-q');
    await git(dir, 'pack-refs', '--all');
    const c2 = await commitFiles(dir, { [V3]: describeV3('after gc') });
    await waitForCommit(d, c2);
    await git(dir, 'pack-refs', '--all', '--prune');
    const c3 = await commitFiles(dir, { [V3]: describeV3('after pack-refs') });
    await waitForCommit(d, c3);
    expect((await d.get(`${API}/model-versions/get?name=model-000&version=3`)).body.model_version.description).toBe(
      'after pack-refs',
    );
  });

  it('a burst of 50 commits in about a second ends on the last one', async () => {
    const { dir } = await repo();
    const d = await serveRepo(dir);
    await d.ready;
    // Commits made with plumbing so that 50 fit in a second: one blob, one tree, one commit, one ref update each.
    const script = `
      set -e
      for i in $(seq 1 50); do
        sed -i "s/^description: .*/description: burst $i/" ${V3}
        git add ${V3}
        git commit -q -m "burst $i"
      done
      git rev-parse HEAD`;
    const { execFile } = await import('node:child_process');
    const last = await new Promise<string>((resolve, reject) =>
      execFile('bash', ['-c', script], { cwd: dir }, (e, out) => (e ? reject(e) : resolve(out.trim()))),
    );
    await waitForCommit(d, last, `${API}/model-versions/get?name=model-000&version=3`);
    expect((await d.get(`${API}/model-versions/get?name=model-000&version=3`)).body.model_version.description).toBe(
      'burst 50',
    );
  });

  it('uncommitted edits in the work tree are never served', async () => {
    const { dir, head } = await repo();
    const d = await serveRepo(dir, { pollMs: 100 });
    await d.ready;
    await writeFile(path.join(dir, V3), describeV3('uncommitted'));
    await git(dir, 'add', V3); // staged, not committed
    await new Promise((r) => setTimeout(r, 400));
    const r = await d.get(`${API}/model-versions/get?name=model-000&version=3`);
    expect(r.commit).toBe(head);
    expect(r.body.model_version.description).toBe('version 3 of model-000');
  });

  it('a restart loads the snapshot and reloads only what changed since; a corrupt snapshot is ignored', async () => {
    const { dir } = await repo(20);
    const d1 = await serveRepo(dir, { snapshot: true });
    await d1.ready;
    const snap = path.join(dir, '.git', 'mreg', 'snapshot.jsonl');
    const t0 = Date.now();
    while (Date.now() - t0 < 5_000 && d1.metrics.snapshotsWritten === 0) await new Promise((r) => setTimeout(r, 20));
    expect(d1.metrics.snapshotsWritten).toBe(1);
    await d1.stop();
    const next = await commitFiles(dir, { [V3]: describeV3('after restart') });
    const d2 = await serveRepo(dir, { snapshot: true });
    await d2.ready;
    expect(d2.logs.some((l) => l.includes('snapshot loaded'))).toBe(true);
    await waitForCommit(d2, next);
    expect((await d2.get(`${API}/model-versions/get?name=model-000&version=3`)).body.model_version.description).toBe(
      'after restart',
    );
    expect((await d2.get(`${API}/registered-models/search?max_results=1000`)).body.registered_models).toHaveLength(20);
    await d2.stop();
    // Corrupt the snapshot: flip bytes in the middle. The checksum fails, the daemon loads in full.
    const text = await readFile(snap, 'utf8');
    await writeFile(snap, text.slice(0, 500) + 'XXXX' + text.slice(504));
    const d3 = await serveRepo(dir, { snapshot: true });
    await d3.ready;
    expect(d3.logs.some((l) => l.includes('snapshot loaded'))).toBe(false);
    await waitForCommit(d3, next);
    expect((await d3.get(`${API}/registered-models/search?max_results=1000`)).body.registered_models).toHaveLength(20);
    // …and replaced by a good one, although it names the same commit.
    const t1 = Date.now();
    while (Date.now() - t1 < 5_000 && d3.metrics.snapshotsWritten === 0) await new Promise((r) => setTimeout(r, 20));
    expect(d3.metrics.snapshotsWritten).toBe(1);
    expect((await readSnapshot(path.join(dir, '.git')))?.commit).toBe(next);
  });

  it('started on a tip that does not validate, it serves the newest good commit before it and reports the tip', async () => {
    const { dir, head } = await repo();
    const broken = await commitFiles(dir, { [V3]: 'version: [oops\n' }, 'broken');
    const d = await serveRepo(dir);
    await d.ready;
    const ready = await waitForReady(d, (b) => b.status === 'stale');
    expect(ready).toMatchObject({ commit: head, last_reload_error: { commit: broken } });
    expect(ready.last_reload_error.message).toMatch(/^models\/model-000\/versions\/3\.yaml:1: invalid YAML/);
    expect((await d.get(`${API}/model-versions/get?name=model-000&version=3`)).commit).toBe(head);
  });

  it("restarted from a snapshot on a broken tip, it serves the snapshot's commit (never an unreached older state)", async () => {
    const { dir, head } = await repo();
    const d1 = await serveRepo(dir, { snapshot: true });
    await d1.ready;
    const t0 = Date.now();
    while (Date.now() - t0 < 5_000 && d1.metrics.snapshotsWritten === 0) await new Promise((r) => setTimeout(r, 20));
    await d1.stop();
    const broken = await commitFiles(dir, { [V3]: 'version: [oops\n' }, 'broken');
    const d2 = await serveRepo(dir, { snapshot: true });
    await d2.ready;
    expect((await d2.get('/readyz')).body).toMatchObject({
      status: 'stale',
      commit: head,
      last_reload_error: { commit: broken },
    });
  });
});

describe('the ref watcher', () => {
  const watcherOn = async (dir: string, readyTimeoutMs?: number) => {
    const logs: string[] = [];
    const seen = { checks: 0 };
    const w = new RefWatcher(path.join(dir, '.git'), 'main', async () => void seen.checks++, {
      debounceMs: 50,
      pollMs: 60_000, // only the watch can see the commit in time
      logger: createLogger('debug', (l) => void logs.push(l)),
      ...(readyTimeoutMs !== undefined ? { readyTimeoutMs } : {}),
    });
    await w.start();
    onTestFinished(() => w.stop());
    return { seen, logs };
  };
  const seenWithin = async (seen: { checks: number }, ms: number): Promise<boolean> => {
    for (let t = 0; t < ms / 10 && seen.checks === 0; t++) await new Promise((r) => setTimeout(r, 10));
    return seen.checks > 0;
  };

  // chokidar says 'ready' a moment before its watch reports changes: a commit made at once after start() was
  // never reported (3 of 3 before the fix) and waited for the poll — a CI run timed out on exactly that.
  it('sees a commit made the moment start() returns', async () => {
    const { dir } = await repo(1);
    const { seen, logs } = await watcherOn(dir);
    execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'moved'], { cwd: dir });
    expect(await seenWithin(seen, 5_000), logs.join('\n')).toBe(true);
  });

  // Under load the watch can take longer to set up than start() waits: its first scan then takes a ref that moved
  // meanwhile as the starting point. A watch that becomes ready late checks once.
  it('checks once when its watch becomes ready after start() stopped waiting', async () => {
    const { dir } = await repo(1);
    const { seen, logs } = await watcherOn(dir, 0);
    execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'moved'], { cwd: dir });
    expect(await seenWithin(seen, 5_000), logs.join('\n')).toBe(true);
  });
});
