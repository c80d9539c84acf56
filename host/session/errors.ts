/** Typed errors of session state flows (the spec's StateTransitionError and StatePersistenceError). */

export type TransitionFailure =
  /** The graph has no edge from the current state to the requested one. */
  | 'not-allowed'
  /** The requested state is not declared. */
  | 'unknown-state'
  /** The patch is not a mergeable JSON object (bad marker, reserved key, too deep). */
  | 'invalid-patch'
  /** The merged data does not satisfy the target state's schema. */
  | 'invalid-data'
  /** `expectedVersion` did not match the current version. */
  | 'stale-version'
  /** The update request itself is malformed. */
  | 'invalid-request';

/** An update was refused before anything was persisted; the state is unchanged. */
export class StateTransitionError extends Error {
  override readonly name = 'StateTransitionError';
  constructor(
    readonly reason: TransitionFailure,
    message: string,
    readonly sessionId?: string,
    readonly from?: string,
    readonly to?: string,
  ) {
    super(message);
  }
}

/** The store failed; the in-memory state is unchanged (the update did not happen). */
export class StatePersistenceError extends Error {
  override readonly name = 'StatePersistenceError';
  constructor(
    message: string,
    readonly sessionId: string | undefined,
    readonly key: string | undefined,
    override readonly cause: unknown,
  ) {
    super(`${message}: ${String((cause as Error)?.message ?? cause)}`);
  }
}
