/**
 * What the memory manager needs of a cache, and how a cache reports its growth back. Any
 * cache implementing {@link ManagedCache} can be registered, not only IntelligentCache.
 */

/** The manager's handle on one registered cache; the cache calls `changed()` after its bytes changed. */
export interface CacheAccount {
  changed(): void;
}

export interface ManagedCache {
  readonly name: string;
  /** Bytes held now (as the cache measures them). */
  readonly bytes: number;
  /** Entries held now. */
  readonly size: number;
  /**
   * Evicts entries of the cache's choosing (expired ones first, then its policy's victims)
   * until at least `bytes` have been freed or it is empty; returns the bytes freed.
   */
  shrinkBy(bytes: number): number;
  /** Removes expired entries; returns the bytes freed. */
  purgeExpired(): number;
  /** Called by the manager on register (an account) and unregister (null). */
  attach(account: CacheAccount | null): void;
}
