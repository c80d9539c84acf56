/**
 * The archives of the memory — consciousness metrics, consciousness states and emotions
 * (host/archive) — opened on the memory's one BlobStore, behind access control, and as
 * components of the unified cleanup.
 *
 * Data flow: metric records enter the MetricsStore's recent buffer and move, compressed, into
 * its archive when the buffer fills (the store does that); states move hot → warm → cold by
 * age; emotions active → recent → archived. Each archive keeps its stored bytes under its own
 * cap (config.archives.*), and those caps are shares of the global threshold (config.ts
 * refuses caps that do not fit).
 *
 * As cleanup components: an archive's bytes are its in-memory stages plus its stored blocks.
 * What the unified cleanup can free today is what the archive's own cleanup frees — the
 * stored bytes above cleanupThreshold × its cap, its least important content first (metrics:
 * lowest priority class, oldest first; states and emotions: lowest importance) — offered as
 * one candidate whose salience is the importance of that content.
 */
import { z } from 'zod';
import { EmotionManager, type EmotionInput, type EmotionEntry } from '../archive/emotionManager.js';
import { MetricsStore, type MetricRecord, type MetricsQuery, type StoredMetric, type QueryResult } from '../archive/metricsStore.js';
import { ConsciousnessStateStore, type ConsciousnessState, type StateInput } from '../archive/stateStore.js';
import type { CorruptionReport } from '../archive/blockArchive.js';
import type { BlobStore } from '../storage/blobStore.js';
import type { ReclaimCandidate, Reclaimable } from './cleanup.js';
import type { MemoryConfig } from './config.js';

export interface ArchiveSet {
  readonly metrics: MetricsStore;
  readonly states: ConsciousnessStateStore;
  readonly emotions: EmotionManager;
}

export async function openArchives(store: BlobStore, config: MemoryConfig['archives']): Promise<ArchiveSet> {
  const metrics = await MetricsStore.open(store, config.metrics);
  let states: ConsciousnessStateStore | undefined;
  try {
    states = await ConsciousnessStateStore.open(store, config.states);
    const emotions = await EmotionManager.open(store, config.emotions);
    return { metrics, states, emotions };
  } catch (err) {
    await metrics.close().catch(() => undefined);
    await states?.close().catch(() => undefined);
    throw err;
  }
}

export interface ArchiveStats {
  readonly metrics: {
    readonly bufferRecords: number;
    readonly bufferCapacity: number;
    readonly archivedRecords: number;
    readonly blocks: number;
    readonly storedBytes: number;
    readonly memoryBytes: number;
    readonly compressionRatio: number;
    readonly appends: number;
    readonly queries: number;
    readonly moves: number;
    readonly cleanupRuns: number;
    readonly bytesFreed: number;
  };
  readonly states: {
    readonly versions: number;
    readonly hot: number;
    readonly warm: number;
    readonly cold: number;
    readonly storedBytes: number;
    readonly memoryBytes: number;
    readonly compressionRatio: number;
    readonly gets: number;
    readonly cleanupRuns: number;
    readonly bytesFreed: number;
  };
  readonly emotions: {
    readonly active: number;
    readonly recent: number;
    readonly archived: number;
    readonly storedBytes: number;
    readonly memoryBytes: number;
    readonly recentCompressionRatio: number;
    readonly archivedCompressionRatio: number;
    readonly sets: number;
    readonly gets: number;
    readonly cleanupRuns: number;
    readonly bytesFreed: number;
  };
  readonly problems: number;
}

export function archiveStats(a: ArchiveSet): ArchiveStats {
  const m = a.metrics.stats();
  const s = a.states.stats();
  const e = a.emotions.stats();
  return {
    metrics: {
      bufferRecords: m.recent.records,
      bufferCapacity: m.recent.capacity,
      archivedRecords: m.archive.records,
      blocks: m.archive.blocks,
      storedBytes: m.archive.bytes,
      memoryBytes: m.recent.approxBytes,
      compressionRatio: m.archive.compressionRatio,
      appends: m.access.appends,
      queries: m.access.queries,
      moves: m.compression.moves,
      cleanupRuns: m.cleanup.runs,
      bytesFreed: m.cleanup.bytesFreed,
    },
    states: {
      versions: s.versions,
      hot: s.tiers.hot.states,
      warm: s.tiers.warm.states,
      cold: s.tiers.cold.states,
      storedBytes: s.tiers.cold.bytes + s.tiers.warm.bytes,
      memoryBytes: s.tiers.hot.approxBytes + s.tiers.warm.bytes,
      compressionRatio: s.compressionRatio,
      gets: s.access.gets,
      cleanupRuns: s.cleanup.runs,
      bytesFreed: s.cleanup.bytesFreed,
    },
    emotions: {
      active: e.stages.active.entries,
      recent: e.stages.recent.entries,
      archived: e.stages.archived.entries,
      storedBytes: e.stages.archived.bytes,
      memoryBytes: e.stages.active.bytes + e.stages.recent.bytes,
      recentCompressionRatio: e.compression.recentRatio,
      archivedCompressionRatio: e.compression.archivedRatio,
      sets: e.access.sets,
      gets: e.access.gets,
      cleanupRuns: e.cleanup.runs,
      bytesFreed: e.cleanup.bytesFreed,
    },
    problems: m.problems.length + s.problems.length + e.problems.length,
  };
}

/** When and how often the memory used each archive (the scorer's recency and frequency). */
export class ArchiveUse {
  readonly last = { metrics: 0, states: 0, emotions: 0 };
  readonly count = { metrics: 0, states: 0, emotions: 0 };
  touch(which: keyof ArchiveUse['last'], now: number): void {
    this.last[which] = now;
    this.count[which]++;
  }
}

/** The archives as cleanup components (see the file comment for what they offer). */
export function archiveReclaimables(a: ArchiveSet, config: MemoryConfig['archives'], use: ArchiveUse): Reclaimable[] {
  const excess = (stored: number, cap: number, threshold: number) => Math.max(0, stored - Math.floor(cap * threshold));
  const candidate = (key: keyof ArchiveUse['last'], bytes: number, salience: number, run: () => Promise<unknown>, measure: () => number): ReclaimCandidate => ({
    key,
    bytes,
    salience,
    lastAccess: use.last[key],
    accesses: use.count[key],
    free: async () => {
      const before = measure();
      await run();
      return before - measure();
    },
  });
  const metricsBytes = () => {
    const s = a.metrics.stats();
    return s.recent.approxBytes + s.archive.bytes;
  };
  const statesBytes = () => {
    const s = a.states.stats();
    return s.tiers.hot.approxBytes + s.tiers.warm.bytes + s.tiers.cold.bytes;
  };
  const emotionsBytes = () => a.emotions.monitor().totalBytes;
  return [
    {
      name: 'archive:metrics',
      kind: 'archive',
      bytes: metricsBytes,
      *candidates() {
        const s = a.metrics.stats();
        const over = excess(s.archive.bytes, config.metrics.maxArchiveSize, config.metrics.cleanupThreshold);
        if (over <= 0) return;
        const lowest = s.archive.byClass.find((c) => c.blocks > 0)?.cls ?? 0;
        yield candidate('metrics', over, lowest / 4, () => a.metrics.cleanup(), metricsBytes);
      },
    },
    {
      name: 'archive:states',
      kind: 'archive',
      bytes: statesBytes,
      *candidates() {
        const s = a.states.stats();
        const over = excess(s.tiers.cold.bytes, config.states.maxColdBytes, config.states.cleanupThreshold);
        if (over <= 0) return;
        let lowest = 1;
        for (const v of a.states.versions()) if (v.tier === 'cold' && v.importance < lowest) lowest = v.importance;
        yield candidate('states', over, lowest, () => a.states.cleanup(), statesBytes);
      },
    },
    {
      name: 'archive:emotions',
      kind: 'archive',
      bytes: emotionsBytes,
      *candidates() {
        const m = a.emotions.monitor();
        const over = excess(m.stages.archived.bytes, config.emotions.maxArchivedBytes, config.emotions.cleanupThreshold);
        if (over <= 0) return;
        // The archived entries' importances are inside compressed blocks; its own cleanup drops the least important.
        yield candidate('emotions', over, 0, () => a.emotions.cleanup(), emotionsBytes);
      },
    },
  ];
}

/** Closes the archives, flushing what they buffer. */
export async function closeArchives(a: ArchiveSet): Promise<void> {
  const results = await Promise.allSettled([a.metrics.close(), a.states.close(), a.emotions.close()]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

export async function flushArchives(a: ArchiveSet): Promise<void> {
  await Promise.all([a.metrics.flush(), a.states.flush(), a.emotions.flush()]);
}

export type { MetricRecord, MetricsQuery, StoredMetric, QueryResult, ConsciousnessState, StateInput, EmotionInput, EmotionEntry, CorruptionReport };

export const emotionRangeSchema = z
  .object({ from: z.number().int().optional(), to: z.number().int().optional(), limit: z.number().int().positive().optional() })
  .strict();
