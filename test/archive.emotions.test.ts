import { describe, expect, it } from 'vitest';
import { defaultIntensity, emotionImportance } from '../host/archive/emotionImportance.js';
import { type EmotionEntry, type EmotionInput, EmotionManager } from '../host/archive/emotionManager.js';
import { ArchiveClosedError, ArchiveInputError, ArchiveNotFoundError } from '../host/archive/errors.js';
import { MemoryBlobStore } from '../host/storage/blobStore.js';
import { CrashError, CrashingBlobStore, EMOTION_T0, emotionStream, flipBit } from './support/archiveSupport.js';

const T0 = EMOTION_T0;

const emotions = (n: number, seed = 1, start = T0, step = 1000): EmotionInput[] => emotionStream(n, { seed, start, step });

const small = { activeSize: 16, recentSegmentSize: 8, maxRecentEntries: 32, archiveBlockEntries: 32 };

function sameInput(e: EmotionEntry, input: EmotionInput): void {
  expect({ valence: e.valence, arousal: e.arousal, dominance: e.dominance, label: e.label, timestamp: e.timestamp }).toEqual({
    valence: input.valence,
    arousal: input.arousal,
    dominance: input.dominance,
    label: input.label,
    timestamp: input.timestamp,
  });
}

async function setAll(m: EmotionManager, es: EmotionInput[]): Promise<EmotionEntry[]> {
  const out: EmotionEntry[] = [];
  for (const e of es) out.push(await m.setEmotion(e));
  return out;
}

describe('EmotionManager', () => {
  it('keeps the current emotion and the whole history across the three stages', async () => {
    const m = await EmotionManager.open(new MemoryBlobStore(), small);
    const input = emotions(300);
    const set = await setAll(m, input);
    expect(m.current()).toEqual(set.at(-1));
    const mon = m.monitor();
    expect(mon.stages.active.entries).toBeLessThanOrEqual(16);
    expect(mon.stages.recent.entries).toBeLessThanOrEqual(32);
    expect(mon.stages.archived.entries).toBeGreaterThan(0);
    expect(mon.stages.active.entries + mon.stages.recent.entries + mon.stages.archived.entries).toBe(300);
    expect(mon.totalBytes).toBe(mon.stages.active.bytes + mon.stages.recent.bytes + mon.stages.archived.bytes);
    const h = await m.history();
    expect(h.entries.map((e) => e.id)).toEqual(set.map((e) => e.id));
    h.entries.forEach((e, i) => {
      sameInput(e, input[i]!);
      expect(e.intensity).toBe(set[i]!.intensity);
      expect(Math.abs(e.importance - set[i]!.importance)).toBeLessThanOrEqual(5e-7);
    });
    const part = await m.history({ from: T0 + 50_000, to: T0 + 60_000 });
    expect(part.entries.map((e) => e.timestamp)).toEqual(Array.from({ length: 11 }, (_, i) => T0 + 50_000 + i * 1000));
    for (const id of [1, 100, 250, 300]) expect((await m.get(id)).id).toBe(id);
    expect(m.stats().compression.archivedRatio).toBeGreaterThan(3);
  });

  it('computes intensity and importance by the documented formulas', async () => {
    const m = await EmotionManager.open(new MemoryBlobStore(), {});
    const a = await m.setEmotion({ valence: 0.6, arousal: 0.8, timestamp: T0 });
    expect(a.intensity).toBeCloseTo(1 / Math.SQRT2, 12);
    expect(a.importance).toBeCloseTo(0.6 * a.intensity, 12);
    const b = await m.setEmotion({ valence: -0.6, arousal: 0.2, intensity: 0.3, timestamp: T0 + 1 });
    expect(b.intensity).toBe(0.3);
    expect(b.importance).toBeCloseTo(0.6 * 0.3 + 0.4 * (Math.hypot(1.2, 0.6) / Math.sqrt(5)), 12);
    expect(defaultIntensity(1, 1)).toBe(1);
    expect(emotionImportance({ valence: 0, arousal: 0, intensity: 0 }, undefined, { intensity: 1, change: 1 })).toBe(0);
  });

  it('keeps the archive within maxArchivedBytes, dropping the least important entries first', async () => {
    const disk = new MemoryBlobStore();
    const big = await EmotionManager.open(disk, small);
    const set = await setAll(big, emotions(2000, 3));
    await big.close();
    const archived = big.monitor().stages.archived.bytes;
    const maxArchivedBytes = Math.max(4096, Math.floor(archived / 2));
    const m = await EmotionManager.open(disk, { ...small, maxArchivedBytes, cleanupThreshold: 0.9 });
    expect(m.monitor().stages.archived.bytes).toBeLessThanOrEqual(0.9 * maxArchivedBytes);
    const kept = new Set((await m.history()).entries.map((e) => e.id));
    const dropped = set.filter((e) => !kept.has(e.id));
    expect(dropped.length).toBeGreaterThan(0);
    expect(m.stats().cleanup.entriesDropped).toBe(dropped.length);
    const live = new Set([...Array(48).keys()].map((k) => 2000 - k));
    const maxDropped = Math.max(...dropped.map((e) => e.importance));
    for (const e of set) if (kept.has(e.id) && !live.has(e.id)) expect(e.importance).toBeGreaterThanOrEqual(maxDropped - 5e-7);
  });

  it('never drops or expires a retained entry, and counts references', async () => {
    const m = await EmotionManager.open(new MemoryBlobStore(), { ...small, maxArchivedBytes: 4096, cleanupThreshold: 0.5, ttlMs: 100_000 });
    const first = await m.setEmotion({ valence: 0, arousal: 0, timestamp: T0 }); // importance 0: first to go
    expect(await m.retain(first.id)).toBe(1);
    expect(await m.retain(first.id)).toBe(2);
    for (const e of emotions(3000, 4, T0 + 1000)) {
      await m.setEmotion(e);
      expect(m.monitor().stages.archived.bytes).toBeLessThanOrEqual(4096);
    }
    expect(m.stats().cleanup.entriesDropped).toBeGreaterThan(0);
    expect((await m.get(first.id)).id).toBe(first.id);
    expect(await m.expire(T0 + 3_000_000)).toBeGreaterThan(0);
    expect((await m.get(first.id)).id).toBe(first.id);
    expect(m.monitor().references).toEqual({ entries: 1, total: 2 });
    expect(await m.release(first.id)).toBe(1);
    expect(await m.release(first.id)).toBe(0);
    await expect(m.release(first.id)).rejects.toThrow(ArchiveInputError);
    await m.expire(T0 + 3_000_000);
    await expect(m.get(first.id)).rejects.toThrow(ArchiveNotFoundError);
    await expect(m.retain(999_999)).rejects.toThrow(ArchiveNotFoundError);
  });

  it('expires old entries from every stage but keeps the current emotion', async () => {
    const m = await EmotionManager.open(new MemoryBlobStore(), { ...small, ttlMs: 50_000 });
    const set = await setAll(m, emotions(200, 5));
    const cutoff = T0 + 199_000 + 60_000 - 50_000;
    const n = await m.expire(T0 + 199_000 + 60_000);
    const left = (await m.history()).entries;
    expect(left.map((e) => e.id)).toEqual(set.filter((e) => e.timestamp >= cutoff || e.id === 200).map((e) => e.id));
    expect(n).toBe(200 - left.length);
    expect(m.current()!.id).toBe(200);
    expect(m.stats().expiry.entriesExpired).toBe(n);
    // Expire everything: only the current emotion stays.
    await m.expire(T0 + 10_000_000);
    expect((await m.history()).entries.map((e) => e.id)).toEqual([200]);
  });

  it('recovers after a crash at any write: flushed entries exactly once', async () => {
    const input = emotions(120, 6);
    for (let budget = 0; budget < 30; budget++) {
      const disk = new MemoryBlobStore();
      let durable = 0;
      let n = 0;
      try {
        const m = await EmotionManager.open(new CrashingBlobStore(disk, budget), small);
        for (const e of input) {
          await m.setEmotion(e);
          n++;
          if (n % 10 === 0) {
            await m.flush();
            durable = n;
          }
        }
        await m.close();
        durable = n;
      } catch (err) {
        if (!(err instanceof CrashError)) throw err;
      }
      const m = await EmotionManager.open(disk, small);
      const h = (await m.history()).entries;
      const ids = h.map((e) => e.id);
      expect(new Set(ids).size, `budget ${budget}`).toBe(ids.length);
      for (let id = 1; id <= durable; id++) expect(ids.includes(id), `budget ${budget}: entry ${id} lost`).toBe(true);
      for (const e of h) sameInput(e, input[e.id - 1]!);
      const next = await m.setEmotion({ valence: 0, arousal: 0, timestamp: T0 + 1e9 });
      expect(next.id).toBeGreaterThan(Math.max(0, ...ids));
    }
  });

  it('reports a corrupted archived block and keeps the rest readable', async () => {
    const disk = new MemoryBlobStore();
    const m = await EmotionManager.open(disk, small);
    await setAll(m, emotions(300, 7));
    await m.close();
    const keys = await disk.list('archive/emotions/archive/b/');
    expect(keys.length).toBeGreaterThan(2);
    await flipBit(disk, keys[0]!, 90, 4);
    const r = await EmotionManager.open(disk, small);
    expect(r.problems().map((p) => p.key)).toEqual([keys[0]]);
    expect(r.monitor().stages.archived.corruptBlocks).toBe(1);
    const h = await r.history();
    expect(h.corrupt.map((c) => c.key)).toEqual([keys[0]]);
    expect(h.entries.length).toBeGreaterThan(200);
    expect(h.entries.at(-1)!.id).toBe(300);
  });

  it('refuses bad input with typed errors, changing nothing', async () => {
    await expect(EmotionManager.open(new MemoryBlobStore(), { activeSize: 8, recentSegmentSize: 8 })).rejects.toThrow(/recentSegmentSize/);
    const m = await EmotionManager.open(new MemoryBlobStore(), {});
    await m.setEmotion({ valence: 0.1, arousal: 0.2, timestamp: T0 });
    expect(() => m.setEmotion({ valence: 1.5, arousal: 0.2 })).toThrow(ArchiveInputError);
    expect(() => m.setEmotion({ valence: 0, arousal: -0.1 })).toThrow(/arousal/);
    expect(() => m.setEmotion({ valence: 0, arousal: 0, label: '' })).toThrow(ArchiveInputError);
    await expect(m.setEmotion({ valence: 0, arousal: 0, timestamp: T0 - 1 })).rejects.toThrow(/precedes/);
    expect(() => m.get(-1)).toThrow(ArchiveInputError);
    expect((await m.history()).entries).toHaveLength(1);
    await m.close();
    expect(() => m.current()).toThrow(ArchiveClosedError);
  });
});
