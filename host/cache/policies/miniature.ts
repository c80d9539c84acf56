import { mix32 } from '../hash.js';
import type { EvictionPolicy } from './policy.js';

/**
 * A miniature simulation (Waldspurger et al., "Cache modeling and optimization using
 * miniature simulations", USENIX ATC 2017): a key-only copy of a policy that sees a hash-sampled
 * subset of the keys (1 in `rate`) with the capacity scaled down by the same factor, and counts
 * its hits. Spatial sampling keeps each sampled key's whole access history, so the miniature's
 * hit ratio estimates the full-size cache's under that policy. Used by the hybrid to choose its
 * window share. O(1) expected per sampled access (plus the policy's own cost); unsampled
 * accesses cost one comparison.
 */
export class MiniatureSimulation {
  readonly #policy: EvictionPolicy;
  readonly #capacity: number;
  readonly #mask: number;
  readonly #slots = new Map<number, number>();
  #keys: Int32Array;
  #free: Int32Array;
  #freeCount = 0;
  #top = 0;
  /** Hits and accesses, decayed by half at each `decay()`. */
  hits = 0;
  accesses = 0;

  /** `rate` must be a power of two; the miniature holds ceil(capacity / rate) keys. */
  constructor(policy: EvictionPolicy, capacity: number, rate: number) {
    this.#policy = policy;
    this.#capacity = Math.max(1, Math.ceil(capacity / rate));
    this.#mask = rate - 1;
    this.#keys = new Int32Array(this.#capacity + 1);
    this.#free = new Int32Array(this.#capacity + 1);
    policy.resize(this.#capacity + 1, this.#capacity);
  }

  /** Whether a key hash belongs to the sample. */
  samples(hash: number): boolean {
    return (mix32(hash ^ 0x2545f491) & this.#mask) === 0;
  }

  /** Replays one access of a sampled key. */
  access(hash: number): void {
    this.accesses++;
    const slot = this.#slots.get(hash);
    if (slot !== undefined) {
      this.hits++;
      this.#policy.touch(slot);
      return;
    }
    const s = this.#freeCount > 0 ? this.#free[--this.#freeCount]! : this.#top++;
    this.#keys[s] = hash;
    this.#slots.set(hash, s);
    this.#policy.insert(s, hash, 0);
    if (this.#slots.size > this.#capacity) {
      const v = this.#policy.victim();
      this.#policy.remove(v);
      this.#slots.delete(this.#keys[v]!);
      this.#free[this.#freeCount++] = v;
    }
  }

  /** Halves the counts, so the choice follows the recent past. */
  decay(): void {
    this.hits /= 2;
    this.accesses /= 2;
  }

  get hitRatio(): number {
    return this.accesses === 0 ? 0 : this.hits / this.accesses;
  }
}
