// isomorphic-git, loaded on first use: fetch, remote config and a few rare reads (short oids, pack formats
// pack-reader.ts leaves alone) need it; a CLI write never does, and loading it costs ~30 ms of a process's
// start. This is the one module that names isomorphic-git (architecture.test.ts checks it).
import type { HttpClient } from 'isomorphic-git';

export interface Iso {
  git: typeof import('isomorphic-git').default;
  http: HttpClient;
}

let loaded: Promise<Iso> | undefined;

export function iso(): Promise<Iso> {
  loaded ??= Promise.all([import('isomorphic-git'), import('isomorphic-git/http/node')]).then(([g, h]) => ({
    git: g.default,
    http: h.default,
  }));
  return loaded;
}
