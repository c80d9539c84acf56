/**
 * Gate-level check: janela_top synthesised by Yosys (synth_ice40, write_verilog) and
 * simulated over Yosys's iCE40 cell models (cells_sim.v) in Verilator must answer random
 * operation sequences exactly as the reference model does (LinkEngine over CoreModel),
 * every response byte compared, SEQ and CRC included.
 *
 * Two builds: the iCEBreaker's default config (UltraPlus part: multipliers in SB_MAC16),
 * and a small store on the iCEstick's part (HX: no DSP, multipliers in LUTs; the core
 * does not fit an HX1K, but the mapping is what the HX builds use, and a small store
 * makes eviction common).
 *
 * A clean clone pays for two syntheses and two Verilator builds (about two minutes on two
 * cores, see startAll); later runs find the netlists and the builds in the cache.
 *
 * JANELA_GATELEVEL_SEED=<n> and JANELA_GATELEVEL_OPS=<n> change the seed and the number
 * of random operations of every case (the failure message names the seed and op index).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { getBoard } from '../constraints/boards.js';
import { cellsSimPath } from '../hdl/build/tools.js';
import { generateTop } from '../hdl/top.js';
import { DeviceMismatchError, openDevice } from '../host/device/index.js';
import { LinkEngine } from '../host/model/linkEngine.js';
import { OPS, STATUS, type CoreConfigInput, type OpName } from '../spec/index.js';
import { launchGateLevel, synthesizeGateLevel, type GateLevelSimulator } from '../sim/gateLevel.js';
import { Line, runRandomDiff, type DiffResult } from './support/boardDiff.js';

interface Case {
  readonly name: string;
  readonly board: string;
  readonly config: CoreConfigInput;
  readonly seed: number;
  readonly ops: number;
  /** Paths the random sequence must have reached (see runRandomDiff's `seen`). */
  readonly mustSee: readonly string[];
}

const envInt = (name: string) => {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${v}'`);
  return n;
};
const SEED = envInt('JANELA_GATELEVEL_SEED');
const OPS_OVERRIDE = envInt('JANELA_GATELEVEL_OPS');
/** Random operations per case: about 20 s each on two cores (see the report in the test log). */
const DEFAULT_OPS = 4_000;

const ok = (op: OpName) => `${op}:${STATUS.ok.code}`;
const EVERY_OP_OK = (['sync', 'info', 'open', 'close', 'store', 'recall', 'list', 'count', 'focus', 'setWeights', 'decay'] as const).map(ok);

const CASES: readonly Case[] = [
  {
    name: 'iCEBreaker default config',
    board: 'icebreaker',
    config: {},
    seed: SEED ?? 20_261,
    ops: OPS_OVERRIDE ?? DEFAULT_OPS,
    mustSee: [...EVERY_OP_OK, 'recall:more', 'decay:evicted', `store:${STATUS.windowNotFound.code}`, `open:${STATUS.boundedMemoryExceeded.code}`],
  },
  {
    name: 'small store, HX mapping, serial scorer',
    board: 'icestick',
    config: { maxWindows: 5, minWindows: 3, capacity: 16, quota: 6, scorer: 'serial' },
    seed: SEED ?? 20_262,
    ops: OPS_OVERRIDE ?? DEFAULT_OPS,
    mustSee: [...EVERY_OP_OK, 'recall:more', 'decay:evicted', 'store:evicted', `close:${STATUS.boundedMemoryInsufficient.code}`],
  },
];

/**
 * Synthesis of case k starts when case k-1's netlist is ready, so its Yosys run (in this
 * process) overlaps case k-1's Verilator build; Verilator builds go one at a time (two at
 * once on two cores take longer than one after the other), so case k's build overlaps
 * case k-1's random operations. Each start is awaited by its own describe block.
 */
let starts: Promise<GateLevelSimulator>[] | undefined;
function startAll(): Promise<GateLevelSimulator>[] {
  if (starts) return starts;
  const log = (line: string) => console.log(line);
  let synthesised: Promise<unknown> = Promise.resolve();
  let launched: Promise<unknown> = Promise.resolve();
  starts = CASES.map((c) => {
    const design = synthesised.catch(() => {}).then(() => synthesizeGateLevel({ board: c.board, config: c.config, onProgress: log }));
    const previousLaunch = launched;
    const sim = design.then(async (d) => {
      await previousLaunch.catch(() => {});
      return launchGateLevel(d, { onProgress: log });
    });
    synthesised = design;
    launched = sim;
    // Handled here too, so a failed start awaited later is not an unhandled rejection.
    sim.catch(() => {});
    return sim;
  });
  return starts;
}

afterAll(async () => {
  // A start that was never awaited (a filtered run) must not leave a simulator behind.
  await Promise.all((starts ?? []).map((p) => p.then((s) => s.stop(), () => {})));
});

/** Instances in a write_verilog netlist, by cell type. */
function instancesByType(netlist: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of netlist.matchAll(/^ {2}(\\\S+|[A-Za-z_][\w$]*) +(?:#\(|\\\S+ +\(|[A-Za-z_][\w$]* *\()/gm)) {
    counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
  }
  return counts;
}

/**
 * serialport locks the tty (flock) and once, in a loaded run, a reopen right after
 * device.close() found the pty still locked ("Cannot lock port"); the lock is retried for
 * a moment, anything else fails at once.
 */
async function openUnlocked<T>(open: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (e) {
      if (attempt >= 10 || !/Cannot lock port/.test((e as Error).message)) throw e;
      console.log(`port still locked, retrying (${attempt})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe.each(CASES.map((c, i) => ({ ...c, i })))('gate level = model: $name', (c) => {
  let sim: GateLevelSimulator;
  beforeAll(async () => {
    sim = await startAll()[c.i]!;
  });

  it('runs a netlist of iCE40 cells, flattened, with no behavioural code left', async () => {
    const { netlist, cells } = sim.gateLevel;
    const cellModels = new Set([...(await readFile(cellsSimPath(), 'utf8')).matchAll(/^module (\w+)/gm)].map((m) => m[1]!));
    const instances = instancesByType(netlist);

    // One module, janela_top: the core and the link were flattened into it.
    expect([...netlist.matchAll(/^module (\w+)/gm)].map((m) => m[1])).toEqual(['janela_top']);
    // The RTL is behavioural; none of that is left.
    expect(generateTop(sim.config).some((f) => /\balways\b/.test(f.text))).toBe(true);
    const unescaped = netlist.replace(/\\\S+/g, 'N'); // escaped names may hold any word
    expect(unescaped).not.toMatch(/\b(always|initial|reg|function|task)\b/);
    // Every instance is an iCE40 primitive that cells_sim.v models, as many as Yosys counted.
    expect([...instances.keys()].filter((t) => !cellModels.has(t))).toEqual([]);
    expect(Object.fromEntries(instances)).toEqual(cells);
    expect(cells.SB_LUT4).toBeGreaterThan(1000);
    expect(cells.SB_CARRY).toBeGreaterThan(0);
    expect(cells.SB_RAM40_4K).toBeGreaterThan(0);
    const dsp = getBoard(c.board).resources.dsp > 0;
    expect((cells.SB_MAC16 ?? 0) > 0).toBe(dsp);
    // Continuous assignments only connect nets: no operators outside escaped names.
    const logic = netlist
      .split('\n')
      .filter((l) => l.startsWith('  assign '))
      .map((l) => l.replace(/\\\S+/g, 'N'))
      .filter((l) => !/^ {2}assign [\w\s[\]:{},']+ = [\w\s[\]:{},']+;$/.test(l));
    expect(logic).toEqual([]);
    console.log(
      `${c.name}: netlist ${sim.gateLevel.netlistHash}, ${(netlist.length / 1e6).toFixed(1)} MB, cells ${JSON.stringify(cells)}`,
    );
  });

  it(`agrees with the reference model on ${c.ops} random operations, byte for byte`, async () => {
    const engine = new LinkEngine({ config: sim.config });
    const line = await Line.open(sim.path, sim.config.baud);
    let result: DiffResult;
    const before = await sim.stats();
    const t0 = Date.now();
    try {
      result = await runRandomDiff(line, engine, { seed: c.seed, ops: c.ops, config: sim.config });
    } finally {
      await line.close();
    }
    const ms = Date.now() - t0;
    const after = await sim.stats();
    const cycles = after.cycles - before.cycles;
    console.log(
      [
        `${c.name}: seed ${c.seed}, ${result.ops} ops (+${result.replays} replays, +${result.badSequences} out-of-window, ${result.unframeable} unframeable skipped)`,
        `in ${result.batches} batches, ${result.bytesToBoard} bytes in, ${result.bytesFromBoard} out, every byte as the model's;`,
        `${(ms / 1000).toFixed(1)} s, ${Math.round((result.ops * 1000) / ms)} ops/s, ${cycles} cycles = ${Math.round((cycles * 1000) / ms / 1000)} k cycles/s;`,
        `synthesis ${sim.gateLevel.netlistCached ? 'cached' : `${(sim.gateLevel.synthMs / 1000).toFixed(1)} s`}, Verilator build + start ${(sim.gateLevel.launchMs / 1000).toFixed(1)} s`,
      ].join(' '),
    );
    expect(result.ops).toBe(c.ops);
    // Every op executed once (plus the opening SYNC); the link's replay ring and its
    // sequence check were exercised, and the gates agreed on those answers too.
    expect(engine.stats.executed).toBe(c.ops + 1);
    expect(engine.stats.replayed).toBe(result.replays);
    expect(engine.stats.badSequence).toBe(result.badSequences);
    expect(result.replays).toBeGreaterThan(0);
    expect(result.badSequences).toBeGreaterThan(0);
    // Coverage needs the default length: a shorter run (JANELA_GATELEVEL_OPS) skips it.
    if (c.ops >= DEFAULT_OPS) expect(c.mustSee.filter((k) => !result.seen.has(k))).toEqual([]);
    // The simulator really ran the traffic: every byte went through the netlist's UART.
    expect(after.rxBytes - before.rxBytes).toBe(result.bytesToBoard);
    expect(after.txBytes - before.txBytes).toBe(result.bytesFromBoard);
  }, Math.max(240_000, c.ops * 60));

  it('stands still while idle: the kept sim_quiet works at gate level', async () => {
    // The harness stops the clock only when the netlist's sim_quiet says the board is idle.
    const a = await sim.stats();
    await new Promise((r) => setTimeout(r, 300));
    const b = await sim.stats();
    expect(b.cycles).toBe(a.cycles);
    expect(b.quietCycles).toBeGreaterThan(0);
  });

  it('serves the device client: INFO matches its config and not another', async () => {
    const device = await openUnlocked(() => openDevice({ path: sim.path }, { config: sim.config, timeoutMs: 5_000 }));
    try {
      const info = await device.info();
      expect(info).toMatchObject({ capacity: sim.config.capacity, quota: sim.config.quota, maxWindows: sim.config.maxWindows });
      const [status] = await device.raw(OPS.count.code, new Uint8Array());
      expect(status).toBe(STATUS.ok.code);
    } finally {
      await device.close();
    }
    await expect(
      openUnlocked(() => openDevice({ path: sim.path }, { config: { ...sim.config, capacity: sim.config.capacity * 2 }, timeoutMs: 5_000 })),
    ).rejects.toBeInstanceOf(DeviceMismatchError);
  });
});
