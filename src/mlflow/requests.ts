// Request bodies of MLflow's REST write API built from the files' documents, for `mreg export`. Pure.
import type { ModelFile, VersionFile } from '../domain/state.js';
import type { MlflowTag } from './types.js';

function tagList(tags: Record<string, string> | undefined): MlflowTag[] {
  return Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));
}

/** POST registered-models/create */
export function createRegisteredModelBody(m: ModelFile): Record<string, unknown> {
  const body: Record<string, unknown> = { name: m.name };
  const tags = tagList(m.tags);
  if (tags.length) body.tags = tags;
  if (m.description) body.description = m.description;
  return body;
}

/** POST model-versions/create: what MLflow lets a client set (not the number, stage, status, user or times). */
export function createModelVersionBody(name: string, v: VersionFile): Record<string, unknown> {
  const body: Record<string, unknown> = { name, source: v.source };
  if (v.run_id) body.run_id = v.run_id;
  if (v.run_link) body.run_link = v.run_link;
  if (v.description) body.description = v.description;
  const tags = tagList(v.tags);
  if (tags.length) body.tags = tags;
  return body;
}
