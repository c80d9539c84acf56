/**
 * Typed errors of the cache layer. Every error is thrown before anything is changed:
 * a cache (or manager) that throws one is exactly as it was before the call.
 */

/** Base class: `err instanceof CacheError` catches every error of this module. */
export class CacheError extends Error {
  override readonly name: string = 'CacheError';
}

/** Options (of a cache, a set call or the memory manager) failed validation. */
export class CacheOptionsError extends CacheError {
  override readonly name = 'CacheOptionsError';
  /** One line per problem, as `path: message`. */
  readonly issues: readonly string[];
  constructor(what: string, issues: readonly string[]) {
    super(`invalid ${what}: ${issues.join('; ')}`);
    this.issues = issues;
  }
}

/** What was wrong with an input to set(), setUtility() or a size function. */
export type CacheInputProblem =
  /** A size (given or computed) that is negative, NaN, infinite or not a number. */
  | 'size'
  /** The caller's size function threw; `cause` holds what it threw. */
  | 'size-function'
  /** One entry larger than maxBytes: it could never fit. */
  | 'too-large'
  /** A utility that is NaN, infinite or not a number (or the utility function threw). */
  | 'utility'
  /** A TTL that is negative, NaN or not a number. */
  | 'ttl';

/** A bad input to a cache operation; the cache is unchanged. */
export class CacheInputError extends CacheError {
  override readonly name = 'CacheInputError';
  constructor(
    readonly problem: CacheInputProblem,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Formats a zod error's issues as `path: message` lines. */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`);
}
