/** Belady's optimum: exact on small sequences (brute force), and a ceiling for every policy. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { beladyHitRatio } from '../bench/support/belady.js';
import { parseBigEndian32, parseLirs } from '../bench/support/traces.js';
import { zipfSequence } from '../bench/support/zipf.js';
import { IntelligentCache } from '../host/cache/cache.js';
import { POLICY_NAMES } from '../host/cache/policies/policy.js';

/** Most hits over every choice of what to keep (exponential; tiny inputs only). */
function bruteForce(keys: number[], capacity: number): number {
  const memo = new Map<string, number>();
  const go = (i: number, cache: number[]): number => {
    if (i === keys.length) return 0;
    const id = `${i}|${[...cache].sort().join(',')}`;
    const m = memo.get(id);
    if (m !== undefined) return m;
    const k = keys[i]!;
    let best: number;
    if (cache.includes(k)) best = 1 + go(i + 1, cache);
    else {
      best = go(i + 1, cache); // bypass
      if (cache.length < capacity) best = Math.max(best, go(i + 1, [...cache, k]));
      else for (let j = 0; j < cache.length; j++) best = Math.max(best, go(i + 1, cache.map((c, x) => (x === j ? k : c))));
    }
    memo.set(id, best);
    return best;
  };
  return keys.length === 0 ? 0 : go(0, []) / keys.length;
}

function hitRatio(policy: (typeof POLICY_NAMES)[number], keys: ArrayLike<number>, capacity: number): number {
  const c = new IntelligentCache<number, number>({ maxEntries: capacity, policy: policy === 'random' ? { name: 'random', seed: 1 } : policy });
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    if (c.get(keys[i]!) !== undefined) hits++;
    else c.set(keys[i]!, 1);
  }
  return hits / keys.length;
}

describe('Belady', () => {
  it('a hand example: capacity 2 on a b c a b', () => {
    // Keep a and b, bypass c: hits on the 2nd a and b → 2/5.
    expect(beladyHitRatio([1, 2, 3, 1, 2], 2)).toBeCloseTo(2 / 5);
  });

  it('equals the brute-force optimum on small sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 11 }), fc.integer({ min: 1, max: 3 }), (keys, cap) => {
        expect(beladyHitRatio(keys, cap)).toBeCloseTo(bruteForce(keys, cap), 12);
      }),
      { numRuns: 200 },
    );
  });

  it('bounds every policy from above', () => {
    const keys = zipfSequence({ keys: 5000, exponent: 0.9, length: 20000, seed: 5 });
    const opt = beladyHitRatio(keys, 200);
    for (const p of POLICY_NAMES) expect(hitRatio(p, keys, 200)).toBeLessThanOrEqual(opt);
  });
});

describe('trace readers', () => {
  it('parse LIRS text with CRLF and checkpoint lines', () => {
    expect([...parseLirs('1\r\n22\r\n*\r\n333\n \n4')]).toEqual([1, 22, 333, 4]);
  });
  it('parse big-endian 32-bit keys', () => {
    expect([...parseBigEndian32(new Uint8Array([0, 0, 0, 1, 0, 0, 1, 0, 255, 255, 255, 255]))]).toEqual([1, 256, -1]);
  });
  it('zipf is skewed and reproducible', () => {
    const a = zipfSequence({ keys: 1000, exponent: 0.99, length: 5000, seed: 1 });
    expect([...a]).toEqual([...zipfSequence({ keys: 1000, exponent: 0.99, length: 5000, seed: 1 })]);
    const counts = new Map<number, number>();
    for (const k of a) counts.set(k, (counts.get(k) ?? 0) + 1);
    const top = Math.max(...counts.values());
    expect(top).toBeGreaterThan(5000 / 20); // rank 1 has ≈ 13 % of the mass at s = 0.99, n = 1000
  });
});
