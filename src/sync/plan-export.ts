// The export planner: the registry at the branch head × what an MLflow server already has → the REST writes
// that create what is missing there, model by model, with the same version numbers. Pure.
//
// MLflow numbers versions itself: the next one is 1 + the highest number the model ever had, deleted ones
// included. So a gap (a version deleted in mreg, or a tail of deleted versions below latest_version) is
// reproduced by creating a placeholder version and deleting it at once: its number is used up, as it is in
// mreg. A model the export creates starts at 1, so every number is known in advance; in a model MLflow
// already has, only numbers above its highest live version can still be given, and the executor checks the
// number MLflow answers with.
import { byCodePoint } from '../domain/diff.js';
import type { ModelEntry, RegistryState, VersionFile } from '../domain/state.js';
import type { Stage } from '../domain/stages.js';
import { createModelVersionBody, createRegisteredModelBody } from '../mlflow/requests.js';
import type { MlflowSnapshot, SnapshotModel } from './snapshot.js';

export type ExportAction =
  | { kind: 'create-model'; body: Record<string, unknown> }
  | { kind: 'create-version'; version: number; body: Record<string, unknown>; stage: Stage }
  | { kind: 'placeholder'; version: number }
  | { kind: 'transition'; version: number; stage: Stage }
  | { kind: 'set-alias'; alias: string; version: number }
  | { kind: 'delete-alias'; alias: string }
  | { kind: 'update-model'; description: string }
  | { kind: 'set-model-tag'; key: string; value: string }
  | { kind: 'delete-model-tag'; key: string }
  | { kind: 'update-version'; version: number; description: string }
  | { kind: 'set-version-tag'; version: number; key: string; value: string }
  | { kind: 'delete-version-tag'; version: number; key: string }
  | { kind: 'delete-version'; version: number };

export interface ModelExport {
  name: string;
  /** The export creates the model, so MLflow's numbers start at 1 and are known in advance. */
  creates: boolean;
  /** The highest version number MLflow already has (0 when the export creates the model). */
  from: number;
  actions: ExportAction[];
  /** What differs in MLflow and is left alone (without `update`, or because MLflow cannot change it). */
  differences: string[];
  /** What MLflow cannot hold as mreg does (status, status message, user id). */
  notes: string[];
}

export interface ExportPlan {
  models: ModelExport[];
  /** Models MLflow has that the registry does not: left alone. */
  onlyInMlflow: string[];
}

export interface ExportOptions {
  /** Also change what exists in MLflow and differs: descriptions, tags, stages, aliases, versions deleted in git. */
  update?: boolean | undefined;
}

/** The source of the placeholder versions that use up a number; deleted as soon as created. */
export const PLACEHOLDER_SOURCE = 'mreg-export-placeholder:/deleted-version';

function mapOf(tags: Array<{ key: string; value: string }> | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.key, t.value]));
}

function versionNotes(name: string, v: VersionFile): string[] {
  const out: string[] = [];
  if (v.status !== 'READY')
    out.push(`${name} v${v.version}: status ${v.status} cannot be set in MLflow (it will be READY)`);
  if (v.status_message) out.push(`${name} v${v.version}: the status message cannot be set in MLflow`);
  return out;
}

function tagActions(
  want: Record<string, string> | undefined,
  have: Record<string, string>,
  set: (key: string, value: string) => ExportAction,
  del: (key: string) => ExportAction,
): ExportAction[] {
  const out: ExportAction[] = [];
  const w = want ?? {};
  for (const [k, value] of Object.entries(w)) if (have[k] !== value) out.push(set(k, value));
  for (const k of Object.keys(have)) if (!(k in w)) out.push(del(k));
  return out;
}

function describeAction(name: string, a: ExportAction): string {
  switch (a.kind) {
    case 'transition':
      return `${name} v${a.version}: stage is ${a.stage} in git`;
    case 'set-alias':
      return `${name}: alias ${a.alias} → v${a.version} in git`;
    case 'delete-alias':
      return `${name}: alias ${a.alias} is not in git`;
    case 'update-model':
      return `${name}: description differs`;
    case 'set-model-tag':
      return `${name}: tag ${a.key} differs`;
    case 'delete-model-tag':
      return `${name}: tag ${a.key} is not in git`;
    case 'update-version':
      return `${name} v${a.version}: description differs`;
    case 'set-version-tag':
      return `${name} v${a.version}: tag ${a.key} differs`;
    case 'delete-version-tag':
      return `${name} v${a.version}: tag ${a.key} is not in git`;
    case 'delete-version':
      return `${name} v${a.version}: deleted in git`;
    default:
      return `${name}: ${a.kind}`;
  }
}

function createVersions(entry: ModelEntry, from: number, upTo: number): ExportAction[] {
  const out: ExportAction[] = [];
  for (let n = from; n <= upTo; n++) {
    const v = entry.versions.get(n);
    out.push(
      v
        ? { kind: 'create-version', version: n, body: createModelVersionBody(entry.file.name, v), stage: v.stage }
        : { kind: 'placeholder', version: n },
    );
  }
  return out;
}

function aliasActions(entry: ModelEntry, have: Record<string, number>): ExportAction[] {
  const out: ExportAction[] = [];
  const want = entry.aliases;
  for (const [alias, version] of Object.entries(want))
    if (have[alias] !== version) out.push({ kind: 'set-alias', alias, version });
  for (const alias of Object.keys(have)) if (!(alias in want)) out.push({ kind: 'delete-alias', alias });
  return out;
}

function planModel(entry: ModelEntry, there: SnapshotModel | undefined, opts: ExportOptions): ModelExport {
  const name = entry.file.name;
  const notes = [...entry.versions.values()].flatMap((v) => versionNotes(name, v));
  if (!there) {
    return {
      name,
      creates: true,
      from: 0,
      actions: [
        { kind: 'create-model', body: createRegisteredModelBody(entry.file) },
        ...createVersions(entry, 1, entry.latestVersion),
        ...aliasActions(entry, {}),
      ],
      differences: [],
      notes,
    };
  }
  const differences: string[] = [];
  const creates: ExportAction[] = [];
  const changes: ExportAction[] = [];
  const maxThere = Math.max(0, ...there.versions.keys());
  for (const [n, v] of [...entry.versions].sort(([a], [b]) => a - b)) {
    const t = there.versions.get(n);
    if (!t) {
      if (n <= maxThere)
        differences.push(
          `${name} v${n}: cannot be created with its number (MLflow is past v${n}, which it has deleted)`,
        );
      continue;
    }
    for (const field of ['source', 'run_id', 'run_link'] as const) {
      if ((v[field] ?? '') !== (t[field] ?? ''))
        differences.push(`${name} v${n}: ${field} differs and cannot be changed in MLflow`);
    }
    if ((v.description ?? '') !== (t.description ?? ''))
      changes.push({ kind: 'update-version', version: n, description: v.description ?? '' });
    changes.push(
      ...tagActions(
        v.tags,
        mapOf(t.tags),
        (key, value) => ({ kind: 'set-version-tag', version: n, key, value }),
        (key) => ({ kind: 'delete-version-tag', version: n, key }),
      ),
    );
    if (v.stage !== t.current_stage) changes.push({ kind: 'transition', version: n, stage: v.stage });
  }
  // MLflow hides deleted versions, so numbers used up above its highest live one cannot be seen: in a model it
  // already has, placeholders go only below a version to create, and the executor checks what MLflow answers.
  const maxHere = Math.max(0, ...entry.versions.keys());
  if (maxHere > maxThere) creates.push(...createVersions(entry, maxThere + 1, maxHere));
  for (const n of there.versions.keys())
    if (!entry.versions.has(n)) changes.push({ kind: 'delete-version', version: n });
  if ((entry.file.description ?? '') !== (there.model.description ?? ''))
    changes.push({ kind: 'update-model', description: entry.file.description ?? '' });
  changes.push(
    ...tagActions(
      entry.file.tags,
      mapOf(there.model.tags),
      (key, value) => ({ kind: 'set-model-tag', key, value }),
      (key) => ({ kind: 'delete-model-tag', key }),
    ),
  );
  const haveAliases = Object.fromEntries((there.model.aliases ?? []).map((a) => [a.alias, Number(a.version)]));
  // Aliases of versions the export creates are set once they exist; the others are changes to existing state.
  const aliasOps = aliasActions(entry, haveAliases);
  const newNumbers = new Set(creates.map((a) => ('version' in a ? a.version : 0)));
  const aliasCreates = aliasOps.filter(
    (a) => a.kind === 'set-alias' && newNumbers.has(a.version) && !(a.alias in haveAliases),
  );
  changes.push(...aliasOps.filter((a) => !aliasCreates.includes(a)));
  if (!opts.update) {
    differences.push(...changes.map((a) => describeAction(name, a)));
    changes.length = 0;
  }
  return {
    name,
    creates: false,
    from: maxThere,
    actions: [...creates, ...changes, ...aliasCreates],
    differences,
    notes,
  };
}

/** Every model of the registry, in name order; models with nothing to do have no actions. */
export function planExport(state: RegistryState, snapshot: MlflowSnapshot, opts: ExportOptions = {}): ExportPlan {
  const models = [...state.models.values()]
    .sort((a, b) => byCodePoint(a.file.name, b.file.name))
    .map((e) => planModel(e, snapshot.models.get(e.file.name), opts));
  const onlyInMlflow = [...snapshot.models.keys()].filter((n) => !state.models.has(n)).sort(byCodePoint);
  return { models, onlyInMlflow };
}
