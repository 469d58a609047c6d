// Fills a real MLflow tracking server over its REST API with the benchmark's registry: models `bench-0000`…
// with `versions` versions each, shaped like the shared preload (tags team/task/owner; v8 then v10 to Production
// archiving v8, v9 to Staging, v1 to Archived; aliases champion → 10, challenger → 9; v10 and v9 tagged).
// Only what is missing is created, so an interrupted run continues where it stopped and a kept database is reused.
export function benchModelName(i) {
  return `bench-${String(i).padStart(4, '0')}`;
}

async function call(base, method, endpoint, body) {
  const url = new URL(`api/2.0/mlflow/${endpoint}`, base.endsWith('/') ? base : base + '/');
  const init = { method, headers: {} };
  if (body !== undefined) {
    if (method === 'GET') for (const [k, v] of Object.entries(body)) url.searchParams.set(k, String(v));
    else {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url, init);
      const text = await res.text();
      const json = text ? JSON.parse(text) : {};
      return { status: res.status, json };
    } catch (e) {
      if (attempt >= 3) throw e;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
}

async function must(base, method, endpoint, body) {
  const r = await call(base, method, endpoint, body);
  if (r.status !== 200)
    throw new Error(`${method} ${endpoint} ${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

async function populateModel(base, i, versions) {
  const name = benchModelName(i);
  const got = await call(base, 'GET', 'registered-models/get', { name });
  if (got.status === 200 && got.json.registered_model?.aliases?.length) return false; // complete
  if (got.status !== 200) {
    await must(base, 'POST', 'registered-models/create', {
      name,
      description: `benchmark model ${i}`,
      tags: [
        { key: 'team', value: `team-${i % 5}` },
        { key: 'task', value: i % 2 === 0 ? 'regression' : 'classification' },
        { key: 'owner', value: `owner-${i % 7}@example.com` },
      ],
    });
  }
  const listed = await must(base, 'GET', 'model-versions/search', { filter: `name = '${name}'`, max_results: 1000 });
  for (let v = (listed.model_versions ?? []).length + 1; v <= versions; v++) {
    const tags =
      v === 10 ? [{ key: 'validated', value: 'true' }] : v === 9 ? [{ key: 'validated', value: 'pending' }] : [];
    await must(base, 'POST', 'model-versions/create', {
      name,
      source: `s3://bucket/${name}/${v}`,
      run_id: `${String(i).padStart(16, '0')}${String(v).padStart(16, '0')}`,
      description: `version ${v} of ${name}`,
      tags,
    });
  }
  if (versions >= 10) {
    const stage = (version, s, archive = false) =>
      must(base, 'POST', 'model-versions/transition-stage', {
        name,
        version: String(version),
        stage: s,
        archive_existing_versions: archive,
      });
    await stage(8, 'Production');
    await stage(10, 'Production', true);
    await stage(9, 'Staging');
    await stage(1, 'Archived');
    await must(base, 'POST', 'registered-models/alias', { name, alias: 'challenger', version: '9' });
    await must(base, 'POST', 'registered-models/alias', { name, alias: 'champion', version: '10' });
  }
  return true;
}

/** Creates what is missing of `models` × `versions`; returns how many models it had to (re)build. */
export async function populateMlflow(base, { models = 1000, versions = 10, concurrency = 6, onProgress } = {}) {
  let next = 0;
  let done = 0;
  let built = 0;
  const worker = async () => {
    while (next < models) {
      const i = next++;
      if (await populateModel(base, i, versions)) built++;
      onProgress?.(++done, models);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return built;
}
