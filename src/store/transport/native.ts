// Fetch and push through the system's git, for every transport git has (ssh, scp-like, file://, plain
// paths, git://, remote helpers, and http(s) with the credentials git users already set up: credential
// helpers, http.extraheader, GIT_ASKPASS, a token in the URL). git is spawned directly — never through a
// shell — with an explicit argument list and the environment of env.ts, on the repository given by
// --git-dir. A transport failure becomes a RegistryError that names the remote (redacted) and what to
// check (errors.ts); a refused ref update is a result, not an error, so the caller can fetch and retry.
import { spawn } from 'node:child_process';
import { RegistryError } from '../../errors.js';
import { gitEnvironment, hasSshCommand, processEnv, type GitEnv } from './env.js';
import { transportError } from './errors.js';
import { redactText, redactUrl, remoteKind, urlSecrets } from './remote-url.js';

/** The local repository: its git directory, and where git runs (so a relative remote path means what it means to git there). */
export interface LocalRepo {
  gitdir: string;
  /** The work tree's top, or the bare repository's directory. */
  dir: string;
}

/** A remote as git is told about it. */
export interface RemoteTarget {
  /** The remote's name (origin), for messages and its remote-tracking refs. */
  name: string;
  /** Its address (after url.<base>.insteadOf when read from the config). */
  url: string;
  /** Whether `name` is a configured remote: git is then given the name, so all of its config applies. */
  configured: boolean;
}

export interface NativePushResult {
  ok: boolean;
  reason?: 'rejected' | 'conflict';
  message?: string;
}

interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Output kept per stream: a fetch or push says little; anything past this is noise. */
const MAX_OUTPUT = 1 << 20;

/** Runs `git --git-dir=<gitdir> <args>` in `dir`, without a shell, stdin closed. Never rejects for a non-zero exit. */
function runGit(repo: LocalRepo, args: readonly string[], env: GitEnv): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [`--git-dir=${repo.gitdir}`, ...args], {
      cwd: repo.dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += d;
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'ENOENT'
          ? new RegistryError(
              'INVALID_STATE',
              "The system's git was not found on PATH: it is needed to fetch from and push to remotes.",
            )
          : e,
      );
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/**
 * The URL of a configured remote as git will use it (url.<base>.insteadOf applied), or undefined when
 * there is no such remote.
 */
export async function configuredRemoteUrl(repo: LocalRepo, remote: string): Promise<string | undefined> {
  // ls-remote --get-url expands insteadOf, and echoes its argument when that is not a configured remote.
  const r = await runGit(repo, ['ls-remote', '--get-url', '--', remote], gitEnvironment(processEnv()));
  const url = r.stdout.trim();
  return r.code === 0 && url !== '' && url !== remote ? url : undefined;
}

/** The environment for talking to `target`: ssh in batch mode unless the user chose an ssh command. */
async function envFor(repo: LocalRepo, target: RemoteTarget): Promise<GitEnv> {
  const base = processEnv();
  const kind = remoteKind(target.url);
  if ((kind !== 'ssh' && kind !== 'scp') || hasSshCommand(base)) return gitEnvironment(base);
  const configured = await runGit(repo, ['config', '--get', 'core.sshCommand'], gitEnvironment(base));
  return gitEnvironment(base, configured.code !== 0 || configured.stdout.trim() === '');
}

function secretsOf(target: RemoteTarget): string[] {
  return urlSecrets(target.url);
}

/**
 * Fetches refs/heads/<branch> into `trackingRef` (forced: a remote rewound by a force-push is followed).
 * Returns false when the remote has no such branch.
 * @throws PERMISSION_DENIED, RESOURCE_DOES_NOT_EXIST, TEMPORARILY_UNAVAILABLE when git cannot fetch.
 */
export async function fetchNative(
  repo: LocalRepo,
  target: RemoteTarget,
  branch: string,
  trackingRef: string,
): Promise<boolean> {
  const env = await envFor(repo, target);
  const r = await runGit(
    repo,
    [
      'fetch',
      '--quiet',
      '--no-tags',
      '--no-write-fetch-head',
      '--no-recurse-submodules',
      '--',
      target.configured ? target.name : target.url,
      `+refs/heads/${branch}:${trackingRef}`,
    ],
    env,
  );
  if (r.code === 0) return true;
  if (/couldn't find remote ref/i.test(r.stderr)) return false;
  throw transportError('fetch', target.name, redactUrl(target.url), r.stderr, secretsOf(target));
}

/** `[remote rejected]` reasons that mean another writer moved the branch first: fetch and retry. */
const RACE_RE =
  /stale info|fetch first|failed to (update|lock)|cannot lock|incorrect old value|non-fast-forward|atomic/i;

/**
 * Pushes `local` to refs/heads/<branch>, expecting the remote branch at `expected` (null: absent) —
 * `--force-with-lease=refs/heads/<branch>:<expected>`, checked again by the server's own compare-and-swap.
 * The caller has checked that `local` descends from `expected`. A refused update caused by another writer
 * is `{ok:false, reason:'conflict'}`; one the server refuses for its own reasons (a hook, a protected
 * branch) throws PERMISSION_DENIED, since retrying cannot help.
 */
export async function pushNative(
  repo: LocalRepo,
  target: RemoteTarget,
  branch: string,
  local: string,
  expected: string | null,
): Promise<NativePushResult> {
  const env = await envFor(repo, target);
  const ref = `refs/heads/${branch}`;
  const r = await runGit(
    repo,
    [
      'push',
      '--porcelain',
      '--quiet',
      '--no-recurse-submodules',
      `--force-with-lease=${ref}:${expected ?? ''}`,
      '--',
      target.configured ? target.name : target.url,
      `${local}:${ref}`,
    ],
    env,
  );
  const line = parsePorcelain(r.stdout).find((l) => l.to === ref);
  if (!line) {
    if (r.code === 0) return { ok: true };
    throw transportError('push', target.name, redactUrl(target.url), r.stderr, secretsOf(target));
  }
  if (line.flag !== '!') return { ok: true };
  const summary = redactText(line.summary, secretsOf(target));
  if (/^\[remote (rejected|failure)\]/.test(summary) && !RACE_RE.test(summary)) {
    throw new RegistryError(
      'PERMISSION_DENIED',
      `Push to remote '${target.name}' (${redactUrl(target.url)}) was refused by the server: ${summary}. Check the branch's protection rules and server hooks.`,
      { remote: target.name, url: redactUrl(target.url), reason: 'refused' },
    );
  }
  return {
    ok: false,
    reason: /non-fast-forward/i.test(summary) ? 'rejected' : 'conflict',
    message: `The remote refused ${ref}: ${summary}`,
  };
}

interface PorcelainLine {
  flag: string;
  from: string;
  to: string;
  summary: string;
}

/**
 * `git push --porcelain` output: `<flag>\t<from>:<to>\t<summary> (<reason>)` per ref, between `To <url>`
 * and `Done`. Flags: ' ' fast-forward, '+' forced, '-' deleted, '*' new, '=' up to date, '!' rejected.
 */
export function parsePorcelain(stdout: string): PorcelainLine[] {
  const out: PorcelainLine[] = [];
  for (const raw of stdout.split('\n')) {
    const m = /^([ +\-*=!])\t([^\t]*)\t(.*)$/.exec(raw.replace(/\r$/, ''));
    if (!m) continue;
    const colon = m[2]!.lastIndexOf(':');
    out.push({ flag: m[1]!, from: m[2]!.slice(0, colon), to: m[2]!.slice(colon + 1), summary: m[3]! });
  }
  return out;
}
