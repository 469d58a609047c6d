// A real smart-HTTP git server for tests and benchmarks: native `git http-backend` run as a CGI program behind
// node:http, on 127.0.0.1 and an ephemeral port. Unlike git-http-mock-server, pushes persist and races are real.
// Plain JS so benchmarks run it without a TS loader; tests import it through test/helpers/git-http-server.ts
// (types in git-http.d.mts).
//
//   const server = await startGitHttpServer(rootDir);   // serves every repository under rootDir
//   server.url('registry.git')                           // http://127.0.0.1:<port>/registry.git
//   await server.close();
import { spawn } from 'node:child_process';
import http from 'node:http';

export async function startGitHttpServer(rootDir) {
  const requests = { uploadPack: 0, receivePack: 0, infoRefs: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.endsWith('/info/refs')) requests.infoRefs++;
    else if (url.pathname.endsWith('/git-upload-pack')) requests.uploadPack++;
    else if (url.pathname.endsWith('/git-receive-pack')) requests.receivePack++;
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GIT_PROJECT_ROOT: rootDir,
      GIT_HTTP_EXPORT_ALL: '1',
      // Anonymous push is refused unless http.receivepack is on; keep the server free of background gc.
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'http.receivepack',
      GIT_CONFIG_VALUE_0: 'true',
      GIT_CONFIG_KEY_1: 'receive.autogc',
      GIT_CONFIG_VALUE_1: 'false',
      GIT_CONFIG_NOSYSTEM: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      REMOTE_USER: 'test',
    };
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    cgi.stdout.on('data', (c) => out.push(c));
    cgi.stderr.on('data', (c) => err.push(c));
    cgi.stdin.on('error', () => undefined);
    req.pipe(cgi.stdin);
    cgi.on('close', () => {
      const raw = Buffer.concat(out);
      let sep = raw.indexOf('\r\n\r\n');
      let sepLen = 4;
      if (sep < 0) {
        sep = raw.indexOf('\n\n');
        sepLen = 2;
      }
      if (sep < 0) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`git http-backend failed: ${Buffer.concat(err).toString()}`);
        return;
      }
      let status = 200;
      const headers = {};
      for (const line of raw.subarray(0, sep).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 500;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.end(raw.subarray(sep + sepLen));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    requests,
    url: (repoName) => `http://127.0.0.1:${port}/${repoName}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
