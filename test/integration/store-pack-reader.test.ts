// The pack reader's base cache: concurrent reads of one object must not be counted twice.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackReader } from '../../src/store/git/pack-reader.js';
import { tempDir } from '../helpers/registry.js';

describe('PackReader', () => {
  it('keeps an exact byte count of its cache when the same objects are read concurrently', async () => {
    const dir = await tempDir();
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: dir,
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'T',
          GIT_AUTHOR_EMAIL: 't@x',
          GIT_COMMITTER_NAME: 'T',
          GIT_COMMITTER_EMAIL: 't@x',
        },
      });
    git('init', '-q', '-b', 'main');
    for (let i = 0; i < 20; i++) {
      await mkdir(path.join(dir, 'models', `m${i}`), { recursive: true });
      await writeFile(path.join(dir, 'models', `m${i}`, 'model.yaml'), `name: m${i}\n`);
    }
    git('add', '-A');
    git('commit', '-qm', 'one');
    git('gc', '-q');
    const trees = git('ls-tree', '-r', '-t', '--format=%(objecttype) %(objectname)', 'HEAD')
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('tree'))
      .map((l) => l.split(' ')[1]!);
    const reader = new PackReader(path.join(dir, '.git/objects/pack'), () =>
      Promise.reject(new Error('no loose objects here')),
    );
    for (let round = 0; round < 3; round++)
      await Promise.all(trees.flatMap((oid) => [reader.read(oid), reader.read(oid), reader.read(oid)]));
    const internals = reader as unknown as { baseCache: Map<string, { body: Buffer }>; baseCacheBytes: number };
    const actual = [...internals.baseCache.values()].reduce((n, o) => n + o.body.length, 0);
    expect(internals.baseCache.size).toBe(trees.length);
    expect(internals.baseCacheBytes).toBe(actual);
  });
});
