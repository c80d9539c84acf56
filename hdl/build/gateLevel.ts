/**
 * Gate-level support: the design after synth_ice40, as Verilog over iCE40 cells, plus
 * Yosys's simulation models of those cells, so that a differential test can run the
 * synthesised netlist in Verilator against the RTL.
 */
import type { VerilogFile } from '../verilog.js';
import { CORE_TOP } from './shell.js';
import { synthesize } from './synth.js';
import { cellsSimPath } from './tools.js';

/**
 * Verilator flags the netlist + cells_sim.v need (checked with Verilator 5.006):
 * - -DNO_ICE40_DEFAULT_ASSIGNMENTS: cells_sim.v gives input ports default values
 *   (`input RE = 1'b0`), which Verilator does not parse; the macro drops them, and the
 *   netlist connects every port it uses anyway. Without it: syntax errors.
 * - --timescale 1ps/1ps: cells_sim.v has a `timescale, the netlist none (TIMESCALEMOD).
 * - -Wno-UNOPTFLAT: the SB_RAM40_4K models split buses through combinational logic,
 *   which Verilator reports as a loop and settles by iterating (the real core's store).
 * - -Wno-lint, -Wno-style: the models and the netlist leave bits unused by design, which
 *   only matters when a caller adds -Wall.
 */
export const GATE_LEVEL_VERILATOR_FLAGS = [
  '-DNO_ICE40_DEFAULT_ASSIGNMENTS',
  '--timescale',
  '1ps/1ps',
  '-Wno-UNOPTFLAT',
  '-Wno-lint',
  '-Wno-style',
] as const;

export interface GateLevelNetlist {
  /** The synthesised netlist (`write_verilog -noattr`); its top module is `top`. */
  readonly netlist: VerilogFile;
  readonly top: string;
  /** Absolute path of Yosys's iCE40 cell models (cells_sim.v). */
  readonly cellsSim: string;
  readonly verilatorFlags: readonly string[];
  /** Cells by type, e.g. to assert that memories became SB_RAM40_4K. */
  readonly cells: Readonly<Record<string, number>>;
}

/**
 * Synthesises `design` for the iCE40 (top janela_top unless told otherwise). `dsp` maps
 * multipliers to SB_MAC16 as the UltraPlus builds do; the default (LUTs) matches the HX builds.
 */
export async function gateLevelNetlist(
  design: readonly VerilogFile[],
  opts: { top?: string; dsp?: boolean } = {},
): Promise<GateLevelNetlist> {
  const top = opts.top ?? CORE_TOP;
  const synth = await synthesize(design, { top, dsp: opts.dsp ?? false });
  return {
    netlist: { name: `${top}_netlist.v`, text: synth.netlist },
    top,
    cellsSim: cellsSimPath(),
    verilatorFlags: GATE_LEVEL_VERILATOR_FLAGS,
    cells: synth.cells,
  };
}
