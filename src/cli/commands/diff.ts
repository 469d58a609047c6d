// mreg diff: what a branch changes, as registry operations — text, Markdown for a pull-request comment, or JSON.
import { describeOperation, type Operation } from '../../domain/diff.js';
import { policyChanges } from '../../domain/policy-diff.js';
import type { RegistryFile } from '../../domain/state.js';
import { formatProblem } from '../../errors.js';
import { diffRegistry } from '../../registry/diff.js';
import { defineCommand, repoDir, type GlobalArgs } from '../options.js';
import { outputFor, shortOid } from '../output.js';

interface Args extends GlobalArgs {
  base: string;
  head?: string;
  format?: 'text' | 'markdown' | 'json';
}

/** Backslash-escapes Markdown's punctuation so names and descriptions cannot format or inject HTML. */
function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_[\]#|<>~&]/g, '\\$&');
}

function withoutSubject(op: Operation, line: string): string {
  if (op.op === 'model_renamed' || !op.name) return line;
  if (op.version !== undefined && line.startsWith(`${op.name} v${op.version}: `)) return line.slice(op.name.length + 1);
  if (line.startsWith(`${op.name}: `)) return line.slice(op.name.length + 2);
  return line;
}

/** A pull-request comment: operations grouped by model, Production moves called out. */
function markdownDiff(ops: Operation[], base: string, head: string | null): string {
  const lines = ['<!-- mreg-diff -->', '### Registry changes', ''];
  const range = `\`${shortOid(base)}\`…${head ? `\`${shortOid(head)}\`` : 'working tree'}`;
  if (!ops.length) return [...lines, `No registry changes (${range}).`, ''].join('\n');
  const byModel = new Map<string, Operation[]>();
  for (const op of ops) {
    const key = op.op === 'registry_changed' ? '' : (op.name ?? '');
    let list = byModel.get(key);
    if (!list) byModel.set(key, (list = []));
    list.push(op);
  }
  const models = [...byModel.keys()].filter((k) => k !== '').length;
  const production = ops.filter(
    (o) => o.op === 'stage_changed' && (o.to === 'Production' || o.from === 'Production'),
  ).length;
  const relaxed = ops.flatMap(registryChanges).filter((c) => c.relaxed).length;
  lines.push(
    `**${ops.length} change${ops.length === 1 ? '' : 's'}** to ${models} model${models === 1 ? '' : 's'} (${range})` +
      (production ? ` — **${production} Production change${production === 1 ? '' : 's'}**` : '') +
      (relaxed ? ` — ⚠️ **${relaxed} polic${relaxed === 1 ? 'y' : 'ies'} relaxed**` : ''),
    '',
  );
  for (const [name, list] of byModel) {
    lines.push(name === '' ? '**registry.yaml**' : `**${escapeMarkdown(name)}**`);
    for (const op of list) {
      if (op.op === 'registry_changed') {
        for (const c of registryChanges(op)) {
          if (!c.rule) {
            lines.push(`- ${escapeMarkdown(c.text)}`);
            continue;
          }
          const flag = c.relaxed ? ' ⚠️ **relaxed**' : '';
          lines.push(`- policy \`${c.rule}\`: ${escapeMarkdown(c.before)} → ${escapeMarkdown(c.after)}${flag}`);
        }
        continue;
      }
      let text = escapeMarkdown(withoutSubject(op, describeOperation(op)));
      if (op.op === 'stage_changed' && op.to === 'Production') text += ' 🚀';
      if (op.op === 'stage_changed' && op.from === 'Production') text += ' ⚠️';
      lines.push(`- ${text}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export const diffCommand = defineCommand<Args>({
  command: 'diff <base> [head]',
  describe: 'What HEAD changes since BASE (from their merge base, as a pull request shows it), as registry operations',
  builder: (y) =>
    y
      .positional('base', { type: 'string', describe: 'Base commit or ref (e.g. origin/main)', demandOption: true })
      .positional('head', { type: 'string', describe: 'Head commit or ref (default: the working tree)' })
      .option('format', {
        choices: ['text', 'markdown', 'json'] as const,
        default: 'text' as const,
        describe: 'Output format (markdown: ready to post as a pull-request comment)',
      })
      .example('$0 diff main', 'what the working tree changes since main')
      .example('$0 diff origin/main HEAD --format markdown', 'a pull-request comment'),
  async handler(a) {
    const format = a.json ? 'json' : (a.format ?? 'text');
    const out = outputFor({ json: format === 'json' });
    const progress = out.progress('reading the working tree');
    const {
      base: from,
      head,
      operations,
      problems,
    } = await diffRegistry(repoDir(a), a.base, {
      head: a.head,
      onProgress: (done, total) => progress.update(done, total),
    }).finally(() => progress.end());
    for (const p of problems) out.note(`mreg: warning: ${formatProblem(p)} (skipped)`);
    if (format === 'markdown') {
      out.print(markdownDiff(operations, from, head));
      return;
    }
    out.result({ base: from, head, operations }, () =>
      operations.length ? operations.flatMap(describeForText) : ['No registry changes.'],
    );
  },
});

/** A registry.yaml change as lines: one per policy rule changed, and one for its other keys (name, webhooks…). */
function registryChanges(
  op: Operation,
): Array<{ rule?: string; before: string; after: string; relaxed: boolean; text: string }> {
  if (op.op !== 'registry_changed') return [];
  const before = (op.before ?? { format_version: 2 }) as RegistryFile;
  const after = (op.after ?? { format_version: 2 }) as RegistryFile;
  const out: Array<{ rule?: string; before: string; after: string; relaxed: boolean; text: string }> = policyChanges(
    before,
    after,
  ).map((c) => ({
    ...c,
    text: `policy ${c.rule}: ${c.before} → ${c.after}${c.relaxed ? ' (relaxed)' : ''}`,
  }));
  const others = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) =>
      k !== 'policies' &&
      JSON.stringify(before[k as keyof RegistryFile]) !== JSON.stringify(after[k as keyof RegistryFile]),
  );
  if (others.length)
    out.push({ before: '', after: '', relaxed: false, text: `registry.yaml: ${others.sort().join(', ')} changed` });
  return out;
}

function describeForText(op: Operation): string[] {
  if (op.op !== 'registry_changed') return [describeOperation(op)];
  const lines = registryChanges(op).map((c) => c.text);
  return lines.length ? lines : [describeOperation(op)];
}
