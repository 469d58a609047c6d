// The read side of the Registry: the commit reads see (the branch head, a pinned `at`, or the working tree), a
// model or version read alone, the whole state (reloaded incrementally), search, models:/ URIs, `at` and history.
// Registry (registry.ts) extends it with the writes; it is not exported from the package on its own.
import { RegistryError } from '../errors.js';
import { parseAt, type AtInput } from '../domain/at.js';
import { assertValidName } from '../domain/names.js';
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
import { STAGES } from '../domain/stages.js';
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
import type { GitWriter } from '../store/git/writer.js';
import type { HistoryEntry } from '../store/history.js';
import { loadCommit, loadWorkTree, type Loaded } from '../store/load.js';
import { reloadCommit } from '../store/load-patch.js';
import { resolveAt } from '../store/resolve-at.js';
import { commitReader, loadModel, workTreeReader, type Need, type Reader } from './reader.js';
import { commitSummary, historyOf } from './history.js';
import type { CommitSummary, HistoryQuery, Lineage, RegistryOptions, ResolvedUri, SearchOptions } from './types.js';

/** How returned model versions are shaped: MLflow's fields, plus the lineage keys when opened with `lineage`. */
export type Shape = { lineage: boolean };

/** The Registry's reads; the methods mirror MlflowClient's and return MLflow's JSON shapes. */
export abstract class RegistryReads {
  protected loaded: Loaded | undefined;

  protected constructor(
    protected readonly repo: GitWriter,
    readonly branch: string,
    protected readonly opts: RegistryOptions,
  ) {}

  /** How returned model versions are shaped (see Shape). */
  protected get shape(): Shape {
    return { lineage: this.opts.lineage === true };
  }

  protected get workTreeMode(): boolean {
    return this.opts.commit === false;
  }

  // ---------------------------------------------------------------- reading

  private pinned: string | undefined;

  /** The commit reads see: the branch head (null before the first commit), or the one the `at` option names. */
  async head(): Promise<string | null> {
    if (this.opts.at === undefined) return this.repo.resolveBranch(this.branch);
    return (this.pinned ??= await this.commitAt(this.opts.at));
  }

  protected async reader(commitOverride?: string | null): Promise<Reader> {
    if (this.workTreeMode && commitOverride === undefined) return workTreeReader(this.repo);
    return commitReader(this.repo, commitOverride === undefined ? await this.head() : commitOverride);
  }

  /** The repository's git directory (where mreg keeps its own files: locks, an importer's record). */
  get gitDir(): string {
    return this.repo.gitdir;
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

  /** @throws RESOURCE_DOES_NOT_EXIST */
  async getRegisteredModel(name: string): Promise<MlflowRegisteredModel> {
    return toMlflowRegisteredModel(await this.requireModel(name, 'all'), this.shape);
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

/** The library's search options as the domain's query (`filterString` is MlflowClient's name, `filter` REST's). */
function searchQuery(opts: SearchOptions): SearchQuery {
  const orderBy = opts.orderBy === undefined || opts.orderBy === null ? undefined : [opts.orderBy].flat();
  return { filter: opts.filterString ?? opts.filter, maxResults: opts.maxResults, orderBy, pageToken: opts.pageToken };
}
