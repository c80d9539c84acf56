/**
 * Archive benchmark: the archive codec against three baselines measured in the same run
 * (JSON + brotli-11, float64 columns + brotli-11, Gorilla) on every NAB series in
 * ../shared/data/metrics/nab and on synthetic metrics streams; state retrieval latency of the
 * ConsciousnessStateStore; cleanup time of full archives.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { brotliCompressSync, brotliDecompressSync, constants as zc } from 'node:zlib';
import { type FieldSpec, type Value, decodeBlock, decodeGorillaSeries, encodeBlockReport, encodeGorillaSeries } from '../host/archive/codec/index.js';
import { EmotionManager } from '../host/archive/emotionManager.js';
import { type MetricRecord, MetricsStore } from '../host/archive/metricsStore.js';
import { ConsciousnessStateStore } from '../host/archive/stateStore.js';
import { MemoryBlobStore } from '../host/storage/blobStore.js';
import { seededRandom } from '../host/util/random.js';
import { NAB_DIR, loadNab as loadNabSeries } from '../test/support/archiveSupport.js';
import { percentile } from './support/percentile.js';
import { type BenchReport, type BenchSuite, environment } from './types.js';

const GOAL_RATIO = 0.67;

interface Table {
  readonly name: string;
  readonly timestamps: number[];
  /** Numeric columns (float64) and categorical ones (strings). */
  readonly columns: { readonly name: string; readonly values: number[] | string[] }[];
  /** The records as a program would write them to JSON. */
  readonly json: () => string;
}

function brotli11(b: Uint8Array): Uint8Array {
  return brotliCompressSync(b, {
    params: { [zc.BROTLI_PARAM_QUALITY]: 11, [zc.BROTLI_PARAM_LGWIN]: 24, [zc.BROTLI_PARAM_SIZE_HINT]: b.length },
  });
}

function sameBits(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b) && new Float64Array([a])[0] === new Float64Array([b])[0]);
}

/** Median time of `reps` runs of fn (after one warm-up run), in ms. */
function time<T>(fn: () => T, reps: number): { ms: number; out: T } {
  let out = fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    out = fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return { ms: ts[Math.floor(ts.length / 2)]!, out };
}

interface CodecResult {
  bytes: number;
  bytesPerRecord: number;
  ratioVsJson: number;
  ratioVsFloat64: number;
  encodeMBps: number;
  decodeMBps: number;
  lossless: boolean;
}

function measure(t: Table, rawBytes: number, jsonBytes: number, reps: number, encode: () => Uint8Array[], check: (enc: Uint8Array[]) => boolean, decode: (enc: Uint8Array[]) => unknown): CodecResult {
  const e = time(encode, reps);
  const d = time(() => decode(e.out), reps);
  const bytes = e.out.reduce((s, b) => s + b.length, 0);
  return {
    bytes,
    bytesPerRecord: bytes / t.timestamps.length,
    ratioVsJson: jsonBytes / bytes,
    ratioVsFloat64: rawBytes / bytes,
    encodeMBps: rawBytes / 1e6 / (e.ms / 1e3),
    decodeMBps: rawBytes / 1e6 / (d.ms / 1e3),
    lossless: check(e.out),
  };
}

/** Categorical columns as dictionary indices (floats) for the float64 and Gorilla baselines. */
function numericView(t: Table): { cols: number[][]; dicts: string[][] } {
  const cols: number[][] = [];
  const dicts: string[][] = [];
  for (const c of t.columns) {
    if (typeof c.values[0] === 'string') {
      const dict: string[] = [];
      const idx = new Map<string, number>();
      cols.push(
        (c.values as string[]).map((s) => {
          let k = idx.get(s);
          if (k === undefined) {
            k = dict.length;
            idx.set(s, k);
            dict.push(s);
          }
          return k;
        }),
      );
      dicts.push(dict);
    } else cols.push(c.values as number[]);
  }
  return { cols, dicts };
}

function benchTable(t: Table, blockRecords: readonly number[], reps: number): Record<string, unknown> {
  const n = t.timestamps.length;
  const json = new TextEncoder().encode(t.json());
  const { cols, dicts } = numericView(t);
  const rawBytes = 8 * n * (1 + cols.length);
  const results: Record<string, CodecResult> = {};

  results['json+brotli11'] = measure(t, rawBytes, json.length, reps, () => [brotli11(new TextEncoder().encode(t.json()))], (enc) => {
    const back = new TextDecoder().decode(brotliDecompressSync(enc[0]!));
    return back === t.json();
  }, (enc) => JSON.parse(new TextDecoder().decode(brotliDecompressSync(enc[0]!))));

  const f64 = () => {
    const a = new Float64Array(n * (1 + cols.length));
    a.set(t.timestamps, 0);
    cols.forEach((c, k) => a.set(c, n * (k + 1)));
    const dict = new TextEncoder().encode(JSON.stringify(dicts));
    const out = new Uint8Array(a.byteLength + dict.length);
    out.set(new Uint8Array(a.buffer), 0);
    out.set(dict, a.byteLength);
    return out;
  };
  results['float64+brotli11'] = measure(t, rawBytes, json.length, reps, () => [brotli11(f64())], (enc) => {
    const back = new Uint8Array(brotliDecompressSync(enc[0]!));
    const want = f64();
    return back.length === want.length && back.every((b, i) => b === want[i]);
  }, (enc) => new Float64Array(new Uint8Array(brotliDecompressSync(enc[0]!)).slice(0, 8 * n * (1 + cols.length)).buffer));

  const gorilla = () => [...cols.map((c) => encodeGorillaSeries(t.timestamps, c)), new TextEncoder().encode(JSON.stringify(dicts))];
  results.gorilla = measure(t, rawBytes, json.length, reps, gorilla, (enc) =>
    cols.every((c, k) => {
      const d = decodeGorillaSeries(enc[k]!);
      return c.every((v, i) => sameBits(d.values[i]!, v)) && t.timestamps.every((x, i) => d.timestamps[i] === x);
    }),
  (enc) => cols.map((_, k) => decodeGorillaSeries(enc[k]!)));
  // Gorilla repeats the timestamps in each series: count them once, as the others do.
  if (cols.length > 1) {
    const tsOnly = encodeGorillaSeries(t.timestamps, []).length;
    const g = results.gorilla;
    g.bytes -= tsOnly * (cols.length - 1);
    g.bytesPerRecord = g.bytes / n;
    g.ratioVsJson = json.length / g.bytes;
    g.ratioVsFloat64 = rawBytes / g.bytes;
  }

  const schema: FieldSpec[] = t.columns.map((c) => ({ name: c.name, type: typeof c.values[0] === 'string' ? 'category' : 'float' }));
  const codecs: Record<string, string> = {};
  for (const br of blockRecords) {
    const encode = () => {
      const out: Uint8Array[] = [];
      for (let s = 0; s < n; s += br) {
        const rep = encodeBlockReport({
          schema,
          timestamps: t.timestamps.slice(s, s + br),
          columns: t.columns.map((c) => c.values.slice(s, s + br) as Value[]),
        });
        if (s === 0) for (const c of rep.columns) codecs[c.name] = c.codec;
        out.push(rep.bytes);
      }
      return out;
    };
    results[`janela(${br})`] = measure(t, rawBytes, json.length, reps, encode, (enc) => {
      let i0 = 0;
      for (const b of enc) {
        const d = decodeBlock(b);
        for (let i = 0; i < d.header.count; i++) if (d.timestamps[i] !== t.timestamps[i0 + i]) return false;
        for (const c of t.columns) {
          const got = d.columns.get(c.name)!.values;
          for (let i = 0; i < d.header.count; i++) {
            const want = c.values[i0 + i]!;
            if (typeof want === 'string' ? got[i] !== want : !sameBits(got[i] as number, want)) return false;
          }
        }
        i0 += d.header.count;
      }
      return i0 === n;
    }, (enc) => enc.map((b) => decodeBlock(b)));
  }
  const baselines = ['json+brotli11', 'float64+brotli11', 'gorilla'];
  const best = baselines.reduce((a, b) => (results[a]!.bytes <= results[b]!.bytes ? a : b));
  const vsBest: Record<string, number> = {};
  for (const br of blockRecords) vsBest[`janela(${br})`] = results[`janela(${br})`]!.bytes / results[best]!.bytes;
  return { records: n, jsonBytes: json.length, rawFloat64Bytes: rawBytes, codecsChosen: codecs, bestBaseline: best, oursVsBestBaseline: vsBest, results };
}

function loadNab(): Table[] {
  if (!existsSync(NAB_DIR)) return [];
  return loadNabSeries().map(({ name, timestamps, values }) => ({
    name,
    timestamps,
    columns: [{ name: 'value', values }],
    json: () => JSON.stringify(timestamps.map((t, i) => ({ timestamp: t, value: values[i] }))),
  }));
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export type SyntheticKind = 'slow' | 'step' | 'noisy' | 'noisy-full-precision';

/**
 * A synthetic consciousness-metrics stream, one record a second: phi, valence, arousal,
 * attention focus, metacognition level, and two extra fields. Values are reported to 4
 * (phi) or 3 decimals, as an instrument or a JSON API would, except in the
 * 'noisy-full-precision' stream, whose values are raw doubles (the limit case).
 */
export function syntheticMetrics(kind: SyntheticKind, n: number, seed = 1): MetricRecord[] {
  const r = seededRandom(seed);
  const foci = ['task', 'user', 'memory', 'self', 'environment', 'plan'];
  const round = (x: number, d: number) => (kind === 'noisy-full-precision' ? x : Math.round(x * 10 ** d) / 10 ** d);
  const clamp = (x: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, x));
  let focus = 0;
  let level = 2;
  let phi = 0.5;
  let val = 0;
  let aro = 0.5;
  const out: MetricRecord[] = [];
  for (let i = 0; i < n; i++) {
    if (r() < (kind === 'step' ? 0.01 : 0.03)) focus = Math.floor(r() * foci.length);
    if (r() < 0.01) level = clamp(level + (r() < 0.5 ? -1 : 1), 0, 5);
    if (kind === 'slow') {
      phi = 0.5 + 0.3 * Math.sin(i / 3600) + 0.05 * Math.sin(i / 97);
      val = 0.6 * Math.sin(i / 1800);
      aro = 0.5 + 0.3 * Math.cos(i / 2400);
    } else if (kind === 'step') {
      if (r() < 0.005) phi = 0.2 + 0.6 * r();
      if (r() < 0.005) val = 2 * r() - 1;
      if (r() < 0.005) aro = r();
    } else {
      phi = clamp(phi + 0.01 * gauss(r), 0, 1);
      val = clamp(val + 0.02 * gauss(r), -1, 1);
      aro = clamp(aro + 0.02 * gauss(r), 0, 1);
    }
    const noise = kind === 'noisy' || kind === 'noisy-full-precision' ? 1 : 0;
    out.push({
      timestamp: 1_700_000_000_000 + i * 1000 + (noise ? Math.floor(r() * 20) : 0),
      phi: round(clamp(phi + noise * 0.005 * gauss(r), 0, 1), 4),
      valence: round(clamp(val + noise * 0.01 * gauss(r), -1, 1), 3),
      arousal: round(clamp(aro + noise * 0.01 * gauss(r), 0, 1), 3),
      attentionFocus: foci[focus]!,
      metacognitionLevel: level,
      extra: { tokens: Math.round(200 + 50 * Math.sin(i / 30) + (noise ? 10 * gauss(r) : 0)), load: round(clamp(0.4 + 0.2 * Math.sin(i / 600) + noise * 0.02 * gauss(r), 0, 1), 3) },
    });
  }
  return out;
}

function metricsTable(name: string, recs: MetricRecord[]): Table {
  return {
    name,
    timestamps: recs.map((r) => r.timestamp),
    columns: [
      { name: 'phi', values: recs.map((r) => r.phi) },
      { name: 'valence', values: recs.map((r) => r.valence) },
      { name: 'arousal', values: recs.map((r) => r.arousal) },
      { name: 'attentionFocus', values: recs.map((r) => r.attentionFocus) },
      { name: 'metacognitionLevel', values: recs.map((r) => r.metacognitionLevel) },
      { name: 'x.tokens', values: recs.map((r) => r.extra!.tokens as number) },
      { name: 'x.load', values: recs.map((r) => r.extra!.load as number) },
    ],
    json: () => JSON.stringify(recs),
  };
}

async function stateRetrieval(quick: boolean): Promise<Record<string, unknown>> {
  const c = { now: 1_700_000_000_000 };
  const store = await ConsciousnessStateStore.open(new MemoryBlobStore(), { hotMs: 60_000, warmMs: 600_000, coldBlockStates: 64, cacheBlocks: 8 }, { clock: () => c.now });
  const r = seededRandom(42);
  const n = quick ? 2000 : 10_000;
  for (let i = 0; i < n; i++) {
    c.now += 1000;
    await store.save({
      phi: Math.round(r() * 1e4) / 1e4,
      workspace: { goal: `goal ${i % 17}`, items: Array.from({ length: 5 }, (_, k) => ({ id: (i + k) % 50, content: `thought about topic ${(i * 3 + k) % 40}`, salience: Math.round(r() * 100) / 100 })) },
      emotionalState: { valence: Math.round((2 * r() - 1) * 100) / 100, arousal: Math.round(r() * 100) / 100, label: ['calm', 'curious', 'alert', 'tired'][i % 4]! },
      attentionState: { focus: ['task', 'user', 'self'][i % 3]!, intensity: Math.round(r() * 10) / 10, competitors: [(i + 1) % 9, (i + 5) % 9] },
    });
  }
  const s = store.stats();
  const gets = quick ? 2000 : 20_000;
  const lat: number[] = [];
  const cpu: number[] = [];
  const byTime: number[] = [];
  for (let i = 0; i < 200; i++) await store.get(1 + Math.floor(r() * n)); // warm-up
  for (let i = 0; i < gets; i++) {
    const v = 1 + Math.floor(r() * n);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await store.get(v);
    lat.push(performance.now() - t0);
    const c1 = process.cpuUsage(c0);
    cpu.push((c1.user + c1.system) / 1000);
  }
  for (let i = 0; i < gets / 4; i++) {
    const t = 1_700_000_000_000 + Math.floor(r() * n * 1000);
    const t0 = performance.now();
    await store.at(t);
    byTime.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  byTime.sort((a, b) => a - b);
  return {
    states: n,
    tiers: s.tiers,
    coldCompressionRatioVsJson: s.compressionRatio,
    getByVersion: { count: gets, p50Ms: percentile(lat, 0.5), p99Ms: percentile(lat, 0.99), maxMs: lat.at(-1) },
    /** CPU time of the process during each get: what the wall time would be without preemption. */
    getByVersionCpu: { p50Ms: percentile(cpu, 0.5), p99Ms: percentile(cpu, 0.99) },
    getByTime: { count: byTime.length, p50Ms: percentile(byTime, 0.5), p99Ms: percentile(byTime, 0.99), maxMs: byTime.at(-1) },
    access: store.stats().access,
  };
}

async function metricsCleanup(quick: boolean): Promise<Record<string, unknown>> {
  const maxArchiveSize = quick ? 256 << 10 : 2 << 20;
  const store = await MetricsStore.open(new MemoryBlobStore(), { maxRecentSize: 1024, maxArchiveSize, cleanupThreshold: 0.5 });
  let maxSeen = 0;
  const gen = syntheticMetrics('noisy', 4096, 7);
  let i = 0;
  const t0 = performance.now();
  while (store.stats().cleanup.runs === 0) {
    const rec = gen[i % gen.length]!;
    await store.append({ ...rec, timestamp: rec.timestamp + Math.floor(i / gen.length) * 4096 * 1000 });
    i++;
    maxSeen = Math.max(maxSeen, store.stats().archive.bytes);
  }
  const fillMs = performance.now() - t0;
  const s = store.stats();
  return {
    maxArchiveSize,
    recordsAppended: i,
    archiveBytesMaxSeen: maxSeen,
    withinBound: maxSeen <= maxArchiveSize,
    archiveCompressionRatioVsJson: s.archive.compressionRatio,
    appendsPerSecond: i / (fillMs / 1e3),
    cleanup: s.cleanup,
    cleanupMsOfFullArchive: s.cleanup.lastMs,
  };
}

async function emotionCleanup(quick: boolean): Promise<Record<string, unknown>> {
  const max = quick ? 64 << 10 : 512 << 10;
  const m = await EmotionManager.open(new MemoryBlobStore(), { maxArchivedBytes: max, cleanupThreshold: 0.8 });
  const r = seededRandom(9);
  let i = 0;
  const set = () =>
    m.setEmotion({ valence: Math.round((2 * r() - 1) * 1000) / 1000, arousal: Math.round(r() * 1000) / 1000, label: ['joy', 'calm', 'fear', 'anger'][i % 4]!, timestamp: 1_700_000_000_000 + i++ * 1000 });
  while (m.stats().cleanup.runs === 0) await set();
  const s = m.stats();
  // Then the steady state: the archive stays full, every move that overflows it runs a cleanup.
  const later: number[] = [];
  const laterRuns = quick ? 5 : 20;
  let archivedMax = 0;
  while (later.length < laterRuns) {
    const runs = m.stats().cleanup.runs;
    await set();
    archivedMax = Math.max(archivedMax, m.monitor().stages.archived.bytes);
    if (m.stats().cleanup.runs !== runs) later.push(m.stats().cleanup.lastMs);
  }
  const sorted = [...later].sort((a, b) => a - b);
  return {
    maxArchivedBytes: max,
    entries: i,
    archivedRatioVsJson: s.compression.archivedRatio,
    stages: s.stages,
    cleanupMsOfFullArchive: s.cleanup.lastMs,
    cleanup: s.cleanup,
    laterCleanups: { count: later.length, medianMs: sorted[sorted.length >> 1], maxMs: sorted.at(-1), ms: later.map((x) => Number(x.toFixed(2))) },
    archivedBytesMaxSeenAfterFirstCleanup: archivedMax,
    withinBound: archivedMax <= max,
  };
}

export const run: BenchSuite = async (options) => {
  const quick = options.quick ?? false;
  const loadAtStart = loadavg();
  const reps = quick ? 1 : 5;
  const nab = loadNab();
  const series: Record<string, unknown> = {};
  const goals: { goal: string; met: boolean; value: number | string }[] = [];
  const ratios: Record<string, number> = {};
  const tables: Table[] = [
    ...(quick ? nab.slice(0, 2) : nab),
    ...(['slow', 'step', 'noisy', 'noisy-full-precision'] as const).map((k) => metricsTable(`synthetic-${k}`, syntheticMetrics(k, quick ? 4096 : 16_384, 1))),
  ];
  for (const t of tables) {
    const res = benchTable(t, [4096, 1024], reps) as { oursVsBestBaseline: Record<string, number>; bestBaseline: string; results: Record<string, CodecResult> };
    series[t.name] = res;
    ratios[`${t.name}: janela(4096)/best baseline (${res.bestBaseline})`] = res.oursVsBestBaseline['janela(4096)']!;
    const lossless = Object.values(res.results).every((x) => x.lossless);
    const worst = Math.max(res.oursVsBestBaseline['janela(4096)']!, res.oursVsBestBaseline['janela(1024)']!);
    goals.push({ goal: `${t.name}: lossless, ≤ ${GOAL_RATIO}× the bytes of the best baseline (blocks of 4096 and 1024)`, met: lossless && worst <= GOAL_RATIO, value: Number(worst.toFixed(3)) });
  }
  const states = await stateRetrieval(quick);
  const p99 = (states.getByVersion as { p99Ms: number }).p99Ms;
  const p99cpu = (states.getByVersionCpu as { p99Ms: number }).p99Ms;
  goals.push({ goal: 'state retrieval by version p99 < 1 ms (wall clock)', met: p99 < 1, value: Number(p99.toFixed(4)) });
  goals.push({ goal: 'state retrieval by version p99 < 1 ms (CPU time, free of preemption by other processes)', met: p99cpu < 1, value: Number(p99cpu.toFixed(4)) });
  const cleanup = await metricsCleanup(quick);
  goals.push({ goal: 'MetricsStore cleanup of a full archive < 100 ms', met: (cleanup.cleanupMsOfFullArchive as number) < 100, value: Number((cleanup.cleanupMsOfFullArchive as number).toFixed(3)) });
  goals.push({ goal: 'MetricsStore archive never above max_archive_size', met: cleanup.withinBound as boolean, value: cleanup.archiveBytesMaxSeen as number });
  goals.push({ goal: 'MetricsStore archived data > 10:1 against JSON', met: (cleanup.archiveCompressionRatioVsJson as number) > 10, value: Number((cleanup.archiveCompressionRatioVsJson as number).toFixed(2)) });
  const emotions = await emotionCleanup(quick);
  goals.push({ goal: 'EmotionManager cleanup by importance of a full archive < 100 ms', met: (emotions.cleanupMsOfFullArchive as number) < 100, value: Number((emotions.cleanupMsOfFullArchive as number).toFixed(3)) });
  const laterMax = (emotions.laterCleanups as { maxMs: number }).maxMs;
  goals.push({ goal: 'EmotionManager: every later cleanup of the full archive (steady state) < 100 ms', met: laterMax < 100, value: Number(laterMax.toFixed(3)) });
  goals.push({ goal: 'EmotionManager archive never above maxArchivedBytes', met: emotions.withinBound as boolean, value: emotions.archivedBytesMaxSeenAfterFirstCleanup as number });
  if (nab.length === 0) goals.push({ goal: `NAB series present at ${NAB_DIR}`, met: false, value: 'absent: NAB figures skipped' });
  const report: BenchReport = {
    suite: 'archive',
    environment: environment(),
    method:
      'Each series is encoded whole by the baselines (JSON of {timestamp,value} records or of the metric records + brotli q11 lgwin 24; float64 columns + brotli q11; Gorilla) and in blocks of 4096 and 1024 records by janela; every codec is decoded and checked bit-exact. ' +
      `MB/s are of raw float64 (8 bytes a field and timestamp), median of ${reps} runs after a warm-up. State retrieval: random get() over all versions of a ConsciousnessStateStore on a MemoryBlobStore (hot/warm/cold). Cleanup: the first cleanup of a MetricsStore/EmotionManager whose archive reached its bound.`,
    results: { loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg(), nabDir: nab.length ? NAB_DIR : `absent (${NAB_DIR})`, series, stateRetrieval: states, metricsCleanup: cleanup, emotionCleanup: emotions },
    ratios,
    goals,
  };
  return report;
};
