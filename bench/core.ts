/**
 * The working-memory core alone (no serial link): Verilator simulation speed, clock
 * cycles per operation at the default config, and the reference model's speed.
 *
 * Cycles per op are the core's own: from the cycle the command is accepted to the first
 * cycle cmd_ready is high again (core_tb.cpp), measured in a store filled to capacity.
 */
import { CoreModel } from '../host/model/core.js';
import { CoreSim, type Command } from '../sim/core/coreSim.js';
import { ALL_WINDOWS, OPS, parseCoreConfig, windowId, type CoreConfig } from '../spec/index.js';
import { RandomOps } from './support/randomOps.js';
import { environment, type BenchReport, type BenchSuite } from './types.js';

const u16 = (x: number) => [x & 0xff, (x >> 8) & 0xff];
const u64 = (x: number) => Array.from({ length: 8 }, (_, k) => (k < 6 ? Math.floor(x / 2 ** (8 * k)) & 0xff : 0));
const cmd = (op: number, bytes: readonly number[] = []): Command => ({ op, payload: Uint8Array.from(bytes) });
const store = (window: number, handle: number, sal?: readonly number[]) =>
  cmd(OPS.store.code, [...u16(window), ...u64(handle), ...(sal ?? [])]);
const recall = (window: number, limit: number, order: number, minSal = 0) =>
  cmd(OPS.recall.code, [...u16(window), minSal, limit, order, 0, 0, 0, 0, 0, 0, 0]);

/**
 * Fills the store to capacity: windows 0..n-1 (reset ones first, then opened ones, all at
 * generation 0 or 1), `quota` items each with distinct saliences, round robin.
 */
function fillCommands(c: CoreConfig): { commands: Command[]; windows: number[] } {
  const perWindow = Math.min(c.quota, c.capacity);
  const n = Math.min(c.maxWindows, Math.ceil(c.capacity / perWindow));
  const windows = [...Array(n).keys()].map((s) => windowId(s, s < c.minWindows ? 0 : 1));
  const commands: Command[] = [];
  for (let s = c.minWindows; s < n; s++) commands.push(cmd(OPS.open.code));
  for (let i = 0; i < c.capacity; i++) {
    const w = windows[i % n]!;
    commands.push(store(w, 0x1000 + i, [i & 0xff, 200, 100, 0, 1 + (i % 200)]));
  }
  return { commands, windows };
}

interface OpCase {
  readonly name: string;
  readonly command: (windows: number[]) => Command;
  /** Empty store instead of a full one. */
  readonly empty?: boolean;
}

const OP_CASES: readonly OpCase[] = [
  { name: 'INFO', command: () => cmd(OPS.info.code) },
  { name: 'SYNC', command: () => cmd(OPS.sync.code) },
  { name: 'COUNT', command: () => cmd(OPS.count.code) },
  { name: 'LIST', command: () => cmd(OPS.list.code) },
  { name: 'FOCUS', command: () => cmd(OPS.focus.code) },
  { name: 'SET_WEIGHTS', command: () => cmd(OPS.setWeights.code, [51, 51, 77, 26, 51]) },
  { name: 'OPEN', command: () => cmd(OPS.open.code, [128, 128, 128, 0, 128]) },
  { name: 'CLOSE (frees its items)', command: (w) => cmd(OPS.close.code, u16(w.at(-1)!)) },
  { name: 'STORE into an empty store', command: (w) => store(w[0]!, 1), empty: true },
  { name: 'STORE, full window (quota eviction)', command: (w) => store(w[0]!, 1) },
  { name: 'RECALL window, limit 1', command: (w) => recall(w[0]!, 1, 0) },
  { name: 'RECALL window, limit 15, salience order', command: (w) => recall(w[0]!, 15, 1) },
  { name: 'RECALL all windows, limit 15', command: () => recall(ALL_WINDOWS, 15, 0) },
  { name: 'RECALL all windows, nothing matches', command: () => recall(ALL_WINDOWS, 15, 0, 255) },
  { name: 'DECAY step 1, nothing evicted', command: () => cmd(OPS.decay.code, [1, 0]) },
  { name: 'DECAY evicting a full page (15)', command: () => cmd(OPS.decay.code, [0, 255]) },
  { name: 'error: unknown opcode', command: () => cmd(0x7f) },
  { name: 'error: window not found', command: () => store(0xfffe, 1) },
];

async function cyclesPerOp(sim: CoreSim, config: CoreConfig): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const fill = fillCommands(config);
  for (const c of OP_CASES) {
    await sim.reset();
    if (!c.empty) await sim.execMany(fill.commands);
    const [r] = await sim.execMany([c.command(fill.windows)]);
    out[c.name] = r!.cycles;
  }
  return out;
}

/** A random mix (bench/support/randomOps.ts), generated once against the model. */
function randomMix(config: CoreConfig, n: number, seed: number): Command[] {
  const model = new CoreModel(config);
  const ops = new RandomOps(seed, config);
  const out: Command[] = [];
  for (let i = 0; i < n; i++) {
    const c = ops.next();
    ops.observe(c, model.execute(c.op, c.payload));
    out.push(c);
  }
  return out;
}

function modelOpsPerSecond(config: CoreConfig, mix: readonly Command[]): number {
  const model = new CoreModel(config);
  const t0 = performance.now();
  for (const c of mix) model.execute(c.op, c.payload);
  return mix.length / ((performance.now() - t0) / 1000);
}

async function simRun(sim: CoreSim, commands: readonly Command[]): Promise<{ opsPerSecond: number; cyclesPerSecond: number; cycles: number }> {
  await sim.reset();
  const t0 = performance.now();
  const results = await sim.execMany(commands);
  const seconds = (performance.now() - t0) / 1000;
  const cycles = results.reduce((n, r) => n + r.cycles, 0);
  return { opsPerSecond: commands.length / seconds, cyclesPerSecond: cycles / seconds, cycles };
}

export const run: BenchSuite = async (options) => {
  const config = parseCoreConfig({});
  const n = options.quick ? 5_000 : 50_000;
  const sim = await CoreSim.start(config);
  try {
    const perOp = await cyclesPerOp(sim, config);
    const mix = randomMix(config, n, 1);
    // Recall-heavy: long scans, so the figure is the simulator's, not the pipe's.
    const fill = fillCommands(config).commands;
    const heavy = [...fill, ...Array.from({ length: options.quick ? 500 : 5_000 }, () => recall(ALL_WINDOWS, 15, 1))];
    const simMix = await simRun(sim, mix);
    const simHeavy = await simRun(sim, heavy);
    const model = modelOpsPerSecond(config, mix);
    const report: BenchReport = {
      suite: 'core',
      environment: environment(),
      method:
        `Default config (capacity ${config.capacity}, quota ${config.quota}, maxWindows ${config.maxWindows}). ` +
        'Cycles per op: the core alone in Verilator, from acceptance until cmd_ready rises again, in a store filled ' +
        `to capacity (${Math.ceil(config.capacity / config.quota)} windows × quota items, distinct saliences) unless noted. ` +
        `Speeds: ${n} random commands (bench/support/randomOps.ts), end to end through the bench's stdin/stdout, ` +
        'and a RECALL-heavy run (limit 15, salience order, full store) for the simulator\'s cycle rate.',
      results: {
        cyclesPerOp: perOp,
        verilator: {
          randomMix: { ops: n, ...simMix },
          recallHeavy: { ops: heavy.length, ...simHeavy },
        },
        model: { opsPerSecond: model },
      },
      ratios: { 'verilator ops/s over model ops/s (random mix)': simMix.opsPerSecond / model },
    };
    return report;
  } finally {
    await sim.close();
  }
};
