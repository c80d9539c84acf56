/** Helpers for the cache tests. */
import { IntelligentCache } from '../../host/cache/cache.js';
import type { CacheOptions, DisposeReason } from '../../host/cache/options.js';

/** A cache of string keys whose dispose calls are recorded in order. */
export function recordingCache<V = number>(options: Omit<CacheOptions<string, V>, 'dispose'>) {
  const disposed: [string, V, DisposeReason][] = [];
  const cache = new IntelligentCache<string, V>({ ...options, dispose: (v, k, r) => disposed.push([k, v, r]) });
  return { cache, disposed };
}

/** A clock the test moves by hand. */
export function manualClock(start = 1000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** Keys currently held, sorted (order-independent comparisons). */
export function heldKeys<K, V>(cache: IntelligentCache<K, V>): K[] {
  return [...cache.keys()].sort();
}
