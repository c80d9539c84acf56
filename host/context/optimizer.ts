/**
 * MemoryOptimizer: brings a session's memory under a byte or token target, cheapest and
 * least lossy step first, stopping as soon as the target is met:
 *
 *  1. drop-irrelevant — items whose relevance is below `minRelevance`, least relevant first;
 *  2. compress        — lossless-for-meaning text compaction (whitespace runs, repeated
 *                       lines, long runs of one character), least relevant items first;
 *  3. summarise       — with a summariser plugged in: the least relevant items are replaced
 *                       by one summary item, cut to `summaryMaxTokens` so it stays bounded;
 *  4. drop            — remaining unpinned items, least relevant first.
 *
 * Pinned items are never touched. Relevance is the item's own `relevance` when given, else
 * the scorer's (default: word overlap with `query` when one is given, else recency). The
 * report lists every action with the ids involved and what it saved.
 */
import { z } from 'zod';
import { MemoryOverflowError, parseWith } from './errors.js';
import type { TokenCounter } from './tokens.js';

export const memoryItemSchema = z
  .object({
    id: z.string().min(1).max(256),
    text: z.string().max(10_000_000),
    /** 0 (irrelevant) … 1 (essential); overrides the scorer. */
    relevance: z.number().min(0).max(1).optional(),
    /** Never dropped, compressed or summarised. */
    pinned: z.boolean().optional(),
    /** When it was written (ms); used by the recency scorer, later = more relevant. */
    at: z.number().optional(),
  })
  .strict();
export type MemoryItem = z.output<typeof memoryItemSchema>;

export type Summariser = (items: readonly MemoryItem[], maxTokens: number) => Promise<string>;
export type RelevanceScorer = (item: MemoryItem, index: number, items: readonly MemoryItem[], query: string | undefined) => number;

export const optimizeOptionsSchema = z
  .object({
    target: z.object({ unit: z.enum(['tokens', 'bytes']), max: z.number().int().min(0) }).strict(),
    query: z.string().max(100_000).optional(),
    minRelevance: z.number().min(0).max(1).default(0.2),
    summaryMaxTokens: z.number().int().min(1).default(256),
    /** Throw MemoryOverflowError instead of reporting `met: false`. */
    strict: z.boolean().default(false),
  })
  .strict();
export type OptimizeOptions = z.input<typeof optimizeOptionsSchema> & { summariser?: Summariser; scorer?: RelevanceScorer };

export type OptimizeAction =
  | { readonly kind: 'drop-irrelevant' | 'compress' | 'drop'; readonly ids: readonly string[]; readonly saved: number }
  | { readonly kind: 'summarise'; readonly ids: readonly string[]; readonly into: string; readonly saved: number };

export interface OptimizeReport {
  readonly unit: 'tokens' | 'bytes';
  readonly target: number;
  readonly before: number;
  readonly after: number;
  readonly met: boolean;
  readonly actions: readonly OptimizeAction[];
  readonly durationMs: number;
}

const STOP = new Set('the a an and or of to in on for with is are was were be it this that as at by from'.split(' '));

function terms(s: string): Set<string> {
  const out = new Set<string>();
  for (const w of s.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (w.length >= 3 && !STOP.has(w)) out.add(w);
  return out;
}

/** Default scorer: word overlap with the query (0.8) plus recency (0.2); recency alone without a query. */
export const defaultScorer: RelevanceScorer = (item, index, items, query) => {
  const n = items.length;
  const byTime = items.every((x) => x.at !== undefined);
  let recency: number;
  if (byTime) {
    const ts = items.map((x) => x.at as number);
    const lo = Math.min(...ts);
    const hi = Math.max(...ts);
    recency = hi === lo ? 1 : ((item.at as number) - lo) / (hi - lo);
  } else recency = n <= 1 ? 1 : index / (n - 1);
  if (query === undefined) return recency;
  const q = terms(query);
  if (q.size === 0) return recency;
  const t = terms(item.text);
  let hit = 0;
  for (const w of q) if (t.has(w)) hit++;
  return 0.8 * (hit / q.size) + 0.2 * recency;
};

/** Whitespace runs, trailing spaces, consecutive duplicate lines, blank-line runs, runs of one character > 8. */
export function compactText(s: string): string {
  const lines = s.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let prev: string | undefined;
  for (const raw of lines) {
    const line = raw.replace(/[ \t\f\v]+/g, ' ').replace(/ $/, '').replace(/(.)\1{8,}/gu, '$1$1$1$1$1$1$1$1');
    if (line === prev) continue; // repeated line (blank-line runs included)
    out.push(line);
    prev = line;
  }
  return out.join('\n').trim();
}

interface Work {
  item: MemoryItem;
  size: number;
  relevance: number;
  order: number;
  alive: boolean;
}

export class MemoryOptimizer {
  constructor(readonly counter: TokenCounter) {}

  /** The items after optimisation (original order, summaries where their first source was) and the report. */
  async optimize(items: readonly MemoryItem[], options: OptimizeOptions): Promise<{ items: MemoryItem[]; report: OptimizeReport }> {
    const t0 = performance.now();
    const list = parseWith(z.array(memoryItemSchema), items, (m) => new TypeError(`invalid memory items: ${m}`));
    const { summariser, scorer = defaultScorer, ...rest } = options;
    const o = parseWith(optimizeOptionsSchema, rest, (m) => new TypeError(`invalid optimize options: ${m}`));
    const ids = new Set<string>();
    for (const it of list) {
      if (ids.has(it.id)) throw new TypeError(`duplicate memory item id '${it.id}'`);
      ids.add(it.id);
    }
    const measure = (text: string) => (o.target.unit === 'tokens' ? this.counter.count(text) : Buffer.byteLength(text, 'utf8'));
    const work: Work[] = list.map((item, i) => ({
      item,
      size: measure(item.text),
      relevance: item.relevance ?? clamp01(scorer(item, i, list, o.query)),
      order: i,
      alive: true,
    }));
    let total = work.reduce((a, w) => a + w.size, 0);
    const before = total;
    const actions: OptimizeAction[] = [];
    const over = () => total > o.target.max;
    // Least relevant first; among equals the older first.
    const candidates = () => work.filter((w) => w.alive && !w.item.pinned).sort((a, b) => a.relevance - b.relevance || a.order - b.order);

    // 1. drop-irrelevant
    if (over()) {
      const dropped: string[] = [];
      let saved = 0;
      for (const w of candidates()) {
        if (!over() || w.relevance >= o.minRelevance) break;
        w.alive = false;
        total -= w.size;
        saved += w.size;
        dropped.push(w.item.id);
      }
      if (dropped.length) actions.push({ kind: 'drop-irrelevant', ids: dropped, saved });
    }
    // 2. compress
    if (over()) {
      const done: string[] = [];
      let saved = 0;
      for (const w of candidates()) {
        if (!over()) break;
        const text = compactText(w.item.text);
        if (text === w.item.text) continue;
        const size = measure(text);
        if (size >= w.size) continue;
        total -= w.size - size;
        saved += w.size - size;
        w.item = { ...w.item, text };
        w.size = size;
        done.push(w.item.id);
      }
      if (done.length) actions.push({ kind: 'compress', ids: done, saved });
    }
    // 3. summarise the least relevant items into one bounded summary
    if (over() && summariser) {
      // Room the summary may take, in the target's unit (a token is at most ~4 UTF-8 bytes of typical text).
      const budget = o.target.unit === 'tokens' ? o.summaryMaxTokens : o.summaryMaxTokens * 4;
      const group: Work[] = [];
      let groupSize = 0;
      for (const w of candidates()) {
        group.push(w);
        groupSize += w.size;
        if (total - groupSize + budget <= o.target.max) break;
      }
      if (group.length >= 2 && groupSize > budget) {
        const raw = await summariser(
          group.map((g) => g.item),
          o.summaryMaxTokens,
        );
        const text = this.counter.head(String(raw), o.summaryMaxTokens);
        const size = measure(text);
        if (size < groupSize) {
          const first = group.reduce((a, b) => (a.order <= b.order ? a : b));
          let id = `summary:${first.item.id}`;
          while (ids.has(id)) id += "'";
          ids.add(id);
          for (const g of group) g.alive = false;
          work.push({
            item: { id, text, relevance: Math.max(...group.map((g) => g.relevance)) },
            size,
            relevance: Math.max(...group.map((g) => g.relevance)),
            order: first.order - 0.5,
            alive: true,
          });
          total += size - groupSize;
          actions.push({ kind: 'summarise', ids: group.map((g) => g.item.id), into: id, saved: groupSize - size });
        }
      }
    }
    // 4. drop whatever it takes
    if (over()) {
      const dropped: string[] = [];
      let saved = 0;
      for (const w of candidates()) {
        if (!over()) break;
        w.alive = false;
        total -= w.size;
        saved += w.size;
        dropped.push(w.item.id);
      }
      if (dropped.length) actions.push({ kind: 'drop', ids: dropped, saved });
    }
    const met = !over();
    const report: OptimizeReport = { unit: o.target.unit, target: o.target.max, before, after: total, met, actions, durationMs: performance.now() - t0 };
    if (!met && o.strict) {
      throw new MemoryOverflowError(`pinned memory alone is ${total} ${o.target.unit}, over the target of ${o.target.max}`, o.target.max, total);
    }
    const out = work
      .filter((w) => w.alive)
      .sort((a, b) => a.order - b.order)
      .map((w) => w.item);
    return { items: out, report };
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
