#!/usr/bin/env node
// Records the exchanges between `mreg import` / `mreg export` and a REAL MLflow tracking server into
// test/fixtures/mlflow-sync/, which the tests replay from a local HTTP server (CI cannot run MLflow).
//
//   npm run build && node scripts/record-mlflow.mjs --source http://127.0.0.1:5001 --target http://127.0.0.1:5002
//
// Both servers must be MLflow (2.22 was used) with empty registries: the script writes a scenario into the source
// (models, versions, stages, aliases, tags, deletions, a rename, a copy), and after each step runs the built
// `mreg import` through a recording proxy, then records the reads the tests compare mreg's daemon with (gets,
// latest versions, aliases, download URIs, searches with paging, filters and orders, error cases). At the end
// it runs `mreg export` into the target through the proxy (twice: the second must send no write), then records
// an import of a model whose name mreg refuses. Without --source it explains itself and exits.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/mreg.js');
const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SOURCE = arg('source');
const TARGET = arg('target');
const OUT = path.resolve(arg('out') ?? path.join(ROOT, 'test/fixtures/mlflow-sync'));
if (!SOURCE || !TARGET) {
  console.error(
    'record-mlflow: needs two empty MLflow servers: --source URL --target URL (see the comment at the top).',
  );
  process.exit(2);
}

// ---------------------------------------------------------------- talking to MLflow directly (the scenario)

async function api(base, method, endpoint, body) {
  const url = new URL(`api/2.0/mlflow/${endpoint}`, base.endsWith('/') ? base : base + '/');
  const init = { method, headers: {} };
  if (body !== undefined) {
    if (method === 'GET') for (const [k, v] of Object.entries(body)) url.searchParams.set(k, String(v));
    else {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
  }
  const res = await fetch(url, init);
  const json = await res.json().catch(() => ({}));
  if (res.status !== 200)
    throw new Error(`${method} ${endpoint} ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}
const post = (endpoint, body) => api(SOURCE, 'POST', endpoint, body);
const del = (endpoint, body) => api(SOURCE, 'DELETE', endpoint, body);
const patch = (endpoint, body) => api(SOURCE, 'PATCH', endpoint, body);
const pause = (ms = 15) => new Promise((r) => setTimeout(r, ms)); // distinct timestamps keep orders stable

async function createVersion(name, source, extra = {}) {
  await pause();
  return (await post('model-versions/create', { name, source, ...extra })).model_version.version;
}
async function stage(name, version, s, archive = false) {
  await pause();
  await post('model-versions/transition-stage', {
    name,
    version: String(version),
    stage: s,
    archive_existing_versions: archive,
  });
}

async function assertEmpty(base) {
  const r = await api(base, 'GET', 'registered-models/search', { max_results: 1 });
  if (r.registered_models?.length) throw new Error(`${base} is not empty: record against fresh servers.`);
}

// ---------------------------------------------------------------- the recording proxy

function startProxy(upstream) {
  const log = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url, 'http://proxy');
      const target = new URL(
        url.pathname.replace(/^\//, '') + url.search,
        upstream.endsWith('/') ? upstream : upstream + '/',
      );
      const headers = {};
      if (req.headers['content-type']) headers['Content-Type'] = req.headers['content-type'];
      const r = await fetch(target, { method: req.method, headers, body: body || undefined });
      const text = await r.text();
      log.push({
        request: {
          method: req.method,
          path: url.pathname,
          query: [...url.searchParams],
          body: body ? JSON.parse(body) : null,
        },
        response: { status: r.status, contentType: r.headers.get('content-type') ?? '', body: text },
      });
      res.writeHead(r.status, { 'Content-Type': r.headers.get('content-type') ?? 'application/json' });
      res.end(text);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${server.address().port}`, log, close: () => server.close() }),
    ),
  );
}

/** The built CLI as a child process (asynchronous: the proxies answer it from this process's event loop). */
function mreg(args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, MREG_AUTHOR_NAME: 'Recorder', MREG_AUTHOR_EMAIL: 'recorder@example.com' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// ---------------------------------------------------------------- the reads the tests compare

async function readsFor(proxy) {
  const log = proxy.log;
  const start = log.length;
  const get = async (endpoint, query) => {
    const u = new URL(`${proxy.url}/api/2.0/mlflow/${endpoint}`);
    for (const [k, v] of query) u.searchParams.append(k, v);
    const r = await fetch(u);
    return r.status === 200 ? r.json() : undefined;
  };
  const postJson = (endpoint, body) =>
    fetch(`${proxy.url}/api/2.0/mlflow/${endpoint}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }).then((r) => r.text());
  const all = await get('registered-models/search', [['max_results', '1000']]);
  for (const m of all?.registered_models ?? []) {
    const name = m.name;
    const full = await get('registered-models/get', [['name', name]]);
    await get('registered-models/get-latest-versions', [['name', name]]);
    await get('registered-models/get-latest-versions', [
      ['name', name],
      ['stages', 'Production'],
    ]);
    await postJson('registered-models/get-latest-versions', { name, stages: ['staging', 'None'] });
    for (const a of full?.registered_model?.aliases ?? [])
      await get('registered-models/alias', [
        ['name', name],
        ['alias', a.alias],
      ]);
    await get('registered-models/alias', [
      ['name', name],
      ['alias', 'no-such-alias'],
    ]);
    const versions = await get('model-versions/search', [
      ['filter', `name = '${name}'`],
      ['max_results', '1000'],
    ]);
    const top = Math.max(0, ...(versions?.model_versions ?? []).map((v) => Number(v.version)));
    for (let n = 1; n <= top + 1; n++) {
      await get('model-versions/get', [
        ['name', name],
        ['version', String(n)],
      ]);
      await get('model-versions/get-download-uri', [
        ['name', name],
        ['version', String(n)],
      ]);
    }
  }
  let token;
  do {
    const page = await get(
      'registered-models/search',
      token
        ? [
            ['max_results', '2'],
            ['page_token', token],
          ]
        : [['max_results', '2']],
    );
    token = page?.next_page_token;
  } while (token);
  do {
    const page = await get(
      'model-versions/search',
      token
        ? [
            ['max_results', '3'],
            ['page_token', token],
          ]
        : [['max_results', '3']],
    );
    token = page?.next_page_token;
  } while (token);
  await get('registered-models/search', []);
  await get('registered-models/search', [['filter', "name LIKE 'fr%'"]]);
  await get('registered-models/search', [['filter', "tags.team = 'risk'"]]);
  await get('registered-models/search', [['order_by', 'name DESC']]);
  await get('registered-models/search', [['order_by', 'last_updated_timestamp DESC']]);
  await get('model-versions/search', []);
  await get('model-versions/search', [['filter', "name = 'fraud'"]]);
  await get('model-versions/search', [['filter', "tags.k = 'v1'"]]);
  await get('model-versions/search', [
    ['order_by', 'version_number ASC'],
    ['order_by', 'name ASC'],
  ]);
  await get('model-versions/search', [['order_by', 'creation_timestamp DESC']]);
  await get('registered-models/get', [['name', 'no-such-model']]);
  await get('model-versions/get', [
    ['name', 'fraud'],
    ['version', '99'],
  ]);
  await get('model-versions/get', [
    ['name', 'fraud'],
    ['version', 'abc'],
  ]);
  await get('registered-models/search', [['filter', 'name = ']]);
  return log.slice(start);
}

// ---------------------------------------------------------------- the scenario

const STEPS = [
  {
    state: 's0-initial',
    about:
      'first import: models with gaps, stages, aliases (one dangling), tags in insertion order, a copy, an empty model',
    async run() {
      await post('registered-models/create', {
        name: 'fraud',
        description: 'Card **fraud** scorer.\n\nSee the runbook.',
        tags: [
          { key: 'team', value: 'risk' },
          { key: 'task', value: 'classification' },
        ],
      });
      for (let v = 1; v <= 5; v++) {
        await createVersion('fraud', `s3://models/fraud/${v}`, {
          run_id: `0f3c9a8e1b2d4c5e6f7a8b9c0d1e2f${String(v).padStart(2, '0')}`,
          run_link: v % 2 ? `https://ci.example.com/runs/${v}` : '',
          description: v === 3 ? 'The one in production.' : '',
          tags: [{ key: 'k', value: `v${v}` }, ...(v === 3 ? [{ key: 'validated', value: 'true' }] : [])],
        });
      }
      await stage('fraud', 2, 'Staging');
      await stage('fraud', 3, 'Production');
      await stage('fraud', 1, 'Archived');
      await del('model-versions/delete', { name: 'fraud', version: '4' });
      await post('registered-models/alias', { name: 'fraud', alias: 'zeta', version: '5' });
      await post('registered-models/alias', { name: 'fraud', alias: 'champion', version: '3' });
      await post('registered-models/alias', { name: 'fraud', alias: 'challenger', version: '2' });
      await post('registered-models/set-tag', { name: 'fraud', key: 'b-tag', value: 'second' });
      await post('registered-models/set-tag', { name: 'fraud', key: 'a-tag', value: 'third' });

      await post('registered-models/create', { name: 'churn', description: 'Churn model' });
      await createVersion('churn', 's3://models/churn/1');
      await post('registered-models/alias', { name: 'churn', alias: 'old', version: '1' });
      await createVersion('churn', 's3://models/churn/2', { tags: [{ key: 'k', value: 'v1' }] });
      await del('model-versions/delete', { name: 'churn', version: '1' }); // leaves alias `old` dangling in MLflow

      await post('registered-models/create', { name: 'Image Classifier' });
      await createVersion('Image Classifier', 'gs://bucket/image/1', { description: 'ResNet' });

      await post('registered-models/create', { name: 'modèle-é' });
      await createVersion('modèle-é', 'models:/fraud/3'); // a copy: downloads from fraud v3's location

      await post('registered-models/create', { name: 'empty-model', tags: [{ key: 'team', value: 'risk' }] });
    },
  },
  {
    state: 's1-stage-change',
    about: 'fraud v2 Staging → Production, archiving v3',
    async run() {
      await stage('fraud', 2, 'Production', true);
    },
  },
  {
    state: 's2-new-version',
    about: 'churn v3 registered',
    async run() {
      await createVersion('churn', 's3://models/churn/3', { run_link: 'https://ci.example.com/runs/99' });
    },
  },
  {
    state: 's3-deleted-version',
    about: 'fraud v5 deleted (alias zeta now dangles in MLflow)',
    async run() {
      await del('model-versions/delete', { name: 'fraud', version: '5' });
    },
  },
  {
    state: 's4-tags-aliases-descriptions',
    about: 'tags, aliases and descriptions changed on models and versions',
    async run() {
      await post('registered-models/set-tag', { name: 'churn', key: 'owner', value: 'ana@example.com' });
      await del('registered-models/delete-tag', { name: 'fraud', key: 'b-tag' });
      await post('model-versions/set-tag', { name: 'fraud', version: '2', key: 'validated', value: 'true' });
      await patch('registered-models/update', { name: 'Image Classifier', description: 'Classifies images.' });
      await pause();
      await patch('model-versions/update', { name: 'churn', version: '2', description: 'Retrained.' });
      await post('registered-models/alias', { name: 'fraud', alias: 'champion', version: '2' });
      await del('registered-models/alias', { name: 'fraud', alias: 'challenger' });
      await post('registered-models/alias', { name: 'churn', alias: 'latest-good', version: '3' });
    },
  },
  {
    state: 's5-deleted-model',
    about: 'Image Classifier deleted',
    async run() {
      await del('registered-models/delete', { name: 'Image Classifier' });
    },
  },
  {
    state: 's6-renamed-model',
    about: 'churn renamed to churn-v2',
    async run() {
      await post('registered-models/rename', { name: 'churn', new_name: 'churn-v2' });
    },
  },
  {
    state: 's7-nothing-changed',
    about: 'no change: the import must commit nothing',
    async run() {},
  },
];

await assertEmpty(SOURCE);
await assertEmpty(TARGET);
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const work = mkdtempSync(path.join(os.tmpdir(), 'mreg-record-'));
const repo = path.join(work, 'registry');
mkdirSync(repo);
if ((await mreg(['init', '.'], repo)).code !== 0) throw new Error('mreg init failed (npm run build first?)');
const source = await startProxy(SOURCE);
const manifest = [];
for (const step of STEPS) {
  await step.run();
  const start = source.log.length;
  const r = await mreg(['import', '--from', source.url, '--json'], repo);
  if (r.code !== 0) throw new Error(`${step.state}: mreg import exited ${r.code}: ${r.stderr}`);
  const exchanges = source.log.slice(start);
  const result = JSON.parse(r.stdout);
  const reads = await readsFor(source);
  const file = `${step.state}.json`;
  writeFileSync(
    path.join(OUT, file),
    JSON.stringify(
      {
        state: step.state,
        about: step.about,
        subjects: result.commits.map((c) => c.subject),
        import: exchanges,
        reads,
      },
      null,
      1,
    ) + '\n',
  );
  manifest.push(file);
  console.log(
    `${step.state}: ${exchanges.length} import exchanges, ${reads.length} reads, ${result.commits.length} commits`,
  );
}

// Export into the empty target, then again (nothing to send), through a proxy of the target.
const target = await startProxy(TARGET);
let start = target.log.length;
let r = await mreg(['export', '--to', target.url, '--json'], repo);
if (r.code !== 0) throw new Error(`mreg export exited ${r.code}: ${r.stderr}`);
const first = target.log.slice(start);
start = target.log.length;
r = await mreg(['export', '--to', target.url, '--json'], repo);
if (r.code !== 0) throw new Error(`second mreg export exited ${r.code}: ${r.stderr}`);
const second = target.log.slice(start);
// What the target answers afterwards, to compare with the source's answers (the round trip).
const targetReads = await readsFor(target);
writeFileSync(path.join(OUT, 'export.json'), JSON.stringify({ first, second, targetReads }, null, 1) + '\n');
console.log(`export: ${first.length} exchanges, then ${second.length}`);

// Changes made in git afterwards, sent to the models MLflow already has with --update.
const GIT_EDITS = [
  ['describe', 'fraud', 'Changed in git.'],
  ['tag', 'fraud', 'team=ml-platform'],
  ['tag', 'fraud', '--delete', 'a-tag'],
  ['transition', 'fraud', '3', 'Staging'],
  ['alias', 'fraud', 'challenger', '3'],
  ['tag', 'churn-v2', '2', 'reviewed=yes'],
];
for (const edit of GIT_EDITS) {
  const e = await mreg(edit, repo);
  if (e.code !== 0) throw new Error(`mreg ${edit.join(' ')}: ${e.stderr}`);
}
start = target.log.length;
r = await mreg(['export', '--to', target.url, '--update'], repo);
if (r.code !== 0) throw new Error(`mreg export --update exited ${r.code}: ${r.stderr}`);
writeFileSync(
  path.join(OUT, 'export-update.json'),
  JSON.stringify({ edits: GIT_EDITS, stdout: r.stdout, exchanges: target.log.slice(start) }, null, 1) + '\n',
);
console.log(`export --update: ${target.log.length - start} exchanges`);

// A version MLflow refuses (a local source without a run): reported, its number used up, the next one exported.
const local = path.join(work, 'local');
mkdirSync(local);
await mreg(['init', '.'], local);
for (const src of ['s3://models/refused/1', 'file:///srv/models/refused/2', 's3://models/refused/3'])
  await mreg(['register', 'refused-model', '--source', src], local);
start = target.log.length;
r = await mreg(['export', '--to', target.url], local);
writeFileSync(
  path.join(OUT, 'export-refused.json'),
  JSON.stringify(
    { exitCode: r.code, stdout: r.stdout, stderr: r.stderr, exchanges: target.log.slice(start) },
    null,
    1,
  ) + '\n',
);
console.log(`export-refused: exit ${r.code}`);

// A model whose name mreg refuses (MLflow's SQL store takes a '/'): the import must list it.
await post('registered-models/create', { name: 'team/fraud' });
await createVersion('team/fraud', 's3://models/team-fraud/1');
start = source.log.length;
const fresh = path.join(work, 'fresh');
mkdirSync(fresh);
await mreg(['init', '.'], fresh);
r = await mreg(['import', '--from', source.url], fresh);
writeFileSync(
  path.join(OUT, 'invalid-name.json'),
  JSON.stringify({ exitCode: r.code, stderr: r.stderr, import: source.log.slice(start) }, null, 1) + '\n',
);
console.log(`invalid-name: exit ${r.code}`);

writeFileSync(path.join(OUT, 'manifest.json'), JSON.stringify({ states: manifest }, null, 1) + '\n');
source.close();
target.close();
rmSync(work, { recursive: true, force: true });
