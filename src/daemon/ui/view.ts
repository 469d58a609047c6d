// One request's view of the registry: the state it renders (now, or as of `?at=`), and the links it may
// print. Every link is built here: paths from fixed segments plus encodeURIComponent'd names, queries with
// URLSearchParams, and `at` (pinned to the resolved commit) carried on every link while time travelling.
import type { RegistryState } from '../../domain/state.js';
import type { Served, UiDeps } from '../ui-deps.js';

export type Query = Readonly<Record<string, string | number | undefined | null>>;

export function modelPath(name: string): string {
  return `/ui/models/${encodeURIComponent(name)}`;
}
export function versionPath(name: string, version: number): string {
  return `${modelPath(name)}/versions/${version}`;
}
export const HISTORY_PATH = '/ui/history';

/** `path?query`, leaving out empty values; the query is form-encoded. */
export function withQuery(path: string, query: Query = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Link builders that keep the view's `at`. */
export class Links {
  constructor(readonly at: string | undefined) {}
  to(path: string, query: Query = {}): string {
    return withQuery(path, this.at ? { ...query, at: this.at } : query);
  }
  models(query: Query = {}): string {
    return this.to('/', query);
  }
  model(name: string, query: Query = {}): string {
    return this.to(modelPath(name), query);
  }
  version(name: string, version: number, query: Query = {}): string {
    return this.to(versionPath(name, version), query);
  }
  history(query: Query = {}): string {
    return this.to(HISTORY_PATH, query);
  }
}

/** When the page shows the past: the commit `at` resolved to, its time, and what was asked for. */
interface Travel {
  readonly commit: string;
  /** Committer time, epoch ms. */
  readonly time: number;
  readonly requested: string;
}

export interface View {
  readonly deps: UiDeps;
  /** The state rendered. */
  readonly served: Served;
  readonly state: RegistryState;
  /** What the daemon serves now. */
  readonly now: Served;
  readonly travel: Travel | undefined;
  readonly links: Links;
  /** The request's query (already parsed). */
  readonly query: URLSearchParams;
}

/**
 * The view for a request: `?at=` (a commit, ref or time) resolves through deps.at; a commit equal to the
 * served one is simply "now".
 * @throws RegistryError from deps.at for an `at` that names nothing (the caller answers 400).
 */
export async function makeView(query: URLSearchParams, deps: UiDeps): Promise<View> {
  const now = deps.current();
  const at = query.get('at');
  if (at === null || at.trim() === '') {
    return { deps, served: now, state: now.loaded.state, now, travel: undefined, links: new Links(undefined), query };
  }
  const served = await deps.at(at);
  if (served.commit === now.commit) {
    return { deps, served, state: served.loaded.state, now, travel: undefined, links: new Links(undefined), query };
  }
  const c = await deps.repo.readCommit(served.commit);
  return {
    deps,
    served,
    state: served.loaded.state,
    now,
    travel: { commit: served.commit, time: c.committer.timestamp * 1000, requested: at },
    links: new Links(served.commit),
    query,
  };
}
