import { FrequencySketch, MAX_COUNT } from '../frequencySketch.js';
import { IndexedHeap } from '../indexedHeap.js';
import { LinkedSlots, NIL } from '../linkedSlots.js';
import { growFloat64, growInt32, growUint8 } from '../slots.js';
import { MiniatureSimulation } from './miniature.js';
import type { EvictionPolicy } from './policy.js';

export interface HybridTuning {
  /** Weights of the normalised components (only their ratios matter). */
  readonly weights: { readonly age: number; readonly frequency: number; readonly utility: number };
  /** Accesses over which the age component falls from 1 to 0; undefined = the capacity. */
  readonly ageHorizon: number | undefined;
  /** TinyLFU-style admission of window leavers (frequency + utility); default true. */
  readonly admission: boolean;
  /** Choose the window share by miniature simulations; default true. */
  readonly adaptive: boolean;
  /** Initial share of the capacity for the window. */
  readonly windowFraction: number;
  /** Share of the main region that is protected. */
  readonly protectedFraction: number;
  /**
   * Sketch sample period (frequency history) in multiples of the capacity; default
   * {@link SAMPLE_FACTOR}. Not a public option: the adaptive hybrid sets it with the window.
   */
  readonly sampleFactor?: number;
}

export const DEFAULT_HYBRID: HybridTuning = {
  weights: { age: 0.95, frequency: 0.05, utility: 0 },
  ageHorizon: undefined,
  admission: true,
  adaptive: true,
  windowFraction: 0.01,
  protectedFraction: 0.8,
};

const WINDOW = 0;
const PROTECTED = 1;
const PROBATION = 2; // not a list: the scored heap
const FREQ_NORM = 1 / (MAX_COUNT + 1);
/**
 * Sketch sample period, in multiples of the capacity: twice W-TinyLFU's 10, so frequency
 * history lasts longer (measured: Zipf 0.99 63.1 % → 63.7 %). The longest any configuration
 * uses (the sketch's doorkeeper is sized for it).
 */
export const SAMPLE_FACTOR = 20;
/**
 * The configurations the miniature simulations try (the adaptive hybrid adopts the best), as
 * points on one recency–frequency axis: the window's share of the capacity, and the length of
 * the frequency history (sketch sample period, × capacity). Frequency-biased configurations
 * (small windows) keep the long history; recency-biased ones (window ≥ 20 %) age frequencies
 * twice as fast, W-TinyLFU's standard 10 × capacity (Einziger et al., Middleware 2018, adapt
 * either knob; here one choice sets both). Share 1 is plain LRU (the sketch is unused there).
 * Measured on the benchmark: sprite @500 77.7 % → 78.5 % (LRU 78.3 %), every other point
 * within ±0.5 pt, Zipf unchanged.
 */
export const ADAPTIVE_CHOICES: readonly { readonly window: number; readonly history: number }[] = [
  { window: 0.01, history: SAMPLE_FACTOR },
  { window: 0.05, history: SAMPLE_FACTOR },
  { window: 0.2, history: 10 },
  { window: 0.5, history: 10 },
  { window: 1, history: 10 },
];
/** Smallest miniature worth simulating: capacities below it are simulated at full size. */
const MIN_MINIATURE = 512;

/**
 * Hybrid of age, frequency and utility, each normalised to 0..1 before weighting:
 *
 * - age: 1 for an entry used just now, falling linearly to 0 after `ageHorizon` accesses
 *   (a logical clock, so a trace replays alike at any speed);
 * - frequency: the key's estimated use count in a TinyLFU sketch (0..16) / 16; the sketch
 *   remembers evicted keys and halves periodically, so frequency ages as well;
 * - utility: the caller's utility clamped to 0..1.
 *
 * score = w_age · age + w_freq · frequency + w_util · utility (weights normalised to sum 1).
 *
 * Structure (W-TinyLFU's, with the score where it has plain LRU order):
 * - a small LRU *window* takes new entries;
 * - an entry leaving the window is *admitted* to the main region only if its frequency +
 *   utility beats that of the victim it would displace (TinyLFU admission, with utility);
 * - main = *probation*, ordered by the score in an indexed heap (the victim is its lowest
 *   score), and *protected* (LRU), for entries used again while in probation;
 * - the window's share of the capacity and the sketch's history adapt together: five
 *   {@link MiniatureSimulation}s of this same policy, one per {@link ADAPTIVE_CHOICES} entry
 *   (window 1 % and 5 % with a 20 × capacity history; 20 %, 50 % and 100 % = plain LRU with
 *   10 × capacity), replay a hash-sampled subset of the keys at a proportionally scaled
 *   capacity; every 10 × capacity accesses the cache adopts the configuration whose miniature
 *   had the best (decayed) hit ratio. Recency-heavy workloads get a large window and a short
 *   frequency memory, frequency-heavy and scanning ones a small window and a long memory.
 *   (Caffeine hill-climbs the same knob; measured on the benchmark traces, hill climbing lost
 *   up to 3 pt to static W-TinyLFU on some, the miniatures lose at most a few tenths.)
 *
 * Time invariance: the age term is `1 − (now − last)/H`; its `now/H` part is common to every
 * entry, so the heap key `w_age · last/H + w_freq · f + w_util · u` orders entries exactly as
 * the score does at any time (past the horizon an idle entry's age keeps falling below 0, so
 * among long-idle entries the older leaves first). Keys change only on use, utility update,
 * or when the sketch halves its counters (then the heap is re-keyed in O(n), once per
 * 10 or 20 × capacity accesses: O(1) amortised). Every other operation is O(log n) or O(1).
 */
export class HybridPolicy implements EvictionPolicy {
  readonly name = 'hybrid' as const;
  readonly needsHash = true;
  readonly usesUtility = true;
  readonly #lists = new LinkedSlots(2, 0);
  readonly #probation = new IndexedHeap(0);
  #region = new Uint8Array(0);
  #hash = new Int32Array(0);
  #last = new Float64Array(0);
  #utility = new Float64Array(0);
  #sketch: FrequencySketch | null = null;
  #sketchFor = 0;
  #sketchResets = 0;
  #capacity = 1;
  #horizon = 1;
  #clock = 0;
  #candidate = NIL;
  readonly #wAge: number;
  readonly #wFreq: number;
  readonly #wUtil: number;
  readonly #tuning: HybridTuning;
  #maxWindow = 1;
  #maxProtected = 0;
  #windowShare: number;
  #history: number;
  // Adaptation: miniature simulations of the same policy at each window share.
  #minis: MiniatureSimulation[] = [];
  #sinceChoice = 0;

  constructor(tuning: HybridTuning = DEFAULT_HYBRID) {
    this.#tuning = tuning;
    this.#windowShare = tuning.windowFraction;
    this.#history = tuning.sampleFactor ?? SAMPLE_FACTOR;
    const sum = tuning.weights.age + tuning.weights.frequency + tuning.weights.utility;
    this.#wAge = tuning.weights.age / sum;
    this.#wFreq = tuning.weights.frequency / sum;
    this.#wUtil = tuning.weights.utility / sum;
  }

  resize(capacity: number, maxEntries: number): void {
    this.#lists.resize(capacity);
    this.#probation.resize(capacity);
    this.#region = growUint8(this.#region, capacity);
    this.#hash = growInt32(this.#hash, capacity);
    this.#last = growFloat64(this.#last, capacity);
    this.#utility = growFloat64(this.#utility, capacity);
    const cap = Number.isFinite(maxEntries) ? maxEntries : capacity;
    this.#capacity = cap;
    this.#horizon = this.#tuning.ageHorizon ?? cap;
    this.#sizeRegions();
    if (this.#sketch === null || this.#sketchFor < cap) {
      this.#sketch = new FrequencySketch(cap, Math.max(SAMPLE_FACTOR, this.#history));
      this.#sketch.sampleSize = this.#history * Math.max(16, cap);
      this.#sketchFor = cap;
      this.#sketchResets = 0;
      if (this.#tuning.adaptive) this.#startMiniatures(cap);
    }
  }

  insert(slot: number, hash: number, utility: number): void {
    this.#hash[slot] = hash;
    this.#utility[slot] = clamp01(utility);
    this.#last[slot] = ++this.#clock;
    this.#sketch!.increment(hash);
    this.#region[slot] = WINDOW;
    this.#lists.push(WINDOW, slot);
    this.#maintain(hash);
    this.#drainWindow();
  }

  touch(slot: number): void {
    this.#last[slot] = ++this.#clock;
    this.#sketch!.increment(this.#hash[slot]!);
    const lists = this.#lists;
    switch (this.#region[slot]) {
      case WINDOW:
        lists.moveToTail(WINDOW, slot);
        break;
      case PROBATION:
        if (slot === this.#candidate) this.#candidate = NIL;
        this.#probation.delete(slot);
        this.#region[slot] = PROTECTED;
        lists.push(PROTECTED, slot);
        this.#demoteOverflow();
        break;
      default:
        lists.moveToTail(PROTECTED, slot);
    }
    this.#maintain(this.#hash[slot]!);
  }

  setUtility(slot: number, utility: number): void {
    this.#utility[slot] = clamp01(utility);
    if (this.#region[slot] === PROBATION) this.#probation.set(slot, this.#key(slot), 0);
  }

  remove(slot: number): void {
    if (slot === this.#candidate) this.#candidate = NIL;
    const r = this.#region[slot]!;
    if (r === PROBATION) this.#probation.delete(slot);
    else this.#lists.remove(r, slot);
  }

  victim(): number {
    const candidate = this.#candidate;
    this.#candidate = NIL;
    let victim = this.#probation.peek();
    if (candidate !== NIL) {
      if (victim === candidate) victim = this.#lists.heads[PROTECTED]!;
      if (victim === NIL || !this.#tuning.admission) return victim === NIL ? candidate : victim;
      return this.#merit(candidate) > this.#merit(victim) ? victim : candidate;
    }
    if (victim === NIL) victim = this.#lists.heads[PROTECTED]!;
    return victim !== NIL ? victim : this.#lists.heads[WINDOW]!;
  }

  clear(): void {
    this.#lists.clear();
    this.#probation.clear();
    this.#candidate = NIL;
  }

  /** Current window share of the capacity (for tests and the benchmark). */
  get windowShare(): number {
    return this.#windowShare;
  }

  /** Current frequency history (sketch sample period) in multiples of the capacity. */
  get historyFactor(): number {
    return this.#history;
  }

  /** The time-invariant heap key (see the class comment). */
  #key(slot: number): number {
    return (
      (this.#wAge * this.#last[slot]!) / this.#horizon +
      this.#wFreq * this.#sketch!.frequency(this.#hash[slot]!) * FREQ_NORM +
      this.#wUtil * this.#utility[slot]!
    );
  }

  readonly #rekey = (slot: number): number => this.#key(slot);

  /** What admission compares: the time-independent part of the score. */
  #merit(slot: number): number {
    const f = this.#sketch!.frequency(this.#hash[slot]!) * FREQ_NORM;
    return this.#wUtil === 0 ? f : (1 - this.#wUtil) * f + this.#wUtil * this.#utility[slot]!;
  }

  #toProbation(slot: number): void {
    this.#region[slot] = PROBATION;
    // As in SLRU, entering probation (from the window or demoted from protected) restarts age.
    this.#last[slot] = ++this.#clock;
    this.#probation.set(slot, this.#key(slot), 0);
  }

  /** Moves the window's overflow to probation; the last one moved is the admission candidate. */
  #drainWindow(): void {
    const lists = this.#lists;
    while (lists.lengths[WINDOW]! > this.#maxWindow) {
      const c = lists.heads[WINDOW]!;
      lists.remove(WINDOW, c);
      this.#toProbation(c);
      this.#candidate = c;
    }
  }

  #demoteOverflow(): void {
    const lists = this.#lists;
    while (lists.lengths[PROTECTED]! > this.#maxProtected) {
      const d = lists.heads[PROTECTED]!;
      lists.remove(PROTECTED, d);
      this.#toProbation(d);
    }
  }

  #sizeRegions(): void {
    this.#maxWindow = Math.max(1, Math.round(this.#windowShare * this.#capacity));
    this.#maxProtected = Math.floor(this.#tuning.protectedFraction * Math.max(0, this.#capacity - this.#maxWindow));
  }

  /** Per-access upkeep: re-key after a sketch reset; feed the miniatures and follow the best. */
  #maintain(hash: number): void {
    this.#syncSketch();
    const minis = this.#minis;
    if (minis.length === 0) return;
    if (minis[0]!.samples(hash)) for (let i = 0; i < minis.length; i++) minis[i]!.access(hash);
    if (++this.#sinceChoice < 10 * this.#capacity) return;
    this.#sinceChoice = 0;
    let best = 0;
    for (let i = 1; i < minis.length; i++) if (minis[i]!.hitRatio > minis[best]!.hitRatio) best = i;
    for (const m of minis) m.decay();
    const { window, history } = ADAPTIVE_CHOICES[best]!;
    if (history !== this.#history) {
      this.#history = history;
      this.#sketch!.sampleSize = history * Math.max(16, this.#capacity);
      this.#syncSketch();
    }
    if (window !== this.#windowShare) {
      this.#windowShare = window;
      this.#sizeRegions();
      this.#drainWindow();
      this.#demoteOverflow();
    }
  }

  /** Re-keys the heap after a sketch reset: keys hold frequency estimates a halving made stale. */
  #syncSketch(): void {
    const resets = this.#sketch!.resets;
    if (resets !== this.#sketchResets) {
      this.#sketchResets = resets;
      this.#probation.rekeyAll(this.#rekey);
    }
  }

  #startMiniatures(capacity: number): void {
    let rate = 1;
    while (capacity / (rate * 2) >= MIN_MINIATURE) rate *= 2;
    this.#minis = ADAPTIVE_CHOICES.map(
      ({ window, history }) =>
        new MiniatureSimulation(
          new HybridPolicy({
            ...this.#tuning,
            weights: { ...this.#tuning.weights, utility: 0 },
            adaptive: false,
            windowFraction: window,
            sampleFactor: history,
          }),
          capacity,
          rate,
        ),
    );
  }
}

function clamp01(u: number): number {
  return u < 0 ? 0 : u > 1 ? 1 : u;
}
