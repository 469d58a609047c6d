// What changed between two registry states, as registry operations rather than file edits: the language of
// `mreg diff`, `mreg history` and the UI's activity pages. A hand edit and the equivalent command give the same list.
import { ownValue, type ModelEntry, type RegistryState, type VersionFile } from './state.js';

type OperationKind =
  | 'model_created'
  | 'model_deleted'
  | 'model_renamed'
  | 'model_description_changed'
  | 'model_tag_set'
  | 'model_tag_deleted'
  | 'alias_set'
  | 'alias_deleted'
  | 'version_registered'
  | 'version_deleted'
  | 'stage_changed'
  | 'version_description_changed'
  | 'version_tag_set'
  | 'version_tag_deleted'
  | 'version_field_changed'
  | 'registry_changed';

export interface Operation {
  op: OperationKind;
  /** The model's name (after the change; for a rename, the new name). */
  name?: string;
  version?: number;
  /** model_renamed: old and new name; stage_changed: old and new stage. */
  from?: string;
  to?: string;
  key?: string;
  alias?: string;
  field?: string;
  before?: unknown;
  after?: unknown;
}

const VERSION_FIELDS = [
  'source',
  'storage_location',
  'run_id',
  'run_link',
  'status',
  'status_message',
  'user_id',
  'digest',
  'code_commit',
  'dataset',
] as const;

function tagOps(
  before: Record<string, string> | undefined,
  after: Record<string, string> | undefined,
  make: (kind: 'set' | 'deleted', key: string, b?: string, a?: string) => Operation,
): Operation[] {
  const out: Operation[] = [];
  const b = before ?? {};
  const a = after ?? {};
  for (const [k, v] of Object.entries(a)) if (ownValue(b, k) !== v) out.push(make('set', k, ownValue(b, k), v));
  for (const [k, v] of Object.entries(b)) if (!Object.hasOwn(a, k)) out.push(make('deleted', k, v));
  return out;
}

function versionOps(name: string, before: VersionFile | undefined, after: VersionFile | undefined): Operation[] {
  if (!before && after) {
    const ops: Operation[] = [{ op: 'version_registered', name, version: after.version, after: after.source }];
    if (after.stage !== 'None')
      ops.push({ op: 'stage_changed', name, version: after.version, from: 'None', to: after.stage });
    return ops;
  }
  if (before && !after) return [{ op: 'version_deleted', name, version: before.version, before: before.stage }];
  if (!before || !after) return [];
  const version = after.version;
  const out: Operation[] = [];
  if (before.stage !== after.stage)
    out.push({ op: 'stage_changed', name, version, from: before.stage, to: after.stage });
  if ((before.description ?? '') !== (after.description ?? '')) {
    out.push({
      op: 'version_description_changed',
      name,
      version,
      before: before.description ?? '',
      after: after.description ?? '',
    });
  }
  for (const field of VERSION_FIELDS) {
    if ((before[field] ?? '') !== (after[field] ?? ''))
      out.push({
        op: 'version_field_changed',
        name,
        version,
        field,
        before: before[field] ?? '',
        after: after[field] ?? '',
      });
  }
  out.push(
    ...tagOps(before.tags, after.tags, (kind, key, b, a) =>
      kind === 'set'
        ? { op: 'version_tag_set', name, version, key, before: b, after: a }
        : { op: 'version_tag_deleted', name, version, key, before: b },
    ),
  );
  return out;
}

/** Operations that turn one model into another (either may be absent). Versions absent from a partial entry are not compared. */
export function diffModels(before: ModelEntry | undefined, after: ModelEntry | undefined): Operation[] {
  if (!before && !after) return [];
  if (!before) {
    const m = after!.file;
    const ops: Operation[] = [{ op: 'model_created', name: m.name }];
    if (m.description) ops.push({ op: 'model_description_changed', name: m.name, before: '', after: m.description });
    for (const [key, value] of Object.entries(m.tags ?? {}))
      ops.push({ op: 'model_tag_set', name: m.name, key, after: value });
    for (const n of [...after!.versions.keys()].sort((a, b) => a - b))
      ops.push(...versionOps(m.name, undefined, after!.versions.get(n)));
    for (const [alias, v] of Object.entries(after!.aliases))
      ops.push({ op: 'alias_set', name: m.name, alias, after: v });
    return ops;
  }
  if (!after) return [{ op: 'model_deleted', name: before.file.name, before: before.versions.size }];
  const name = after.file.name;
  const out: Operation[] = [];
  if (before.file.name !== name) out.push({ op: 'model_renamed', name, from: before.file.name, to: name });
  if ((before.file.description ?? '') !== (after.file.description ?? '')) {
    out.push({
      op: 'model_description_changed',
      name,
      before: before.file.description ?? '',
      after: after.file.description ?? '',
    });
  }
  out.push(
    ...tagOps(before.file.tags, after.file.tags, (kind, key, b, a) =>
      kind === 'set'
        ? { op: 'model_tag_set', name, key, before: b, after: a }
        : { op: 'model_tag_deleted', name, key, before: b },
    ),
  );
  const numbers = [...new Set([...before.versions.keys(), ...after.versions.keys()])].sort((a, b) => a - b);
  for (const n of numbers) out.push(...versionOps(name, before.versions.get(n), after.versions.get(n)));
  const ab = before.aliases;
  const aa = after.aliases;
  for (const [alias, v] of Object.entries(aa))
    if (ownValue(ab, alias) !== v) out.push({ op: 'alias_set', name, alias, before: ownValue(ab, alias), after: v });
  for (const [alias, v] of Object.entries(ab))
    if (!Object.hasOwn(aa, alias)) out.push({ op: 'alias_deleted', name, alias, before: v });
  return out;
}

/**
 * A deleted model and a created one are a rename when the new one carries the old one's creation time and
 * version numbers — which is what `mreg rename` (and a `git mv` plus an edit of `name:`) produces.
 */
function isRename(a: ModelEntry, b: ModelEntry): boolean {
  if (a.file.created_at !== b.file.created_at || a.latestVersion !== b.latestVersion) return false;
  const av = [...a.versions.keys()].sort((x, y) => x - y).join(',');
  const bv = [...b.versions.keys()].sort((x, y) => x - y).join(',');
  return av === bv;
}

/** Pairs deleted and created models that are renames of each other. */
export function pairRenames(deleted: ModelEntry[], created: ModelEntry[]): Array<[ModelEntry, ModelEntry]> {
  const pairs: Array<[ModelEntry, ModelEntry]> = [];
  const free = new Set(created);
  for (const d of deleted) {
    const match = [...free].find((c) => isRename(d, c));
    if (match) {
      free.delete(match);
      pairs.push([d, match]);
    }
  }
  return pairs;
}

/**
 * Every model of two sides, by name in code-point order, paired with itself on the other side: a model that
 * was renamed is one pair (old entry, new entry) under its new name, so a rename reads as one model moving,
 * not as one deleted and one created. `after` maps a deleted model to null or leaves it out.
 * What `diffStates`, the write precheck and `mreg validate`'s policy check all walk.
 */
export function pairModels(
  before: ReadonlyMap<string, ModelEntry>,
  after: ReadonlyMap<string, ModelEntry | null>,
): Array<[before: ModelEntry | undefined, after: ModelEntry | undefined]> {
  const deleted = [...before].filter(([n]) => !after.get(n)).map(([, e]) => e);
  const created = [...after].flatMap(([n, e]) => (e && !before.has(n) ? [e] : []));
  const renames = pairRenames(deleted, created);
  const renamedFrom = new Map(renames.map(([d, c]) => [c.file.name, d]));
  const renamedAway = new Set(renames.map(([d]) => d.file.name));
  const names = [...new Set([...before.keys(), ...after.keys()])].sort(byCodePoint);
  return names
    .filter((name) => !renamedAway.has(name))
    .map((name) => [before.get(name) ?? renamedFrom.get(name), after.get(name) ?? undefined]);
}

/** Everything that changed from one state to another, model by model in name order. */
export function diffStates(before: RegistryState, after: RegistryState): Operation[] {
  const out: Operation[] = [];
  if (JSON.stringify(before.registry) !== JSON.stringify(after.registry))
    out.push({ op: 'registry_changed', before: before.registry, after: after.registry });
  for (const [b, a] of pairModels(before.models, after.models)) out.push(...diffModels(b, a));
  return out;
}

export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function short(v: unknown, max = 60): string {
  const s = String(v ?? '');
  const line = s.split('\n')[0]!;
  return line.length > max ? line.slice(0, max - 1) + '…' : line + (s.includes('\n') ? ' …' : '');
}

/** One line per operation, e.g. `fraud v7: Staging → Production`. */
export function describeOperation(op: Operation): string {
  const who = op.version !== undefined ? `${op.name} v${op.version}` : `${op.name}`;
  switch (op.op) {
    case 'model_created':
      return `${op.name}: model created`;
    case 'model_deleted':
      return `${op.name}: model deleted`;
    case 'model_renamed':
      return `${op.from}: renamed to ${op.to}`;
    case 'model_description_changed':
    case 'version_description_changed':
      return op.after
        ? `${who}: description ${op.before ? 'changed' : 'set'}: "${short(op.after)}"`
        : `${who}: description cleared`;
    case 'model_tag_set':
    case 'version_tag_set':
      return `${who}: tag ${op.key} = "${short(op.after)}"${op.before !== undefined ? ` (was "${short(op.before)}")` : ''}`;
    case 'model_tag_deleted':
    case 'version_tag_deleted':
      return `${who}: tag ${op.key} deleted (was "${short(op.before)}")`;
    case 'alias_set':
      return `${op.name}: alias @${op.alias} → v${String(op.after)}${op.before !== undefined ? ` (was v${String(op.before)})` : ''}`;
    case 'alias_deleted':
      return `${op.name}: alias @${op.alias} deleted (was v${String(op.before)})`;
    case 'version_registered':
      return `${who}: registered from ${short(op.after, 100)}`;
    case 'version_deleted':
      return `${who}: deleted`;
    case 'stage_changed':
      return `${who}: ${op.from} → ${op.to}`;
    case 'version_field_changed':
      return `${who}: ${op.field} changed from "${short(op.before)}" to "${short(op.after)}"`;
    case 'registry_changed':
      return 'registry.yaml changed';
  }
}
