// Activity (`/ui/history`): the branch's history, newest first, each commit with its time, author, short
// oid and operations; `?model=` follows one model (across renames), `?before=<commit>` pages back.
import { nameProblem } from '../../../domain/names.js';
import { isRegistryError } from '../../../errors.js';
import { html } from '../html.js';
import { commandsPanel, page } from '../layout.js';
import { mregCommand } from '../shell.js';
import { historyFrom, timeline } from '../timeline.js';
import { HISTORY_PATH, Links, type View } from '../view.js';
import { errorPage, nowHref, type Rendered } from './common.js';

const HISTORY_PAGE_SIZE = 30;
/** Commits one page examines at most: a model changed rarely on a long history fills its page over several. */
const HISTORY_SCAN = 5_000;
const OID = /^[0-9a-f]{40}$/;

export async function historyPage(view: View): Promise<Rendered> {
  const modelParam = (view.query.get('model') ?? '').trim();
  const model = modelParam === '' ? undefined : modelParam;
  const before = view.query.get('before') ?? undefined;
  if (model !== undefined && nameProblem(model)) {
    return errorPage(
      view,
      400,
      'Not a model name',
      html`<strong>${model}</strong> cannot be a registered model's name: it ${nameProblem(model)}.`,
      HISTORY_PATH,
    );
  }
  let start: string | undefined = view.served.commit;
  if (before !== undefined) {
    if (!OID.test(before))
      return errorPage(
        view,
        400,
        'Bad page link',
        html`<code>before</code> must be a full commit id (40 hex digits), not <code>${before}</code>.`,
        HISTORY_PATH,
      );
    try {
      start = (await view.deps.repo.readCommit(before)).parents[0];
    } catch (e) {
      if (!isRegistryError(e)) throw e;
      return errorPage(
        view,
        400,
        'Unknown commit',
        html`There is no commit <code>${before}</code> in this repository.`,
        HISTORY_PATH,
      );
    }
  }
  const fetched = start
    ? await historyFrom(view, start, {
        ...(model !== undefined ? { model } : {}),
        limit: HISTORY_PAGE_SIZE,
        scan: HISTORY_SCAN,
      })
    : { entries: [], resume: { next: undefined, last: undefined, names: [] } };
  const { entries, resume } = fetched;
  // The next page starts after the last commit this one examined (a full page, or the scan's bound), and
  // follows the model under the name it had there (a rename seen on the way adds the older name).
  const more = resume.next !== undefined && resume.last !== undefined;
  const follow = model !== undefined ? (resume.names.at(-1) ?? model) : undefined;
  const scannedOut = more && entries.length < HISTORY_PAGE_SIZE;

  const filterForm = html`<form class="search" method="get" action="${HISTORY_PATH}" role="search">
<label for="model">Model</label>
<input type="text" id="model" name="model" value="${model ?? ''}" placeholder="every model" autocomplete="off" spellcheck="false">
${view.travel ? html`<input type="hidden" name="at" value="${view.travel.commit}">` : ''}
<button type="submit">Filter</button>
${model !== undefined ? html`<a class="button secondary" href="${view.links.history()}">All models</a>` : ''}
</form>`;

  const nav = html`<nav class="pager" aria-label="Activity pages"><span class="count">${entries.length ? `${entries.length} ${entries.length === 1 ? 'commit' : 'commits'}${before ? ' (older)' : ''}` : ''}${
    scannedOut ? ` · looked through ${HISTORY_SCAN.toLocaleString('en-US')} commits; older ones on the next page` : ''
  }</span><ul>
${before ? html`<li><a href="${view.links.history({ model })}">← Newest</a></li>` : ''}
${more ? html`<li><a href="${view.links.history({ model: follow, before: resume.last })}" rel="next">Older →</a></li>` : html`<li><span class="off">End of history</span></li>`}
</ul></nav>`;

  const heading =
    model !== undefined ? html`Activity of <a href="${view.links.model(model)}">${model}</a>` : html`Activity`;
  const body = html`<div class="page-head"><div><div class="title"><h1>${heading}</h1></div>
<div class="sub"><span>${model !== undefined ? 'Every commit that changed this model (following renames)' : 'Every commit on the branch'}, newest first, from git.</span></div></div></div>
<section class="toolbar" aria-label="Filter activity">${filterForm}</section>
<section aria-label="Commits">
${
  entries.length || more
    ? html`${entries.length ? timeline(view, entries, (c) => new Links(c).models(), 'Commits') : html`<p class="empty-text">No changes in these commits.</p>`}${nav}`
    : html`<div class="empty"><h2>No activity</h2><p>${model !== undefined ? html`No commit on this branch changed a model named <strong>${model}</strong>.` : 'This branch has no registry commits yet.'}</p></div>`
}
</section>
${commandsPanel(
  view,
  [
    { label: 'This history on the command line', command: mregCommand('history', model !== undefined ? [model] : []) },
    {
      label: 'Resolve a model as of a past moment',
      command: mregCommand('resolve', [`models:/${model ?? 'NAME'}/Production`], ['--at', '2026-01-01T00:00:00Z']),
    },
  ],
  {
    title: 'On the command line',
    note: html`Every page can show the registry as of a commit or a time: click a commit id above, or add <code>?at=</code> with a commit, a ref or an ISO time to any address.`,
  },
)}`;
  return {
    status: 200,
    doc: page(view, {
      title: model !== undefined ? `Activity of ${model}` : 'Activity',
      section: 'history',
      nowHref: nowHref(view, HISTORY_PATH),
      body,
    }),
  };
}
