// /metrics lines about events: the push webhook's outcomes, open event streams, and the state `mreg notify`
// keeps for each webhook under the git directory (read when scraped: a few small files), so an alert can fire
// on a parked webhook.
import { readAllStatusSync } from '../../notify/status-read.js';
import type { GitHookCounts } from './git-hook.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function eventMetrics(gitdir: string, hooks: GitHookCounts, streams: number): string {
  const out: string[] = [];
  const head = (name: string, type: string, help: string): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  head('mreg_git_hooks_total', 'counter', 'Push webhooks received (POST /api/v1/hooks/git), by outcome.');
  for (const [k, v] of Object.entries(hooks)) out.push(`mreg_git_hooks_total{outcome="${k}"} ${v}`);
  head('mreg_event_streams', 'gauge', 'Open event streams (GET /api/v1/events/stream).');
  out.push(`mreg_event_streams ${streams}`);
  const all = readAllStatusSync(gitdir);
  head('mreg_webhook_parked', 'gauge', '1 when mreg notify has parked the webhook (it keeps failing).');
  for (const s of all) out.push(`mreg_webhook_parked{webhook="${esc(s.name)}"} ${s.state === 'parked' ? 1 : 0}`);
  head('mreg_webhook_failures', 'gauge', 'Failed delivery attempts since the last success.');
  for (const s of all) out.push(`mreg_webhook_failures{webhook="${esc(s.name)}"} ${s.failures}`);
  head('mreg_webhook_delivered_total', 'counter', 'Events delivered with a 2xx answer.');
  for (const s of all) out.push(`mreg_webhook_delivered_total{webhook="${esc(s.name)}"} ${s.delivered}`);
  head('mreg_webhook_last_delivery_timestamp_seconds', 'gauge', 'When the last delivery succeeded.');
  for (const s of all)
    if (s.last_delivery)
      out.push(
        `mreg_webhook_last_delivery_timestamp_seconds{webhook="${esc(s.name)}"} ${Date.parse(s.last_delivery.at) / 1000}`,
      );
  return out.join('\n') + '\n';
}
