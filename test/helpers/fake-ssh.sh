#!/bin/sh
# A stand-in for ssh that needs no sshd: git runs it as GIT_SSH_COMMAND with `[options] [user@]host command`,
# and it runs the requested git-upload-pack / git-receive-pack on this machine, as sshd would run it for the
# user. A relative path (scp-like `git@host:org/repo.git`) is taken from FAKE_SSH_HOME, as a login shell
# starts in the user's home. Each call is appended to FAKE_SSH_LOG (when set) as
# `host<TAB>command<TAB>options`, so a test can see that the ssh transport really ran, and how.
set -eu
host=''
opts=''
while [ $# -gt 0 ]; do
  case "$1" in
    -G) exit 1 ;; # git's variant probe: answer "not OpenSSH", so git passes only host and command
    -p|-o|-i|-l|-F|-J) opts="$opts $1 $2"; shift 2 ;;
    -*) opts="$opts $1"; shift ;;
    *) host=$1; shift; break ;;
  esac
done
cmd=$*
case "$cmd" in
  git-upload-pack\ *|git-receive-pack\ *|git-upload-archive\ *) ;;
  *) echo "fake-ssh: refusing '$cmd'" >&2; exit 1 ;;
esac
if [ -n "${FAKE_SSH_LOG:-}" ]; then printf '%s\t%s\t%s\n' "$host" "$cmd" "$opts" >> "$FAKE_SSH_LOG"; fi
if [ -n "${FAKE_SSH_HOME:-}" ]; then cd "$FAKE_SSH_HOME"; fi
# The command is `git-upload-pack '<path>'`, quoted by git for a POSIX shell, as sshd hands it to one.
exec sh -c "$cmd"
