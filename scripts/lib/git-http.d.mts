// Types for git-http.mjs (plain ESM, shared by the benchmarks and the tests, run without a build step).
export interface GitHttpServer {
  url(repoName: string): string;
  close(): Promise<void>;
  /** Number of requests served so far, by service (for assertions on what a client did). */
  readonly requests: { uploadPack: number; receivePack: number; infoRefs: number };
}
export declare function startGitHttpServer(rootDir: string): Promise<GitHttpServer>;
