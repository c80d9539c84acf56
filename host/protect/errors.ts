/** Typed errors of host/protect. */

/** A principal lacks the permission an operation needs (recorded in the audit log before this is thrown). */
export class AccessDeniedError extends Error {
  override readonly name = 'AccessDeniedError';
  constructor(
    readonly principal: string,
    readonly permission: string,
    readonly resource: string,
  ) {
    super(`principal '${principal}' may not ${permission} ${resource}`);
  }
}

/** A redaction rule set that does not validate or compile. */
export class RedactionRuleError extends Error {
  override readonly name = 'RedactionRuleError';
}

/** The vault key is missing, malformed, or not the one the data was sealed with. */
export class VaultKeyError extends Error {
  override readonly name = 'VaultKeyError';
}

/** The audit log's hash chain does not verify. */
export class AuditIntegrityError extends Error {
  override readonly name = 'AuditIntegrityError';
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`audit log broken at line ${line}: ${reason}`);
  }
}

/** Writing to the audit log failed; the audited operation did not run. */
export class AuditWriteError extends Error {
  override readonly name = 'AuditWriteError';
  constructor(override readonly cause: unknown) {
    super(`audit append failed: ${String((cause as Error)?.message ?? cause)}`);
  }
}
