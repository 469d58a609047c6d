// mreg get: a model (with its latest version per stage) or one version.
import type { MlflowModelVersion, MlflowRegisteredModel } from '../../mlflow/types.js';
import type { Lineage } from '../../registry/registry.js';
import { atOption, defineCommand, type GlobalArgs } from '../options.js';
import { openForRead } from '../open.js';
import { humanTime, outputFor, table, visibleWidth, type Output } from '../output.js';

interface Args extends GlobalArgs {
  name: string;
  version?: string;
  branch?: string;
  at?: string;
}

function indent(text: string, by = '    '): string[] {
  return text.split('\n').map((l) => (l ? by + l : ''));
}

function modelText(out: Output, m: MlflowRegisteredModel): string[] {
  const lines = [out.bold(m.name)];
  const rows: string[][] = [];
  if (m.tags?.length) rows.push(['tags:', m.tags.map((t) => `${t.key}=${t.value}`).join(', ')]);
  if (m.aliases?.length) rows.push(['aliases:', m.aliases.map((a) => `@${a.alias} → v${a.version}`).join(', ')]);
  rows.push(['created:', humanTime(m.creation_timestamp)]);
  if (m.last_updated_timestamp) rows.push(['updated:', humanTime(m.last_updated_timestamp)]);
  lines.push(...table(rows).map((l) => '  ' + l));
  if (m.description) lines.push('  description:', ...indent(m.description));
  if (m.latest_versions?.length) {
    lines.push('  latest versions:');
    const vs = [...m.latest_versions].sort((a, b) => Number(b.version) - Number(a.version));
    lines.push(
      ...table(
        vs.map((v) => [`v${v.version}`, out.stage(v.current_stage), v.source]),
        visibleWidth,
      ).map((l) => '    ' + l),
    );
  } else lines.push('  no versions');
  return lines;
}

function versionText(out: Output, v: MlflowModelVersion, lineage: Lineage = {}): string[] {
  const rows: string[][] = [
    ['stage:', out.stage(v.current_stage)],
    ['source:', v.source],
  ];
  if (v.aliases?.length) rows.push(['aliases:', v.aliases.map((a) => '@' + a).join(', ')]);
  if (v.run_id) rows.push(['run_id:', v.run_id]);
  if (v.run_link) rows.push(['run_link:', v.run_link]);
  for (const [k, val] of Object.entries(lineage)) rows.push([`${k}:`, val]);
  rows.push(['status:', v.status + (v.status_message ? ` (${v.status_message})` : '')]);
  if (v.tags?.length) rows.push(['tags:', v.tags.map((t) => `${t.key}=${t.value}`).join(', ')]);
  rows.push(['created:', humanTime(v.creation_timestamp)], ['updated:', humanTime(v.last_updated_timestamp)]);
  const lines = [out.bold(`${v.name} v${v.version}`), ...table(rows, visibleWidth).map((l) => '  ' + l)];
  if (v.description) lines.push('  description:', ...indent(v.description));
  return lines;
}

export const getCommand = defineCommand<Args>({
  command: 'get <name> [version]',
  describe: 'Show a model (with its latest version in each stage), or one of its versions',
  builder: (y) =>
    atOption(y)
      .positional('name', { type: 'string', describe: 'Model name', demandOption: true })
      .positional('version', { type: 'string', describe: 'Version number' })
      .option('branch', {
        type: 'string',
        describe: 'Read this branch (default: the checked-out branch)',
        requiresArg: true,
      })
      .example('$0 get fraud', 'the model')
      .example('$0 get fraud 7 --json', "version 7 as MLflow's model_version JSON")
      .example('$0 get fraud --at 2026-03-01T12:00Z', 'the model as it was then'),
  async handler(a) {
    const out = outputFor(a);
    const reg = await openForRead(a);
    if (a.version === undefined) {
      const m = await reg.getRegisteredModel(a.name);
      out.result({ registered_model: m }, () => modelText(out, m));
      return;
    }
    const v = await reg.getModelVersion(a.name, a.version);
    const lineage = out.json ? {} : await reg.getModelVersionLineage(a.name, v.version);
    out.result({ model_version: v }, () => versionText(out, v, lineage));
  },
});
