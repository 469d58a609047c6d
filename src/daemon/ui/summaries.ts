// What the list and model pages need about each model, computed once per model entry (a reload that does not
// touch a model keeps its entry, so its summary survives) rather than once per request.
import { sortedAliases, type ModelEntry, type RegistryState } from '../../domain/state.js';
import { STAGES, type Stage } from '../../domain/stages.js';
import { toMs } from '../../domain/time.js';

export interface ModelSummary {
  readonly entry: ModelEntry;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Highest live version, if any. */
  readonly latest: number | undefined;
  /** Versions per stage, highest first. */
  readonly byStage: Readonly<Record<Stage, readonly number[]>>;
  /** Version → alias names, in the model file's order. */
  readonly aliasesByVersion: ReadonlyMap<number, readonly string[]>;
  readonly created_ms: number;
  readonly updated_ms: number;
}

const byEntry = new WeakMap<ModelEntry, ModelSummary>();
const byState = new WeakMap<RegistryState, readonly ModelSummary[]>();

export function summarize(entry: ModelEntry): ModelSummary {
  const hit = byEntry.get(entry);
  if (hit) return hit;
  const stages = Object.fromEntries(STAGES.map((s) => [s, [] as number[]])) as Record<Stage, number[]>;
  let latest: number | undefined;
  for (const [n, v] of entry.versions) {
    stages[v.stage].push(n);
    if (latest === undefined || n > latest) latest = n;
  }
  for (const s of STAGES) stages[s].sort((a, b) => b - a);
  const aliasesByVersion = new Map<number, string[]>();
  for (const [alias, v] of sortedAliases(entry)) {
    const list = aliasesByVersion.get(v);
    if (list) list.push(alias);
    else aliasesByVersion.set(v, [alias]);
  }
  const summary: ModelSummary = {
    entry,
    name: entry.file.name,
    tags: entry.file.tags ?? {},
    latest,
    byStage: stages,
    aliasesByVersion,
    created_ms: toMs(entry.file.created_at),
    updated_ms: toMs(entry.lastUpdated),
  };
  byEntry.set(entry, summary);
  return summary;
}

/** Every model of a state, summarised (cached per state). */
export function summaries(state: RegistryState): readonly ModelSummary[] {
  const hit = byState.get(state);
  if (hit) return hit;
  const list = [...state.models.values()].map(summarize);
  byState.set(state, list);
  return list;
}
