// The smart-HTTP git server (native `git http-backend` on 127.0.0.1), shared with the benchmarks (scripts/lib/).
//
//   const server = await startGitHttpServer(rootDir);   // serves every repository under rootDir
//   server.url('registry.git')                           // http://127.0.0.1:<port>/registry.git
//   await server.close();
export { startGitHttpServer, type GitHttpServer } from '../../scripts/lib/git-http.mjs';
