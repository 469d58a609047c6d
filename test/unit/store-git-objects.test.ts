// Object formats, ordering and path rules (the integration tests check the same against native git).
import { describe, expect, it } from 'vitest';
import {
  checkBranchName,
  checkRepoPath,
  comparePaths,
  EMPTY_TREE_OID,
  findInRawTree,
  formatTimezone,
  hashObject,
  isUnder,
  parseCommit,
  parseSignature,
  parseTree,
  looseChecksum,
  patchTreeBody,
  serializeCommit,
  serializeTree,
  sortTreeEntries,
  type TreeEntry,
} from '../../src/store/git/objects.js';
import { RegistryError } from '../../src/errors.js';
import { adler32 } from '../../src/store/git/zlib-stored.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('hashing', () => {
  it('gives native git’s object ids', () => {
    expect(hashObject('blob', enc(''))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(hashObject('blob', enc('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(hashObject('tree', serializeTree([]))).toBe(EMPTY_TREE_OID);
    // `printf 'hello\n' > hello.txt && git add hello.txt && git write-tree`
    expect(
      hashObject(
        'tree',
        serializeTree([
          { path: 'hello.txt', mode: '100644', oid: 'ce013625030ba8dba906f756967f9e9ca394464a', type: 'blob' },
        ]),
      ),
    ).toBe('aaa96ced2d9a1c8e72c56b253a0e2fe78393feb7');
  });
});

describe('trees', () => {
  const e = (path: string, type: TreeEntry['type'] = 'blob'): TreeEntry => ({
    path,
    type,
    mode: type === 'tree' ? '040000' : '100644',
    oid: 'ab'.repeat(20),
  });

  it('sorts in git order: a tree name compares as if followed by "/"', () => {
    const sorted = sortTreeEntries([e('a0'), e('a', 'tree'), e('a.txt'), e('a-b'), e('B'), e('ab')]).map((x) => x.path);
    expect(sorted).toEqual(['B', 'a-b', 'a.txt', 'a', 'a0', 'ab']);
    expect(sortTreeEntries([e('a0'), e('a'), e('a.txt')]).map((x) => x.path)).toEqual(['a', 'a.txt', 'a0']);
  });

  it('orders full paths by UTF-8 bytes, as git does, not by UTF-16 units', () => {
    const paths = ['\u{1F600}', '\uE000', 'é', 'z', 'a/b', 'a.b'];
    expect([...paths].sort(comparePaths)).toEqual(['a.b', 'a/b', 'z', 'é', '\uE000', '\u{1F600}']);
  });

  /** A folder, plain files, an executable and a non-ASCII name: the cases a tree's encoding distinguishes. */
  const mixedEntries = (): TreeEntry[] => [
    e('models', 'tree'),
    e('registry.yaml'),
    { path: 'run.sh', mode: '100755', oid: 'cd'.repeat(20), type: 'blob' },
    e('ü.yaml'),
  ];

  it('round-trips through the binary format and finds names without a full parse', () => {
    const entries = sortTreeEntries(mixedEntries());
    const raw = serializeTree(entries);
    expect(raw.includes(Buffer.from('40000 models\0'))).toBe(true); // no leading zero for trees
    expect(parseTree(raw)).toEqual(entries);
    expect(findInRawTree(raw, 'run.sh')).toEqual({ mode: '100755', oid: 'cd'.repeat(20) });
    expect(findInRawTree(raw, 'models')).toEqual({ mode: '040000', oid: 'ab'.repeat(20) });
    expect(findInRawTree(raw, 'ü.yaml')?.oid).toBe('ab'.repeat(20));
    expect(findInRawTree(raw, 'model')).toBeNull();
  });

  it('patches a known body where only ids change: byte for byte what a full encoding gives', () => {
    const old = sortTreeEntries([
      ...mixedEntries(),
      ...Array.from({ length: 50 }, (_, i) => e(`m${i}`, i % 2 ? 'tree' : 'blob')),
    ]);
    // A tree the writer did not build (read from git) is encoded once, then patched.
    let prev: readonly TreeEntry[] = old;
    for (let round = 0; round < 5; round++) {
      const at = [round, 7 + round * 3, prev.length - 1 - round];
      const next = prev.slice();
      for (const i of at) next[i] = { ...next[i]!, oid: `${round}${i}`.padEnd(40, 'f').slice(0, 40) };
      const patched = patchTreeBody(prev, next, at);
      expect(patched?.equals(serializeTree(next))).toBe(true);
      // Its loose form's checksum, carried from the tree it was patched from, is the one summed over every byte.
      expect(looseChecksum(patched)).toBe(adler32([Buffer.from(`tree ${patched.length}\0`), patched]));
      // The body kept for the previous tree is untouched (patched with no change, it is that tree's encoding).
      expect(patchTreeBody(prev, prev, [])?.equals(serializeTree(prev))).toBe(true);
      prev = next;
    }
  });
});

describe('commits', () => {
  const author = { name: 'Ada', email: 'ada@example.com', timestamp: 1_700_000_000, timezoneOffset: -120 };

  it('formats time zones with isomorphic-git’s sign convention', () => {
    expect(formatTimezone(-120)).toBe('+0200');
    expect(formatTimezone(0)).toBe('+0000');
    expect(formatTimezone(330)).toBe('-0530');
    expect(formatTimezone(-0)).toBe('-0000');
    expect(parseSignature('Ada <ada@example.com> 1700000000 +0200')).toEqual(author);
    expect(parseSignature('Bob <b@x> 5 -0530')).toEqual({
      name: 'Bob',
      email: 'b@x',
      timestamp: 5,
      timezoneOffset: 330,
    });
  });

  it('round-trips, with the message ending in a newline', () => {
    const body = serializeCommit({
      tree: EMPTY_TREE_OID,
      parents: ['1'.repeat(40), '2'.repeat(40)],
      author,
      committer: { ...author, name: 'CI' },
      message: 'fraud: v7 Staging → Production',
    });
    expect(body.toString()).toBe(
      `tree ${EMPTY_TREE_OID}\nparent ${'1'.repeat(40)}\nparent ${'2'.repeat(40)}\nauthor Ada <ada@example.com> 1700000000 +0200\ncommitter CI <ada@example.com> 1700000000 +0200\n\nfraud: v7 Staging → Production\n`,
    );
    const c = parseCommit('f'.repeat(40), body);
    expect(c).toEqual({
      oid: 'f'.repeat(40),
      tree: EMPTY_TREE_OID,
      parents: ['1'.repeat(40), '2'.repeat(40)],
      author,
      committer: { ...author, name: 'CI' },
      message: 'fraud: v7 Staging → Production\n',
    });
  });

  it('skips multi-line headers (signatures) when parsing', () => {
    const body = enc(
      `tree ${EMPTY_TREE_OID}\nauthor A <a@b> 1 +0000\ncommitter A <a@b> 1 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n wsBcBAABCAAQBQJ\n -----END PGP SIGNATURE-----\n\nsigned\n`,
    );
    expect(parseCommit('0'.repeat(40), body)).toMatchObject({
      message: 'signed\n',
      parents: [],
      author: { name: 'A', email: 'a@b' },
    });
  });

  it('rejects signatures git could not parse back', () => {
    expect(() =>
      serializeCommit({
        tree: EMPTY_TREE_OID,
        parents: [],
        author: { ...author, name: 'A <evil>' },
        committer: author,
        message: 'm',
      }),
    ).toThrow(RegistryError);
    expect(() =>
      serializeCommit({
        tree: EMPTY_TREE_OID,
        parents: [],
        author: { ...author, email: 'a\n@b' },
        committer: author,
        message: 'm',
      }),
    ).toThrow(RegistryError);
  });
});

describe('path and branch rules', () => {
  it.each([
    'a',
    'models/fraud/model.yaml',
    'models/^fraud/versions/1.yaml',
    'a/b/',
    'x.git',
    '.gitignore',
    'models/~20x',
  ])('accepts %j', (p) => {
    expect(checkRepoPath(p)).toBe(p.replace(/\/$/, ''));
  });
  it.each(['', '/', '/abs', 'a//b', './a', 'a/./b', '../a', 'a/..', '.git', 'a/.Git/b', 'a\\b', 'nul\0'])(
    'rejects %j',
    (p) => {
      expect(() => checkRepoPath(p)).toThrow(RegistryError);
    },
  );
  it.each(['main', 'feature/x', 'release-1.0', 'user@host'])('accepts branch %j', (b) => {
    expect(checkBranchName(b)).toBe(b);
  });
  it.each([
    '',
    '-x',
    'a..b',
    'a b',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[',
    'a\\b',
    '/a',
    'a/',
    'a.lock',
    'a/.hidden',
    '@',
    'a@{1}',
    'a.',
  ])('rejects branch %j', (b) => {
    expect(() => checkBranchName(b)).toThrow(RegistryError);
  });
  it('matches prefixes by whole path segments', () => {
    expect(isUnder('models/fraud/model.yaml', 'models/fraud')).toBe(true);
    expect(isUnder('models/fraud', 'models/fraud')).toBe(true);
    expect(isUnder('models/fraudster/model.yaml', 'models/fraud')).toBe(false);
    expect(isUnder('anything', '')).toBe(true);
  });
});
