/**
 * Messages: the input an agent appends, the record every tier stores, and their validation.
 *
 * A stored message is {seq, id, role, content, timestamp, metadata, hash}:
 * - seq: per-account sequence number assigned at append, 1, 2, 3, … in append order. It is
 *   the order of the whole history (timestamps come from callers and may be out of order).
 * - id: unique per message; the caller's (idempotency key) or a random UUID.
 * - timestamp: epoch milliseconds (the caller's or the time of the append).
 * - metadata: a JSON object.
 * - hash: content hash of role and content, used for duplicate detection.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { InvalidMessageError, toIssues } from './errors.js';

export const ROLES = ['user', 'assistant', 'system', 'tool', 'memory'] as const;
export type Role = (typeof ROLES)[number];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface Message {
  readonly seq: number;
  readonly id: string;
  readonly role: Role;
  readonly content: string;
  readonly timestamp: number;
  readonly metadata: JsonObject;
  readonly hash: string;
}

/** What an agent appends; everything but role and content is optional. */
export interface MessageInput {
  readonly role: Role;
  readonly content: string;
  /** An idempotency key: appending the same id again (while it is among the recent messages) stores nothing. */
  readonly id?: string;
  /** Epoch ms, an ISO 8601 string or a Date; default: now. */
  readonly timestamp?: number | string | Date;
  readonly metadata?: JsonObject;
}

/** A validated message that has not been given a seq yet. */
export type PendingMessage = Omit<Message, 'seq'>;

export interface MessageLimits {
  readonly maxContentBytes: number;
  readonly maxMetadataBytes: number;
}

export const MESSAGE_ID = /^[A-Za-z0-9_:.-]{1,128}$/;

const roleSchema = z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` });
const timestampSchema = z.union([
  z.number().int().nonnegative().max(8.64e15),
  z.iso.datetime({ offset: true }),
  z.date(),
]);

const inputSchema = z
  .object({
    role: roleSchema,
    content: z.string({ error: 'content must be a string' }),
    id: z.string().regex(MESSAGE_ID, 'id: 1–128 of letters, digits, _ : . -').optional(),
    timestamp: timestampSchema.optional(),
    metadata: z.record(z.string(), z.json()).optional(),
  })
  .strict();

/** The stored form (as read back from a log, a snapshot or Redis). */
export const messageSchema = z
  .object({
    seq: z.number().int().positive(),
    id: z.string().regex(MESSAGE_ID),
    role: roleSchema,
    content: z.string(),
    timestamp: z.number().int().nonnegative(),
    metadata: z.record(z.string(), z.json()),
    hash: z.string().regex(/^[0-9a-f]{32}$/),
  })
  .strict();

/** Content hash: the first 128 bits of SHA-256 over role, a newline and the content. */
export function contentHash(role: Role, content: string): string {
  return createHash('sha256').update(role).update('\n').update(content).digest('hex').slice(0, 32);
}

function toMs(t: number | string | Date | undefined, now: () => number): number {
  if (t === undefined) return now();
  if (typeof t === 'number') return t;
  if (t instanceof Date) return t.getTime();
  return Date.parse(t);
}

/**
 * Validates an input against the limits; throws InvalidMessageError (naming every bad
 * field) or returns the pending message with its id, timestamp and hash.
 */
export function prepareMessage(input: unknown, limits: MessageLimits, now: () => number = Date.now): PendingMessage {
  const r = inputSchema.safeParse(input);
  if (!r.success) throw new InvalidMessageError(toIssues(r.error.issues));
  const m = r.data;
  const issues: { path: string; message: string }[] = [];
  const contentBytes = Buffer.byteLength(m.content, 'utf8');
  if (contentBytes > limits.maxContentBytes) {
    issues.push({ path: 'content', message: `${contentBytes} bytes, over the limit of ${limits.maxContentBytes}` });
  }
  let metadata: JsonObject = {};
  if (m.metadata !== undefined) {
    let text: string | undefined;
    try {
      text = JSON.stringify(m.metadata);
    } catch (err) {
      issues.push({ path: 'metadata', message: `not JSON: ${(err as Error).message}` });
    }
    if (text !== undefined) {
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > limits.maxMetadataBytes) {
        issues.push({ path: 'metadata', message: `${bytes} bytes of JSON, over the limit of ${limits.maxMetadataBytes}` });
      } else {
        metadata = JSON.parse(text) as JsonObject; // a deep copy the caller cannot mutate afterwards
      }
    }
  }
  const timestamp = toMs(m.timestamp, now);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    issues.push({ path: 'timestamp', message: 'not a valid time' });
  }
  if (issues.length > 0) throw new InvalidMessageError(issues);
  return {
    id: m.id ?? randomUUID(),
    role: m.role,
    content: m.content,
    timestamp,
    metadata,
    hash: contentHash(m.role, m.content),
  };
}

/** The canonical JSON of a stored message (field order fixed: seq first). */
export function encodeMessage(m: Message): string {
  // The pending form with seq in front: the same bytes as the Redis script writes.
  return `{"seq":${JSON.stringify(m.seq)},${encodePending(m).slice(1)}`;
}

/** JSON of a pending message without seq, starting with '{' (Redis prefixes `{"seq":N,`). */
export function encodePending(m: PendingMessage): string {
  return JSON.stringify({
    id: m.id,
    role: m.role,
    content: m.content,
    timestamp: m.timestamp,
    metadata: m.metadata,
    hash: m.hash,
  });
}

/** Parses and validates a stored message; undefined when it is not one. */
export function decodeMessage(text: string): Message | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  const r = messageSchema.safeParse(v);
  return r.success ? (r.data as Message) : undefined;
}

/** Parses a stored message that is known to be intact (checksummed); no schema pass. */
export function decodeTrusted(text: string): Message {
  return JSON.parse(text) as Message;
}

const pendingSchema = messageSchema.omit({ seq: true });

/**
 * Checks messages handed to a store directly (AccountStore.append): the stored form without
 * seq, and a hash that matches role and content. Throws InvalidMessageError.
 */
export function checkPending(batch: readonly unknown[]): PendingMessage[] {
  if (!Array.isArray(batch)) throw new InvalidMessageError([{ path: '', message: 'expected an array of messages' }]);
  const issues: { path: string; message: string }[] = [];
  batch.forEach((m, i) => {
    const r = pendingSchema.safeParse(m);
    if (!r.success) {
      for (const is of toIssues(r.error.issues)) issues.push({ path: `${i}.${is.path}`, message: is.message });
    } else if (contentHash(r.data.role, r.data.content) !== r.data.hash) {
      issues.push({ path: `${i}.hash`, message: 'does not match role and content' });
    }
  });
  if (issues.length > 0) throw new InvalidMessageError(issues);
  return batch as PendingMessage[];
}
