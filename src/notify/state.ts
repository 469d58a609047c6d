// What `mreg notify` keeps per webhook, under the git directory (`mreg/notify/<name>.jsonl`): the cursor (the
// last event delivered with a 2xx, or a position every event before which was delivered or not wanted) and
// the delivery state that `mreg notify --status`, the daemon's /metrics and the UI show. Never holds a secret.
//
// The file is a journal: one complete JSON state a line, appended after every delivery, the last whole line
// winning. An append is one write(2) of a few hundred bytes on an open descriptor — replacing a file by
// rename costs milliseconds on a busy ext4 disk, which would cap deliveries near 300/s — and a crash can only
// tear the last line, which readers skip: the cursor is then the one before, and the delivery in flight is
// sent again. Past 1 MB the journal is rewritten (to a temporary file renamed into place) as its last line.
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  promises as fsp,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';

type DeliveryState = 'ok' | 'retrying' | 'parked';

export interface WebhookStatus {
  name: string;
  url: string;
  /** The commit that added the webhook to registry.yaml: deliveries start after it. */
  added_in: string | null;
  /** Resume after this event id (null: after `added_in`). */
  cursor: string | null;
  state: DeliveryState;
  /** Deliveries answered with a 2xx, since the webhook was added. */
  delivered: number;
  /** Failed attempts since the last success. */
  failures: number;
  last_delivery?: { id: string; type: string; status: number; at: string; ms: number };
  last_error?: { id: string; message: string; status?: number; at: string };
  /** When the next attempt is due (retrying or parked). */
  next_attempt?: string;
  parked_at?: string;
  /** The last force-push seen: the rewind reported to this webhook. */
  last_rewind?: { from: string; to: string; at: string };
  updated_at: string;
}

function statusDir(gitdir: string): string {
  return path.join(gitdir, 'mreg', 'notify');
}

export function statusPath(gitdir: string, name: string): string {
  return path.join(statusDir(gitdir), `${name}.jsonl`);
}

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

function parse(text: string, name: string): WebhookStatus | undefined {
  // The last whole line that parses: a torn last line (a crash mid-append) is skipped.
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (l.trim() === '') continue;
    try {
      const v = JSON.parse(l) as WebhookStatus;
      if (v && v.name === name) return v;
    } catch {
      // torn: look at the line before
    }
  }
  return undefined;
}

/** A webhook's saved state; undefined when absent or unreadable (then deliveries restart from `added_in`). */
export async function readStatus(gitdir: string, name: string): Promise<WebhookStatus | undefined> {
  try {
    return parse(await fsp.readFile(statusPath(gitdir, name), 'utf8'), name);
  } catch {
    return undefined;
  }
}

/** Every saved webhook state, synchronously (for /metrics and the UI: a few small files). */
export function readAllStatusSync(gitdir: string): WebhookStatus[] {
  let names: string[];
  try {
    names = readdirSync(statusDir(gitdir)).filter((f) => f.endsWith('.jsonl'));
  } catch {
    return [];
  }
  const out: WebhookStatus[] = [];
  for (const f of names.sort()) {
    try {
      const s = parse(readFileSync(path.join(statusDir(gitdir), f), 'utf8'), f.slice(0, -'.jsonl'.length));
      if (s) out.push(s);
    } catch {
      // removed while listing
    }
  }
  return out;
}
