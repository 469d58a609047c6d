// `serve --remote` takes any remote git takes, resolves a path where the daemon starts, and never repeats a
// secret — not in its error, not in the name of its cache folder.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDaemonConfig } from '../../src/daemon/config.js';

const cwd = path.resolve('/srv/registry-replica');
const env = { XDG_CACHE_HOME: '/cache' };

describe('buildDaemonConfig --remote', () => {
  it.each([
    'https://git.example.com/ml/registry.git',
    'ssh://git@git.example.com/ml/registry.git',
    'git@git.example.com:ml/registry.git',
    'file:///srv/git/registry.git',
    '/srv/git/registry.git',
  ])('accepts %s as given', (remote) => {
    expect(buildDaemonConfig({ remote }, env, cwd).remote?.url).toBe(remote);
  });

  it('resolves a relative path against where the daemon starts, not its clone', () => {
    expect(buildDaemonConfig({ remote: '../git/registry.git' }, env, cwd).remote?.url).toBe(
      path.resolve(cwd, '../git/registry.git'),
    );
  });

  it.each(['', '  ', '--upload-pack=touch x', 'https://host/r.git\nX'])('refuses %j', (remote) => {
    expect(() => buildDaemonConfig({ remote }, env, cwd)).toThrow(/--remote must be a git remote/);
  });

  it('quotes a refused value without its credentials', () => {
    expect(() => buildDaemonConfig({ remote: '-https://bot:t0ps3cret@host/r.git' }, env, cwd)).toThrow(
      /got '-https:\/\/\*\*\*@host\/r\.git'/,
    );
  });

  it('keeps one cache folder per remote, whatever credentials its URL carries', () => {
    const dir = (remote: string) => buildDaemonConfig({ remote }, env, cwd).repoDir;
    expect(dir('https://bot:one@host/r.git')).toBe(dir('https://bot:two@host/r.git'));
    expect(dir('https://bot:one@host/r.git')).not.toContain('one');
    expect(dir('https://host/r.git')).not.toBe(dir('https://host/other.git'));
    expect(path.dirname(dir('https://host/r.git'))).toBe(path.join('/cache', 'mreg', 'remotes'));
  });
});
