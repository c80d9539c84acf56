/**
 * The one seedable PRNG (mulberry32) for the host, the tests and the benchmarks: 32 bits of
 * state, fast, good enough for eviction victims, fault injection and synthetic data; never for
 * anything secret. Seeded runs are reproducible, which the tests and the benchmarks rely on.
 */
export class Mulberry32 {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n) for 0 < n ≤ 2^32 (multiply-shift; bias < n / 2^32). */
  below(n: number): number {
    return Math.floor((this.nextUint32() / 4294967296) * n);
  }
}

/** A seeded source of uniform floats in [0, 1), for callers that want a plain function. */
export function seededRandom(seed: number): () => number {
  const g = new Mulberry32(seed);
  return () => g.next();
}

/** A seed from the platform's entropy, for unseeded caches. */
export function randomSeed(): number {
  return (Math.random() * 4294967296) >>> 0;
}
