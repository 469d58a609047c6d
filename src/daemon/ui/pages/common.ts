// What every page handler shares: its result type, query parsing, and the error pages (404, 400, 405).
import { html, type Html } from '../html.js';
import { page } from '../layout.js';
import type { View } from '../view.js';

/** A rendered page and its status. */
export interface Rendered {
  status: number;
  doc: Html;
  headers?: Record<string, string>;
}

/** `?page=` as a positive integer; anything else is page 1. */
export function pageParam(value: string | null): number {
  if (value === null || !/^\d{1,9}$/.test(value)) return 1;
  return Math.max(1, Number(value));
}

/** The same page without `at` (for "back to now"); `path` is the route's canonical path, never the raw request path. */
export function nowHref(view: View, path: string): string {
  const q = new URLSearchParams(view.query);
  q.delete('at');
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

const REASONS: Record<number, string> = {
  400: 'Bad request',
  404: 'Not found',
  405: 'Method not allowed',
  503: 'Unavailable',
};

/** An error page: status, a title, what happened, and where to go from here. */
export function errorPage(
  view: View | undefined,
  status: number,
  title: string,
  message: Html | string,
  nowPath = '/',
): Rendered {
  const links = view?.links;
  const body = html`<div class="error-page">
<p class="status">${status} · ${REASONS[status] ?? 'Error'}</p>
<h1>${title}</h1>
<p class="lead">${message}</p>
<p><a href="${links ? links.models() : '/'}">All registered models</a> · <a href="${links ? links.history() : '/ui/history'}">Activity</a></p>
</div>`;
  return { status, doc: page(view, { title, section: 'none', nowHref: view ? nowHref(view, nowPath) : '/', body }) };
}
