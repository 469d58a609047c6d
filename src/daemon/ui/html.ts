// HTML by construction: every interpolation in an `html` template is escaped unless it is already Html,
// and the only way to make Html from a string is `raw()`, kept for markup the UI itself produced or
// vetted (the Markdown renderer's output, the stylesheet's URL). Registry data is never passed to raw().

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/** Markup that is safe to emit as it is. Only `html` and `raw` make one. */
export class Html {
  /** @internal use html`` or raw() */
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** What can stand in a template: text (escaped), Html (as it is), lists, and nothing (null, undefined, booleans). */
export type Child = Html | string | number | bigint | boolean | null | undefined | readonly Child[];

function render(v: Child): string {
  if (v === null || v === undefined || typeof v === 'boolean') return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return (v as readonly Child[]).map(render).join('');
  return escapeHtml(String(v));
}

/**
 * The one way to write markup: `html\`<a href="${url}">${name}</a>\`` escapes `url` and `name`.
 * Attribute values must be quoted in the template (the escaping covers both quote characters).
 */
export function html(strings: TemplateStringsArray, ...values: Child[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Vetted markup, emitted unescaped. Never pass registry data here. */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** Children joined by a separator (itself escaped unless Html). */
export function join(items: readonly Child[], separator: Child = ''): Html {
  const sep = render(separator);
  return new Html(items.map(render).join(sep));
}

/** The page as a string (the outermost Html). */
export function renderToString(doc: Html): string {
  return doc.value;
}
