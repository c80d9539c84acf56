/** The memory manager: global budget, priorities, pressure and emergency paths, cgroup readings. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntelligentCache } from '../host/cache/cache.js';
import { CacheError, CacheOptionsError } from '../host/cache/errors.js';
import { type CleanupReport, MemoryManager } from '../host/cache/manager.js';
import { readCgroupMemory, readPressure } from '../host/cache/pressure.js';

const sized = (name: string, maxBytes = 10_000, policy: 'lru' | 'utility' = 'lru') =>
  new IntelligentCache<string, number>({ name, maxBytes, policy, sizeOf: (v) => v });

describe('MemoryManager budget', () => {
  it('keeps the total under budget across many caches at every step (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 2000 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 90 })), { maxLength: 200 }),
        (budget, ops) => {
          const manager = new MemoryManager({ budgetBytes: budget, pressure: () => 0 });
          const caches = Array.from({ length: 6 }, (_, i) => sized(`c${i}`, 100_000));
          caches.forEach((c, i) => manager.register(c, { priority: i % 3 }));
          for (const [ci, key, size] of ops) {
            caches[ci]!.set(`k${key}`, size);
            const total = caches.reduce((s, c) => s + c.bytes, 0);
            expect(manager.totalBytes).toBe(total);
            expect(total).toBeLessThanOrEqual(budget);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('cleans the lowest priority first, then proportionally within a priority, and reports it', () => {
    const reports: CleanupReport[] = [];
    const manager = new MemoryManager({ budgetBytes: 1000, targetRatio: 0.5, pressure: () => 0, onCleanup: (r) => reports.push(r) });
    const low1 = sized('low1');
    const low2 = sized('low2');
    const high = sized('high');
    manager.register(low1, { priority: 0 });
    manager.register(low2, { priority: 0 });
    manager.register(high, { priority: 10 });
    for (let i = 0; i < 20; i++) high.set(`h${i}`, 10); // 200
    for (let i = 0; i < 30; i++) low1.set(`a${i}`, 10); // 300
    for (let i = 0; i < 15; i++) low2.set(`b${i}`, 10); // 150
    expect(reports).toHaveLength(0);
    low1.set('big', 400); // total 1050 > 1000 → free down to 500: 550 from priority 0 (850 there)
    expect(reports).toHaveLength(1);
    const r = reports[0]!;
    expect(r.trigger).toBe('budget');
    expect(r.reached).toBe(true);
    expect(r.totalAfter).toBeLessThanOrEqual(500);
    expect(high.bytes).toBe(200); // untouched: the low priority had enough
    // Proportional: low1 held 700 of 850, low2 150: low1 gives ~82 %, low2 ~18 % of 550.
    const f1 = r.caches.find((c) => c.name === 'low1')!.freed;
    const f2 = r.caches.find((c) => c.name === 'low2')!.freed;
    expect(f1).toBeGreaterThan(3 * f2);
    expect(f2).toBeGreaterThan(0);
    expect(manager.stats().cleanups.budget).toBe(1);
  });

  it('lets each cache policy choose victims: high-utility entries survive', () => {
    const manager = new MemoryManager({ budgetBytes: 1_000_000, pressure: () => 0 });
    const c = sized('u', 10_000, 'utility');
    manager.register(c);
    for (let i = 0; i < 50; i++) c.set(`k${i}`, 10, { utility: i });
    const r = manager.cleanup(250);
    expect(r.reached).toBe(true);
    expect(c.has('k49')).toBe(true);
    expect(c.has('k0')).toBe(false);
    expect(r.freed).toBe(250);
  });

  it('reports an unreachable reduction', () => {
    const manager = new MemoryManager({ pressure: () => 0 });
    const c = sized('small');
    manager.register(c);
    c.set('a', 100);
    const r = manager.cleanup(1000);
    expect(r.reached).toBe(false);
    expect(r.freed).toBe(100);
    expect(manager.stats().unreached).toBe(1);
  });

  it('rejects double registration and bad options', () => {
    const manager = new MemoryManager();
    const c = sized('x');
    manager.register(c);
    expect(() => manager.register(c)).toThrow(CacheError);
    expect(manager.unregister(c)).toBe(true);
    expect(manager.unregister(c)).toBe(false);
    expect(() => new MemoryManager({ budgetBytes: -1 })).toThrow(CacheOptionsError);
    expect(() => new MemoryManager({ pressureThreshold: 0.99, emergencyThreshold: 0.9 })).toThrow(CacheOptionsError);
  });
});

describe('MemoryManager pressure', () => {
  function setup(pressure: number) {
    let p = pressure;
    const manager = new MemoryManager({ budgetBytes: 1_000_000, pressure: () => p });
    const low = sized('low');
    const high = sized('high');
    manager.register(low, { priority: 0 });
    manager.register(high, { priority: 1 });
    for (let i = 0; i < 40; i++) low.set(`l${i}`, 10); // 400
    for (let i = 0; i < 60; i++) high.set(`h${i}`, 10); // 600
    return { manager, low, high, set: (v: number) => void (p = v) };
  }

  it('does nothing below the threshold', () => {
    const { manager } = setup(0.5);
    expect(manager.check()).toBeUndefined();
    expect(manager.totalBytes).toBe(1000);
  });

  it('sheds 25 % above 0.8, from the lowest priority', () => {
    const { manager, low, high } = setup(0.85);
    const r = manager.check()!;
    expect(r.trigger).toBe('pressure');
    expect(r.requested).toBe(250);
    expect(r.reached).toBe(true);
    expect(low.bytes).toBe(150);
    expect(high.bytes).toBe(600);
  });

  it('sheds 50 % above 0.95, reaching into higher priorities', () => {
    const { manager, low, high } = setup(0.97);
    const r = manager.check()!;
    expect(r.trigger).toBe('emergency');
    expect(r.requested).toBe(500);
    expect(r.freed).toBeGreaterThanOrEqual(500);
    expect(low.bytes).toBe(0);
    expect(high.bytes).toBeLessThanOrEqual(500);
    expect(manager.stats().cleanups.emergency).toBe(1);
  });

  it('monitors in the background with an unref’d timer', async () => {
    const { manager, set } = setup(0.1);
    const manager2 = new MemoryManager({ intervalMs: 10, pressure: () => 0.9 });
    const c = sized('m');
    manager2.register(c);
    c.set('a', 100);
    manager2.start();
    expect(manager2.stats().monitoring).toBe(true);
    await new Promise((r) => setTimeout(r, 60));
    manager2.stop();
    expect(manager2.stats().cleanups.pressure).toBeGreaterThan(0);
    expect(manager2.stats().monitoring).toBe(false);
    set(0.1);
    expect(manager.check()).toBeUndefined();
  });
});

describe('pressure readings', () => {
  const files = (map: Record<string, string>) => (p: string) => map[p];

  it('reads a cgroup v2 limit, less inactive file cache', () => {
    const m = readCgroupMemory(
      files({
        '/proc/self/cgroup': '0::/app\n',
        '/sys/fs/cgroup/app/memory.max': '1000000\n',
        '/sys/fs/cgroup/app/memory.current': '900000\n',
        '/sys/fs/cgroup/app/memory.stat': 'anon 1\ninactive_file 100000\nactive_file 5\n',
      }),
    );
    expect(m).toEqual({ source: 'cgroup-v2', used: 800000, limit: 1000000 });
  });

  it('treats "max" and huge v1 limits as no limit, and reads a v1 limit at the mount root', () => {
    expect(readCgroupMemory(files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': 'max', '/sys/fs/cgroup/memory.current': '5' }))).toBeUndefined();
    const v1 = files({
      '/proc/self/cgroup': '4:memory:/docker/abc\n0::/\n',
      '/sys/fs/cgroup/memory/memory.limit_in_bytes': '2000\n',
      '/sys/fs/cgroup/memory/memory.usage_in_bytes': '1500\n',
      '/sys/fs/cgroup/memory/memory.stat': 'cache 10\ntotal_inactive_file 500\n',
    });
    expect(readCgroupMemory(v1)).toEqual({ source: 'cgroup-v1', used: 1000, limit: 2000 });
    expect(
      readCgroupMemory(files({ '/proc/self/cgroup': '4:memory:/\n', '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712', '/sys/fs/cgroup/memory/memory.usage_in_bytes': '1' })),
    ).toBeUndefined();
  });

  it('takes the highest of heap, cgroup and machine', () => {
    const base = { heap: () => ({ used: 10, limit: 100 }), system: () => ({ total: 1000, free: 700 }) };
    const none = readPressure({ ...base, readFile: () => undefined });
    expect(none.source).toBe('system');
    expect(none.ratio).toBeCloseTo(0.3);
    const cg = readPressure({
      ...base,
      readFile: files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/memory.max': '500', '/sys/fs/cgroup/memory.current': '450' }),
    });
    expect(cg.source).toBe('cgroup-v2');
    expect(cg.ratio).toBeCloseTo(0.9);
    const heap = readPressure({ heap: () => ({ used: 99, limit: 100 }), system: base.system, readFile: () => undefined });
    expect(heap.source).toBe('heap');
    expect(heap.ratio).toBeCloseTo(0.99);
  });
});
