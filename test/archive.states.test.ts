import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArchiveInputError, ArchiveNotFoundError, CorruptBlockError } from '../host/archive/errors.js';
import { emotionalIntensity, importanceConfigSchema, stateImportance } from '../host/archive/stateImportance.js';
import { type ConsciousnessState, ConsciousnessStateStore, type StateInput } from '../host/archive/stateStore.js';
import { MemoryBlobStore } from '../host/storage/blobStore.js';
import { CrashError, CrashingBlobStore, flipBit, rng } from './support/archiveSupport.js';

const T0 = 1_700_000_000_000;

function clock(start = T0) {
  const c = { now: start, fn: () => c.now };
  return c;
}

function makeState(i: number, r: () => number): StateInput {
  return {
    phi: Math.round(r() * 1000) / 1000,
    workspace: { goal: `goal-${i % 7}`, items: Array.from({ length: 3 }, (_, k) => ({ id: (i + k) % 11, text: `thought ${(i * 7 + k) % 13}` })) },
    emotionalState: { valence: Math.round((r() * 2 - 1) * 100) / 100, arousal: Math.round(r() * 100) / 100, label: ['calm', 'curious', 'alert'][i % 3]! },
    attentionState: { focus: ['task', 'user', 'self'][i % 3]!, intensity: Math.round(r() * 10) / 10 },
  };
}

/** JSON fields round-trip as JSON does (−0 becomes 0): compare against that. */
const asJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const strip = ({ importance: _i, version: _v, ...rest }: ConsciousnessState) => rest;

describe('importance', () => {
  it('follows the documented formula', () => {
    const cfg = importanceConfigSchema.parse({});
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 100 }),
        (phi, intensity, durationMs, accesses) => {
          const expected =
            0.35 * Math.min(1, phi) + 0.25 * intensity + 0.2 * (1 - Math.exp(-durationMs / 60_000)) + 0.2 * (1 - Math.exp(-accesses / 5));
          expect(stateImportance({ phi, intensity, durationMs, accesses }, cfg)).toBeCloseTo(expected, 12);
        },
      ),
    );
    expect(emotionalIntensity({ intensity: 0.7, valence: 1 })).toBe(0.7);
    expect(emotionalIntensity({ valence: -1, arousal: 1 })).toBeCloseTo(1, 12);
    expect(emotionalIntensity({ valence: 0.3, arousal: 0.4 })).toBeCloseTo(0.5 / Math.SQRT2, 12);
    expect(emotionalIntensity('happy')).toBe(0);
  });
});

describe('ConsciousnessStateStore', () => {
  it('saves versions and returns them by version and by time, from every tier', async () => {
    const c = clock();
    const store = await ConsciousnessStateStore.open(new MemoryBlobStore(), { hotMs: 10_000, warmMs: 60_000, coldBlockStates: 8 }, { clock: c.fn });
    const r = rng(1);
    const saved: (StateInput & { createdAt: number })[] = [];
    for (let i = 0; i < 100; i++) {
      c.now += 1000;
      const s = { ...makeState(i, r), createdAt: c.now };
      expect(await store.save(s)).toBe(i + 1);
      saved.push(s);
    }
    const tiers = store.stats().tiers;
    expect(tiers.cold.states).toBeGreaterThan(0);
    expect(tiers.warm.states).toBeGreaterThan(0);
    expect(tiers.hot.states).toBeGreaterThan(0);
    expect(tiers.hot.states + tiers.warm.states + tiers.cold.states).toBe(100);
    for (let v = 1; v <= 100; v++) {
      const got = await store.get(v);
      expect(got.version).toBe(v);
      expect(strip(got)).toEqual(asJson(saved[v - 1]));
      expect(got.importance).toBeGreaterThan(0);
      expect(got.importance).toBeLessThanOrEqual(1);
    }
    const byTier = store.stats().access.byTier;
    expect(byTier.hot > 0 && byTier.warm > 0 && byTier.cold > 0).toBe(true);
    for (const t of [T0, T0 + 1000, T0 + 1500, T0 + 50_000, T0 + 10_000_000]) {
      const expected = saved.filter((s) => s.createdAt <= t).at(-1);
      const got = await store.at(t);
      expect(got && strip(got)).toEqual(expected && asJson(expected));
    }
    await expect(store.get(101)).rejects.toThrow(ArchiveNotFoundError);
  });

  it('compresses progressively by age: hot, then warm, then cold', async () => {
    const c = clock();
    const store = await ConsciousnessStateStore.open(new MemoryBlobStore(), { hotMs: 1000, warmMs: 5000, coldBlockStates: 4 }, { clock: c.fn });
    const r = rng(2);
    for (let i = 0; i < 4; i++) await store.save(makeState(i, r));
    expect(store.versions().map((v) => v.tier)).toEqual(['hot', 'hot', 'hot', 'hot']);
    c.now += 1000;
    await store.compact();
    expect(store.versions().map((v) => v.tier)).toEqual(['warm', 'warm', 'warm', 'warm']);
    c.now += 4000;
    await store.compact();
    expect(store.versions().map((v) => v.tier)).toEqual(['cold', 'cold', 'cold', 'cold']);
    const s = store.stats();
    expect(s.tiers.cold.blocks).toBe(1);
    expect(s.compaction.toCold).toBe(4);
    expect(s.compressionRatio).toBeGreaterThan(1);
  });

  it('keeps the cold tier within maxColdBytes, dropping the least important states', async () => {
    const c = clock();
    const disk = new MemoryBlobStore();
    const cfg = { hotMs: 0, warmMs: 0, coldBlockStates: 16, maxColdBytes: 1 << 24 };
    const big = await ConsciousnessStateStore.open(disk, cfg, { clock: c.fn });
    const r = rng(3);
    for (let i = 0; i < 400; i++) {
      c.now += 1000 + Math.floor(r() * 100_000);
      const s = makeState(i, () => r());
      await big.save({ ...s, phi: i % 10 === 0 ? 0.95 : s.phi * 0.5 });
    }
    await big.compact(true);
    for (let v = 1; v <= 400; v += 37) for (let k = 0; k < 5; k++) await big.get(v);
    const before = new Map(big.versions().map((v) => [v.version, v.importance]));
    await big.close();
    const maxColdBytes = Math.floor(big.stats().tiers.cold.bytes / 2);
    const store = await ConsciousnessStateStore.open(disk, { ...cfg, maxColdBytes, cleanupThreshold: 0.8 }, { clock: c.fn });
    expect(store.stats().tiers.cold.bytes).toBeLessThanOrEqual(maxColdBytes);
    const kept = new Set(store.versions().map((v) => v.version));
    expect(kept.has(400)).toBe(true);
    const dropped = [...before.keys()].filter((v) => !kept.has(v));
    expect(dropped.length).toBeGreaterThan(0);
    expect(store.stats().cleanup.statesDropped).toBe(dropped.length);
    // Ranked once, at the start of the cleanup: every dropped state was at most as important as
    // every kept one (the newest version is kept whatever its importance).
    const maxDropped = Math.max(...dropped.map((v) => before.get(v)!));
    for (const v of kept) if (v !== 400) expect(before.get(v)!).toBeGreaterThanOrEqual(maxDropped);
    for (const v of [...kept].slice(0, 20)) expect((await store.get(v)).version).toBe(v);
  });

  it('recovers after a crash at any write: every saved version exactly once', async () => {
    const r = rng(4);
    const states = Array.from({ length: 30 }, (_, i) => makeState(i, r));
    for (let budget = 0; budget < 50; budget += 1) {
      const disk = new MemoryBlobStore();
      const c = clock();
      let saved = 0;
      try {
        const store = await ConsciousnessStateStore.open(new CrashingBlobStore(disk, budget), { hotMs: 2000, warmMs: 5000, coldBlockStates: 4 }, { clock: c.fn });
        for (const s of states) {
          c.now += 1000;
          await store.save(s);
          saved++;
        }
        await store.close();
      } catch (err) {
        if (!(err instanceof CrashError)) throw err;
      }
      const reopened = await ConsciousnessStateStore.open(disk, { hotMs: 2000, warmMs: 5000, coldBlockStates: 4 }, { clock: c.fn });
      const versions = reopened.versions().map((v) => v.version);
      expect(new Set(versions).size).toBe(versions.length);
      // A save that crashed before its put resolved may or may not be there; all acknowledged ones are.
      expect(versions.length === saved || versions.length === saved + 1, `budget ${budget}`).toBe(true);
      expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
      for (const v of versions) {
        const { createdAt: _c, ...got } = strip(await reopened.get(v));
        expect(got).toEqual(asJson(states[v - 1]));
      }
      expect(await disk.list('archive/states/s/')).toHaveLength(reopened.stats().tiers.warm.states + reopened.stats().tiers.hot.states);
    }
  });

  it('reports a corrupted cold block and keeps the other versions readable', async () => {
    const c = clock();
    const disk = new MemoryBlobStore();
    const store = await ConsciousnessStateStore.open(disk, { hotMs: 0, warmMs: 0, coldBlockStates: 5 }, { clock: c.fn });
    const r = rng(5);
    for (let i = 0; i < 20; i++) {
      c.now += 1000;
      await store.save(makeState(i, r));
    }
    await store.close();
    const keys = await disk.list('archive/states/cold/b/');
    expect(keys).toHaveLength(4);
    await flipBit(disk, keys[1]!, 80, 2);
    const reopened = await ConsciousnessStateStore.open(disk, { hotMs: 0, warmMs: 0, coldBlockStates: 5 }, { clock: c.fn });
    expect(reopened.problems().map((p) => p.key)).toEqual([keys[1]]);
    expect(reopened.stats().versions).toBe(15);
    await expect(reopened.get(7)).rejects.toThrow(ArchiveNotFoundError);
    for (const v of [1, 5, 11, 20]) expect((await reopened.get(v)).version).toBe(v);
  });

  it('detects corruption on read while open', async () => {
    const c = clock();
    const disk = new MemoryBlobStore();
    const store = await ConsciousnessStateStore.open(disk, { hotMs: 0, warmMs: 0, coldBlockStates: 5, cacheBlocks: 0 }, { clock: c.fn });
    const r = rng(6);
    for (let i = 0; i < 10; i++) {
      c.now += 1000;
      await store.save(makeState(i, r));
    }
    const [first] = await disk.list('archive/states/cold/b/');
    await flipBit(disk, first!, 60, 5);
    await expect(store.get(2)).rejects.toThrow(CorruptBlockError);
    expect((await store.get(8)).version).toBe(8);
    expect(store.problems().map((p) => p.key)).toEqual([first]);
  });

  it('refuses bad input with typed errors, changing nothing', async () => {
    const c = clock();
    const store = await ConsciousnessStateStore.open(new MemoryBlobStore(), { maxStateBytes: 200 }, { clock: c.fn });
    const r = rng(7);
    await store.save({ ...makeState(0, r), createdAt: T0 + 5 });
    expect(() => store.save({ ...makeState(1, r), phi: -1 })).toThrow(ArchiveInputError);
    expect(() => store.save({ ...makeState(1, r), workspace: { f: () => 1 } as never })).toThrow(ArchiveInputError);
    expect(() => store.save({ ...makeState(1, r), workspace: 'x'.repeat(300) })).toThrow(/maxStateBytes/);
    await expect(store.save({ ...makeState(1, r), createdAt: T0 })).rejects.toThrow(/precedes/);
    expect(() => store.get(0)).toThrow(ArchiveInputError);
    expect(store.stats().versions).toBe(1);
    await expect(ConsciousnessStateStore.open(new MemoryBlobStore(), { hotMs: 10, warmMs: 5 })).rejects.toThrow(/hotMs/);
  });
});
