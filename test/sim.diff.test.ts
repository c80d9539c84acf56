/**
 * The whole RTL design (core, UART, frame engine) in Verilator behind its pty, against the
 * virtual board (LinkEngine over CoreModel): random operation sequences as pipelined raw
 * frames, every response byte compared, over several window counts and small stores so
 * that quota and global evictions both happen. The gate-level twin is gatelevel.diff.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDevice, type CompletedRequest } from '../host/device/index.js';
import { CoreModel } from '../host/model/core.js';
import { LinkEngine } from '../host/model/linkEngine.js';
import { seededRandom } from '../host/util/random.js';
import { OPS, parseCoreConfig, windowId, type CoreConfigInput } from '../spec/index.js';
import { startSimulator, type Simulator } from '../sim/launcher.js';
import { Line, runRandomDiff } from './support/boardDiff.js';

const OPS_PER_CASE = Number(process.env.JANELA_SIM_DIFF_OPS ?? 6000);

const CASES: { name: string; seed: number; config: CoreConfigInput }[] = [
  { name: '5 windows, 16 items', seed: 501, config: { maxWindows: 5, minWindows: 2, capacity: 16, quota: 6 } },
  { name: '9 windows, 32 items', seed: 902, config: { capacity: 32, quota: 8 } },
  { name: '15 windows, 24 items', seed: 1503, config: { maxWindows: 15, minWindows: 3, capacity: 24, quota: 4 } },
];

describe.each(CASES)('RTL over the pty against the model: $name', ({ seed, config }) => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ config });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it(`agrees byte for byte on ${OPS_PER_CASE} random operations (seed ${seed})`, async () => {
    const engine = new LinkEngine({ config: sim.config });
    const line = await Line.open(sim.path, sim.config.baud);
    const before = await sim.stats();
    let result;
    try {
      result = await runRandomDiff(line, engine, { seed, ops: OPS_PER_CASE, config: sim.config });
    } finally {
      await line.close();
    }
    const after = await sim.stats();
    expect(result.ops).toBe(OPS_PER_CASE);
    expect(engine.stats.executed).toBe(OPS_PER_CASE + 1);
    expect(engine.stats.replayed).toBe(result.replays);
    expect(engine.stats.badSequence).toBe(result.badSequences);
    // The traffic really went through the simulated UART, in both directions.
    expect(after.rxBytes - before.rxBytes).toBe(result.bytesToBoard);
    expect(after.txBytes - before.txBytes).toBe(result.bytesFromBoard);
    // Both eviction paths and the replay ring were exercised.
    expect([...result.seen]).toEqual(expect.arrayContaining(['store:evicted', 'decay:evicted']));
    expect(result.replays).toBeGreaterThan(0);
  }, 240_000);
});

/**
 * Exactly-once over the simulated line with faults injected by the pty harness (1 % of bytes
 * dropped and 1 % bit-flipped, both directions): the device client retries until every
 * operation is acknowledged; replaying the acknowledged requests on a fault-free model must
 * give the same answers byte for byte, and the board must end holding exactly the items the
 * acknowledged answers say it holds, each once.
 */
describe('fault injection over the simulated line', () => {
  const OPERATIONS = Number(process.env.JANELA_SIM_FAULT_OPS ?? 1000);

  it(`applies each of ${OPERATIONS} operations exactly once at 1 percent drop + 1 percent flip`, async () => {
    const config = parseCoreConfig({ maxWindows: 6, minWindows: 2, capacity: 48, quota: 12 });
    const completed: CompletedRequest[] = [];
    const device = await openDevice(
      { sim: true, config, drop: 0.01, flip: 0.01, seed: 77 },
      { config, timeoutMs: 60, maxAttempts: 2000, onComplete: (r) => completed.push(r) },
    );
    try {
      const random = seededRandom(4242);
      const live = new Map<bigint, number>();
      const windows = [windowId(0, 0), windowId(1, 0)];
      // Four operations outstanding, as the client pipelines them; answers complete in sequence order.
      let issued = 0;
      const worker = async () => {
        while (issued < OPERATIONS) {
          const i = issued++;
          const r = random();
          if (r < 0.8) {
            const window = windows[Math.floor(random() * windows.length)]!;
            const stored = await device.store(window, { i }, random() < 0.5 ? undefined : { importance: random(), connection: 0.5 });
            if (stored.evicted) live.delete(stored.evicted.handle);
            live.set(stored.handle, window);
          } else if (r < 0.9) {
            await device.recall({ limit: 1 + Math.floor(random() * 3), pageSize: 3 });
          } else {
            await device.windowCount();
          }
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
      // Fault-free replay of every acknowledged request: same answers, so nothing ran twice or was lost.
      const reference = new CoreModel(config);
      for (const [i, c] of completed.entries()) {
        if (c.code === OPS.sync.code) continue;
        const expected = reference.execute(c.code, c.payload);
        if (Buffer.compare(expected, c.response) !== 0) {
          expect.fail(`request ${i} (op 0x${c.code.toString(16)}): board ${Buffer.from(c.response).toString('hex')}, fault-free ${Buffer.from(expected).toString('hex')}`);
        }
      }
      // The board holds exactly the acknowledged items, each once.
      const stored = await device.recall({ pageSize: 3 });
      const handles = stored.map((s) => s.handle);
      expect(new Set(handles).size).toBe(handles.length);
      expect([...handles].sort()).toEqual([...live.keys()].sort());
      expect((await device.windowCount()).items).toBe(live.size);
      // The faults really happened and were recovered from.
      const stats = device.stats();
      expect(stats.retransmissions).toBeGreaterThan(10);
      expect(stats.crcErrors + stats.timeouts).toBeGreaterThan(10);
    } finally {
      await device.close();
    }
  }, 300_000);
});
