/**
 * History context: bounded summaries of the conversation. Each summary covers a range of
 * seqs; `coveredThrough` is the last seq any summary covers. The context never holds more
 * than `maxSummaries` summaries of at most `maxSummaryChars` characters each: when a new
 * summary would exceed the count, the oldest `mergeFanIn` are re-summarised into one (its
 * `level` is one more than theirs), so old history is compressed harder than recent history.
 */
import { z } from 'zod';

export const TRIGGERS = ['short_term_full', 'manual', 'periodic', 'topic_change', 'merge'] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const summarySchema = z
  .object({
    id: z.string().min(1).max(128),
    fromSeq: z.number().int().positive(),
    toSeq: z.number().int().positive(),
    messageCount: z.number().int().nonnegative(),
    createdAt: z.number().int().nonnegative(),
    trigger: z.enum(TRIGGERS),
    level: z.number().int().nonnegative(),
    text: z.string(),
  })
  .strict();

export type Summary = z.output<typeof summarySchema>;

export const historyContextSchema = z
  .object({
    /** Bumped by every write; writers compare it so that two writers cannot lose each other's summaries. */
    version: z.number().int().nonnegative(),
    coveredThrough: z.number().int().nonnegative(),
    updatedAt: z.number().int().nonnegative(),
    summaries: z.array(summarySchema),
  })
  .strict();

export type HistoryContext = z.output<typeof historyContextSchema>;

export function emptyContext(): HistoryContext {
  return { version: 0, coveredThrough: 0, updatedAt: 0, summaries: [] };
}

/** Cuts text to at most `max` characters, at a sentence end or else a word boundary when one is near. */
export function boundText(text: string, max: number): string {
  const t = text.trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max);
  const sentence = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('! '), cut.lastIndexOf('? '), cut.lastIndexOf('\n'));
  if (sentence >= max * 0.5) return cut.slice(0, sentence + 1).trim();
  const space = cut.lastIndexOf(' ');
  if (space >= max * 0.5 && max > 1) return `${cut.slice(0, space).trimEnd()}…`.slice(0, max);
  return max > 1 ? `${cut.slice(0, max - 1)}…` : cut;
}

/** Characters the context can hold at most: the bound the tests check. */
export function contextBound(maxSummaries: number, maxSummaryChars: number): number {
  return maxSummaries * maxSummaryChars;
}
