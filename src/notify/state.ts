// What `mreg notify` keeps per webhook, under the git directory (`mreg/notify/<name>.json`): the cursor (the
// last event delivered with a 2xx, or a position every event before which was delivered or not wanted) and
// the delivery state that `mreg notify --status`, the daemon's /metrics and the UI show. Written to a
// temporary file and renamed into place, so a reader or a crash never sees half a file. Never holds a secret.
import { promises as fsp, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type DeliveryState = 'ok' | 'retrying' | 'parked';

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

export function statusDir(gitdir: string): string {
  return path.join(gitdir, 'mreg', 'notify');
}

export function statusPath(gitdir: string, name: string): string {
  return path.join(statusDir(gitdir), `${name}.json`);
}

export async function writeStatus(gitdir: string, s: WebhookStatus): Promise<void> {
  const file = statusPath(gitdir, s.name);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(s, null, 2) + '\n');
  await fsp.rename(tmp, file);
}

function parse(text: string, name: string): WebhookStatus | undefined {
  try {
    const v = JSON.parse(text) as WebhookStatus;
    return v && v.name === name ? v : undefined;
  } catch {
    return undefined;
  }
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
    names = readdirSync(statusDir(gitdir)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: WebhookStatus[] = [];
  for (const f of names.sort()) {
    try {
      const s = parse(readFileSync(path.join(statusDir(gitdir), f), 'utf8'), f.slice(0, -'.json'.length));
      if (s) out.push(s);
    } catch {
      // removed while listing
    }
  }
  return out;
}
