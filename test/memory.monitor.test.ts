/**
 * Monitoring: the Prometheus metrics of a Memory (names, values that agree with stats(),
 * counters that follow), the /metrics endpoint on 127.0.0.1, and the CLI commands (serve
 * closes cleanly on SIGTERM and SIGINT, stats prints, demo runs on the model).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openMemory, type Memory } from '../host/memory/index.js';
import { createMonitor, serveMetrics } from '../host/monitor/index.js';
import { memoryScratch } from './support/memoryFlows.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = fileURLToPath(new URL('../host/cli/janela.mjs', import.meta.url));

const { open, dir } = memoryScratch('janela-monitor-');

/** The value of one sample line `name{labels} value` (labels given as a substring, or none). */
function sample(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) return Number(m[3]);
  }
  return undefined;
}

describe('prometheus metrics', () => {
  it('report memory per component, compression, hit ratios, operations, cleanup and link health', async () => {
    const m = await openMemory({ dir: dir(), device: { model: true, drop: 0.01, flip: 0.01, seed: 11 }, link: { maxAttempts: 1000 }, budget: { checkIntervalMs: 0 }, archives: { metrics: { maxRecentSize: 16 } } });
    open.push(m);
    const monitor = createMonitor(m, { defaultMetrics: false, snapshotMs: 0 });
    const a = m.conversation('alice');
    for (let i = 0; i < 40; i++) await a.remember(`fact ${i}`, { importance: (i % 10) / 10 });
    for (let i = 0; i < 40; i++) await m.archive.record({ timestamp: i, phi: i % 3, valence: 0, arousal: 0.5, attentionFocus: `f${i % 4}`, metacognitionLevel: 1 });
    const cache = m.cache<number, number>('c', { maxEntries: 100 });
    for (let i = 0; i < 10; i++) cache.set(i, i);
    for (let i = 0; i < 20; i++) cache.get(i);
    await m.cleanup({ targetBytes: 0 });
    await m.flush();
    // Each stats() snapshot asks the board for its counts (over a faulty line): bracket the scrape.
    const st0 = await m.stats();
    const text = await monitor.metrics();
    const st = await m.stats();
    for (const name of [
      'janela_memory_bytes',
      'janela_memory_threshold_bytes',
      'janela_compression_ratio',
      'janela_cache_hit_ratio',
      'janela_operations_total',
      'janela_evictions_total',
      'janela_spills_total',
      'janela_link_retransmissions_total',
      'janela_link_crc_errors_total',
      'janela_link_latency_seconds',
      'janela_cleanup_runs_total',
      'janela_cleanup_effectiveness_ratio',
      'janela_cleanup_duration_seconds_count',
    ]) {
      expect(text, name).toMatch(new RegExp(`^${name}`, 'm'));
    }
    expect(sample(text, 'janela_operations_total', 'operation="windows.remember"')).toBe(40);
    expect(sample(text, 'janela_memory_bytes', 'component="archive:metrics"')).toBe(st.budget.components.find((c) => c.name === 'archive:metrics')!.bytes);
    expect(sample(text, 'janela_compression_ratio', 'archive="metrics"')).toBeCloseTo(st.archives.metrics.compressionRatio, 9);
    expect(st.archives.metrics.compressionRatio).toBeGreaterThan(1);
    expect(sample(text, 'janela_cache_hit_ratio', 'cache="c"')).toBe(0.5);
    expect(sample(text, 'janela_evictions_total', 'cause="store"')).toBe(st.device.pool.evictions.store);
    // The faulty line shows in the link counters.
    expect(st.device.link.retransmissions).toBeGreaterThan(0);
    for (const [name, read] of [
      ['janela_link_retransmissions_total', (x: typeof st) => x.device.link.retransmissions],
      ['janela_link_crc_errors_total', (x: typeof st) => x.device.link.crcErrors],
      ['janela_link_requests_total', (x: typeof st) => x.device.link.requests],
    ] as const) {
      expect(sample(text, name)).toBeGreaterThanOrEqual(read(st0));
      expect(sample(text, name)).toBeLessThanOrEqual(read(st));
    }
    expect(sample(text, 'janela_cleanup_duration_seconds_count')).toBe(1);
    expect(sample(text, 'janela_cleanup_effectiveness_ratio')).toBeLessThanOrEqual(1);
    // Counters follow: more operations, higher counts; rates appear from the second scrape on.
    for (let i = 0; i < 5; i++) await a.remember(`more ${i}`);
    await new Promise((r) => setTimeout(r, 20));
    const text2 = await monitor.metrics();
    expect(sample(text2, 'janela_operations_total', 'operation="windows.remember"')).toBe(45);
    expect(sample(text2, 'janela_access_rate_per_second', 'operation="windows.remember"')).toBeGreaterThan(0);
    monitor.close();
  });

  it('serves /metrics and /healthz on 127.0.0.1 only', async () => {
    const m = await openMemory({ dir: dir(), device: { model: true }, budget: { checkIntervalMs: 0 } });
    open.push(m);
    const monitor = createMonitor(m);
    const server = await serveMetrics(m, monitor, { port: 0 });
    try {
      expect((server.server.address() as { address: string }).address).toBe('127.0.0.1');
      const r = await fetch(server.url);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/text\/plain/);
      const body = await r.text();
      expect(body).toMatch(/^janela_windows_open 3$/m);
      expect(body).toMatch(/^janela_process_cpu_user_seconds_total/m);
      expect((await fetch(server.url.replace('/metrics', '/healthz'))).status).toBe(200);
      expect((await fetch(server.url.replace('/metrics', '/nope'))).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
      monitor.close();
    }
  });
});

function run(args: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      onStdout?.(out, child);
    });
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('memory CLI commands', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`serve exposes /metrics and closes cleanly on ${signal}`, async () => {
      const d = dir();
      let fetched: Promise<number> | undefined;
      const r = await run(['serve', '--metrics-port', '0', '--dir', d, '--device', 'model'], (out, child) => {
        const m = /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(out);
        if (m && !fetched) {
          fetched = fetch(m[1]!).then(async (res) => {
            await res.text();
            child.kill(signal);
            return res.status;
          });
        }
      });
      expect(await fetched).toBe(200);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`${signal}: closing`));
      expect(r.out).toMatch(/closed/);
    }, 60_000);
  }

  it('serve refuses a bad port', async () => {
    const r = await run(['serve', '--metrics-port', 'abc']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/metrics-port/);
  }, 60_000);

  it('stats prints what a memory holds, as text and JSON', async () => {
    const d = dir();
    const m = await openMemory({ dir: d, device: { model: true }, budget: { checkIntervalMs: 0 } });
    await m.conversation('alice').append({ role: 'user', content: 'hello' });
    await m.conversation('bob').append({ role: 'user', content: 'hi' });
    await m.close();
    const text = await run(['stats', '--dir', d]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/accounts: 2/);
    expect(text.out).toMatch(/^alice\s+1\s/m);
    const json = await run(['stats', '--dir', d, '--json']);
    expect(json.code).toBe(0);
    const s = JSON.parse(json.out) as { accounts: { stored: number; details: { id: string; messages: number }[] } };
    expect(s.accounts.stored).toBe(2);
    expect(s.accounts.details.map((x) => [x.id, x.messages])).toEqual([
      ['alice', 1],
      ['bob', 1],
    ]);
  }, 60_000);

  it('demo runs through every tier on the model and loses nothing', async () => {
    const r = await run(['demo', '--device', 'model']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const section of ['1. Conversations', '2. Working memory', '3. Conversation tiers', '4. Context windows', '5. Archives', '6. Unified cleanup', '7. Close and restart', 'Summary']) {
      expect(r.out).toContain(section);
    }
    expect(r.out).toMatch(/nothing lost/);
  }, 120_000);
});
