/** Configuration of the conversation tiers: one zod schema, every field defaulted. */
import { z } from 'zod';
import { TierConfigError, toIssues } from './errors.js';

const count = z.number().int().positive();

export const tierConfigSchema = z
  .object({
    /** Messages the short-term tier holds: the most recent ones. */
    shortTerm: z.object({ capacity: count.max(100_000).default(50) }).strict().default({ capacity: 50 }),
    /** Messages the mid-term tier holds: the most recent that overflowed short-term. */
    midTerm: z.object({ capacity: z.number().int().nonnegative().max(1_000_000).default(200) }).strict().default({ capacity: 200 }),
    /**
     * Duplicate detection: an append whose role and content equal one of the last `messages`
     * stored messages (and, when `withinMs` > 0, no older than `withinMs` before the new one's
     * timestamp) is not stored again; the stored message is returned instead. 0 turns it off.
     */
    dedup: z
      .object({
        messages: z.number().int().nonnegative().default(50),
        withinMs: z.number().int().nonnegative().default(0),
      })
      .strict()
      .default({ messages: 50, withinMs: 0 }),
    /** Input limits; a message over them is refused with InvalidMessageError. */
    limits: z
      .object({
        maxContentBytes: count.max(16 * 1024 * 1024).default(64 * 1024),
        maxMetadataBytes: count.max(16 * 1024 * 1024).default(16 * 1024),
        /** Largest page of whole history one read returns. */
        maxPage: count.max(100_000).default(1000),
      })
      .strict()
      .default({ maxContentBytes: 64 * 1024, maxMetadataBytes: 16 * 1024, maxPage: 1000 }),
    context: z
      .object({
        /** Summaries kept; beyond it the oldest are merged (re-summarised) into one. */
        maxSummaries: count.max(1000).default(8),
        /** Characters one summary may have; longer summariser output is cut at a sentence or word. */
        maxSummaryChars: count.max(1_000_000).default(1200),
        /** Messages summarised per summariser call; a longer backlog becomes several summaries. */
        chunkMessages: count.max(10_000).default(100),
        /** Summaries merged into one when the context is over maxSummaries. */
        mergeFanIn: z.number().int().min(2).max(100).default(2),
        /** Generate context when short-term has filled with new messages since the last generation. */
        onShortTermFull: z.boolean().default(true),
        /** Periodic generation; 0 turns it off. The timer is unref'd. */
        periodicIntervalMs: z.number().int().nonnegative().default(24 * 60 * 60 * 1000),
        topic: z
          .object({
            enabled: z.boolean().default(true),
            /** Cosine similarity (content words) between a message and the recent ones below which the topic changed. */
            threshold: z.number().min(0).max(1).default(0.05),
            /** Recent messages the new one is compared with. */
            window: count.max(1000).default(6),
            /** Content words a message needs before it can change the topic (greetings cannot). */
            minTokens: count.default(4),
            /** Messages of the old topic, not yet summarised, needed before a change triggers. */
            minMessages: count.default(4),
          })
          .strict()
          .default({ enabled: true, threshold: 0.05, window: 6, minTokens: 4, minMessages: 4 }),
        /** Longest a summariser call may take before it is aborted. */
        summariserTimeoutMs: count.default(120_000),
      })
      .strict()
      .default({
        maxSummaries: 8,
        maxSummaryChars: 1200,
        chunkMessages: 100,
        mergeFanIn: 2,
        onShortTermFull: true,
        periodicIntervalMs: 24 * 60 * 60 * 1000,
        topic: { enabled: true, threshold: 0.05, window: 6, minTokens: 4, minMessages: 4 },
        summariserTimeoutMs: 120_000,
      }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.dedup.messages > c.shortTerm.capacity + c.midTerm.capacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['dedup', 'messages'],
        message: `the dedup window (${c.dedup.messages}) must not exceed shortTerm + midTerm capacity (${c.shortTerm.capacity + c.midTerm.capacity})`,
      });
    }
  });

export type TierConfigInput = z.input<typeof tierConfigSchema>;
export type TierConfig = z.output<typeof tierConfigSchema>;

/** What a store needs of the config: the tier shape and duplicate rules. */
export interface TierShape {
  readonly shortTerm: number;
  readonly midTerm: number;
  readonly dedupMessages: number;
  readonly dedupWithinMs: number;
}

export function parseTierConfig(input: unknown): TierConfig {
  const r = tierConfigSchema.safeParse(input ?? {});
  if (!r.success) throw new TierConfigError(toIssues(r.error.issues));
  return r.data;
}

export function tierShape(c: TierConfig): TierShape {
  return {
    shortTerm: c.shortTerm.capacity,
    midTerm: c.midTerm.capacity,
    dedupMessages: c.dedup.messages,
    dedupWithinMs: c.dedup.withinMs,
  };
}

export const tierShapeSchema = z
  .object({
    shortTerm: count.max(100_000),
    midTerm: z.number().int().nonnegative().max(1_000_000),
    dedupMessages: z.number().int().nonnegative(),
    dedupWithinMs: z.number().int().nonnegative(),
  })
  .strict()
  .refine((s) => s.dedupMessages <= s.shortTerm + s.midTerm, { message: 'dedupMessages must not exceed shortTerm + midTerm' });

export const DEFAULT_SHAPE: TierShape = { shortTerm: 50, midTerm: 200, dedupMessages: 50, dedupWithinMs: 0 };

export function parseTierShape(input: unknown): TierShape {
  const r = tierShapeSchema.safeParse(input ?? DEFAULT_SHAPE);
  if (!r.success) throw new TierConfigError(toIssues(r.error.issues));
  return r.data;
}
