// `mreg import`: read an MLflow server's registry, plan against the branch head and the last import's record,
// and commit through the Registry's write loop — the first import as one commit, later ones one commit per
// changed model. Nothing is written before the whole server has been read and every model checked.
import { RegistryError, isRegistryError } from '../errors.js';
import { Registry } from '../registry/registry.js';
import type { Author } from '../registry/config.js';
import { MlflowHttpClient, type MlflowConnection } from './mlflow-client.js';
import {
  changedInMlflow,
  planImport,
  planModel,
  stepChange,
  stepsChange,
  type Conflict,
  type Decision,
  type ImportRecord,
  type InvalidModel,
  type ModelStep,
  type PlanOptions,
  type Prefer,
  type RecordEntry,
} from './plan-import.js';
import { confirmAbsent, readMlflowRegistry, snapshotCounts, type ReadProgress } from './read-mlflow.js';
import { readRecord, recordPath, writeRecord } from './record.js';
import type { MlflowSnapshot } from './snapshot.js';

export interface ImportOptions {
  /** The registry repository. */
  repo: string;
  connection: MlflowConnection;
  /** Push every commit to this remote (re-applying on the new head when another writer got there first). */
  push?: string | undefined;
  maxAttempts?: number | undefined;
  branch?: string | undefined;
  /** The committer (default: the registry's author settings). */
  author?: Partial<Author> | undefined;
  prefer?: Prefer | undefined;
  /** Skip models mreg cannot store instead of refusing the whole import. */
  skipInvalid?: boolean | undefined;
  clock?: (() => number) | undefined;
  progress?: ((phase: 'models' | 'versions' | 'details' | 'writing', done: number, total?: number) => void) | undefined;
}

interface ImportCommit {
  commit: string;
  subject: string;
}

export interface ImportResult {
  server: string;
  /** True when there was no record of an earlier import: everything went into one commit. */
  first: boolean;
  commits: ImportCommit[];
  conflicts: Conflict[];
  /** Changed in git since the last import, unchanged in MLflow: kept as they are. */
  kept: string[];
  /** Skipped with --skip-invalid. */
  invalid: InvalidModel[];
  /** Models whose commit the registry refused (a policy, say): nothing written for them. */
  refused: Array<{ name: string; code: string; message: string }>;
  notes: string[];
  mlflow: { models: number; versions: number };
  timing: { totalMs: number; mlflowMs: number; requests: number };
}

/** One import (or sync) round. @throws RegistryError when the server cannot be read or a model is invalid without skipInvalid */
export async function importOnce(opts: ImportOptions): Promise<ImportResult> {
  const started = performance.now();
  const registry = await Registry.open(opts.repo, {
    ...(opts.branch ? { branch: opts.branch } : {}),
    ...(opts.author ? { author: opts.author } : {}),
    ...(opts.push ? { push: opts.push, maxAttempts: opts.maxAttempts ?? 20 } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const client = new MlflowHttpClient(opts.connection);
  try {
    return await run(registry, client, opts, started);
  } finally {
    client.close();
  }
}

async function run(
  registry: Registry,
  client: MlflowHttpClient,
  opts: ImportOptions,
  started: number,
): Promise<ImportResult> {
  const file = recordPath(registry.gitDir, client.server, registry.branch);
  const record = await readRecord(file);
  const progress: ReadProgress = (phase, done, total) => opts.progress?.(phase, done, total);
  const snapshot = await readMlflowRegistry(client, progress);
  const planOpts: PlanOptions = { prefer: opts.prefer };
  const headBefore = await registry.head();
  if (record && record.commit === headBefore) {
    // Git has not moved since the last import: only what MLflow changed needs a look, and often nothing does.
    planOpts.only = changedInMlflow(snapshot, record);
    if (!planOpts.only.size) return unchanged(client, snapshot, started);
  }

  let planned = await registry.state();
  let plan = planImport(snapshot, planned, record, planOpts);
  if (await confirmDeletions(client, snapshot, plan.steps)) {
    planned = await registry.state();
    plan = planImport(snapshot, planned, record, planOpts);
  }
  if (plan.invalid.length && !opts.skipInvalid) throw invalidError(client.server, plan.invalid);

  const result: ImportResult = {
    server: client.server,
    first: record === undefined,
    commits: [],
    conflicts: plan.conflicts,
    kept: plan.kept,
    invalid: plan.invalid,
    refused: [],
    notes: [...new Set(plan.notes)],
    mlflow: snapshotCounts(snapshot),
    timing: { totalMs: 0, mlflowMs: 0, requests: 0 },
  };
  const models: Record<string, RecordEntry | null> = { ...record?.models, ...plan.record };

  if (!record) {
    // The first import: every model in one commit, re-planned on the head the commit is made on.
    let applied: ModelStep[] = [];
    opts.progress?.('writing', 0, 1);
    const w = await registry.applyPlanned((state) => {
      // Planned again only if the head moved since (a commit slipped in).
      const p = state === planned ? plan : planImport(snapshot, state, undefined, planOpts);
      applied = p.steps;
      Object.assign(models, p.record);
      return p.steps.length ? stepsChange(p.steps, client.server) : null;
    });
    for (const s of applied) Object.assign(models, s.record);
    if (w.commit) result.commits.push({ commit: w.commit, subject: firstLine(w.message) });
  } else {
    let done = 0;
    for (const step of plan.steps) {
      opts.progress?.('writing', done++, plan.steps.length);
      const key = { name: step.name, ...(step.from ? { from: step.from } : {}) };
      let decision: Decision | undefined;
      try {
        const w = await registry.applyPlanned((state) => {
          decision = planModel(key, snapshot, state, record, planOpts);
          return decision.kind === 'step' ? stepChange(decision.step, client.server) : null;
        }, authorFor(step));
        if (decision?.kind === 'step') Object.assign(models, decision.step.record);
        if (decision?.kind === 'conflict') result.conflicts.push(decision.conflict);
        if (w.commit) result.commits.push({ commit: w.commit, subject: firstLine(w.message) });
      } catch (e) {
        // A registry check refused this model's commit (a policy, say): nothing was written for it; go on.
        if (!isRegistryError(e) || (e.code !== 'PERMISSION_DENIED' && e.code !== 'INVALID_PARAMETER_VALUE')) throw e;
        result.refused.push({ name: step.name, code: e.code, message: e.message });
      }
    }
  }

  const head = await registry.head();
  const next: ImportRecord = {
    server: client.server,
    branch: registry.branch,
    commit: head,
    time: opts.clock ? opts.clock() : Date.now(),
    models: Object.fromEntries(Object.entries(models).filter((e): e is [string, RecordEntry] => e[1] !== null)),
  };
  await writeRecord(file, next);
  result.timing = {
    totalMs: performance.now() - started,
    mlflowMs: client.stats.waitMs,
    requests: client.stats.requests,
  };
  return result;
}

function unchanged(client: MlflowHttpClient, snapshot: MlflowSnapshot, started: number): ImportResult {
  return {
    server: client.server,
    first: false,
    commits: [],
    conflicts: [],
    kept: [],
    invalid: [],
    refused: [],
    notes: [],
    mlflow: snapshotCounts(snapshot),
    timing: { totalMs: performance.now() - started, mlflowMs: client.stats.waitMs, requests: client.stats.requests },
  };
}

/** Deletions are confirmed one by one with the server before they are planned for real. */
async function confirmDeletions(
  client: MlflowHttpClient,
  snapshot: MlflowSnapshot,
  steps: ModelStep[],
): Promise<boolean> {
  const models: string[] = [];
  const versions: Array<{ name: string; version: number }> = [];
  for (const s of steps) {
    if (!s.current) continue;
    if (!s.target) {
      if (!s.from) models.push(s.current.file.name);
      continue;
    }
    for (const n of s.current.versions.keys())
      if (!s.target.versions.has(n)) versions.push({ name: s.name, version: n });
  }
  if (!models.length && !versions.length) return false;
  const before = snapshotCounts(snapshot);
  await confirmAbsent(client, snapshot, models, versions);
  const after = snapshotCounts(snapshot);
  return before.models !== after.models || before.versions !== after.versions;
}

function authorFor(step: ModelStep | undefined): { author?: Author } {
  const user = step?.users.length === 1 ? step.users[0]! : undefined;
  if (!user) return {};
  // MLflow records a user id, not an address: the email is left empty unless the id is one.
  return { author: { name: user, email: user.includes('@') ? user : '' } };
}

function firstLine(s: string | null): string {
  return (s ?? '').split('\n')[0]!;
}

function invalidError(server: string, invalid: InvalidModel[]): RegistryError {
  const shown = invalid
    .slice(0, 5)
    .map((m) => `${JSON.stringify(m.name)} (${m.problems.slice(0, 2).join('; ')})`)
    .join(', ');
  const more = invalid.length > 5 ? ` and ${invalid.length - 5} more` : '';
  return RegistryError.invalid(
    `${server} has ${invalid.length} model${invalid.length === 1 ? '' : 's'} mreg cannot store: ${shown}${more}. Nothing was imported; rerun with --skip-invalid to import the others.`,
    { invalid },
  );
}
