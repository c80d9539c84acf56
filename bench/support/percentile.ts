/**
 * The nearest-rank percentile every benchmark reports: the element at ⌊q·n⌋ of an ascending
 * array (clamped to the last), `q` in [0, 1]. NaN for an empty array, so a missing sample
 * cannot pass for a fast one.
 */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
