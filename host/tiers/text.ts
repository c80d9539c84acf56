/** Lexical helpers: tokenising, content words and cosine similarity, for the topic detector and the extractive summariser. */

const STOP = new Set(
  (
    'a an and are as at be been being but by can could did do does doing for from had has have having he her hers him his ' +
    'how i if in into is it its itself just me more most my no nor not of off on once only or other our ours out over own ' +
    'same she should so some such than that the their theirs them then there these they this those through to too under ' +
    'until up very was we were what when where which while who whom why will with would you your yours yourself ok okay ' +
    'yes yeah hi hello hey thanks thank please sure also about again all any because before below between both each few ' +
    'further here let lets like get got make made many much need now one well want going go know think really right'
  ).split(' '),
);

/** Lower-cased words of letters and digits (Unicode), with a light plural stem. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu)) {
    let w = m[0];
    if (w.length > 4 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
    out.push(w);
  }
  return out;
}

/** Words that carry content: not stop words, longer than two characters or numeric. */
export function contentWords(text: string): string[] {
  return words(text).filter((w) => !STOP.has(w) && (w.length > 2 || /^\p{N}+$/u.test(w)));
}

export type TermVector = Map<string, number>;

export function termVector(ws: readonly string[]): TermVector {
  const v: TermVector = new Map();
  for (const w of ws) v.set(w, (v.get(w) ?? 0) + 1);
  return v;
}

export function cosine(a: TermVector, b: TermVector): number {
  if (a.size === 0 || b.size === 0) return 0;
  let dot = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const [w, x] of small) dot += x * (large.get(w) ?? 0);
  let na = 0;
  let nb = 0;
  for (const x of a.values()) na += x * x;
  for (const x of b.values()) nb += x * x;
  return dot / Math.sqrt(na * nb);
}

/** Sentences of a text (split after . ! ? or at line breaks). */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
