// History as the UI shows it: registryHistory's entries (cached: the history behind a commit never
// changes), each commit as a row with its time, author, short oid and operations rendered with links.
import type { Operation } from '../../domain/diff.js';
import { parseStage } from '../../domain/stages.js';
import {
  registryHistory,
  type CommitRef,
  type HistoryEntry,
  type HistoryOptions,
  type HistoryResume,
} from '../../store/history.js';
import { formatCount, shortOid, timeTag } from './format.js';
import { html, type Child, type Html } from './html.js';
import { stageBadge } from './layout.js';
import { firstLine } from './markdown.js';
import { Links, type View } from './view.js';

const MAX_CACHED = 128;
/** Operations held by the cache at most (a 10,000-file commit is 10,000 operations). */
const MAX_CACHED_OPS = 200_000;

/** A page's share of history: the entries found, and where a bounded walk stopped (next undefined: the end). */
export interface HistoryPage {
  entries: HistoryEntry[];
  resume: HistoryResume;
}

const cache = new Map<string, Promise<HistoryPage>>();
const weights = new Map<string, number>();
let cachedOps = 0;

function evict(key: string): void {
  cache.delete(key);
  cachedOps -= weights.get(key) ?? 0;
  weights.delete(key);
}

export interface HistoryQuery extends HistoryOptions {
  /** Stop after the entry that registered this version (older entries are about another life of the name). */
  untilRegistered?: number;
}

/**
 * Entries of the branch's history from `start` (inclusive), newest first, examining at most `q.scan`
 * commits. Cached by its arguments: a commit's past is immutable.
 */
export function historyFrom(view: View, start: string, q: HistoryQuery): Promise<HistoryPage> {
  const key = JSON.stringify([
    start,
    q.model ?? null,
    q.version ?? null,
    q.aliases ?? false,
    q.limit ?? null,
    q.scan ?? null,
    q.untilRegistered ?? null,
  ]);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const p = (async (): Promise<HistoryPage> => {
    const entries: HistoryEntry[] = [];
    const opts: HistoryOptions = {};
    if (q.model !== undefined) opts.model = q.model;
    if (q.version !== undefined) opts.version = q.version;
    if (q.limit !== undefined) opts.limit = q.limit;
    if (q.scan !== undefined) opts.scan = q.scan;
    if (q.aliases !== undefined) opts.aliases = q.aliases;
    const walk = registryHistory(view.deps.repo, start, opts);
    for (;;) {
      const r = await walk.next();
      if (r.done) return { entries, resume: r.value };
      entries.push(r.value);
      if (
        q.untilRegistered !== undefined &&
        r.value.operations.some((op) => op.op === 'version_registered' && op.version === q.untilRegistered)
      ) {
        await walk.return({ next: undefined, last: undefined, names: [] });
        return { entries, resume: { next: undefined, last: r.value.commit, names: [] } };
      }
    }
  })();
  cache.set(key, p);
  p.then(
    (page) => {
      if (cache.get(key) !== p) return;
      const w = page.entries.reduce((n, e) => n + 1 + e.operations.length, 0);
      weights.set(key, w);
      cachedOps += w;
      while ((cachedOps > MAX_CACHED_OPS || cache.size > MAX_CACHED) && cache.size > 1)
        evict(cache.keys().next().value!);
    },
    () => evict(key),
  );
  return p;
}

function clip(v: unknown, max = 80): string {
  return firstLine(typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v), max);
}

/** Renders one operation; names link to the model or version as the view has it, else as of that commit. */
function renderOp(view: View, op: Operation, commit: string): Html {
  const then = new Links(commit);
  const exists = (name: string | undefined, version?: number): boolean => {
    if (name === undefined) return false;
    const e = view.state.models.get(name);
    return e !== undefined && (version === undefined || e.versions.has(version));
  };
  const model = (name: string | undefined, live = true): Child => {
    if (name === undefined) return '';
    if (exists(name)) return html`<a href="${view.links.model(name)}">${name}</a>`;
    return live
      ? html`<a href="${then.model(name)}" title="as of ${shortOid(commit)}">${name}</a>`
      : html`<strong>${name}</strong>`;
  };
  const version = (name: string | undefined, n: number | undefined, live = true): Child => {
    if (name === undefined || n === undefined) return '';
    if (exists(name, n)) return html`<a href="${view.links.version(name, n)}">${name} v${n}</a>`;
    return live
      ? html`<a href="${then.version(name, n)}" title="as of ${shortOid(commit)}">${name} v${n}</a>`
      : html`<strong>${name} v${n}</strong>`;
  };
  const who = op.version !== undefined ? version(op.name, op.version) : model(op.name);
  const quoted = (v: unknown): Html => html`<q>${clip(v)}</q>`;
  const arrow = html`<span class="arrow" aria-hidden="true">→</span><span class="sr-only"> to </span>`;
  const badge = (s: unknown): Child => {
    const st = typeof s === 'string' ? parseStage(s) : undefined;
    return st ? stageBadge(st) : String(s ?? '');
  };
  switch (op.op) {
    case 'model_created':
      return html`${model(op.name)} created`;
    case 'model_deleted':
      return html`${model(op.name, false)} deleted${typeof op.before === 'number' ? ` with ${op.before === 1 ? '1 version' : `${formatCount(op.before)} versions`}` : ''}`;
    case 'model_renamed':
      return html`<strong>${op.from ?? ''}</strong> renamed ${arrow} ${model(op.to)}`;
    case 'model_description_changed':
    case 'version_description_changed':
      return op.after
        ? html`${who}: description ${op.before ? 'changed' : 'set'} ${quoted(op.after)}`
        : html`${who}: description cleared`;
    case 'model_tag_set':
    case 'version_tag_set':
      return html`${who}: tag <code>${op.key ?? ''}</code> = ${quoted(op.after)}${op.before !== undefined ? html` <span class="muted">(was ${quoted(op.before)})</span>` : ''}`;
    case 'model_tag_deleted':
    case 'version_tag_deleted':
      return html`${who}: tag <code>${op.key ?? ''}</code> deleted <span class="muted">(was ${quoted(op.before)})</span>`;
    case 'alias_set':
      return html`${model(op.name)}: alias <strong>@${op.alias ?? ''}</strong> ${arrow} ${version(op.name, Number(op.after))}${
        op.before !== undefined ? html` <span class="muted">(was v${String(op.before)})</span>` : ''
      }`;
    case 'alias_deleted':
      return html`${model(op.name)}: alias <strong>@${op.alias ?? ''}</strong> deleted <span class="muted">(was v${String(op.before)})</span>`;
    case 'version_registered':
      return html`${who} registered from <code>${clip(op.after, 120)}</code>`;
    case 'version_deleted':
      return html`${version(op.name, op.version, false)} deleted`;
    case 'stage_changed':
      return html`${who}: ${badge(op.from)} ${arrow} ${badge(op.to)}`;
    case 'version_field_changed':
      return html`${who}: <code>${op.field ?? ''}</code> ${op.before ? html`changed from ${quoted(op.before)} to ${quoted(op.after)}` : html`set to ${quoted(op.after)}`}`;
    case 'registry_changed':
      return html`<code>registry.yaml</code> changed`;
    default:
      return html`${(op as Operation).op}`;
  }
}

const SHOWN_OPS = 12;
const MAX_OPS = 500;

function renderOps(view: View, e: HistoryEntry): Html {
  if (e.operations.length === 0) return html``;
  const items = (ops: readonly Operation[]) => ops.map((op) => html`<li>${renderOp(view, op, e.commit)}</li>`);
  const first = e.operations.slice(0, SHOWN_OPS);
  const rest = e.operations.slice(SHOWN_OPS, MAX_OPS);
  const beyond = e.operations.length - SHOWN_OPS - rest.length;
  return html`<ul class="ops">${items(first)}${
    rest.length
      ? html`<li><details><summary>${formatCount(e.operations.length - SHOWN_OPS)} more changes</summary><ul class="ops">${items(rest)}${
          beyond > 0
            ? html`<li class="muted">… and ${formatCount(beyond)} more (see <code>mreg history</code>)</li>`
            : ''
        }</ul></details></li>`
      : ''
  }</ul>`;
}

/** The approval trail of a commit a merge brought in: that merge, who made it and when. */
function mergedIn(via: CommitRef, browse: (commit: string) => string): Html {
  return html`<div class="via muted">merged in <a class="oid" href="${browse(via.commit)}" title="${firstLine(via.message, 140)}">${shortOid(via.commit)}</a> by <span class="who" title="${via.author.email}">${via.author.name}</span> ${timeTag(via.time, true)}</div>`;
}

/** A list of history entries; `browse(commit)` is where a commit's oid links to (the page as of it). */
export function timeline(
  view: View,
  entries: readonly HistoryEntry[],
  browse: (commit: string) => string,
  label: string,
): Html {
  return html`<ol class="timeline" aria-label="${label}">${entries.map((e) => {
    const msg = firstLine(e.message, 140);
    return html`<li>
<div class="when">${timeTag(e.time, true)}</div>
<div>
<div class="meta"><span class="who" title="${e.author.email}">${e.author.name}</span><a class="oid" href="${browse(e.commit)}" title="Browse the registry as of commit ${e.commit}">${shortOid(e.commit)}</a>${e.parents.length > 1 ? html`<span class="chip">merge</span>` : ''}<span class="msg">${msg}</span></div>
${e.via ? mergedIn(e.via, browse) : ''}${renderOps(view, e)}
</div>
</li>`;
  })}</ol>`;
}
