// Registry-wide policies from registry.yaml, checked on what a change does (before → after of each model).
import type { Problem } from '../errors.js';
import { pairModels } from './diff.js';
import { dirAliasFile, dirModelFile, dirVersionFile } from './layout.js';
import type { ModelEntry, RegistryFile, VersionFile } from './state.js';
import { STAGES } from './stages.js';

export interface PolicyContext {
  /** The branch the change lands on; undefined when unknown (detached HEAD), which fails protected rules. */
  branch?: string;
}

type Policies = NonNullable<RegistryFile['policies']>;

/** A change a policy refuses: a write answers it with `code`; `pointer` names the key, for a line number. */
export interface PolicyProblem extends Problem {
  code: 'PERMISSION_DENIED';
  pointer?: string;
}

export interface ChangeContext extends PolicyContext {
  /** Models not to judge (a change to a model whose files were broken before is the fix, not a change). */
  skip?: (model: ModelEntry) => boolean;
}

/**
 * Problems a change from the models in `before` to those in `after` (null or absent: deleted) causes under the
 * policies of each of `registries` — a renamed model judged as itself moving, each problem once. The one
 * policy check of the write precheck and of `mreg validate`.
 */
export function checkChangePolicies(
  registries: readonly RegistryFile[],
  before: ReadonlyMap<string, ModelEntry>,
  after: ReadonlyMap<string, ModelEntry | null>,
  ctx: ChangeContext,
): PolicyProblem[] {
  // The same policies twice (base and target agree, as they mostly do) are judged once.
  const distinct = registries.filter(
    (r, i) =>
      r.policies && registries.findIndex((x) => JSON.stringify(x.policies) === JSON.stringify(r.policies)) === i,
  );
  if (distinct.length === 0) return [];
  const out: PolicyProblem[] = [];
  const seen = new Set<string>();
  const pairs = pairModels(before, after);
  const branch = ctx.branch !== undefined ? { branch: ctx.branch } : {};
  for (const registry of distinct) {
    for (const [b, a] of pairs) {
      if (ctx.skip && [b, a].some((m) => m && ctx.skip!(m))) continue;
      for (const p of checkPolicies(registry, b, a, branch)) {
        const key = `${p.path}\0${p.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ ...p, code: 'PERMISSION_DENIED' });
      }
    }
  }
  return out;
}

function isSet(v: VersionFile, field: string): boolean {
  const value = (v as unknown as Record<string, unknown>)[field];
  return typeof value === 'string' ? value.trim() !== '' : value !== undefined && value !== null;
}

/**
 * Problems a change from `before` to `after` (either may be absent: created or deleted model) causes under `policies`.
 * Only what changed is judged, so a registry that predates a policy is not rejected wholesale.
 */
export function checkPolicies(
  registry: RegistryFile,
  before: ModelEntry | undefined,
  after: ModelEntry | undefined,
  ctx: PolicyContext,
): Array<Problem & { pointer?: string }> {
  const p: Policies | undefined = registry.policies;
  if (!p || !after) return after || !p ? [] : protectedDeletion(p, before, ctx);
  const out: Array<Problem & { pointer?: string }> = [];
  const name = after.file.name;

  for (const [n, v] of after.versions) {
    const prev = before?.versions.get(n);
    const prevStage = prev?.stage ?? 'None';
    if (prev && prev.stage === v.stage) continue;
    if (!prev && v.stage === 'None') continue;
    const path = dirVersionFile(after.dir, n);
    const allowed = p.transitions?.[v.stage];
    if (allowed && !allowed.includes(prevStage) && prevStage !== v.stage) {
      out.push({
        path,
        pointer: '/stage',
        message: allowed.length
          ? `policy: ${name} v${n} may enter ${v.stage} only from ${allowed.join(' or ')}, not from ${prevStage}`
          : `policy: ${name} v${n} may not enter ${v.stage} from any stage (not from ${prevStage})`,
      });
    }
    for (const field of p.required_fields?.[v.stage] ?? []) {
      if (!isSet(v, field))
        out.push({
          path,
          pointer: '/stage',
          message: `policy: ${name} v${n} needs '${field}' before it can enter ${v.stage}`,
        });
    }
    for (const rule of p.protected ?? []) {
      if (
        (rule.stages ?? []).some((s) => s === v.stage || s === prevStage) &&
        !rule.branches.includes(ctx.branch ?? '')
      ) {
        out.push({
          path,
          pointer: '/stage',
          message: `policy: ${name} v${n} ${prevStage} → ${v.stage} may only change on ${rule.branches.join(', ')}${ctx.branch ? ` (this is ${ctx.branch})` : ''}`,
        });
      }
    }
  }
  for (const [n, prev] of before?.versions ?? []) {
    if (after.versions.has(n)) continue;
    for (const rule of p.protected ?? []) {
      if ((rule.stages ?? []).includes(prev.stage) && !rule.branches.includes(ctx.branch ?? '')) {
        out.push({
          path: dirVersionFile(after.dir, n),
          message: `policy: deleting ${name} v${n} (in ${prev.stage}) may only happen on ${rule.branches.join(', ')}`,
        });
      }
    }
  }
  for (const stage of STAGES) {
    const max = p.max_versions_per_stage?.[stage];
    if (max === undefined) continue;
    const count = [...after.versions.values()].filter((v) => v.stage === stage).length;
    const countBefore = before ? [...before.versions.values()].filter((v) => v.stage === stage).length : 0;
    if (count > max && count > countBefore) {
      out.push({
        path: dirModelFile(after.dir),
        message: `policy: ${name} would have ${count} version${count === 1 ? '' : 's'} in ${stage}; at most ${max} allowed`,
      });
    }
  }
  const aliasesBefore = before?.aliases ?? {};
  const aliasesAfter = after.aliases;
  const moved = new Set<string>();
  for (const a of new Set([...Object.keys(aliasesBefore), ...Object.keys(aliasesAfter)])) {
    if (aliasesBefore[a] !== aliasesAfter[a]) moved.add(a);
  }
  for (const alias of moved) {
    for (const rule of p.protected ?? []) {
      if ((rule.aliases ?? []).includes(alias) && !rule.branches.includes(ctx.branch ?? '')) {
        out.push({
          path: dirAliasFile(after.dir, alias),
          pointer: '/version',
          message: `policy: alias '${alias}' of ${name} may only change on ${rule.branches.join(', ')}${ctx.branch ? ` (this is ${ctx.branch})` : ''}`,
        });
      }
    }
  }
  return out;
}

function protectedDeletion(
  p: Policies,
  before: ModelEntry | undefined,
  ctx: PolicyContext,
): Array<Problem & { pointer?: string }> {
  if (!before) return [];
  const out: Array<Problem & { pointer?: string }> = [];
  for (const rule of p.protected ?? []) {
    if (rule.branches.includes(ctx.branch ?? '')) continue;
    const guarded =
      [...before.versions.values()].some((v) => (rule.stages ?? []).includes(v.stage)) ||
      Object.keys(before.aliases).some((a) => (rule.aliases ?? []).includes(a));
    if (guarded)
      out.push({
        path: dirModelFile(before.dir),
        message: `policy: deleting ${before.file.name} removes protected stages or aliases, which may only change on ${rule.branches.join(', ')}`,
      });
  }
  return out;
}
