// The commands each page shows (the UI is read-only: a change is made with `mreg` or in a pull request),
// quoted for a POSIX shell so they can be pasted as they are, whatever a model is called.

const BARE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** One word for sh/bash/zsh: as it is when that is unambiguous, else single-quoted ('\'' for a quote). */
export function shellQuote(word: string): string {
  if (word !== '' && BARE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A placeholder the reader replaces (shown as it is, never quoted). */
export class Placeholder {
  constructor(readonly text: string) {}
}
export const ph = (text: string): Placeholder => new Placeholder(text);

type Word = string | number | Placeholder;

const word = (w: Word): string => (w instanceof Placeholder ? w.text : shellQuote(String(w)));

/**
 * `mreg VERB POSITIONAL… [OPTION…]`. When a positional starts with '-' (a model called `-x` is valid),
 * the options come first and `--` ends them, so the name is not read as a flag.
 */
export function mregCommand(verb: string, positionals: readonly Word[], options: readonly Word[] = []): string {
  const pos = positionals.map(word);
  const opts = options.map(word);
  const dashed = positionals.some((p) => typeof p === 'string' && p.startsWith('-'));
  return dashed ? ['mreg', verb, ...opts, '--', ...pos].join(' ') : ['mreg', verb, ...pos, ...opts].join(' ');
}
