/** Growth of per-slot typed arrays: slots are dense indices 0..capacity-1 handed out by the cache. */

/** An Int32Array of `capacity` elements keeping `old`'s contents, the rest set to `fill`. */
export function growInt32(old: Int32Array<ArrayBuffer>, capacity: number, fill = 0): Int32Array<ArrayBuffer> {
  if (old.length >= capacity) return old;
  const a = new Int32Array(capacity);
  a.set(old);
  if (fill !== 0) a.fill(fill, old.length);
  return a;
}

export function growFloat64(old: Float64Array<ArrayBuffer>, capacity: number): Float64Array<ArrayBuffer> {
  if (old.length >= capacity) return old;
  const a = new Float64Array(capacity);
  a.set(old);
  return a;
}

export function growUint8(old: Uint8Array<ArrayBuffer>, capacity: number): Uint8Array<ArrayBuffer> {
  if (old.length >= capacity) return old;
  const a = new Uint8Array(capacity);
  a.set(old);
  return a;
}

/** Smallest power of two ≥ n (n ≥ 1, result ≤ 2^30). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n && p < 2 ** 30) p *= 2;
  return p;
}
