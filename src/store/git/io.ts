// Small helpers for file-system work shared by the git modules.

/** Concurrent object reads and file operations per traversal (isomorphic-git's unbounded fan-out hits EMFILE). */
export const IO_CONCURRENCY = 16;

/** The `code` of a Node.js (or isomorphic-git) error, if any. */
export function errCode(e: unknown): string | undefined {
  return (e as { code?: string } | undefined)?.code;
}

/** Whether an fs error says the path (or a folder on its way) does not exist. */
export function isMissing(e: unknown): boolean {
  const c = errCode(e);
  return c === 'ENOENT' || c === 'ENOTDIR';
}
