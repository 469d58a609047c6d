// Prometheus text exposition (format 0.0.4), hand-written: a handful of counters and two histograms do
// not need prom-client, and the per-request cost must stay a few array writes on the hot path.
import type { StateHolder } from '../holder.js';
import type { Reply } from './reply.js';

const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const RELOAD_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10, 30, 60];

class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = new Float64Array(buckets.length);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
  render(name: string, labels: string, out: string[]): void {
    let cum = 0;
    const sep = labels ? labels + ',' : '';
    for (let i = 0; i < this.buckets.length; i++) {
      cum += this.counts[i]!;
      out.push(`${name}_bucket{${sep}le="${this.buckets[i]}"} ${cum}`);
    }
    out.push(`${name}_bucket{${sep}le="+Inf"} ${this.count}`);
    out.push(`${name}_sum${labels ? `{${labels}}` : ''} ${this.sum}`);
    out.push(`${name}_count${labels ? `{${labels}}` : ''} ${this.count}`);
  }
}

/** Per-route counters, created once per route so a request only touches its own record. */
export class RouteMetrics {
  /** method → status → count; no string building per request. */
  readonly byMethod = new Map<string, Map<number, number>>();
  readonly latency = new Histogram(REQUEST_BUCKETS);
  constructor(readonly route: string) {}
  observe(method: string, status: number, seconds: number): void {
    let m = this.byMethod.get(method);
    if (!m) this.byMethod.set(method, (m = new Map()));
    m.set(status, (m.get(status) ?? 0) + 1);
    this.latency.observe(seconds);
  }
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export class Metrics {
  private readonly routes = new Map<string, RouteMetrics>();
  reloads = 0;
  reloadsFailed = 0;
  readonly reloadDuration = new Histogram(RELOAD_BUCKETS);
  lastReloadSeconds = 0;
  snapshotsWritten = 0;
  fetches = 0;
  fetchesFailed = 0;

  route(name: string): RouteMetrics {
    let r = this.routes.get(name);
    if (!r) this.routes.set(name, (r = new RouteMetrics(name)));
    return r;
  }

  observeReload(ok: boolean, seconds: number): void {
    this.reloads++;
    if (!ok) this.reloadsFailed++;
    this.reloadDuration.observe(seconds);
    this.lastReloadSeconds = seconds;
  }

  render(holder: StateHolder, branch: string): string {
    const out: string[] = [];
    const head = (name: string, type: string, help: string): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    head('mreg_http_requests_total', 'counter', 'HTTP requests by route, method and status.');
    for (const r of this.routes.values()) {
      for (const [method, byStatus] of r.byMethod) {
        for (const [status, n] of byStatus)
          out.push(`mreg_http_requests_total{route="${esc(r.route)}",method="${esc(method)}",status="${status}"} ${n}`);
      }
    }
    head('mreg_http_request_duration_seconds', 'histogram', 'Time to answer a request, by route.');
    for (const r of this.routes.values())
      r.latency.render('mreg_http_request_duration_seconds', `route="${esc(r.route)}"`, out);
    head('mreg_reloads_total', 'counter', 'Loads of a new branch tip (initial load included).');
    out.push(`mreg_reloads_total ${this.reloads}`);
    head('mreg_reloads_failed_total', 'counter', 'Loads that were not served (invalid registry or read error).');
    out.push(`mreg_reloads_failed_total ${this.reloadsFailed}`);
    head('mreg_reload_duration_seconds', 'histogram', 'Time to load a new branch tip.');
    this.reloadDuration.render('mreg_reload_duration_seconds', '', out);
    head('mreg_last_reload_duration_seconds', 'gauge', 'Duration of the most recent load.');
    out.push(`mreg_last_reload_duration_seconds ${this.lastReloadSeconds}`);
    const s = holder.current;
    head('mreg_ready', 'gauge', '1 once a good commit is served.');
    out.push(`mreg_ready ${s ? 1 : 0}`);
    head('mreg_loaded_commit_info', 'gauge', 'The commit being served (value always 1).');
    if (s) out.push(`mreg_loaded_commit_info{branch="${esc(branch)}",commit="${s.commit}"} 1`);
    head('mreg_loaded_timestamp_seconds', 'gauge', 'When the served commit was swapped in.');
    out.push(`mreg_loaded_timestamp_seconds ${s ? s.loadedAt / 1000 : 0}`);
    if (s) {
      let versions = 0;
      for (const m of s.loaded.state.models.values()) versions += m.versions.size;
      head('mreg_registered_models', 'gauge', 'Registered models in the served commit.');
      out.push(`mreg_registered_models ${s.loaded.state.models.size}`);
      head('mreg_model_versions', 'gauge', 'Model versions in the served commit.');
      out.push(`mreg_model_versions ${versions}`);
    }
    const err = holder.lastError;
    head(
      'mreg_last_reload_failed',
      'gauge',
      '1 when the branch tip could not be served and an older commit is served instead.',
    );
    out.push(`mreg_last_reload_failed ${err ? 1 : 0}`);
    head('mreg_last_reload_error_info', 'gauge', 'The last reload error (value always 1; absent after a good reload).');
    if (err) {
      const msg = err.message.length > 300 ? err.message.slice(0, 300) + '…' : err.message;
      out.push(`mreg_last_reload_error_info{commit="${err.commit ?? ''}",message="${esc(msg)}"} 1`);
    }
    head('mreg_snapshots_written_total', 'counter', 'Snapshots of the parsed state written for fast restarts.');
    out.push(`mreg_snapshots_written_total ${this.snapshotsWritten}`);
    head('mreg_fetches_total', 'counter', 'Fetches from the --remote.');
    out.push(`mreg_fetches_total ${this.fetches}`);
    head('mreg_fetches_failed_total', 'counter', 'Fetches from the --remote that failed.');
    out.push(`mreg_fetches_failed_total ${this.fetchesFailed}`);
    return out.join('\n') + '\n';
  }

  reply(holder: StateHolder, branch: string): Reply {
    return {
      status: 200,
      body: this.render(holder, branch),
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      cacheable: false,
    };
  }
}
