// /healthz: the process answers. /readyz: 503 until a good commit is loaded; afterwards 200, and it
// reports a tip that failed to load (the last good state is still served, so the daemon stays ready).
import type { StateHolder } from '../holder.js';
import type { Reply } from './reply.js';

const json = (status: number, body: unknown): Reply => ({
  status,
  body: JSON.stringify(body, null, 2),
  contentType: 'application/json',
  cacheable: false,
  headers: [['Cache-Control', 'no-store']],
});

export function healthz(): Reply {
  return json(200, { status: 'ok' });
}

export function readyz(holder: StateHolder, branch: string, started: number): Reply {
  const s = holder.current;
  const err = holder.lastError;
  const lastError = err
    ? {
        commit: err.commit,
        at: new Date(err.at).toISOString(),
        message: err.message,
        problems: err.problems.slice(0, 20),
      }
    : null;
  if (!s)
    return json(503, {
      status: 'loading',
      branch,
      since: new Date(started).toISOString(),
      last_reload_error: lastError,
    });
  let versions = 0;
  for (const m of s.loaded.state.models.values()) versions += m.versions.size;
  return json(200, {
    status: err ? 'stale' : 'ready',
    branch,
    commit: s.commit,
    loaded_at: new Date(s.loadedAt).toISOString(),
    models: s.loaded.state.models.size,
    versions,
    last_reload_error: lastError,
  });
}
