// `mreg export`: create the registry's models and versions in an MLflow server, with the same numbers.
// The plan comes from plan-export.ts; this file sends it, checks each number MLflow gives, and reports every
// version MLflow refuses (going on, or stopping with failFast).
import { RegistryError } from '../errors.js';
import { parseModelVersion } from '../mlflow/from-wire.js';
import { Registry } from '../registry/registry.js';
import { mapLimit } from '../util/concurrency.js';
import { isMlflowApiError, MlflowHttpClient, type MlflowConnection } from './mlflow-client.js';
import { planExport, PLACEHOLDER_SOURCE, type ExportAction, type ModelExport } from './plan-export.js';
import { readMlflowRegistry } from './read-mlflow.js';

export interface ExportOptions {
  repo: string;
  connection: MlflowConnection;
  branch?: string | undefined;
  update?: boolean | undefined;
  /** Stop at the first version MLflow refuses instead of reporting it and going on. */
  failFast?: boolean | undefined;
  progress?: ((done: number, total: number) => void) | undefined;
}

interface Refusal {
  name: string;
  version?: number;
  message: string;
}

export interface ExportResult {
  server: string;
  /** Models created, versions created, placeholders used up, and other writes sent. */
  created: { models: number; versions: number; placeholders: number };
  updates: number;
  refused: Refusal[];
  /** Models whose export stopped: MLflow gave a number other than the registry's. */
  stopped: Refusal[];
  differences: string[];
  notes: string[];
  onlyInMlflow: string[];
  requests: number;
}

const CONCURRENCY = 4;

export async function exportRegistry(opts: ExportOptions): Promise<ExportResult> {
  const registry = await Registry.open(opts.repo, opts.branch ? { branch: opts.branch } : {});
  const state = await registry.state();
  const client = new MlflowHttpClient(opts.connection);
  try {
    const snapshot = await readMlflowRegistry(client);
    const plan = planExport(state, snapshot, { update: opts.update });
    const result: ExportResult = {
      server: client.server,
      created: { models: 0, versions: 0, placeholders: 0 },
      updates: 0,
      refused: [],
      stopped: [],
      differences: plan.models.flatMap((m) => m.differences),
      notes: plan.models.flatMap((m) => m.notes),
      onlyInMlflow: plan.onlyInMlflow,
      requests: 0,
    };
    const pending = plan.models.filter((m) => m.actions.length);
    const runner = new Runner(client, result, opts.failFast === true, pending);
    // Copies (`models:/A/3` sources) need their original in MLflow first: a model waits at such a version
    // until a later pass, and a pass that makes no progress runs the rest as they are (MLflow then says why).
    const total = pending.length;
    let done = 0;
    let force = false;
    while (pending.length) {
      const before = runner.progressMark();
      await mapLimit([...pending], CONCURRENCY, async (m) => {
        if (await runner.run(m, force)) {
          pending.splice(pending.indexOf(m), 1);
          opts.progress?.(++done, total);
        }
      });
      force = runner.progressMark() === before;
    }
    result.requests = client.stats.requests;
    return result;
  } finally {
    client.close();
  }
}

class Runner {
  /** Per model: how many of its actions have been sent. */
  private readonly cursor = new Map<string, number>();
  /** Per model being exported: the highest version number MLflow has so far. */
  private readonly reached = new Map<string, number>();
  private steps = 0;

  constructor(
    private readonly client: MlflowHttpClient,
    private readonly result: ExportResult,
    private readonly failFast: boolean,
    exporting: readonly ModelExport[],
  ) {
    for (const m of exporting) this.reached.set(m.name, m.from);
  }

  progressMark(): number {
    return this.steps;
  }

  /** Sends the model's remaining actions; false when it has to wait for another model's version. */
  async run(m: ModelExport, force: boolean): Promise<boolean> {
    let i = this.cursor.get(m.name) ?? 0;
    try {
      for (; i < m.actions.length; i++) {
        const a = m.actions[i]!;
        if (!force && a.kind === 'create-version' && this.mustWait(a)) return false;
        await this.send(m, a);
        this.cursor.set(m.name, i + 1);
        this.steps++;
      }
    } catch (e) {
      if (e instanceof Stop) {
        this.result.stopped.push({ name: m.name, message: e.message });
        return true;
      }
      throw e;
    }
    return true;
  }

  /** A copy of a version this export has yet to create. */
  private mustWait(a: Extract<ExportAction, { kind: 'create-version' }>): boolean {
    const m = /^models:\/([^/@]+)\/(\d+)$/.exec(String(a.body.source));
    if (!m) return false;
    const name = decodeURIComponent(m[1]!);
    const reached = this.reached.get(name);
    return reached !== undefined && reached < Number(m[2]);
  }

  private async send(m: ModelExport, a: ExportAction): Promise<void> {
    const name = m.name;
    const c = this.client;
    switch (a.kind) {
      case 'create-model':
        await c.call('POST', 'registered-models/create', { body: a.body });
        this.result.created.models++;
        return;
      case 'create-version': {
        if ((this.reached.get(name) ?? 0) >= a.version) this.checkNumber(m, a.version, this.reached.get(name)! + 1);
        let got: number;
        try {
          got = await this.createVersion(name, a.body);
        } catch (e) {
          if (!isMlflowApiError(e) || e.status >= 500 || e.status === 404) throw e;
          const refusal = { name, version: a.version, message: e.mlflowMessage || e.message };
          if (this.failFast)
            throw new RegistryError(
              'INVALID_PARAMETER_VALUE',
              `${c.server} refused ${name} v${a.version}: ${refusal.message} (stopped: --fail-fast).`,
            );
          this.result.refused.push(refusal);
          // Use the number up anyway, so the versions after it keep theirs.
          await this.placeholder(m, a.version);
          return;
        }
        if (got !== a.version) {
          // Not left behind under a number the registry gives another version (or none).
          await c.call('DELETE', 'model-versions/delete', { body: { name, version: String(got) } });
        }
        this.checkNumber(m, a.version, got);
        this.result.created.versions++;
        if (a.stage !== 'None') await this.transition(name, a.version, a.stage);
        return;
      }
      case 'placeholder':
        await this.placeholder(m, a.version);
        return;
      case 'transition':
        await this.transition(name, a.version, a.stage);
        break;
      case 'set-alias':
        await c.call('POST', 'registered-models/alias', { body: { name, alias: a.alias, version: String(a.version) } });
        break;
      case 'delete-alias':
        await c.call('DELETE', 'registered-models/alias', { body: { name, alias: a.alias } });
        break;
      case 'update-model':
        await c.call('PATCH', 'registered-models/update', { body: { name, description: a.description } });
        break;
      case 'set-model-tag':
        await c.call('POST', 'registered-models/set-tag', { body: { name, key: a.key, value: a.value } });
        break;
      case 'delete-model-tag':
        await c.call('DELETE', 'registered-models/delete-tag', { body: { name, key: a.key } });
        break;
      case 'update-version':
        await c.call('PATCH', 'model-versions/update', {
          body: { name, version: String(a.version), description: a.description },
        });
        break;
      case 'set-version-tag':
        await c.call('POST', 'model-versions/set-tag', {
          body: { name, version: String(a.version), key: a.key, value: a.value },
        });
        break;
      case 'delete-version-tag':
        await c.call('DELETE', 'model-versions/delete-tag', { body: { name, version: String(a.version), key: a.key } });
        break;
      case 'delete-version':
        await c.call('DELETE', 'model-versions/delete', { body: { name, version: String(a.version) } });
        break;
    }
    this.result.updates++;
  }

  private async createVersion(name: string, body: Record<string, unknown>): Promise<number> {
    const answer = await this.client.call('POST', 'model-versions/create', { body });
    try {
      return Number(
        parseModelVersion((answer as { model_version?: unknown }).model_version, '$.model_version').version,
      );
    } catch (e) {
      throw this.client.malformed('POST model-versions/create', (e as Error).message);
    }
  }

  private async transition(name: string, version: number, stage: string): Promise<void> {
    await this.client.call('POST', 'model-versions/transition-stage', {
      body: { name, version: String(version), stage, archive_existing_versions: false },
    });
  }

  /**
   * A version created and deleted at once: MLflow never gives its number again, as mreg does not. A number
   * MLflow has already used up (an earlier, interrupted export) needs nothing more.
   */
  private async placeholder(m: ModelExport, version: number): Promise<void> {
    if ((this.reached.get(m.name) ?? 0) >= version) return;
    const got = await this.createVersion(m.name, {
      name: m.name,
      source: PLACEHOLDER_SOURCE,
      description: `Placeholder for version ${version}, deleted in the mreg registry this was exported from.`,
    });
    await this.client.call('DELETE', 'model-versions/delete', { body: { name: m.name, version: String(got) } });
    if (got < version) this.checkNumber(m, version, got);
    this.reached.set(m.name, got);
    this.result.created.placeholders++;
  }

  private checkNumber(m: ModelExport, want: number, got: number): void {
    if (got === want) {
      this.reached.set(m.name, want);
      return;
    }
    throw new Stop(
      `${this.client.server} numbers this version of ${m.name} ${got}, where the registry has v${want} (MLflow gives 1 + the highest number it ever gave, deleted versions included); ${m.name} is exported up to v${want - 1} only`,
    );
  }
}

/** The rest of one model cannot be exported with equal numbers. */
class Stop extends Error {}
