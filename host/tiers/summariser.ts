/**
 * Summarisers: the agent may plug in any async function (typically an LLM call); the default
 * is an extractive summariser that picks the most representative sentences, needs no network
 * and is deterministic.
 */
import type { Summary } from './context.js';
import { boundText } from './context.js';
import type { Message } from './message.js';
import { contentWords, sentences, termVector } from './text.js';

export interface SummaryRequest {
  readonly account: string;
  /** 'messages': summarise `messages`; 'merge': fold the older `summaries` into one. */
  readonly kind: 'messages' | 'merge';
  readonly messages: readonly Message[];
  readonly summaries: readonly Summary[];
  /** The result is cut to this many characters if longer. */
  readonly maxChars: number;
  /** Aborted when the summariser times out or the account is closed. */
  readonly signal: AbortSignal;
}

/** Returns the summary text. */
export type Summariser = (request: SummaryRequest) => Promise<string>;

interface Candidate {
  readonly text: string;
  readonly pos: number;
  score: number;
}

/** Picks the sentences whose content words are most frequent in the whole input, in their original order. */
export function extractive(units: readonly { prefix: string; text: string }[], maxChars: number): string {
  const cands: Candidate[] = [];
  for (const u of units) {
    for (const s of sentences(u.text)) cands.push({ text: `${u.prefix}${s}`, pos: cands.length, score: 0 });
  }
  if (cands.length === 0) return '';
  const tf = termVector(cands.flatMap((c) => contentWords(c.text)));
  for (const c of cands) {
    const ws = new Set(contentWords(c.text));
    let s = 0;
    for (const w of ws) s += Math.log1p(tf.get(w) ?? 0);
    c.score = ws.size === 0 ? 0 : s / Math.sqrt(ws.size + 1);
  }
  const ranked = cands.slice().sort((a, b) => b.score - a.score || a.pos - b.pos);
  const chosen: Candidate[] = [];
  let used = 0;
  for (const c of ranked) {
    const cost = c.text.length + (chosen.length > 0 ? 1 : 0);
    if (used + cost > maxChars) continue;
    chosen.push(c);
    used += cost;
  }
  if (chosen.length === 0) return boundText(ranked[0]!.text, maxChars);
  return chosen
    .sort((a, b) => a.pos - b.pos)
    .map((c) => c.text)
    .join('\n');
}

/** The default summariser: extractive, offline, deterministic. */
export const extractiveSummariser: Summariser = async (req) => {
  if (req.kind === 'merge') {
    return extractive(
      req.summaries.flatMap((s) => s.text.split('\n').map((line) => ({ prefix: '', text: line }))),
      req.maxChars,
    );
  }
  return extractive(
    req.messages.map((m) => ({ prefix: `${m.role}: `, text: m.content })),
    req.maxChars,
  );
};
