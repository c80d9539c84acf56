import { CacheInputError, CacheOptionsError } from './errors.js';
import { hashKey } from './hash.js';
import { IndexedHeap } from './indexedHeap.js';
import type { CacheAccount, ManagedCache } from './managed.js';
import {
  type CacheOptions,
  DISPOSE_REASONS,
  type DisposeReason,
  parseCacheOptions,
  type SetOptions,
} from './options.js';
import { createPolicy } from './policies/index.js';
import type { EvictionPolicy, PolicyName } from './policies/policy.js';
import { growFloat64, growInt32 } from './slots.js';
import { defaultEntrySize } from './sizeof.js';

/** Statistics of one cache since creation or the last resetStats(). */
export interface CacheStats {
  readonly name: string;
  readonly policy: PolicyName | string;
  readonly entries: number;
  readonly bytes: number;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Highest `bytes` seen. */
  readonly peakBytes: number;
  readonly hits: number;
  readonly misses: number;
  /** hits / (hits + misses); 0 before the first get. */
  readonly hitRatio: number;
  /** set() calls that stored an entry. */
  readonly sets: number;
  /** Entries that left, by reason ('set' = overwritten by a different value). */
  readonly removals: Readonly<Record<DisposeReason, number>>;
  /** Bytes that left, by reason. */
  readonly removedBytes: Readonly<Record<DisposeReason, number>>;
}

const EVICT = 0;
const EXPIRE = 1;
const DELETE = 2;
const SET = 3;
const CLEAR = 4;
const REASONS = DISPOSE_REASONS; // index ↔ reason, in this order
const INITIAL_SLOTS = 64;
const MAX_SLOTS = 2 ** 31 - 2;

const defaultNow = (): number => performance.now();

/**
 * A size-bounded cache with a pluggable eviction policy.
 *
 * Bounds: at most `maxEntries` entries and `maxBytes` bytes, after every public call (and
 * whenever `dispose` runs). An insert goes in first and the policy then picks victims until
 * the bounds hold, so admission policies (W-TinyLFU, hybrid) can refuse the newcomer itself.
 *
 * Layout: a Map from key to slot; keys, values, sizes and expiry times in arrays indexed by
 * slot; the policy's order in its own typed arrays. A hit is one Map lookup and an O(1) or
 * O(log n) policy update, with no allocation.
 *
 * Errors: bad input throws a {@link CacheInputError} (bad options a {@link CacheOptionsError})
 * before anything changes.
 */
export class IntelligentCache<K, V> implements ManagedCache {
  readonly name: string;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Default TTL in ms (0 = none). */
  readonly ttl: number;

  readonly #policy: EvictionPolicy;
  readonly #needsHash: boolean;
  readonly #map = new Map<K, number>();
  #keys: (K | undefined)[] = [];
  #vals: (V | undefined)[] = [];
  #sizes = new Float64Array(0);
  #utilities = new Float64Array(0);
  /** Absolute expiry per slot (0 = never); null until the first entry with a TTL. */
  #expires: Float64Array<ArrayBuffer> | null = null;
  #ttlHeap: IndexedHeap | null = null;
  #freeSlots = new Int32Array(0);
  #freeCount = 0;
  #top = 0;
  #capacity = 0;
  readonly #slotLimit: number;
  #bytes = 0;
  #peakBytes = 0;

  readonly #sizeOf: ((value: V, key: K) => number) | undefined;
  readonly #utilityOf: ((key: K, value: V) => number) | undefined;
  readonly #dispose: ((value: V, key: K, reason: DisposeReason) => void) | undefined;
  readonly #now: () => number;

  #hits = 0;
  #misses = 0;
  #sets = 0;
  readonly #removals = new Float64Array(REASONS.length);
  readonly #removedBytes = new Float64Array(REASONS.length);

  // Disposals wait until the operation's structural work is done (bounds hold when they run).
  #pendingVals: (V | undefined)[] = [];
  #pendingKeys: (K | undefined)[] = [];
  #pendingReasons: number[] = [];
  #pendingCount = 0;
  #flushing = false;
  #account: CacheAccount | null = null;

  constructor(options: CacheOptions<K, V>) {
    const o = parseCacheOptions(options);
    this.name = o.name;
    this.maxEntries = o.maxEntries ?? Infinity;
    this.maxBytes = o.maxBytes ?? Infinity;
    this.ttl = o.ttl;
    this.#policy = createPolicy(o.policy);
    this.#needsHash = this.#policy.needsHash;
    this.#sizeOf = options.sizeOf;
    this.#utilityOf = options.utility;
    this.#dispose = options.dispose;
    this.#now = options.now ?? defaultNow;
    // One slot beyond maxEntries: an insert goes in before the victim leaves.
    this.#slotLimit = Number.isFinite(this.maxEntries) ? this.maxEntries + 1 : MAX_SLOTS;
    this.#grow();
  }

  /** Entries held (expired ones not yet removed included). */
  get size(): number {
    return this.#map.size;
  }

  /** Bytes held, as measured by sizeOf. */
  get bytes(): number {
    return this.#bytes;
  }

  get policy(): PolicyName | string {
    return this.#policy.name;
  }

  /** The value, counting a hit (and telling the policy) or a miss. An expired entry is removed and misses. */
  get(key: K): V | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined) {
      this.#misses++;
      return undefined;
    }
    if (this.#expires !== null) {
      const e = this.#expires[slot]!;
      if (e !== 0 && e <= this.#now()) {
        this.#misses++;
        this.#remove(slot, EXPIRE);
        this.#afterChange();
        return undefined;
      }
    }
    this.#hits++;
    this.#policy.touch(slot);
    return this.#vals[slot];
  }

  /** The value without counting or touching (an expired entry reads as absent, and stays until removed). */
  peek(key: K): V | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined || this.#isExpired(slot)) return undefined;
    return this.#vals[slot];
  }

  /** Whether a live entry exists; no counting, no touching. */
  has(key: K): boolean {
    const slot = this.#map.get(key);
    return slot !== undefined && !this.#isExpired(slot);
  }

  /**
   * Stores `value` under `key`. Everything is checked first (size, utility, TTL): on bad input
   * a {@link CacheInputError} is thrown and the cache is unchanged. Then victims are evicted
   * until the bounds hold again (possibly the new entry itself, when the policy refuses it).
   */
  set(key: K, value: V, options?: SetOptions): this {
    // 1. Check.
    const size = options?.size !== undefined ? checkSize(options.size, 'size option') : this.#measure(value, key);
    if (size > this.maxBytes) {
      throw new CacheInputError('too-large', `entry of ${size} bytes can never fit in maxBytes ${this.maxBytes}`);
    }
    let utility = NaN; // NaN = not given: keep the old one on overwrite, 0 for a new entry
    if (options?.utility !== undefined) utility = checkUtility(options.utility);
    else if (this.#utilityOf !== undefined) utility = this.#callUtility(key, value);
    let ttl = this.ttl;
    if (options?.ttl !== undefined) ttl = checkTtl(options.ttl);

    // 2. Store.
    let slot = this.#map.get(key);
    if (slot !== undefined && this.#expires !== null && this.#isExpired(slot)) {
      this.#remove(slot, EXPIRE);
      slot = undefined;
    }
    if (slot !== undefined) {
      const old = this.#vals[slot];
      this.#vals[slot] = value;
      this.#bytes += size - this.#sizes[slot]!;
      this.#sizes[slot] = size;
      if (utility === utility) {
        this.#utilities[slot] = utility;
        this.#policy.setUtility(slot, utility);
      }
      this.#setExpiry(slot, ttl);
      this.#policy.touch(slot);
      if (old !== value) this.#count(SET, 0, old, key);
    } else {
      if (utility !== utility) utility = 0;
      slot = this.#allocate();
      this.#map.set(key, slot);
      this.#keys[slot] = key;
      this.#vals[slot] = value;
      this.#sizes[slot] = size;
      this.#utilities[slot] = utility;
      this.#bytes += size;
      if (ttl > 0 || this.#expires !== null) this.#setExpiry(slot, ttl);
      this.#policy.insert(slot, this.#needsHash ? hashKey(key) : 0, utility);
    }
    this.#sets++;
    if (this.#bytes > this.#peakBytes) this.#peakBytes = this.#bytes;

    // 3. Restore the bounds.
    if (this.#map.size > this.maxEntries || this.#bytes > this.maxBytes) this.#evictOverflow();
    this.#afterChange();
    return this;
  }

  /** Removes the entry; true when a live one was removed (an expired one is removed as 'expire'). */
  delete(key: K): boolean {
    const slot = this.#map.get(key);
    if (slot === undefined) return false;
    const live = !this.#isExpired(slot);
    this.#remove(slot, live ? DELETE : EXPIRE);
    this.#afterChange();
    return live;
  }

  /** Removes every entry (dispose reason 'clear'). Statistics are kept. */
  clear(): void {
    for (const slot of this.#map.values()) this.#remove(slot, CLEAR, false);
    this.#map.clear();
    this.#policy.clear();
    this.#ttlHeap?.clear();
    this.#freeCount = 0;
    this.#top = 0;
    this.#afterChange();
  }

  /** Sets a live entry's utility; false when absent. Throws CacheInputError on a non-finite utility. */
  setUtility(key: K, utility: number): boolean {
    const u = checkUtility(utility);
    const slot = this.#map.get(key);
    if (slot === undefined || this.#isExpired(slot)) return false;
    this.#utilities[slot] = u;
    this.#policy.setUtility(slot, u);
    return true;
  }

  /** A live entry's utility, or undefined. */
  getUtility(key: K): number | undefined {
    const slot = this.#map.get(key);
    return slot === undefined || this.#isExpired(slot) ? undefined : this.#utilities[slot];
  }

  /** Bytes of a live entry, or undefined. */
  sizeOf(key: K): number | undefined {
    const slot = this.#map.get(key);
    return slot === undefined || this.#isExpired(slot) ? undefined : this.#sizes[slot];
  }

  /** Removes every expired entry (O(k log n) for k expired); returns the bytes freed. */
  purgeExpired(): number {
    const heap = this.#ttlHeap;
    if (heap === null || heap.size === 0) return 0;
    const before = this.#bytes;
    const now = this.#now();
    for (let s = heap.peek(); s >= 0 && this.#expires![s]! <= now; s = heap.peek()) this.#remove(s, EXPIRE);
    this.#afterChange();
    return before - this.#bytes;
  }

  /**
   * Evicts (reason 'evict'; expired entries first, reason 'expire') until at least `bytes` have
   * been freed or the cache is empty; the policy chooses the victims. Returns the bytes freed.
   */
  shrinkBy(bytes: number): number {
    if (!(bytes > 0)) return 0;
    const target = this.#bytes - bytes;
    const before = this.#bytes;
    while (this.#map.size > 0 && this.#bytes > target) this.#evictOne();
    this.#afterChange();
    return before - this.#bytes;
  }

  /** Evicts (as shrinkBy) until at most `entries` remain; returns the bytes freed. */
  trimTo(entries: number): number {
    const before = this.#bytes;
    while (this.#map.size > Math.max(0, entries)) this.#evictOne();
    this.#afterChange();
    return before - this.#bytes;
  }

  /** For the memory manager (see {@link ManagedCache}). */
  attach(account: CacheAccount | null): void {
    this.#account = account;
  }

  /** Live keys, in insertion order of the underlying Map (not the policy's order). */
  *keys(): IterableIterator<K> {
    for (const [k, slot] of this.#map) if (!this.#isExpired(slot)) yield k;
  }

  /** Live [key, value] pairs, as keys(). */
  *entries(): IterableIterator<[K, V]> {
    for (const [k, slot] of this.#map) if (!this.#isExpired(slot)) yield [k, this.#vals[slot] as V];
  }

  stats(): CacheStats {
    const removals = {} as Record<DisposeReason, number>;
    const removedBytes = {} as Record<DisposeReason, number>;
    REASONS.forEach((r, i) => {
      removals[r] = this.#removals[i]!;
      removedBytes[r] = this.#removedBytes[i]!;
    });
    const lookups = this.#hits + this.#misses;
    return {
      name: this.name,
      policy: this.#policy.name,
      entries: this.#map.size,
      bytes: this.#bytes,
      maxEntries: this.maxEntries,
      maxBytes: this.maxBytes,
      peakBytes: this.#peakBytes,
      hits: this.#hits,
      misses: this.#misses,
      hitRatio: lookups === 0 ? 0 : this.#hits / lookups,
      sets: this.#sets,
      removals,
      removedBytes,
    };
  }

  resetStats(): void {
    this.#hits = this.#misses = this.#sets = 0;
    this.#removals.fill(0);
    this.#removedBytes.fill(0);
    this.#peakBytes = this.#bytes;
  }

  // ---- internals ----

  #isExpired(slot: number): boolean {
    if (this.#expires === null) return false;
    const e = this.#expires[slot]!;
    return e !== 0 && e <= this.#now();
  }

  #measure(value: V, key: K): number {
    if (this.#sizeOf === undefined) return defaultEntrySize(value, key);
    let n: unknown;
    try {
      n = this.#sizeOf(value, key);
    } catch (err) {
      throw new CacheInputError('size-function', `sizeOf threw: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    return checkSize(n, 'sizeOf result');
  }

  #callUtility(key: K, value: V): number {
    let u: unknown;
    try {
      u = this.#utilityOf!(key, value);
    } catch (err) {
      throw new CacheInputError('utility', `utility function threw: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    return checkUtility(u);
  }

  #setExpiry(slot: number, ttl: number): void {
    if (ttl > 0) {
      if (this.#expires === null) {
        this.#expires = new Float64Array(this.#capacity);
        this.#ttlHeap = new IndexedHeap(this.#capacity);
      }
      const at = this.#now() + ttl;
      this.#expires[slot] = at;
      this.#ttlHeap!.set(slot, at, 0);
    } else if (this.#expires !== null && this.#expires[slot] !== 0) {
      this.#expires[slot] = 0;
      this.#ttlHeap!.delete(slot);
    }
  }

  #allocate(): number {
    if (this.#freeCount > 0) return this.#freeSlots[--this.#freeCount]!;
    if (this.#top === this.#capacity) this.#grow();
    return this.#top++;
  }

  #grow(): void {
    const cap = Math.min(this.#slotLimit, Math.max(INITIAL_SLOTS, this.#capacity * 2));
    if (cap <= this.#capacity) throw new CacheOptionsError('cache state', ['slot capacity exhausted']);
    for (let i = this.#keys.length; i < cap; i++) {
      this.#keys.push(undefined);
      this.#vals.push(undefined);
    }
    this.#sizes = growFloat64(this.#sizes, cap);
    this.#utilities = growFloat64(this.#utilities, cap);
    this.#freeSlots = growInt32(this.#freeSlots, cap);
    if (this.#expires !== null) {
      this.#expires = growFloat64(this.#expires, cap);
      this.#ttlHeap!.resize(cap);
    }
    this.#policy.resize(cap, this.maxEntries);
    this.#capacity = cap;
  }

  /** Evicts until both bounds hold (after an insert or a growing overwrite). */
  #evictOverflow(): void {
    while (this.#map.size > this.maxEntries || this.#bytes > this.maxBytes) this.#evictOne();
  }

  /** Removes one entry: an expired one if any, else the policy's victim. */
  #evictOne(): void {
    const heap = this.#ttlHeap;
    if (heap !== null && heap.size > 0) {
      const s = heap.peek();
      if (this.#expires![s]! <= this.#now()) {
        this.#remove(s, EXPIRE);
        return;
      }
    }
    this.#remove(this.#policy.victim(), EVICT);
  }

  /** Takes `slot` out of every structure and queues its disposal. */
  #remove(slot: number, reason: number, fromMap = true): void {
    const key = this.#keys[slot] as K;
    const value = this.#vals[slot];
    if (fromMap) {
      this.#map.delete(key);
      this.#policy.remove(slot);
      this.#freeSlots[this.#freeCount++] = slot;
    }
    if (this.#expires !== null && this.#expires[slot] !== 0) {
      this.#expires[slot] = 0;
      this.#ttlHeap!.delete(slot);
    }
    const size = this.#sizes[slot]!;
    this.#bytes -= size;
    this.#keys[slot] = undefined;
    this.#vals[slot] = undefined;
    this.#count(reason, size, value, key);
  }

  #count(reason: number, size: number, value: V | undefined, key: K): void {
    this.#removals[reason]!++;
    this.#removedBytes[reason]! += size;
    if (this.#dispose !== undefined) {
      const i = this.#pendingCount++;
      this.#pendingVals[i] = value;
      this.#pendingKeys[i] = key;
      this.#pendingReasons[i] = reason;
    }
  }

  /** Runs queued disposals (bounds already hold), then tells the manager. */
  #afterChange(): void {
    if (this.#pendingCount > 0 && !this.#flushing) this.#flush();
    if (this.#account !== null) this.#account.changed();
  }

  #flush(): void {
    const dispose = this.#dispose!;
    this.#flushing = true;
    let failed = false;
    let error: unknown;
    try {
      // A disposal may call back into the cache and queue more: the loop picks them up.
      for (let i = 0; i < this.#pendingCount; i++) {
        const v = this.#pendingVals[i] as V;
        const k = this.#pendingKeys[i] as K;
        this.#pendingVals[i] = undefined;
        this.#pendingKeys[i] = undefined;
        try {
          dispose(v, k, REASONS[this.#pendingReasons[i]!]!);
        } catch (err) {
          if (!failed) {
            failed = true;
            error = err;
          }
        }
      }
    } finally {
      this.#pendingCount = 0;
      this.#flushing = false;
    }
    if (failed) throw error;
  }
}

function checkSize(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new CacheInputError('size', `${what} must be a finite number ≥ 0, got ${describe(n)}`);
  }
  return n;
}

function checkUtility(u: unknown): number {
  if (typeof u !== 'number' || !Number.isFinite(u)) {
    throw new CacheInputError('utility', `utility must be a finite number, got ${describe(u)}`);
  }
  return u;
}

function checkTtl(t: unknown): number {
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    throw new CacheInputError('ttl', `ttl must be a finite number ≥ 0 (ms), got ${describe(t)}`);
  }
  return t;
}

function describe(v: unknown): string {
  return typeof v === 'number' ? String(v) : typeof v;
}

