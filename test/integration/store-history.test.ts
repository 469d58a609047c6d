// registryHistory's narrow walks: one version's history looks only at its file and the model file (so a
// model with many versions is not diffed per commit), still pairs renames, can include alias moves, and a
// bounded walk says where to resume.
import { describe, expect, it } from 'vitest';
import { GitReader } from '../../src/store/git/reader.js';
import {
  registryHistory,
  type HistoryEntry,
  type HistoryOptions,
  type HistoryResume,
} from '../../src/store/history.js';
import { Registry } from '../../src/index.js';
import { AUTHOR, freshRegistry, git } from '../helpers/registry.js';

async function walk(
  repo: GitReader,
  start: string,
  opts: HistoryOptions,
): Promise<{ entries: HistoryEntry[]; resume: HistoryResume }> {
  const entries: HistoryEntry[] = [];
  const it = registryHistory(repo, start, opts);
  for (;;) {
    const r = await it.next();
    if (r.done) return { entries, resume: r.value };
    entries.push(r.value);
  }
}

const ops = (entries: HistoryEntry[]) =>
  entries.map((e) =>
    e.operations
      .map((o) => `${o.op}${o.version !== undefined ? ` v${o.version}` : ''}${o.alias ? ` @${o.alias}` : ''}`)
      .join(', '),
  );

describe('registryHistory for one version', () => {
  it('follows the version across a rename, ignores other versions and plain model edits, and adds alias moves on request', async () => {
    const { dir, registry: r } = await freshRegistry();
    await r.createRegisteredModel('a');
    await r.createModelVersion('a', 's3://b/1');
    await r.createModelVersion('a', 's3://b/2');
    await r.transitionModelVersionStage('a', 2, 'Staging');
    await r.setRegisteredModelTag('a', 'team', 'risk'); // model file only
    await r.createModelVersion('a', 's3://b/3'); // another version
    await r.setRegisteredModelAlias('a', 'champion', 2);
    await r.renameRegisteredModel('a', 'b');
    await r.transitionModelVersionStage('b', 2, 'Production');
    await r.setRegisteredModelAlias('b', 'champion', 3); // moves away from v2
    const repo = await GitReader.open(dir);
    const tip = (await git(dir, 'rev-parse', 'HEAD')).trim();

    const plain = await walk(repo, tip, { model: 'b', version: 2 });
    expect(ops(plain.entries)).toEqual([
      'stage_changed v2',
      'model_renamed',
      'stage_changed v2',
      'version_registered v2',
      'model_created',
    ]);
    expect(plain.resume).toEqual({ next: undefined, last: expect.stringMatching(/^[0-9a-f]{40}$/), names: ['b', 'a'] });

    const withAliases = await walk(repo, tip, { model: 'b', version: 2, aliases: true });
    expect(ops(withAliases.entries)).toEqual([
      'alias_set @champion',
      'stage_changed v2',
      'model_renamed',
      'alias_set @champion',
      'stage_changed v2',
      'version_registered v2',
      'model_created',
    ]);

    // The whole model's history is unchanged by the narrowing.
    const model = await walk(repo, tip, { model: 'b' });
    expect(model.entries).toHaveLength(10);
    expect(ops(model.entries).at(-1)).toBe('model_created');
  });

  it('a bounded walk examines at most `scan` commits and resumes where it stopped, under the older name', async () => {
    const { dir, registry: r } = await freshRegistry();
    await r.registerModelVersion('old', 's3://b/1');
    for (let i = 0; i < 4; i++) await r.setRegisteredModelTag('old', 'k', String(i));
    await r.renameRegisteredModel('old', 'new');
    for (let i = 0; i < 3; i++) await r.setRegisteredModelTag('new', 'k', `n${i}`);
    const repo = await GitReader.open(dir);
    const tip = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const all = await walk(repo, tip, { model: 'new' });
    expect(all.entries).toHaveLength(9);

    const first = await walk(repo, tip, { model: 'new', scan: 5 });
    expect(first.entries.map((e) => e.commit)).toEqual(all.entries.slice(0, 5).map((e) => e.commit));
    expect(first.resume.last).toBe(all.entries[4]!.commit);
    expect(first.resume.next).toBe(all.entries[5]!.commit);
    expect(first.resume.names.at(-1)).toBe('old');
    const rest = await walk(repo, first.resume.next!, { model: first.resume.names.at(-1)! });
    expect(rest.entries.map((e) => e.commit)).toEqual(all.entries.slice(5).map((e) => e.commit));

    // `limit` stops after that many entries and also says where to go on.
    const limited = await walk(repo, tip, { limit: 2 });
    expect(limited.entries).toHaveLength(2);
    expect(limited.resume.last).toBe(limited.entries[1]!.commit);
  });

  it('pages over a merge: a page finishes the merge it starts, so every entry is shown once', async () => {
    const { dir, registry: r, clock } = await freshRegistry();
    await r.registerModelVersion('m', 's3://b/1');
    await git(dir, 'checkout', '-q', '-b', 'pr');
    const pr = await Registry.open(dir, { author: AUTHOR, clock });
    for (let i = 0; i < 3; i++) await pr.setModelVersionTag('m', '1', 'k', String(i));
    await git(dir, 'checkout', '-q', 'main');
    await r.registerModelVersion('other', 's3://o/1');
    await git(
      dir,
      '-c',
      'user.name=Rita',
      '-c',
      'user.email=rita@example.com',
      'merge',
      '-q',
      '--no-ff',
      'pr',
      '-m',
      'Merge pr',
    );
    await r.setRegisteredModelTag('m', 'after', 'merge');
    const repo = await GitReader.open(dir);
    const tip = (await git(dir, 'rev-parse', 'HEAD')).trim();
    const all = await walk(repo, tip, {});
    expect(all.entries.map((e) => (e.via ? 'via' : e.parents.length > 1 ? 'merge' : 'own'))).toEqual([
      'own',
      'merge',
      'via',
      'via',
      'via',
      'own',
      'own',
      'own',
    ]);
    // Pages of at most 2 entries: the page that reaches the merge shows all it brought in.
    const pages: string[][] = [];
    for (let start: string | undefined = tip; start;) {
      const page = await walk(repo, start, { limit: 2, scan: 1_000 });
      pages.push(page.entries.map((e) => e.commit));
      start = page.resume.last === undefined ? undefined : page.resume.next;
    }
    expect(pages.map((p) => p.length)).toEqual([5, 2, 1]);
    expect(pages.flat()).toEqual(all.entries.map((e) => e.commit));
    // Without `scan`, `limit` is exact.
    expect((await walk(repo, tip, { limit: 3 })).entries).toHaveLength(3);
  });
});
