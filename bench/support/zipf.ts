/**
 * Zipf-distributed key sequences for cache benchmarks: key k ∈ [0, n) is drawn with
 * probability ∝ 1 / (k + 1)^s. Exact inverse-CDF sampling (a Float64Array CDF of n entries and
 * a binary search per draw), seeded for reproducibility; keys are scrambled by a fixed
 * bijection so popularity does not follow numeric order (which some structures would favour).
 */
import { Mulberry32 } from '../../host/util/random.js';

export interface ZipfOptions {
  /** Number of distinct keys. */
  readonly keys: number;
  /** Exponent s (0.99 in the literature's standard benchmark). */
  readonly exponent: number;
  /** Number of draws. */
  readonly length: number;
  readonly seed?: number;
  /** Scramble key ids (default true). */
  readonly scramble?: boolean;
}

/** A sequence of `length` keys (integers in [0, keys)). */
export function zipfSequence(o: ZipfOptions): Int32Array {
  const n = o.keys;
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    sum += 1 / Math.pow(k + 1, o.exponent);
    cdf[k] = sum;
  }
  for (let k = 0; k < n; k++) cdf[k] = cdf[k]! / sum;
  const rng = new Mulberry32(o.seed ?? 42);
  const out = new Int32Array(o.length);
  const scramble = o.scramble ?? true;
  for (let i = 0; i < o.length; i++) {
    const u = rng.next();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = scramble ? scrambleKey(lo, n) : lo;
  }
  return out;
}

/** A bijection on [0, n): multiplication by an odd constant modulo the next power of two, cycle-walked into range. */
function scrambleKey(k: number, n: number): number {
  let m = 1;
  while (m < n) m *= 2;
  let x = k;
  do {
    x = (Math.imul(x, 0x9e3779b1) + 0x7f4a7c15) & (m - 1);
  } while (x >= n);
  return x;
}
