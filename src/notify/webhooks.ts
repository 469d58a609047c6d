// The webhooks of registry.yaml (its schema checks each entry; here: what the schema cannot say).
import { RegistryError } from '../errors.js';
import { concernsModel } from '../events/log.js';
import type { EventType, RegistryEvent } from '../events/types.js';
import type { RegistryFile } from '../domain/state.js';

export interface Webhook {
  name: string;
  url: string;
  events: readonly EventType[];
  models?: readonly string[];
  secret_env?: string;
}

/** The webhooks of a registry file. @throws INVALID_PARAMETER_VALUE for two webhooks of one name. */
export function webhooksOf(registry: RegistryFile): Webhook[] {
  const list = (registry.webhooks ?? []) as Webhook[];
  const seen = new Set<string>();
  for (const w of list) {
    if (seen.has(w.name))
      throw RegistryError.invalid(`registry.yaml names two webhooks '${w.name}': each needs its own name.`, {
        webhook: w.name,
      });
    seen.add(w.name);
  }
  return list;
}

/** Whether an event goes to a webhook: one of its types, and one of its models when it lists some. */
export function wants(w: Webhook, e: RegistryEvent): boolean {
  if (!w.events.includes(e.type)) return false;
  if (!w.models) return true;
  return w.models.some((m) => concernsModel(e, m));
}

/** What identifies where deliveries go: a change unparks a parked webhook. */
export function destinationOf(w: Webhook): string {
  return JSON.stringify([w.url, w.secret_env ?? null]);
}
