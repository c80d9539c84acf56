/**
 * Soak benchmark of the memory facade: a mixed agent workload through one Memory for a
 * configurable time — context-session appends (tiers + window), remembers and recalls on the
 * board, cache gets and sets, prompts, metric records, emotions and states — from several
 * concurrent agents, under a global memory threshold small enough that the unified cleanup
 * runs by itself; plus a manual cleanup every second. Reports throughput, p50/p99 latency per
 * operation and overall, the heap and RSS high-water marks, and cleanup durations.
 *
 * Run: `npx tsx bench/soak.ts [--quick] [--seconds N] [--device model|sim] [--json]`
 * (quick: 3 s; default 30 s; JANELA_SOAK_SECONDS and JANELA_SOAK_DEVICE work too).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemory, type ContextSession, type Conversation, type MemoryCleanupReport } from '../host/memory/index.js';
import { seededRandom } from '../host/util/random.js';
import { percentile } from './support/percentile.js';
import { environment, type BenchReport, type BenchSuite } from './types.js';

type Op = 'append' | 'remember' | 'recall' | 'cache' | 'prompt' | 'metric' | 'emotion' | 'state';
/** Weights of the mix, per 100 operations. */
const MIX: readonly [Op, number][] = [
  ['append', 30],
  ['remember', 20],
  ['recall', 10],
  ['cache', 25],
  ['prompt', 5],
  ['metric', 6],
  ['emotion', 2],
  ['state', 2],
];

/** The global memory threshold: small, so the unified cleanup runs by itself. */
const THRESHOLD = 1536 * 1024;

const WORDS = 'plan route train hotel museum budget deploy latency pool canary rollback recipe saffron guests allergy window memory board salience'.split(' ');

function summary(xs: number[]): { count: number; p50Ms: number; p99Ms: number; maxMs: number; meanMs: number } {
  // An operation that never ran reports zeros, not NaN: the soak report is read as counts.
  if (xs.length === 0) return { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 };
  const s = Float64Array.from(xs).sort();
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { count: s.length, p50Ms: r(percentile(s, 0.5)), p99Ms: r(percentile(s, 0.99)), maxMs: r(s[s.length - 1]!), meanMs: r(xs.reduce((a, b) => a + b, 0) / s.length) };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export const run: BenchSuite = async (options) => {
  const quick = options.quick ?? false;
  const seconds = quick ? 3 : Number(arg('--seconds') ?? process.env.JANELA_SOAK_SECONDS ?? 30);
  const deviceName = arg('--device') ?? process.env.JANELA_SOAK_DEVICE ?? 'model';
  const agents = 8;
  const dir = await mkdtemp(join(tmpdir(), 'janela-soak-'));
  const memory = await openMemory({
    dir,
    device: deviceName === 'sim' ? { sim: true } : { model: true },
    windows: { perAccount: 1 },
    tiers: { shortTerm: { capacity: 20 }, midTerm: { capacity: 60 }, dedup: { messages: 20 } },
    context: { maxContextLength: 1024, contextOverlap: 64, reserveTokens: 256 },
    archives: { metrics: { maxRecentSize: 128, maxArchiveSize: 64 << 10 }, states: { hotMs: 1000, warmMs: 2000, maxColdBytes: 64 << 10 }, emotions: { maxArchivedBytes: 64 << 10 } },
    caches: { budgetBytes: 1 << 20 },
    budget: { maxBytes: THRESHOLD, targetRatio: 0.7, checkIntervalMs: 250 },
  });
  const latencies = new Map<Op, number[]>(MIX.map(([op]) => [op, []]));
  const cleanups: MemoryCleanupReport[] = [];
  memory.on('cleanup', (r) => cleanups.push(r));
  let heapHigh = 0;
  let rssHigh = 0;
  const sampleMemory = () => {
    const u = process.memoryUsage();
    heapHigh = Math.max(heapHigh, u.heapUsed);
    rssHigh = Math.max(rssHigh, u.rss);
  };
  const sampler = setInterval(sampleMemory, 100);
  const cache = memory.cache<number, string>('soak', { maxEntries: 20_000 });
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let manual = 0;
  const manualCleanups = (async () => {
    while (performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      if (performance.now() >= deadline) break;
      await memory.cleanup({ targetBytes: Math.floor(memory.usage().totalBytes * 0.9) });
      manual++;
    }
  })();
  const total = MIX.reduce((a, [, w]) => a + w, 0);
  const worker = async (k: number) => {
    const r = seededRandom(17 + k);
    const account = `agent-${k}`;
    const conv: Conversation = memory.conversation(account);
    const session: ContextSession = await conv.context('soak', { systemPrompt: `You are agent ${k}.` });
    let i = 0;
    while (performance.now() < deadline) {
      let x = r() * total;
      let op: Op = 'cache';
      for (const [o, w] of MIX) {
        if ((x -= w) < 0) {
          op = o;
          break;
        }
      }
      const words = Array.from({ length: 5 + Math.floor(r() * 25) }, () => WORDS[Math.floor(r() * WORDS.length)]).join(' ');
      const t = performance.now();
      switch (op) {
        case 'append':
          await session.append({ role: i % 2 ? 'assistant' : 'user', content: `${account} ${i}: ${words}` });
          break;
        case 'remember':
          await conv.remember(`${account} fact ${i}: ${words.slice(0, 40)}`, { importance: r() });
          break;
        case 'recall':
          await conv.recall({ limit: 5 });
          break;
        case 'cache': {
          const key = Math.floor(r() ** 2 * 50_000);
          if (cache.get(key) === undefined) cache.set(key, words, { importance: r() });
          break;
        }
        case 'prompt':
          await session.prompt();
          break;
        case 'metric':
          await memory.archive.record({ timestamp: Date.now(), phi: r(), valence: 2 * r() - 1, arousal: r(), attentionFocus: account, metacognitionLevel: i % 5 });
          break;
        case 'emotion':
          await memory.archive.setEmotion({ valence: 2 * r() - 1, arousal: r() });
          break;
        case 'state':
          await memory.archive.saveState({ phi: r(), workspace: { account, i }, emotionalState: { valence: r() }, attentionState: { focus: account } });
          break;
      }
      latencies.get(op)!.push(performance.now() - t);
      i++;
    }
  };
  await Promise.all(Array.from({ length: agents }, (_, k) => worker(k)));
  await manualCleanups;
  const elapsed = (performance.now() - t0) / 1000;
  await memory.flush();
  sampleMemory();
  clearInterval(sampler);
  const stats = await memory.stats();
  await memory.close();
  await rm(dir, { recursive: true, force: true });

  const all = [...latencies.values()].flat();
  const durations = cleanups.map((c) => c.durationMs);
  const cleanupSummary = summary(durations);
  const byTrigger = { threshold: cleanups.filter((c) => c.trigger === 'threshold').length, manual };
  const mib = (b: number) => Math.round((b / 1048576) * 10) / 10;
  return {
    suite: 'soak',
    environment: environment(),
    method:
      `${agents} concurrent agents on one Memory (${stats.device.kind} device, files in a temp dir) for ${seconds} s; each picks an operation by weight ` +
      `(${MIX.map(([o, w]) => `${o} ${w}`).join(', ')} per 100) and awaits it; latency of each operation by performance.now(); ` +
      'heap and RSS sampled every 100 ms; a global threshold of 1.5 MiB (target 70 %) makes the unified cleanup run by itself, plus a manual cleanup to 90 % of the total every second.' +
      (quick ? ' QUICK run (3 s): a smoke test, not a figure.' : ''),
    results: {
      seconds: Math.round(elapsed * 10) / 10,
      operations: all.length,
      throughputPerSecond: Math.round(all.length / elapsed),
      latency: summary(all),
      byOperation: Object.fromEntries([...latencies].map(([op, xs]) => [op, summary(xs)])),
      memory: { heapHighWaterMiB: mib(heapHigh), rssHighWaterMiB: mib(rssHigh), budgetTotalMiB: mib(stats.budget.totalBytes), thresholdMiB: mib(stats.budget.thresholdBytes) },
      cleanups: { runs: cleanups.length, ...byTrigger, durationMs: cleanupSummary, freedMiB: mib(cleanups.reduce((a, c) => a + Math.max(0, c.freed), 0)), reached: cleanups.filter((c) => c.reached).length, unfinishedFrees: cleanups.reduce((a, c) => a + c.unfinished, 0) },
      device: { stores: stats.device.pool.stores, evictions: stats.device.pool.evictions, linkP99Ms: stats.device.link.latency.p99Ms },
      spills: stats.spills,
    },
    goals: [
      { goal: 'every unified cleanup completes in under 1 s', met: cleanupSummary.maxMs < 1000, value: `max ${cleanupSummary.maxMs} ms over ${cleanups.length} runs` },
      { goal: 'no spill failed', met: stats.spills.failed === 0, value: stats.spills.failed },
    ],
  };
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = await run({ quick: process.argv.includes('--quick') });
  if (process.argv.includes('--json')) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(JSON.stringify(report.results, null, 2));
    for (const g of report.goals ?? []) console.log(`${g.met ? 'MET ' : 'MISS'}  ${g.goal}: ${g.value}`);
  }
}
