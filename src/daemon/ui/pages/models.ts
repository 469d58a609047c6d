// Registered models (`/`): MLflow's search grammar in a search box, sortable columns, pages of 25, with
// page, filter and order in the URL. A filter MLflow rejects shows MLflow's message (400), not a crash.
import { isRegistryError } from '../../../errors.js';
import { pageByNumber, selectModels } from '../../../domain/search.js';
import { sortedAliases } from '../../../domain/state.js';
import { formatCount, timeTag } from '../format.js';
import { html, raw, type Html } from '../html.js';
import { commandsPanel, emptyState, page, pager, tagChips } from '../layout.js';
import { mregCommand, ph } from '../shell.js';
import { summaries, type ModelSummary } from '../summaries.js';
import type { View } from '../view.js';
import { nowHref, pageParam, type Rendered } from './common.js';

const MODELS_PAGE_SIZE = 25;

const ORDERS: Readonly<Record<string, readonly string[]>> = {
  name: ['name ASC'],
  '-name': ['name DESC'],
  updated: ['last_updated_timestamp ASC'],
  '-updated': ['last_updated_timestamp DESC'],
};

/** Text with no operator or quote is a name search, as in MLflow's UI: `fraud` → `name ILIKE '%fraud%'`. */
export function searchToFilter(q: string): { filter: string; plain: boolean } {
  const t = q.trim();
  if (t === '' || /[=<>!'"`()]/.test(t) || /\b(i?like|in)\b/i.test(t)) return { filter: t, plain: false };
  return { filter: `name ILIKE '%${t}%'`, plain: true };
}

const EXAMPLES: ReadonlyArray<readonly [string, string]> = [
  ["name LIKE 'fraud%'", 'names starting with fraud (case-sensitive)'],
  ["name ILIKE '%score%'", 'names containing score, any case'],
  ["tags.team = 'risk'", 'models tagged team = risk'],
  ["tags.`owner email` != ''", 'a tag key with spaces, in backticks'],
  ["name IN ('fraud', 'churn')", 'one of several names'],
  ["name LIKE 'recsys%' AND tags.tier = 'gold'", 'clauses joined with AND'],
];

function stageVersions(view: View, s: ModelSummary, stage: 'Staging' | 'Production'): Html {
  const list = s.byStage[stage];
  if (list.length === 0) return html`<span class="muted">—</span>`;
  const shown = list.slice(0, 3);
  return html`<span class="vlist">${shown.map((n) => html`<a href="${view.links.version(s.name, n)}">v${n}</a>`)}${
    list.length > 3 ? html`<span class="muted">+${list.length - 3}</span>` : ''
  }</span>`;
}

function aliasChips(view: View, s: ModelSummary): Html {
  const aliases = sortedAliases(s.entry);
  if (aliases.length === 0) return html`<span class="muted">—</span>`;
  const shown = aliases.slice(0, 4);
  return html`<span class="chips">${shown.map(
    ([a, v]) =>
      html`<a class="chip alias" href="${view.links.version(s.name, v)}" title="@${a} → version ${v}">@${a}<span class="muted">v${v}</span></a>`,
  )}${aliases.length > 4 ? html`<span class="chip more">+${aliases.length - 4}</span>` : ''}</span>`;
}

function row(view: View, s: ModelSummary): Html {
  // `none` marks an empty cell, which narrow screens leave out of the row's card.
  const none = (empty: boolean): string => (empty ? ' none' : '');
  const hasAliases = Object.keys(s.entry.aliases).length > 0;
  return html`<tr>
<td class="name" data-label="Name"><a href="${view.links.model(s.name)}">${s.name}</a></td>
<td class="nowrap${none(s.latest === undefined)}" data-label="Latest">${s.latest !== undefined ? html`<a href="${view.links.version(s.name, s.latest)}">Version ${s.latest}</a>` : html`<span class="muted">—</span>`}</td>
<td class="${none(s.byStage.Staging.length === 0)}" data-label="Staging">${stageVersions(view, s, 'Staging')}</td>
<td class="${none(s.byStage.Production.length === 0)}" data-label="Production">${stageVersions(view, s, 'Production')}</td>
<td class="${none(!hasAliases)}" data-label="Aliases">${aliasChips(view, s)}</td>
<td class="${none(Object.keys(s.tags).length === 0)}" data-label="Tags">${tagChips(s.tags, 3)}</td>
<td class="time" data-label="Modified">${timeTag(s.entry.lastUpdated)}</td>
</tr>`;
}

function sortHeader(view: View, label: string, key: 'name' | 'updated', order: string, q: string): Html {
  const active = order === key || order === `-${key}`;
  const desc = order === `-${key}`;
  const next = active ? (desc ? key : `-${key}`) : key === 'updated' ? '-updated' : 'name';
  const sort = active ? (desc ? 'descending' : 'ascending') : undefined;
  const arrow = active ? (desc ? '▼' : '▲') : '↕';
  const hint = `Sort by ${label.toLowerCase()}, ${next.startsWith('-') ? 'descending' : 'ascending'}`;
  return html`<th scope="col" class="sortable"${sort ? html` aria-sort="${sort}"` : ''}><a class="sort" href="${view.links.models({ q, order: next === 'name' ? undefined : next })}" title="${hint}">${label}<span class="arrow" aria-hidden="true">${arrow}</span></a></th>`;
}

export function modelsPage(view: View): Rendered {
  const q = view.query.get('q') ?? '';
  const orderParam = view.query.get('order') ?? 'name';
  const order = Object.hasOwn(ORDERS, orderParam) ? orderParam : 'name';
  const requested = pageParam(view.query.get('page'));
  const all = summaries(view.state);
  const { filter, plain } = searchToFilter(q);

  let error: string | undefined;
  let matches: ModelSummary[] = [];
  try {
    matches = selectModels(all, filter, ORDERS[order]);
  } catch (e) {
    if (!isRegistryError(e)) throw e;
    error = e.message;
  }
  const { items: shown, page: p } = pageByNumber(matches, requested, MODELS_PAGE_SIZE);
  const orderQ = order === 'name' ? undefined : order;

  const searchForm = html`<form class="search" role="search" method="get" action="/">
<label for="q">Search</label>
<input type="search" id="q" name="q" value="${q}" placeholder="name LIKE 'fraud%' AND tags.team = 'risk'" autocomplete="off" spellcheck="false" aria-describedby="q-help"${error ? raw(' aria-invalid="true"') : ''}>
${orderQ ? html`<input type="hidden" name="order" value="${orderQ}">` : ''}
${view.travel ? html`<input type="hidden" name="at" value="${view.travel.commit}">` : ''}
<button type="submit">Search</button>
${q !== '' ? html`<a class="button secondary" href="${view.links.models({ order: orderQ })}">Clear</a>` : ''}
</form>
<details class="help" id="q-help"><summary>Filter syntax (MLflow)</summary>
<p>Plain text searches names (any case). Otherwise use MLflow's filter grammar on <code>name</code> and <code>tags.&lt;key&gt;</code> with <code>=</code>, <code>!=</code>, <code>LIKE</code>, <code>ILIKE</code> and <code>IN</code>, joined by <code>AND</code>; <code>%</code> matches any run of characters and <code>_</code> one character.</p>
<ul>${EXAMPLES.map(([f, what]) => html`<li><a href="${view.links.models({ q: f })}"><code>${f}</code></a> — ${what}</li>`)}</ul>
</details>`;

  let content: Html;
  if (error !== undefined) {
    content = html`<div class="banner error" role="alert"><strong>This filter is not valid.</strong> MLflow's message: <code>${error}</code></div>`;
  } else if (all.length === 0) {
    content = emptyState(
      'No registered models yet',
      'Register a first version from a pipeline or a shell; the model is created with it.',
      mregCommand('register', [ph('NAME')], ['--source', ph('URI')]),
    );
  } else if (matches.length === 0) {
    content = emptyState(
      'No models match',
      html`Nothing matches <code>${filter}</code>. <a href="${view.links.models({ order: orderQ })}">Show all models</a>.`,
    );
  } else {
    content = html`${plain ? html`<p class="result-line">Names containing “${q.trim()}” (filter <code>${filter}</code>)</p>` : ''}
<div class="table-wrap">
<table class="collapse">
<caption class="sr-only">Registered models${q ? `, filtered by ${filter}` : ''}</caption>
<thead><tr>
${sortHeader(view, 'Name', 'name', order, q)}
<th scope="col">Latest version</th>
<th scope="col">Staging</th>
<th scope="col">Production</th>
<th scope="col">Aliases</th>
<th scope="col">Tags</th>
${sortHeader(view, 'Last modified', 'updated', order, q)}
</tr></thead>
<tbody>${shown.map((s) => row(view, s))}</tbody>
</table>
</div>
${pager({ page: p, pageSize: MODELS_PAGE_SIZE, total: matches.length, noun: matches.length === 1 ? 'model' : 'models', label: 'Model pages', href: (n) => view.links.models({ q, order: orderQ, page: n === 1 ? undefined : n }) })}`;
  }

  const cliSearch =
    filter !== '' || orderQ
      ? mregCommand(
          'search',
          [],
          [...(filter !== '' ? ['--filter', filter] : []), ...(orderQ ? ['--order-by', ORDERS[order]![0]!] : [])],
        )
      : undefined;
  const commands = [
    {
      label: 'Register a version (creates the model if it is new)',
      command: mregCommand('register', [ph('NAME')], ['--source', ph('URI'), '--run-id', ph('RUN_ID')]),
    },
    {
      label: 'Create an empty model',
      command: mregCommand('create', [ph('NAME')], ['--description', ph('TEXT'), '--tag', ph('KEY=VALUE')]),
    },
    ...(cliSearch ? [{ label: 'This search on the command line', command: cliSearch }] : []),
  ];

  const body = html`<div class="page-head"><div><div class="title"><h1>Registered models</h1></div>
<div class="sub"><span><strong>${formatCount(all.length)}</strong> ${all.length === 1 ? 'model' : 'models'}</span></div></div></div>
<section class="toolbar" aria-label="Search models">${searchForm}</section>
<section aria-label="Models">${content}</section>
${commandsPanel(view, commands)}`;
  const title = q ? `Models matching ${q}` : 'Registered models';
  return {
    status: error !== undefined ? 400 : 200,
    doc: page(view, { title, section: 'models', nowHref: nowHref(view, '/'), body }),
  };
}
