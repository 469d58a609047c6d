// A model version (`/ui/models/<name>/versions/<n>`): stage, aliases, tags, description, every lineage
// field the schema holds, and the version's own history from git (who changed what, when, in which commit).
import { versionFilePath } from '../../../domain/layout.js';
import { nameProblem } from '../../../domain/names.js';
import { MAX_VERSION } from '../../../domain/rules.js';
import { isRegistryError } from '../../../errors.js';
import { downloadUri } from '../../../domain/queries.js';
import type { Stage } from '../../../domain/stages.js';
import type { ModelEntry, VersionFile } from '../../../domain/state.js';
import { formatCount, shortOid, timeTag } from '../format.js';
import { html, type Child, type Html } from '../html.js';
import { commandsPanel, crumbs, kvTable, page, stageBadge, type Command } from '../layout.js';
import { renderMarkdown, safeHttpUrl } from '../markdown.js';
import { mregCommand, ph } from '../shell.js';
import { summarize } from '../summaries.js';
import { historyFrom, timeline } from '../timeline.js';
import { Links, versionPath, type View } from '../view.js';
import { errorPage, nowHref, type Rendered } from './common.js';
import { modelNotFound } from './model.js';

/** Commits a version page examines for its history at most (a long history continues on the next page). */
const HISTORY_SCAN = 1_000;
const OID = /^[0-9a-f]{40}$/;

/** Where this page's history walk starts: the viewed commit, or the parent of `history_before` (a resumed walk). */
async function historyStart(
  view: View,
  name: string,
): Promise<{ start: string | undefined; model: string; resumed?: string } | { error: string }> {
  const before = view.query.get('history_before');
  if (before === null) return { start: view.served.commit, model: name };
  const model = view.query.get('history_model') ?? name;
  if (!OID.test(before)) return { error: 'history_before must be a full commit id (40 hex digits).' };
  if (nameProblem(model)) return { error: 'history_model is not a model name.' };
  try {
    return { start: (await view.deps.repo.readCommit(before)).parents[0], model, resumed: before };
  } catch (e) {
    if (!isRegistryError(e)) throw e;
    return { error: `There is no commit ${before} in this repository.` };
  }
}
/** How far a neighbour (previous/next live version) is looked for. */
const NEIGHBOUR_SCAN = 10_000;

function parseVersionNumber(segment: string): number | undefined {
  if (!/^[1-9]\d{0,9}$/.test(segment)) return undefined;
  const n = Number(segment);
  return n <= MAX_VERSION ? n : undefined;
}

function neighbour(entry: ModelEntry, n: number, step: 1 | -1): number | undefined {
  const top = entry.latestVersion;
  for (let k = n + step, i = 0; k >= 1 && k <= top && i < NEIGHBOUR_SCAN; k += step, i++)
    if (entry.versions.has(k)) return k;
  return undefined;
}

const NEXT_STAGE: Record<Stage, Stage> = {
  None: 'Staging',
  Staging: 'Production',
  Production: 'Archived',
  Archived: 'Staging',
};

function field(value: string | undefined, mono = true): Child {
  if (value === undefined || value === '') return html`<span class="muted">—</span>`;
  return mono ? html`<code>${value}</code>` : value;
}

function runLink(url: string | undefined): Child {
  if (url === undefined || url === '') return html`<span class="muted">—</span>`;
  const safe = safeHttpUrl(url);
  if (!safe) return html`<code>${url}</code> <span class="muted">(not an http(s) link)</span>`;
  return html`<a href="${safe}" rel="nofollow noopener noreferrer">${url}</a>`;
}

function commandsFor(
  name: string,
  v: VersionFile,
  aliases: readonly string[],
  occupied: readonly number[],
  travelCommit: string | undefined,
): Command[] {
  const next = NEXT_STAGE[v.stage];
  // Archive the current holders of the target stage with it when there are any (as a promotion usually does).
  const archive = next === 'Production' && occupied.some((k) => k !== v.version);
  const cmds: Command[] = [
    {
      label: `Move to ${next}${archive ? `, archiving the version${occupied.length > 1 ? 's' : ''} there now` : ''}`,
      command: mregCommand('transition', [name, v.version, next], archive ? ['--archive-existing'] : []),
    },
    { label: 'Point an alias here', command: mregCommand('alias', [name, aliases[0] ?? 'champion', v.version]) },
    { label: 'Set a tag', command: mregCommand('tag', [name, v.version, ph('KEY=VALUE')]) },
    { label: 'Set the description', command: mregCommand('describe', [name, v.version, ph('TEXT')]) },
    { label: 'Its history on the command line', command: mregCommand('history', [name, v.version]) },
  ];
  if (travelCommit)
    cmds.push({
      label: 'Resolve it as of this commit',
      command: mregCommand('resolve', [`models:/${name}/${v.version}`], ['--at', travelCommit]),
    });
  return cmds;
}

export async function versionPage(view: View, name: string, segment: string): Promise<Rendered> {
  const entry = view.state.models.get(name);
  if (!entry) return modelNotFound(view, name);
  const n = parseVersionNumber(segment);
  const path = n !== undefined ? versionPath(name, n) : `/ui/models/${encodeURIComponent(name)}`;
  const v = n !== undefined ? entry.versions.get(n) : undefined;
  if (n === undefined || !v) {
    const latest = summarize(entry).latest;
    const why =
      n === undefined
        ? html`<strong>${segment}</strong> is not a version number.`
        : n <= entry.latestVersion
          ? html`Version ${n} of <strong>${name}</strong> was deleted${view.travel ? ' before this commit' : ''}: see <a href="${view.links.history({ model: name })}">the model's activity</a>.`
          : html`<strong>${name}</strong> has no version ${n}${latest !== undefined ? html` (the latest is <a href="${view.links.version(name, latest)}">version ${latest}</a>)` : ''}.`;
    return errorPage(view, 404, 'Version not found', why, path);
  }
  const s = summarize(entry);
  const aliases = s.aliasesByVersion.get(v.version) ?? [];
  // The history is walked back at most HISTORY_SCAN commits per page; "search further back" resumes.
  const from = await historyStart(view, name);
  if ('error' in from) return errorPage(view, 400, 'Bad history link', from.error, path);
  const { entries, resume } =
    from.start === undefined
      ? { entries: [], resume: { next: undefined, last: undefined, names: [] } }
      : await historyFrom(view, from.start, {
          model: from.model,
          version: v.version,
          aliases: true,
          untilRegistered: v.version,
          scan: HISTORY_SCAN,
        });
  const older =
    resume.next !== undefined && resume.last !== undefined
      ? html`<p class="result-line">Looked through ${formatCount(HISTORY_SCAN)} commits${from.resumed ? ' more' : ''} without reaching this version's registration. <a href="${view.links.version(name, v.version, { history_before: resume.last, history_model: resume.names.at(-1) ?? from.model })}">Search further back →</a></p>`
      : '';
  const prev = neighbour(entry, v.version, -1);
  const next = neighbour(entry, v.version, 1);
  const tags = Object.entries(v.tags ?? {}).map(([k, val]): [string, string] => [k, val]);
  const dl = (rows: ReadonlyArray<readonly [string, Child]>): Html =>
    html`<dl class="props">${rows.map(([k, val]) => html`<dt>${k}</dt><dd>${val}</dd>`)}</dl>`;
  const download = downloadUri(v);

  const body = html`${crumbs([['Models', view.links.models()], [name, view.links.model(name)], [`Version ${v.version}`]])}
<div class="page-head"><div>
<div class="title"><h1>${name} <span class="muted">·</span> Version ${v.version}</h1>${stageBadge(v.stage)}${aliases.map((a) => html`<span class="chip alias">@${a}</span>`)}</div>
<div class="sub">
<span>Registered ${timeTag(v.created_at)}${v.user_id ? html` by <strong>${v.user_id}</strong>` : ''}</span>
<span>Last modified ${timeTag(v.updated_at)}</span>
<span>Status ${v.status}</span>
</div></div>
<nav class="vnav" aria-label="Other versions"><span class="chips">${prev !== undefined ? html`<a class="chip" href="${view.links.version(name, prev)}" rel="prev">← Version ${prev}</a>` : ''}<a class="chip" href="${view.links.model(name)}">All versions</a>${
    next !== undefined
      ? html`<a class="chip" href="${view.links.version(name, next)}" rel="next">Version ${next} →</a>`
      : ''
  }</span></nav>
</div>
<div class="grid-2">
<div class="stack">
<section class="card" aria-labelledby="desc-h"><h2 id="desc-h">Description</h2>
${v.description ? html`<div class="md">${renderMarkdown(v.description)}</div>` : html`<p class="empty-text">No description.</p>`}
</section>
<section class="card" aria-labelledby="lineage-h"><h2 id="lineage-h">Lineage</h2>
${dl([
  ['Run ID', field(v.run_id)],
  ['Run link', runLink(v.run_link)],
  ['Source', field(v.source)],
  ['Download URI', field(download)],
  ...(v.storage_location ? ([['Storage location', field(v.storage_location)]] as const) : []),
  ['Digest', field(v.digest)],
  ['Code commit', field(v.code_commit)],
  ['Dataset', field(v.dataset)],
  ['User', field(v.user_id, false)],
])}
</section>
</div>
<div class="stack">
<section class="card" aria-labelledby="details-h"><h2 id="details-h">Details</h2>
${dl([
  ['Stage', stageBadge(v.stage)],
  [
    'Aliases',
    aliases.length
      ? html`<span class="chips">${aliases.map((a) => html`<span class="chip alias">@${a}</span>`)}</span>`
      : html`<span class="muted">—</span>`,
  ],
  ['Status', v.status_message ? html`${v.status} <span class="muted">— ${v.status_message}</span>` : v.status],
  ['Registered', timeTag(v.created_at, true)],
  ['Last modified', timeTag(v.updated_at, true)],
  ['File', html`<code>${versionFilePath(name, v.version)}</code>`],
])}
</section>
<section class="card" aria-labelledby="tags-h"><h2 id="tags-h">Tags</h2>${kvTable('Tags', tags, 'No tags.')}</section>
</div>
</div>
<section aria-labelledby="history-h">
<div class="section-head"><h2 id="history-h">History of this version</h2><span class="muted">${formatCount(entries.length)} ${entries.length === 1 ? 'change' : 'changes'}${from.resumed ? html` older than <code>${shortOid(from.resumed)}</code> (<a href="${view.links.version(name, v.version)}">newest</a>)` : ''}, newest first · from git</span></div>
${
  entries.length
    ? timeline(view, entries, (c) => new Links(c).version(name, v.version), `History of ${name} version ${v.version}`)
    : html`<p class="empty-text">No changes found${from.resumed ? ' in these commits' : ' on this branch'}.</p>`
}
${older}
</section>
${commandsPanel(view, commandsFor(name, v, aliases, s.byStage[NEXT_STAGE[v.stage]], view.travel?.commit), { note: html`This UI is read-only. Run one of these in a clone of the registry (add <code>--push</code> to push), or edit <code>${versionFilePath(name, v.version)}</code> in a pull request.` })}`;
  return {
    status: 200,
    doc: page(view, { title: `${name} v${v.version}`, section: 'models', nowHref: nowHref(view, path), body }),
  };
}
