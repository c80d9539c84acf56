import { FrequencySketch } from '../frequencySketch.js';
import { LinkedSlots, NIL } from '../linkedSlots.js';
import { growInt32, growUint8 } from '../slots.js';
import type { EvictionPolicy } from './policy.js';

const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;

export interface WTinyLfuTuning {
  /** Share of the capacity for the admission window (LRU); default 0.01. */
  readonly windowFraction: number;
  /** Share of the main region that is protected (SLRU); default 0.8. */
  readonly protectedFraction: number;
}

export const DEFAULT_WTINYLFU: WTinyLfuTuning = { windowFraction: 0.01, protectedFraction: 0.8 };

/**
 * W-TinyLFU (Einziger, Friedman, Manes 2017; the policy of Caffeine), scan-resistant:
 *
 * - New entries enter a small LRU *window* (1 % of the capacity), so bursts get a chance.
 * - The window's overflow becomes a *candidate* for the main region, a segmented LRU
 *   (probation, and protected = 80 % of main; a hit in probation promotes to protected, whose
 *   overflow is demoted back to probation).
 * - When the cache must evict, the candidate competes with main's victim (the head of
 *   probation) on their estimated frequency in a {@link FrequencySketch} (count-min + doorkeeper,
 *   which also remembers evicted keys): the less frequent one leaves. A scan of one-time keys
 *   therefore passes through the window without displacing the frequently used main region.
 *
 * Every operation O(1) (the sketch's periodic halving is amortised O(1)).
 */
export class WTinyLfuPolicy implements EvictionPolicy {
  readonly name = 'wtinylfu' as const;
  readonly needsHash = true;
  readonly usesUtility = false;
  readonly #lists = new LinkedSlots(3, 0);
  #region = new Uint8Array(0);
  #hash = new Int32Array(0);
  #sketch: FrequencySketch | null = null;
  #sketchFor = 0;
  #maxWindow = 1;
  #maxProtected = 0;
  #fixedCapacity = Infinity;
  /** The last entry moved from the window to probation, not yet judged; NIL when none. */
  #candidate = NIL;
  readonly #tuning: WTinyLfuTuning;

  constructor(tuning: WTinyLfuTuning = DEFAULT_WTINYLFU) {
    this.#tuning = tuning;
  }

  resize(capacity: number, maxEntries: number): void {
    this.#lists.resize(capacity);
    this.#region = growUint8(this.#region, capacity);
    this.#hash = growInt32(this.#hash, capacity);
    // Regions are sized from the entry bound; a cache bounded only by bytes sizes them from
    // its current slot capacity (which doubles as it fills).
    this.#fixedCapacity = Number.isFinite(maxEntries) ? maxEntries : capacity;
    const cap = this.#fixedCapacity;
    this.#maxWindow = Math.max(1, Math.floor(this.#tuning.windowFraction * cap));
    this.#maxProtected = Math.floor(this.#tuning.protectedFraction * Math.max(0, cap - this.#maxWindow));
    if (this.#sketch === null || this.#sketchFor < cap) {
      this.#sketch = new FrequencySketch(cap);
      this.#sketchFor = cap;
    }
  }

  insert(slot: number, hash: number): void {
    this.#hash[slot] = hash;
    this.#sketch!.increment(hash);
    this.#region[slot] = WINDOW;
    const lists = this.#lists;
    lists.push(WINDOW, slot);
    if (lists.lengths[WINDOW]! > this.#maxWindow) {
      const c = lists.heads[WINDOW]!;
      lists.remove(WINDOW, c);
      lists.push(PROBATION, c);
      this.#region[c] = PROBATION;
      this.#candidate = c;
    }
  }

  touch(slot: number): void {
    this.#sketch!.increment(this.#hash[slot]!);
    const lists = this.#lists;
    switch (this.#region[slot]) {
      case WINDOW:
        lists.moveToTail(WINDOW, slot);
        break;
      case PROBATION:
        if (slot === this.#candidate) this.#candidate = NIL;
        lists.remove(PROBATION, slot);
        lists.push(PROTECTED, slot);
        this.#region[slot] = PROTECTED;
        if (lists.lengths[PROTECTED]! > this.#maxProtected) {
          const d = lists.heads[PROTECTED]!;
          lists.remove(PROTECTED, d);
          lists.push(PROBATION, d);
          this.#region[d] = PROBATION;
        }
        break;
      default:
        lists.moveToTail(PROTECTED, slot);
    }
  }

  setUtility(): void {}

  remove(slot: number): void {
    if (slot === this.#candidate) this.#candidate = NIL;
    this.#lists.remove(this.#region[slot]!, slot);
  }

  victim(): number {
    const lists = this.#lists;
    const candidate = this.#candidate;
    let victim = lists.heads[PROBATION]!;
    if (candidate !== NIL && victim === candidate) victim = lists.next[candidate]!;
    if (victim === NIL) victim = lists.heads[PROTECTED]!;
    if (candidate !== NIL) {
      this.#candidate = NIL;
      if (victim === NIL) return candidate;
      // TinyLFU admission: the candidate gets in only if strictly more frequent than the victim.
      const sketch = this.#sketch!;
      return sketch.frequency(this.#hash[candidate]!) > sketch.frequency(this.#hash[victim]!) ? victim : candidate;
    }
    if (victim !== NIL) return victim;
    return lists.heads[WINDOW]!;
  }

  clear(): void {
    this.#lists.clear();
    this.#candidate = NIL;
  }

  /** Which region a resident slot is in (for tests): 'window' | 'probation' | 'protected'. */
  regionOf(slot: number): 'window' | 'probation' | 'protected' {
    return (['window', 'probation', 'protected'] as const)[this.#region[slot]!]!;
  }
}
