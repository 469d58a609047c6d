// What `mreg notify` keeps per webhook, under the git directory (`mreg/notify/<name>.jsonl`): the cursor (the
// last event delivered with a 2xx, or a position every event before which was delivered or not wanted) and
// the delivery state that `mreg notify --status`, the daemon's /metrics and the UI show. Never holds a secret.
//
// The file is a journal: one complete JSON state a line, appended after every delivery, the last whole line
// winning. An append is one write(2) of a few hundred bytes on an open descriptor — replacing a file by
// rename costs milliseconds on a busy ext4 disk, which would cap deliveries near 300/s — and a crash can only
// tear the last line, which readers skip: the cursor is then the one before, and the delivery in flight is
// sent again. Past 1 MB the journal is rewritten (to a temporary file renamed into place) as its last line.
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { statusPath, type WebhookStatus } from './status-read.js';

export { readAllStatusSync, readStatus, statusPath } from './status-read.js';
export type { WebhookStatus } from './status-read.js';

/** Rewrite the journal past this size. */
const MAX_JOURNAL_BYTES = 1024 * 1024;
const open = new Map<string, { fd: number; size: number }>();

/**
 * Saves a webhook's state: one line appended to its journal. Synchronous on purpose: it runs after every
 * delivery, and a delivery counts only once this has returned.
 */
export function writeStatus(gitdir: string, s: WebhookStatus): void {
  const file = statusPath(gitdir, s.name);
  const line = JSON.stringify(s) + '\n';
  let j = open.get(file);
  if (!j) {
    mkdirSync(path.dirname(file), { recursive: true });
    const fd = openSync(file, 'a');
    j = { fd, size: fstatSync(fd).size };
    open.set(file, j);
  }
  if (j.size + line.length > MAX_JOURNAL_BYTES) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, line);
    renameSync(tmp, file);
    closeSync(j.fd);
    j.fd = openSync(file, 'a');
    j.size = Buffer.byteLength(line);
    return;
  }
  writeSync(j.fd, line);
  j.size += Buffer.byteLength(line);
}
