// The events of one commit, read from git: the models its diff touches, loaded on both sides (only the changed
// versions), compared as facts (events/facts.ts).
//
// - A commit with one parent reports what it changed against that parent.
// - A merge reports only what the merge itself changed (facts.ts mergeChanges): what its parents' branches did
//   was reported by their own commits, which come before it in the log.
// - A file that does not parse is not a change: a model folder whose model.yaml is broken after a commit is left
//   out of that commit's events, as is a broken version file; the commit that repairs it reports the difference
//   from the last ancestor on the first-parent line where it was sound. So a typo never reads as "model deleted".
import { pairRenames } from '../domain/diff.js';
import type { ModelEntry } from '../domain/state.js';
import {
  addModelFacts,
  addRegistryFacts,
  eventsOfFacts,
  factsBeforeMerge,
  mergeChanges,
  type Facts,
  type Rename,
} from './facts.js';
import { mergeBase } from './graph.js';
import {
  changedDirs,
  emptyChanged,
  loadDir,
  loadRegistryFile,
  modelDirPath,
  sideOids,
  versionOfProblem,
  type FileChange,
  type HistorySource,
  type KnownOids,
} from './source.js';
import type { EventDraft } from './types.js';

/** How far back a repair looks for the last sound state of a model folder. */
const MAX_REPAIR_WALK = 200;

interface Side {
  entry?: ModelEntry;
  /** The model file did not parse: the folder's facts are unknown on this side. */
  broken: boolean;
  /** Version files that did not parse. */
  brokenVersions: Set<number>;
}

async function side(
  src: HistorySource,
  commit: string | null,
  dir: string,
  versions: readonly number[],
  known?: KnownOids,
): Promise<Side> {
  const r = await loadDir(src, commit, dir, versions, known);
  const brokenVersions = new Set<number>();
  let broken = false;
  for (const p of r.problems) {
    const n = versionOfProblem(p);
    if (n === undefined) broken = true;
    else brokenVersions.add(n);
  }
  return {
    ...(r.entry ? { entry: r.entry } : {}),
    broken: broken || (!r.entry && r.problems.length > 0),
    brokenVersions,
  };
}

function withoutVersions(e: ModelEntry | undefined, drop: ReadonlySet<number>): ModelEntry | undefined {
  if (!e || drop.size === 0) return e;
  const versions = new Map([...e.versions].filter(([n]) => !drop.has(n)));
  return { ...e, versions };
}

/**
 * Both sides of one model folder for a commit with one parent: broken files after the commit are left out on
 * both sides; broken files before it are replaced by the last sound ancestor's view of the folder.
 */
async function folderPair(
  src: HistorySource,
  parent: string | null,
  commit: string | null,
  dir: string,
  versions: readonly number[],
  known?: { before: KnownOids; after: KnownOids },
): Promise<{ before?: ModelEntry; after?: ModelEntry } | undefined> {
  let after = await side(src, commit, dir, versions, known?.after);
  if (after.broken) return undefined;
  let before = await side(src, parent, dir, versions, known?.before);
  let vs = versions;
  if (before.broken || before.brokenVersions.size > 0) {
    // Repair: diff from the newest sound ancestor, over every version changed since then.
    let at: string | null = parent;
    let found: Side | undefined;
    for (let i = 0; at && i < MAX_REPAIR_WALK; i++) {
      const up: string | undefined = (await src.readCommit(at)).parents[0];
      if (!up) break;
      const since = commit
        ? (changedDirs(await src.diff(up, commit, modelDirPath(dir))).dirs.get(dir) ?? new Set<number>())
        : new Set<number>();
      const wanted = [...new Set([...versions, ...since])].sort((a, b) => a - b);
      const s = await side(src, up, dir, wanted);
      if (!s.broken && s.brokenVersions.size === 0) {
        found = s;
        vs = wanted;
        break;
      }
      at = up;
    }
    before = found ?? { broken: false, brokenVersions: new Set() };
    if (vs !== versions) {
      after = await side(src, commit, dir, vs);
      if (after.broken) return undefined;
    }
  }
  const drop = after.brokenVersions;
  const b = withoutVersions(before.entry, drop);
  const a = withoutVersions(after.entry, drop);
  return { ...(b ? { before: b } : {}), ...(a ? { after: a } : {}) };
}

/** The events of a commit with at most one parent. */
async function linearCommitEvents(src: HistorySource, parent: string | null, commit: string): Promise<EventDraft[]> {
  const changes = await src.diff(parent, commit);
  return eventsBetween(src, parent, commit, changedDirs(changes), changes);
}

/**
 * The events that take the registry from `from` to `to` (null: empty), over the folders in `changed`: also
 * used for a rewind, where `to` is an ancestor of `from` or nothing.
 */
export async function eventsBetween(
  src: HistorySource,
  from: string | null,
  to: string | null,
  changed: ReturnType<typeof changedDirs>,
  changes?: readonly FileChange[],
): Promise<EventDraft[]> {
  const known = changes ? { before: sideOids(changes, 'before'), after: sideOids(changes, 'after') } : undefined;
  const before: Facts = new Map();
  const after: Facts = new Map();
  if (changed.registry) {
    const [rb, ra] = await Promise.all([loadRegistryFile(src, from), loadRegistryFile(src, to)]);
    // A registry.yaml that does not parse on either side says nothing about the policies.
    if (ra && (rb || from === null)) {
      if (rb) addRegistryFacts(before, rb);
      else before.set(JSON.stringify(['p']), '{}');
      addRegistryFacts(after, ra);
    }
  }
  const deleted: ModelEntry[] = [];
  const created: ModelEntry[] = [];
  const kept: Array<{ before?: ModelEntry; after?: ModelEntry }> = [];
  for (const dir of [...changed.dirs.keys()].sort()) {
    const versions = [...changed.dirs.get(dir)!].sort((a, b) => a - b);
    const pair = await folderPair(src, from, to, dir, versions, known);
    if (!pair) continue;
    if (pair.before && !pair.after) deleted.push(pair.before);
    else if (pair.after && !pair.before) created.push(pair.after);
    else kept.push(pair);
  }
  const renames: Rename[] = [];
  const paired = new Set<ModelEntry>();
  for (const [d, c] of pairRenames(deleted, created)) {
    renames.push({ from: d.file.name, to: c.file.name });
    addModelFacts(before, d, c.file.name);
    paired.add(d).add(c);
  }
  const models = new Map<string, ModelEntry>();
  for (const e of deleted) if (!paired.has(e)) addModelFacts(before, e);
  for (const e of created) {
    addModelFacts(after, e);
    models.set(e.file.name, e);
  }
  for (const p of kept) {
    if (p.before) addModelFacts(before, p.before);
    if (p.after) {
      addModelFacts(after, p.after);
      models.set(p.after.file.name, p.after);
    }
  }
  return eventsOfFacts(before, after, models, renames);
}

/** A merge: the facts of every side over the folders any side changed, judged three ways. */
async function mergeCommitEvents(
  src: HistorySource,
  commit: string,
  parents: readonly string[],
): Promise<EventDraft[]> {
  let base: string | null = parents[0]!;
  for (const p of parents.slice(1)) base = base ? await mergeBase(src, base, p) : null;
  const changed = emptyChanged();
  for (const p of parents) {
    changedDirs(await src.diff(p, commit), changed);
    changedDirs(await src.diff(base, p), changed);
  }
  const sides = [base, ...parents, commit];
  const facts: Facts[] = sides.map(() => new Map());
  const models = new Map<string, ModelEntry>();
  if (changed.registry) {
    const files = await Promise.all(sides.map((s) => loadRegistryFile(src, s)));
    if (files.every((f, i) => f !== undefined || (i === 0 && base === null))) {
      files.forEach((f, i) => facts[i]!.set(JSON.stringify(['p']), JSON.stringify(f?.policies ?? {})));
    }
  }
  for (const dir of [...changed.dirs.keys()].sort()) {
    const versions = [...changed.dirs.get(dir)!].sort((a, b) => a - b);
    const loaded = await Promise.all(sides.map((s) => side(src, s, dir, versions)));
    // A side where the folder does not parse leaves its facts unknown: the merge reports nothing for it.
    if (loaded.some((s) => s.broken)) continue;
    const drop = new Set(loaded.flatMap((s) => [...s.brokenVersions]));
    loaded.forEach((s, i) => {
      const e = withoutVersions(s.entry, drop);
      if (e) addModelFacts(facts[i]!, e);
      if (e && i === sides.length - 1) models.set(e.file.name, e);
    });
  }
  const [baseFacts, ...rest] = facts;
  const merged = rest.pop()!;
  const reported = mergeChanges(baseFacts!, rest, merged);
  if (reported.size === 0) return [];
  return eventsOfFacts(factsBeforeMerge(rest, merged, reported), merged, models, [], new Set(reported.keys()));
}

/** The events a commit contributes to the log, in order. */
export async function commitEvents(src: HistorySource, commit: string): Promise<EventDraft[]> {
  const { parents } = await src.readCommit(commit);
  if (parents.length <= 1) return linearCommitEvents(src, parents[0] ?? null, commit);
  return mergeCommitEvents(src, commit, parents);
}
