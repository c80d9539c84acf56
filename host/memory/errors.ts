/**
 * Typed errors of the memory facade. Each names what was refused; nothing has been stored
 * when one of them is thrown for bad input. Errors of the underlying modules (tiers, device,
 * context, archives, access control) pass through unchanged: their classes are re-exported
 * from host/memory/index.ts so agent code can catch them in one place.
 */
import type { z } from 'zod';

export interface MemoryIssue {
  /** Dotted path of the offending field ('' for the value itself). */
  readonly path: string;
  readonly message: string;
}

function describe(issues: readonly MemoryIssue[]): string {
  return issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
}

export function toMemoryIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): MemoryIssue[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** A memory config (options or a JSON config file) that does not validate; nothing was opened. */
export class MemoryConfigError extends Error {
  override readonly name = 'MemoryConfigError';
  constructor(
    readonly issues: readonly MemoryIssue[],
    /** The config file, when the bad config came from one. */
    readonly file?: string,
  ) {
    super(`invalid memory config${file ? ` in ${file}` : ''}: ${describe(issues)}`);
  }
}

/** An argument of a memory call that does not validate; the call changed nothing. */
export class MemoryInputError extends Error {
  override readonly name = 'MemoryInputError';
  constructor(
    readonly operation: string,
    readonly issues: readonly MemoryIssue[],
  ) {
    super(`${operation}: ${describe(issues)}`);
  }
}

/** The memory (or the part asked for) was closed. */
export class MemoryClosedError extends Error {
  override readonly name = 'MemoryClosedError';
  constructor(what = 'memory') {
    super(`${what} is closed`);
  }
}

/** Parses `value` with `schema`, throwing MemoryInputError naming `operation` on failure. */
export function parseInput<S extends z.ZodType>(operation: string, schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new MemoryInputError(operation, toMemoryIssues(r.error.issues));
  return r.data;
}
