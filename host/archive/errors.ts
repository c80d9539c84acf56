/** Typed errors of the archives. Every message is meant for the user. */

/** One problem found by zod in a config or an input. */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

/** A config or an input to an archive was refused; nothing stored was changed. */
export class ArchiveInputError extends Error {
  override readonly name = 'ArchiveInputError';
  constructor(
    readonly what: string,
    readonly issues: readonly InputIssue[],
  ) {
    super(`invalid ${what}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  }
}

/** Bytes that claim to be an archive block but are not one this reader accepts. */
export class BlockFormatError extends Error {
  override readonly name = 'BlockFormatError';
}

/** A block whose checksum or structure does not match: its content cannot be trusted. */
export class CorruptBlockError extends Error {
  override readonly name = 'CorruptBlockError';
  constructor(
    message: string,
    /** The blob key when the block came from a store. */
    readonly key?: string,
  ) {
    super(key ? `${key}: ${message}` : message);
  }
}

/** An operation on a store that was closed. */
export class ArchiveClosedError extends Error {
  override readonly name = 'ArchiveClosedError';
  constructor(what: string) {
    super(`${what} is closed`);
  }
}

/** A lookup of something that is not there (a version, an emotion id). */
export class ArchiveNotFoundError extends Error {
  override readonly name = 'ArchiveNotFoundError';
}
