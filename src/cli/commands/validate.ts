// mreg validate: every problem of a commit or of the working tree as `path:line: message`; exit 1 if any.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { REGISTRY_FILE } from '../../domain/layout.js';
import { formatProblem } from '../../errors.js';
import { GitReader } from '../../store/git/reader.js';
import { defineCommand, repoDir, targetBranch, type GlobalArgs } from '../options.js';
import { outputFor, shortOid } from '../output.js';
import { failure, validateFolder, validateRepository } from '../validate.js';

interface Args extends GlobalArgs {
  ref?: string;
  base?: string;
  branch?: string;
  format?: 'text' | 'github' | 'json';
}

/** GitHub Actions' workflow command for an annotation on a file line. */
function githubAnnotation(p: { path: string; line?: number; message: string }): string {
  const esc = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const prop = (s: string) => esc(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  return `::error file=${prop(p.path)},line=${p.line ?? 1}::${esc(p.message)}`;
}

export const validateCommand = defineCommand<Args>({
  command: 'validate',
  describe:
    "Check the schema, invariants and policies of a commit or the working tree; every problem as 'path:line: message'",
  builder: (y) =>
    y
      .option('ref', {
        type: 'string',
        describe: 'Validate this commit or ref instead of the working tree',
        requiresArg: true,
      })
      .option('base', {
        type: 'string',
        describe:
          'Judge policies on the change since this ref (its merge base with the target); default: HEAD for the working tree, the first parent for --ref',
        requiresArg: true,
      })
      .option('branch', {
        type: 'string',
        describe:
          'The branch the change lands on, for protected policies (default: $MREG_TARGET_BRANCH, $GITHUB_BASE_REF, the --ref branch, else the checked-out branch)',
        requiresArg: true,
      })
      .option('format', {
        choices: ['text', 'github', 'json'] as const,
        default: 'text' as const,
        describe: 'github: also emit GitHub Actions annotations',
      })
      .example('$0 validate', 'the working tree, including --no-commit edits')
      .example('$0 validate --ref HEAD', 'the last commit')
      .example('$0 validate --base origin/main --branch main', 'a pull request branch that will land on main')
      .example('$0 validate --repo ./registry-example', 'a registry folder outside git (schema and invariants)'),
  async handler(a) {
    const out = outputFor({ json: a.json === true || a.format === 'json' });
    const dir = repoDir(a);
    const repo = await GitReader.open(dir).catch(async (e: unknown) => {
      // Not a git repository: a plain folder can still be checked, unless a commit was asked for.
      if (a.ref !== undefined || a.base !== undefined || !(await stat(path.join(dir, REGISTRY_FILE)).catch(() => null)))
        throw e;
      return null;
    });
    const progress = out.progress('validating');
    let result;
    try {
      const onProgress = (done: number, total: number) => progress.update(done, total);
      result = repo
        ? await validateRepository(repo, { ref: a.ref, base: a.base, branch: targetBranch(a.branch), onProgress })
        : await validateFolder(dir, { onProgress });
    } finally {
      progress.end();
    }
    const what = result.target ? `commit ${shortOid(result.target)}` : repo ? 'working tree' : 'folder';
    out.result({ valid: result.problems.length === 0, ...result }, () => {
      const lines = result.problems.map(formatProblem);
      if (a.format === 'github') lines.push(...result.problems.map(githubAnnotation));
      if (!result.problems.length) {
        const policy = result.policiesChecked
          ? `policies checked against ${shortOid(result.base)}${result.branch ? ` for branch ${result.branch}` : ''}`
          : `policies not checked (${repo ? 'no base commit' : 'not a git repository'})`;
        lines.push(
          `ok: ${what}: ${result.models} model${result.models === 1 ? '' : 's'}, ${result.versions} version${result.versions === 1 ? '' : 's'}; ${policy}`,
        );
      }
      return lines;
    });
    if (result.problems.length) throw failure(result);
  },
});
