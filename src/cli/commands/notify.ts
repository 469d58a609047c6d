// mreg notify: deliver the registry's events to the webhooks of registry.yaml, signed as MLflow signs them,
// at least once and in order per webhook; --status shows where each webhook is, --test sends a signed ping.
// The work lives in cli/notify-run.ts, loaded only when the command runs (it brings HTTP clients).
import { defineCommand, type GlobalArgs } from '../options.js';

export interface NotifyArgs extends GlobalArgs {
  remote?: string;
  branch?: string;
  interval?: number;
  'allow-private'?: boolean;
  status?: boolean;
  test?: string;
  once?: boolean;
  timeout?: number;
  retries?: number;
  backoff?: number;
  park?: number;
  verbose?: boolean;
}

export const notifyCommand = defineCommand<NotifyArgs>({
  command: 'notify',
  describe:
    "Deliver the registry's events to the webhooks of registry.yaml (MLflow's format and signature), at least once",
  builder: (y) =>
    y
      .option('remote', {
        type: 'string',
        describe:
          'Follow this git host (http(s) URL) instead of a local repository; the clone lives in --repo or the cache',
        requiresArg: true,
      })
      .option('branch', {
        type: 'string',
        describe: 'The branch whose events are delivered (default: checked-out, else main)',
        requiresArg: true,
      })
      .option('interval', {
        type: 'number',
        describe: 'With --remote: seconds between fetches (default 10)',
        requiresArg: true,
      })
      .option('allow-private', { type: 'boolean', describe: 'Allow webhooks on loopback and private addresses' })
      .option('status', { type: 'boolean', describe: 'Show each webhook: state, cursor, pending events, last error' })
      .option('test', {
        type: 'string',
        describe: "Send a signed example event to webhook NAME (MLflow's test payload)",
        requiresArg: true,
      })
      .option('once', { type: 'boolean', describe: 'Deliver what is pending, then exit (1 when a webhook is parked)' })
      .option('timeout', { type: 'number', describe: 'Seconds a request may take (default 10)', requiresArg: true })
      .option('retries', {
        type: 'number',
        describe: 'Failed attempts in a row before a webhook is parked (default 10)',
        requiresArg: true,
      })
      .option('backoff', {
        type: 'number',
        describe: 'Seconds before the first retry; doubles up to 60 (default 1)',
        requiresArg: true,
      })
      .option('park', {
        type: 'number',
        describe: 'Seconds between attempts of a parked webhook (default 300)',
        requiresArg: true,
      })
      .option('verbose', { type: 'boolean', alias: 'v', describe: 'Log every delivery' })
      .conflicts('status', ['test', 'once'])
      .check((a) => {
        for (const k of ['interval', 'timeout', 'backoff', 'park'] as const) {
          const v = a[k] as number | undefined;
          if (v !== undefined && !(v > 0))
            throw new Error(`--${k} must be a positive number of seconds, got ${String(v)}.`);
        }
        const r = a.retries as number | undefined;
        if (r !== undefined && (!Number.isInteger(r) || r < 1))
          throw new Error(`--retries must be a positive integer, got ${String(r)}.`);
        return true;
      })
      .example('$0 notify', 'deliver until stopped, following the checked-out branch')
      .example('$0 notify --status', 'where each webhook is, and what failed')
      .example('$0 notify --test deploy --allow-private', 'a signed ping to a receiver on this machine'),
  async handler(a) {
    await (await import('../notify-run.js')).runNotify(a);
  },
});
