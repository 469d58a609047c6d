// The environment the system's git runs in for fetch and push: the caller's, minus what would point git at
// another repository or make it print secrets, plus what keeps it from ever waiting for a person.
//
// Not an allow-list: credential helpers and ssh commands are the user's own programs and read the environment
// they were written for (GITHUB_TOKEN for a `!f() { echo password=$GITHUB_TOKEN; }; f` helper, SSH_AUTH_SOCK
// for an agent, proxies, CA bundles). What is removed is listed, and why.

export type GitEnv = Readonly<Record<string, string>>;

/**
 * Variables that bind git to a repository, an index or object store other than the one mreg names with
 * --git-dir (set when mreg runs inside a git hook or alias), or that trace requests — GIT_TRACE_CURL and
 * GIT_CURL_VERBOSE print Authorization headers, and git's stderr is what a failure is told from.
 */
const DROPPED =
  /^GIT_(DIR|WORK_TREE|INDEX_FILE|INDEX_VERSION|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|COMMON_DIR|NAMESPACE|CEILING_DIRECTORIES|DISCOVERY_ACROSS_FILESYSTEM|PREFIX|SUPER_PREFIX|QUARANTINE_PATH|SHALLOW_FILE|GRAFT_FILE|REPLACE_REF_BASE|NO_REPLACE_OBJECTS|TRACE\w*|CURL_VERBOSE|REDACT_COOKIES|PROTOCOL|FLUSH|PAGER|EDITOR|SEQUENCE_EDITOR)$/;

/**
 * The environment for a git child process, built from `base` (the process's environment, passed in by
 * the caller):
 * - `GIT_TERMINAL_PROMPT=0`: a missing credential is an error, never a prompt on the terminal. An askpass
 *   program the user configured (GIT_ASKPASS, core.askPass, SSH_ASKPASS) is still asked.
 * - `LC_ALL=C`: git's messages in English, which is what a failure is classified from.
 * - `GIT_SSH_COMMAND='ssh -o BatchMode=yes'` when `sshBatchMode` is set, i.e. the user configured no ssh
 *   command of their own (GIT_SSH_COMMAND, GIT_SSH or core.sshCommand): ssh then fails instead of asking
 *   for a passphrase, a password or whether to trust a new host key.
 */
export function gitEnvironment(base: Readonly<Record<string, string | undefined>>, sshBatchMode = false): GitEnv {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v === undefined || DROPPED.test(k)) continue;
    out[k] = v;
  }
  out.GIT_TERMINAL_PROMPT = '0';
  out.LC_ALL = 'C';
  delete out.LANGUAGE;
  if (sshBatchMode) out.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
  return out;
}

/** Whether the environment names an ssh command (then core.sshCommand is ignored by git, and so is our default). */
export function hasSshCommand(env: Readonly<Record<string, string | undefined>>): boolean {
  return !!env.GIT_SSH_COMMAND || !!env.GIT_SSH;
}

/** The process's environment: the store's one read of it, handed to gitEnvironment. */
export function processEnv(): Readonly<Record<string, string | undefined>> {
  return process.env;
}
