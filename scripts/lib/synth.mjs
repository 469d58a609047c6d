// Synthetic registries for tests and benchmarks, written straight into git objects with native
// `git fast-import` (seconds for 100k versions, where `git add` of 110k files takes ~10 s more).
//
// The content mirrors the preload behind test/fixtures/mlflow-responses/ (README there): models
// `model-000`… with 10 versions each; v8 went to Production, then v10 to Production with
// archive_existing_versions (v8 → Archived), then v9 to Staging and v1 to Archived; aliases
// champion→10 and challenger→9; tags team/task/owner; v10 tagged validated=true, v9 validated=pending.
// Timestamps follow the same sequence (all models created, then every model's versions, then every
// model's transitions), so orderings by time match MLflow's. Files are in mreg's canonical YAML form, format 2:
// aliases in aliases/<alias>.yaml, transitioned versions with stage_updated_at, model.yaml's updated_at its
// creation (the model's last-updated time is derived from the versions).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fastImportCommit, fastImportFile, startFastImport } from './fast-import.mjs';

/** 2026-11-26T12:43:16.826Z, the capture's first model creation. */
const SYNTH_T0 = 1795696996826;

const iso = (ms) => new Date(ms).toISOString();

/** Deterministic 32-hex run id. */
function synthRunId(i, v) {
  return createHash('md5').update(`run-${i}-${v}`).digest('hex');
}

export function synthModelName(i, models) {
  const width = Math.max(3, String(Math.max(models - 1, 0)).length);
  return `model-${String(i).padStart(width, '0')}`;
}

/** Stage of version v (1-based) in a model of n versions, after the preload's transitions. */
function synthStage(v, n) {
  if (n >= 10) {
    if (v === 10) return 'Production';
    if (v === 9) return 'Staging';
    if (v === 8 || v === 1) return 'Archived';
  }
  return 'None';
}

function times(i, v, models, n) {
  const created = SYNTH_T0 + 4000 + i * (n * 7 + 5) + v * 7;
  const transitions = SYNTH_T0 + 4000 + models * (n * 7 + 5) + 4000 + i * 60;
  let updated = created;
  if (n >= 10) {
    if (v === 8 || v === 10) updated = transitions + 10; // v10 → Production archives v8 at the same instant
    if (v === 9) updated = transitions + 20;
    if (v === 1) updated = transitions + 30;
  }
  return { created, updated };
}

function synthModelYaml(i, models, n) {
  const name = synthModelName(i, models);
  const created = SYNTH_T0 + i * 15;
  const tasks = i % 2 === 0 ? 'regression' : 'classification';
  let s = `name: ${name}\ndescription: benchmark model ${i}\ntags:\n  team: team-${i % 5}\n  task: ${tasks}\n  owner: owner-${i % 7}@example.com\n`;
  s += `created_at: ${iso(created)}\nupdated_at: ${iso(created)}\n`;
  return s;
}

/** The alias files of model i: [file name under aliases/, text]. */
function synthAliasFiles(i, models, n) {
  if (n < 10) return [];
  return [
    ['challenger.yaml', 'alias: challenger\nversion: 9\n'],
    ['champion.yaml', 'alias: champion\nversion: 10\n'],
  ];
}

export function synthVersionYaml(i, v, models, n) {
  const name = synthModelName(i, models);
  const { created, updated } = times(i, v, models, n);
  let s = `version: ${v}\nsource: s3://bucket/${name}/${v}\nrun_id: ${synthRunId(i, v)}\nstage: ${synthStage(v, n)}\nstatus: READY\ndescription: version ${v} of ${name}\n`;
  if (n >= 10 && v === 10) s += `tags:\n  validated: "true"\n`;
  if (n >= 10 && v === 9) s += `tags:\n  validated: pending\n`;
  s += `created_at: ${iso(created)}\nupdated_at: ${iso(updated)}\n`;
  if (updated !== created) s += `stage_updated_at: ${iso(updated)}\n`;
  return s;
}

/**
 * Writes a registry of `models` × `versionsPerModel` into a new git repository at `dir` in one commit
 * on `branch` (default main). `bare: true` skips the work tree (what the 100k bench uses). Returns the
 * commit oid.
 */
export async function makeSyntheticRegistry(
  dir,
  { models, versionsPerModel = 10, bare = false, branch = 'main', message = 'synthetic registry' } = {},
) {
  mkdirSync(dir, { recursive: true });
  const git = (...args) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 }).trim();
  git('init', '-q', ...(bare ? ['--bare'] : []), '-b', branch);
  git('config', 'gc.auto', '0');
  git('config', 'user.name', 'mreg synth');
  git('config', 'user.email', 'synth@example.com');
  const fi = startFastImport(dir);
  const when = Math.floor((SYNTH_T0 + 86_400_000) / 1000);
  await fi.write(
    fastImportCommit({ ref: `refs/heads/${branch}`, who: 'mreg synth <synth@example.com>', seconds: when, message }) +
      fastImportFile('registry.yaml', 'format_version: 2\nname: synthetic\n'),
  );
  for (let i = 0; i < models; i++) {
    const dirName = `models/${synthModelName(i, models)}`;
    await fi.write(fastImportFile(`${dirName}/model.yaml`, synthModelYaml(i, models, versionsPerModel)));
    for (const [file, text] of synthAliasFiles(i, models, versionsPerModel))
      await fi.write(fastImportFile(`${dirName}/aliases/${file}`, text));
    for (let v = 1; v <= versionsPerModel; v++)
      await fi.write(fastImportFile(`${dirName}/versions/${v}.yaml`, synthVersionYaml(i, v, models, versionsPerModel)));
  }
  await fi.end();
  if (!bare) git('reset', '-q', '--hard', branch);
  return git('rev-parse', `refs/heads/${branch}`);
}
