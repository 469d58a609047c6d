// The registry's events: what `mreg events` prints, the daemon serves and `mreg notify` delivers. One shape
// everywhere, so a consumer can switch between them and drop duplicates by id.

/** Every event type, in catalogue order (docs/EVENTS.md). `entity.action`, as MLflow names its webhook events. */
export const EVENT_TYPES = [
  'registered_model.created',
  'registered_model.renamed',
  'registered_model.deleted',
  'registered_model.description_updated',
  'registered_model_tag.set',
  'registered_model_tag.deleted',
  'model_version.created',
  'model_version.deleted',
  'model_version.description_updated',
  'model_version.stage_transitioned',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
  'registry.policies_changed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(s: string): s is EventType {
  return (EVENT_TYPES as readonly string[]).includes(s);
}

/** An event before it is placed in a commit: what changed, in MLflow's payload fields. */
export interface EventDraft {
  type: EventType;
  /** The registered model's name (after a rename, the new one); null for registry-wide events. */
  model: string | null;
  version?: number;
  /** MLflow's webhook payload fields where MLflow has the event (`name`, `version` as a string, …). */
  data: Record<string, unknown>;
}

/** One change to the registry, as `mreg events --json` prints it (one object a line). */
export interface RegistryEvent extends EventDraft {
  /** `<commit>:<position>` (or `<from>..<to>:<position>` for the events of a rewind): stable, for dropping duplicates. */
  id: string;
  /** The commit that made the change (for a rewind, the commit whose state it returns to). */
  commit: string;
  author: { name: string; email: string };
  /** When the commit was made (committer time), ms since the epoch. */
  time: number;
}

/** The null oid: a rewind to "no common history" (the branch was replaced by an unrelated one). */
export const NO_COMMIT = '0000000000000000000000000000000000000000';

/** A position in the event log: after the event `index` of `commit` (or of the rewind `rewindFrom` → `commit`). */
export interface Cursor {
  commit: string;
  index: number;
  rewindFrom?: string;
}

const ID_RE = /^(?:([0-9a-f]{40})\.\.)?([0-9a-f]{40}):(\d{1,9})$/;

/** Parses an event id into a cursor, or undefined when `s` is not one (then it may be a ref or a time). */
export function parseEventId(s: string): Cursor | undefined {
  const m = ID_RE.exec(s);
  if (!m) return undefined;
  return { commit: m[2]!, index: Number(m[3]), ...(m[1] ? { rewindFrom: m[1] } : {}) };
}

export function formatEventId(c: Cursor): string {
  return `${c.rewindFrom ? `${c.rewindFrom}..` : ''}${c.commit}:${c.index}`;
}
