/**
 * The smallest storage contract the upper tiers persist through: named byte blobs,
 * written atomically and durably. Implementations: MemoryBlobStore (below, for unit tests
 * and ephemeral use), the file store (temp file, fsync, rename) and the Redis store.
 */

export interface BlobStore {
  /** The blob, or undefined when absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Replaces the blob atomically; durable when the promise resolves. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Removes the blob; absent keys are fine. */
  delete(key: string): Promise<void>;
  /** Keys that start with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Keys are path-like: segments of [A-Za-z0-9_.-], separated by '/', no '.' or '..' segments. */
export const BLOB_KEY = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

export class BlobKeyError extends Error {
  override readonly name = 'BlobKeyError';
  constructor(readonly key: string) {
    super(`invalid blob key ${JSON.stringify(key)}: use segments of letters, digits, '_', '.', '-' separated by '/'`);
  }
}

export function checkBlobKey(key: string): string {
  if (!BLOB_KEY.test(key) || key.length > 512) throw new BlobKeyError(key);
  return key;
}

/** In-process blob store: same contract, no durability. */
export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    const b = this.#blobs.get(checkBlobKey(key));
    return b && b.slice();
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.#blobs.set(checkBlobKey(key), bytes.slice());
  }

  async delete(key: string): Promise<void> {
    this.#blobs.delete(checkBlobKey(key));
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.#blobs.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async close(): Promise<void> {}
}
