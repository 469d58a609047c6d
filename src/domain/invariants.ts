// Rules beyond the schema that a registry must satisfy in any commit (checked by writes, `mreg validate` and the daemon).
import type { Problem } from '../errors.js';
import { dirModelFile, dirVersionFile } from './layout.js';
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

/** Problems of one model: folder ⇄ name, version numbers, aliases, timestamps, tag keys. `pointer` is a JSON pointer into the file. */
export function checkModel(entry: ModelEntry): Array<Problem & { pointer?: string }> {
  const out: Array<Problem & { pointer?: string }> = [];
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
  for (const [alias, version] of Object.entries(m.aliases ?? {})) {
    const p = ruleProblem(() => validateAliasName(alias, { forSet: true }));
    if (p) out.push({ path: modelPath, pointer: `/aliases/${alias}`, message: p });
    if (!entry.versions.has(version)) {
      out.push({
        path: modelPath,
        pointer: `/aliases/${alias}`,
        message: `alias '${alias}' points to version ${version}, which does not exist`,
      });
    }
  }
  for (const [n, v] of entry.versions) {
    const vPath = dirVersionFile(entry.dir, n);
    if (v.version !== n)
      out.push({ path: vPath, pointer: '/version', message: `version ${v.version} is stored in ${n}.yaml` });
    if (n > m.latest_version) {
      out.push({
        path: vPath,
        pointer: '/version',
        message: `version ${n} is above the model's latest_version ${m.latest_version}`,
      });
    }
    if (v.created_at > v.updated_at)
      out.push({ path: vPath, pointer: '/updated_at', message: 'updated_at is earlier than created_at' });
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
