// The Registry: MlflowClient's registry methods over a git repository, returning MLflow's JSON shapes. Reads
// load only what they need (or the whole state, reloaded incrementally); writes go through write.ts; the
// registry's history, `mreg validate` and `mreg diff` live beside it (history.ts, validate.ts, diff.ts).
import { RegistryError, formatProblem } from '../errors.js';
import { parseAt, type AtInput } from '../domain/at.js';
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
import type { Change, OpContext } from '../domain/ops/change.js';
import {
  downloadUri,
  getLatestVersions,
  lineageOf,
  modelNotFound,
  modelVersionByAlias,
  requireVersion,
  resolveModelUri,
  versionNotFound,
} from '../domain/queries.js';
import { parseVersion } from '../domain/rules.js';
import { compileModelSearch, compileVersionSearch, type SearchQuery } from '../domain/search.js';
import { STAGES, canonicalStage } from '../domain/stages.js';
import type { ModelEntry, RegistryState, VersionFile } from '../domain/state.js';
import { parseModelUri } from '../domain/uri.js';
import {
  toMlflowModelVersion,
  toMlflowRegisteredModel,
  toMlflowSearchModelsResponse,
  toMlflowSearchVersionsResponse,
} from '../mlflow/convert.js';
import type {
  MlflowModelVersion,
  MlflowRegisteredModel,
  MlflowSearchModelsResponse,
  MlflowSearchVersionsResponse,
} from '../mlflow/types.js';
import { GitWriter } from '../store/git/writer.js';
import type { HistoryEntry } from '../store/history.js';
import { loadCommit, loadWorkTree, reloadCommit, type Loaded } from '../store/load.js';
import { resolveAt } from '../store/resolve-at.js';
import { findAuthor, type Author } from './config.js';
import { commitReader, loadModel, readRegistryFile, workTreeReader, type Need, type Reader } from './reader.js';
import { commitSummary, historyOf } from './history.js';
import type { CommitSummary, HistoryQuery, Lineage, RegistryOptions, ResolvedUri, SearchOptions } from './types.js';
import { Writer, type Plan, type RunOptions, type WriteInfo } from './write.js';

export type { WriteInfo } from './write.js';
export type { CommitRef, HistoryEntry } from '../store/history.js';
export type { CommitSummary, HistoryQuery, Lineage, RegistryOptions, ResolvedUri, SearchOptions } from './types.js';

/** Opens or creates registries; the methods mirror MlflowClient's registry API and return MLflow's JSON shapes. */
export class Registry {
  private loaded: Loaded | undefined;
  private readonly writer: Writer;
  /** This Registry's last write (a Registry made by actingAs shares the writer, not this). */
  private last: WriteInfo = { commit: null, message: null };

  private constructor(
    private readonly repo: GitWriter,
    readonly branch: string,
    author: Author | undefined,
    private readonly opts: RegistryOptions,
    shared?: { writer: Writer; as: Author },
  ) {
    this.writer =
      shared?.writer ??
      new Writer(repo, branch, author, {
        commit: opts.commit !== false,
        remote: opts.push ? (typeof opts.push === 'string' ? opts.push : 'origin') : undefined,
        remoteUrl: opts.pushUrl,
        // Several gateways on one remote race at every push; the loser fetches and re-plans at once.
        maxAttempts: opts.maxAttempts ?? (opts.keep && opts.push ? 40 : 8),
        lockTimeoutMs: opts.lockTimeoutMs,
        policyBranch: opts.policyBranch ?? branch,
        now: () => (opts.clock ? opts.clock() : Date.now()),
        ...(opts.keep ? { keep: opts.keep } : {}),
      });
    this.as = shared?.as;
  }

  /** The author of this Registry's writes when it was made by actingAs. */
  private readonly as: Author | undefined;

  /**
   * The same registry, writing as `author` (each commit's author and each new version's user_id; the registry's
   * own author stays the committer). Cheap: the writer, its queue and its kept state are shared — what the
   * gateway makes for each authenticated request.
   */
  actingAs(author: Author): Registry {
    return new Registry(this.repo, this.branch, author, this.opts, { writer: this.writer, as: author });
  }

  /** The long-lived writer's counters and state (see RegistryOptions.keep). */
  get writes(): Pick<Writer, 'stats' | 'state'> {
    return this.writer;
  }

  /** Finishes the writes already queued, then refuses new ones (a long-lived writer's shutdown). */
  async close(): Promise<void> {
    await this.writer.close();
  }

  /** Every write of this Registry goes through the one write loop, acting as its author when it has one. */
  private write<T>(
    names: string[],
    need: Need,
    plan: Plan,
    result: (change: Change | null, entries: Array<ModelEntry | undefined>) => T,
    how: RunOptions = {},
  ): Promise<T> {
    return this.writer.run(names, need, plan, result, {
      ...(this.as ? { author: this.as, user: this.as.name } : {}),
      ...how,
      report: (info) => (this.last = info),
    });
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

  /** The last write's commit, for callers that want to print or push it. */
  get lastWrite(): WriteInfo {
    return this.last;
  }

  /** How returned model versions are shaped: MLflow's fields, plus the lineage keys when opened with `lineage`. */
  private get shape(): Shape {
    return { lineage: this.opts.lineage === true };
  }

  private get workTreeMode(): boolean {
    return this.opts.commit === false;
  }

  // ---------------------------------------------------------------- reading

  private pinned: string | undefined;

  /** The commit reads see: the branch head (null before the first commit), or the one the `at` option names. */
  async head(): Promise<string | null> {
    if (this.opts.at === undefined) return this.repo.resolveBranch(this.branch);
    return (this.pinned ??= await this.commitAt(this.opts.at));
  }

  private async reader(commitOverride?: string | null): Promise<Reader> {
    if (this.workTreeMode && commitOverride === undefined) return workTreeReader(this.repo);
    return commitReader(this.repo, commitOverride === undefined ? await this.head() : commitOverride);
  }

  /** The repository's git directory (where mreg keeps its own files: locks, an importer's record). */
  get gitDir(): string {
    return this.repo.gitdir;
  }

  /**
   * Runs a caller's planner (an importer's) through the write loop: it sees the whole registry at the branch
   * head — re-read if the write has to be re-planned — and returns one Change, or null when nothing is to be
   * done; the Change is checked (schema, invariants, policies) and committed as one commit like any write.
   * `author` (default: the registry's author, who is always the committer) and `now` are the commit's.
   */
  async applyPlanned(
    plan: (state: RegistryState, ctx: OpContext) => Change | null,
    opts: { author?: Author; now?: number } = {},
  ): Promise<WriteInfo> {
    await this.write(
      [],
      'all',
      (ctx, _entries, state) => plan(state!, ctx),
      () => undefined,
      { ...opts, wholeState: (commit) => this.stateAt(commit) },
    );
    return this.lastWrite;
  }

  private async stateAt(commit: string | null): Promise<RegistryState> {
    if (this.workTreeMode || commit === null) return (this.loaded = await loadWorkTree(this.repo)).state;
    if (!this.loaded || this.loaded.commit === null) this.loaded = await loadCommit(this.repo, commit);
    else if (this.loaded.commit !== commit) this.loaded = await reloadCommit(this.repo, this.loaded, commit);
    // A planner over the whole registry must not mistake a model with a broken file for an absent one.
    if (this.loaded.problems.length)
      throw new RegistryError(
        'INVALID_STATE',
        `The registry has broken files: ${this.loaded.problems.map(formatProblem).join('; ')}`,
      );
    return this.loaded.state;
  }

  /** The whole registry at the branch head (or working tree), loaded once and then reloaded incrementally. */
  async state(): Promise<RegistryState> {
    return (await this.loadAll()).state;
  }

  private async loadAll(): Promise<Loaded> {
    if (this.workTreeMode) return (this.loaded = await loadWorkTree(this.repo));
    const head = await this.head();
    if (!head)
      throw new RegistryError('INVALID_STATE', `Branch '${this.branch}' has no commits: run 'mreg init' first.`);
    if (!this.loaded || this.loaded.commit === null) this.loaded = await loadCommit(this.repo, head);
    else if (this.loaded.commit !== head) this.loaded = await reloadCommit(this.repo, this.loaded, head);
    return this.loaded;
  }

  private async requireModel(name: unknown, need: Need, reader?: Reader): Promise<ModelEntry> {
    assertValidName(name);
    const entry = await loadModel(reader ?? (await this.reader()), name, need);
    if (!entry) throw modelNotFound(name);
    return entry;
  }

  /**
   * Commits files that live beside the registry (a README, CI configuration) as one commit by this registry's
   * author: `path → text`, null deletes. Registry files change only through the operations below.
   * @throws INVALID_PARAMETER_VALUE for a path under models/ or registry.yaml
   */
  async commitFiles(files: Readonly<Record<string, string | null>>, message: string): Promise<WriteInfo> {
    const changes = new Map(
      Object.entries(files).map(([p, text]) => [p, text === null ? null : new TextEncoder().encode(text)] as const),
    );
    await this.writer.commitOtherFiles(changes, message);
    this.last = this.writer.lastWrite;
    return this.lastWrite;
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

  /** @throws RESOURCE_DOES_NOT_EXIST */
  async getRegisteredModel(name: string): Promise<MlflowRegisteredModel> {
    return toMlflowRegisteredModel(await this.requireModel(name, 'all'), this.shape);
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

  /** The version an alias points at; `latest` means the highest live version. @throws INVALID_PARAMETER_VALUE for an unknown alias */
  async getModelVersionByAlias(name: string, alias: string): Promise<MlflowModelVersion> {
    if (alias === undefined || alias === null || alias === '') throw RegistryError.missing('alias');
    assertValidName(name);
    const entry = await loadModel(await this.reader(), name, 'all');
    const v = modelVersionByAlias(entry, name, alias);
    return toMlflowModelVersion(entry!, v, this.shape);
  }

  /** get_latest_versions: the highest version in each (requested) stage. */
  async getLatestVersions(name: string, stages?: string[] | null): Promise<MlflowModelVersion[]> {
    const entry = await this.requireModel(name, 'all');
    return getLatestVersions(entry, stages).map((v) => toMlflowModelVersion(entry, v, this.shape));
  }

  async searchRegisteredModels(opts: SearchOptions = {}): Promise<MlflowSearchModelsResponse> {
    const search = compileModelSearch(searchQuery(opts));
    return toMlflowSearchModelsResponse(search(await this.state()), this.shape);
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

  /** One version's file and its model's, read alone. @throws RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE */
  private async readVersion(name: string, version: string | number): Promise<[ModelEntry, VersionFile]> {
    const n = parseVersion(version);
    assertValidName(name);
    const entry = await loadModel(await this.reader(), name, [n]);
    if (!entry) throw versionNotFound(name, n);
    return [entry, requireVersion(entry, n)];
  }

  /** @throws RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE */
  async getModelVersion(name: string, version: string | number): Promise<MlflowModelVersion> {
    const [entry, v] = await this.readVersion(name, version);
    return toMlflowModelVersion(entry, v, this.shape);
  }

  /** A version's lineage beyond MLflow's fields: digest, code commit, data set, storage location, author. @throws RESOURCE_DOES_NOT_EXIST */
  async getModelVersionLineage(name: string, version: string | number): Promise<Lineage> {
    return lineageOf((await this.readVersion(name, version))[1]);
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

  /** Where to download the version's artifacts from. */
  async getModelVersionDownloadUri(name: string, version: string | number): Promise<string> {
    return downloadUri((await this.readVersion(name, version))[1]);
  }

  /** Always MLflow's four stages. */
  getModelVersionStages(_name?: string, _version?: string | number): string[] {
    return [...STAGES];
  }

  async searchModelVersions(opts: SearchOptions = {}): Promise<MlflowSearchVersionsResponse> {
    const search = compileVersionSearch(searchQuery(opts));
    return toMlflowSearchVersionsResponse(search(await this.state()), this.shape);
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

  // ---------------------------------------------------------------- models:/ URIs

  /**
   * Resolves `models:/name/N`, `models:/name/Stage`, `models:/name/latest` or `models:/name@alias`
   * (with an optional trailing artifact path), now or — with `at` (a commit, ref or time) — as of then.
   */
  async resolve(uri: string, opts: { at?: AtInput } = {}): Promise<ResolvedUri> {
    const u = parseModelUri(uri);
    assertValidName(u.name);
    const commit = opts.at !== undefined ? await this.commitAt(opts.at) : undefined;
    const reader = await this.reader(commit);
    const entry = await loadModel(reader, u.name, 'all');
    return { uri, ...resolveModelUri(entry, u), commit: reader.commit };
  }

  /**
   * The commit `at` names: a revision (a commit id, full or abbreviated, a branch, a tag, `HEAD~N`), or for a
   * time (a Date, epoch ms, an ISO-8601 date or time) the newest commit on the branch's first-parent line
   * made at or before it. domain/at.ts has the rule for ambiguous text; the daemon's `?at=` follows it too.
   * @throws INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST (nothing that early)
   */
  async commitAt(at: AtInput): Promise<string> {
    return resolveAt(this.repo, await this.repo.resolveBranch(this.branch), parseAt(at), { branch: this.branch });
  }

  // ---------------------------------------------------------------- history

  /** A commit (any revision): its id, parents, committer time, author and message. @throws RESOURCE_DOES_NOT_EXIST */
  async getCommit(revision: string): Promise<CommitSummary> {
    return commitSummary(this.repo, revision);
  }

  /**
   * The audit log: every commit of the branch that changed the registry — or one model, followed across
   * renames, or one version of it — told as registry operations, newest first. A change a merge brought in is
   * an entry of the commit that made it, with `via` naming the merge; the merge lists only what it changed
   * itself.
   * @throws INVALID_STATE for a branch without commits, INVALID_PARAMETER_VALUE for a bad version or ref
   */
  history(q: HistoryQuery = {}): AsyncGenerator<HistoryEntry> {
    return historyOf(this.repo, this.branch, q);
  }
}

// ---------------------------------------------------------------- helpers

type Shape = { lineage: boolean };

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

/** The library's search options as the domain's query (`filterString` is MlflowClient's name, `filter` REST's). */
function searchQuery(opts: SearchOptions): SearchQuery {
  const orderBy = opts.orderBy === undefined || opts.orderBy === null ? undefined : [opts.orderBy].flat();
  return { filter: opts.filterString ?? opts.filter, maxResults: opts.maxResults, orderBy, pageToken: opts.pageToken };
}
