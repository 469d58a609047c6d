// Descriptions are Markdown written by anyone who can open a pull request, so they render with
// markdown-it in CommonMark mode with raw HTML off (`<script>` stays text), images off (the CSP would
// block remote ones anyway), and a link validator that admits only http, https, mailto and relative
// links. Headings move down two levels so a description cannot out-shout the page's own h1/h2.
import MarkdownIt from 'markdown-it';
import { raw, type Html } from './html.js';

const SAFE_SCHEMES = new Set(['http', 'https', 'mailto']);
/** Characters a browser drops or ignores before it reads a URL's scheme (C0 controls, space, tab, newline, DEL). */
const IGNORED = /[\u0000-\u0020\u007f]/g;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/**
 * Whether a link target may become an href: no scheme (a relative path, `?query` or `#fragment`) or one of
 * http, https, mailto. `javascript:`, `data:`, `vbscript:`, `file:` and every other scheme are refused,
 * however they are cased or padded.
 */
export function isSafeLinkTarget(url: string): boolean {
  const s = url.replace(IGNORED, '');
  const m = SCHEME.exec(s);
  if (!m) return true;
  return SAFE_SCHEMES.has(m[1]!.toLowerCase());
}

/** An absolute http(s) URL fit for an href (a run link), or undefined. */
export function safeHttpUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const trimmed = url.trim();
  if (!/^https?:\/\//i.test(trimmed) || IGNORED.test(trimmed.replace(/ /g, ''))) return undefined;
  try {
    const u = new URL(trimmed);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

const md = new MarkdownIt('default', { html: false, linkify: true, typographer: false, breaks: false });
md.disable(['image']);
md.validateLink = isSafeLinkTarget;

const renderToken: NonNullable<typeof md.renderer.rules.link_open> = (tokens, idx, options, _env, self) =>
  self.renderToken(tokens, idx, options);
const linkOpen = md.renderer.rules.link_open ?? renderToken;
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet('rel', 'nofollow noopener noreferrer');
  return linkOpen(tokens, idx, options, env, self);
};
const shiftHeading: NonNullable<typeof md.renderer.rules.heading_open> = (tokens, idx, options, env, self) => {
  const t = tokens[idx]!;
  t.tag = `h${Math.min(Number(t.tag.slice(1)) + 2, 6)}`;
  return renderToken(tokens, idx, options, env, self);
};
md.renderer.rules.heading_open = shiftHeading;
md.renderer.rules.heading_close = shiftHeading;

/** Markdown → safe HTML (see the header comment for what is refused). */
export function renderMarkdown(source: string): Html {
  return raw(md.render(source));
}

/** The first non-empty line of a description as plain text, without Markdown heading or list markers, clipped. */
export function firstLine(text: string | undefined, max = 90): string {
  if (!text) return '';
  const line =
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== '') ?? '';
  // Clipped before the clean-up so that its regular expressions see a bounded string.
  const plain = line
    .slice(0, max * 4)
    .replace(/^(#{1,6}\s+|[-*+]\s+|>\s*|\d+[.)]\s+)/, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|__|`)/g, '');
  const cps = [...plain];
  return cps.length > max ? cps.slice(0, max - 1).join('') + '…' : plain;
}
