// A smart-HTTP git server for benchmarks: native `git http-backend` as a CGI program behind node:http on
// 127.0.0.1 (the same wrapper as test/helpers/git-http-server.ts, in plain JS for bench scripts).
import { spawn } from 'node:child_process';
import http from 'node:http';

export async function startGitHttpServer(rootDir) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GIT_PROJECT_ROOT: rootDir,
      GIT_HTTP_EXPORT_ALL: '1',
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
      REMOTE_ADDR: '127.0.0.1',
      REMOTE_USER: 'bench',
    };
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = req.headers['content-encoding'];
    if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    const out = [];
    cgi.stdout.on('data', (c) => out.push(c));
    cgi.stdin.on('error', () => undefined);
    req.pipe(cgi.stdin);
    cgi.on('close', () => {
      const raw = Buffer.concat(out);
      let sep = raw.indexOf('\r\n\r\n');
      let len = 4;
      if (sep < 0) [sep, len] = [raw.indexOf('\n\n'), 2];
      if (sep < 0) return res.writeHead(500).end();
      let status = 200;
      const headers = {};
      for (const line of raw.subarray(0, sep).toString('latin1').split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i < 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 500;
        else headers[name] = value;
      }
      res.writeHead(status, headers).end(raw.subarray(sep + len));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
