/**
 * The importance scorer and the unified cleanup: one formula, one global threshold, lowest
 * importance first across caches, buffers and archives, nothing lost that was durable.
 */
import { describe, expect, it } from 'vitest';
import { ImportanceScorer, UnifiedCleaner, openMemory, type Memory, type MemoryCleanupReport, type Reclaimable } from '../host/memory/index.js';
import { memoryScratch, wholeHistory } from './support/memoryFlows.js';

const { open, dir } = memoryScratch('janela-cleanup-');

describe('importance scorer', () => {
  it('follows its documented formula', () => {
    const now = 1_000_000;
    const s = new ImportanceScorer({ weights: { salience: 2, recency: 1, frequency: 1 }, halfLifeMs: 1000, accessScale: 2 }, () => now);
    // Weights are normalised: 0.5 / 0.25 / 0.25.
    const expected = (sal: number, age: number, acc: number) => 0.5 * sal + 0.25 * Math.pow(0.5, age / 1000) + 0.25 * (1 - Math.exp(-acc / 2));
    for (const [sal, age, acc] of [
      [0, 0, 0],
      [1, 0, 0],
      [0.3, 1000, 0],
      [0.7, 2500, 3],
      [1, 1e9, 1e9],
    ] as const) {
      expect(s.score({ salience: sal, lastAccess: now - age, accesses: acc })).toBeCloseTo(expected(sal, age, acc), 12);
    }
    // Clamped inputs, a future access counts as now.
    expect(s.score({ salience: 7, lastAccess: now + 50, accesses: -3 })).toBeCloseTo(0.5 + 0.25, 12);
    expect(s.score({ salience: Number.NaN, lastAccess: now, accesses: 0 })).toBeCloseTo(0.25, 12);
  });

  it('is monotonic in each input and refuses bad weights', () => {
    const s = new ImportanceScorer({}, () => 10_000_000);
    const base = { salience: 0.5, lastAccess: 9_000_000, accesses: 2 };
    expect(s.score({ ...base, salience: 0.6 })).toBeGreaterThan(s.score(base));
    expect(s.score({ ...base, lastAccess: 9_500_000 })).toBeGreaterThan(s.score(base));
    expect(s.score({ ...base, accesses: 3 })).toBeGreaterThan(s.score(base));
    expect(() => new ImportanceScorer({ weights: { salience: 0, recency: 0, frequency: 0 } })).toThrow(/weight/);
    expect(() => new ImportanceScorer({ halfLifeMs: -1 })).toThrow();
  });

  it('maps an importance to a salience the board accepts', () => {
    for (const x of [0, 0.25, 1]) {
      const sal = ImportanceScorer.toSalience(x);
      expect(sal.connection).toBeGreaterThan(0);
      expect(sal.importance).toBe(x);
    }
    expect(ImportanceScorer.fromByte(255)).toBe(1);
    expect(ImportanceScorer.fromByte(0)).toBe(0);
  });
});

describe('unified cleaner', () => {
  function component(name: string, kind: 'cache' | 'buffer' | 'archive', items: { key: string; bytes: number; salience: number }[]): Reclaimable & { held: Map<string, number> } {
    const held = new Map(items.map((i) => [i.key, i.bytes]));
    const sal = new Map(items.map((i) => [i.key, i.salience]));
    return {
      name,
      kind,
      held,
      bytes: () => [...held.values()].reduce((a, b) => a + b, 0),
      *candidates() {
        for (const [key, bytes] of held) {
          yield {
            key,
            bytes,
            salience: sal.get(key)!,
            lastAccess: 0,
            accesses: 0,
            // Asynchronous frees (like closing an account) are awaited together.
            free: kind === 'buffer' ? async () => (held.delete(key) ? bytes : 0) : () => (held.delete(key) ? bytes : 0),
          };
        }
      },
    };
  }

  it('frees lowest importance first across components until the target holds', async () => {
    const scorer = new ImportanceScorer({ weights: { salience: 1, recency: 0, frequency: 0 } }, () => 0);
    const cleaner = new UnifiedCleaner(scorer, { thresholdBytes: 1000, targetRatio: 0.5 });
    let seed = 3;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const parts = (['cache', 'buffer', 'archive'] as const).map((kind, k) =>
      component(`${kind}:${k}`, kind, Array.from({ length: 40 }, (_, i) => ({ key: `${kind}${i}`, bytes: 5 + Math.floor(rnd() * 20), salience: rnd() }))),
    );
    for (const p of parts) cleaner.add(p);
    const before = cleaner.total();
    const target = Math.floor(before / 3);
    const r = await cleaner.cleanup({ targetBytes: target });
    expect(r.before).toBe(before);
    expect(r.after).toBe(cleaner.total());
    expect(r.after).toBeLessThanOrEqual(target);
    expect(r.reached).toBe(true);
    expect(r.freed).toBe(before - r.after);
    // Every freed item is less important than every kept one.
    const freedMax = Math.max(...r.items.map((i) => i.importance));
    const kept: number[] = [];
    for (const p of parts) for (const c of p.candidates()) kept.push(scorer.score(c));
    expect(freedMax).toBeLessThanOrEqual(Math.min(...kept));
    expect(r.highestFreed).toBe(freedMax);
    expect(r.lowestKept).toBe(Math.min(...kept));
    // It took from every kind, and says so per component.
    expect(r.components.filter((c) => c.items > 0).length).toBe(3);
    expect(r.components.reduce((n, c) => n + c.freed, 0)).toBe(r.freed);
    // The report lists the items lowest first.
    const imps = r.items.map((i) => i.importance);
    expect(imps).toEqual([...imps].sort((a, b) => a - b));
  });

  it('does nothing below the target, and keeps going past a free that fails', async () => {
    const scorer = new ImportanceScorer({}, () => 0);
    const cleaner = new UnifiedCleaner(scorer, { thresholdBytes: 100, targetRatio: 1 });
    const c = component('c', 'cache', [{ key: 'a', bytes: 10, salience: 0 }]);
    cleaner.add(c);
    const r = await cleaner.cleanup();
    expect(r.requested).toBe(0);
    expect(r.itemCount).toBe(0);
    cleaner.add({
      name: 'broken',
      kind: 'buffer',
      bytes: () => 500,
      candidates: () => [{ key: 'x', bytes: 500, salience: 0, lastAccess: 0, accesses: 0, free: () => { throw new Error('nope'); } }],
    });
    const r2 = await cleaner.cleanup({ targetBytes: 0 });
    expect(r2.errors).toEqual(['broken x: nope']);
    expect(c.held.size).toBe(0);
  });
});

describe('unified cleaner deadline', () => {
  it('reports at its deadline and lets a slow free finish in the background', async () => {
    const scorer = new ImportanceScorer({}, () => 0);
    const cleaner = new UnifiedCleaner(scorer, { thresholdBytes: 100, targetRatio: 0.5, deadlineMs: 10 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held = 400;
    cleaner.add({
      name: 'slow',
      kind: 'buffer',
      bytes: () => held,
      candidates: () => [
        {
          key: 'account',
          bytes: 400,
          salience: 0,
          lastAccess: 0,
          accesses: 0,
          free: async () => {
            await gate; // e.g. an account flushing to a slow disk
            held = 0;
            return 400;
          },
        },
      ],
    });
    const r = await cleaner.cleanup();
    expect(r.unfinished).toBe(1);
    expect(r.itemCount).toBe(0);
    expect(r.after).toBe(400);
    release();
    await gate;
    await new Promise((res) => setImmediate(res));
    expect(cleaner.total()).toBe(0);
  });
});

describe('memory cleanup', () => {
  async function memory(extra: Parameters<typeof openMemory>[0] = {}): Promise<Memory> {
    const m = await openMemory({ dir: dir(), device: { model: true }, budget: { checkIntervalMs: 0 }, context: { maxContextLength: 256, contextOverlap: 16, reserveTokens: 64 }, ...extra });
    open.push(m);
    return m;
  }

  it('frees cache entries, context sessions and idle accounts lowest importance first; what was durable stays', async () => {
    const m = await memory();
    const cache = m.cache<string, string>('results', { maxEntries: 1000 });
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, 'x'.repeat(300), { importance: i / 100 });
    for (let i = 50; i < 100; i++) cache.get(`k${i}`);
    const sessions = [];
    for (const a of ['ann', 'ben', 'cid']) {
      const s = await m.conversation(a).context('chat');
      for (let i = 0; i < 6; i++) await s.append({ role: i % 2 ? 'assistant' : 'user', content: `${a} says ${i} about the plan` });
      sessions.push(s);
    }
    const before = m.usage().totalBytes;
    const r = await m.cleanup({ targetBytes: 0 });
    // Everything freeable went, in importance order; the report agrees with the components.
    expect(r.items.length).toBe(r.itemCount);
    const imps = r.items.map((i) => i.importance);
    expect(imps).toEqual([...imps].sort((a, b) => a - b));
    expect(r.before).toBe(before);
    expect(r.freed).toBeGreaterThan(0);
    expect(r.components.find((c) => c.name === 'cache:results')!.items).toBe(100);
    expect(r.components.find((c) => c.name === 'buffer:context')!.items).toBe(3);
    expect(r.components.find((c) => c.name === 'buffer:accounts')!.items).toBe(3);
    expect(cache.size).toBe(0);
    // The low-utility, never-read entries went before the read ones.
    const order = r.items.filter((i) => i.component === 'cache:results').map((i) => Number(i.key.slice(1)));
    const firstRead = order.findIndex((k) => k >= 50);
    expect(order.slice(0, firstRead).every((k) => k < 50)).toBe(true);
    // Closed sessions were folded and their accounts closed, yet every message is still there, and they reopen.
    await m.flush();
    for (const a of ['ann', 'ben', 'cid']) {
      expect((await wholeHistory(m, a)).length).toBe(6);
      expect((await m.conversation(a).historyContext()).coveredThrough).toBe(6);
    }
    const again = await sessions[0]!.append({ role: 'user', content: 'and one more' });
    expect(again.seq).toBe(7);
  });

  it('a partial cleanup keeps the most important: the freed are all below the kept', async () => {
    const m = await memory();
    const cache = m.cache<number, string>('mixed', { maxEntries: 10_000 });
    for (let i = 0; i < 500; i++) cache.set(i, 'y'.repeat(100 + (i % 50)), { importance: ((i * 7919) % 500) / 500 });
    const r: MemoryCleanupReport = await m.cleanup({ targetBytes: Math.floor(m.usage().totalBytes * 0.6) });
    expect(r.reached).toBe(true);
    expect(r.after).toBeLessThanOrEqual(r.targetBytes);
    const keptMin = Math.min(...[...Array(500).keys()].filter((k) => cache.has(k)).map((k) => cache.importanceOf(k)!));
    expect(r.highestFreed!).toBeLessThanOrEqual(keptMin);
    for (const it of r.items.filter((i) => i.component === 'cache:mixed')) expect(cache.has(Number(it.key))).toBe(false);
  });

  it('crossing the global threshold starts a cleanup by itself', async () => {
    const m = await memory({
      budget: { maxBytes: 64 * 1024, targetRatio: 0.5, checkIntervalMs: 0 },
      caches: { budgetBytes: 24 * 1024 },
      archives: { metrics: { maxArchiveSize: 8192 }, states: { maxColdBytes: 8192 }, emotions: { maxArchivedBytes: 8192 } },
    });
    let report: MemoryCleanupReport | undefined;
    m.on('cleanup', (r) => (report ??= r));
    const cache = m.cache<number, string>('filler', { maxBytes: 20 * 1024 });
    for (let i = 0; i < 100; i++) cache.set(i, 'z'.repeat(300));
    const s = await m.conversation('eve').context('chat');
    for (let i = 0; i < 400 && !report; i++) await s.append({ role: 'user', content: `line ${i} ${'w'.repeat(300)}` });
    await m.flush();
    expect(report).toBeDefined();
    expect(report!.trigger).toBe('threshold');
    expect(report!.before).toBeGreaterThan(64 * 1024);
    expect(report!.targetBytes).toBe(32 * 1024);
    expect(report!.freed).toBeGreaterThan(0);
    expect(report!.after).toBe(report!.before - report!.freed);
    // What was busy then (the account folding the slid messages) is idle after a flush: now the target holds.
    const again = await m.cleanup();
    expect(again.targetBytes).toBe(32 * 1024);
    expect(again.after).toBeLessThanOrEqual(32 * 1024);
    expect((await m.stats()).cleanup.runs).toBeGreaterThanOrEqual(2);
    // Nothing that was appended is gone.
    expect((await m.conversation('eve').counts()).messageCount).toBe((await wholeHistory(m, 'eve')).length);
  });

  it('refuses a bad target and changes nothing', async () => {
    const m = await memory();
    const cache = m.cache<string, number>('c', { maxEntries: 10 });
    cache.set('a', 1);
    await expect(m.cleanup({ targetBytes: -1 })).rejects.toThrow(/targetBytes/);
    await expect(m.cleanup({ bogus: 1 } as never)).rejects.toThrow();
    expect(cache.peek('a')).toBe(1);
  });
});
