// mreg import: bring an MLflow server's registry into git, and keep it in sync (once, or every --interval seconds).
import { describeOperation } from '../../domain/diff.js';
import { RegistryError, isRegistryError } from '../../errors.js';
import type { ImportResult } from '../../sync/import.js';
import { defineCommand, mlflowConnection, parseAuthor, repoDir, type GlobalArgs } from '../options.js';
import { outputFor, shortOid, type Output, type Progress } from '../output.js';

const PHASES: Record<string, string> = {
  models: 'reading models',
  versions: 'reading versions',
  details: 'reading download URIs',
  writing: 'writing',
};

interface Args extends GlobalArgs {
  from: string;
  push?: boolean;
  remote: string;
  branch?: string;
  author?: string;
  'max-attempts'?: number;
  interval?: number;
  'skip-invalid'?: boolean;
  prefer?: 'mlflow' | 'git';
}

export const importCommand = defineCommand<Args>({
  command: 'import',
  describe: "Import an MLflow server's registry into git, or sync the changes made there since the last import",
  builder: (y) =>
    y
      .option('from', {
        type: 'string',
        describe: 'The MLflow tracking server (auth: $MLFLOW_TRACKING_TOKEN, or $MLFLOW_TRACKING_USERNAME/PASSWORD)',
        demandOption: true,
        requiresArg: true,
      })
      .option('push', {
        type: 'boolean',
        describe: 'Push every commit (re-applying it when another writer got there first)',
      })
      .option('remote', { type: 'string', default: 'origin', describe: 'Remote to push to', requiresArg: true })
      .option('branch', {
        type: 'string',
        describe: 'Branch to write (default: the checked-out branch)',
        requiresArg: true,
      })
      .option('author', {
        type: 'string',
        describe: "Committer as 'Name <email>' (a change MLflow records a user id for is authored by that user)",
        requiresArg: true,
      })
      .option('max-attempts', {
        type: 'number',
        describe: 'With --push: how many times to retry a lost race',
        requiresArg: true,
      })
      .option('interval', {
        type: 'number',
        describe: 'Keep running: sync again every S seconds (a mirror); stop with Ctrl-C',
        requiresArg: true,
      })
      .option('skip-invalid', {
        type: 'boolean',
        describe: 'Skip (and list) models mreg cannot store instead of importing nothing',
      })
      .option('prefer', {
        choices: ['mlflow', 'git'] as const,
        describe: 'Which side wins when a model changed both in MLflow and in git since the last import',
        requiresArg: true,
      })
      .check((a) => {
        if (a.interval !== undefined && !(Number.isFinite(a.interval) && (a.interval as number) > 0))
          throw new Error(`--interval must be a positive number of seconds, got ${String(a.interval)}.`);
        const n = a['max-attempts'] as number | undefined;
        if (n !== undefined && (!Number.isInteger(n) || n < 1))
          throw new Error(`--max-attempts must be a positive integer, got ${String(n)}.`);
        if (a.author !== undefined) parseAuthor(a.author as string);
        return true;
      })
      .example('$0 import --from http://mlflow.internal:5000', 'first import: every model and version, one commit')
      .example(
        '$0 import --from http://mlflow.internal:5000 --push',
        'sync what changed since, one commit per model, and push',
      )
      .example(
        '$0 import --from http://mlflow.internal:5000 --interval 60 --prefer mlflow',
        'a mirror: sync every minute',
      )
      .example(
        'MLFLOW_TRACKING_TOKEN=… $0 import --from https://mlflow.example.com --skip-invalid',
        'with a token; skip models mreg cannot store',
      ),
  async handler(a) {
    const out = outputFor(a);
    const { importOnce } = await import('../../sync/import.js');
    let bar: { phase: string; p: Progress } | undefined;
    const opts = {
      repo: repoDir(a),
      connection: mlflowConnection(a.from),
      push: a.push ? a.remote : undefined,
      maxAttempts: a['max-attempts'],
      branch: a.branch,
      author: a.author !== undefined ? parseAuthor(a.author) : undefined,
      prefer: a.prefer,
      skipInvalid: a['skip-invalid'] === true,
      progress: (phase: string, done: number, total?: number) => {
        if (bar?.phase !== phase) {
          bar?.p.end();
          bar = { phase, p: out.progress(`import: ${PHASES[phase] ?? phase}`) };
        }
        bar.p.update(done, total);
      },
    };
    if (a.interval === undefined) {
      let r: ImportResult;
      try {
        r = await importOnce(opts);
      } finally {
        bar?.p.end();
      }
      report(out, r, new Set(), false);
      if (r.conflicts.length) throw conflictError(r);
      if (r.refused.length)
        throw new RegistryError(
          r.refused[0]!.code as 'PERMISSION_DENIED',
          `${r.refused.length} model(s) were refused: ${r.refused.map((x) => x.name).join(', ')}.`,
        );
      return;
    }
    await mirror(out, opts, a.interval, importOnce);
  },
});

/** The --interval loop: one round after another until SIGINT/SIGTERM; a failed round is reported, not fatal. */
async function mirror(
  out: Output,
  opts: Parameters<typeof import('../../sync/import.js').importOnce>[0],
  seconds: number,
  importOnce: typeof import('../../sync/import.js').importOnce,
): Promise<void> {
  let stopping = false;
  let wake: () => void = () => undefined;
  const stop = (): void => {
    stopping = true;
    wake();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const seen = new Set<string>();
  try {
    while (!stopping) {
      try {
        report(out, await importOnce({ ...opts, progress: undefined }), seen, true);
      } catch (e) {
        if (!isRegistryError(e)) throw e;
        out.note(`mreg: import: ${e.code}: ${e.message}`);
      }
      if (stopping) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, seconds * 1000);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Prints one round. `seen` keeps a mirror from repeating its notes round after round. */
function report(out: Output, r: ImportResult, seen: Set<string>, isMirror: boolean): void {
  const once = (line: string): void => {
    if (seen.has(line)) return;
    seen.add(line);
    out.note(line);
  };
  if (out.json) {
    const value = {
      ...r,
      conflicts: r.conflicts.map((c) => ({ name: c.name, operations: c.operations.map(describeOperation) })),
    };
    // A mirror prints one line per round; a single import its result, indented like every --json.
    if (isMirror) out.print(JSON.stringify(value));
    else out.result(value, () => []);
    return;
  }
  for (const n of r.notes) once(`mreg: note: ${n}`);
  for (const m of r.invalid) once(`mreg: skipped ${JSON.stringify(m.name)}: ${m.problems.join('; ')}`);
  for (const k of r.kept)
    once(
      `mreg: ${k}: changed in git since the last import and not in MLflow: kept (mreg export --update would send it to MLflow)`,
    );
  for (const x of r.refused) out.note(`mreg: ${x.name}: not imported: ${x.code}: ${x.message}`);
  for (const c of r.conflicts) {
    const what = c.operations.slice(0, 3).map(describeOperation).join('; ');
    out.note(
      `mreg: conflict: ${c.name}: changed in MLflow and in git since the last import; left as it is in git${what ? ` (MLflow has: ${what}${c.operations.length > 3 ? '; …' : ''})` : ''}`,
    );
  }
  const lines = r.commits.map((c) => `${c.subject} [${shortOid(c.commit)}]`);
  const summary = r.commits.length
    ? `${r.first ? 'Imported' : 'Synced'} ${r.server} (${r.mlflow.models} models, ${r.mlflow.versions} versions): ${r.commits.length} commit${r.commits.length === 1 ? '' : 's'}.`
    : `Nothing to import: no change in ${r.server} (${r.mlflow.models} models, ${r.mlflow.versions} versions) to bring into git.`;
  // A mirror says "nothing to import" once, then only speaks when something happens.
  if (!isMirror || r.commits.length || !seen.has(summary)) out.result(r, () => [...lines, summary]);
  seen.add(summary);
}

function conflictError(r: ImportResult): RegistryError {
  const names = r.conflicts.map((c) => c.name);
  return new RegistryError(
    'RESOURCE_CONFLICT',
    `${names.length} model${names.length === 1 ? '' : 's'} changed both in MLflow and in git since the last import (${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}): left as they are in git. Rerun with --prefer mlflow or --prefer git to decide.`,
    { conflicts: names },
  );
}
