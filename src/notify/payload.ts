// MLflow's webhook wire format (MLflow 3.3+): the body `{entity, action, timestamp, data}` and the headers
// X-MLflow-Delivery-Id, X-MLflow-Timestamp (Unix seconds) and X-MLflow-Signature `v1,<base64 HMAC-SHA256 of
// "{delivery_id}.{timestamp}.{body}">`, so a receiver written against MLflow's documentation verifies ours.
import { createHmac } from 'node:crypto';
import type { EventType, RegistryEvent } from '../events/types.js';

const DELIVERY_ID_HEADER = 'X-MLflow-Delivery-Id';
const TIMESTAMP_HEADER = 'X-MLflow-Timestamp';
const SIGNATURE_HEADER = 'X-MLflow-Signature';

/** `model_version.stage_transitioned` → entity `model_version`, action `stage_transitioned`. */
export function entityAction(type: EventType): { entity: string; action: string } {
  const i = type.indexOf('.');
  return { entity: type.slice(0, i), action: type.slice(i + 1) };
}

/** Python's `datetime.now(timezone.utc).isoformat()` spelling, which MLflow puts in `timestamp`. */
export function pythonIsoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000+00:00');
}

/** JSON with every non-ASCII character escaped, as Python's json.dumps writes it: the body is plain ASCII. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

/** The request body of one event: MLflow's fields, plus the commit and author mreg knows. */
export function webhookBody(e: RegistryEvent, now: number): string {
  const { entity, action } = entityAction(e.type);
  return asciiJson({
    entity,
    action,
    timestamp: pythonIsoTime(now),
    data: { ...e.data, commit: e.commit, author: e.author },
  });
}

export function signature(secret: string, deliveryId: string, timestamp: string, body: string): string {
  return 'v1,' + createHmac('sha256', secret).update(`${deliveryId}.${timestamp}.${body}`, 'utf8').digest('base64');
}

/** The headers of one delivery; unsigned when the webhook has no secret (as MLflow does). */
export function webhookHeaders(
  deliveryId: string,
  body: string,
  now: number,
  secret: string | undefined,
  userAgent: string,
): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  const h: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': userAgent,
    [DELIVERY_ID_HEADER]: deliveryId,
    [TIMESTAMP_HEADER]: timestamp,
  };
  if (secret !== undefined) h[SIGNATURE_HEADER] = signature(secret, deliveryId, timestamp, body);
  return h;
}

/** The example payloads MLflow's test deliveries carry (its `example()` values), for `mreg notify --test`. */
export function exampleData(type: EventType): Record<string, unknown> {
  const name = 'example_model';
  switch (type) {
    case 'registered_model.created':
      return { name, tags: { example_key: 'example_value' }, description: 'An example registered model' };
    case 'model_version.created':
      return {
        name,
        version: '1',
        source: 'runs:/abcd1234abcd5678/model',
        run_id: 'abcd1234abcd5678',
        tags: { example_key: 'example_value' },
        description: 'An example model version',
      };
    case 'model_version_tag.set':
      return { name, version: '1', key: 'example_key', value: 'example_value' };
    case 'model_version_tag.deleted':
      return { name, version: '1', key: 'example_key' };
    case 'model_version_alias.created':
      return { name, alias: 'example_alias', version: '1' };
    case 'model_version_alias.deleted':
      return { name, alias: 'example_alias' };
    case 'registered_model.renamed':
      return { name, previous_name: 'example_model_old' };
    case 'registered_model.deleted':
      return { name };
    case 'registered_model.description_updated':
      return { name, description: 'An example registered model' };
    case 'registered_model_tag.set':
      return { name, key: 'example_key', value: 'example_value' };
    case 'registered_model_tag.deleted':
      return { name, key: 'example_key' };
    case 'model_version.deleted':
      return { name, version: '1' };
    case 'model_version.description_updated':
      return { name, version: '1', description: 'An example model version' };
    case 'model_version.stage_transitioned':
      return { name, version: '1', from_stage: 'Staging', to_stage: 'Production' };
    case 'registry.policies_changed':
      return { policies: {}, previous_policies: {} };
  }
}
