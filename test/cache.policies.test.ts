/**
 * Each policy evicts what it should on small hand-made sequences. Expected victims are derived
 * from the policy's definition in the comments, not from running the code.
 */
import { describe, expect, it } from 'vitest';
import { IntelligentCache } from '../host/cache/cache.js';
import { FrequencySketch } from '../host/cache/frequencySketch.js';
import { HybridPolicy, SAMPLE_FACTOR } from '../host/cache/policies/hybrid.js';
import { heldKeys, recordingCache } from './support/cacheHelpers.js';

const evicted = (d: [string, unknown, string][]) => d.filter(([, , r]) => r === 'evict').map(([k]) => k);

describe('LRU', () => {
  it('evicts the least recently used, where a get counts as a use', () => {
    const { cache, disposed } = recordingCache({ maxEntries: 3, policy: 'lru' });
    cache.set('a', 1).set('b', 2).set('c', 3);
    cache.get('a'); // recency now b < c < a
    cache.set('d', 4); // evicts b
    cache.get('c'); // recency a < d < c
    cache.set('e', 5); // evicts a
    expect(evicted(disposed)).toEqual(['b', 'a']);
    expect(heldKeys(cache)).toEqual(['c', 'd', 'e']);
  });

  it('counts an overwrite as a use, but not peek or has', () => {
    const { cache, disposed } = recordingCache({ maxEntries: 2, policy: 'lru' });
    cache.set('a', 1).set('b', 2);
    cache.peek('a');
    cache.has('a');
    cache.set('c', 3); // a is still least recent: evicted
    cache.set('b', 20); // b used again
    cache.set('d', 4); // c is least recent
    expect(evicted(disposed)).toEqual(['a', 'c']);
  });
});

describe('LFU', () => {
  it('evicts the least frequently used, and the older of equal frequency', () => {
    const { cache, disposed } = recordingCache({ maxEntries: 3, policy: 'lfu' });
    cache.set('a', 1).set('b', 2).set('c', 3); // counts a1 b1 c1
    cache.get('a');
    cache.get('a'); // a3
    cache.get('b'); // b2
    cache.set('d', 4); // min count 1: c → evicted; d enters at 1
    cache.set('e', 5); // min count 1: d (the only one) → evicted
    cache.get('e');
    cache.get('e'); // e3, b2, a3
    cache.set('f', 6); // f (1) is the newcomer and not a victim; b has the lowest count (2)
    expect(evicted(disposed)).toEqual(['c', 'd', 'b']);
    expect(heldKeys(cache)).toEqual(['a', 'e', 'f']);
  });

  it('breaks ties between equal counts by recency of reaching that count', () => {
    const { cache, disposed } = recordingCache({ maxEntries: 2, policy: 'lfu' });
    cache.set('a', 1).set('b', 2);
    cache.get('b');
    cache.get('a'); // both at 2; b reached 2 first
    cache.set('c', 3); // the newcomer is never the victim; among a and b (2 each), b is older at 2
    expect(evicted(disposed)).toEqual(['b']);
    expect(heldKeys(cache)).toEqual(['a', 'c']);
  });
});

describe('utility', () => {
  it('evicts the lowest utility; updates move entries; ties go to the least recent', () => {
    const { cache, disposed } = recordingCache({ maxEntries: 3, policy: 'utility' });
    cache.set('a', 1, { utility: 5 }).set('b', 2, { utility: 1 }).set('c', 3, { utility: 3 });
    cache.set('d', 4, { utility: 4 }); // lowest is b (1)
    cache.setUtility('a', 0); // now a (0) is lowest
    cache.set('e', 5, { utility: 3 }); // evicts a
    // c (3, older) and e (3, newer) tie; d has 4.
    cache.set('f', 6, { utility: 10 }); // evicts c
    expect(evicted(disposed)).toEqual(['b', 'a', 'c']);
    expect(heldKeys(cache)).toEqual(['d', 'e', 'f']);
  });

  it('takes utilities from the utility function and keeps them on set without one', () => {
    const { cache, disposed } = recordingCache<number>({ maxEntries: 2, policy: 'utility', utility: (_k, v) => v });
    cache.set('x', 10).set('y', 1);
    cache.set('z', 5); // y (1) lowest
    expect(cache.getUtility('x')).toBe(10);
    expect(evicted(disposed)).toEqual(['y']);
  });
});

describe('random', () => {
  it('is reproducible under a seed and differs between seeds', () => {
    const run = (seed: number) => {
      const { cache, disposed } = recordingCache({ maxEntries: 10, policy: { name: 'random', seed } });
      for (let i = 0; i < 200; i++) cache.set(`k${i}`, i);
      return evicted(disposed);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('does not evict the first keys: every resident is a candidate (roughly uniform)', () => {
    // Fill 4 slots, then repeatedly insert-and-evict; count how often each original key
    // survives the first eviction across seeds. A "first keys" policy would always evict k0.
    const firstVictims = new Map<string, number>();
    for (let seed = 1; seed <= 400; seed++) {
      const { cache, disposed } = recordingCache({ maxEntries: 4, policy: { name: 'random', seed } });
      for (let i = 0; i < 5; i++) cache.set(`k${i}`, i);
      const v = evicted(disposed)[0]!;
      firstVictims.set(v, (firstVictims.get(v) ?? 0) + 1);
    }
    // 5 candidates (the newcomer included) → about 80 each; each must show up plenty.
    expect(firstVictims.size).toBe(5);
    for (const n of firstVictims.values()) expect(n).toBeGreaterThan(40);
  });
});

describe('W-TinyLFU', () => {
  it('refuses a newcomer less frequent than the entry it would displace (scan resistance)', () => {
    const cache = new IntelligentCache<string, number>({ maxEntries: 100, policy: 'wtinylfu' });
    // A hot set of 90 keys, each used several times.
    for (let round = 0; round < 6; round++) for (let i = 0; i < 90; i++) {
      const k = `hot${i}`;
      if (cache.get(k) === undefined) cache.set(k, i);
    }
    // A scan of 400 one-time keys (within one sample period of 10 × 100 accesses, so the hot
    // keys' counts are halved at most once: ≥ 2 against the scan keys' 1).
    for (let i = 0; i < 400; i++) if (cache.get(`scan${i}`) === undefined) cache.set(`scan${i}`, i);
    // The hot set survived (TinyLFU admission kept the scan in the 1-entry window).
    let hot = 0;
    for (let i = 0; i < 90; i++) if (cache.has(`hot${i}`)) hot++;
    expect(hot).toBe(90);
    // LRU under the same sequence keeps none of them.
    const lru = new IntelligentCache<string, number>({ maxEntries: 100, policy: 'lru' });
    for (let round = 0; round < 6; round++) for (let i = 0; i < 90; i++) lru.set(`hot${i}`, i);
    for (let i = 0; i < 400; i++) lru.set(`scan${i}`, i);
    expect([...lru.keys()].filter((k) => k.startsWith('hot'))).toEqual([]);
  });

  it('admits a newcomer that became more frequent than the victim', () => {
    const { cache, disposed } = recordingCache({ maxEntries: 3, policy: 'wtinylfu' });
    // capacity 3: window 1, main 2. a and b fill main (via the window), c sits in the window.
    cache.set('a', 1).set('b', 2).set('c', 3);
    // d enters: window overflows, c becomes the candidate against the probation head a.
    // Both seen once (doorkeeper only): c is not more frequent → c refused.
    cache.set('d', 4);
    expect(evicted(disposed)).toEqual(['c']);
    // Make e frequent: each set counts in the sketch, which remembers deleted keys.
    // First round: e → window, d → candidate (seen once) vs a (once): d refused. Later rounds
    // fit (3 entries: a, b, e) and evict nothing.
    for (let i = 0; i < 4; i++) {
      cache.set('e', 5);
      cache.delete('e');
    }
    expect(evicted(disposed)).toEqual(['c', 'd']);
    cache.set('e', 5); // fits: a, b, e
    cache.set('f', 6); // f → window; e → candidate (seen 5×) vs a (once): a evicted
    expect(evicted(disposed)).toEqual(['c', 'd', 'a']);
    expect(cache.has('e')).toBe(true);
  });
});

describe('hybrid', () => {
  it('with utility weight, keeps high-utility entries over recent low-utility ones', () => {
    const cache = new IntelligentCache<string, number>({
      maxEntries: 20,
      policy: { name: 'hybrid', weights: { age: 0.2, frequency: 0, utility: 0.8 }, adaptive: false },
    });
    for (let i = 0; i < 10; i++) cache.set(`important${i}`, i, { utility: 1 });
    for (let i = 0; i < 500; i++) cache.set(`filler${i}`, i, { utility: 0 });
    let kept = 0;
    for (let i = 0; i < 10; i++) if (cache.has(`important${i}`)) kept++;
    expect(kept).toBe(10);
  });

  it('normalises age: an old entry is not evicted ahead of all others just for being old when it is useful', () => {
    // Weights age 0.5, utility 0.5: an entry idle for half the horizon keeps age ≥ 0.5; with
    // utility 1 it scores ≥ 0.75, above any fresh utility-0 entry (≤ 0.5 + small).
    const cache = new IntelligentCache<string, number>({
      maxEntries: 10,
      policy: { name: 'hybrid', weights: { age: 0.5, frequency: 0, utility: 0.5 }, adaptive: false, ageHorizon: 1000, admission: false },
    });
    cache.set('old', 0, { utility: 1 });
    for (let i = 0; i < 100; i++) cache.set(`new${i}`, i, { utility: 0 });
    expect(cache.has('old')).toBe(true);
  });

  it('is scan resistant like W-TinyLFU', () => {
    const cache = new IntelligentCache<string, number>({ maxEntries: 100, policy: 'hybrid' });
    for (let round = 0; round < 6; round++) for (let i = 0; i < 90; i++) {
      if (cache.get(`hot${i}`) === undefined) cache.set(`hot${i}`, i);
    }
    for (let i = 0; i < 400; i++) if (cache.get(`scan${i}`) === undefined) cache.set(`scan${i}`, i);
    let hot = 0;
    for (let i = 0; i < 90; i++) if (cache.has(`hot${i}`)) hot++;
    expect(hot).toBe(90);
  });
});

describe('adaptive hybrid', () => {
  /** Deterministic uniform [0, 1) (mulberry32), so the streams repeat. */
  const prng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  it('moves to a large window and short history on a recency-biased stream, and back on a frequency-biased one, within bounds', () => {
    const capacity = 200;
    const policy = new HybridPolicy();
    const cache = new IntelligentCache<number, number>({ maxEntries: capacity, policy });
    const access = (k: number) => {
      if (cache.get(k) === undefined) cache.set(k, k);
      expect(cache.size).toBeLessThanOrEqual(capacity);
    };
    expect(policy.windowShare).toBe(0.01);
    expect(policy.historyFactor).toBe(SAMPLE_FACTOR);
    const random = prng(7);
    // Recency-biased: a moving working set (the last 150 new keys, fewer than the capacity);
    // each key is reused a few times soon after it appears, then never again. LRU keeps it
    // all; a 1 % window refuses newcomers that are rarer than older residents.
    let next = 0;
    for (let i = 0; i < 40 * capacity; i++) {
      if (next < 150 || random() < 0.3) access(next++);
      else access(next - 1 - Math.floor(random() * 150));
    }
    expect(policy.windowShare).toBeGreaterThanOrEqual(0.2);
    expect(policy.historyFactor).toBeLessThan(SAMPLE_FACTOR);
    // Frequency-biased: static, heavily skewed popularity over 10 × capacity keys.
    for (let i = 0; i < 60 * capacity; i++) access(1_000_000 + Math.floor(2000 * random() ** 3));
    expect(policy.windowShare).toBeLessThanOrEqual(0.05);
    expect(policy.historyFactor).toBe(SAMPLE_FACTOR);
    expect(cache.size).toBe(capacity);
  });
});

describe('frequency sketch sample period', () => {
  it('halves the counts when a shortened period has already elapsed, and then every new period', () => {
    const sketch = new FrequencySketch(16, 20); // period 320 increments
    for (let i = 0; i < 100; i++) sketch.increment(42);
    expect(sketch.resets).toBe(0);
    expect(sketch.frequency(42)).toBe(15 + 1); // saturated counters + doorkeeper
    sketch.sampleSize = 50; // 100 increments already: reset now
    expect(sketch.resets).toBe(1);
    expect(sketch.sampleSize).toBe(50);
    expect(sketch.frequency(42)).toBe(7); // halved, doorkeeper cleared
    for (let i = 0; i < 50; i++) sketch.increment(7);
    expect(sketch.resets).toBe(2);
  });
});
