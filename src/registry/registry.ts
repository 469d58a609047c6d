// The Registry: MlflowClient's registry methods over a git repository. Each write reads the branch head,
// plans a Change with a pure planner, checks it (schema, invariants, policies), and commits it as one commit.
import { RegistryError, formatProblem, isRegistryError, type Problem } from '../errors.js';
import {
  compileModelFilter,
  compileModelOrder,
  compileVersionFilter,
  compileVersionOrder,
  paginate,
  parseMaxResults,
} from '../domain/filter/index.js';
import { checkModel } from '../domain/invariants.js';
import { MODELS_DIR, REGISTRY_FILE } from '../domain/layout.js';
import { assertValidName, encodeName } from '../domain/names.js';
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
  updateModelVersion,
  type CreateVersionInput,
} from '../domain/ops/versions.js';
import type { Change, OpContext } from '../domain/ops/change.js';
import { pairRenames } from '../domain/diff.js';
import { checkPolicies } from '../domain/policies.js';
import {
  downloadUri,
  getLatestVersions,
  modelNotFound,
  requireVersion,
  resolveModelUri,
  versionByAlias,
  versionNotFound,
  type UriResolution,
} from '../domain/queries.js';
import { parseVersion } from '../domain/rules.js';
import { STAGES, canonicalStage } from '../domain/stages.js';
import {
  EMPTY_REGISTRY,
  type ModelEntry,
  type RegistryFile,
  type RegistryState,
  type VersionFile,
} from '../domain/state.js';
import { toMs } from '../domain/time.js';
import { parseModelUri } from '../domain/uri.js';
import { toMlflowModelVersion, toMlflowRegisteredModel } from '../mlflow/convert.js';
import type {
  MlflowModelVersion,
  MlflowRegisteredModel,
  MlflowSearchModelsResponse,
  MlflowSearchVersionsResponse,
} from '../mlflow/types.js';
import { GitRepo, type ChangeSet, type Signature } from '../store/git.js';
import { loadCommit, loadModelDir, loadWorkTree, reloadCommit, type Loaded } from '../store/load.js';
import { parseDocumentText, stringifyDocument } from '../store/yaml.js';
import { resolveAuthor, type Author } from './config.js';
import type { WriteSession } from './session.js';

export interface RegistryOptions {
  /** Commit author; default MREG_AUTHOR_NAME/EMAIL, then git config. */
  author?: Partial<Author>;
  /** Branch to read and write; default the checked-out branch, else `main`. */
  branch?: string;
  /** false: writes edit the working tree only (`--no-commit`), and reads see the working tree. */
  commit?: boolean;
  /** Push every write to this remote (true = `origin`), re-applying it on the new head when another writer got there first. */
  push?: boolean | string;
  /** Milliseconds since the epoch; injected for deterministic tests. */
  clock?: () => number;
  /** How many times a write is re-planned after losing a race (ref moved, push rejected). */
  maxAttempts?: number;
  lockTimeoutMs?: number;
  /** The branch that `protected` policies judge a write by; default the branch written to. */
  policyBranch?: string;
  /**
   * Route writes through a long-lived write session (what `mreg gateway` runs): it plans on the state it keeps in
   * memory and chains several writers' commits under one ref update. The planners, checks, policies and commit
   * messages are this class's, as for any write. Made by Registry.withSession.
   */
  session?: WriteSession;
}

export interface SearchOptions {
  filterString?: string | null;
  /** Alias of filterString, as REST calls it. */
  filter?: string | null;
  maxResults?: number | string | null;
  orderBy?: string[] | string | null;
  pageToken?: string | null;
}

export interface ResolvedUri extends UriResolution {
  uri: string;
  /** The commit the answer was read from. */
  commit: string | null;
}

/** What a write did: the commit it made (null for a no-op or --no-commit). */
export interface WriteInfo {
  commit: string | null;
  message: string | null;
}

type Need = 'model' | 'all' | number[];

interface Reader {
  commit: string | null;
  read(path: string): Promise<Uint8Array | null>;
  list(dir: string): Promise<string[] | null>;
}

/** Opens or creates registries; the methods mirror MlflowClient's registry API and return MLflow's JSON shapes. */
export class Registry {
  /** The last write's commit, for callers that want to print or push it. */
  lastWrite: WriteInfo = { commit: null, message: null };
  private loaded: Loaded | undefined;

  private constructor(
    readonly repo: GitRepo,
    readonly branch: string,
    private readonly author: Author,
    private readonly opts: RegistryOptions,
  ) {}

  static async open(dir: string, opts: RegistryOptions = {}): Promise<Registry> {
    const repo = await GitRepo.open(dir);
    const branch = opts.branch ?? (await repo.currentBranch()) ?? 'main';
    if (opts.commit === false && repo.bare)
      throw new RegistryError('INVALID_STATE', `${dir} is a bare repository: --no-commit needs a working tree.`);
    const author = await resolveAuthor(repo.gitdir, opts.author);
    return new Registry(repo, branch, author, opts);
  }

  /**
   * A Registry whose writes go through `session` (see RegistryOptions.session), each committed with `author` as its
   * author. Cheap: make one per caller, or per request.
   */
  static withSession(session: WriteSession, author: Author): Registry {
    return new Registry(session.repo, session.branch, author, { branch: session.branch, session });
  }

  private now(): number {
    return this.opts.clock ? this.opts.clock() : Date.now();
  }

  private get workTreeMode(): boolean {
    return this.opts.commit === false;
  }

  // ---------------------------------------------------------------- reading

  private async reader(commitOverride?: string | null): Promise<Reader> {
    if (this.workTreeMode && commitOverride === undefined) {
      return {
        commit: null,
        read: (p) => this.repo.readWorkTreeFile(p),
        list: async (d) => {
          const files = await this.repo.listWorkTreeFiles(d);
          const names = files.map((f) => f.slice(d.length + 1)).filter((f) => f && !f.includes('/'));
          return names.length ? names : null;
        },
      };
    }
    const commit = commitOverride === undefined ? await this.repo.resolveBranch(this.branch) : commitOverride;
    return {
      commit,
      read: (p) => (commit ? this.repo.readFileAt(commit, p) : Promise.resolve(null)),
      list: async (d) => (commit ? ((await this.repo.readTreeAt(commit, d))?.map((e) => e.path) ?? null) : null),
    };
  }

  private async loadModel(reader: Reader, name: string, need: Need): Promise<ModelEntry | undefined> {
    const dir = encodeName(name);
    const r = await loadModelDir(reader, dir, { versions: need === 'all' });
    if (r.problems.length) throw brokenFile(r.problems);
    if (!r.entry || r.entry.file.name !== name) return undefined;
    if (Array.isArray(need)) {
      const versions = new Map<number, VersionFile>();
      for (const n of need) {
        const path = `${MODELS_DIR}/${dir}/versions/${n}.yaml`;
        const bytes = await reader.read(path);
        if (!bytes) continue;
        const v = parseDocumentText<VersionFile>('model-version', path, bytes);
        if (!v.ok) throw brokenFile(v.problems);
        versions.set(n, v.doc);
      }
      return { ...r.entry, versions };
    }
    return r.entry;
  }

  private async readRegistryFile(reader: Reader): Promise<RegistryFile> {
    const bytes = await reader.read(REGISTRY_FILE);
    if (!bytes) return EMPTY_REGISTRY;
    const r = parseDocumentText<RegistryFile>('registry', REGISTRY_FILE, bytes);
    if (!r.ok) throw brokenFile(r.problems);
    return r.doc;
  }

  /** The whole registry at the branch head (or working tree), loaded once and then reloaded incrementally. */
  async state(): Promise<RegistryState> {
    return (await this.loadAll()).state;
  }

  private async loadAll(): Promise<Loaded> {
    if (this.workTreeMode) return (this.loaded = await loadWorkTree(this.repo));
    const head = await this.repo.resolveBranch(this.branch);
    if (!head)
      throw new RegistryError('INVALID_STATE', `Branch '${this.branch}' has no commits: run 'mreg init' first.`);
    if (!this.loaded || this.loaded.commit === null) this.loaded = await loadCommit(this.repo, head);
    else if (this.loaded.commit !== head) this.loaded = await reloadCommit(this.repo, this.loaded, head);
    return this.loaded;
  }

  private async requireModel(name: unknown, need: Need, reader?: Reader): Promise<ModelEntry> {
    assertValidName(name);
    const entry = await this.loadModel(reader ?? (await this.reader()), name, need);
    if (!entry) throw modelNotFound(name);
    return entry;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Runs one write: under the repository's write lock, read the head, plan, check, commit. A lost race
   * (ref moved under us, push rejected) re-plans on the new head, a bounded number of times.
   */
  private async write<T>(
    names: string[],
    need: Need,
    plan: (ctx: OpContext, entries: Array<ModelEntry | undefined>) => Change | null,
    result: (change: Change | null, entries: Array<ModelEntry | undefined>) => T,
  ): Promise<T> {
    if (this.opts.session) {
      const out = await this.opts.session.run({
        names,
        plan,
        check: (registry, change) => this.checked(registry, change, need === 'all'),
        result,
        author: this.author,
      });
      this.lastWrite = { commit: out.commit, message: out.message };
      return out.value;
    }
    const attempts = this.opts.maxAttempts ?? 8;
    return this.repo.withWriteLock(
      async () => {
        let lastError: unknown;
        for (let attempt = 1; attempt <= attempts; attempt++) {
          if (this.opts.push) await this.syncWithRemote();
          const reader = await this.reader();
          if (!this.workTreeMode && !reader.commit) {
            throw new RegistryError('INVALID_STATE', `Branch '${this.branch}' has no commits: run 'mreg init' first.`);
          }
          const entries = await Promise.all(names.map((n) => this.loadModel(reader, n, need)));
          const ctx: OpContext = { now: this.now(), user: this.author.name };
          const change = plan(ctx, entries);
          if (!change) {
            this.lastWrite = { commit: null, message: null };
            return result(null, entries);
          }
          const files = await this.check(reader, change, need === 'all');
          if (this.workTreeMode) {
            await this.repo.writeWorkTree(files);
            this.lastWrite = { commit: null, message: change.message };
            return result(change, entries);
          }
          try {
            const oid = await this.repo.commit({
              branch: this.branch,
              parent: reader.commit,
              changes: files,
              message: change.message + '\n',
              author: this.signature(ctx.now),
            });
            if (this.opts.push && !(await this.pushOrRewind(reader.commit!, oid))) {
              lastError = new RegistryError(
                'RESOURCE_CONFLICT',
                `Push to ${this.remoteName} was rejected ${attempt} times: another writer keeps winning.`,
              );
              continue;
            }
            this.lastWrite = { commit: oid, message: change.message };
            return result(change, entries);
          } catch (e) {
            if (
              isRegistryError(e) &&
              e.code === 'RESOURCE_CONFLICT' &&
              ('actual' in e.details || 'lockPath' in e.details)
            ) {
              // A native git commit slipped in between our read and our ref update, or git held the ref lock.
              lastError = e;
              await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
              continue;
            }
            throw e;
          }
        }
        throw lastError ?? new RegistryError('RESOURCE_CONFLICT', 'The write lost every race for the branch head.');
      },
      this.opts.lockTimeoutMs !== undefined ? { timeoutMs: this.opts.lockTimeoutMs } : {},
    );
  }

  private signature(ms: number): Signature {
    return { name: this.author.name, email: this.author.email, timestamp: Math.floor(ms / 1000), timezoneOffset: 0 };
  }

  /** Schema of every written document, invariants of every fully loaded model, and registry policies; the files to commit. */
  private async check(reader: Reader, change: Change, complete: boolean): Promise<ChangeSet> {
    return this.checked(await this.readRegistryFile(reader), change, complete);
  }

  private checked(registry: RegistryFile, change: Change, complete: boolean): ChangeSet {
    const problems: Problem[] = [];
    const texts = new Map<string, string>();
    for (const [path, d] of change.writes) {
      const text = stringifyDocument(d.kind === 'model' ? 'model' : 'model-version', d.doc);
      texts.set(path, text);
      const r = parseDocumentText(d.kind === 'model' ? 'model' : 'model-version', path, text);
      if (!r.ok) problems.push(...r.problems);
    }
    if (problems.length) throw rejected(problems);
    if (complete) {
      for (const after of change.after.values()) if (after) problems.push(...checkModel(after));
    }
    if (registry.policies) {
      // A rename is a deleted and a created model: judge it as one model moving, not as every version
      // entering its stage from None (and the old name's protected stages being deleted).
      const deleted = [...change.before].filter(([n]) => !change.after.get(n)).map(([, e]) => e);
      const created = [...change.after.entries()].flatMap(([n, e]) => (e && !change.before.has(n) ? [e] : []));
      const renames = pairRenames(deleted, created);
      const renamedFrom = new Map(renames.map(([d, c]) => [c.file.name, d]));
      const renamedAway = new Set(renames.map(([d]) => d.file.name));
      const names = new Set([...change.before.keys(), ...change.after.keys()]);
      for (const name of names) {
        if (renamedAway.has(name)) continue;
        const before = change.before.get(name) ?? renamedFrom.get(name);
        problems.push(
          ...checkPolicies(registry, before, change.after.get(name) ?? undefined, {
            branch: this.opts.policyBranch ?? this.branch,
          }),
        );
      }
    }
    if (problems.length) throw rejected(problems);
    const files: ChangeSet = new Map();
    for (const path of change.deletes) files.set(path, null);
    for (const [path, text] of texts) files.set(path, new TextEncoder().encode(text));
    return files;
  }

  // ---------------------------------------------------------------- remotes

  private get remoteName(): string {
    return typeof this.opts.push === 'string' ? this.opts.push : 'origin';
  }

  /** Before planning: bring the local branch up to the remote's tip when it is behind. */
  private async syncWithRemote(): Promise<void> {
    const remoteTip = await this.repo.fetch({ remote: this.remoteName, branch: this.branch });
    const local = await this.repo.resolveBranch(this.branch);
    if (!remoteTip || remoteTip === local) return;
    if (!local || (await this.isAncestor(local, remoteTip))) {
      await this.repo.fastForward(this.branch, remoteTip);
      return;
    }
    if (await this.isAncestor(remoteTip, local)) return; // we are ahead: the push carries our commits too
    throw new RegistryError(
      'RESOURCE_CONFLICT',
      `Local branch '${this.branch}' and ${this.remoteName}/${this.branch} have diverged: pull (or rebase) first.`,
    );
  }

  /** Pushes `oid`; on rejection drops it (the branch goes back to `parent`) so the next attempt re-plans on the new remote tip. */
  private async pushOrRewind(parent: string, oid: string): Promise<boolean> {
    const expected = await this.repo.resolveRemoteBranch(this.remoteName, this.branch);
    const r = await this.repo.push({ remote: this.remoteName, branch: this.branch, expectedRemoteTip: expected });
    if (r.ok) {
      await this.repo.fetch({ remote: this.remoteName, branch: this.branch }).catch(() => undefined);
      return true;
    }
    await this.repo.resetBranch(this.branch, oid, parent);
    return false;
  }

  private async isAncestor(ancestor: string, descendant: string, limit = 100_000): Promise<boolean> {
    const seen = new Set<string>();
    const queue = [descendant];
    while (queue.length && seen.size < limit) {
      const oid = queue.shift()!;
      if (oid === ancestor) return true;
      if (seen.has(oid)) continue;
      seen.add(oid);
      queue.push(...(await this.repo.readCommit(oid)).parents);
    }
    return false;
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
      (c) => toMlflowRegisteredModel(c!.after.get(name)!),
    );
  }

  /** @throws RESOURCE_DOES_NOT_EXIST */
  async getRegisteredModel(name: string): Promise<MlflowRegisteredModel> {
    return toMlflowRegisteredModel(await this.requireModel(name, 'all'));
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
      (c) => toMlflowRegisteredModel(c!.after.get(name)!),
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
      (c) => toMlflowRegisteredModel(c!.after.get(newName)!),
    );
  }

  /** Deletes the model and all its versions. @throws RESOURCE_DOES_NOT_EXIST */
  async deleteRegisteredModel(name: string): Promise<void> {
    assertValidName(name);
    await this.write(
      [name],
      'model',
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
    const reader = await this.reader();
    const entry = await this.loadModel(reader, name, 'all');
    if (!entry) {
      if (alias.toLowerCase() === 'latest') throw modelNotFound(name);
      throw RegistryError.invalid(`Registered model alias ${alias} not found.`, { alias });
    }
    return toMlflowModelVersion(entry.file, versionByAlias(entry, alias));
  }

  /** get_latest_versions: the highest version in each (requested) stage. */
  async getLatestVersions(name: string, stages?: string[] | null): Promise<MlflowModelVersion[]> {
    const entry = await this.requireModel(name, 'all');
    return getLatestVersions(entry, stages).map((v) => toMlflowModelVersion(entry.file, v));
  }

  async searchRegisteredModels(opts: SearchOptions = {}): Promise<MlflowSearchModelsResponse> {
    const max = parseMaxResults('model', opts.maxResults);
    const filter = compileModelFilter(opts.filterString ?? opts.filter);
    const order = compileModelOrder(list(opts.orderBy));
    const state = await this.state();
    const rows = [...state.models.values()]
      .filter((e) => filter({ name: e.file.name, tags: e.file.tags ?? {} }))
      .map((e) => ({ e, name: e.file.name, created_ms: toMs(e.file.created_at), updated_ms: toMs(e.file.updated_at) }))
      .sort(order);
    const { page, nextPageToken } = paginate(rows, max, opts.pageToken);
    const out: MlflowSearchModelsResponse = {};
    if (page.length) out.registered_models = page.map((r) => toMlflowRegisteredModel(r.e));
    if (nextPageToken) out.next_page_token = nextPageToken;
    return out;
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
      (c) => newVersion(c!, name),
    );
  }

  /**
   * Registers a version, creating the model first when it does not exist — both in one commit
   * (what `mlflow.register_model` does in two calls).
   */
  async registerModelVersion(
    name: string,
    source: string,
    opts: Omit<CreateVersionInput, 'source'> & { modelDescription?: string | null; modelTags?: unknown } = {},
  ): Promise<MlflowModelVersion> {
    assertValidName(name);
    return this.write(
      [name],
      'model',
      (ctx, [e]) => {
        if (e) return createModelVersion(ctx, e, { ...opts, source });
        const created = createRegisteredModel(ctx, undefined, {
          name,
          tags: opts.modelTags,
          description: opts.modelDescription ?? null,
        });
        return merge(
          created,
          createModelVersion(ctx, created.after.get(name)!, { ...opts, source }),
          `${name}: created; v1 registered`,
        );
      },
      (c) => newVersion(c!, name),
    );
  }

  /** @throws RESOURCE_DOES_NOT_EXIST, INVALID_PARAMETER_VALUE */
  async getModelVersion(name: string, version: string | number): Promise<MlflowModelVersion> {
    const n = parseVersion(version);
    assertValidName(name);
    const entry = await this.loadModel(await this.reader(), name, [n]);
    if (!entry) throw versionNotFound(name, n);
    return toMlflowModelVersion(entry.file, requireVersion(entry, n));
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
      (c) => {
        const after = c!.after.get(name)!;
        return toMlflowModelVersion(after.file, after.versions.get(n)!);
      },
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
      (c) => {
        const after = c!.after.get(name)!;
        return toMlflowModelVersion(after.file, after.versions.get(n)!);
      },
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
    const n = parseVersion(version);
    assertValidName(name);
    const entry = await this.loadModel(await this.reader(), name, [n]);
    if (!entry) throw versionNotFound(name, n);
    return downloadUri(requireVersion(entry, n));
  }

  /** Always MLflow's four stages. */
  getModelVersionStages(_name?: string, _version?: string | number): string[] {
    return [...STAGES];
  }

  async searchModelVersions(opts: SearchOptions = {}): Promise<MlflowSearchVersionsResponse> {
    const max = parseMaxResults('version', opts.maxResults);
    const filter = compileVersionFilter(opts.filterString ?? opts.filter);
    const order = compileVersionOrder(list(opts.orderBy));
    const state = await this.state();
    const rows: Array<{
      m: ModelEntry;
      v: VersionFile;
      name: string;
      version: number;
      created_ms: number;
      updated_ms: number;
    }> = [];
    for (const m of state.models.values()) {
      for (const v of m.versions.values()) {
        if (
          !filter({
            name: m.file.name,
            version: v.version,
            run_id: v.run_id ?? '',
            source: v.source,
            tags: v.tags ?? {},
          })
        )
          continue;
        rows.push({
          m,
          v,
          name: m.file.name,
          version: v.version,
          created_ms: toMs(v.created_at),
          updated_ms: toMs(v.updated_at),
        });
      }
    }
    rows.sort(order);
    const { page, nextPageToken } = paginate(rows, max, opts.pageToken);
    const out: MlflowSearchVersionsResponse = {};
    if (page.length) out.model_versions = page.map((r) => toMlflowModelVersion(r.m.file, r.v, { withAliases: false }));
    if (nextPageToken) out.next_page_token = nextPageToken;
    return out;
  }

  /**
   * Copies a version (named by a models:/ URI) to another model, creating that model if needed — one commit.
   * The copy's source is `models:/<src>/<v>`; its download URI is the original's.
   */
  async copyModelVersion(srcModelUri: string, dstName: string): Promise<MlflowModelVersion> {
    assertValidName(dstName);
    const src = await this.resolve(srcModelUri);
    const srcVersion = await this.getModelVersion(src.name, src.version);
    return this.write(
      [dstName],
      'model',
      (ctx, [e]) => {
        const input: CreateVersionInput = {
          source: `models:/${src.name}/${src.version}`,
          storageLocation: src.artifact_uri,
          runId: srcVersion.run_id || null,
          runLink: srcVersion.run_link || null,
          description: srcVersion.description || null,
          tags: srcVersion.tags ?? [],
        };
        if (e) return createModelVersion(ctx, e, input);
        const created = createRegisteredModel(ctx, undefined, { name: dstName });
        return merge(
          created,
          createModelVersion(ctx, created.after.get(dstName)!, input),
          `${dstName}: created; v1 copied from ${src.name} v${src.version}`,
        );
      },
      (c) => newVersion(c!, dstName),
    );
  }

  // ---------------------------------------------------------------- models:/ URIs

  /**
   * Resolves `models:/name/N`, `models:/name/Stage`, `models:/name/latest` or `models:/name@alias`
   * (with an optional trailing artifact path), now or — with `at` (a commit, ref or time) — as of then.
   */
  async resolve(uri: string, opts: { at?: string | Date } = {}): Promise<ResolvedUri> {
    const u = parseModelUri(uri);
    assertValidName(u.name);
    const commit = opts.at !== undefined ? await this.commitAt(opts.at) : undefined;
    const reader = await this.reader(commit);
    const entry = await this.loadModel(reader, u.name, 'all');
    return { uri, ...resolveModelUri(entry, u), commit: reader.commit };
  }

  /** The commit that was the branch head at `at`: a revision (oid, ref, HEAD~N) or an instant. */
  async commitAt(at: string | Date): Promise<string> {
    if (typeof at === 'string') {
      try {
        return await this.repo.resolveRevision(at);
      } catch (e) {
        if (!isRegistryError(e)) throw e;
      }
    }
    const when = at instanceof Date ? at.getTime() : Date.parse(at);
    if (Number.isNaN(when)) throw RegistryError.invalid(`'${String(at)}' is neither a commit, a ref nor a time.`);
    const head = await this.repo.resolveBranch(this.branch);
    if (!head) throw new RegistryError('INVALID_STATE', `Branch '${this.branch}' has no commits.`);
    // First-parent history is the branch's own timeline: the newest commit made at or before `at`.
    let oid: string | undefined = head;
    while (oid) {
      const c = await this.repo.readCommit(oid);
      if (c.committer.timestamp * 1000 <= when) return oid;
      oid = c.parents[0];
    }
    throw RegistryError.notFound(`The registry had no commits on '${this.branch}' at ${new Date(when).toISOString()}.`);
  }
}

// ---------------------------------------------------------------- helpers

/** Makes an empty registry: a git repository with registry.yaml in its first commit. */
export async function initRegistry(
  dir: string,
  opts: {
    bare?: boolean;
    branch?: string;
    author?: Partial<Author>;
    clock?: () => number;
    registry?: Partial<RegistryFile>;
  } = {},
): Promise<Registry> {
  const branch = opts.branch ?? 'main';
  let repo: GitRepo;
  try {
    repo = await GitRepo.open(dir);
  } catch {
    repo = await GitRepo.init(dir, { bare: opts.bare ?? false, branch });
  }
  const useBranch = opts.branch ?? (await repo.currentBranch()) ?? branch;
  const head = await repo.resolveBranch(useBranch);
  if (head && (await repo.readFileAt(head, REGISTRY_FILE))) {
    throw RegistryError.alreadyExists(`${dir} already holds a registry (registry.yaml exists on '${useBranch}').`);
  }
  const author = await resolveAuthor(repo.gitdir, opts.author);
  const registryFile: RegistryFile = { ...opts.registry, format_version: 1 };
  const text = stringifyDocument('registry', registryFile);
  const parsed = parseDocumentText('registry', REGISTRY_FILE, text);
  if (!parsed.ok) throw rejected(parsed.problems);
  const ms = opts.clock ? opts.clock() : Date.now();
  await repo.withWriteLock(async () => {
    await repo.commit({
      branch: useBranch,
      parent: head,
      changes: new Map([[REGISTRY_FILE, new TextEncoder().encode(text)]]),
      message: 'registry: initialised\n',
      author: { name: author.name, email: author.email, timestamp: Math.floor(ms / 1000), timezoneOffset: 0 },
    });
  });
  return Registry.open(dir, { author, branch: useBranch, ...(opts.clock ? { clock: opts.clock } : {}) });
}

function must(e: ModelEntry | undefined, name: string): ModelEntry {
  if (!e) throw modelNotFound(name);
  return e;
}

function mustVersion(e: ModelEntry | undefined, name: string, n: number): ModelEntry {
  if (!e) throw versionNotFound(name, n);
  return e;
}

function newVersion(change: Change, name: string): MlflowModelVersion {
  const after = change.after.get(name)!;
  return toMlflowModelVersion(after.file, after.versions.get(after.file.latest_version)!);
}

function merge(first: Change, second: Change, message: string): Change {
  return {
    message,
    writes: new Map([...first.writes, ...second.writes]),
    deletes: new Set([...first.deletes, ...second.deletes]),
    after: new Map([...first.after, ...second.after]),
    before: new Map([...first.before, ...second.before]),
  };
}

function list(v: string[] | string | null | undefined): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v : [v];
}

function rejected(problems: Problem[]): RegistryError {
  const first = problems[0]!;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  const code = problems.some((p) => p.message.startsWith('policy:')) ? 'PERMISSION_DENIED' : 'INVALID_PARAMETER_VALUE';
  return new RegistryError(code, `Rejected: ${formatProblem(first)}${more}`, { problems });
}

export function brokenFile(problems: Problem[]): RegistryError {
  return new RegistryError(
    'INVALID_STATE',
    `The registry has a broken file: ${formatProblem(problems[0]!)}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}. Fix it (see 'mreg validate') before writing.`,
    { problems },
  );
}
