// Types for git-http.mjs (plain ESM so the benches run it without a build step of their own).
export interface GitHttpServer {
  url(repoName: string): string;
  close(): Promise<void>;
  /** Number of requests served so far, by service (for assertions on what a client did). */
  readonly requests: { uploadPack: number; receivePack: number; infoRefs: number };
}
export declare function startGitHttpServer(rootDir: string): Promise<GitHttpServer>;
