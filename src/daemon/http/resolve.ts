// GET /api/v1/resolve?uri=models:/…[&at=TIME|COMMIT] — what serving systems ask thousands of times a
// second: which version a models:/ URI means, and where its artifacts are, now or as of a past moment.
import type { RegistryState } from '../../domain/state.js';
import { resolveModelUri, type UriResolution } from '../../domain/queries.js';
import { parseModelUri } from '../../domain/uri.js';
import { stringParam, type Params, type Reply } from './reply.js';

interface Resolved extends UriResolution {
  commit: string;
}

/** Resolves a models:/ URI against one state. @throws RegistryError (MLflow's codes and wording) */
function resolveUri(state: RegistryState, commit: string, uri: string): Resolved {
  const u = parseModelUri(uri);
  return { ...resolveModelUri(state.models.get(u.name), u), commit };
}

export function resolveParams(p: Params): { uri: string; at: string | undefined } {
  return { uri: stringParam(p, 'uri', true), at: stringParam(p, 'at') };
}

export function resolveReply(state: RegistryState, commit: string, uri: string): Reply {
  return {
    status: 200,
    body: JSON.stringify(resolveUri(state, commit, uri), null, 2),
    contentType: 'application/json',
  };
}
