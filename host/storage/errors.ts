/** Typed errors of the storage backends. */

/** A backend could not do what was asked (I/O error, Redis refused, …); nothing acknowledged is lost. */
export class StorageError extends Error {
  override readonly name: string = 'StorageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The account's lock stayed held by a live process for longer than the configured timeout. */
export class LockTimeoutError extends StorageError {
  override readonly name = 'LockTimeoutError';
}

/** The Redis server cannot be reached (or refuses writes); the failover store switches to files. */
export class StorageUnavailableError extends StorageError {
  override readonly name = 'StorageUnavailableError';
}

/** A store configuration that zod refused. */
export class StoreConfigError extends StorageError {
  override readonly name = 'StoreConfigError';
}
