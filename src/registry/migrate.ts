// `mreg migrate`: a format-1 registry rewritten as format 2 in one commit. Format 1 kept `aliases` and
// `latest_version` in model.yaml, and bumped its `updated_at` on every write; format 2 keeps each alias in its
// own file and each deleted number as a tombstone, and derives the rest (docs/FORMAT2.md). The commit:
// - model.yaml loses `aliases` and `latest_version`; its `updated_at` is kept as it was, so the derived
//   last-updated time equals format 1's exactly (format 1's value was already the latest of every change);
// - each alias becomes models/<dir>/aliases/<enc(alias)>.yaml;
// - every number up to `latest_version` without a version file gets models/<dir>/deleted/<n>.yaml, dated with
//   the model's updated_at (the true time is not recorded in format 1, and a later one would move the
//   derived last-updated time), so numbers stay never reused;
// - registry.yaml says `format_version: 2`.
// Version files are unchanged (format 2 only adds an optional key). Nothing is written unless every file
// converts and the result validates.
import { RegistryError, type Problem } from '../errors.js';
import { dirAliasFile, dirTombstoneFile, MODELS_DIR, parsePath, REGISTRY_FILE } from '../domain/layout.js';
import {
  FORMAT_VERSION,
  type AliasFile,
  type ModelFile,
  type RegistryFile,
  type TombstoneFile,
} from '../domain/state.js';
import type { ChangeSet } from '../store/git/writer.js';
import { GitWriter } from '../store/git/writer.js';
import { declaredFormat, parseDocumentText, parsePlain, stringifyDocument } from '../store/yaml.js';
import { resolveAuthor, type Author } from './config.js';
import { rejected } from './write-check.js';

export interface MigrateOptions {
  /** Default: the checked-out branch. */
  branch?: string;
  author?: Partial<Author>;
  clock?: () => number;
}

export interface MigrateResult {
  /** The migration commit, or null when the registry already was format 2. */
  commit: string | null;
  branch: string;
  from: number;
  models: number;
  aliases: number;
  tombstones: number;
  /** Aliases that pointed at deleted versions (`name@alias (vN)`), left out. */
  dropped?: string[];
}

/**
 * Rewrites the format-1 registry on a branch as format 2, in one commit on that branch.
 * @throws INVALID_STATE for a branch without a registry, an unknown format, or files that do not convert
 */
export async function migrateRegistry(dir: string, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const repo = await GitWriter.open(dir);
  const branch = opts.branch ?? (await repo.currentBranch()) ?? 'main';
  const author = await resolveAuthor(repo.gitdir, opts.author);
  return repo.withWriteLock(async () => {
    const head = await repo.resolveBranch(branch);
    const registryBytes = head ? await repo.readFileAt(head, REGISTRY_FILE) : null;
    if (!head || !registryBytes)
      throw new RegistryError('INVALID_STATE', `Branch '${branch}' holds no registry (no ${REGISTRY_FILE}).`);
    const from = declaredFormat(registryBytes);
    const base = { branch, models: 0, aliases: 0, tombstones: 0 };
    if (from === FORMAT_VERSION) return { ...base, commit: null, from };
    if (from !== 1)
      throw new RegistryError(
        'INVALID_STATE',
        `${REGISTRY_FILE} declares format_version ${from ?? '(none)'}; mreg migrate converts format 1 to ${FORMAT_VERSION}.`,
      );
    const changes: ChangeSet = new Map();
    const problems: Problem[] = [];
    const dropped: string[] = [];
    const registry = { ...(parsePlain(registryBytes) as RegistryFile), format_version: FORMAT_VERSION } as RegistryFile;
    put(changes, problems, 'registry', REGISTRY_FILE, registry);

    const files = (await repo.listFiles(head, MODELS_DIR)).map((f) => f.path);
    const versionsOf = new Map<string, Set<number>>();
    for (const p of files) {
      const where = parsePath(p);
      if (where.kind !== 'version') continue;
      let s = versionsOf.get(where.dir);
      if (!s) versionsOf.set(where.dir, (s = new Set()));
      s.add(where.version);
    }
    for (const p of files) {
      const where = parsePath(p);
      if (where.kind !== 'model') continue;
      const old = parsePlain((await repo.readFileAt(head, p))!) as Record<string, unknown> | undefined;
      if (!old || typeof old !== 'object') {
        problems.push({
          path: p,
          line: 1,
          message: 'not a YAML mapping: fix it in format 1 first (mreg validate of an older mreg)',
        });
        continue;
      }
      const { aliases, latest_version, ...rest } = old as { aliases?: unknown; latest_version?: unknown };
      const model = rest as unknown as ModelFile;
      if (!put(changes, problems, 'model', p, model)) continue;
      base.models++;
      const live = versionsOf.get(where.dir) ?? new Set<number>();
      for (const [alias, version] of Object.entries((aliases ?? {}) as Record<string, number>)) {
        // An alias left pointing at a deleted version (MLflow's REST delete leaves them) is dropped, as a
        // delete through mreg would have: format 2 refuses it, and no other command runs before migrating.
        if (!live.has(version)) {
          dropped.push(`${model.name}@${alias} (v${version})`);
          continue;
        }
        put(changes, problems, 'alias', dirAliasFile(where.dir, alias), { alias, version } satisfies AliasFile);
        base.aliases++;
      }
      const latest = typeof latest_version === 'number' ? latest_version : 0;
      for (let n = 1; n <= latest; n++) {
        if (live.has(n)) continue;
        const doc: TombstoneFile = { version: n, deleted_at: model.updated_at };
        put(changes, problems, 'tombstone', dirTombstoneFile(where.dir, n), doc);
        base.tombstones++;
      }
    }
    if (problems.length) throw rejected(problems);
    const ms = opts.clock ? opts.clock() : Date.now();
    const sig = { name: author.name, email: author.email, timestamp: Math.floor(ms / 1000), timezoneOffset: 0 };
    const commit = await repo.commit({
      branch,
      parent: head,
      changes,
      message: `registry: migrated to format ${FORMAT_VERSION}\n\n${base.models} models: aliases moved to aliases/<alias>.yaml (${base.aliases}), deleted version numbers kept as deleted/<n>.yaml (${base.tombstones}); latest_version is derived from them.\n${dropped.length ? `\nAliases dropped because their version was deleted: ${dropped.join(', ')}.\n` : ''}`,
      author: sig,
    });
    return { ...base, commit, from, dropped };
  });
}

/** Adds one converted document, or the reasons it does not fit format 2. */
function put(
  changes: ChangeSet,
  problems: Problem[],
  kind: 'registry' | 'model' | 'alias' | 'tombstone',
  path: string,
  doc: object,
): boolean {
  const text = stringifyDocument(kind, doc);
  const r = parseDocumentText(kind, path, text);
  if (!r.ok) {
    problems.push(...r.problems);
    return false;
  }
  changes.set(path, new TextEncoder().encode(text));
  return true;
}
