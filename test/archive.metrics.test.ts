import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArchiveClosedError, ArchiveInputError } from '../host/archive/errors.js';
import {
  PRIORITY_ATTENTION,
  PRIORITY_EMOTION,
  PRIORITY_METACOGNITION,
  PRIORITY_PHI,
  priorityClass,
  priorityConfigSchema,
  priorityFlags,
} from '../host/archive/metricsPriority.js';
import { type MetricRecord, MetricsStore, type StoredMetric } from '../host/archive/metricsStore.js';
import { MemoryBlobStore } from '../host/storage/blobStore.js';
import { CrashError, CrashingBlobStore, NAB_SKIP_MESSAGE, flipBit, loadNab, nabAvailable, rng } from './support/archiveSupport.js';

const T0 = 1_700_000_000_000;

/** A plausible metrics stream: slowly varying phi, stepwise focus and level, noisy emotion. */
function stream(n: number, seed = 1, start = 0): MetricRecord[] {
  const r = rng(seed);
  const foci = ['task', 'user', 'memory', 'self', 'environment'];
  let focus = 0;
  let level = 1;
  const out: MetricRecord[] = [];
  for (let i = start; i < start + n; i++) {
    if (r() < 0.05) focus = Math.floor(r() * foci.length);
    if (r() < 0.02) level = Math.max(0, Math.min(5, level + (r() < 0.5 ? -1 : 1)));
    const jump = r() < 0.03 ? 0.3 : 0;
    out.push({
      timestamp: T0 + i * 1000,
      phi: Math.round((0.5 + 0.3 * Math.sin(i / 200) + jump) * 1e4) / 1e4,
      valence: Math.round(Math.max(-1, Math.min(1, Math.sin(i / 50) * 0.6 + (r() - 0.5) * 0.2)) * 1e3) / 1e3,
      arousal: Math.round(Math.max(0, Math.min(1, 0.5 + (r() - 0.5) * 0.3)) * 1e3) / 1e3,
      attentionFocus: foci[focus]!,
      metacognitionLevel: level,
      extra: { load: Math.round(r() * 100), mode: i % 100 < 50 ? 'plan' : 'act' },
    });
  }
  return out;
}

function strip(r: StoredMetric): MetricRecord {
  const { seq: _s, flags: _f, ...rest } = r;
  return rest;
}

async function appendAll(store: MetricsStore, records: MetricRecord[]): Promise<StoredMetric[]> {
  const out: StoredMetric[] = [];
  for (const r of records) out.push(await store.append(r));
  return out;
}

describe('priorities', () => {
  const cfg = priorityConfigSchema.parse({});
  const base = { phi: 0.5, valence: 0, arousal: 0.5, attentionFocus: 'task', metacognitionLevel: 1 };

  it('flags each of the four criteria at its threshold', () => {
    expect(priorityFlags(undefined, base, cfg)).toBe(0);
    expect(priorityFlags(base, base, cfg)).toBe(0);
    expect(priorityFlags(base, { ...base, phi: 0.6 }, cfg)).toBe(PRIORITY_PHI);
    expect(priorityFlags(base, { ...base, phi: 0.59 }, cfg)).toBe(0);
    expect(priorityFlags(base, { ...base, valence: 0.2 }, cfg)).toBe(PRIORITY_EMOTION);
    expect(priorityFlags(base, { ...base, valence: 0.1, arousal: 0.6 }, cfg)).toBe(0); // distance 0.141
    expect(priorityFlags(base, { ...base, attentionFocus: 'user' }, cfg)).toBe(PRIORITY_ATTENTION);
    expect(priorityFlags({ ...base, attentionIntensity: 0.1 }, { ...base, attentionIntensity: 0.7 }, cfg)).toBe(PRIORITY_ATTENTION);
    expect(priorityFlags(base, { ...base, metacognitionLevel: 2 }, cfg)).toBe(PRIORITY_METACOGNITION);
    const all = priorityFlags(base, { phi: 1, valence: 1, arousal: 1, attentionFocus: 'x', metacognitionLevel: 3 }, cfg);
    expect(priorityClass(all)).toBe(4);
  });
});

describe('MetricsStore', () => {
  it('moves the buffer to the archive exactly when it reaches maxRecentSize', async () => {
    const store = await MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: 10 });
    const recs = stream(25);
    await appendAll(store, recs.slice(0, 9));
    expect(store.stats().recent.records).toBe(9);
    expect(store.stats().archive.records).toBe(0);
    await store.append(recs[9]!);
    expect(store.stats().recent.records).toBe(0);
    expect(store.stats().archive.records).toBe(10);
    await appendAll(store, recs.slice(10, 19));
    expect(store.stats().archive.records).toBe(10);
    await store.append(recs[19]!);
    expect(store.stats().archive.records).toBe(20);
    expect(store.stats().compression.moves).toBe(2);
  });

  it('moves only compressionThreshold of the buffer, keeping the newest records hot', async () => {
    const store = await MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: 10, compressionThreshold: 0.3 });
    await appendAll(store, stream(10));
    expect(store.stats().archive.records).toBe(3);
    expect(store.stats().recent.records).toBe(7);
    const all = await store.query();
    expect(all.records.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
  });

  it('returns exactly what was appended, across buffer and archive, by time range', async () => {
    const store = await MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: 64 });
    const recs = stream(300, 5);
    await appendAll(store, recs);
    const all = await store.query();
    expect(all.records.map(strip)).toEqual(recs);
    const from = T0 + 100_000;
    const to = T0 + 150_000;
    const part = await store.query({ from, to });
    expect(part.records.map(strip)).toEqual(recs.filter((r) => r.timestamp >= from && r.timestamp <= to));
    expect(part.blocksRead).toBeLessThan(store.stats().archive.blocks);
    const phi = await store.series('phi', { from, to });
    expect(phi.values).toEqual(recs.filter((r) => r.timestamp >= from && r.timestamp <= to).map((r) => r.phi));
    const mode = await store.series('mode');
    expect(mode.values).toEqual(recs.map((r) => r.extra!.mode));
    const limited = await store.query({ limit: 5 });
    expect(limited.records.map(strip)).toEqual(recs.slice(0, 5));
  });

  it('keeps arrival order for equal timestamps and orders out-of-order ones by time', async () => {
    const store = await MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: 4 });
    const base = stream(1)[0]!;
    const ts = [5, 3, 3, 9, 1, 3, 7];
    for (const [i, t] of ts.entries()) await store.append({ ...base, timestamp: T0 + t, phi: i });
    const got = await store.query();
    expect(got.records.map((r) => [r.timestamp - T0, r.phi])).toEqual([
      [1, 4],
      [3, 1],
      [3, 2],
      [3, 5],
      [5, 0],
      [7, 6],
      [9, 3],
    ]);
  });

  it('never lets the archive exceed maxArchiveSize (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 4, max: 64 }), fc.double({ min: 0.2, max: 1, noNaN: true }), async (seed, recent, cleanupThreshold) => {
        const maxArchiveSize = 4096;
        const store = await MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: recent, maxArchiveSize, cleanupThreshold });
        for (const r of stream(400, seed)) {
          await store.append(r);
          expect(store.stats().archive.bytes).toBeLessThanOrEqual(maxArchiveSize);
        }
        expect(store.stats().cleanup.runs).toBeGreaterThan(0);
      }),
      { numRuns: 12 },
    );
  });

  it('cleanup drops the lowest priority class first, oldest first, and keeps the highest', async () => {
    const disk = new MemoryBlobStore();
    const big = await MetricsStore.open(disk, { maxRecentSize: 50, maxArchiveSize: 1 << 24 });
    const appended = await appendAll(big, stream(3000, 11));
    await big.close();
    const byClass = big.stats().archive.byClass;
    const priorityBytes = byClass.slice(1).reduce((a, c) => a + c.bytes, 0);
    // Reopening with a smaller bound runs one cleanup over the whole archive; the target
    // leaves room for the priority blocks and a quarter of the routine ones.
    const maxArchiveSize = Math.ceil((priorityBytes + byClass[0]!.bytes / 4) / 0.9);
    expect(maxArchiveSize).toBeLessThan(big.stats().archive.bytes);
    const store = await MetricsStore.open(disk, { maxRecentSize: 50, maxArchiveSize, cleanupThreshold: 0.9 });
    expect(store.stats().cleanup.runs).toBe(1);
    expect(store.stats().archive.bytes).toBeLessThanOrEqual(0.9 * maxArchiveSize);
    const kept = (await store.query()).records;
    const keptSeqs = new Set(kept.map((r) => r.seq));
    const dropped = appended.filter((r) => !keptSeqs.has(r.seq));
    expect(dropped.length).toBeGreaterThan(0);
    const recentFrom = appended.length - store.stats().recent.records;
    const archivedKept = kept.filter((r) => r.seq <= recentFrom);
    for (const d of dropped) {
      const cd = priorityClass(d.flags);
      for (const k of archivedKept) {
        const ck = priorityClass(k.flags);
        if (!(cd < ck || (cd === ck && d.seq < k.seq))) throw new Error(`dropped ${d.seq} (class ${cd}) but kept ${k.seq} (class ${ck})`);
      }
    }
    // Every record that met a priority survived; only routine ones went.
    for (const r of appended) if (priorityClass(r.flags) > 0) expect(keptSeqs.has(r.seq)).toBe(true);
    const s = store.stats();
    expect(s.cleanup.recordsDropped).toBe(dropped.length);
    expect(s.cleanup.droppedByClass[0]).toBe(dropped.length);
  });

  it('keeps the archive bounded while streaming, dropping routine records before priority ones', async () => {
    const store = await MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: 50, maxArchiveSize: 8192, cleanupThreshold: 0.5 });
    const appended = await appendAll(store, stream(3000, 11));
    const s = store.stats();
    expect(s.archive.bytes).toBeLessThanOrEqual(8192);
    const dropped = s.cleanup.droppedByClass;
    expect(dropped[0]).toBeGreaterThan(0);
    const routine = appended.filter((r) => priorityClass(r.flags) === 0).length;
    // Routine records make up most of what was dropped, far beyond their share of the stream.
    expect(dropped[0]! / s.cleanup.recordsDropped).toBeGreaterThan(routine / appended.length);
  });

  it('compresses archived records more than 10:1 against JSON', async () => {
    const store = await MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: 1024 });
    await appendAll(store, stream(4096, 3));
    expect(store.stats().archive.compressionRatio).toBeGreaterThan(10);
  });

  it('reports a corrupted block and keeps the others readable, also after reopening', async () => {
    const disk = new MemoryBlobStore();
    const store = await MetricsStore.open(disk, { maxRecentSize: 20, cacheBlocks: 0 });
    const recs = stream(100, 2);
    await appendAll(store, recs);
    await store.close();
    const keys = await disk.list('archive/metrics/b/');
    expect(keys.length).toBeGreaterThan(2);
    const victim = keys[1]!;
    await flipBit(disk, victim, 70, 3);
    const reopened = await MetricsStore.open(disk, { maxRecentSize: 20 });
    expect(reopened.problems().map((p) => p.key)).toEqual([victim]);
    expect(reopened.stats().archive.corruptBlocks).toBe(1);
    const got = await reopened.query();
    expect(got.corrupt.map((c) => c.key)).toEqual([victim]);
    const lost = new Set(recs.map((_, i) => i + 1).filter((s) => !got.records.some((r) => r.seq === s)));
    expect(lost.size).toBeGreaterThan(0);
    expect(lost.size).toBeLessThanOrEqual(20);
    for (const r of got.records) expect(strip(r)).toEqual(recs[r.seq - 1]);
  });

  it('detects a block corrupted while open, on read', async () => {
    const disk = new MemoryBlobStore();
    const store = await MetricsStore.open(disk, { maxRecentSize: 20, cacheBlocks: 0 });
    await appendAll(store, stream(60, 4));
    const [first] = await disk.list('archive/metrics/b/');
    await flipBit(disk, first!, 100, 1);
    const got = await store.query();
    expect(got.corrupt.map((c) => c.key)).toEqual([first]);
    expect(store.problems().map((p) => p.key)).toEqual([first]);
    expect(got.records.length).toBeGreaterThan(0);
  });

  /** Runs a workload that crashes after `budget` writes; returns how many records were durable. */
  async function crashRun(disk: MemoryBlobStore, budget: number, recs: MetricRecord[], cfg: Parameters<typeof MetricsStore.open>[1]): Promise<number> {
    let durable = 0;
    let appended = 0;
    try {
      const store = await MetricsStore.open(new CrashingBlobStore(disk, budget), cfg);
      for (const r of recs) {
        await store.append(r);
        appended++;
        if (appended % 7 === 0) {
          await store.flush();
          durable = appended;
        }
      }
      await store.close();
      durable = appended;
    } catch (err) {
      if (!(err instanceof CrashError)) throw err;
    }
    return durable;
  }

  it('recovers after a crash at any write: nothing flushed is lost, nothing duplicated', async () => {
    const recs = stream(120, 9);
    const cfg = { maxRecentSize: 16, compressionThreshold: 0.5 };
    for (let budget = 0; budget < 45; budget++) {
      const disk = new MemoryBlobStore();
      const durable = await crashRun(disk, budget, recs, cfg);
      const reopened = await MetricsStore.open(disk, cfg);
      const got = (await reopened.query()).records;
      const seqs = got.map((r) => r.seq);
      expect(new Set(seqs).size, `budget ${budget}: duplicates`).toBe(seqs.length);
      for (const r of got) expect(strip(r)).toEqual(recs[r.seq - 1]);
      const present = new Set(seqs);
      for (let s = 1; s <= durable; s++) expect(present.has(s), `budget ${budget}: record ${s} lost`).toBe(true);
      // It keeps working after recovery, with fresh sequence numbers.
      const next = await reopened.append(recs[0]!);
      expect(next.seq).toBeGreaterThan(Math.max(0, ...seqs));
    }
  });

  it('recovers within bounds after a crash during cleanups', async () => {
    const recs = stream(200, 10);
    const cfg = { maxRecentSize: 16, maxArchiveSize: 4096, cleanupThreshold: 0.5 };
    for (let budget = 5; budget < 60; budget += 3) {
      const disk = new MemoryBlobStore();
      await crashRun(disk, budget, recs, cfg);
      const reopened = await MetricsStore.open(disk, cfg);
      const got = (await reopened.query()).records;
      expect(new Set(got.map((r) => r.seq)).size).toBe(got.length);
      for (const r of got) expect(strip(r)).toEqual(recs[r.seq - 1]);
      expect(reopened.stats().archive.bytes).toBeLessThanOrEqual(4096);
    }
  });

  it('recovers the exact content after a crash between a move and the buffer write', async () => {
    const recs = stream(40, 12);
    for (let budget = 0; budget < 12; budget++) {
      const disk = new MemoryBlobStore();
      const crashing = new CrashingBlobStore(disk, budget);
      let durable = 0;
      try {
        const store = await MetricsStore.open(crashing, { maxRecentSize: 10 });
        for (let i = 0; i < recs.length; i++) {
          await store.append(recs[i]!);
          await store.flush();
          durable = i + 1;
        }
      } catch (err) {
        if (!(err instanceof CrashError)) throw err;
      }
      const got = (await (await MetricsStore.open(disk, { maxRecentSize: 10 })).query()).records;
      // No cleanup here (the archive is far below its bound): exactly the durable prefix, maybe one more.
      expect(got.length === durable || got.length === durable + 1, `budget ${budget}`).toBe(true);
      expect(got.map(strip)).toEqual(recs.slice(0, got.length));
    }
  });

  it('keeps a record whose move failed on a storage error, and retries the move', async () => {
    const disk = new MemoryBlobStore();
    const flaky = new CrashingBlobStore(disk, 0); // every write fails until the budget is raised
    const store = await MetricsStore.open(flaky, { maxRecentSize: 5 });
    const recs = stream(8, 13);
    await appendAll(store, recs.slice(0, 4));
    await expect(store.append(recs[4]!)).rejects.toThrow(CrashError);
    await expect(store.append(recs[5]!)).rejects.toThrow(CrashError); // buffer full: refused
    expect(store.stats().recent.records).toBe(5);
    flaky.budget = Number.POSITIVE_INFINITY;
    await store.append(recs[5]!);
    await store.append(recs[6]!);
    expect((await store.query()).records.map(strip)).toEqual([...recs.slice(0, 5), recs[5], recs[6]]);
    await store.close();
    expect((await (await MetricsStore.open(disk, { maxRecentSize: 5 })).query()).records.map(strip)).toEqual(recs.slice(0, 7));
  });

  it('refuses bad input and config with typed errors, changing nothing', async () => {
    await expect(MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: 0 })).rejects.toThrow(ArchiveInputError);
    await expect(MetricsStore.open(new MemoryBlobStore(), { maxArchiveSize: 10 })).rejects.toThrow(/maxArchiveSize/);
    await expect(MetricsStore.open(new MemoryBlobStore(), { prefix: '../x' })).rejects.toThrow(ArchiveInputError);
    const store = await MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: 8 });
    const good = stream(5);
    await appendAll(store, good);
    const before = await store.query();
    const r = good[0]!;
    expect(() => store.append({ ...r, valence: 2 })).toThrow(/valence/);
    expect(() => store.append({ ...r, phi: Number.NaN })).toThrow(ArchiveInputError);
    expect(() => store.append({ ...r, timestamp: 1.5 })).toThrow(/timestamp/);
    expect(() => store.append({ ...r, metacognitionLevel: -1 })).toThrow(ArchiveInputError);
    expect(() => store.append({ ...r, extra: { load: 'high' } })).toThrow(/extra.load/);
    expect(() => store.append({ ...r, extra: { ['n'.repeat(121)]: 1 } })).toThrow(/invalid metric record: extra/);
    expect(() => store.append({ ...r, unknown: 1 } as MetricRecord)).toThrow(ArchiveInputError);
    expect(() => store.query({ from: 10, to: 5 })).toThrow(/from must be/);
    expect(() => store.series('nope')).toThrow(/unknown field/);
    expect(await store.query()).toEqual(before);
    await store.close();
    expect(() => store.append(r)).toThrow(ArchiveClosedError);
  });

  it('reports monitoring figures', async () => {
    const store = await MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: 100, cacheBlocks: 2 });
    await appendAll(store, stream(450, 6));
    await store.query();
    await store.query();
    const s = store.stats();
    expect(s.access.appends).toBe(450);
    expect(s.access.queries).toBe(2);
    expect(s.access.recordsReturned).toBe(900);
    expect(s.archive.records).toBe(400);
    expect(s.recent.records).toBe(50);
    expect(s.archive.byClass.reduce((a, c) => a + c.records, 0)).toBe(400);
    expect(s.archive.byClass.reduce((a, c) => a + c.bytes, 0)).toBe(s.archive.bytes);
    expect(s.access.cacheHits + s.access.cacheMisses).toBe(s.access.blockReads);
    expect(s.compression.recordsArchived).toBe(400);
  });
});

describe.skipIf(!nabAvailable())('MetricsStore on real NAB series', () => {
  if (!nabAvailable()) console.warn(NAB_SKIP_MESSAGE);

  it('stores a real series as phi losslessly', async () => {
    const s = loadNab().find((x) => x.name.startsWith('machine_temperature'))!;
    const n = 5000;
    const store = await MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: 1024 });
    const recs: MetricRecord[] = s.values.slice(0, n).map((v, i) => ({
      timestamp: s.timestamps[i]!,
      phi: v,
      valence: 0,
      arousal: 0.5,
      attentionFocus: 'sensor',
      metacognitionLevel: 1,
    }));
    await appendAll(store, recs);
    expect((await store.query()).records.map(strip)).toEqual(recs);
    expect(store.stats().archive.compressionRatio).toBeGreaterThan(10);
  });
});
