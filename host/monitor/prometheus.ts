/**
 * Prometheus metrics of a Memory (prom-client). Every scrape takes one `memory.stats()`
 * snapshot (shared by all metrics of that scrape) and reports it: memory per component,
 * compression ratios, cache hit ratios, operation counts and rates, cleanup effectiveness and
 * link health. Cumulative figures are counters (increased by the difference to the previous
 * scrape), current ones gauges. docs/memory.md lists every name.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { z } from 'zod';
import type { Memory, MemoryStats } from '../memory/memory.js';
import type { MemoryCleanupReport } from '../memory/cleanup.js';
import { parseInput } from '../memory/errors.js';

export const monitorOptionsSchema = z
  .object({
    /** Metric name prefix. */
    prefix: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/).default('janela_'),
    /** Also the process metrics of prom-client (CPU, heap, event loop, GC). */
    defaultMetrics: z.boolean().default(true),
    /** A snapshot serves the scrapes within this many ms. */
    snapshotMs: z.number().int().min(0).default(250),
  })
  .strict();
export type MonitorOptions = z.input<typeof monitorOptionsSchema>;

export interface MemoryMonitor {
  readonly registry: Registry;
  /** The exposition text of every metric (one stats() snapshot). */
  metrics(): Promise<string>;
  readonly contentType: string;
  /** Stops listening to the memory's events. */
  close(): void;
}

type Labels = Record<string, string>;

/** A counter that follows a cumulative reading: each scrape adds what the reading grew by. */
function follower(registry: Registry, name: string, help: string, labelNames: string[], read: (s: MemoryStats) => [Labels, number][], snap: () => Promise<MemoryStats>): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const s = await snap();
      for (const [labels, value] of read(s)) {
        if (!Number.isFinite(value)) continue;
        const key = JSON.stringify(labels);
        const prev = last.get(key) ?? 0;
        const delta = value >= prev ? value - prev : value; // a restarted source counts from 0 again
        last.set(key, value);
        if (delta > 0) this.inc(labels, delta);
        else this.inc(labels, 0);
      }
    },
  });
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[], read: (s: MemoryStats) => [Labels, number][], snap: () => Promise<MemoryStats>): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const s = await snap();
      this.reset();
      for (const [labels, value] of read(s)) if (Number.isFinite(value)) this.set(labels, value);
    },
  });
}

const one = (v: number): [Labels, number][] => [[{}, v]];

export function createMonitor(memory: Memory, options: MonitorOptions = {}): MemoryMonitor {
  const o = parseInput('createMonitor', monitorOptionsSchema, options);
  const p = o.prefix;
  const registry = new Registry();
  if (o.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: p });

  let cached: { at: number; stats: Promise<MemoryStats> } | undefined;
  const snap = (): Promise<MemoryStats> => {
    const now = Date.now();
    if (!cached || now - cached.at > o.snapshotMs) {
      cached = { at: now, stats: memory.stats() };
      cached.stats.catch(() => {
        cached = undefined;
      });
    }
    return cached.stats;
  };

  // Memory per component and the global threshold.
  gauge(registry, `${p}memory_bytes`, 'Bytes held per component of the global memory threshold', ['component', 'kind'], (s) =>
    s.budget.components.map((c) => [{ component: c.name, kind: c.kind }, c.bytes]), snap);
  gauge(registry, `${p}memory_total_bytes`, 'Bytes held by all components together', [], (s) => one(s.budget.totalBytes), snap);
  gauge(registry, `${p}memory_threshold_bytes`, 'The global memory threshold (budget.maxBytes)', [], (s) => one(s.budget.thresholdBytes), snap);
  gauge(registry, `${p}memory_threshold_ratio`, 'Total bytes / threshold', [], (s) => one(s.budget.thresholdBytes > 0 ? s.budget.totalBytes / s.budget.thresholdBytes : 0), snap);

  // Caches.
  gauge(registry, `${p}cache_bytes`, 'Bytes held per cache', ['cache'], (s) => s.caches.list.map((c) => [{ cache: c.name }, c.bytes]), snap);
  gauge(registry, `${p}cache_entries`, 'Entries per cache', ['cache'], (s) => s.caches.list.map((c) => [{ cache: c.name }, c.entries]), snap);
  gauge(registry, `${p}cache_hit_ratio`, 'Hits / lookups per cache since open', ['cache'], (s) => s.caches.list.map((c) => [{ cache: c.name }, c.hitRatio]), snap);
  gauge(registry, `${p}cache_budget_bytes`, "The memory manager's cache budget", [], (s) => one(s.caches.budgetBytes), snap);
  follower(registry, `${p}cache_hits_total`, 'Cache hits', ['cache'], (s) => s.caches.list.map((c) => [{ cache: c.name }, c.hits]), snap);
  follower(registry, `${p}cache_misses_total`, 'Cache misses', ['cache'], (s) => s.caches.list.map((c) => [{ cache: c.name }, c.misses]), snap);
  follower(registry, `${p}cache_evictions_total`, 'Entries evicted by cache policies and cleanups', ['cache'], (s) =>
    s.caches.list.map((c) => [{ cache: c.name }, c.removals.evict + c.removals.expire]), snap);
  gauge(registry, `${p}token_cache_hit_ratio`, "The token counter's cache hit ratio", [], (s) => {
    const t = s.context.tokenizer;
    return one(t.cacheHits + t.cacheMisses > 0 ? t.cacheHits / (t.cacheHits + t.cacheMisses) : 0);
  }, snap);

  // Archives: compression and contents.
  gauge(registry, `${p}compression_ratio`, 'JSON bytes / stored bytes per archive stage', ['archive'], (s) => [
    [{ archive: 'metrics' }, s.archives.metrics.compressionRatio],
    [{ archive: 'states' }, s.archives.states.compressionRatio],
    [{ archive: 'emotions_recent' }, s.archives.emotions.recentCompressionRatio],
    [{ archive: 'emotions_archived' }, s.archives.emotions.archivedCompressionRatio],
  ], snap);
  gauge(registry, `${p}archive_stored_bytes`, 'Stored bytes per archive', ['archive'], (s) => [
    [{ archive: 'metrics' }, s.archives.metrics.storedBytes],
    [{ archive: 'states' }, s.archives.states.storedBytes],
    [{ archive: 'emotions' }, s.archives.emotions.storedBytes],
  ], snap);
  gauge(registry, `${p}archive_records`, 'Records per archive stage', ['archive', 'stage'], (s) => [
    [{ archive: 'metrics', stage: 'buffer' }, s.archives.metrics.bufferRecords],
    [{ archive: 'metrics', stage: 'archived' }, s.archives.metrics.archivedRecords],
    [{ archive: 'states', stage: 'hot' }, s.archives.states.hot],
    [{ archive: 'states', stage: 'warm' }, s.archives.states.warm],
    [{ archive: 'states', stage: 'cold' }, s.archives.states.cold],
    [{ archive: 'emotions', stage: 'active' }, s.archives.emotions.active],
    [{ archive: 'emotions', stage: 'recent' }, s.archives.emotions.recent],
    [{ archive: 'emotions', stage: 'archived' }, s.archives.emotions.archived],
  ], snap);
  gauge(registry, `${p}archive_problems`, 'Corrupt blocks or snapshots the archives found', [], (s) => one(s.archives.problems), snap);

  // Operations and access rates.
  follower(registry, `${p}operations_total`, 'Memory operations by name', ['operation'], (s) => Object.entries(s.operations).map(([op, n]) => [{ operation: op }, n]), snap);
  const prevOps = { at: 0, ops: new Map<string, number>() };
  gauge(registry, `${p}access_rate_per_second`, 'Operations per second since the previous scrape, by name', ['operation'], (s) => {
    const now = Date.parse(s.at);
    const out: [Labels, number][] = [];
    const dt = (now - prevOps.at) / 1000;
    for (const [op, n] of Object.entries(s.operations)) {
      const prev = prevOps.ops.get(op);
      if (prevOps.at > 0 && prev !== undefined && dt > 0) out.push([{ operation: op }, Math.max(0, n - prev) / dt]);
      prevOps.ops.set(op, n);
    }
    if (dt > 0 || prevOps.at === 0) prevOps.at = now;
    return out;
  }, snap);
  follower(registry, `${p}access_denials_total`, 'Operations refused by access control', [], (s) => one(s.access.denials), snap);

  // Working memory on the board.
  gauge(registry, `${p}windows_open`, 'Open memory windows on the board', [], (s) => one(s.device.open), snap);
  gauge(registry, `${p}window_items`, 'Items stored on the board', [], (s) => one(s.device.items), snap);
  follower(registry, `${p}evictions_total`, 'Items that left working memory, by cause', ['cause'], (s) => [
    [{ cause: 'store' }, s.device.pool.evictions.store],
    [{ cause: 'decay' }, s.device.pool.evictions.decay],
    [{ cause: 'close' }, s.device.pool.evictions.close],
    [{ cause: 'foreign' }, s.device.pool.foreignEvictions],
  ], snap);
  follower(registry, `${p}spills_total`, 'Evicted items written to short-term tiers, by outcome', ['outcome'], (s) => [
    [{ outcome: 'stored' }, s.spills.stored],
    [{ outcome: 'duplicate' }, s.spills.duplicates],
  ], snap);
  gauge(registry, `${p}spills_pending`, 'Spills queued or failed (retried by flush and close)', [], (s) => one(s.spills.pending + s.spills.failed), snap);

  // Link health (WindowsDevice.stats()).
  follower(registry, `${p}link_requests_total`, 'Requests the board answered', [], (s) => one(s.device.link.requests), snap);
  follower(registry, `${p}link_retransmissions_total`, 'Frames sent again (go-back-N)', [], (s) => one(s.device.link.retransmissions), snap);
  follower(registry, `${p}link_timeouts_total`, 'Request timeouts', [], (s) => one(s.device.link.timeouts), snap);
  follower(registry, `${p}link_crc_errors_total`, 'Frames dropped for a CRC mismatch', [], (s) => one(s.device.link.crcErrors), snap);
  follower(registry, `${p}link_bad_frames_total`, 'Frames dropped (CRC, length, layout)', [], (s) => one(s.device.link.badFrames), snap);
  gauge(registry, `${p}link_latency_seconds`, 'Request latency over the last 1024 requests', ['stat'], (s) => [
    [{ stat: 'mean' }, s.device.link.latency.meanMs / 1000],
    [{ stat: 'p50' }, s.device.link.latency.p50Ms / 1000],
    [{ stat: 'p99' }, s.device.link.latency.p99Ms / 1000],
    [{ stat: 'max' }, s.device.link.latency.maxMs / 1000],
  ], snap);

  // Conversation and context.
  gauge(registry, `${p}accounts_open`, 'Accounts held open in memory', [], (s) => one(s.accounts.open), snap);
  gauge(registry, `${p}context_sessions`, 'Context sessions tracked', [], (s) => one(s.context.sessions), snap);
  gauge(registry, `${p}context_tokens`, 'Tokens of all context windows', [], (s) => one(s.context.contextTokens), snap);
  gauge(registry, `${p}context_pending_fold`, 'Messages waiting to be folded into history context', [], (s) => one(s.context.pendingFold), snap);
  follower(registry, `${p}context_folded_total`, 'Messages folded into history context', [], (s) => one(s.context.folded), snap);
  follower(registry, `${p}context_slides_total`, 'Context window slides', [], (s) => one(s.context.slides), snap);

  // Cleanup effectiveness.
  follower(registry, `${p}cleanup_runs_total`, 'Unified cleanups', [], (s) => one(s.cleanup.runs), snap);
  follower(registry, `${p}cleanup_freed_bytes_total`, 'Bytes freed by unified cleanups', [], (s) => one(s.cleanup.freedBytes), snap);
  gauge(registry, `${p}cleanup_effectiveness_ratio`, 'Freed / requested bytes of the last cleanup (1 = reached its target)', [], (s) => {
    const l = s.cleanup.last;
    return l ? one(l.requested > 0 ? Math.min(1, l.freed / l.requested) : 1) : [];
  }, snap);
  gauge(registry, `${p}cleanup_last_duration_seconds`, 'Duration of the last cleanup', [], (s) => one(s.cleanup.lastDurationMs / 1000), snap);
  const durations = new Histogram({
    name: `${p}cleanup_duration_seconds`,
    help: 'Durations of unified cleanups',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2],
    registers: [registry],
  });
  const onCleanup = (r: MemoryCleanupReport) => durations.observe(r.durationMs / 1000);
  memory.on('cleanup', onCleanup);

  return {
    registry,
    metrics: () => registry.metrics(),
    contentType: registry.contentType,
    close: () => {
      memory.off('cleanup', onCleanup);
    },
  };
}
