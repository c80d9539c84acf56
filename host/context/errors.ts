/**
 * Typed errors of the context layer (the spec's ContextWindowError and MemoryOverflowError),
 * plus the zod helper every public entry point of host/context, host/session and
 * host/protect uses to turn a failed parse into one of these errors.
 */
import type { z } from 'zod';

/** A window cannot be built or used as asked: bad message, unknown session, bad budget. */
export class ContextWindowError extends Error {
  override readonly name: string = 'ContextWindowError';
  constructor(
    message: string,
    readonly sessionId?: string,
  ) {
    super(message);
  }
}

/** The session was idle longer than expiry_time; its contents were folded and it is gone. */
export class ContextExpiredError extends ContextWindowError {
  override readonly name = 'ContextExpiredError';
  constructor(
    sessionId: string,
    readonly idleMs: number,
  ) {
    super(`context session '${sessionId}' expired after ${Math.round(idleMs / 1000)} s of inactivity`, sessionId);
  }
}

/** A memory bound would be crossed: too many sessions, too much waiting to be folded, a target that cannot be met. */
export class MemoryOverflowError extends Error {
  override readonly name = 'MemoryOverflowError';
  constructor(
    message: string,
    readonly limit: number,
    readonly value: number,
  ) {
    super(message);
  }
}

/** The fold sink (the conversation tiers' history summary) rejected a batch; the batch is kept and retried. */
export class FoldError extends Error {
  override readonly name = 'FoldError';
  constructor(
    readonly pendingBatches: number,
    override readonly cause: unknown,
  ) {
    super(`folding into the history summary failed (${pendingBatches} batch(es) pending): ${String((cause as Error)?.message ?? cause)}`);
  }
}

/** Formats zod issues as `path: message; …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Parses `input` with `schema`, or throws the error `fail` builds from the issue text. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, fail: (issues: string) => Error): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw fail(describeIssues(r.error));
  return r.data;
}
