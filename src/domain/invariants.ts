// Rules beyond the schema that a registry must satisfy in any commit (checked by writes, `mreg validate` and the daemon).
import type { Problem } from '../errors.js';
import { dirAliasFile, dirModelFile, dirTombstoneFile, dirVersionFile } from './layout.js';
import { encodeName, nameProblem } from './names.js';
import type { ModelEntry } from './state.js';
import { validateAliasName, validateTagKey } from './rules.js';
import { isRegistryError } from '../errors.js';

function ruleProblem(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    if (isRegistryError(e)) return e.message;
    throw e;
  }
}

/** A problem of a model; `pointer` is a JSON pointer into the file, `alias` names the alias a problem is about. */
export type ModelProblem = Problem & { pointer?: string; alias?: string };

/**
 * Problems of one model: folder ⇄ name, version numbers (a live version and a tombstone never share one),
 * aliases, timestamps, tag keys.
 */
export function checkModel(entry: ModelEntry): ModelProblem[] {
  const out: ModelProblem[] = [];
  const m = entry.file;
  const modelPath = dirModelFile(entry.dir);
  const bad = nameProblem(m.name);
  if (bad) out.push({ path: modelPath, pointer: '/name', message: `invalid model name: ${bad}` });
  else if (encodeName(m.name) !== entry.dir) {
    out.push({
      path: modelPath,
      pointer: '/name',
      message: `folder 'models/${entry.dir}' does not match model name ${JSON.stringify(m.name)} (expected 'models/${encodeName(m.name)}')`,
    });
  }
  if (m.created_at > m.updated_at)
    out.push({ path: modelPath, pointer: '/updated_at', message: 'updated_at is earlier than created_at' });
  for (const key of Object.keys(m.tags ?? {})) {
    const p = ruleProblem(() => validateTagKey(key));
    if (p) out.push({ path: modelPath, pointer: `/tags/${key}`, message: p });
  }
  for (const [alias, version] of Object.entries(entry.aliases)) {
    const aliasPath = dirAliasFile(entry.dir, alias);
    const p = ruleProblem(() => validateAliasName(alias, { forSet: true }));
    if (p) out.push({ path: aliasPath, pointer: '/alias', alias, message: p });
    if (!entry.versions.has(version)) {
      out.push({
        path: aliasPath,
        pointer: '/version',
        alias,
        message: `alias '${alias}' points to version ${version}, which does not exist`,
      });
    }
  }
  for (const n of entry.deleted.keys()) {
    if (entry.versions.has(n))
      out.push({
        path: dirTombstoneFile(entry.dir, n),
        pointer: '/version',
        message: `version ${n} is both live (versions/${n}.yaml) and deleted (deleted/${n}.yaml); remove one`,
      });
  }
  for (const [n, v] of entry.versions) {
    const vPath = dirVersionFile(entry.dir, n);
    if (v.version !== n)
      out.push({ path: vPath, pointer: '/version', message: `version ${v.version} is stored in ${n}.yaml` });
    if (v.created_at > v.updated_at)
      out.push({ path: vPath, pointer: '/updated_at', message: 'updated_at is earlier than created_at' });
    if (v.stage_updated_at !== undefined && v.stage_updated_at < v.created_at)
      out.push({ path: vPath, pointer: '/stage_updated_at', message: 'stage_updated_at is earlier than created_at' });
    if (v.created_at < m.created_at)
      out.push({
        path: vPath,
        pointer: '/created_at',
        message: "version created_at is earlier than the model's created_at",
      });
    for (const key of Object.keys(v.tags ?? {})) {
      const p = ruleProblem(() => validateTagKey(key));
      if (p) out.push({ path: vPath, pointer: `/tags/${key}`, message: p });
    }
  }
  return out;
}

/**
 * Version numbers a change lost: a number the base had (live or tombstoned) that the target has neither live
 * nor as a tombstone — a version file removed by hand. Its number could then be given out again, which MLflow
 * never does. Pairs come from `pairModels` (a renamed model is judged as itself; a deleted model is not).
 */
export function checkNumbersKept(
  pairs: ReadonlyArray<readonly [ModelEntry | undefined, ModelEntry | undefined]>,
  /** A version file that is there but broken (reported on its own): its number is not lost. */
  isBroken: (after: ModelEntry, n: number) => boolean = () => false,
): Problem[] {
  const out: Problem[] = [];
  for (const [before, after] of pairs) {
    if (!before || !after) continue;
    for (const n of [...before.versions.keys(), ...before.deleted.keys()].sort((a, b) => a - b)) {
      if (after.versions.has(n) || after.deleted.has(n) || isBroken(after, n)) continue;
      out.push({
        path: dirVersionFile(after.dir, n),
        line: 1,
        message: `version ${n} of ${after.file.name} was removed without a tombstone: a deleted version must leave ${dirTombstoneFile(after.dir, n)} so its number is never reused (use 'mreg delete')`,
      });
    }
  }
  return out;
}
