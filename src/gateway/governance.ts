// Governance stays in git: registry.yaml's `gateway:` section limits what a write through the gateway may change,
// on top of the policies every write obeys. It judges the planned change (what really happens: a transition
// with archive_existing_versions archives siblings, deleting a version drops its aliases), before anything is
// committed, and a refusal is PERMISSION_DENIED naming the rule.
//
//   gateway:
//     stages: [None, Staging, Archived]   # a pipeline registers and stages; Production moves by pull request
//     aliases: [challenger]               # the only alias it may set, move or delete
import { pairRenames } from '../domain/diff.js';
import type { Change } from '../domain/ops/change.js';
import type { ModelEntry, RegistryFile } from '../domain/state.js';
import { RegistryError } from '../errors.js';

type Rules = NonNullable<RegistryFile['gateway']>;

const THROUGH_GIT = 'make this change in git instead (a reviewed pull request, or `mreg` with git access)';

/** @throws PERMISSION_DENIED naming the rule of registry.yaml that the change breaks. */
export function checkGatewayRules(rules: Rules | undefined, change: Change): void {
  if (!rules || (rules.stages === undefined && rules.aliases === undefined)) return;
  // A rename moves a model's versions and aliases unchanged: judge it as one model, not a deletion and a creation.
  const deleted = [...change.before].filter(([n]) => !change.after.get(n)).map(([, e]) => e);
  const created = [...change.after.entries()].flatMap(([n, e]) => (e && !change.before.has(n) ? [e] : []));
  const renames = pairRenames(deleted, created);
  const renamedFrom = new Map(renames.map(([d, c]) => [c.file.name, d]));
  const renamedAway = new Set(renames.map(([d]) => d.file.name));
  for (const name of new Set([...change.before.keys(), ...change.after.keys()])) {
    if (renamedAway.has(name)) continue;
    const before = change.before.get(name) ?? renamedFrom.get(name);
    const after = change.after.get(name) ?? undefined;
    if (rules.stages) checkStages(rules.stages, name, before, after);
    if (rules.aliases) checkAliases(rules.aliases, name, before, after);
  }
}

function checkStages(allowed: readonly string[], name: string, before?: ModelEntry, after?: ModelEntry): void {
  const refuse = (what: string): never => {
    throw new RegistryError(
      'PERMISSION_DENIED',
      `Refused by registry.yaml gateway.stages: ${what}; the gateway may move versions only between ${allowed.join(', ') || 'no stages'}: ${THROUGH_GIT}.`,
      { rule: 'gateway.stages', model: name },
    );
  };
  for (const [n, v] of before?.versions ?? []) {
    const now = after?.versions.get(n);
    if (!now) {
      if (!allowed.includes(v.stage)) refuse(`${name} v${n} is in ${v.stage} and would be deleted`);
    } else if (now.stage !== v.stage && (!allowed.includes(v.stage) || !allowed.includes(now.stage))) {
      refuse(`${name} v${n} ${v.stage} → ${now.stage}`);
    }
  }
  for (const [n, v] of after?.versions ?? []) {
    // A new version is born in None: only a version created in another stage moves.
    if (!before?.versions.has(n) && v.stage !== 'None' && !allowed.includes(v.stage))
      refuse(`${name} v${n} would be created in ${v.stage}`);
  }
}

function checkAliases(allowed: readonly string[], name: string, before?: ModelEntry, after?: ModelEntry): void {
  const was: Readonly<Record<string, number>> = before?.aliases ?? {};
  const is: Readonly<Record<string, number>> = after?.aliases ?? {};
  for (const alias of new Set([...Object.keys(was), ...Object.keys(is)])) {
    if (was[alias] === is[alias] || allowed.includes(alias)) continue;
    const what =
      is[alias] === undefined
        ? `alias '${alias}' of ${name} would be removed`
        : was[alias] === undefined
          ? `alias '${alias}' of ${name} would be set to v${is[alias]}`
          : `alias '${alias}' of ${name} would move from v${was[alias]} to v${is[alias]}`;
    throw new RegistryError(
      'PERMISSION_DENIED',
      `Refused by registry.yaml gateway.aliases: ${what}; the gateway may change only ${allowed.length ? allowed.map((a) => `'${a}'`).join(', ') : 'no aliases'}: ${THROUGH_GIT}.`,
      { rule: 'gateway.aliases', model: name, alias },
    );
  }
}
