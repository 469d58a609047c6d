// A failed fetch or push, told from git's (or ssh's, or curl's) stderr: what went wrong, what to check,
// and which registry error it is. Every transport failure is one of MLflow's codes, never INTERNAL_ERROR:
//
// | reason           | code                    | what to check                                        |
// |------------------|-------------------------|------------------------------------------------------|
// | authentication   | PERMISSION_DENIED       | credentials (helper, GIT_ASKPASS, extraheader, key)  |
// | permission       | PERMISSION_DENIED       | the account's rights on the repository               |
// | host-key         | PERMISSION_DENIED       | the host's key in known_hosts                        |
// | not-found        | RESOURCE_DOES_NOT_EXIST | the path or repository name                          |
// | host             | TEMPORARILY_UNAVAILABLE | host name, port, network, proxy, TLS certificate     |
// | other            | TEMPORARILY_UNAVAILABLE | git's own message, quoted                            |
import { RegistryError, type ErrorCode } from '../../errors.js';
import { redactText, remoteKind } from './remote-url.js';

export type TransportFailure = 'authentication' | 'permission' | 'host-key' | 'not-found' | 'host' | 'other';

const RULES: ReadonlyArray<[TransportFailure, RegExp]> = [
  ['host-key', /host key verification failed|remote host identification has changed|no .* host key is known/i],
  [
    'authentication',
    /authentication failed|could not read (username|password)|terminal prompts disabled|invalid (username|credentials)|access denied|bad credentials|returned error: 401|permission denied \((publickey|password|keyboard)|no more authentication methods|load key .*: (invalid format|bad permissions)|unprotected private key file|passphrase/i,
  ],
  [
    'not-found',
    /repository .* not found|repository not found|does not appear to be a git repository|not a git repository|returned error: 404|no such file or directory|project .* not found|could not be found/i,
  ],
  [
    'permission',
    /returned error: 403|permission to .* denied|permission denied|insufficient permission|not allowed to (push|read)|write access .* not granted|read-only/i,
  ],
  [
    'host',
    /could not resolve host|could not resolve hostname|name or service not known|temporary failure in name resolution|connection refused|failed to connect|connection timed out|operation timed out|network is unreachable|no route to host|connection reset|empty reply from server|connection closed|returned error: 5\d\d|ssl certificate|certificate verification|gnutls|ssl_connect|unable to access|proxy/i,
  ],
];

/** The first rule that matches git's stderr. */
export function classifyTransportFailure(stderr: string): TransportFailure {
  for (const [reason, re] of RULES) if (re.test(stderr)) return reason;
  return 'other';
}

const CODES: Record<TransportFailure, ErrorCode> = {
  authentication: 'PERMISSION_DENIED',
  permission: 'PERMISSION_DENIED',
  'host-key': 'PERMISSION_DENIED',
  'not-found': 'RESOURCE_DOES_NOT_EXIST',
  host: 'TEMPORARILY_UNAVAILABLE',
  other: 'TEMPORARILY_UNAVAILABLE',
};

function hint(reason: TransportFailure, url: string): string {
  const kind = remoteKind(url);
  const ssh = kind === 'ssh' || kind === 'scp';
  switch (reason) {
    case 'authentication':
      return ssh
        ? 'authentication failed: check the ssh key (ssh-agent, ~/.ssh, core.sshCommand or GIT_SSH_COMMAND with -i) and that the host accepts it'
        : 'authentication failed: check the credentials git has for this host (a credential helper, http.extraheader, GIT_ASKPASS or a token in the URL)';
    case 'permission':
      return 'permission denied: check that the account may read (fetch) or write (push) this repository';
    case 'host-key':
      return "the host's ssh key is unknown or changed: check known_hosts (connect once with ssh, or add it with ssh-keyscan)";
    case 'not-found':
      return kind === 'path' || kind === 'file'
        ? 'no git repository there: check the path (a bare repository, e.g. from mreg init --bare)'
        : 'repository not found: check the path and repository name, and that the account can see it';
    case 'host':
      return 'the host could not be reached: check the host name, port, network, proxy and TLS certificate';
    case 'other':
      return 'git failed';
  }
}

/** git's last meaningful lines, secrets removed: what the user would have seen. */
function gitSaid(stderr: string, secrets: readonly string[]): string {
  const lines = redactText(stderr, secrets)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(
      (l) =>
        l &&
        !/^(hint:|To |Everything up-to-date|Please make sure you have the correct access rights|and the repository exists)/.test(
          l,
        ) &&
        !/Could not read from remote repository/.test(l),
    );
  const tail = lines.slice(-3).join(' | ');
  return tail.length > 400 ? `${tail.slice(0, 400)}…` : tail;
}

/**
 * The error for a fetch or push that git could not carry out. `remote` is the remote's name, `url` its
 * address already redacted; `secrets` are removed from git's message before it is quoted.
 */
export function transportError(
  op: 'fetch' | 'push',
  remote: string,
  url: string,
  stderr: string,
  secrets: readonly string[],
): RegistryError {
  const reason = classifyTransportFailure(stderr);
  const said = gitSaid(stderr, secrets);
  const where = remote === url ? `'${url}'` : `remote '${remote}' (${url})`;
  const verb = op === 'fetch' ? 'Fetch from' : 'Push to';
  return new RegistryError(
    CODES[reason],
    `${verb} ${where} failed: ${hint(reason, url)}.${said ? ` git: ${said}` : ''}`,
    { remote, url, reason },
  );
}
