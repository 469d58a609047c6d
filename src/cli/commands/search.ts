// mreg search / mreg versions: MLflow's search over registered models and over model versions.
import type { Argv } from 'yargs';
import { atOption, defineCommand, type GlobalArgs } from '../options.js';
import { openForRead } from '../open.js';
import { humanTime, outputFor, table, visibleWidth } from '../output.js';

interface Args extends GlobalArgs {
  filter?: string;
  'order-by'?: string[];
  'max-results'?: number;
  'page-token'?: string;
  branch?: string;
  at?: string;
}

function searchOptions(y: Argv, what: 'models' | 'versions'): Argv<unknown> {
  return atOption(y)
    .option('filter', { type: 'string', alias: 'f', describe: 'MLflow filter string', requiresArg: true })
    .option('order-by', {
      type: 'string',
      array: true,
      describe: "Sort key, e.g. 'name ASC' or 'last_updated_timestamp DESC' (repeatable)",
      requiresArg: true,
    })
    .option('max-results', {
      type: 'number',
      describe: `Page size (default ${what === 'models' ? 100 : '200000'})`,
      requiresArg: true,
    })
    .option('page-token', { type: 'string', describe: 'Continue from a previous page', requiresArg: true })
    .option('branch', {
      type: 'string',
      describe: 'Read this branch (default: the checked-out branch)',
      requiresArg: true,
    });
}

function searchOpts(a: Args) {
  return {
    filterString: a.filter ?? null,
    orderBy: a['order-by'] ?? null,
    maxResults: a['max-results'] ?? null,
    pageToken: a['page-token'] ?? null,
  };
}

export const searchCommand = defineCommand<Args>({
  command: 'search',
  describe: 'Search registered models (MLflow filter grammar: name, tags)',
  builder: (y) =>
    searchOptions(y, 'models')
      .example(`$0 search --filter "name LIKE 'fraud%'"`, 'models whose name starts with fraud')
      .example(
        `$0 search --filter "tags.team = 'risk'" --order-by 'name DESC' --json`,
        'as registered-models/search JSON',
      ),
  async handler(a) {
    const out = outputFor(a);
    const reg = await openForRead(a);
    const r = await reg.searchRegisteredModels(searchOpts(a));
    out.result(r, () => {
      const models = r.registered_models ?? [];
      if (!models.length) return 'No registered models match.';
      const rows = [['NAME', 'LATEST VERSIONS', 'ALIASES', 'UPDATED']];
      for (const m of models) {
        const latest = [...(m.latest_versions ?? [])].sort((x, y) => Number(y.version) - Number(x.version));
        rows.push([
          m.name,
          latest.map((v) => `v${v.version} ${out.stage(v.current_stage)}`).join(', ') || '-',
          (m.aliases ?? []).map((x) => `@${x.alias}=v${x.version}`).join(', ') || '-',
          humanTime(m.last_updated_timestamp ?? m.creation_timestamp),
        ]);
      }
      return table(rows, visibleWidth);
    });
    if (!out.json && r.next_page_token) out.note(`More results: --page-token ${r.next_page_token}`);
  },
});

export const versionsCommand = defineCommand<Args>({
  command: 'versions',
  describe:
    'Search model versions (MLflow filter grammar: name, version_number, run_id, source_path, tags; and lineage: digest, code_commit, dataset, user_id)',
  builder: (y) =>
    searchOptions(y, 'versions')
      .example(`$0 versions --filter "name = 'fraud'"`, 'every version of fraud')
      .example(`$0 versions --filter "run_id = '8f2c'" --json`, 'as model-versions/search JSON')
      .example(`$0 versions --filter "digest = 'sha256:9f86d0…'"`, 'which version holds these artifacts'),
  async handler(a) {
    const out = outputFor(a);
    const reg = await openForRead(a);
    const r = await reg.searchModelVersions(searchOpts(a));
    out.result(r, () => {
      const versions = r.model_versions ?? [];
      if (!versions.length) return 'No model versions match.';
      const rows = [['NAME', 'VERSION', 'STAGE', 'SOURCE', 'RUN ID', 'UPDATED']];
      for (const v of versions)
        rows.push([
          v.name,
          v.version,
          out.stage(v.current_stage),
          v.source,
          v.run_id || '-',
          humanTime(v.last_updated_timestamp),
        ]);
      return table(rows, visibleWidth);
    });
    if (!out.json && r.next_page_token) out.note(`More results: --page-token ${r.next_page_token}`);
  },
});
