// Small, deterministic formatting: times in UTC (the page says so once), counts with separators.
import { html, type Html } from './html.js';

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-03-04 12:00` (UTC) from an ISO string or epoch ms; '' for an invalid time. */
function formatTime(t: string | number, seconds = false): string {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return seconds ? `${base}:${pad(d.getUTCSeconds())}` : base;
}

/** A `<time>` element: short text, the full ISO instant as its machine-readable value and tooltip. */
export function timeTag(t: string | number, seconds = false): Html {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return html`<span class="muted">—</span>`;
  const iso = d.toISOString();
  return html`<time datetime="${iso}" title="${iso}">${formatTime(t, seconds)}</time>`;
}

export function shortOid(oid: string): string {
  return oid.slice(0, 7);
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `1 version`, `12 versions`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
