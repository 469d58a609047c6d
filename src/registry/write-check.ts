// What a write is checked against before it is committed: each written document in canonical YAML against its
// schema (serialized once, checked and committed as is), the invariants of every fully loaded model, and the
// registry's policies. A refusal lists every problem.
import { RegistryError, type Problem } from '../errors.js';
import { checkModel } from '../domain/invariants.js';
import type { Change, Doc } from '../domain/ops/change.js';
import { checkChangePolicies } from '../domain/policies.js';
import type { RegistryFile } from '../domain/state.js';
import type { SchemaName } from '../schema/validate.js';
import type { ChangeSet } from '../store/git/writer.js';
import { parseWrittenDocument, stringifyDocument } from '../store/yaml.js';
import { listProblems } from './reader.js';

/** The schema of each kind of document a change writes. */
const SCHEMA_OF: Record<Doc['kind'], SchemaName> = {
  model: 'model',
  version: 'model-version',
  alias: 'alias',
  tombstone: 'tombstone',
};

/** Every written document in canonical YAML, and every deleted path: serialized once, checked and committed as is. */
export function serialize(change: Change): ChangeSet {
  const files: ChangeSet = new Map();
  for (const path of change.deletes) files.set(path, null);
  for (const [path, d] of change.writes) {
    files.set(path, new TextEncoder().encode(stringifyDocument(SCHEMA_OF[d.kind], d.doc)));
  }
  return files;
}

/** Schema of every written document (as written), invariants of every fully loaded model, and policies. */
export function checkChange(
  registry: RegistryFile,
  change: Change,
  files: ChangeSet,
  complete: boolean,
  policyBranch: string,
): void {
  const problems: Problem[] = [];
  for (const [path, d] of change.writes) {
    // Remembered: the state that follows the commit parses these very bytes again (store/load-patch.ts).
    const r = parseWrittenDocument(SCHEMA_OF[d.kind], path, files.get(path)!);
    if (!r.ok) problems.push(...r.problems);
  }
  if (problems.length) throw rejected(problems);
  if (complete) for (const after of change.after.values()) if (after) problems.push(...checkModel(after));
  problems.push(...checkChangePolicies([registry], change.before, change.after, { branch: policyBranch }));
  if (problems.length) throw rejected(problems);
}

/** A refused write: every problem in the message (one line) and in `details`; a policy's code wins. */
export function rejected(problems: Problem[]): RegistryError {
  const code = problems.find((p) => p.code)?.code ?? 'INVALID_PARAMETER_VALUE';
  const head = problems.length > 1 ? `Rejected (${problems.length} problems)` : 'Rejected';
  return new RegistryError(code, `${head}: ${listProblems(problems)}`, { problems });
}

export function notARegistry(dir: string, branch: string, committed: boolean): RegistryError {
  const where = committed ? `branch '${branch}' has no registry.yaml` : 'its working tree has no registry.yaml';
  return new RegistryError(
    'INVALID_STATE',
    `${dir} is a git repository but not a registry (${where}): run 'mreg init' there to make it one, or give --repo the registry's path.`,
    { dir },
  );
}
