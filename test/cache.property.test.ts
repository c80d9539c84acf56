/** Property: under random operation sequences, every policy keeps both bounds at every point. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntelligentCache } from '../host/cache/cache.js';
import { CacheInputError } from '../host/cache/errors.js';
import { POLICY_NAMES, type PolicyName } from '../host/cache/policies/policy.js';

const op = fc.oneof(
  fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 40 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    key: fc.integer({ min: 0, max: 40 }),
    size: fc.integer({ min: 0, max: 60 }),
    utility: fc.double({ min: -2, max: 2, noNaN: true }),
    ttl: fc.constantFrom(0, 0, 5, 20),
  }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('utility' as const), key: fc.integer({ min: 0, max: 40 }), utility: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ kind: fc.constant('shrink' as const), bytes: fc.integer({ min: 0, max: 100 }) }),
  fc.constant({ kind: 'clear' as const }),
);

describe.each(POLICY_NAMES.map((p) => [p]))('bounds under %s', (policy: PolicyName) => {
  it('never exceeds maxEntries or maxBytes, and bytes/size stay consistent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 60, max: 200 }), fc.array(op, { maxLength: 150 }), (maxEntries, maxBytes, ops) => {
        let now = 0;
        const check = () => {
          expect(cache.size).toBeLessThanOrEqual(maxEntries);
          expect(cache.bytes).toBeLessThanOrEqual(maxBytes);
        };
        const live = new Map<number, number>(); // key → size, for the byte total
        const cache: IntelligentCache<number, number> = new IntelligentCache<number, number>({
          maxEntries,
          maxBytes,
          policy: policy === 'random' ? { name: 'random', seed: 3 } : policy,
          now: () => now,
          dispose: (_v, k) => {
            check(); // bounds hold whenever dispose runs
            live.delete(k);
          },
        });
        for (const o of ops) {
          switch (o.kind) {
            case 'get':
              cache.get(o.key);
              break;
            case 'set':
              cache.set(o.key, o.size, { size: o.size, utility: o.utility, ttl: o.ttl });
              if (cache.peek(o.key) === o.size || cache.sizeOf(o.key) === o.size) live.set(o.key, o.size);
              break;
            case 'delete':
              cache.delete(o.key);
              break;
            case 'utility':
              cache.setUtility(o.key, o.utility);
              break;
            case 'tick':
              now += o.ms;
              break;
            case 'shrink': {
              const before = cache.bytes;
              const freed = cache.shrinkBy(o.bytes);
              expect(freed).toBe(before - cache.bytes);
              if (o.bytes > 0) expect(freed >= o.bytes || cache.size === 0).toBe(true);
              break;
            }
            case 'clear':
              cache.clear();
              break;
          }
          check();
          // Bytes equal the sum of the held entries' sizes (expired-but-present included).
          let sum = 0;
          for (const [k] of live) if (cache.sizeOf(k) !== undefined || !cache.has(k)) sum += live.get(k)!;
          expect(cache.bytes).toBe([...live.values()].reduce((a, b) => a + b, 0));
          void sum;
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('bad input leaves every policy unchanged', () => {
  it.each(POLICY_NAMES.map((p) => [p]))('%s', (policy) => {
    const cache = new IntelligentCache<number, number>({ maxEntries: 5, maxBytes: 100, policy: policy as PolicyName });
    for (let i = 0; i < 8; i++) cache.set(i, i, { size: 10, utility: i / 10 });
    const before = { entries: [...cache.entries()].sort(), bytes: cache.bytes };
    for (const bad of [{ size: -1 }, { size: 1000 }, { utility: Infinity }, { ttl: NaN }]) {
      expect(() => cache.set(100, 1, bad)).toThrow(CacheInputError);
      expect(() => cache.set(7, 1, bad)).toThrow(CacheInputError);
    }
    expect({ entries: [...cache.entries()].sort(), bytes: cache.bytes }).toEqual(before);
    // And the cache still works: the policy's structures were not corrupted.
    for (let i = 20; i < 40; i++) cache.set(i, i, { size: 10 });
    expect(cache.size).toBe(5);
  });
});
