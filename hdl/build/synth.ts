/** Synthesis with Yosys: Verilog files in, iCE40 netlist (JSON for nextpnr, Verilog for simulation) out. */
import type { VerilogFile } from '../verilog.js';
import { ToolError } from './errors.js';
import { type RunOptions, yosys } from './tools.js';

export interface SynthOptions {
  readonly top: string;
  /** Map multipliers to SB_MAC16 (UltraPlus parts have them; HX parts do not). */
  readonly dsp?: boolean;
  readonly onLine?: RunOptions['onLine'];
}

export interface SynthResult {
  /** nextpnr's input. */
  readonly json: string;
  /** The mapped netlist as Verilog (`write_verilog -noattr`), for gate-level simulation. */
  readonly netlist: string;
  /** Cells by type after mapping, e.g. { SB_LUT4: 812, SB_DFFE: 301, SB_RAM40_4K: 11 }. */
  readonly cells: Readonly<Record<string, number>>;
  readonly yosysVersion: string;
  readonly log: string;
}

/** Names a design file may have inside Yosys's virtual filesystem. */
function checkNames(design: readonly VerilogFile[]): void {
  const seen = new Set<string>();
  for (const f of design) {
    if (!/^[A-Za-z0-9_.-]+$/.test(f.name) || seen.has(f.name)) {
      throw new ToolError('yosys', `bad or repeated design file name '${f.name}'`, '');
    }
    seen.add(f.name);
  }
}

export async function synthesize(design: readonly VerilogFile[], opts: SynthOptions): Promise<SynthResult> {
  checkNames(design);
  const script = [
    ...design.map((f) => `read_verilog ${f.name}`),
    `synth_ice40 -top ${opts.top}${opts.dsp ? ' -dsp' : ''} -json out.json`,
    'tee -q -o stat.json stat -json',
    'write_verilog -noattr netlist.v',
  ].join('; ');
  const files = Object.fromEntries(design.map((f) => [f.name, f.text]));
  const run = await yosys(['-p', script], files, opts.onLine ? { onLine: opts.onLine } : {});
  const json = run.files['out.json'];
  const netlist = run.files['netlist.v'];
  const stat = run.files['stat.json'];
  if (typeof json !== 'string' || typeof netlist !== 'string' || typeof stat !== 'string') {
    throw new ToolError('yosys', 'finished without writing its outputs', run.log);
  }
  const parsed = JSON.parse(stat) as {
    creator?: string;
    design?: { num_cells_by_type?: Record<string, number> };
  };
  return {
    json,
    netlist,
    // `$scopeinfo` and friends record hierarchy, not hardware.
    cells: Object.fromEntries(Object.entries(parsed.design?.num_cells_by_type ?? {}).filter(([t]) => !t.startsWith('$'))),
    yosysVersion: parsed.creator ?? 'unknown',
    log: run.log,
  };
}

/** Yosys prints numbered passes; the top two levels make a readable progress trail. */
export function yosysPhase(line: string): string | undefined {
  const m = /^(\d+(?:\.\d+)?)\. (Executing .*|Printing statistics\.)$/.exec(line.trim());
  return m ? `${m[1]} ${m[2]}` : undefined;
}
