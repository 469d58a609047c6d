// The import planner: an MLflow snapshot × the registry at the branch head × the record of the last import →
// what to write, model by model. Pure (no I/O); the Registry's write loop applies and checks each Change.
//
// Change detection is a three-way comparison per model. The record keeps, for every model, a fingerprint of
// what MLflow sent at the last import and of what git held right after it. MLflow changed a model when its
// wire fingerprint differs from the record; git changed it when the entry at the head differs from the record.
// Only MLflow changed → the model is rewritten from MLflow; only git changed → git is kept (and reported);
// both → a conflict, reported unless `prefer` says which side wins. A model kept as git had it (--prefer git)
// stays "changed in git" until the two sides agree again, so a later MLflow change is a conflict too. Without
// a record every difference counts as a change on both sides, so nothing in git is overwritten silently.
import { createHash } from 'node:crypto';
import { byCodePoint, describeOperation, diffModels, type Operation } from '../domain/diff.js';
import { checkModel } from '../domain/invariants.js';
import { encodeName, nameProblem } from '../domain/names.js';
import { Draft, type Change } from '../domain/ops/change.js';
import { modelEntry, ownValue, type ModelEntry, type RegistryState, type VersionFile } from '../domain/state.js';
import { toModelFile, toVersionFile } from '../mlflow/from-wire.js';
import { validateDocument } from '../schema/validate.js';
import type { MlflowSnapshot, SnapshotModel } from './snapshot.js';

/** Fingerprints of one model at the last import: MLflow's answer, and git's entry right after the import. */
export interface RecordEntry {
  mlflow: string;
  git: string;
  /** False when git was left different from MLflow on purpose (--prefer git): a later MLflow change is a conflict. */
  synced: boolean;
}

/** What the last import from one server into one branch saw and left. */
export interface ImportRecord {
  server: string;
  branch: string;
  /** The branch head after the last import. */
  commit: string | null;
  /** Epoch ms of the last import. */
  time: number;
  models: Record<string, RecordEntry>;
}

export type Prefer = 'mlflow' | 'git';

/** The fingerprint of an absent model. */
const ABSENT = '-';

/** One model to write: created, updated, deleted or renamed from MLflow. */
export interface ModelStep {
  /** The model's name (the new one for a rename). */
  name: string;
  /** A rename: the old name. */
  from?: string;
  /** The model as MLflow has it; undefined when MLflow deleted it. */
  target: ModelEntry | undefined;
  /** The model in git before the step (the old name's entry for a rename). */
  current: ModelEntry | undefined;
  /** The step overwrites changes made in git (a conflict decided by prefer=mlflow). */
  overwrites: boolean;
  /** MLflow user ids of the versions the step registers or changes. */
  users: string[];
  /** The record's entries once the step is committed. */
  record: Record<string, RecordEntry | null>;
}

export interface Conflict {
  name: string;
  /** What MLflow has that git does not, as operations from git's state to MLflow's. */
  operations: Operation[];
}

export interface InvalidModel {
  name: string;
  problems: string[];
}

export interface ImportPlan {
  steps: ModelStep[];
  /** Changed on both sides and not decided: left as they are. */
  conflicts: Conflict[];
  /** Changed in git since the last import while MLflow did not change: kept. */
  kept: string[];
  /** Models MLflow has that mreg cannot store: never written. */
  invalid: InvalidModel[];
  /** Things the import leaves out, e.g. aliases pointing at versions MLflow deleted. */
  notes: string[];
  /** The record's entries for models that need no step (unchanged, or kept by prefer=git). */
  record: Record<string, RecordEntry>;
}

// ---------------------------------------------------------------- fingerprints

/** JSON with every object's keys sorted (a hand-edited file may order them differently). */
function stable(v: unknown): string {
  return JSON.stringify(v, (_key, value: unknown) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    if (keys.every((k, i) => i === 0 || keys[i - 1]! < k)) return value;
    return Object.fromEntries(keys.sort(byCodePoint).map((k) => [k, (value as Record<string, unknown>)[k]]));
  });
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 32);
}

/**
 * MLflow's side of a model: everything the server sent about it. The wire parser builds every object with its
 * keys in one fixed order, so plain JSON is canonical here; only alias order is the server's whim.
 */
export function fingerprintMlflow(m: SnapshotModel | undefined): string {
  if (!m) return ABSENT;
  const model = { ...m.model, aliases: sortedAliases(m.model.aliases) };
  const versions = [...m.versions.keys()].sort((a, b) => a - b).map((n) => m.versions.get(n));
  const storage = [...m.storage].sort(([a], [b]) => a - b);
  return hash(JSON.stringify([model, versions, storage]));
}

/**
 * The models to look at when git has not moved since the last import: those whose MLflow fingerprint changed,
 * and those MLflow no longer lists. Everything else was decided last time and stays decided.
 */
export function changedInMlflow(snapshot: MlflowSnapshot, record: ImportRecord): Set<string> {
  const out = new Set<string>();
  for (const [name, m] of snapshot.models) if (record.models[name]?.mlflow !== fingerprintMlflow(m)) out.add(name);
  for (const [name, r] of Object.entries(record.models))
    if (!snapshot.models.has(name) && r.mlflow !== ABSENT) out.add(name);
  return out;
}

function sortedAliases<T extends { alias: string }>(a: T[] | undefined): T[] | undefined {
  return a ? [...a].sort((x, y) => byCodePoint(x.alias, y.alias)) : undefined;
}

function pairs(m: Record<string, unknown> | undefined): Array<[string, unknown]> | undefined {
  return m && Object.keys(m).length ? Object.entries(m) : undefined;
}

function canonicalVersion(v: VersionFile | undefined): string {
  return v ? stable({ ...v, tags: pairs(v.tags) }) : ABSENT;
}

function canonicalEntry(e: ModelEntry | undefined): string {
  if (!e) return ABSENT;
  const model = stable({
    ...e.file,
    tags: pairs(e.file.tags),
    aliases: pairs(e.aliases)?.sort(([a], [b]) => byCodePoint(a, b)),
    deleted: [...e.deleted].sort(([a], [b]) => a - b),
  });
  const versions = [...e.versions.keys()].sort((a, b) => a - b).map((n) => canonicalVersion(e.versions.get(n)));
  return `${model}\n${versions.join('\n')}`;
}

function printOf(canonical: string): string {
  return canonical === ABSENT ? ABSENT : hash(canonical);
}

/** Git's side of a model: its documents, with tag order kept (MLflow shows it) and alias order ignored. */
export function fingerprintEntry(e: ModelEntry | undefined): string {
  return printOf(canonicalEntry(e));
}

// ---------------------------------------------------------------- MLflow → documents

interface Target {
  entry: ModelEntry;
  problems: string[];
  notes: string[];
}

/**
 * The model as the registry should hold it. `current` is git's entry for the same model (undefined if none):
 * numbers of versions deleted before they were ever seen cannot be known, but numbers once seen are never
 * given out again — every number up to the highest without a live version gets a tombstone (its time kept
 * from git, else MLflow's last-updated time, so the derived last-updated time stays MLflow's).
 */
export function targetOf(sm: SnapshotModel, current: ModelEntry | undefined): Target {
  const problems: string[] = [];
  const notes: string[] = [];
  const name = sm.model.name;
  const bad = nameProblem(name);
  if (bad) problems.push(`name ${bad}`);
  const versions = new Map<number, VersionFile>();
  for (const n of [...sm.versions.keys()].sort((a, b) => a - b))
    versions.set(n, toVersionFile(sm.versions.get(n)!, sm.storage.get(n)));
  const aliases: Record<string, number> = {};
  for (const a of sm.model.aliases ?? []) {
    const n = Number(a.version);
    if (versions.has(n)) aliases[a.alias] = n;
    else notes.push(`${name}: alias ${a.alias} points to v${a.version}, which MLflow has deleted: not imported`);
  }
  const latest = Math.max(current?.latestVersion ?? 0, ...versions.keys(), 0);
  const file = toModelFile(sm.model);
  const deleted = new Map<number, string>();
  for (let n = 1; n <= latest; n++) if (!versions.has(n)) deleted.set(n, current?.deleted.get(n) || file.updated_at);
  const entry = modelEntry({ dir: bad ? '' : encodeName(name), file, versions, aliases, deleted });
  if (!bad) {
    for (const p of validateDocument('model', file))
      problems.push(`${p.instancePath.slice(1) || 'model'}: ${p.message}`);
    for (const v of versions.values())
      for (const p of validateDocument('model-version', v))
        problems.push(`v${v.version}${p.instancePath ? ' ' + p.instancePath.slice(1) : ''}: ${p.message}`);
    if (!problems.length) for (const p of checkModel(entry)) problems.push(p.message);
  }
  return { entry, problems, notes };
}

// ---------------------------------------------------------------- planning

export interface PlanOptions {
  prefer?: Prefer | undefined;
  /** Only these model names (see changedInMlflow); all of MLflow's and git's otherwise. */
  only?: ReadonlySet<string> | undefined;
}

export type Decision =
  | { kind: 'none'; record: RecordEntry }
  | { kind: 'step'; step: ModelStep }
  | { kind: 'kept' }
  | { kind: 'conflict'; conflict: Conflict }
  | { kind: 'invalid'; invalid: InvalidModel };

/** A unit of planning: one model name, or a rename (the old name in git, the new one in MLflow). */
export interface PlanKey {
  name: string;
  from?: string;
}

function usersOf(target: ModelEntry | undefined, current: ModelEntry | undefined): string[] {
  if (!target) return [];
  const users = new Set<string>();
  for (const v of target.versions.values()) {
    if (!v.user_id) continue;
    if (canonicalVersion(current?.versions.get(v.version)) !== canonicalVersion(v)) users.add(v.user_id);
  }
  return [...users];
}

/**
 * Decides one model (or one rename) against the state at the head. The sync calls it again inside each
 * write, on the head it is about to commit on, so a commit that slipped in meanwhile is judged too.
 */
export function planModel(
  key: PlanKey,
  snapshot: MlflowSnapshot,
  state: RegistryState,
  record: ImportRecord | undefined,
  opts: PlanOptions,
  notes: string[] = [],
): Decision {
  const sm = snapshot.models.get(key.name);
  const current = state.models.get(key.from ?? key.name);
  const sameModel = current && sm && current.file.created_at === new Date(sm.model.creation_timestamp).toISOString();
  const t = sm ? targetOf(sm, sameModel ? current : undefined) : undefined;
  notes.push(...(t?.notes ?? []));
  if (t?.problems.length) return { kind: 'invalid', invalid: { name: key.name, problems: t.problems } };
  const target = t?.entry;
  const mlflowPrint = fingerprintMlflow(sm);
  const currentText = canonicalEntry(current);
  const targetText = canonicalEntry(target);
  if (!key.from && targetText === currentText) {
    return { kind: 'none', record: { mlflow: mlflowPrint, git: printOf(currentText), synced: true } };
  }
  const previous = record?.models[key.from ?? key.name];
  const mlflowChanged = key.from ? true : previous ? previous.mlflow !== mlflowPrint : sm !== undefined;
  // Git "changed" when it moved since the last import, or was left different from MLflow then.
  const gitChanged = previous
    ? previous.git !== printOf(currentText) || previous.synced === false
    : current !== undefined;
  // A rename also lands on the new name: someone may have created that model in git meanwhile.
  const newNameTaken = key.from !== undefined && state.models.has(key.name);
  if (!mlflowChanged) return { kind: 'kept' };
  if ((gitChanged || newNameTaken) && opts.prefer !== 'mlflow') {
    if (opts.prefer === 'git')
      return { kind: 'none', record: { mlflow: mlflowPrint, git: printOf(currentText), synced: false } };
    return { kind: 'conflict', conflict: { name: key.name, operations: diffModels(current, target) } };
  }
  const entries: Record<string, RecordEntry | null> = {
    [key.name]: { mlflow: mlflowPrint, git: printOf(targetText), synced: true },
  };
  if (key.from) entries[key.from] = null;
  return {
    kind: 'step',
    step: {
      name: key.name,
      ...(key.from ? { from: key.from } : {}),
      target,
      current,
      overwrites: gitChanged || newNameTaken,
      users: usersOf(target, current),
      record: entries,
    },
  };
}

/**
 * Renames in MLflow: a model gone from MLflow and a new one there that carries its creation time and
 * version numbers (a rename keeps both) — one commit, not a deletion and a creation.
 */
function pairRenames(snapshot: MlflowSnapshot, state: RegistryState, only?: ReadonlySet<string>): PlanKey[] {
  const gone = [...state.models.values()].filter(
    (e) => !snapshot.models.has(e.file.name) && (!only || only.has(e.file.name)),
  );
  const fresh = [...snapshot.models.values()].filter(
    (m) => !state.models.has(m.model.name) && (!only || only.has(m.model.name)),
  );
  const pairs: PlanKey[] = [];
  for (const g of gone) {
    const numbers = [...g.versions.keys()].sort((a, b) => a - b).join(',');
    const i = fresh.findIndex(
      (m) =>
        new Date(m.model.creation_timestamp).toISOString() === g.file.created_at &&
        [...m.versions.keys()].sort((a, b) => a - b).join(',') === numbers,
    );
    if (i < 0) continue;
    pairs.push({ name: fresh[i]!.model.name, from: g.file.name });
    fresh.splice(i, 1);
  }
  return pairs;
}

/** The whole plan: every model MLflow or git has, in name order. */
export function planImport(
  snapshot: MlflowSnapshot,
  state: RegistryState,
  record: ImportRecord | undefined,
  opts: PlanOptions = {},
): ImportPlan {
  const plan: ImportPlan = { steps: [], conflicts: [], kept: [], invalid: [], notes: [], record: {} };
  const only = opts.only;
  const renames = pairRenames(snapshot, state, only);
  const paired = new Set(renames.flatMap((k) => [k.name, k.from!]));
  const names = [...(only ?? new Set([...snapshot.models.keys(), ...state.models.keys()]))].filter(
    (n) => !paired.has(n),
  );
  const keys: PlanKey[] = [...names.map((name) => ({ name })), ...renames].sort((a, b) => byCodePoint(a.name, b.name));
  for (const key of keys) {
    const d = planModel(key, snapshot, state, record, opts, plan.notes);
    if (key.from && d.kind !== 'step') {
      // Not taken as a rename (a conflict on either name): judge the two names on their own.
      for (const name of [key.from, key.name])
        addDecision(plan, { name }, planModel({ name }, snapshot, state, record, opts, plan.notes));
      continue;
    }
    addDecision(plan, key, d);
  }
  plan.steps.sort((a, b) => byCodePoint(a.name, b.name));
  return plan;
}

function addDecision(plan: ImportPlan, key: PlanKey, d: Decision): void {
  switch (d.kind) {
    case 'none':
      plan.record[key.name] = d.record;
      break;
    case 'step':
      plan.steps.push(d.step);
      break;
    case 'kept':
      plan.kept.push(key.name);
      break;
    case 'conflict':
      plan.conflicts.push(d.conflict);
      break;
    case 'invalid':
      plan.invalid.push(d.invalid);
      break;
  }
}

// ---------------------------------------------------------------- steps → Changes

function phrase(op: Operation): string {
  const v = op.version !== undefined ? `v${op.version} ` : '';
  switch (op.op) {
    case 'model_created':
      return 'created';
    case 'model_deleted':
      return 'deleted';
    case 'model_renamed':
      return `renamed to ${op.to}`;
    case 'model_description_changed':
    case 'version_description_changed':
      return `${v}description ${op.after ? 'updated' : 'cleared'}`;
    case 'model_tag_set':
    case 'version_tag_set':
      return `${v}tag ${op.key} set`;
    case 'model_tag_deleted':
    case 'version_tag_deleted':
      return `${v}tag ${op.key} deleted`;
    case 'alias_set':
      return `alias ${op.alias} → v${String(op.after)}`;
    case 'alias_deleted':
      return `alias ${op.alias} deleted`;
    case 'version_registered':
      return `${v}registered`;
    case 'version_deleted':
      return `${v}deleted`;
    case 'stage_changed':
      return `${v}${op.from} → ${op.to}`;
    case 'version_field_changed':
      return `${v}${op.field} changed`;
    case 'registry_changed':
      return 'registry changed';
  }
}

/** `fraud: v7 Staging → Production; v8 registered`, at most six phrases in the subject. */
export function stepSubject(step: ModelStep): string {
  const ops = diffModels(step.current, step.target);
  // A registration already says the version is new: its "None → X" and tag details go to the body.
  const registered = new Set(ops.filter((o) => o.op === 'version_registered').map((o) => o.version));
  const shown = ops.filter(
    (o) => !(registered.has(o.version) && o.op !== 'version_registered' && o.op !== 'stage_changed'),
  );
  let phrases = shown.map(phrase);
  if (step.current === undefined && step.target) {
    const n = step.target.versions.size;
    phrases = [`created${n ? ` with ${n} version${n === 1 ? '' : 's'}` : ''}`];
  }
  if (!phrases.length) phrases = ['timestamps updated'];
  const head = phrases.slice(0, 6).join('; ') + (phrases.length > 6 ? `; … (${phrases.length - 6} more)` : '');
  const from = step.from ?? step.name;
  return `${from}: ${head}`;
}

/** The step as one Change: the model's documents from MLflow, written where they differ from git's. */
export function stepChange(step: ModelStep, by: string): Change {
  const ops = diffModels(step.current, step.target);
  const body = ops.slice(0, 200).map(describeOperation);
  if (ops.length > 200) body.push(`… and ${ops.length - 200} more`);
  const notes = [`Imported from ${by}.`];
  if (step.users.length) notes.push(`MLflow user${step.users.length > 1 ? 's' : ''}: ${step.users.join(', ')}.`);
  if (step.overwrites) notes.push('This overwrote changes made in git since the last import (--prefer mlflow).');
  const draft = new Draft(`${stepSubject(step)}\n\n${[...body, '', ...notes].join('\n')}`);
  addStep(draft, step);
  return draft.change;
}

function addStep(draft: Draft, step: ModelStep): void {
  const { current, target } = step;
  if (step.from && current) draft.deleteModel(current);
  if (!target) {
    if (current && !step.from) draft.deleteModel(current);
    return;
  }
  const same = step.from ? undefined : current;
  // Only the files whose facts differ, as every write does.
  if (
    same &&
    stable({ ...same.file, tags: pairs(same.file.tags) }) === stable({ ...target.file, tags: pairs(target.file.tags) })
  )
    draft.setAfter(target, same);
  else draft.putModel(target, same);
  for (const v of target.versions.values()) {
    if (canonicalVersion(same?.versions.get(v.version)) !== canonicalVersion(v)) draft.putVersion(target, v);
  }
  for (const n of same?.versions.keys() ?? [])
    if (!target.versions.has(n)) draft.deleteVersion(same!, n, target.deleted.get(n) ?? target.lastUpdated);
  for (const [n, at] of target.deleted) if (same?.deleted.get(n) !== at) draft.putTombstone(target, n, at);
  for (const n of same?.deleted.keys() ?? []) if (!target.deleted.has(n)) draft.removeTombstone(same!, n);
  for (const [a, n] of Object.entries(target.aliases))
    if (ownValue(same?.aliases, a) !== n) draft.putAlias(target, a, n);
  for (const a of Object.keys(same?.aliases ?? {})) if (!Object.hasOwn(target.aliases, a)) draft.deleteAlias(same!, a);
}

/** Several steps as one Change (the first import is one commit), with a summary subject. */
export function stepsChange(steps: ModelStep[], by: string): Change {
  const models = steps.filter((s) => s.target).length;
  const versions = steps.reduce((n, s) => n + (s.target?.versions.size ?? 0), 0);
  const subject = `import from ${by}: ${models} model${models === 1 ? '' : 's'}, ${versions} version${versions === 1 ? '' : 's'}`;
  const lines = steps.slice(0, 1000).map((s) => stepSubject(s));
  if (steps.length > 1000) lines.push(`… and ${steps.length - 1000} more models`);
  const draft = new Draft(`${subject}\n\n${lines.join('\n')}`);
  for (const s of steps) addStep(draft, s);
  return draft.change;
}
