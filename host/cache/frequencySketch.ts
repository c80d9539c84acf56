import { nextPowerOfTwo } from './slots.js';

/** Largest count a counter holds (4 bits, as in TinyLFU: frequencies past 15 add nothing). */
export const MAX_COUNT = 15;
const DEPTH = 4;
/** Odd multipliers, one per row: row i's index is the top bits of hash × SEEDS[i]. */
const SEEDS = [0x97cb3127, 0xbe98f273, 0x2f90404f, 0x84222325 | 1] as const;

/**
 * TinyLFU's approximate frequency history (Einziger, Friedman, Manes: "TinyLFU: a highly
 * efficient cache admission policy", 2017): a count-min sketch of 4 rows of saturating
 * counters (max {@link MAX_COUNT}) in front of which sits a doorkeeper, a Bloom filter that
 * absorbs each key's first occurrence so one-hit wonders never reach the counters. After
 * `sampleSize` (`sampleFactor` × capacity) increments every counter is halved and the doorkeeper
 * cleared ("reset"), so the history ages and follows a changing popularity.
 *
 * It remembers keys that are no longer cached: that is what lets W-TinyLFU refuse a newcomer
 * less popular than the entry it would displace. O(1) per operation; the reset is O(width),
 * once every sampleSize operations, so O(1) amortised.
 */
export class FrequencySketch {
  #table: Uint8Array;
  #mask: number;
  #shift: number;
  #door: Int32Array;
  #doorMask: number;
  #sampleSize: number;
  #additions = 0;
  #resets = 0;

  /**
   * `capacity`: the number of entries the cache holds. The sketch has 4 rows of
   * nextPowerOfTwo(4 × capacity) one-byte counters (16 counters per entry, as Caffeine), the
   * doorkeeper 4 bits per increment of a sample period of `sampleFactor` × capacity.
   */
  constructor(capacity: number, sampleFactor = 10) {
    const width = nextPowerOfTwo(Math.max(16, 4 * capacity));
    this.#table = new Uint8Array(DEPTH * width);
    this.#mask = width - 1;
    this.#shift = 32 - Math.log2(width);
    this.#sampleSize = sampleFactor * Math.max(16, capacity);
    // About 4 bits per insertion of a sample keeps the doorkeeper's false positives low.
    const doorBits = nextPowerOfTwo(Math.max(256, 4 * this.#sampleSize));
    this.#door = new Int32Array(doorBits >>> 5);
    this.#doorMask = doorBits - 1;
  }

  get sampleSize(): number {
    return this.#sampleSize;
  }

  /**
   * Changes the sample period (at least 16 increments). A period longer than the one the
   * sketch was built for makes the doorkeeper's false positives rise, so callers shorten it
   * only. When the current period has already reached the new length, the reset happens now.
   */
  set sampleSize(increments: number) {
    this.#sampleSize = Math.max(16, Math.floor(increments));
    if (this.#additions >= this.#sampleSize) this.#reset();
  }

  /** How many times the counters were halved so far (lets users re-read frozen estimates). */
  get resets(): number {
    return this.#resets;
  }

  /** Estimated number of occurrences of `hash` since the last resets (0..MAX_COUNT + 1). */
  frequency(hash: number): number {
    let min = MAX_COUNT;
    const t = this.#table;
    for (let i = 0; i < DEPTH; i++) {
      const c = t[i * (this.#mask + 1) + this.#index(hash, i)]!;
      if (c < min) min = c;
    }
    return this.#doorContains(hash) ? min + 1 : min;
  }

  /** Records one occurrence of `hash`. */
  increment(hash: number): void {
    if (this.#doorAdd(hash)) {
      // First sighting in this sample period: the doorkeeper absorbs it.
    } else {
      const t = this.#table;
      const width = this.#mask + 1;
      // Conservative update: only the smallest counters grow (tighter estimates).
      let min = MAX_COUNT;
      for (let i = 0; i < DEPTH; i++) {
        const c = t[i * width + this.#index(hash, i)]!;
        if (c < min) min = c;
      }
      if (min < MAX_COUNT) {
        for (let i = 0; i < DEPTH; i++) {
          const j = i * width + this.#index(hash, i);
          if (t[j] === min) t[j] = min + 1;
        }
      }
    }
    if (++this.#additions >= this.#sampleSize) this.#reset();
  }

  /** Forgets everything. */
  clear(): void {
    this.#table.fill(0);
    this.#door.fill(0);
    this.#additions = 0;
  }

  #reset(): void {
    const t = this.#table;
    for (let i = 0; i < t.length; i++) t[i] = t[i]! >>> 1;
    this.#door.fill(0);
    this.#additions = 0;
    this.#resets++;
  }

  #index(hash: number, row: number): number {
    // Multiplicative hashing: the high bits of the product depend on every bit of the hash.
    return Math.imul(hash, SEEDS[row]!) >>> this.#shift;
  }

  /** Sets the key's 3 doorkeeper bits; true when at least one was clear (first sighting). */
  #doorAdd(hash: number): boolean {
    const d = this.#door;
    let added = false;
    let h = hash;
    for (let i = 0; i < 3; i++) {
      h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
      h ^= h >>> 13;
      const bit = h & this.#doorMask;
      const w = bit >>> 5;
      const m = 1 << (bit & 31);
      if ((d[w]! & m) === 0) {
        d[w] = d[w]! | m;
        added = true;
      }
    }
    return added;
  }

  #doorContains(hash: number): boolean {
    const d = this.#door;
    let h = hash;
    for (let i = 0; i < 3; i++) {
      h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
      h ^= h >>> 13;
      const bit = h & this.#doorMask;
      if ((d[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}
