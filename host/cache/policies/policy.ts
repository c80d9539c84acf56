/**
 * The one interface every eviction policy implements. The cache owns keys, values, sizes and
 * expiry in arrays indexed by *slot* (a dense integer per resident entry); a policy owns only
 * the order in which slots should leave, in its own slot-indexed typed arrays. The cache tells
 * the policy what happened (insert, touch, remove) and asks it for a victim; the policy never
 * removes anything itself.
 *
 * Contract (checked by the property tests for every policy):
 * - `resize(n)` comes before any slot ≥ the previous capacity is used; capacity only grows.
 * - `insert(slot, …)` for a slot not in the policy; `touch`/`setUtility`/`remove` only for
 *   slots in it; `victim()` only when at least one slot is in it, and returns one of them.
 * - After `victim()` returns s, the cache calls `remove(s)` before any other call.
 * - Every method is O(1) or O(log n) (amortised), with no allocation on `touch`.
 */
export interface EvictionPolicy {
  /** The policy's name as in {@link PolicyName}. */
  readonly name: PolicyName;
  /** Whether `insert` needs the key's 32-bit hash (frequency sketches); otherwise 0 is passed. */
  readonly needsHash: boolean;
  /** Whether the policy orders by utility; otherwise the cache may pass 0. */
  readonly usesUtility: boolean;
  /**
   * Grows per-slot storage to `capacity` slots. `maxEntries` is the cache's entry bound
   * (Infinity when only bytes bound it) for policies that size regions from it.
   */
  resize(capacity: number, maxEntries: number): void;
  /** A new entry now occupies `slot`. */
  insert(slot: number, hash: number, utility: number): void;
  /** The entry in `slot` was read (a hit) or overwritten by set. */
  touch(slot: number): void;
  /** The entry's utility changed. */
  setUtility(slot: number, utility: number): void;
  /** The entry in `slot` leaves the cache (for whatever reason). */
  remove(slot: number): void;
  /** The slot to evict next. May reorganise internal regions; must not remove anything. */
  victim(): number;
  /** Forgets every slot (history such as a frequency sketch may be kept). */
  clear(): void;
}

export const POLICY_NAMES = ['lru', 'lfu', 'utility', 'hybrid', 'random', 'wtinylfu'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];
