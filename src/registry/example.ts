// The example registry: a script of registry operations replayed with the library at fixed past times and by
// several people, so the result has a realistic history (`mreg history`, `mreg resolve --at`) and is
// byte-for-byte reproducible. registry-example/ is this script's output (scripts/build-example.mjs), and a
// test checks that the two agree. `materializeExample(dir)` gives `mreg serve --example`, the scripts and the
// tests a real git repository with that history. It writes only through the library.
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { RegistryFile } from '../domain/state.js';
import type { Author } from './config.js';
import { initRegistry } from './init.js';
import { Registry } from './registry.js';

const PEOPLE = {
  chen: { name: 'Chen Wei', email: 'chen.wei@acme.example' },
  alice: { name: 'Alice Moreau', email: 'alice.moreau@acme.example' },
  bongani: { name: 'Bongani Dlamini', email: 'bongani.dlamini@acme.example' },
  dmitri: { name: 'Dmitri Volkov', email: 'dmitri.volkov@acme.example' },
  ci: { name: 'ml-pipelines', email: 'ml-pipelines@acme.example' },
} satisfies Record<string, Author>;
type Who = keyof typeof PEOPLE;

/** Deterministic hex of a given length, from a seed (stands in for run ids, digests and commits). */
function hex(seed: string, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += createHash('sha256').update(`${seed}#${i}`).digest('hex');
  return out.slice(0, length);
}

/** A pipeline run: MLflow-style run id and link, artifact location, digest, code commit, data set. */
function run(
  model: string,
  n: number,
  dataset: string,
  extra: { description?: string; tags?: Record<string, string> } = {},
) {
  const runId = hex(`${model}/run/${n}`, 32);
  const experiment =
    {
      fraud: 12,
      churn: 7,
      ranker: 19,
      'demand-forecast': 23,
      'legacy-scorer': 3,
      'Recsys.Embeddings': 31,
      'support-intent': 44,
    }[model] ?? 1;
  const folder = model.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return {
    source: `s3://acme-ml-artifacts/${folder}/${runId}/artifacts/model`,
    runId,
    runLink: `https://mlflow.acme.example/#/experiments/${experiment}/runs/${runId}`,
    digest: `sha256:${hex(`${model}/digest/${n}`, 64)}`,
    codeCommit: hex(`${model}/code/${n}`, 40),
    dataset,
    ...(extra.description ? { description: extra.description } : {}),
    ...(extra.tags ? { tags: extra.tags } : {}),
  };
}

const EXAMPLE_REGISTRY: Partial<RegistryFile> = {
  name: 'ACME production models',
  description:
    'The models ACME serves. Pipelines register versions from CI; promotions to **Production** go through a pull request that CI validates (`mreg validate`) and comments on (`mreg diff --format markdown`).',
  policies: {
    transitions: { Production: ['Staging'] },
    max_versions_per_stage: { Production: 1, Staging: 2 },
    required_fields: { Production: ['digest', 'run_id'] },
    protected: [{ branches: ['main'], stages: ['Production'], aliases: ['champion'] }],
  },
};

type Step = [at: string, who: Who, op: (r: Registry) => Promise<unknown>];

/** A pipeline registering run `n` of `model` (into `into`, when the model was renamed since). */
function register(model: string, n: number, dataset: string, extra: Parameters<typeof run>[3] = {}, into = model) {
  const { source, ...rest } = run(model, n, dataset, extra);
  return (r: Registry) => r.createModelVersion(into, source, rest);
}

/** A pipeline registering the first version of a new model, creating the model in the same commit. */
function first(
  model: string,
  dataset: string,
  modelDescription: string,
  modelTags: Record<string, string>,
  extra: Parameters<typeof run>[3] = {},
) {
  const { source, ...rest } = run(model, 1, dataset, extra);
  return (r: Registry) => r.registerModelVersion(model, source, { ...rest, modelDescription, modelTags });
}

const FRAUD_DESCRIPTION = `Scores card transactions for fraud in real time (p99 < 20 ms).

## Inputs
- the transaction (amount, merchant category, country, channel)
- 30-day card aggregates from the feature store (\`card_agg_30d\`)

## Output
A probability in [0, 1]; the payments service declines above **0.92** and asks for 3-D Secure above 0.6.

Owner: risk team (#risk-ml). Runbook: https://wiki.acme.example/risk/fraud-model`;

const CHURN_DESCRIPTION = `Monthly probability that a subscriber cancels within 60 days.

Used by the retention campaign planner; scores are refreshed nightly in batch.`;

const RANKER_DESCRIPTION = `Learning-to-rank model (LambdaMART) for the storefront search results page.

- trained on click and purchase logs, 28-day window
- features: BM25, popularity, price band, personalisation embeddings from \`Recsys.Embeddings\``;

const FORECAST_DESCRIPTION = `Daily demand per SKU and warehouse, 14 days ahead (quantile forecasts P10/P50/P90).

> Staging only for now: the planning team compares it with the legacy spreadsheet forecast until Q2.`;

const EMBEDDINGS_DESCRIPTION = `Two-tower item and user embeddings (dimension 128) shared by search and recommendations.`;

const INTENT_DESCRIPTION = `Classifies incoming support messages into 24 intents to route tickets.

Fine-tuned multilingual transformer; English, French and German.`;

/** The example's history, oldest first. Times are UTC. */
const SCRIPT: Step[] = [
  [
    '2026-01-06T09:12:00Z',
    'alice',
    (r) => r.createRegisteredModel('fraud', { description: FRAUD_DESCRIPTION, tags: { team: 'risk', tier: '1' } }),
  ],
  [
    '2026-01-08T02:41:00Z',
    'ci',
    register('fraud', 1, 'bq://acme-prod.risk.transactions@2025-12-31', {
      tags: { framework: 'xgboost', auc: '0.931' },
    }),
  ],
  ['2026-01-09T10:05:00Z', 'alice', (r) => r.transitionModelVersionStage('fraud', 1, 'Staging')],
  ['2026-01-12T14:30:00Z', 'chen', (r) => r.transitionModelVersionStage('fraud', 1, 'Production')],
  ['2026-01-12T14:31:00Z', 'chen', (r) => r.setRegisteredModelAlias('fraud', 'champion', 1)],
  [
    '2026-01-14T08:20:00Z',
    'ci',
    first(
      'churn',
      's3://acme-datasets/subscriptions/2025-12/',
      CHURN_DESCRIPTION,
      { team: 'growth' },
      { tags: { framework: 'lightgbm' } },
    ),
  ],
  [
    '2026-01-20T03:02:00Z',
    'ci',
    register('fraud', 2, 'bq://acme-prod.risk.transactions@2026-01-15', {
      tags: { framework: 'xgboost', auc: '0.874' },
    }),
  ],
  [
    '2026-01-20T09:47:00Z',
    'alice',
    (r) => r.setModelVersionTag('fraud', 2, 'validation', 'failed: label leakage in merchant_risk feature'),
  ],
  ['2026-01-21T11:15:00Z', 'alice', (r) => r.deleteModelVersion('fraud', 2)],
  [
    '2026-01-26T13:00:00Z',
    'bongani',
    (r) => r.createRegisteredModel('ranker', { description: RANKER_DESCRIPTION, tags: { team: 'search' } }),
  ],
  [
    '2026-01-26T16:44:00Z',
    'ci',
    register('ranker', 1, 'bq://acme-prod.search.sessions@2026-01-25', { tags: { ndcg_at_10: '0.412' } }),
  ],
  ['2026-01-27T10:10:00Z', 'bongani', (r) => r.transitionModelVersionStage('ranker', 1, 'Staging')],
  ['2026-01-29T15:00:00Z', 'chen', (r) => r.transitionModelVersionStage('ranker', 1, 'Production')],
  [
    '2026-02-02T02:55:00Z',
    'ci',
    register('fraud', 3, 'bq://acme-prod.risk.transactions@2026-01-31', {
      description:
        'Retrained on January transactions with the leakage fix.\n\n| metric | v1 | v3 |\n|---|---|---|\n| AUC | 0.931 | 0.944 |\n| recall @ 1% FPR | 0.62 | 0.67 |',
      tags: { framework: 'xgboost', auc: '0.944' },
    }),
  ],
  ['2026-02-03T09:30:00Z', 'alice', (r) => r.transitionModelVersionStage('fraud', 3, 'Staging')],
  [
    '2026-02-05T14:00:00Z',
    'chen',
    (r) => r.transitionModelVersionStage('fraud', 3, 'Production', { archiveExistingVersions: true }),
  ],
  ['2026-02-05T14:02:00Z', 'chen', (r) => r.setRegisteredModelAlias('fraud', 'champion', 3)],
  ['2026-02-06T10:00:00Z', 'bongani', (r) => r.transitionModelVersionStage('churn', 1, 'Staging')],
  [
    '2026-02-06T21:13:00Z',
    'ci',
    register('churn', 2, 's3://acme-datasets/subscriptions/2026-01/', { tags: { framework: 'lightgbm' } }),
  ],
  ['2026-02-07T09:00:00Z', 'bongani', (r) => r.setRegisteredModelAlias('churn', 'challenger', 2)],
  [
    '2026-02-10T11:20:00Z',
    'dmitri',
    (r) =>
      r.createRegisteredModel('demand-forecast', {
        description: FORECAST_DESCRIPTION,
        tags: { team: 'supply-chain', horizon_days: '14' },
      }),
  ],
  [
    '2026-02-10T23:30:00Z',
    'ci',
    register('demand-forecast', 1, 's3://acme-datasets/orders/2026-02-09/', { tags: { framework: 'prophet' } }),
  ],
  ['2026-02-11T09:15:00Z', 'dmitri', (r) => r.transitionModelVersionStage('demand-forecast', 1, 'Staging')],
  [
    '2026-02-12T10:00:00Z',
    'alice',
    (r) =>
      r.registerModelVersion('legacy-scorer', 's3://acme-ml-artifacts/legacy-scorer/2019/model.pkl', {
        modelDescription: 'Imported from the old model server for comparison.',
        description: 'Pickled scikit-learn 0.22 model.',
      }),
  ],
  ['2026-02-14T16:40:00Z', 'bongani', (r) => r.renameRegisteredModel('ranker', 'search-ranker')],
  [
    '2026-02-15T01:12:00Z',
    'ci',
    register(
      'ranker',
      2,
      'bq://acme-prod.search.sessions@2026-02-14',
      { tags: { ndcg_at_10: '0.427' } },
      'search-ranker',
    ),
  ],
  ['2026-02-16T09:05:00Z', 'alice', (r) => r.deleteRegisteredModel('legacy-scorer')],
  ['2026-02-16T10:30:00Z', 'bongani', (r) => r.transitionModelVersionStage('search-ranker', 2, 'Staging')],
  [
    '2026-02-18T04:00:00Z',
    'ci',
    first(
      'Recsys.Embeddings',
      'bq://acme-prod.recsys.interactions@2026-02-17',
      EMBEDDINGS_DESCRIPTION,
      { team: 'search' },
      { tags: { dim: '128' } },
    ),
  ],
  [
    '2026-02-20T02:48:00Z',
    'ci',
    register('fraud', 4, 'bq://acme-prod.risk.transactions@2026-02-15', {
      tags: { framework: 'xgboost', auc: '0.946' },
    }),
  ],
  ['2026-02-20T10:00:00Z', 'alice', (r) => r.transitionModelVersionStage('fraud', 4, 'Staging')],
  ['2026-02-20T10:01:00Z', 'alice', (r) => r.setRegisteredModelAlias('fraud', 'challenger', 4)],
  [
    '2026-02-24T12:00:00Z',
    'dmitri',
    first(
      'support-intent',
      'hf://acme/support-tickets@v3',
      INTENT_DESCRIPTION,
      { team: 'customer-care' },
      { tags: { framework: 'transformers', languages: 'en,fr,de' } },
    ),
  ],
  ['2026-02-25T09:00:00Z', 'dmitri', (r) => r.transitionModelVersionStage('support-intent', 1, 'Staging')],
  ['2026-02-27T15:30:00Z', 'chen', (r) => r.transitionModelVersionStage('support-intent', 1, 'Production')],
  [
    '2026-03-02T02:50:00Z',
    'ci',
    register('fraud', 5, 'bq://acme-prod.risk.transactions@2026-02-28', {
      description: 'February retrain; adds the `device_fingerprint_age` feature.',
      tags: { framework: 'xgboost', auc: '0.952' },
    }),
  ],
  ['2026-03-03T09:40:00Z', 'alice', (r) => r.transitionModelVersionStage('fraud', 4, 'Archived')],
  ['2026-03-03T09:41:00Z', 'alice', (r) => r.transitionModelVersionStage('fraud', 5, 'Staging')],
  ['2026-03-03T09:42:00Z', 'alice', (r) => r.setRegisteredModelAlias('fraud', 'challenger', 5)],
  [
    '2026-03-04T14:00:00Z',
    'chen',
    (r) => r.transitionModelVersionStage('fraud', 5, 'Production', { archiveExistingVersions: true }),
  ],
  ['2026-03-04T14:01:00Z', 'chen', (r) => r.setRegisteredModelAlias('fraud', 'champion', 5)],
  ['2026-03-04T14:02:00Z', 'chen', (r) => r.deleteRegisteredModelAlias('fraud', 'challenger')],
  [
    '2026-03-05T11:00:00Z',
    'chen',
    (r) => r.transitionModelVersionStage('search-ranker', 2, 'Production', { archiveExistingVersions: true }),
  ],
  [
    '2026-03-06T10:20:00Z',
    'dmitri',
    (r) =>
      r.updateModelVersion('demand-forecast', 1, {
        description: 'Baseline Prophet model; MAPE 18.4% on the January backtest.',
      }),
  ],
  [
    '2026-03-06T23:10:00Z',
    'ci',
    register('demand-forecast', 2, 's3://acme-datasets/orders/2026-03-05/', {
      description: 'Gradient-boosted quantile model; MAPE 14.9% on the January backtest.',
      tags: { framework: 'lightgbm' },
    }),
  ],
  ['2026-03-09T09:00:00Z', 'dmitri', (r) => r.transitionModelVersionStage('demand-forecast', 2, 'Staging')],
  ['2026-03-09T16:00:00Z', 'chen', (r) => r.transitionModelVersionStage('churn', 1, 'Production')],
  ['2026-03-09T16:01:00Z', 'bongani', (r) => r.transitionModelVersionStage('churn', 2, 'Staging')],
  [
    '2026-03-10T04:05:00Z',
    'ci',
    register('Recsys.Embeddings', 2, 'bq://acme-prod.recsys.interactions@2026-03-09', { tags: { dim: '128' } }),
  ],
  ['2026-03-10T09:30:00Z', 'bongani', (r) => r.setRegisteredModelAlias('Recsys.Embeddings', 'shadow', 2)],
  ['2026-03-12T13:00:00Z', 'alice', (r) => r.setRegisteredModelTag('fraud', 'pii', 'card-number-hashed')],
  [
    '2026-03-13T01:30:00Z',
    'ci',
    register(
      'ranker',
      3,
      'bq://acme-prod.search.sessions@2026-03-12',
      { tags: { ndcg_at_10: '0.431' } },
      'search-ranker',
    ),
  ],
  [
    '2026-03-16T02:51:00Z',
    'ci',
    register('fraud', 6, 'bq://acme-prod.risk.transactions@2026-03-15', {
      tags: { framework: 'xgboost', auc: '0.950' },
    }),
  ],
  ['2026-03-16T09:00:00Z', 'alice', (r) => r.setRegisteredModelAlias('fraud', 'shadow', 6)],
  ['2026-03-16T09:05:00Z', 'alice', (r) => r.setModelVersionTag('fraud', 6, 'shadow_traffic', '5%')],
];

const EXAMPLE_START = '2026-01-05T09:00:00Z';

/** Files beside the registry: the repository's README and its CI workflow. */
const EXAMPLE_FILES: Record<string, string> = {
  'README.md': `# ACME model registry

This repository is an [mreg](https://github.com/) registry: every registered model is a folder under \`models/\`,
every version a YAML file, and every change a commit.

- Pipelines register versions from CI: \`mreg register fraud --source s3://… --run-id … --digest sha256:… --push\`
- Promotions are pull requests: \`mreg transition fraud 6 Staging --no-commit --target-branch main\` (or edit
  \`stage:\` by hand), push the branch, open a pull request. CI runs \`mreg validate\` and comments with
  \`mreg diff --format markdown\`; the merge is the promotion.
- \`mreg history fraud 5\` tells who moved a version, and when; \`mreg resolve models:/fraud/Production --at 2026-03-01T12:00Z\`
  tells what was serving then.

Policies (\`registry.yaml\`): Production only from Staging, at most one Production and two Staging versions per
model, a \`digest\` and a \`run_id\` before Production, and Production and the \`champion\` alias change only on \`main\`.
`,
  '.github/workflows/registry.yml': `# Validates every change to the registry and comments on pull requests with what they change.
name: registry

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read
  pull-requests: write

jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - name: Install mreg
        # A pinned mreg from where your team keeps it: the repository variable MREG_PACKAGE, e.g. a git tag
        # (git+https://git.example.com/ml/mreg.git#v0.1.0) or a release tarball's URL. npm builds it from git
        # (its prepare script). Never a bare 'mreg' from the npm registry: that name is not this project's.
        env:
          MREG_PACKAGE: \${{ vars.MREG_PACKAGE }}
        run: |
          if [ -z "$MREG_PACKAGE" ]; then
            echo "::error::Set the repository variable MREG_PACKAGE to a pinned mreg (git+https://…#<tag>, or a tarball URL)."
            exit 1
          fi
          npm install --global "$MREG_PACKAGE"
      - name: Validate
        # A pull request is judged on what its branch changes since it left the base branch, and protected
        # stages/aliases against the branch it lands on (GITHUB_BASE_REF). A push is judged on what it changed.
        env:
          BEFORE: \${{ github.event.before }}
        run: |
          if [ -n "$GITHUB_BASE_REF" ]; then
            mreg validate --base "origin/$GITHUB_BASE_REF" --format github
          elif [ -n "$BEFORE" ] && git cat-file -e "$BEFORE^{commit}" 2>/dev/null; then
            mreg validate --base "$BEFORE" --format github
          else
            mreg validate --format github
          fi
      - name: Describe the change
        if: github.event_name == 'pull_request'
        run: mreg diff "origin/$GITHUB_BASE_REF" HEAD --format markdown > registry-diff.md
      - name: Comment on the pull request
        if: github.event_name == 'pull_request'
        env:
          GH_TOKEN: \${{ github.token }}
        run: gh pr comment "\${{ github.event.pull_request.number }}" --body-file registry-diff.md --edit-last || gh pr comment "\${{ github.event.pull_request.number }}" --body-file registry-diff.md
`,
};

/**
 * Builds the example as a git repository with its full history in `targetDir` (created if needed, must not
 * hold a registry). The result is identical on every run: same files, same commits, same oids.
 */
export async function materializeExample(targetDir: string, opts: { branch?: string } = {}): Promise<void> {
  await mkdir(targetDir, { recursive: true });
  let now = Date.parse(EXAMPLE_START);
  const clock = () => now;
  const branch = opts.branch ?? 'main';
  const admin = await initRegistry(targetDir, { author: PEOPLE.chen, clock, branch, registry: EXAMPLE_REGISTRY });
  now += 10 * 60_000;
  await admin.commitFiles(EXAMPLE_FILES, 'Add README and the CI workflow');
  const registries = new Map<Who, Registry>();
  for (const [at, who, op] of SCRIPT) {
    now = Date.parse(at);
    let r = registries.get(who);
    if (!r) registries.set(who, (r = await Registry.open(targetDir, { author: PEOPLE[who], clock, branch })));
    await op(r);
  }
}
