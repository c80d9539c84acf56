import { NIL } from '../linkedSlots.js';
import { growFloat64, growInt32 } from '../slots.js';
import type { EvictionPolicy } from './policy.js';

/**
 * Least frequently used, in O(1) per operation (Shah, Mitra, Matani: "An O(1) algorithm for
 * implementing the LFU cache eviction scheme", 2010): a list of frequency buckets in
 * ascending order, each holding the entries of that frequency in an intrusive list (oldest
 * first). A hit moves the entry into the bucket of frequency + 1, created next to its current
 * one when missing; the victim is the oldest entry of the lowest bucket, so ties between equal
 * frequencies go to the least recently used (never the entry just inserted, while others exist). Frequencies count hits since insertion (classic
 * in-cache LFU, no ageing: see the hybrid and W-TinyLFU for policies that forget).
 */
export class LfuPolicy implements EvictionPolicy {
  readonly name = 'lfu' as const;
  readonly needsHash = false;
  readonly usesUtility = false;

  // Per slot: its bucket and its neighbours inside the bucket.
  #bucketOf = new Int32Array(0);
  #next = new Int32Array(0);
  #prev = new Int32Array(0);
  // Per bucket (a pool of capacity + 1: buckets are never empty, but a hit creates the
  // next bucket before it may free the current one).
  #freq = new Float64Array(0);
  #head = new Int32Array(0);
  #tail = new Int32Array(0);
  #bNext = new Int32Array(0);
  #bPrev = new Int32Array(0);
  #freeBuckets = new Int32Array(0);
  #freeCount = 0;
  #pool = 0;
  /** Lowest-frequency bucket (the head of the bucket list). */
  #min = NIL;
  /**
   * The entry inserted last, until it is used or removed. The cache inserts before it evicts;
   * LFU must not pick the newcomer (whose count is always the minimum, 1) while others exist,
   * or a cache full of entries used twice would refuse every new key.
   */
  #newest = NIL;

  resize(capacity: number): void {
    this.#bucketOf = growInt32(this.#bucketOf, capacity);
    this.#next = growInt32(this.#next, capacity);
    this.#prev = growInt32(this.#prev, capacity);
    const pool = capacity + 1;
    if (pool <= this.#pool) return;
    this.#freq = growFloat64(this.#freq, pool);
    this.#head = growInt32(this.#head, pool);
    this.#tail = growInt32(this.#tail, pool);
    this.#bNext = growInt32(this.#bNext, pool);
    this.#bPrev = growInt32(this.#bPrev, pool);
    const free = new Int32Array(pool);
    free.set(this.#freeBuckets.subarray(0, this.#freeCount));
    for (let b = this.#pool; b < pool; b++) free[this.#freeCount++] = b;
    this.#freeBuckets = free;
    this.#pool = pool;
  }

  insert(slot: number): void {
    let b = this.#min;
    if (b === NIL || this.#freq[b] !== 1) b = this.#newBucket(1, NIL, b);
    this.#append(b, slot);
    this.#newest = slot;
  }

  touch(slot: number): void {
    if (slot === this.#newest) this.#newest = NIL;
    const b = this.#bucketOf[slot]!;
    const f = this.#freq[b]! + 1;
    let nb = this.#bNext[b]!;
    if (nb === NIL || this.#freq[nb] !== f) nb = this.#newBucket(f, b, nb);
    this.#unlink(b, slot);
    this.#append(nb, slot);
  }

  setUtility(): void {}

  remove(slot: number): void {
    if (slot === this.#newest) this.#newest = NIL;
    this.#unlink(this.#bucketOf[slot]!, slot);
  }

  victim(): number {
    const v = this.#head[this.#min]!;
    if (v !== this.#newest) return v;
    // Skip the newcomer: the next entry of its bucket, else the head of the next bucket.
    const n = this.#next[v]!;
    if (n !== NIL) return n;
    const nb = this.#bNext[this.#min]!;
    return nb !== NIL ? this.#head[nb]! : v;
  }

  clear(): void {
    this.#min = NIL;
    this.#newest = NIL;
    this.#freeCount = 0;
    for (let b = 0; b < this.#pool; b++) this.#freeBuckets[this.#freeCount++] = b;
  }

  /** Frequency of a resident slot (for tests and diagnostics). */
  frequency(slot: number): number {
    return this.#freq[this.#bucketOf[slot]!]!;
  }

  #newBucket(freq: number, prev: number, next: number): number {
    const b = this.#freeBuckets[--this.#freeCount]!;
    this.#freq[b] = freq;
    this.#head[b] = NIL;
    this.#tail[b] = NIL;
    this.#bPrev[b] = prev;
    this.#bNext[b] = next;
    if (prev === NIL) this.#min = b;
    else this.#bNext[prev] = b;
    if (next !== NIL) this.#bPrev[next] = b;
    return b;
  }

  #append(b: number, slot: number): void {
    const t = this.#tail[b]!;
    this.#bucketOf[slot] = b;
    this.#prev[slot] = t;
    this.#next[slot] = NIL;
    if (t === NIL) this.#head[b] = slot;
    else this.#next[t] = slot;
    this.#tail[b] = slot;
  }

  /** Unlinks `slot` from bucket `b`, freeing the bucket when it empties. */
  #unlink(b: number, slot: number): void {
    const p = this.#prev[slot]!;
    const n = this.#next[slot]!;
    if (p === NIL) this.#head[b] = n;
    else this.#next[p] = n;
    if (n === NIL) this.#tail[b] = p;
    else this.#prev[n] = p;
    if (this.#head[b] !== NIL) return;
    const bp = this.#bPrev[b]!;
    const bn = this.#bNext[b]!;
    if (bp === NIL) this.#min = bn;
    else this.#bNext[bp] = bn;
    if (bn !== NIL) this.#bPrev[bn] = bp;
    this.#freeBuckets[this.#freeCount++] = b;
  }
}
