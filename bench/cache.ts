/**
 * `janela bench cache`: hit ratios and throughput of the host caches' eviction policies,
 * against the `lru-cache` package (v11) as the baseline, measured in the same run.
 *
 * - Zipf(0.99) over 1 M keys, 1 M accesses, capacity 10 k (the literature's standard):
 *   hit ratio of every policy, and accesses per second with integer and with string keys.
 * - The real traces in ../shared/data/traces (skipped with a message when absent; the xz one
 *   needs the `xz` tool), each at two capacities (TRACE_CAPACITIES).
 * - Belady's offline optimum of every workload as the ceiling.
 *
 * Each access is `get(k)`, then `set(k, k)` on a miss. Run directly: `npx tsx bench/cache.ts
 * [--quick] [--json]`.
 */
import { beladyHitRatio } from './support/belady.js';
import { CONTENDERS, type Keyed, replay } from './support/cacheContenders.js';
import { isolatedThroughput, zipfKeys, type ZipfWorkload } from './support/isolatedThroughput.js';
import { loadTrace, SHARED_DATA, TRACES_DIR } from './support/traces.js';
import { zipfSequence } from './support/zipf.js';
import { type BenchOptions, type BenchReport, type BenchSuite, environment } from './types.js';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';

/**
 * Trace capacities (entries): a small and a larger one per trace, chosen against each trace's
 * distinct keys so that neither everything nor nothing fits, and matching sizes used for these
 * traces in the LIRS/ARC/TinyLFU literature. loop cycles over ~1 000 keys: 256 and 512 are a
 * quarter and a half of the loop, where LRU gets nothing.
 */
export const TRACE_CAPACITIES: Readonly<Record<string, readonly [number, number]>> = {
  'lirs-multi1.trace.gz': [100, 500], // 2 606 distinct keys, 15 858 accesses
  'lirs-sprite.trace.gz': [100, 500], // 7 075 distinct, 133 996 accesses
  'lirs-loop.trace.gz': [256, 512], // 1 011 distinct, 505 500 accesses
  'lirs-2_pools.trace.gz': [100, 500], // 9 940 distinct, 100 000 accesses
  'cache2k-web07.trace.xz': [500, 2000], // 20 484 distinct, 76 118 accesses
};

const pct = (x: number) => Math.round(x * 10000) / 100;

export const run: BenchSuite = async (options: BenchOptions): Promise<BenchReport> => {
  const quick = options.quick === true;
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const goals: { goal: string; met: boolean; value: number | string }[] = [];
  const skipped: string[] = [];
  const loadBefore = loadavg()[0]!;

  // ---- Zipf ----
  const zipf = quick
    ? { keys: 100_000, length: 200_000, capacity: 2_000, rounds: 1 }
    : { keys: 1_000_000, length: 1_000_000, capacity: 10_000, rounds: 5 };
  const workload: ZipfWorkload = { keys: zipf.keys, length: zipf.length, capacity: zipf.capacity, seed: 42 };
  const intKeys = zipfKeys(workload, 'int') as Int32Array;
  log(`zipf: ${zipf.length} accesses over ${zipf.keys} keys, capacity ${zipf.capacity}`);
  const zipfHit: Record<string, number> = {};
  // Throughput two ways: every contender in one process, interleaved (what a program mixing
  // policies sees), and each alone in a child process (what a program using one sees; the goal).
  const shared: Record<'int' | 'string', Record<string, number>> = { int: {}, string: {} };
  const throughput: Record<'int' | 'string', Record<string, number>> = { int: {}, string: {} };
  for (const kind of ['int', 'string'] as const) {
    const keys: ArrayLike<Keyed> = kind === 'int' ? intKeys : zipfKeys(workload, 'string');
    for (const c of CONTENDERS) replay(c, zipf.capacity, keys); // warm-up (JIT)
    const best: Record<string, number> = {};
    for (let r = 0; r < zipf.rounds; r++) {
      for (const c of CONTENDERS) {
        const { hits, seconds } = replay(c, zipf.capacity, keys);
        best[c.name] = Math.max(best[c.name] ?? 0, keys.length / seconds);
        if (kind === 'int') zipfHit[c.name] = hits / keys.length;
      }
    }
    for (const c of CONTENDERS) shared[kind][c.name] = Math.round(best[c.name]!);
    log(`  ${kind} keys, one process: ${CONTENDERS.map((c) => `${c.name} ${(best[c.name]! / 1e6).toFixed(2)} M/s`).join(', ')}`);
  }
  for (const kind of ['int', 'string'] as const) {
    for (const c of CONTENDERS) {
      throughput[kind][c.name] = Math.round(await isolatedThroughput({ contender: c.name, kind, workload, rounds: zipf.rounds }));
    }
    log(`  ${kind} keys, a process each: ${CONTENDERS.map((c) => `${c.name} ${(throughput[kind][c.name]! / 1e6).toFixed(2)} M/s`).join(', ')}`);
  }
  const zipfOpt = beladyHitRatio(intKeys, zipf.capacity);
  log(`  hit %: ${CONTENDERS.map((c) => `${c.name} ${pct(zipfHit[c.name]!)}`).join(', ')}; Belady ${pct(zipfOpt)}`);

  const ratios: Record<string, number> = {};
  const ratio = (t: Record<string, number>, name: string) => Math.round((t[name]! / t['lru-cache']!) * 1000) / 1000;
  for (const kind of ['int', 'string'] as const) {
    for (const c of CONTENDERS) {
      if (c.name === 'lru-cache') continue;
      ratios[`${c.name}/${kind}`] = ratio(throughput[kind], c.name);
      ratios[`${c.name}/${kind}/oneProcess`] = ratio(shared[kind], c.name);
    }
  }
  for (const kind of ['int', 'string'] as const) {
    const v = ratios[`lru/${kind}`]!;
    goals.push({ goal: `LRU policy ≥ 0.8× lru-cache throughput (${kind} keys)`, met: v >= 0.8, value: v });
  }
  const policies = CONTENDERS.filter((c) => c.name !== 'lru-cache').map((c) => c.name);
  const bestZipf = policies.reduce((a, b) => (zipfHit[b]! > zipfHit[a]! ? b : a));
  if (!quick) {
    goals.push({ goal: 'best policy ≥ 63.5 % on Zipf 0.99', met: zipfHit[bestZipf]! >= 0.635, value: `${bestZipf} ${pct(zipfHit[bestZipf]!)} %` });
  }

  // ---- Traces ----
  const traces: Record<string, unknown>[] = [];
  if (!existsSync(SHARED_DATA)) {
    skipped.push(`all traces: ${SHARED_DATA} is absent`);
    log(`traces skipped: ${SHARED_DATA} is absent`);
  } else {
    for (const [file, caps] of Object.entries(TRACE_CAPACITIES)) {
      const loaded = loadTrace(file, TRACES_DIR);
      if ('skipped' in loaded) {
        skipped.push(loaded.skipped);
        log(`skipped ${loaded.skipped}`);
        continue;
      }
      const all = loaded.trace.keys;
      const keys = quick ? all.subarray(0, Math.min(all.length, 30_000)) : all;
      const distinct = new Set(keys).size;
      for (const capacity of caps) {
        const hit: Record<string, number> = {};
        for (const c of CONTENDERS) hit[c.name] = replay(c, capacity, keys).hits / keys.length;
        const belady = beladyHitRatio(keys, capacity);
        const others = policies.filter((p) => p !== 'lru');
        const best = others.reduce((a, b) => (hit[b]! > hit[a]! ? b : a));
        const label = `${loaded.trace.name}@${capacity}`;
        traces.push({
          trace: loaded.trace.name,
          accesses: keys.length,
          distinctKeys: distinct,
          capacity,
          belady: pct(belady),
          hitRatio: Object.fromEntries(CONTENDERS.map((c) => [c.name, pct(hit[c.name]!)])),
          best,
        });
        log(`${label.padEnd(22)} Belady ${pct(belady)} | ${CONTENDERS.map((c) => `${c.name} ${pct(hit[c.name]!)}`).join(' | ')}`);
        goals.push({ goal: `best policy ahead of LRU on ${label}`, met: hit[best]! > hit['lru']!, value: `${best} ${pct(hit[best]!)} vs lru ${pct(hit['lru']!)}` });
        goals.push({
          goal: `hybrid ≥ W-TinyLFU on ${label}`,
          met: hit['hybrid']! >= hit['wtinylfu']!,
          value: `hybrid ${pct(hit['hybrid']!)} vs wtinylfu ${pct(hit['wtinylfu']!)}`,
        });
      }
    }
  }

  return {
    suite: 'cache',
    environment: environment(),
    method:
      'Each access is get(k), then set(k, k) on a miss, on a fresh cache per run. Throughput: Zipf 0.99 sequence ' +
      `(${zipf.length} accesses, ${zipf.keys} keys, capacity ${zipf.capacity}) precomputed, integer keys and fresh string keys, best of ${zipf.rounds} runs after a warm-up, ` +
      'each contender in a child process of its own (accessesPerSecond; ratios name/kind) and, for comparison, all of them interleaved in one process ' +
      '(accessesPerSecondOneProcess; ratios name/kind/oneProcess); ratios are ours / lru-cache in the same run. Hit ratios in %; Belady = offline optimum with bypass.' +
      (quick ? ' QUICK run: smaller Zipf, traces cut to 30 000 accesses.' : ''),
    results: {
      zipf: {
        accesses: zipf.length,
        keys: zipf.keys,
        capacity: zipf.capacity,
        belady: pct(zipfOpt),
        hitRatio: Object.fromEntries(CONTENDERS.map((c) => [c.name, pct(zipfHit[c.name]!)])),
        accessesPerSecond: throughput,
        accessesPerSecondOneProcess: shared,
      },
      traces,
      skipped,
      // 1-minute load average at the start and end of the run (the machine may be shared).
      loadAverage: { start: Math.round(loadBefore * 100) / 100, end: Math.round(loadavg()[0]! * 100) / 100 },
    },
    ratios,
    goals,
  };
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await run({ quick: process.argv.includes('--quick') });
  if (process.argv.includes('--json')) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(JSON.stringify(report.ratios));
    for (const g of report.goals ?? []) console.log(`${g.met ? 'MET ' : 'MISS'}  ${g.goal}: ${g.value}`);
  }
}
