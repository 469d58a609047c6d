// mreg export: create the registry's models and versions in an MLflow server, keeping version numbers.
import { RegistryError } from '../../errors.js';
import { defineCommand, mlflowConnection, repoDir, type GlobalArgs } from '../options.js';
import { outputFor } from '../output.js';

interface Args extends GlobalArgs {
  to: string;
  branch?: string;
  update?: boolean;
  'fail-fast'?: boolean;
}

export const exportCommand = defineCommand<Args>({
  command: 'export',
  describe:
    "Create the registry's models and versions in an MLflow server (what is missing there), with the same numbers",
  builder: (y) =>
    y
      .option('to', {
        type: 'string',
        describe: 'The MLflow tracking server (auth: $MLFLOW_TRACKING_TOKEN, or $MLFLOW_TRACKING_USERNAME/PASSWORD)',
        demandOption: true,
        requiresArg: true,
      })
      .option('branch', {
        type: 'string',
        describe: 'Export this branch (default: the checked-out one)',
        requiresArg: true,
      })
      .option('update', {
        type: 'boolean',
        describe:
          'Also change what MLflow has and git has differently: descriptions, tags, stages, aliases, versions deleted in git',
      })
      .option('fail-fast', {
        type: 'boolean',
        describe: 'Stop at the first version MLflow refuses (default: report it and go on)',
      })
      .example('$0 export --to http://127.0.0.1:5000', 'create every model and version in an empty MLflow server')
      .example(
        '$0 export --to http://mlflow.internal:5000 --update',
        'also send the changes made in git to models MLflow has',
      ),
  async handler(a) {
    const out = outputFor(a);
    const { exportRegistry } = await import('../../sync/export.js');
    const bar = out.progress('export: models');
    let r;
    try {
      r = await exportRegistry({
        repo: repoDir(a),
        connection: mlflowConnection(a.to),
        branch: a.branch,
        update: a.update === true,
        failFast: a['fail-fast'] === true,
        progress: (done, total) => bar.update(done, total),
      });
    } finally {
      bar.end();
    }
    if (!out.json) {
      for (const n of r.notes) out.note(`mreg: note: ${n}`);
      for (const d of r.differences) out.note(`mreg: differs in MLflow, not changed: ${d}`);
      for (const x of r.refused) out.note(`mreg: ${x.name} v${x.version}: refused by MLflow: ${x.message}`);
      for (const x of r.stopped) out.note(`mreg: ${x.name}: stopped: ${x.message}`);
    }
    const c = r.created;
    const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
    const parts: string[] = [];
    if (c.models || c.versions) parts.push(`${plural(c.models, 'model')} and ${plural(c.versions, 'version')} created`);
    if (c.placeholders) parts.push(`${plural(c.placeholders, 'number')} of deleted versions used up`);
    if (r.updates) parts.push(`${plural(r.updates, 'change')} sent`);
    out.result(r, () =>
      parts.length
        ? `Exported to ${r.server}: ${parts.join(', ')}.`
        : `Nothing to export: ${r.server} already has every model and version of the registry.`,
    );
    const failed = r.refused.length + r.stopped.length;
    if (failed) {
      throw new RegistryError(
        'INVALID_PARAMETER_VALUE',
        `${failed} of the registry's versions or models could not be exported to ${r.server} (listed above).`,
      );
    }
  },
});
