// What a change to registry.yaml does to its policies, rule by rule, and whether each change relaxes one — what
// a reviewer of a pull request must not miss (a branch that loosens a rule is judged by the loosened rule).
import type { RegistryFile } from './state.js';
import { STAGES } from './stages.js';

type Policies = NonNullable<RegistryFile['policies']>;
type ProtectedRule = NonNullable<Policies['protected']>[number];

export interface PolicyChange {
  /** The rule, as its path in registry.yaml: `transitions.Production`, `protected`. */
  rule: string;
  /** What it said and says now, for people. */
  before: string;
  after: string;
  /** True when the new rule allows something the old one refused. */
  relaxed: boolean;
}

const list = (xs: readonly string[]): string => (xs.length ? xs.join(', ') : 'nothing');

/**
 * Each policy rule that differs between two registry.yaml documents, in the schema's order, with whether it
 * was relaxed. Keys other than `policies` (name, description, webhooks) are not policies and are not listed.
 * @example policyChanges({ format_version: 2, policies: { max_versions_per_stage: { Production: 1 } } }, { format_version: 2 })
 *   // → [{ rule: 'max_versions_per_stage.Production', before: 'at most 1', after: 'no limit', relaxed: true }]
 */
export function policyChanges(before: RegistryFile, after: RegistryFile): PolicyChange[] {
  const b: Policies = before.policies ?? {};
  const a: Policies = after.policies ?? {};
  const out: PolicyChange[] = [];
  for (const stage of STAGES) {
    const was = b.transitions?.[stage];
    const now = a.transitions?.[stage];
    if (!sameSet(was, now))
      out.push({
        rule: `transitions.${stage}`,
        before: was ? `only from ${list(was)}` : 'from any stage',
        after: now ? `only from ${list(now)}` : 'from any stage',
        relaxed: was !== undefined && (now === undefined || now.some((s) => !was.includes(s))),
      });
  }
  for (const stage of STAGES) {
    const was = b.max_versions_per_stage?.[stage];
    const now = a.max_versions_per_stage?.[stage];
    if (was !== now)
      out.push({
        rule: `max_versions_per_stage.${stage}`,
        before: was === undefined ? 'no limit' : `at most ${was}`,
        after: now === undefined ? 'no limit' : `at most ${now}`,
        relaxed: was !== undefined && (now === undefined || now > was),
      });
  }
  for (const stage of STAGES) {
    const was = b.required_fields?.[stage] ?? [];
    const now = a.required_fields?.[stage] ?? [];
    if (!sameSet(was, now))
      out.push({
        rule: `required_fields.${stage}`,
        before: list(was),
        after: list(now),
        relaxed: was.some((f) => !now.includes(f)),
      });
  }
  const wasRules = b.protected ?? [];
  const nowRules = a.protected ?? [];
  if (JSON.stringify(wasRules.map(describeRule)) !== JSON.stringify(nowRules.map(describeRule)))
    out.push({
      rule: 'protected',
      before: wasRules.length ? wasRules.map(describeRule).join('; ') : 'nothing protected',
      after: nowRules.length ? nowRules.map(describeRule).join('; ') : 'nothing protected',
      relaxed: wasRules.some((r) => !stillGuarded(r, nowRules)),
    });
  return out;
}

function sameSet(x: readonly string[] | undefined, y: readonly string[] | undefined): boolean {
  if (x === undefined || y === undefined) return x === y;
  return x.length === y.length && x.every((s) => y.includes(s));
}

function describeRule(r: ProtectedRule): string {
  const what = [...(r.stages ?? []), ...(r.aliases ?? []).map((a) => `@${a}`)];
  return `${list(what)} only on ${list(r.branches)}`;
}

/**
 * Whether every stage and alias `rule` guarded is still guarded at least as strictly: some rule now covers it
 * and allows no branch the old rule did not.
 */
function stillGuarded(rule: ProtectedRule, now: readonly ProtectedRule[]): boolean {
  const covered = (pick: (r: ProtectedRule) => readonly string[] | undefined, item: string): boolean =>
    now.some((n) => (pick(n) ?? []).includes(item) && n.branches.every((br) => rule.branches.includes(br)));
  return (
    (rule.stages ?? []).every((s) => covered((r) => r.stages, s)) &&
    (rule.aliases ?? []).every((al) => covered((r) => r.aliases, al))
  );
}
