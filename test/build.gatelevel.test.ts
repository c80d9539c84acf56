/**
 * Gate-level support: the synthesised netlist plus Yosys's cells_sim.v builds in
 * Verilator with the documented flags, and the netlist behaves like the RTL (a UART echo
 * through block RAM sends back what it receives).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATE_LEVEL_VERILATOR_FLAGS, type GateLevelNetlist, gateLevelNetlist } from '../hdl/build/gateLevel.js';
import { buildVerilated } from '../sim/verilator.js';
import { echoDesign } from './support/buildDesign.js';

const run = promisify(execFile);
const harness = fileURLToPath(new URL('./support/build_echo_tb.cpp', import.meta.url));
const BIT = 8;

describe('gate-level netlist', () => {
  const rtl = echoDesign({ bitCycles: BIT });
  let g: GateLevelNetlist;
  beforeAll(async () => {
    g = await gateLevelNetlist(rtl);
  });

  it('returns the mapped netlist of janela_top and the path of cells_sim.v', async () => {
    expect(g.top).toBe('janela_top');
    expect(g.netlist.text).toMatch(/module janela_top\s*\(/);
    // Mapped to iCE40 cells: the FIFO became block RAM, the logic LUTs, no behavioural memory left.
    expect(g.cells.SB_RAM40_4K).toBe(1);
    expect(g.cells.SB_LUT4).toBeGreaterThan(0);
    expect(g.netlist.text).toContain('SB_RAM40_4K');
    expect(g.netlist.text).not.toMatch(/\breg\s*\[7:0\]\s*fifo\b/);
    expect(existsSync(g.cellsSim)).toBe(true);
    expect(await readFile(g.cellsSim, 'utf8')).toContain('module SB_RAM40_4K');
    expect(g.verilatorFlags).toEqual(GATE_LEVEL_VERILATOR_FLAGS);
  });

  it('simulates in Verilator with cells_sim.v and echoes bytes like the RTL', async () => {
    const bytes = [0x00, 0x55, 0xa5, 0xff, 0x3c];
    const build = async (name: string, sources: Record<string, string>, flags: readonly string[]) => {
      const model = await buildVerilated({ name, sources, top: 'janela_top', harness: [harness], flags: [...flags] });
      const { stdout } = await run(model.executable, [String(BIT), ...bytes.map(String)]);
      return stdout.trim().split(/\s+/).map(Number);
    };
    const [fromRtl, fromGates] = await Promise.all([
      build('echo-rtl', Object.fromEntries(rtl.map((f) => [f.name, f.text])), []),
      build(
        'echo-gates',
        { [g.netlist.name]: g.netlist.text, 'cells_sim.v': await readFile(g.cellsSim, 'utf8') },
        g.verilatorFlags,
      ),
    ]);
    expect(fromRtl).toEqual(bytes);
    expect(fromGates).toEqual(fromRtl);
  });

  it('needs NO_ICE40_DEFAULT_ASSIGNMENTS: without it Verilator cannot parse cells_sim.v', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'janela-gl-'));
    const netlist = join(dir, g.netlist.name);
    await writeFile(netlist, g.netlist.text);
    const lint = (flags: readonly string[]) =>
      run('verilator', ['--lint-only', ...flags, '--top-module', g.top, netlist, g.cellsSim]).then(
        () => '',
        (e: { stderr?: string }) => e.stderr ?? 'failed',
      );
    const without = await lint(g.verilatorFlags.filter((f) => f !== '-DNO_ICE40_DEFAULT_ASSIGNMENTS'));
    try {
      expect(without).toMatch(/syntax error/);
      expect(await lint(g.verilatorFlags)).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
