// Registry states as facts, and changes of facts as events. Pure: the git side (events/commits.ts) hands in
// the models a commit touched, on both sides; this file says what the change means in the event catalogue.
//
// A fact is one value a person can change: a model's existence, description, tag or alias; a version's
// existence, stage, description or tag; the registry's policies. Keys are JSON arrays (names may hold any
// character), values are strings, numbers or `true`. Comparing facts rather than files is what lets a merge be
// judged three ways (events/commits.ts) and keeps events the same whatever the file layout (format 2).
import { byCodePoint } from '../domain/diff.js';
import type { ModelEntry, RegistryFile } from '../domain/state.js';
import type { EventDraft } from './types.js';

type FactValue = string | number | boolean;
export type Facts = Map<string, FactValue>;

const key = (...parts: Array<string | number>): string => JSON.stringify(parts);
const POLICIES = key('p');

/** Adds a model's facts (`name` overrides its own: a renamed model's old facts under its new name). */
export function addModelFacts(out: Facts, e: ModelEntry, name: string = e.file.name): void {
  out.set(key('m', name), true);
  if (e.file.description) out.set(key('md', name), e.file.description);
  for (const [k, v] of Object.entries(e.file.tags ?? {})) out.set(key('mt', name, k), v);
  for (const [a, v] of Object.entries(e.aliases)) out.set(key('a', name, a), v);
  for (const [n, v] of e.versions) {
    out.set(key('v', name, n), true);
    out.set(key('s', name, n), v.stage);
    if (v.description) out.set(key('vd', name, n), v.description);
    for (const [k, t] of Object.entries(v.tags ?? {})) out.set(key('vt', name, n, k), t);
  }
}

export function addRegistryFacts(out: Facts, registry: RegistryFile): void {
  out.set(POLICIES, JSON.stringify(registry.policies ?? {}));
}

/** Keys whose values differ between two fact sets. */
function changedKeys(before: Facts, after: Facts): Set<string> {
  const out = new Set<string>();
  for (const [k, v] of after) if (before.get(k) !== v) out.add(k);
  for (const k of before.keys()) if (!after.has(k)) out.add(k);
  return out;
}

export interface Rename {
  from: string;
  to: string;
}

type Parsed = { kind: string; name: string; n?: number; sub?: string };

function parseKey(k: string): Parsed {
  const parts = JSON.parse(k) as Array<string | number>;
  const kind = parts[0] as string;
  if (kind === 'p') return { kind, name: '' };
  const name = parts[1] as string;
  if (kind === 'mt' || kind === 'a') return { kind, name, sub: parts[2] as string };
  if (kind === 'v' || kind === 's' || kind === 'vd') return { kind, name, n: parts[2] as number };
  if (kind === 'vt') return { kind, name, n: parts[2] as number, sub: parts[3] as string };
  return { kind, name };
}

const str = (v: FactValue | undefined): string | undefined => (v === undefined ? undefined : String(v));

/**
 * The events that turn `before` into `after`, for the facts in `keys` (default: every fact that differs).
 * `models` holds the after side's models (for the payloads of creations); `renames` come first, and the
 * caller has already put each renamed model's old facts under its new name. Order: policies, renames, then
 * model by model in name order — the model, its versions in number order, its aliases.
 */
export function eventsOfFacts(
  before: Facts,
  after: Facts,
  models: ReadonlyMap<string, ModelEntry>,
  renames: readonly Rename[] = [],
  keys: ReadonlySet<string> = changedKeys(before, after),
): EventDraft[] {
  const out: EventDraft[] = [];
  if (keys.has(POLICIES)) {
    out.push({
      type: 'registry.policies_changed',
      model: null,
      data: {
        policies: JSON.parse(String(after.get(POLICIES) ?? '{}')) as unknown,
        previous_policies: JSON.parse(String(before.get(POLICIES) ?? '{}')) as unknown,
      },
    });
  }
  for (const r of [...renames].sort((a, b) => byCodePoint(a.to, b.to)))
    out.push({ type: 'registered_model.renamed', model: r.to, data: { name: r.to, previous_name: r.from } });

  const byModel = new Map<string, Parsed[]>();
  for (const k of keys) {
    if (k === POLICIES) continue;
    const p = parseKey(k);
    let list = byModel.get(p.name);
    if (!list) byModel.set(p.name, (list = []));
    list.push(p);
  }
  for (const name of [...byModel.keys()].sort(byCodePoint)) {
    const parsed = byModel.get(name)!;
    const existed = before.has(key('m', name));
    const exists = after.has(key('m', name));
    const entry = models.get(name);
    if (existed && !exists) {
      // Its versions, tags and aliases go with it: one event.
      out.push({ type: 'registered_model.deleted', model: name, data: { name } });
      continue;
    }
    if (!existed && exists && entry) {
      out.push({
        type: 'registered_model.created',
        model: name,
        data: { name, tags: { ...(entry.file.tags ?? {}) }, description: entry.file.description ?? null },
      });
    } else if (existed || exists) {
      if (parsed.some((p) => p.kind === 'md')) {
        out.push({
          type: 'registered_model.description_updated',
          model: name,
          data: { name, description: str(after.get(key('md', name))) ?? '' },
        });
      }
      for (const p of parsed.filter((x) => x.kind === 'mt').sort((a, b) => byCodePoint(a.sub!, b.sub!))) {
        const value = after.get(key('mt', name, p.sub!));
        out.push(
          value !== undefined
            ? {
                type: 'registered_model_tag.set',
                model: name,
                data: { name, key: p.sub!, value: String(value) },
              }
            : { type: 'registered_model_tag.deleted', model: name, data: { name, key: p.sub! } },
        );
      }
    }
    const numbers = [...new Set(parsed.filter((p) => p.n !== undefined).map((p) => p.n!))].sort((a, b) => a - b);
    for (const n of numbers) out.push(...versionEvents(name, n, parsed, before, after, entry));
    for (const p of parsed.filter((x) => x.kind === 'a').sort((a, b) => byCodePoint(a.sub!, b.sub!))) {
      const now = after.get(key('a', name, p.sub!));
      const was = before.get(key('a', name, p.sub!));
      if (now !== undefined) {
        out.push({
          type: 'model_version_alias.created',
          model: name,
          version: Number(now),
          data: {
            name,
            alias: p.sub!,
            version: String(now),
            ...(was !== undefined ? { previous_version: String(was) } : {}),
          },
        });
      } else if (was !== undefined) {
        out.push({
          type: 'model_version_alias.deleted',
          model: name,
          version: Number(was),
          data: { name, alias: p.sub!, previous_version: String(was) },
        });
      }
    }
  }
  return out;
}

function versionEvents(
  name: string,
  n: number,
  parsed: readonly Parsed[],
  before: Facts,
  after: Facts,
  entry: ModelEntry | undefined,
): EventDraft[] {
  const out: EventDraft[] = [];
  const version = String(n);
  const existed = before.has(key('v', name, n));
  const exists = after.has(key('v', name, n));
  if (existed && !exists) return [{ type: 'model_version.deleted', model: name, version: n, data: { name, version } }];
  const stage = str(after.get(key('s', name, n)));
  if (!existed && exists) {
    const v = entry?.versions.get(n);
    out.push({
      type: 'model_version.created',
      model: name,
      version: n,
      data: {
        name,
        version,
        source: v?.source ?? '',
        run_id: v?.run_id ?? null,
        tags: { ...(v?.tags ?? {}) },
        description: v?.description ?? null,
      },
    });
    // Registered straight into a stage (a hand edit, an import): the deployment still needs to hear of it.
    if (stage !== undefined && stage !== 'None') {
      out.push({
        type: 'model_version.stage_transitioned',
        model: name,
        version: n,
        data: { name, version, from_stage: 'None', to_stage: stage },
      });
    }
    return out;
  }
  if (!exists) return out;
  const mine = parsed.filter((p) => p.n === n);
  if (mine.some((p) => p.kind === 's')) {
    out.push({
      type: 'model_version.stage_transitioned',
      model: name,
      version: n,
      data: { name, version, from_stage: str(before.get(key('s', name, n))) ?? 'None', to_stage: stage ?? 'None' },
    });
  }
  if (mine.some((p) => p.kind === 'vd')) {
    out.push({
      type: 'model_version.description_updated',
      model: name,
      version: n,
      data: { name, version, description: str(after.get(key('vd', name, n))) ?? '' },
    });
  }
  for (const p of mine.filter((x) => x.kind === 'vt').sort((a, b) => byCodePoint(a.sub!, b.sub!))) {
    const value = after.get(key('vt', name, n, p.sub!));
    out.push(
      value !== undefined
        ? {
            type: 'model_version_tag.set',
            model: name,
            version: n,
            data: { name, version, key: p.sub!, value: String(value) },
          }
        : { type: 'model_version_tag.deleted', model: name, version: n, data: { name, version, key: p.sub! } },
    );
  }
  return out;
}

/**
 * What a merge itself changed, fact by fact: the facts where the merge differs from what a clean three-way
 * merge of its parents would give — conflict resolutions and edits made in the merge. A fact no parent
 * changed since `base` is reported when the merge changed it; a fact some parents changed is reported when
 * the merge differs from any of them (they disagreed: a conflict, whichever side won — a consumer saw both
 * sides' events, in an order that need not end on the winner; or they agreed and the merge overrode them).
 * Returns the keys and, for each, the parent whose value the event starts from (the first parent when the
 * merge differs from it).
 */
export function mergeChanges(base: Facts, parents: readonly Facts[], merged: Facts): Map<string, number> {
  const keys = new Set<string>([...base.keys(), ...merged.keys()]);
  for (const p of parents) for (const k of p.keys()) keys.add(k);
  const out = new Map<string, number>();
  for (const k of keys) {
    const vb = base.get(k);
    const vm = merged.get(k);
    const changers = parents.flatMap((p, i) => (p.get(k) !== vb ? [i] : []));
    const reported =
      changers.length === 0 ? vm !== parents[0]!.get(k) : changers.some((i) => parents[i]!.get(k) !== vm);
    if (!reported) continue;
    const from = parents.findIndex((p) => p.get(k) !== vm);
    out.set(k, from < 0 ? 0 : from);
  }
  return out;
}

/** The facts a consumer holds before a merge's events: the merged facts, with each reported fact at its parent's value. */
export function factsBeforeMerge(
  parents: readonly Facts[],
  merged: Facts,
  reported: ReadonlyMap<string, number>,
): Facts {
  const out = new Map(merged);
  for (const [k, i] of reported) {
    const v = parents[i]!.get(k);
    if (v === undefined) out.delete(k);
    else out.set(k, v);
  }
  return out;
}
