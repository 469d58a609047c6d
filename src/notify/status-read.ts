// Reading what `mreg notify` keeps per webhook (state.ts writes it): the daemon's /metrics and UI and
// `mreg notify --status` import only this, so reading the state can never write it.
import { promises as fsp, readdirSync, readFileSync } from 'node:fs';
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
