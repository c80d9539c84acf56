/**
 * Typed errors of the conversation tiers. Each carries a message meant for the user and,
 * where input was refused, the offending fields. Nothing is stored when one is thrown.
 */

export interface Issue {
  readonly path: string;
  readonly message: string;
}

function describe(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
}

/** A message refused before anything was stored: missing role, content too long, metadata not JSON, … */
export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';
  constructor(readonly issues: readonly Issue[]) {
    super(`invalid message: ${describe(issues)}`);
  }
}

/** An account id that could name a path outside its directory, or another account. */
export class AccountIdError extends Error {
  override readonly name = 'AccountIdError';
  constructor(
    readonly accountId: unknown,
    reason: string,
  ) {
    super(`invalid account id ${JSON.stringify(String(accountId)).slice(0, 80)}: ${reason}`);
  }
}

/** A tier, store or summariser configuration that zod refused. */
export class TierConfigError extends Error {
  override readonly name = 'TierConfigError';
  constructor(readonly issues: readonly Issue[]) {
    super(`invalid tier config: ${describe(issues)}`);
  }
}

/** An operation on an account that was closed. */
export class ClosedError extends Error {
  override readonly name = 'ClosedError';
}

/** A summariser that failed or returned something that is not a string. */
export class SummariserError extends Error {
  override readonly name = 'SummariserError';
}

/** zod issues → our Issue list. */
export function toIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): Issue[] {
  return issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}
