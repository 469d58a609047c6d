// Registries built in memory for unit tests of the pure planners and policies: no git, no files, no clock.
import { isDeepStrictEqual } from 'node:util';
import { parsePath } from '../../src/domain/layout.js';
import { encodeName } from '../../src/domain/names.js';
import { checkModel } from '../../src/domain/invariants.js';
import type { Change, OpContext } from '../../src/domain/ops/change.js';
import { RegistryError } from '../../src/errors.js';
import {
  modelEntry,
  type ModelEntry,
  type ModelFile,
  type RegistryFile,
  type RegistryState,
  type VersionFile,
} from '../../src/domain/state.js';

type Stage = VersionFile['stage'];

/** When every built model was created; version n was created n minutes later. */
const BUILT_AT = Date.UTC(2026, 0, 1, 9, 0, 0);
/** The instant planners are given: after everything built. */
export const NOW = Date.UTC(2026, 2, 1, 12, 30, 0);
export const NOW_ISO = '2026-03-01T12:30:00.000Z';
/** The context most tests plan with. */
export const CTX: OpContext = { now: NOW, user: 'ada' };

/** The creation time of a built model's version `n`. */
export function builtIso(n = 0): string {
  return new Date(BUILT_AT + n * 60_000).toISOString();
}

/** A version's stage, or the fields that differ from a READY version in None. */
export type VersionSpec = Stage | Partial<Omit<VersionFile, 'version'>>;

export interface ModelSpec extends Partial<Omit<ModelFile, 'name'>> {
  /** Version number → spec. */
  versions?: Record<number, VersionSpec>;
  /** Alias → version number (aliases/<alias>.yaml). */
  aliases?: Record<string, number>;
  /** The highest number ever assigned: every number up to it without a version gets a tombstone (deleted/<n>.yaml). */
  latest_version?: number;
}

/**
 * A model as a load would give it: the model was created (and model.yaml last changed) at BUILT_AT; numbers up to
 * `latest_version` without a version are tombstones dated when their number was created, so the derived
 * last-updated time is the newest version's creation.
 * @example buildModel('fraud', { aliases: { champion: 2 }, versions: { 1: 'Archived', 2: 'Production' } })
 */
export function buildModel(name: string, spec: ModelSpec = {}): ModelEntry {
  const { versions = {}, aliases = {}, latest_version, ...fields } = spec;
  const numbers = Object.keys(versions)
    .map(Number)
    .sort((a, b) => a - b);
  const file: ModelFile = { name, created_at: builtIso(), updated_at: builtIso(), ...fields };
  const deleted = new Map<number, string>();
  for (let n = 1; n <= (latest_version ?? 0); n++) if (!numbers.includes(n)) deleted.set(n, builtIso(n));
  return modelEntry({
    dir: encodeName(name),
    file,
    versions: new Map(numbers.map((n) => [n, buildVersion(name, n, versions[n])])),
    aliases,
    deleted,
  });
}

export function buildVersion(name: string, n: number, spec: VersionSpec = 'None'): VersionFile {
  const fields = typeof spec === 'string' ? { stage: spec } : spec;
  return {
    version: n,
    source: `s3://bucket/${name}/${n}`,
    stage: 'None',
    status: 'READY',
    created_at: builtIso(n),
    updated_at: builtIso(n),
    ...fields,
  };
}

/** A whole registry: model name → spec, plus registry.yaml's fields. */
export function buildState(
  models: Record<string, ModelSpec> = {},
  registry: Omit<RegistryFile, 'format_version'> = {},
): RegistryState {
  return {
    registry: { format_version: 2, ...registry },
    models: new Map(Object.entries(models).map(([name, spec]) => [name, buildModel(name, spec)])),
  };
}

/**
 * A change's files as one object, as the commit will hold them: path → document written, or null for a path
 * deleted. Throws when a document's kind does not match its path, so every caller checks that too.
 */
export function filesOf(change: Change): Record<string, object | null> {
  const out: Record<string, object | null> = {};
  for (const path of change.deletes) out[path] = null;
  for (const [path, d] of change.writes) {
    const where = parsePath(path);
    if (where.kind !== d.kind) throw new Error(`${path} holds a ${d.kind} document`);
    if (Object.hasOwn(out, path)) throw new Error(`${path} is both deleted and written`);
    out[path] = d.doc;
  }
  return out;
}

/** The RegistryError `plan` throws, as `{code, message}` (any other outcome fails the test). */
export function errorOf(plan: () => unknown): { code: string; message: string } {
  try {
    plan();
  } catch (e) {
    if (e instanceof RegistryError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a RegistryError, but the planner returned');
}

/**
 * What holds for every change, whatever planned it: it writes exactly what its `after` models hold, deletes only
 * what its `before` models had, and every model it leaves passes the registry's invariants. Returns the problems.
 */
export function incoherence(change: Change): string[] {
  const out: string[] = [];
  const dirs = new Map<string, ModelEntry>();
  for (const [name, entry] of change.after) {
    if (entry && entry.file.name !== name) out.push(`after: ${name} holds ${entry.file.name}`);
    if (entry) dirs.set(entry.dir, entry);
    if (entry) out.push(...checkModel(entry).map((p) => `${p.path}: ${p.message}`));
  }
  for (const [path, d] of change.writes) {
    const where = parsePath(path);
    const entry =
      where.kind === 'registry' || where.kind === 'other' || where.kind === 'stray' ? undefined : dirs.get(where.dir);
    if (!entry) out.push(`${path} belongs to no model in after`);
    else if (where.kind === 'model' && !isDeepStrictEqual(d.doc, entry.file)) out.push(`${path} differs from after`);
    else if (where.kind === 'version' && !isDeepStrictEqual(d.doc, entry.versions.get(where.version)))
      out.push(`${path} differs from after`);
    else if (where.kind === 'alias') {
      const a = d.doc as { alias: string; version: number };
      if (encodeName(a.alias) !== where.encoded || entry.aliases[a.alias] !== a.version)
        out.push(`${path} differs from after`);
    } else if (where.kind === 'tombstone') {
      const tomb = d.doc as { version: number; deleted_at: string };
      if (tomb.version !== where.version || entry.deleted.get(where.version) !== tomb.deleted_at)
        out.push(`${path} differs from after`);
    }
  }
  const beforeDirs = new Set([...change.before.values()].map((e) => e.dir));
  for (const path of change.deletes) {
    const dir = path.split('/')[1] ?? '';
    if (!beforeDirs.has(dir)) out.push(`${path} deleted but no model before lived there`);
  }
  return out;
}

/** Tag keys every tag planner refuses, with MLflow's messages: [label, key, message]. */
export const BAD_TAG_KEYS: Array<[string, unknown, string]> = [
  [
    'empty',
    '',
    "Missing value for required parameter 'key'. See the API docs for more information about request parameters.",
  ],
  [
    'with #',
    'a#b',
    `Invalid value "a#b" for parameter 'key' supplied: Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).`,
  ],
  [
    'not normalized',
    'a//b',
    `Invalid value "a//b" for parameter 'key' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to 'a/b'`,
  ],
  [
    'leaving its folder',
    '../x',
    `Invalid value "../x" for parameter 'key' supplied: Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '../x'`,
  ],
  ['of 251 characters', 'k'.repeat(251), "'key' exceeds the maximum length of 250 characters"],
];
