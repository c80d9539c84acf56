/**
 * BlobStore on Redis: each blob is a string key `<prefix>blob:<key>`, and a sorted set
 * `<prefix>blobs` (all scores 0) indexes the keys for list(prefix) by ZRANGEBYLEX. put and
 * delete update both in one MULTI/EXEC. Durable when resolved as far as the server's
 * persistence is (appendonly yes, appendfsync always for "durable when acknowledged").
 */
import type { Redis } from 'ioredis';
import type { BlobStore } from './blobStore.js';
import { checkBlobKey } from './blobStore.js';
import { StorageError, StorageUnavailableError } from './errors.js';
import type { RedisStoreConfigInput } from './redisStore.js';
import { RedisConnection, isUnavailable, parseRedisStoreConfig } from './redisStore.js';

export class RedisBlobStore implements BlobStore {
  readonly #conn: RedisConnection;
  readonly #prefix: string;
  readonly #owned: boolean;
  #closed = false;

  /** Uses its own connection (closed by close()), or a shared RedisConnection (left open). */
  constructor(config: RedisStoreConfigInput | { connection: RedisConnection }) {
    if ('connection' in config) {
      this.#conn = config.connection;
      this.#owned = false;
    } else {
      this.#conn = new RedisConnection(parseRedisStoreConfig(config));
      this.#owned = true;
    }
    this.#prefix = this.#conn.config.prefix;
  }

  get #r(): Redis {
    return this.#conn.client;
  }

  #index(): string {
    return `${this.#prefix}blobs`;
  }

  #key(key: string): string {
    return `${this.#prefix}blob:${checkBlobKey(key)}`;
  }

  async #do<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StorageError('blob store is closed');
    try {
      await this.#conn.ensure();
      return await fn();
    } catch (err) {
      if (err instanceof StorageError) throw err;
      const msg = `blob ${what}: ${(err as Error)?.message ?? String(err)}`;
      throw isUnavailable(err) ? new StorageUnavailableError(msg, { cause: err }) : new StorageError(msg, { cause: err });
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const k = this.#key(key);
    return this.#do('get', async () => {
      const b = await this.#r.getBuffer(k);
      return b === null ? undefined : new Uint8Array(b);
    });
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const k = this.#key(key);
    if (!(bytes instanceof Uint8Array)) throw new StorageError('blob must be a Uint8Array');
    return this.#do('put', async () => {
      const res = await this.#r.multi().set(k, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).zadd(this.#index(), 0, key).exec();
      if (!res) throw new StorageUnavailableError('transaction aborted');
      for (const [err] of res) if (err) throw err;
    });
  }

  async delete(key: string): Promise<void> {
    const k = this.#key(key);
    return this.#do('delete', async () => {
      const res = await this.#r.multi().del(k).zrem(this.#index(), key).exec();
      if (!res) throw new StorageUnavailableError('transaction aborted');
      for (const [err] of res) if (err) throw err;
    });
  }

  async list(prefix: string): Promise<string[]> {
    if (typeof prefix !== 'string') throw new StorageError('prefix must be a string');
    return this.#do('list', async () => {
      const min = prefix === '' ? '-' : `[${prefix}`;
      const max = prefix === '' ? '+' : `(${prefix}\u00ff`;
      const keys = await this.#r.zrangebylex(this.#index(), min, max);
      return keys.filter((k) => k.startsWith(prefix)).sort();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await this.#conn.close();
  }
}
