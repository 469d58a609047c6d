// The page shell (header, time-travel banner, footer) and the pieces every page shares: stage badges,
// chips, pagination, the commands panel, empty states. All markup goes through `html`.
import type { Stage } from '../../domain/stages.js';
import { assetUrl } from './assets/index.js';
import { formatCount, shortOid, timeTag } from './format.js';
import { html, raw, type Child, type Html } from './html.js';
import type { ServingStatus } from '../ui-deps.js';
import type { View } from './view.js';

type Section = 'models' | 'history' | 'webhooks' | 'none';

export interface PageOptions {
  title: string;
  section: Section;
  /** The same page now (without `at`), for the time-travel banner. */
  nowHref: string;
  body: Child;
}

// A small SVG mark as a data: URL (the CSP allows data: images), so browsers do not ask for /favicon.ico.
const FAVICON =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#2f6fd8"/><path d="M8 23V10l8 8 8-8v13" fill="none" stroke="#fff" stroke-width="3.2" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  );

function navItem(href: string, label: string, current: boolean): Html {
  return html`<li><a href="${href}"${current ? raw(' aria-current="page"') : ''}>${label}</a></li>`;
}

/** The time-travel banner, or nothing when the view is now. */
function travelBanner(view: View, nowHref: string): Html | '' {
  const t = view.travel;
  if (!t) return '';
  const asked = t.requested.trim();
  const resolved = asked === t.commit ? '' : html` <span class="asked">(you asked for <code>${asked}</code>)</span>`;
  return html`<div class="banner travel" role="status" id="time-travel">
<strong>Viewing the registry as of ${timeTag(t.time, true)} UTC</strong>, commit <code title="${t.commit}">${shortOid(t.commit)}</code>${resolved} — <a href="${nowHref}">back to now</a>
</div>`;
}

/**
 * What every page must say about what is served: that the branch tip was skipped (it failed validation, so
 * an older commit is served), and on a replica, the remote it follows and when it last fetched.
 */
function servingBanners(status: ServingStatus | undefined, branch: string, served: string): Html | '' {
  if (!status) return '';
  const parts: Html[] = [];
  const s = status.skipped;
  if (s) {
    const which = s.commit ? html`commit <code title="${s.commit}">${shortOid(s.commit)}</code>` : html`the tip`;
    const fix = s.commit ? html` Run <code>mreg validate --ref ${s.commit}</code> to see every problem.` : '';
    parts.push(html`<div class="banner error" role="alert" id="stale-tip">
<strong>Not the tip of <code>${branch}</code>:</strong> ${which} (seen ${timeTag(s.at, true)} UTC) could not be served, so this is the last good commit, <code title="${served}">${shortOid(served)}</code>. ${s.message}${fix}
</div>`);
  }
  const r = status.replica;
  if (r) {
    const fetched = r.lastFetchedAt ? html`last fetched ${timeTag(r.lastFetchedAt, true)} UTC` : html`not fetched yet`;
    const failed = r.lastError
      ? html` <strong>The last fetch failed</strong>${r.lastTriedAt ? html` (${timeTag(r.lastTriedAt, true)} UTC)` : ''}: <code>${r.lastError}</code>`
      : '';
    parts.push(html`<div class="banner ${r.lastError ? 'error' : 'info'}" role="status" id="replica">
Replica following <code>${r.url}</code> (<code>${branch}</code>), fetched every ${formatCount(r.intervalS)} s: ${fetched}.${failed}
</div>`);
  }
  return parts.length ? html`${parts}` : '';
}

/** A whole HTML document. */
export function page(view: View | undefined, opts: PageOptions): Html {
  const links = view?.links;
  const served = view?.now;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${opts.title} · mreg</title>
<link rel="icon" href="${FAVICON}">
<link rel="stylesheet" href="${assetUrl('/static/mreg.css')}">
<script src="${assetUrl('/static/mreg.js')}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<div class="bar">
<a class="brand" href="${links ? links.models() : '/'}"><span class="mark" aria-hidden="true">m</span>mreg</a>
<nav aria-label="Main"><ul>
${navItem(links ? links.models() : '/', 'Models', opts.section === 'models')}
${navItem(links ? links.history() : '/ui/history', 'Activity', opts.section === 'history')}
${navItem('/ui/webhooks', 'Webhooks', opts.section === 'webhooks')}
</ul></nav>
${served ? html`<span class="serving">Serving <code>${view!.deps.branch}</code> at <code title="${served.commit}">${shortOid(served.commit)}</code> · read-only</span>` : ''}
</div>
</header>
<main id="main" tabindex="-1">
${view ? servingBanners(view.deps.status?.(), view.deps.branch, view.now.commit) : ''}
${view ? travelBanner(view, opts.nowHref) : ''}
${opts.body}
</main>
<footer class="foot">
<p>mreg is read-only here: changes are made with <code>mreg</code> or a pull request on the registry repository. Times are UTC.
API: <a href="/api/2.0/mlflow/registered-models/search">MLflow REST</a> · <a href="/readyz">readyz</a> · <a href="/metrics">metrics</a></p>
</footer>
</body>
</html>
`;
}

const STAGE_CLASS: Record<Stage, string> = {
  None: 'stage-none',
  Staging: 'stage-staging',
  Production: 'stage-production',
  Archived: 'stage-archived',
};

export function stageBadge(stage: Stage): Html {
  return html`<span class="badge ${STAGE_CLASS[stage] ?? 'stage-none'}">${stage}</span>`;
}

/** Breadcrumbs: all but the last are links. */
export function crumbs(items: ReadonlyArray<readonly [label: string, href?: string]>): Html {
  return html`<nav class="crumbs" aria-label="Breadcrumb"><ol>${items.map(([label, href], i) =>
    i === items.length - 1 || href === undefined
      ? html`<li><span aria-current="page">${label}</span></li>`
      : html`<li><a href="${href}">${label}</a></li>`,
  )}</ol></nav>`;
}

/** Tags as `key value` chips; at most `max`, then "+N". */
export function tagChips(tags: Readonly<Record<string, string>>, max = 4): Html {
  const entries = Object.entries(tags);
  if (entries.length === 0) return html`<span class="muted">—</span>`;
  const shown = entries.slice(0, max);
  return html`<span class="chips">${shown.map(([k, v]) => html`<span class="chip" title="${k}: ${v}"><span class="k">${k}</span><span class="v">${v}</span></span>`)}${
    entries.length > max ? html`<span class="chip more">+${entries.length - max}</span>` : ''
  }</span>`;
}

/** Key/value table (tags), or an empty note. */
export function kvTable(caption: string, rows: ReadonlyArray<readonly [string, Child]>, empty: string): Html {
  if (rows.length === 0) return html`<p class="empty-text">${empty}</p>`;
  return html`<table class="kv"><caption class="sr-only">${caption}</caption><tbody>${rows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}</tbody></table>`;
}

/** Page numbers around the current one: 1 … 4 5 [6] 7 8 … 20. */
function pageWindow(pageNo: number, pages: number): Array<number | 'gap'> {
  const want = new Set(
    [1, pages, pageNo - 2, pageNo - 1, pageNo, pageNo + 1, pageNo + 2].filter((p) => p >= 1 && p <= pages),
  );
  const sorted = [...want].sort((a, b) => a - b);
  const out: Array<number | 'gap'> = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i > 0 && sorted[i]! - sorted[i - 1]! > 1) out.push('gap');
    out.push(sorted[i]!);
  }
  return out;
}

/** "Showing 51–100 of 10,000 versions" and page links. */
export function pager(opts: {
  page: number;
  pageSize: number;
  total: number;
  noun: string;
  href: (page: number) => string;
  label: string;
}): Html {
  const { page: p, pageSize, total } = opts;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (p - 1) * pageSize + 1;
  const last = Math.min(total, p * pageSize);
  const summary = html`<span class="count">Showing ${formatCount(first)}–${formatCount(last)} of ${formatCount(total)} ${opts.noun}</span>`;
  if (pages <= 1) return html`<div class="pager">${summary}</div>`;
  const prev =
    p > 1
      ? html`<li><a href="${opts.href(p - 1)}" rel="prev">← Previous</a></li>`
      : html`<li><span class="off" aria-hidden="true">← Previous</span></li>`;
  const next =
    p < pages
      ? html`<li><a href="${opts.href(p + 1)}" rel="next">Next →</a></li>`
      : html`<li><span class="off" aria-hidden="true">Next →</span></li>`;
  const nums = pageWindow(p, pages).map((n) =>
    n === 'gap'
      ? html`<li><span class="gap" aria-hidden="true">…</span></li>`
      : n === p
        ? html`<li><span class="cur" aria-current="page"><span class="sr-only">Page </span>${formatCount(n)}</span></li>`
        : html`<li><a href="${opts.href(n)}"><span class="sr-only">Page </span>${formatCount(n)}</a></li>`,
  );
  return html`<nav class="pager" aria-label="${opts.label}">${summary}<ul>${prev}${nums}${next}</ul></nav>`;
}

export interface Command {
  label: string;
  command: string;
}

/** The "how to change this" panel: the UI is read-only, so it shows the commands (or file) that would. */
export function commandsPanel(
  view: View | undefined,
  commands: readonly Command[],
  opts: { note?: Child; title?: string } = {},
): Html {
  const past = view?.travel ? html` <strong>These act on the registry now, not on the past state shown.</strong>` : '';
  return html`<section class="card commands" aria-labelledby="cmds-h">
<h2 id="cmds-h">${opts.title ?? 'Make a change'}</h2>
<p class="readonly-note">${opts.note ?? html`This UI is read-only. Run one of these in a clone of the registry (add <code>--push</code> to push it), or edit the YAML in a pull request.`}${past}</p>
<div class="cmds">${commands.map(
    (c) =>
      html`<div class="cmd"><div class="label">${c.label}</div><div class="line"><pre><code>${c.command}</code></pre></div></div>`,
  )}</div>
</section>`;
}

export function emptyState(title: string, text: Child, command?: string): Html {
  return html`<div class="empty"><h2>${title}</h2><p>${text}</p>${
    command ? html`<div class="cmd"><div class="line"><pre><code>${command}</code></pre></div></div>` : ''
  }</div>`;
}
