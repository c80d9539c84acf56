/**
 * The JSON files beside an account's history log: short_term.json, mid_term.json,
 * history_context.json, status.json (and base.json for a failover journal). Each is
 * replaced atomically; each has a `format` tag and is validated with zod when read, so a
 * garbled file is detected and rebuilt rather than trusted.
 */
import { z } from 'zod';
import { historyContextSchema } from '../tiers/context.js';
import type { Message } from '../tiers/message.js';
import { messageSchema } from '../tiers/message.js';

export const FILES = {
  log: 'history.log',
  shortTerm: 'short_term.json',
  midTerm: 'mid_term.json',
  context: 'history_context.json',
  status: 'status.json',
  base: 'base.json',
  lock: 'lock',
} as const;

export const tierFileSchema = z
  .object({
    format: z.enum(['janela.short_term/1', 'janela.mid_term/1']),
    account: z.string(),
    capacity: z.number().int().nonnegative(),
    through_seq: z.number().int().nonnegative(),
    messages: z.array(messageSchema),
  })
  .strict();
export type TierFile = z.output<typeof tierFileSchema>;

export const contextFileSchema = historyContextSchema.extend({
  format: z.literal('janela.history_context/1'),
  account: z.string(),
});

const componentSchema = z
  .object({
    status: z.enum(['active', 'failing', 'initializing']),
    last_update: z.string().nullable(),
    message_count: z.number().int().nonnegative(),
    issue: z.string().optional(),
  })
  .strict();

export const repairSchema = z
  .object({
    component: z.enum(['storage', 'short_term', 'mid_term', 'history', 'history_context']),
    kind: z.string(),
    detail: z.string(),
    lost: z.number().int().nonnegative().optional(),
    at: z.string(),
  })
  .strict();

export const statusFileSchema = z
  .object({
    format: z.literal('janela.status/1'),
    account: z.string(),
    backend: z.string(),
    updated_at: z.string(),
    message_count: z.number().int().nonnegative(),
    last_seq: z.number().int().nonnegative(),
    shape: z.object({ shortTerm: z.number(), midTerm: z.number(), dedupMessages: z.number(), dedupWithinMs: z.number() }).strict(),
    components: z.record(z.string(), componentSchema),
    repairs: z.array(repairSchema),
  })
  .strict();
export type StatusFile = z.output<typeof statusFileSchema>;

export const baseFileSchema = z
  .object({
    format: z.literal('janela.base/1'),
    account: z.string(),
    epoch: z.string().regex(/^[0-9a-f]{8,64}$/),
    base_seq: z.number().int().nonnegative(),
    base_count: z.number().int().nonnegative(),
    tail: z.array(messageSchema),
  })
  .strict();
export type BaseFile = z.output<typeof baseFileSchema>;

/** Parses a JSON file with a schema: the value, or a reason it is not one. */
export function parseFile<T>(schema: z.ZodType<T>, bytes: Buffer): { ok: true; value: T } | { ok: false; reason: string } {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `not JSON (${(err as Error).message})` };
  }
  const r = schema.safeParse(v);
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: r.error.issues[0]?.message ?? 'invalid' };
}

export function tierFile(kind: 'short' | 'mid', account: string, capacity: number, throughSeq: number, messages: readonly Message[]): TierFile {
  return {
    format: kind === 'short' ? 'janela.short_term/1' : 'janela.mid_term/1',
    account,
    capacity,
    through_seq: throughSeq,
    messages: messages.slice(),
  };
}
