// A registered model (`/ui/models/<name>`): description (Markdown), aliases, tags and its versions, 50 a
// page, newest first. A page costs what it shows: versions are walked down from latest_version (or taken
// from the per-stage lists summarised once per model), never sorted per request.
import { modelFilePath } from '../../../domain/layout.js';
import { parseStage, STAGES, type Stage } from '../../../domain/stages.js';
import { sortedAliases, type ModelEntry, type VersionFile } from '../../../domain/state.js';
import { formatCount, plural, timeTag } from '../format.js';
import { html, type Html } from '../html.js';
import { commandsPanel, crumbs, kvTable, page, pager, stageBadge } from '../layout.js';
import { firstLine, renderMarkdown } from '../markdown.js';
import { mregCommand, ph } from '../shell.js';
import { summarize, type ModelSummary } from '../summaries.js';
import { modelPath, type View } from '../view.js';
import { errorPage, nowHref, pageParam, type Rendered } from './common.js';

const VERSIONS_PAGE_SIZE = 50;

/**
 * One page of versions: numbers walked down from latest_version (or up from 1), skipping deleted ones,
 * or a slice of the model's per-stage list. O(offset + page size + gaps), no sort.
 */
export function versionsPage(
  entry: ModelEntry,
  s: ModelSummary,
  stage: Stage | undefined,
  ascending: boolean,
  offset: number,
  size: number,
): VersionFile[] {
  if (stage) {
    const list = s.byStage[stage]; // highest first
    const out: VersionFile[] = [];
    for (let i = offset; i < Math.min(list.length, offset + size); i++) {
      out.push(entry.versions.get(list[ascending ? list.length - 1 - i : i]!)!);
    }
    return out;
  }
  const out: VersionFile[] = [];
  let seen = 0;
  const top = Math.max(entry.latestVersion, s.latest ?? 0);
  for (let k = 0; k < top && out.length < size; k++) {
    const v = entry.versions.get(ascending ? k + 1 : top - k);
    if (!v) continue;
    if (seen++ >= offset) out.push(v);
  }
  return out;
}

export function modelNotFound(view: View, name: string): Rendered {
  return errorPage(
    view,
    404,
    'Model not found',
    html`There is no registered model named <strong>${name}</strong>${view.travel ? ' at this commit' : ''}. It may have been renamed or deleted: see <a href="${view.links.history({ model: name })}">its activity</a>.`,
    modelPath(name),
  );
}

function versionRow(view: View, name: string, s: ModelSummary, v: VersionFile): Html {
  const aliases = s.aliasesByVersion.get(v.version) ?? [];
  return html`<tr>
<td class="name nowrap" data-label="Version"><a href="${view.links.version(name, v.version)}">Version ${v.version}</a></td>
<td data-label="Stage">${stageBadge(v.stage)}</td>
<td class="${aliases.length ? '' : 'none'}" data-label="Aliases">${aliases.length ? html`<span class="chips">${aliases.map((a) => html`<span class="chip alias">@${a}</span>`)}</span>` : html`<span class="muted">—</span>`}</td>
<td class="time" data-label="Registered">${timeTag(v.created_at)}</td>
<td class="nowrap${v.user_id ? '' : ' none'}" data-label="Author">${v.user_id ?? html`<span class="muted">—</span>`}</td>
<td class="src" data-label="Source"><code title="${v.source}">${v.source}</code></td>
<td class="desc${firstLine(v.description) ? '' : ' none'}" data-label="Description">${firstLine(v.description, 80) || html`<span class="muted">—</span>`}</td>
</tr>`;
}

export function modelPage(view: View, name: string): Rendered {
  const entry = view.state.models.get(name);
  if (!entry) return modelNotFound(view, name);
  const s = summarize(entry);
  const m = entry.file;
  const stage = parseStage(view.query.get('stage') ?? '') ?? undefined;
  const ascending = view.query.get('order') === 'asc';
  const total = stage ? s.byStage[stage].length : entry.versions.size;
  const pages = Math.max(1, Math.ceil(total / VERSIONS_PAGE_SIZE));
  const p = Math.min(pageParam(view.query.get('page')), pages);
  const rows = versionsPage(entry, s, stage, ascending, (p - 1) * VERSIONS_PAGE_SIZE, VERSIONS_PAGE_SIZE);
  const orderQ = ascending ? 'asc' : undefined;
  const here = (q: { stage?: Stage | undefined; order?: string | undefined; page?: number | undefined }) =>
    view.links.model(name, q);

  const aliases = sortedAliases(entry);
  const aliasRows = aliases.map(([a, v]): [string, Html] => {
    const ver = entry.versions.get(v);
    return [
      `@${a}`,
      html`<a href="${view.links.version(name, v)}">Version ${v}</a> ${ver ? stageBadge(ver.stage) : ''}`,
    ];
  });
  const tagRows = Object.entries(m.tags ?? {}).map(([k, v]): [string, string] => [k, v]);

  const tabs = html`<ul class="tabs" aria-label="Filter versions by stage">
<li><a href="${here({ order: orderQ })}"${!stage ? html` aria-current="page"` : ''}>All<span class="count">${formatCount(entry.versions.size)}</span></a></li>
${STAGES.filter((st) => s.byStage[st].length > 0 || st === stage).map(
  (st) =>
    html`<li><a href="${here({ stage: st, order: orderQ })}"${st === stage ? html` aria-current="page"` : ''}>${st}<span class="count">${formatCount(s.byStage[st].length)}</span></a></li>`,
)}
</ul>`;

  const versionHeader = html`<th scope="col" class="sortable" aria-sort="${ascending ? 'ascending' : 'descending'}"><a class="sort" href="${here({ stage, order: ascending ? undefined : 'asc' })}" title="${ascending ? 'Newest first' : 'Oldest first'}">Version<span class="arrow" aria-hidden="true">${ascending ? '▲' : '▼'}</span></a></th>`;
  const versionsTable =
    rows.length === 0
      ? html`<div class="empty"><h2>${entry.versions.size === 0 ? 'No versions yet' : `No versions in ${stage ?? 'this view'}`}</h2><p>${
          entry.versions.size === 0
            ? 'Register one with the command below.'
            : html`<a href="${here({})}">Show all versions</a>`
        }</p></div>`
      : html`<div class="table-wrap"><table class="collapse">
<caption class="sr-only">Versions of ${name}${stage ? ` in ${stage}` : ''}, ${ascending ? 'oldest' : 'newest'} first</caption>
<thead><tr>${versionHeader}<th scope="col">Stage</th><th scope="col">Aliases</th><th scope="col">Registered</th><th scope="col">Author</th><th scope="col">Source</th><th scope="col">Description</th></tr></thead>
<tbody>${rows.map((v) => versionRow(view, name, s, v))}</tbody>
</table></div>
${pager({ page: p, pageSize: VERSIONS_PAGE_SIZE, total, noun: total === 1 ? 'version' : 'versions', label: 'Version pages', href: (n) => here({ stage, order: orderQ, page: n === 1 ? undefined : n }) })}`;

  const latest = s.latest;
  const aliasExample = aliases[0]?.[0] ?? 'champion';
  const commands = [
    {
      label: 'Register the next version',
      command: mregCommand('register', [name], ['--source', ph('URI'), '--run-id', ph('RUN_ID')]),
    },
    { label: 'Set the description', command: mregCommand('describe', [name, ph('TEXT')]) },
    { label: 'Set a tag', command: mregCommand('tag', [name, ph('KEY=VALUE')]) },
    {
      label: 'Point an alias at a version',
      command: mregCommand('alias', [name, aliasExample, latest ?? ph('VERSION')]),
    },
    { label: 'Rename the model', command: mregCommand('rename', [name, ph('NEW_NAME')]) },
    { label: 'Its history on the command line', command: mregCommand('history', [name]) },
  ];

  const body = html`${crumbs([['Models', view.links.models()], [name]])}
<div class="page-head"><div>
<div class="title"><h1>${name}</h1></div>
<div class="sub">
<span><strong>${plural(entry.versions.size, 'version')}</strong>${latest !== undefined ? html`, latest <a href="${view.links.version(name, latest)}">Version ${latest}</a>` : ''}</span>
<span>Created ${timeTag(m.created_at)}</span>
<span>Last modified ${timeTag(m.updated_at)}</span>
<span><a href="${view.links.history({ model: name })}">Activity</a></span>
</div></div></div>
<div class="grid-2">
<section class="card" aria-labelledby="desc-h"><h2 id="desc-h">Description</h2>
${m.description ? html`<div class="md">${renderMarkdown(m.description)}</div>` : html`<p class="empty-text">No description.</p>`}
</section>
<div class="stack">
<section class="card" aria-labelledby="aliases-h"><h2 id="aliases-h">Aliases</h2>${kvTable('Aliases', aliasRows, 'No aliases.')}</section>
<section class="card" aria-labelledby="tags-h"><h2 id="tags-h">Tags</h2>${kvTable('Tags', tagRows, 'No tags.')}</section>
</div>
</div>
<section aria-labelledby="versions-h">
<div class="section-head"><h2 id="versions-h">Versions</h2>${tabs}</div>
${versionsTable}
</section>
${commandsPanel(view, commands, { note: html`This UI is read-only. Run one of these in a clone of the registry (add <code>--push</code> to push), or edit <code>${modelFilePath(name)}</code> in a pull request.` })}`;
  return {
    status: 200,
    doc: page(view, { title: name, section: 'models', nowHref: nowHref(view, modelPath(name)), body }),
  };
}
