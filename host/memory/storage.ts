/**
 * The memory's one storage backend, for the tiers (a StoreFactory) and for the archives and
 * session states (a BlobStore): files under `dir` (default), or one Redis server by URL.
 *
 *   files:  <dir>/account_<id>/…   tiers (host/storage/fileStore.ts)
 *           <dir>/blobs/…          archives and session states (FileBlobStore)
 *           <dir>/audit.log        access decisions (host/protect)
 *   Redis:  <prefix>…              tiers (redisStore.ts) and blobs (redisBlobStore.ts); the
 *                                  audit log stays a file under <dir>
 */
import { join } from 'node:path';
import { MemoryBlobStore, type BlobStore } from '../storage/blobStore.js';
import { FileBlobStore } from '../storage/fileBlobStore.js';
import { FileStoreFactory } from '../storage/fileStore.js';
import { RedisBlobStore } from '../storage/redisBlobStore.js';
import { RedisStoreFactory } from '../storage/redisStore.js';
import type { StoreFactory } from '../storage/types.js';
import { tierShape } from '../tiers/config.js';
import type { MemoryConfig } from './config.js';

export interface MemoryStorage {
  readonly backend: 'file' | 'redis';
  readonly tiers: StoreFactory;
  readonly blobs: BlobStore;
  /** Where the backend keeps its data, for people. */
  readonly where: string;
}

export function openStorage(config: MemoryConfig, options: { readOnly?: boolean } = {}): MemoryStorage {
  const shape = tierShape(config.tiers);
  const s = config.storage;
  if (s.backend === 'redis') {
    return {
      backend: 'redis',
      tiers: new RedisStoreFactory(shape, { url: s.url, prefix: s.prefix }),
      blobs: new RedisBlobStore({ url: s.url, prefix: s.prefix }),
      where: `${s.url} (prefix ${s.prefix})`,
    };
  }
  return {
    backend: 'file',
    tiers: new FileStoreFactory(shape, {
      root: config.dir,
      lockTimeoutMs: s.lockTimeoutMs,
      snapshotLagMs: s.snapshotLagMs,
      ...(options.readOnly && { readOnly: true }),
    }),
    blobs: options.readOnly ? new ReadOnlyBlobStore(new FileBlobStore({ root: join(config.dir, 'blobs') })) : new FileBlobStore({ root: join(config.dir, 'blobs') }),
    where: config.dir,
  };
}

/**
 * Reads a blob store, keeps writes in memory (inspection: `janela stats` must not change what
 * another process holds).
 */
class ReadOnlyBlobStore implements BlobStore {
  readonly #base: BlobStore;
  readonly #overlay = new MemoryBlobStore();
  readonly #deleted = new Set<string>();
  constructor(base: BlobStore) {
    this.#base = base;
  }
  async get(key: string): Promise<Uint8Array | undefined> {
    if (this.#deleted.has(key)) return undefined;
    return (await this.#overlay.get(key)) ?? this.#base.get(key);
  }
  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.#deleted.delete(key);
    await this.#overlay.put(key, bytes);
  }
  async delete(key: string): Promise<void> {
    this.#deleted.add(key);
    await this.#overlay.delete(key);
  }
  async list(prefix: string): Promise<string[]> {
    const keys = new Set([...(await this.#base.list(prefix)), ...(await this.#overlay.list(prefix))]);
    return [...keys].filter((k) => !this.#deleted.has(k)).sort();
  }
  async close(): Promise<void> {
    await this.#base.close();
  }
}
