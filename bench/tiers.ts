/**
 * Conversation tiers: durable append throughput and read latency with a large history, on
 * the file backend and on Redis (a real redis-server on loopback, appendonly yes,
 * appendfsync always, in a temp dir).
 *
 *   janela bench tiers [--quick]      or      npx tsx bench/tiers.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileStoreFactory } from '../host/storage/fileStore.js';
import { RedisStoreFactory } from '../host/storage/redisStore.js';
import type { AccountStore, StoreFactory } from '../host/storage/types.js';
import type { PendingMessage } from '../host/tiers/index.js';
import { AccountMemory, extractiveSummariser, parseTierConfig, prepareMessage, tierShape } from '../host/tiers/index.js';
import { Mulberry32 } from '../host/util/random.js';
import { startRedis } from './support/redis.js';
import { percentile } from './support/percentile.js';
import type { BenchReport, BenchSuite } from './types.js';
import { environment } from './types.js';

const CONFIG = parseTierConfig({ context: { onShortTermFull: false, periodicIntervalMs: 0, topic: { enabled: false } } });
const SHAPE = tierShape(CONFIG);
const LIMITS = CONFIG.limits;
const PAGE = 100;

const WORDS = 'the a flight hotel booking tomorrow morning price window seat lisbon berlin meeting agenda budget draft review code test deploy error retry cache memory summary user assistant please thanks'.split(' ');

/** A conversational message of 60–300 characters, deterministic in i. */
function content(i: number): string {
  const r = new Mulberry32(i);
  const n = 10 + r.below(40);
  const out: string[] = [`#${i}`];
  for (let k = 0; k < n; k++) out.push(WORDS[r.below(WORDS.length)]!);
  return out.join(' ');
}

interface Latency {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly samples: number;
}

async function latency(samples: number, fn: () => Promise<unknown>): Promise<Latency> {
  for (let i = 0; i < Math.min(50, samples); i++) await fn(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { p50Ms: r(percentile(t, 0.5)), p99Ms: r(percentile(t, 0.99)), maxMs: r(t.at(-1)!), samples };
}

/** Durable appends per second through AccountMemory.append (validation included), `inflight` at a time. */
async function appendRate(mem: AccountMemory, count: number, inflight: number, tag: string): Promise<{ perSecond: number; messages: number; inflight: number }> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        await mem.append({ role: i % 2 ? 'assistant' : 'user', content: `${tag} ${content(i)}` });
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  return { perSecond: Math.round(count / s), messages: count, inflight };
}

/** Bulk load through the store's append (batches of 1000, as a group commit would form them). */
async function load(store: AccountStore, total: number): Promise<{ messages: number; seconds: number; perSecond: number }> {
  const t0 = performance.now();
  const batch = 1000;
  let pending: Promise<unknown>[] = [];
  for (let i = 0; i < total; i += batch) {
    const msgs: PendingMessage[] = [];
    for (let k = i; k < Math.min(total, i + batch); k++) msgs.push(prepareMessage({ role: k % 2 ? 'assistant' : 'user', content: content(k) }, LIMITS));
    pending.push(store.append(msgs));
    if (pending.length >= 4) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  const seconds = (performance.now() - t0) / 1000;
  return { messages: total, seconds: Math.round(seconds * 10) / 10, perSecond: Math.round(total / seconds) };
}

async function readLatencies(store: AccountStore, samples: number, lastSeq: number) {
  const r = new Mulberry32(1);
  return {
    shortTerm: await latency(samples, () => store.shortTerm()),
    midTerm: await latency(samples, () => store.midTerm()),
    [`historyLast${PAGE}`]: await latency(samples, () => store.history({ limit: PAGE })),
    [`historyRandomPage${PAGE}`]: await latency(samples, () => {
      return store.history({ afterSeq: r.below(Math.max(1, lastSeq - PAGE)), limit: PAGE });
    }),
  };
}

async function backend(name: 'files' | 'redis', factory: StoreFactory, opts: { big: number; appends: number; samples: number }) {
  // Append throughput on a fresh account, through the public API.
  const mem = await AccountMemory.open(factory.account('append-rate'), { config: CONFIG, summariser: extractiveSummariser });
  const concurrent = await appendRate(mem, opts.appends, 64, 'c');
  const sequential = await appendRate(mem, Math.max(200, Math.floor(opts.appends / 20)), 1, 's');
  await mem.close();

  // A big history, then read latencies.
  const store = factory.account('big');
  await store.open();
  const loaded = await load(store, opts.big);
  await store.close();
  const t0 = performance.now();
  const reopened = factory.account('big');
  const report = await reopened.open();
  const openMs = Math.round(performance.now() - t0);
  const reads = await readLatencies(reopened, opts.samples, report.lastSeq);
  await reopened.close();
  return { backend: name, appends: { concurrent, sequential }, load: loaded, openMs, storedMessages: report.messageCount, reads };
}

export const run: BenchSuite = async ({ quick }) => {
  const opts = quick ? { big: 20_000, appends: 2_000, samples: 300 } : { big: 1_000_000, appends: 20_000, samples: 2_000 };
  const dir = mkdtempSync(join(tmpdir(), 'janela-bench-tiers-'));
  const redis = await startRedis({ appendfsync: 'always' });
  const results: Record<string, unknown> = { loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100) };
  try {
    const files = new FileStoreFactory(SHAPE, { root: join(dir, 'memory') });
    results.files = await backend('files', files, opts);
    await files.close();
    const rf = new RedisStoreFactory(SHAPE, { url: redis.url, commandTimeoutMs: 60_000 });
    results.redis = await backend('redis', rf, opts);
    await rf.close();
    results.loadAverageAtEnd = loadavg().map((x) => Math.round(x * 100) / 100);
  } finally {
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  type R = Awaited<ReturnType<typeof backend>>;
  const goals: { goal: string; met: boolean; value: number | string }[] = [];
  for (const key of ['files', 'redis'] as const) {
    const r = results[key] as R;
    const reads = r.reads as Record<string, Latency>;
    const tiersP99 = Math.max(reads.shortTerm!.p99Ms, reads.midTerm!.p99Ms);
    const pageP99 = Math.max(reads[`historyLast${PAGE}`]!.p99Ms, reads[`historyRandomPage${PAGE}`]!.p99Ms);
    goals.push({ goal: `${key}: retrieval p99 < 100 ms (spec), ${r.storedMessages} messages stored`, met: Math.max(tiersP99, pageP99) < 100, value: Math.max(tiersP99, pageP99) });
    goals.push({ goal: `${key}: short-/mid-term read p99 < 1 ms`, met: tiersP99 < 1, value: tiersP99 });
    goals.push({ goal: `${key}: page of ${PAGE} of the whole history p99 < 10 ms`, met: pageP99 < 10, value: pageP99 });
  }
  const report: BenchReport = {
    suite: 'tiers',
    environment: environment(),
    method:
      `Appends: AccountMemory.append (validation, duplicate check, durable write) of 60–300-character messages, 64 in flight (group commit: one write+fdatasync per batch on files; one Lua call per batch on Redis with appendonly yes, appendfsync always) and 1 in flight. ` +
      `Reads: ${opts.big} messages bulk-loaded into one account, store reopened (files: full checksum scan), then ${opts.samples} sequential reads each of short-term, mid-term, the last ${PAGE} and random pages of ${PAGE}; wall-clock per call with performance.now(), after 50 warm-up calls. Same process, loopback Redis, temp dirs.`,
    results,
    goals,
  };
  return report;
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  console.log(JSON.stringify(await run({ quick }), null, 2));
}
