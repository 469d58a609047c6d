// GET /api/v1/resolve?uri=models:/…[&at=TIME|COMMIT] — what serving systems ask thousands of times a
// second: which version a models:/ URI means, and where its artifacts are, now or as of a past moment.
import { canonicalStage } from '../../domain/stages.js';
import { aliasesOf, type RegistryState, type VersionFile } from '../../domain/state.js';
import { downloadUri, latestInStage, latestVersion, modelNotFound, versionByAlias, versionNotFound } from '../../domain/queries.js';
import { parseVersion } from '../../domain/rules.js';
import { parseModelUri } from '../../domain/uri.js';
import { RegistryError } from '../../errors.js';
import { stringParam, type Params, type Reply } from './reply.js';

export interface Resolved {
  name: string;
  version: string;
  stage: string;
  aliases: string[];
  source: string;
  artifact_uri: string;
  run_id: string;
  commit: string;
}

/** Resolves a models:/ URI against one state. @throws RegistryError (MLflow's codes and wording) */
export function resolveUri(state: RegistryState, commit: string, uri: string): Resolved {
  const u = parseModelUri(uri);
  const entry = state.models.get(u.name);
  if (!entry) {
    if (u.kind === 'alias') throw RegistryError.invalid(`Registered model alias ${u.alias} not found.`, { alias: u.alias });
    throw modelNotFound(u.name);
  }
  let v: VersionFile | undefined;
  switch (u.kind) {
    case 'version': {
      const n = parseVersion(u.version);
      v = entry.versions.get(n);
      if (!v) throw versionNotFound(u.name, n);
      break;
    }
    case 'latest':
      v = latestVersion(entry);
      if (!v) throw RegistryError.notFound(`No versions of model with name '${u.name}' found`);
      break;
    case 'stage': {
      const stage = canonicalStage(u.stage);
      v = latestInStage(entry, stage);
      if (!v) throw RegistryError.notFound(`No versions of model with name '${u.name}' and stage '${stage}' found`);
      break;
    }
    case 'alias':
      v = versionByAlias(entry, u.alias);
      break;
  }
  const base = downloadUri(v);
  return {
    name: entry.file.name,
    version: String(v.version),
    stage: v.stage,
    aliases: aliasesOf(entry.file, v.version),
    source: v.source,
    artifact_uri: u.path ? `${base.replace(/\/+$/, '')}/${u.path}` : base,
    run_id: v.run_id ?? '',
    commit,
  };
}

export function resolveParams(p: Params): { uri: string; at: string | undefined } {
  return { uri: stringParam(p, 'uri', true), at: stringParam(p, 'at') };
}

export function resolveReply(state: RegistryState, commit: string, uri: string): Reply {
  return { status: 200, body: JSON.stringify(resolveUri(state, commit, uri), null, 2), contentType: 'application/json' };
}
