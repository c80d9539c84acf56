/**
 * The cache benchmark's contenders (every janela policy and lru-cache, the baseline) and
 * their replay loop: each access is get(k), then set(k, k) on a miss, on a fresh cache.
 */
import { LRUCache } from 'lru-cache';
import { IntelligentCache } from '../../host/cache/cache.js';
import type { PolicyConfigInput } from '../../host/cache/options.js';
import type { PolicyName } from '../../host/cache/policies/policy.js';

export type Contender = { readonly name: string; readonly policy: PolicyName | PolicyConfigInput | 'lru-cache' };

/** Every policy, and the baseline. Random is seeded so runs repeat. */
export const CONTENDERS: readonly Contender[] = [
  { name: 'lru-cache', policy: 'lru-cache' },
  { name: 'lru', policy: 'lru' },
  { name: 'lfu', policy: 'lfu' },
  { name: 'random', policy: { name: 'random', seed: 1 } },
  { name: 'utility', policy: 'utility' },
  { name: 'wtinylfu', policy: 'wtinylfu' },
  { name: 'hybrid', policy: 'hybrid' },
];

export type Keyed = number | string;

function ours(c: Contender, capacity: number): IntelligentCache<Keyed, Keyed> {
  return new IntelligentCache<Keyed, Keyed>({ maxEntries: capacity, policy: c.policy as PolicyName });
}

// Two copies of the replay loop, one per cache class, so neither sees the other's shapes.
function replayOurs(cache: IntelligentCache<Keyed, Keyed>, keys: ArrayLike<Keyed>): number {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (cache.get(k) !== undefined) hits++;
    else cache.set(k, k);
  }
  return hits;
}

function replayBaseline(cache: LRUCache<Keyed, Keyed>, keys: ArrayLike<Keyed>): number {
  let hits = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (cache.get(k) !== undefined) hits++;
    else cache.set(k, k);
  }
  return hits;
}

/** Hits and seconds of one replay on a fresh cache. */
export function replay(c: Contender, capacity: number, keys: ArrayLike<Keyed>): { hits: number; seconds: number } {
  if (c.policy === 'lru-cache') {
    const cache = new LRUCache<Keyed, Keyed>({ max: capacity });
    const t = performance.now();
    const hits = replayBaseline(cache, keys);
    return { hits, seconds: (performance.now() - t) / 1000 };
  }
  const cache = ours(c, capacity);
  const t = performance.now();
  const hits = replayOurs(cache, keys);
  return { hits, seconds: (performance.now() - t) / 1000 };
}
