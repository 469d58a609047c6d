// The transport's pure parts: what kind of remote an address is, how it is named without its secrets, the
// environment git runs in, how git's stderr becomes a registry error, and `git push --porcelain`.
import { describe, expect, it } from 'vitest';
import { gitEnvironment, hasSshCommand } from '../../src/store/transport/env.js';
import { classifyTransportFailure, transportError } from '../../src/store/transport/errors.js';
import { parsePorcelain } from '../../src/store/transport/native.js';
import { isLocalRemote, redactText, redactUrl, remoteKind, urlSecrets } from '../../src/store/transport/remote-url.js';

describe('remoteKind', () => {
  it.each([
    ['https://github.com/org/registry.git', 'http'],
    ['HTTP://127.0.0.1:8080/r.git', 'http'],
    ['https://x-access-token:s3cr3t@github.com/org/r.git', 'http'],
    ['ssh://git@github.com/org/registry.git', 'ssh'],
    ['ssh://host:2222/srv/r.git', 'ssh'],
    ['git+ssh://host/r.git', 'ssh'],
    ['git@github.com:org/registry.git', 'scp'],
    ['host.example:srv/r.git', 'scp'],
    ['git://host/r.git', 'git'],
    ['file:///srv/git/registry.git', 'file'],
    ['/srv/git/registry.git', 'path'],
    ['../registry.git', 'path'],
    ['registry.git', 'path'],
    ['./a:b', 'path'],
    ['C:\\git\\registry.git', 'path'],
    ['C:/git/registry.git', 'path'],
    ['ext::ssh -p 22 host %S r.git', 'helper'],
    ['persistent-https://host/r.git', 'helper'],
  ])('%s is %s', (url, kind) => {
    expect(remoteKind(url)).toBe(kind);
  });

  it('local remotes are file:// and paths only', () => {
    expect(['file:///r.git', '/r.git', 'r.git'].map(isLocalRemote)).toEqual([true, true, true]);
    expect(['https://h/r.git', 'git@h:r.git', 'ssh://h/r.git'].map(isLocalRemote)).toEqual([false, false, false]);
  });
});

describe('redactUrl', () => {
  it.each([
    ['https://x-access-token:ghp_s3cr3tT0k3n@github.com/org/r.git', 'https://***@github.com/org/r.git'],
    ['https://ghp_s3cr3tT0k3n@github.com/org/r.git', 'https://***@github.com/org/r.git'],
    ['http://user:p%40ss@127.0.0.1:8080/r.git', 'http://***@127.0.0.1:8080/r.git'],
    ['https://github.com/org/r.git', 'https://github.com/org/r.git'],
    ['https://host/r.git?private_token=abc123', 'https://host/r.git?***'],
    ['ssh://git@host/r.git', 'ssh://git@host/r.git'],
    ['ssh://git:hunter22@host/r.git', 'ssh://***@host/r.git'],
    ['git@github.com:org/r.git', 'git@github.com:org/r.git'],
    ['/srv/r.git', '/srv/r.git'],
    ['file:///srv/r.git', 'file:///srv/r.git'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it('scrubs credentials from a string that is not quite a URL (a leading dash or space)', () => {
    expect(redactUrl('-https://bot:t0ps3cret@host/r.git')).toBe('-https://***@host/r.git');
    expect(redactUrl(' https://t0ps3cret@host/r.git')).toBe(' https://***@host/r.git');
  });

  it("an '@' in the path is not taken for credentials", () => {
    expect(redactUrl('https://host/org/r@2.git')).toBe('https://host/org/r@2.git');
  });
});

describe('urlSecrets and redactText', () => {
  it('finds the token of an http URL in both its encoded and decoded forms', () => {
    expect(urlSecrets('https://bot:p%40ssw0rd@host/r.git').sort()).toEqual(['p%40ssw0rd', 'p@ssw0rd']);
    expect(urlSecrets('https://ghp_tokenonly@host/r.git')).toEqual(['ghp_tokenonly']);
    expect(urlSecrets('ssh://git@host/r.git')).toEqual([]);
    expect(urlSecrets('/srv/r.git')).toEqual([]);
  });

  it('removes the secrets, any URL credentials and Authorization headers from text', () => {
    const text = [
      "fatal: unable to access 'https://bot:p%40ssw0rd@host/r.git/': The requested URL returned error: 401",
      'the password p@ssw0rd was wrong',
      'Authorization: Basic Ym90OnBAc3N3MHJk',
      'see ssh://someone:else@host2/x',
    ].join('\n');
    const out = redactText(text, urlSecrets('https://bot:p%40ssw0rd@host/r.git'));
    expect(out).not.toMatch(/p%40ssw0rd|p@ssw0rd|Ym90OnBAc3N3MHJk|someone:else/);
    expect(out).toContain("'https://***@host/r.git/'");
    expect(out).toContain('Authorization: ***');
    expect(out).toContain('ssh://***@host2/x');
  });
});

describe('gitEnvironment', () => {
  const base = {
    PATH: '/usr/bin',
    HOME: '/home/u',
    GIT_DIR: '/elsewhere/.git',
    GIT_WORK_TREE: '/elsewhere',
    GIT_INDEX_FILE: '/elsewhere/.git/index',
    GIT_OBJECT_DIRECTORY: '/elsewhere/.git/objects',
    GIT_TRACE: '1',
    GIT_TRACE_CURL: '1',
    GIT_CURL_VERBOSE: '1',
    GIT_ASKPASS: '/usr/local/bin/askpass',
    GIT_TERMINAL_PROMPT: '1',
    SSH_AUTH_SOCK: '/tmp/agent.sock',
    GITHUB_TOKEN: 'tok',
    LANG: 'de_DE.UTF-8',
    LANGUAGE: 'de',
    UNSET: undefined,
  };

  it('drops what points git at another repository or traces requests, keeps what helpers read', () => {
    const env = gitEnvironment(base);
    for (const k of [
      'GIT_DIR',
      'GIT_WORK_TREE',
      'GIT_INDEX_FILE',
      'GIT_OBJECT_DIRECTORY',
      'GIT_TRACE',
      'GIT_TRACE_CURL',
      'GIT_CURL_VERBOSE',
      'LANGUAGE',
      'UNSET',
    ])
      expect(env, k).not.toHaveProperty(k);
    expect(env).toMatchObject({
      PATH: '/usr/bin',
      HOME: '/home/u',
      GIT_ASKPASS: '/usr/local/bin/askpass',
      SSH_AUTH_SOCK: '/tmp/agent.sock',
      GITHUB_TOKEN: 'tok',
    });
  });

  it('never lets git prompt on the terminal, and reads its messages in English', () => {
    const env = gitEnvironment(base);
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
    expect(env.LC_ALL).toBe('C');
  });

  it('runs ssh in batch mode only when asked to (the user configured no ssh command)', () => {
    expect(gitEnvironment(base)).not.toHaveProperty('GIT_SSH_COMMAND');
    expect(gitEnvironment(base, true).GIT_SSH_COMMAND).toBe('ssh -o BatchMode=yes');
    expect(hasSshCommand({ GIT_SSH_COMMAND: 'ssh -i key' })).toBe(true);
    expect(hasSshCommand({ GIT_SSH: '/usr/bin/plink' })).toBe(true);
    expect(hasSshCommand({ GIT_SSH_COMMAND: '' })).toBe(false);
  });
});

describe('transport failures', () => {
  // git 2.39's own words (and ssh's and curl's, as git relays them).
  it.each([
    ["fatal: Authentication failed for 'http://127.0.0.1:4000/r.git/'", 'authentication'],
    ["fatal: could not read Username for 'https://github.com': terminal prompts disabled", 'authentication'],
    ['git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.', 'authentication'],
    ['Host key verification failed.\nfatal: Could not read from remote repository.', 'host-key'],
    ["fatal: unable to access 'https://h/r.git/': The requested URL returned error: 403", 'permission'],
    ['remote: Permission to org/r.git denied to bot.', 'permission'],
    ["fatal: repository 'https://h/nope.git/' not found", 'not-found'],
    ["fatal: '/srv/nope.git' does not appear to be a git repository", 'not-found'],
    ["fatal: unable to access 'https://nohost.invalid/r.git/': Could not resolve host: nohost.invalid", 'host'],
    ['ssh: connect to host h port 22: Connection refused', 'host'],
    ["fatal: unable to access 'http://127.0.0.1:9/r.git/': Failed to connect to 127.0.0.1 port 9", 'host'],
    ['fatal: the remote end hung up unexpectedly', 'other'],
  ])('%s → %s', (stderr, reason) => {
    expect(classifyTransportFailure(stderr)).toBe(reason);
  });

  it('becomes an MLflow error code other than INTERNAL_ERROR, naming the remote and what to check', () => {
    const cases: Array<[string, string, RegExp]> = [
      ["fatal: Authentication failed for 'http://h/r.git/'", 'PERMISSION_DENIED', /credential helper/],
      ["fatal: repository 'http://h/r.git/' not found", 'RESOURCE_DOES_NOT_EXIST', /repository not found/],
      ['fatal: unable to access: Could not resolve host: h', 'TEMPORARILY_UNAVAILABLE', /host name/],
      ['fatal: something new', 'TEMPORARILY_UNAVAILABLE', /git failed/],
    ];
    for (const [stderr, code, hint] of cases) {
      const e = transportError('push', 'origin', 'http://***@h/r.git', stderr, []);
      expect(e.code).toBe(code);
      expect(e.message).toMatch(/^Push to remote 'origin' \(http:\/\/\*\*\*@h\/r\.git\) failed: /);
      expect(e.message).toMatch(hint);
      expect(e.details).toMatchObject({ remote: 'origin', url: 'http://***@h/r.git' });
    }
  });

  it("quotes git's message without the secrets it may carry", () => {
    const e = transportError(
      'fetch',
      'origin',
      redactUrl('https://bot:t0psecret@h/r.git'),
      "fatal: Authentication failed for 'https://bot:t0psecret@h/r.git/'",
      urlSecrets('https://bot:t0psecret@h/r.git'),
    );
    expect(e.message).not.toContain('t0psecret');
    expect(e.message).toContain("git: fatal: Authentication failed for 'https://***@h/r.git/'");
  });

  it('ssh authentication points at keys, a missing path at the path', () => {
    expect(transportError('fetch', 'origin', 'git@h:r.git', 'Permission denied (publickey).', []).message).toMatch(
      /ssh key/,
    );
    expect(
      transportError(
        'fetch',
        'origin',
        '/srv/nope.git',
        "fatal: '/srv/nope.git' does not appear to be a git repository",
        [],
      ).message,
    ).toMatch(/check the path/);
  });
});

describe('parsePorcelain', () => {
  it('reads the flag, refs and summary of each line', () => {
    const out = [
      'To /srv/r.git',
      '=\trefs/heads/a:refs/heads/a\t[up to date]',
      ' \t0123456789012345678901234567890123456789:refs/heads/main\t0123456..89abcde',
      '!\trefs/heads/b:refs/heads/b\t[rejected] (stale info)',
      '!\trefs/heads/c:refs/heads/c\t[remote rejected] (pre-receive hook declined)',
      'Done',
    ].join('\n');
    expect(parsePorcelain(out)).toEqual([
      { flag: '=', from: 'refs/heads/a', to: 'refs/heads/a', summary: '[up to date]' },
      {
        flag: ' ',
        from: '0123456789012345678901234567890123456789',
        to: 'refs/heads/main',
        summary: '0123456..89abcde',
      },
      { flag: '!', from: 'refs/heads/b', to: 'refs/heads/b', summary: '[rejected] (stale info)' },
      { flag: '!', from: 'refs/heads/c', to: 'refs/heads/c', summary: '[remote rejected] (pre-receive hook declined)' },
    ]);
  });
});
