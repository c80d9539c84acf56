/** TTL, dispose reasons, statistics, size accounting and bad input. */
import { describe, expect, it } from 'vitest';
import { IntelligentCache } from '../host/cache/cache.js';
import { CacheInputError, CacheOptionsError } from '../host/cache/errors.js';
import { estimateBytes } from '../host/cache/sizeof.js';
import { manualClock, recordingCache } from './support/cacheHelpers.js';

describe('TTL', () => {
  it('expires entries after their TTL and counts the expired get as a miss', () => {
    const clock = manualClock();
    const { cache, disposed } = recordingCache({ maxEntries: 10, ttl: 100, now: clock.now });
    cache.set('a', 1);
    cache.set('b', 2, { ttl: 0 }); // never expires
    clock.advance(99);
    expect(cache.get('a')).toBe(1);
    clock.advance(1);
    expect(cache.has('a')).toBe(false);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe(2);
    expect(disposed).toEqual([['a', 1, 'expire']]);
    const s = cache.stats();
    expect([s.hits, s.misses, s.removals.expire, s.entries]).toEqual([2, 1, 1, 1]);
  });

  it('removes expired entries before evicting live ones, and purgeExpired frees them', () => {
    const clock = manualClock();
    const { cache, disposed } = recordingCache({ maxEntries: 3, now: clock.now });
    cache.set('live1', 1).set('short', 2, { ttl: 10 }).set('live2', 3);
    clock.advance(10);
    cache.set('new', 4); // full: the expired entry goes, not the LRU live1
    expect(disposed).toEqual([['short', 2, 'expire']]);
    cache.set('x', 5, { ttl: 5 });
    clock.advance(5);
    expect(cache.purgeExpired()).toBeGreaterThan(0);
    expect(cache.size).toBe(2);
  });
});

describe('dispose reasons', () => {
  it('reports evict, set, delete and clear', () => {
    const { cache, disposed } = recordingCache({ maxEntries: 2 });
    cache.set('a', 1).set('b', 2);
    cache.set('a', 10); // overwrite: 'set' with the old value
    cache.set('a', 10); // same value: no disposal
    cache.set('c', 3); // evicts b (a was used by the overwrite)
    cache.delete('a');
    cache.delete('nope');
    cache.clear();
    expect(disposed).toEqual([
      ['a', 1, 'set'],
      ['b', 2, 'evict'],
      ['a', 10, 'delete'],
      ['c', 3, 'clear'],
    ]);
    const r = cache.stats().removals;
    expect(r).toEqual({ evict: 1, expire: 0, delete: 1, set: 1, clear: 1 });
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('runs dispose after the bounds hold, and rethrows its error with the cache consistent', () => {
    const seen: number[] = [];
    const cache: IntelligentCache<string, number> = new IntelligentCache<string, number>({
      maxEntries: 2,
      dispose: () => {
        seen.push(cache.size);
        throw new Error('boom');
      },
    });
    cache.set('a', 1).set('b', 2);
    expect(() => cache.set('c', 3)).toThrow('boom');
    expect(seen).toEqual([2]);
    expect(cache.size).toBe(2);
    expect(cache.has('c')).toBe(true);
  });
});

describe('statistics and sizes', () => {
  it('tracks hits, misses, hit ratio and bytes', () => {
    const cache = new IntelligentCache<string, string>({ maxBytes: 1000, sizeOf: (v) => v.length });
    cache.set('a', 'xxxx').set('b', 'yy');
    cache.get('a');
    cache.get('zz');
    const s = cache.stats();
    expect(s.bytes).toBe(6);
    expect(s.hits).toBe(1);
    expect(s.misses).toBe(1);
    expect(s.hitRatio).toBe(0.5);
    cache.set('a', 'x');
    expect(cache.bytes).toBe(3);
    expect(cache.sizeOf('a')).toBe(1);
  });

  it('evicts by bytes under maxBytes', () => {
    const { cache, disposed } = recordingCache<string>({ maxBytes: 10, sizeOf: (v) => v.length });
    cache.set('a', 'aaaa').set('b', 'bbbb'); // 8
    cache.set('c', 'ccc'); // 11 > 10: evict a (LRU) → 7
    expect(disposed.filter(([, , r]) => r === 'evict').map(([k]) => k)).toEqual(['a']);
    expect(cache.bytes).toBe(7);
    cache.set('b', 'bbbbbbbbb'); // 9 + 3 = 12: evict c (b was just used) → 9
    expect(disposed.filter(([, , r]) => r === 'evict').map(([k]) => k)).toEqual(['a', 'c']);
    expect(cache.bytes).toBe(9);
  });

  it('estimates sizes by default: strings by length, buffers by bytes, objects by walking them', () => {
    expect(estimateBytes('abcd')).toBeGreaterThan(estimateBytes('ab'));
    expect(estimateBytes(new Uint8Array(1000))).toBeGreaterThanOrEqual(1000);
    const cyclic: Record<string, unknown> = { a: 'x'.repeat(100) };
    cyclic.self = cyclic;
    expect(estimateBytes(cyclic)).toBeGreaterThan(200);
    expect(estimateBytes({ list: new Array(100).fill(1) })).toBeGreaterThan(800);
    const cache = new IntelligentCache<string, string>({ maxEntries: 10 });
    cache.set('k', 'v'.repeat(50));
    expect(cache.bytes).toBe(estimateBytes('k') + estimateBytes('v'.repeat(50)));
  });
});

describe('bad input: typed error, cache unchanged', () => {
  const snapshot = (c: IntelligentCache<string, number>) => ({ entries: [...c.entries()], bytes: c.bytes, stats: c.stats() });

  it.each([
    ['negative size', { size: -1 }, 'size'],
    ['NaN size', { size: NaN }, 'size'],
    ['infinite size', { size: Infinity }, 'size'],
    ['NaN utility', { utility: NaN }, 'utility'],
    ['negative ttl', { ttl: -5 }, 'ttl'],
    ['too large', { size: 10_000 }, 'too-large'],
  ] as const)('%s', (_name, opts, problem) => {
    const cache = new IntelligentCache<string, number>({ maxEntries: 3, maxBytes: 1000, policy: 'utility' });
    cache.set('a', 1, { utility: 1 }).set('b', 2, { utility: 2 });
    const before = snapshot(cache);
    let err: unknown;
    try {
      cache.set('a', 99, opts);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CacheInputError);
    expect((err as CacheInputError).problem).toBe(problem);
    expect(snapshot(cache)).toEqual(before);
  });

  it('a size function that throws or returns garbage', () => {
    for (const [sizeOf, problem] of [
      [() => { throw new Error('no'); }, 'size-function'],
      [() => -3, 'size'],
      [() => 'ten' as unknown as number, 'size'],
      [() => NaN, 'size'],
    ] as const) {
      const cache = new IntelligentCache<string, number>({ maxEntries: 3, sizeOf: (v) => (v === 7 ? sizeOf() : 1) });
      cache.set('a', 1);
      expect(() => cache.set('b', 7)).toThrow(CacheInputError);
      try {
        cache.set('a', 7);
      } catch (e) {
        expect((e as CacheInputError).problem).toBe(problem);
      }
      expect([...cache.entries()]).toEqual([['a', 1]]);
      expect(cache.bytes).toBe(1);
    }
  });

  it('setUtility with NaN throws and changes nothing', () => {
    const cache = new IntelligentCache<string, number>({ maxEntries: 3, policy: 'utility' });
    cache.set('a', 1, { utility: 0.5 });
    expect(() => cache.setUtility('a', NaN)).toThrow(CacheInputError);
    expect(cache.getUtility('a')).toBe(0.5);
  });

  it('bad options throw CacheOptionsError', () => {
    expect(() => new IntelligentCache({})).toThrow(CacheOptionsError);
    expect(() => new IntelligentCache({ maxEntries: -1 })).toThrow(CacheOptionsError);
    expect(() => new IntelligentCache({ maxEntries: 10, policy: 'mru' as 'lru' })).toThrow(CacheOptionsError);
    expect(() => new IntelligentCache({ maxEntries: 10, policy: { name: 'hybrid', weights: { age: 0, frequency: 0, utility: 0 } } })).toThrow(
      CacheOptionsError,
    );
  });
});
