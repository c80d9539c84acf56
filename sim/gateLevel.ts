/**
 * The simulated board at gate level: janela_top synthesised for the board's iCE40 part
 * (Yosys synth_ice40, through hdl/build/gateLevel.ts), then the netlist plus Yosys's cell
 * models (cells_sim.v) built with the pty harness under Verilator and started like the
 * RTL simulator. A client opens `path` as it would a board's serial port.
 *
 * Two things differ from the RTL build, both because parameters and unused wires do not
 * survive synthesis:
 * - The bit period is baked into the netlist: the design is generated with the small
 *   simulation BIT_CYCLES before it is synthesised.
 * - The harness reads janela_top's sim_quiet and sim_receiving (sim/pty/model.h) to let
 *   simulated time stand still while the board waits for the host. Nothing in the design
 *   uses them, so synthesis would remove them; the copy of janela_top that goes into Yosys
 *   marks them (* keep *), and a Verilator config file makes them readable by name again.
 *   Keeping them keeps their driving logic: with the iCEBreaker config, 20 more SB_LUT4
 *   (2488 against 2468, under 1 %), every other cell count the same.
 *
 * Synthesis takes tens of seconds, so its netlist is cached (by the hash of the design
 * files, the part options and the Yosys package version) next to the Verilator builds;
 * the Verilator build itself is cached by everything that goes in, netlist included.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { boardConfig, getBoard, type Board } from '../constraints/boards.js';
import { GATE_LEVEL_VERILATOR_FLAGS, gateLevelNetlist } from '../hdl/build/gateLevel.js';
import { PACKAGE_VERSIONS, cellsSimPath } from '../hdl/build/tools.js';
import { checkBitCycles } from '../hdl/link/params.js';
import { TOP_MODULE, generateTop } from '../hdl/top.js';
import type { VerilogFile } from '../hdl/verilog.js';
import type { CoreConfig, CoreConfigInput } from '../spec/index.js';
import { DEFAULT_SIM_BIT_CYCLES, launchDesign, type Simulator, type SimulatorOptions } from './launcher.js';
import { cacheRoot } from './verilator.js';

/** The harness's status wires (sim/pty/model.h), which synthesis must keep. */
export const SIM_STATUS_WIRES = ['sim_quiet', 'sim_receiving'] as const;

/**
 * How the Verilated netlist is compiled. A flattened netlist becomes megabytes of
 * straight-line C++, and g++ -O2 on it dominated the build: the code that runs once
 * (Verilator's "slow" files: initialisation) gets -O0, the evaluation -O1. Measured on a
 * two-core machine: the build of the small config 50 s → 14 s, the simulation about 15-20 %
 * slower than at -O2.
 */
export const GATE_LEVEL_MAKE_FLAGS = ['-MAKEFLAGS', 'OPT_SLOW=-O0 OPT_FAST=-O1'] as const;

/** Bump when what goes into Yosys changes for the same design (the keep patch, the script). */
const NETLIST_CACHE_VERSION = 1;

export interface GateLevelDesignOptions {
  /** The board (or its name, see constraints/boards.ts): its part decides the mapping (SB_MAC16 on UltraPlus). */
  readonly board: Board | string;
  /** Overrides of the board's default config (boardConfig(board, config)). */
  readonly config?: CoreConfigInput;
  /** Clock cycles per UART bit, baked into the netlist (default 4, as the RTL simulator). */
  readonly bitCycles?: number;
  /** Reuse a cached netlist of the same design (default true). */
  readonly cache?: boolean;
  /** Progress lines (synthesis, build), for a CLI or a test log. */
  readonly onProgress?: (line: string) => void;
}

/** A synthesised janela_top, ready to build and start (launchGateLevel). */
export interface GateLevelDesign {
  readonly board: string;
  readonly config: CoreConfig;
  /** The UART bit period the netlist was synthesised with. */
  readonly bitCycles: number;
  /** Cells by type after synth_ice40 (SB_LUT4, SB_CARRY, SB_DFF*, SB_RAM40_4K, SB_MAC16 …). */
  readonly cells: Readonly<Record<string, number>>;
  /** The netlist that runs (write_verilog -noattr), top module janela_top. */
  readonly netlist: string;
  /** sha256 of the netlist (first 16 hex digits). */
  readonly netlistHash: string;
  /** True when the netlist came from the cache rather than a Yosys run. */
  readonly netlistCached: boolean;
  /** Wall time of synthesis (0 from the cache). */
  readonly synthMs: number;
}

export interface GateLevelInfo extends GateLevelDesign {
  /** Wall time of the Verilator build (short when cached) plus the start. */
  readonly launchMs: number;
}

export interface GateLevelSimulator extends Simulator {
  readonly gateLevel: GateLevelInfo;
}

/** Options of the simulation itself: faults, seed, trace (as startSimulator's). */
export type GateLevelRunOptions = Omit<SimulatorOptions, 'config' | 'bitCycles'> & {
  readonly onProgress?: (line: string) => void;
};

export type GateLevelSimulatorOptions = GateLevelDesignOptions & GateLevelRunOptions;

/**
 * The design as it goes into Yosys: janela_top's status wires marked (* keep *). Throws if
 * hdl/top.ts no longer declares them as this expects.
 */
export function keepSimStatusWires(files: readonly VerilogFile[]): VerilogFile[] {
  const topName = `${TOP_MODULE}.v`;
  if (!files.some((f) => f.name === topName)) throw new Error(`gate level: the design has no ${topName}`);
  return files.map((f) => {
    if (f.name !== topName) return f;
    let text = f.text;
    for (const wire of SIM_STATUS_WIRES) {
      const declaration = new RegExp(`^(\\s*)wire(\\s+${wire}\\b)`, 'm');
      if (!declaration.test(text)) throw new Error(`gate level: ${topName} no longer declares 'wire ${wire}'`);
      text = text.replace(declaration, '$1(* keep *) wire$2');
    }
    return { name: f.name, text };
  });
}

/** Verilator config: the kept status wires readable from C++ under their RTL names. */
export function statusWiresConfig(): VerilogFile {
  return {
    name: 'janela_gatelevel.vlt',
    text: ['`verilator_config', ...SIM_STATUS_WIRES.map((w) => `public_flat_rd -module "${TOP_MODULE}" -var "${w}"`), ''].join('\n'),
  };
}

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

interface CachedNetlist {
  readonly netlist: string;
  readonly cells: Record<string, number>;
}

async function readCached(dir: string): Promise<CachedNetlist | undefined> {
  if (!existsSync(join(dir, 'cells.json'))) return undefined;
  try {
    const [netlist, cells] = await Promise.all([readFile(join(dir, 'netlist.v'), 'utf8'), readFile(join(dir, 'cells.json'), 'utf8')]);
    return { netlist, cells: JSON.parse(cells) as Record<string, number> };
  } catch {
    return undefined;
  }
}

async function writeCached(dir: string, entry: CachedNetlist): Promise<void> {
  // Write privately and rename, so a concurrent reader never sees half an entry.
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(tmp, { recursive: true });
  await writeFile(join(tmp, 'netlist.v'), entry.netlist);
  await writeFile(join(tmp, 'cells.json'), JSON.stringify(entry.cells));
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir).catch(() => rm(tmp, { recursive: true, force: true }));
}

/** janela_top synthesised (or found in the cache) for a part, with the status wires kept. */
async function synthesiseTop(
  design: readonly VerilogFile[],
  dsp: boolean,
  cache: boolean,
): Promise<CachedNetlist & { cached: boolean; ms: number }> {
  const input = keepSimStatusWires(design);
  const key = sha(
    JSON.stringify({
      v: NETLIST_CACHE_VERSION,
      yosys: PACKAGE_VERSIONS['@yowasp/yosys'],
      dsp,
      files: input.map((f) => [f.name, sha(f.text)]),
    }),
  ).slice(0, 20);
  const dir = join(cacheRoot(), 'gatelevel', key);
  if (cache) {
    const hit = await readCached(dir);
    if (hit) return { ...hit, cached: true, ms: 0 };
  }
  const t0 = Date.now();
  const g = await gateLevelNetlist(input, { dsp });
  const ms = Date.now() - t0;
  const missing = SIM_STATUS_WIRES.filter((w) => !new RegExp(`^\\s*wire ${w};`, 'm').test(g.netlist.text));
  if (missing.length) throw new Error(`gate level: synthesis dropped ${missing.join(', ')} despite (* keep *)`);
  const entry = { netlist: g.netlist.text, cells: { ...g.cells } };
  if (cache) await writeCached(dir, entry);
  return { ...entry, cached: false, ms };
}

/**
 * Synthesises the board's design (its default config with `config` applied, BIT_CYCLES =
 * bitCycles) for the board's part, or finds the netlist in the cache.
 */
export async function synthesizeGateLevel(options: GateLevelDesignOptions): Promise<GateLevelDesign> {
  const board = typeof options.board === 'string' ? getBoard(options.board) : options.board;
  const config: CoreConfig = boardConfig(board, options.config ?? {});
  const bitCycles = checkBitCycles(options.bitCycles ?? DEFAULT_SIM_BIT_CYCLES);
  const say = options.onProgress ?? (() => {});
  // The board's flow maps multipliers to SB_MAC16 where the part has them (hdl/build/flow.ts).
  const dsp = board.resources.dsp > 0;
  say(`gate level ${board.name}: synthesis (synth_ice40${dsp ? ' -dsp' : ''}, BIT_CYCLES ${bitCycles})…`);
  const synth = await synthesiseTop(generateTop(config, { bitCycles }), dsp, options.cache ?? true);
  const netlistHash = sha(synth.netlist).slice(0, 16);
  say(`gate level ${board.name}: netlist ${netlistHash} ${synth.cached ? 'from the cache' : `in ${(synth.ms / 1000).toFixed(1)} s`}`);
  return {
    board: board.name,
    config,
    bitCycles,
    cells: synth.cells,
    netlist: synth.netlist,
    netlistHash,
    netlistCached: synth.cached,
    synthMs: synth.ms,
  };
}

/** Builds a synthesised design with cells_sim.v and the pty harness (cached), and starts it. */
export async function launchGateLevel(design: GateLevelDesign, options: GateLevelRunOptions = {}): Promise<GateLevelSimulator> {
  const { onProgress, ...simOptions } = options;
  const say = onProgress ?? (() => {});
  say(`gate level ${design.board}: Verilator build (netlist ${design.netlistHash} + cells_sim.v)…`);
  const t0 = Date.now();
  const files: VerilogFile[] = [
    statusWiresConfig(),
    { name: `${TOP_MODULE}_netlist.v`, text: design.netlist },
    { name: 'cells_sim.v', text: await readFile(cellsSimPath(), 'utf8') },
  ];
  const sim = await launchDesign(files, design.config, {
    ...simOptions,
    bitCycles: design.bitCycles,
    name: 'janela-gatelevel',
    verilatorFlags: [...GATE_LEVEL_VERILATOR_FLAGS, ...GATE_LEVEL_MAKE_FLAGS],
  });
  const launchMs = Date.now() - t0;
  say(`gate level ${design.board}: running on ${sim.path} (build and start ${(launchMs / 1000).toFixed(1)} s)`);
  return { ...sim, gateLevel: { ...design, launchMs } };
}

/** synthesizeGateLevel, then launchGateLevel: resolves like startSimulator, plus what was synthesised. */
export async function startGateLevelSimulator(options: GateLevelSimulatorOptions): Promise<GateLevelSimulator> {
  const { board, config, bitCycles, cache, ...run } = options;
  const design = await synthesizeGateLevel({
    board,
    ...(config !== undefined && { config }),
    ...(bitCycles !== undefined && { bitCycles }),
    ...(cache !== undefined && { cache }),
    ...(run.onProgress && { onProgress: run.onProgress }),
  });
  return launchGateLevel(design, run);
}
