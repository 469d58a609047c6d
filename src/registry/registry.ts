// The Registry: MlflowClient's registry methods over a git repository, returning MLflow's JSON shapes. Reads
// load only what they need (or the whole state, reloaded incrementally) and live in registry-reads.ts, which this
// class extends; writes go through write.ts; the registry's history, `mreg validate` and `mreg diff` live beside
// it (history.ts, validate.ts, diff.ts).
import { RegistryError } from '../errors.js';
import { assertValidName } from '../domain/names.js';
import {
  createRegisteredModel,
  deleteRegisteredModel,
  deleteRegisteredModelAlias,
  deleteRegisteredModelTag,
  renameRegisteredModel,
  setRegisteredModelAlias,
  setRegisteredModelTag,
  updateRegisteredModel,
} from '../domain/ops/models.js';
import {
  createModelVersion,
  deleteModelVersion,
  deleteModelVersionTag,
  setModelVersionTag,
  transitionModelVersionStage,
  registerModelVersion,
  updateModelVersion,
  type CreateVersionInput,
} from '../domain/ops/versions.js';
import { registerModelVersionWith } from '../domain/ops/register.js';
import type { Change } from '../domain/ops/change.js';
import { modelNotFound, versionNotFound } from '../domain/queries.js';
import { parseVersion } from '../domain/rules.js';
import { canonicalStage } from '../domain/stages.js';
import type { ModelEntry } from '../domain/state.js';
import { toMlflowModelVersion, toMlflowRegisteredModel } from '../mlflow/convert.js';
import type { MlflowModelVersion, MlflowRegisteredModel } from '../mlflow/types.js';
import { GitWriter } from '../store/git/writer.js';
import { findAuthor, type Author } from './config.js';
import { commitReader, readRegistryFile, workTreeReader } from './reader.js';
import type { Shape } from './registry-reads.js';
import { RegistryWrites } from './registry-writes.js';
import type { RegistryOptions } from './types.js';
import type { Writer } from './write.js';

export type { WriteInfo } from './write.js';
export type { CommitRef, HistoryEntry } from '../store/history.js';
export type { CommitSummary, HistoryQuery, Lineage, RegistryOptions, ResolvedUri, SearchOptions } from './types.js';

/** Opens or creates registries; the methods mirror MlflowClient's registry API and return MLflow's JSON shapes. */
export class Registry extends RegistryWrites {
  private constructor(
    repo: GitWriter,
    branch: string,
    author: Author | undefined,
    opts: RegistryOptions,
    shared?: { writer: Writer; as: Author },
  ) {
    super(repo, branch, author, opts, shared);
  }

  /**
   * The same registry, writing as `author` (each commit's author and each new version's user_id; the registry's
   * own author stays the committer). Cheap: the writer, its queue and its kept state are shared — what the
   * gateway makes for each authenticated request.
   */
  actingAs(author: Author): Registry {
    return new Registry(this.repo, this.branch, author, this.opts, { writer: this.writer, as: author });
  }

  static async open(dir: string, opts: RegistryOptions = {}): Promise<Registry> {
    // From a sub-folder of the work tree (models/fraud), the repository is found as git finds it.
    const repo = await GitWriter.open(dir, { discover: true });
    const branch = opts.branch ?? (await repo.currentBranch()) ?? 'main';
    if (opts.commit === false && repo.bare)
      throw new RegistryError('INVALID_STATE', `${dir} is a bare repository: --no-commit needs a working tree.`);
    // A registry in an older format is refused by every command but `mreg migrate` (registry/migrate.ts).
    await readRegistryFile(
      opts.commit === false ? workTreeReader(repo) : commitReader(repo, await repo.resolveBranch(branch)),
    );
    // Reads need no author; a write without one is refused when it is made, as git refuses a commit.
    const author = await findAuthor(repo.gitdir, opts.author);
    return new Registry(repo, branch, author, opts);
  }

  // ---------------------------------------------------------------- registered models

  /**
   * Creates a registered model.
   * @throws RESOURCE_ALREADY_EXISTS, INVALID_PARAMETER_VALUE
   * @example await registry.createRegisteredModel('fraud', { tags: { team: 'risk' }, description: 'Card fraud' })
   */
  async createRegisteredModel(
    name: string,
    opts: { tags?: unknown; description?: string | null } = {},
  ): Promise<MlflowRegisteredModel> {
    assertValidName(name);
    return this.write(
      [name],
      'model',
      (ctx, [existing]) =>
        createRegisteredModel(ctx, existing, { name, tags: opts.tags, description: opts.description ?? null }),
      (c) => toMlflowRegisteredModel(c!.after.get(name)!, this.shape),
    );
  }

  /** Sets (or with '' / null clears) the description. */
  async updateRegisteredModel(
    name: string,
    opts: { description?: string | null } | string | null = {},
  ): Promise<MlflowRegisteredModel> {
    assertValidName(name);
    const description = typeof opts === 'string' || opts === null ? opts : opts.description;
    return this.write(
      [name],
      'all',
      (ctx, [e]) => updateRegisteredModel(ctx, must(e, name), description),
      (c) => toMlflowRegisteredModel(c!.after.get(name)!, this.shape),
    );
  }

  /** @throws RESOURCE_DOES_NOT_EXIST, RESOURCE_ALREADY_EXISTS */
  async renameRegisteredModel(name: string, newName: string): Promise<MlflowRegisteredModel> {
    assertValidName(name);
    assertValidName(newName, 'new_name');
    return this.write(
      [name, newName],
      'all',
      (ctx, [e, target]) => renameRegisteredModel(ctx, must(e, name), target, newName),
      (c) => toMlflowRegisteredModel(c!.after.get(newName)!, this.shape),
    );
  }

  /** Deletes the model and all its versions. @throws RESOURCE_DOES_NOT_EXIST */
  async deleteRegisteredModel(name: string): Promise<void> {
    assertValidName(name);
    await this.write(
      [name],
      // Every version: a protected policy judges the stages the deletion removes.
      'all',
      (ctx, [e]) => deleteRegisteredModel(ctx, must(e, name)),
      () => undefined,
    );
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    assertValidName(name);
    await this.write(
      [name],
      'model',
      (ctx, [e]) => setRegisteredModelTag(ctx, must(e, name), key, value),
      () => undefined,
    );
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    assertValidName(name);
    await this.write(
      [name],
      'model',
      (ctx, [e]) => deleteRegisteredModelTag(ctx, must(e, name), key),
      () => undefined,
    );
  }

  /** Points an alias at a version (moving it if set). @throws INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST */
  async setRegisteredModelAlias(name: string, alias: string, version: string | number): Promise<void> {
    assertValidName(name);
    const n = parseVersion(version);
    await this.write(
      [name],
      [n],
      (ctx, [e]) => setRegisteredModelAlias(ctx, must(e, name), alias, n),
      () => undefined,
    );
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    assertValidName(name);
    await this.write(
      [name],
      'model',
      (ctx, [e]) => deleteRegisteredModelAlias(ctx, must(e, name), alias),
      () => undefined,
    );
  }

  // ---------------------------------------------------------------- model versions

  /**
   * Registers a new version of an existing model. @throws RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE
   * @example await registry.createModelVersion('fraud', 's3://models/fraud/7', { runId: 'abc123' })
   */
  async createModelVersion(
    name: string,
    source: string,
    opts: Omit<CreateVersionInput, 'source'> = {},
  ): Promise<MlflowModelVersion> {
    assertValidName(name);
    return this.write(
      [name],
      'model',
      (ctx, [e]) => createModelVersion(ctx, must(e, name), { ...opts, source }),
      (c) => versionAfter(c!, name, undefined, this.shape),
    );
  }

  /**
   * Registers a version, creating the model first when it does not exist — both in one commit
   * (what `mlflow.register_model` does in two calls). `stage` (with `archiveExistingVersions`) and `aliases`
   * are set on the new version in the same commit, checked by the same policies.
   * @throws INVALID_PARAMETER_VALUE (bad source, tags, stage or alias: nothing is written), a policy's code
   * @example await registry.registerModelVersion('fraud', 's3://models/fraud/8', { stage: 'Staging', aliases: ['challenger'] })
   */
  async registerModelVersion(
    name: string,
    source: string,
    opts: Omit<CreateVersionInput, 'source'> & {
      modelDescription?: string | null;
      modelTags?: unknown;
      stage?: string;
      archiveExistingVersions?: boolean;
      aliases?: readonly string[];
    } = {},
  ): Promise<MlflowModelVersion> {
    assertValidName(name);
    const model = { name, tags: opts.modelTags, description: opts.modelDescription ?? null };
    const message = `${name}: created; v1 registered`;
    const extras = { stage: opts.stage, archiveExisting: opts.archiveExistingVersions, aliases: opts.aliases };
    return this.write(
      [name],
      // A stage needs every version: archiving and the stage policies read them.
      opts.stage !== undefined ? 'all' : 'model',
      (ctx, [e]) => registerModelVersionWith(ctx, e, model, { ...opts, source }, message, extras),
      (c) => versionAfter(c!, name, Math.max(...c!.after.get(name)!.versions.keys()), this.shape),
    );
  }

  async updateModelVersion(
    name: string,
    version: string | number,
    opts: { description?: string | null } | string | null = {},
  ): Promise<MlflowModelVersion> {
    const n = parseVersion(version);
    assertValidName(name);
    const description = typeof opts === 'string' || opts === null ? opts : opts.description;
    return this.write(
      [name],
      [n],
      (ctx, [e]) => updateModelVersion(ctx, mustVersion(e, name, n), n, description),
      (c) => versionAfter(c!, name, n, this.shape),
    );
  }

  /**
   * Moves a version to a stage; `archiveExistingVersions` archives the others in that stage in the same commit.
   * @example await registry.transitionModelVersionStage('fraud', 7, 'production', { archiveExistingVersions: true })
   */
  async transitionModelVersionStage(
    name: string,
    version: string | number,
    stage: string,
    opts: { archiveExistingVersions?: boolean } = {},
  ): Promise<MlflowModelVersion> {
    const n = parseVersion(version);
    assertValidName(name);
    canonicalStage(stage);
    return this.write(
      [name],
      'all',
      (ctx, [e]) =>
        transitionModelVersionStage(ctx, mustVersion(e, name, n), n, stage, opts.archiveExistingVersions === true),
      (c) => versionAfter(c!, name, n, this.shape),
    );
  }

  async deleteModelVersion(name: string, version: string | number): Promise<void> {
    const n = parseVersion(version);
    assertValidName(name);
    await this.write(
      [name],
      [n],
      (ctx, [e]) => deleteModelVersion(ctx, mustVersion(e, name, n), n),
      () => undefined,
    );
  }

  async setModelVersionTag(name: string, version: string | number, key: string, value: string): Promise<void> {
    const n = parseVersion(version);
    assertValidName(name);
    await this.write(
      [name],
      [n],
      (ctx, [e]) => setModelVersionTag(ctx, mustVersion(e, name, n), n, key, value),
      () => undefined,
    );
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string): Promise<void> {
    const n = parseVersion(version);
    assertValidName(name);
    await this.write(
      [name],
      [n],
      (ctx, [e]) => deleteModelVersionTag(ctx, mustVersion(e, name, n), n, key),
      () => undefined,
    );
  }

  /**
   * Copies a version (named by a models:/ URI) to another model, creating that model if needed — one commit.
   * The copy's source is `models:/<src>/<v>`; its download URI is the original's.
   */
  async copyModelVersion(srcModelUri: string, dstName: string): Promise<MlflowModelVersion> {
    assertValidName(dstName);
    const src = await this.resolve(srcModelUri);
    const srcVersion = await this.getModelVersion(src.name, src.version);
    const input: CreateVersionInput = {
      source: `models:/${src.name}/${src.version}`,
      storageLocation: src.artifact_uri,
      runId: srcVersion.run_id || null,
      runLink: srcVersion.run_link || null,
      description: srcVersion.description || null,
      tags: srcVersion.tags ?? [],
    };
    const message = `${dstName}: created; v1 copied from ${src.name} v${src.version}`;
    return this.write(
      [dstName],
      'model',
      (ctx, [e]) => registerModelVersion(ctx, e, { name: dstName }, input, message),
      (c) => versionAfter(c!, dstName, undefined, this.shape),
    );
  }
}

// ---------------------------------------------------------------- helpers

function must(e: ModelEntry | undefined, name: string): ModelEntry {
  if (!e) throw modelNotFound(name);
  return e;
}

function mustVersion(e: ModelEntry | undefined, name: string, n: number): ModelEntry {
  if (!e) throw versionNotFound(name, n);
  return e;
}

/** A version as a change leaves it (default: the model's newest), in MLflow's shape. */
function versionAfter(change: Change, name: string, n: number | undefined, shape: Shape): MlflowModelVersion {
  const after = change.after.get(name)!;
  return toMlflowModelVersion(after, after.versions.get(n ?? after.latestVersion)!, shape);
}
