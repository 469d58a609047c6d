// SQL LIKE without a regex engine. A pattern is literal segments separated by `%` (any run of
// characters), where `_` inside a segment is exactly one character; it is anchored at both ends and
// has no escape character (SQLite's default). Because every segment has a fixed length, matching
// each middle segment at its leftmost possible place is optimal, so one left-to-right pass decides
// the match: KMP for segments without `_` (O(n + m)), bit-parallel Shift-And for segments with `_`
// (O(n · m/32)). No backtracking, so `%a%a%a…b` or 100k `%` cost no more than their length.

const WILDCARD = -1;

/** Characters are compared as code points; ILIKE folds each one to lower case first. */
function fold(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  const lower = String.fromCodePoint(cp).toLowerCase();
  const folded = lower.codePointAt(0) ?? cp;
  // One-to-many lowercase mappings (U+0130 → i̇) keep the character itself.
  return lower.length === String.fromCodePoint(folded).length ? folded : cp;
}

function codePoints(s: string, caseInsensitive: boolean): Int32Array {
  const out = new Int32Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    out[n++] = caseInsensitive ? fold(cp) : cp;
  }
  return out.subarray(0, n);
}

interface Segment {
  readonly chars: Int32Array;
  /** Finds the leftmost occurrence in text[from, to) (the whole segment inside); -1 if none. */
  readonly find: (text: Int32Array, from: number, to: number) => number;
}

function matchesAt(seg: Int32Array, text: Int32Array, at: number): boolean {
  for (let j = 0; j < seg.length; j++) {
    const p = seg[j]!;
    if (p !== WILDCARD && p !== text[at + j]) return false;
  }
  return true;
}

/** Knuth–Morris–Pratt for a segment without `_`. */
function kmpFinder(seg: Int32Array): Segment['find'] {
  const m = seg.length;
  const fail = new Int32Array(m);
  for (let i = 1, k = 0; i < m; i++) {
    while (k > 0 && seg[i] !== seg[k]) k = fail[k - 1]!;
    if (seg[i] === seg[k]) k++;
    fail[i] = k;
  }
  return (text, from, to) => {
    for (let i = from, k = 0; i < to; i++) {
      while (k > 0 && text[i] !== seg[k]) k = fail[k - 1]!;
      if (text[i] === seg[k]) k++;
      if (k === m) return i - m + 1;
    }
    return -1;
  };
}

const MASK_CACHE_WORDS = 1 << 20;

/** Shift-And over ⌈m/32⌉-word bit vectors for a segment with `_`; masks are built lazily per character. */
function shiftAndFinder(seg: Int32Array): Segment['find'] {
  const m = seg.length;
  const words = Math.ceil(m / 32);
  const wildMask = new Uint32Array(words);
  const positions = new Map<number, number[]>();
  seg.forEach((p, j) => {
    if (p === WILDCARD) wildMask[j >>> 5]! |= 1 << (j & 31);
    else {
      const list = positions.get(p);
      if (list) list.push(j);
      else positions.set(p, [j]);
    }
  });
  // Bounded cache: a text with very many distinct characters cannot grow memory past the budget.
  let cache = new Map<number, Uint32Array>();
  const maskFor = (c: number): Uint32Array => {
    const list = positions.get(c);
    if (!list) return wildMask;
    let mask = cache.get(c);
    if (!mask) {
      mask = wildMask.slice();
      for (const j of list) mask[j >>> 5]! |= 1 << (j & 31);
      if ((cache.size + 1) * words > MASK_CACHE_WORDS) cache = new Map();
      cache.set(c, mask);
    }
    return mask;
  };
  const last = m - 1;
  const lastWord = last >>> 5;
  const lastBit = 1 << (last & 31);
  return (text, from, to) => {
    const state = new Uint32Array(words);
    for (let i = from; i < to; i++) {
      const mask = maskFor(text[i]!);
      let carry = 1; // a new match may start at every position
      for (let w = 0; w < words; w++) {
        const v = state[w]!;
        state[w] = ((v << 1) | carry) & mask[w]!;
        carry = v >>> 31;
      }
      if (state[lastWord]! & lastBit) return i - last;
    }
    return -1;
  };
}

function segment(chars: Int32Array): Segment {
  return { chars, find: chars.includes(WILDCARD) ? shiftAndFinder(chars) : kmpFinder(chars) };
}

/** Compiles a SQL LIKE pattern; `caseInsensitive` gives ILIKE. The result runs in linear time. */
export function compileLike(pattern: string, caseInsensitive: boolean): (value: string) => boolean {
  const cps = codePoints(pattern, caseInsensitive);
  const UNDERSCORE = caseInsensitive ? fold(0x5f) : 0x5f;
  const PERCENT = caseInsensitive ? fold(0x25) : 0x25;
  const pieces: Int32Array[] = [];
  let current: number[] = [];
  for (const cp of cps) {
    if (cp === PERCENT) {
      pieces.push(Int32Array.from(current));
      current = [];
    } else current.push(cp === UNDERSCORE ? WILDCARD : cp);
  }
  pieces.push(Int32Array.from(current));

  if (pieces.length === 1) {
    const only = pieces[0]!;
    return (value) => {
      const text = codePoints(value, caseInsensitive);
      return text.length === only.length && matchesAt(only, text, 0);
    };
  }
  const head = pieces[0]!;
  const tail = pieces[pieces.length - 1]!;
  const middle = pieces
    .slice(1, -1)
    .filter((p) => p.length > 0)
    .map(segment);
  const minLength = head.length + tail.length + middle.reduce((sum, s) => sum + s.chars.length, 0);
  return (value) => {
    const text = codePoints(value, caseInsensitive);
    if (text.length < minLength) return false;
    if (!matchesAt(head, text, 0)) return false;
    const end = text.length - tail.length;
    if (!matchesAt(tail, text, end)) return false;
    let pos = head.length;
    for (const seg of middle) {
      const at = seg.find(text, pos, end);
      if (at < 0) return false;
      pos = at + seg.chars.length;
    }
    return true;
  };
}
