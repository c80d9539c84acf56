/**
 * The build flow with the real tools (Yosys, nextpnr-ice40, icepack) on a small design:
 * a UART echo through block RAM, for the iCEstick and the iCEBreaker. Also the failure
 * paths: a timing target nothing can meet, a design with more block RAM than the device.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Board, UnknownBoardError, boardConfig, getBoard } from '../constraints/boards.js';
import { ConfigFileError, makeBuildCommand } from '../host/cli/commands/build.js';
import { FitError } from '../hdl/build/errors.js';
import { type BuildResult, buildBoard } from '../hdl/build/flow.js';
import { boardPins } from '../hdl/build/pcf.js';
import { clockTimings, criticalPath, parseNextpnrReport } from '../hdl/build/report.js';
import { configHash } from '../spec/buildId.js';
import { ConfigError } from '../spec/params.js';
import { bramHogDesign, echoDesign } from './support/buildDesign.js';

/** 12 MHz / 115200 baud. */
const design = echoDesign({ bitCycles: 104 });
let work: string;
const savedCache = process.env.JANELA_CACHE;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'janela-build-'));
  // A private cache, so the first build of each board really runs the tools.
  process.env.JANELA_CACHE = join(work, 'cache');
});
afterAll(async () => {
  if (savedCache === undefined) delete process.env.JANELA_CACHE;
  else process.env.JANELA_CACHE = savedCache;
  await rm(work, { recursive: true, force: true });
});

async function build(board: Board, extra: { outDir?: string } = {}): Promise<BuildResult> {
  return buildBoard({ board, design, config: boardConfig(board), outDir: extra.outDir ?? join(work, board.name) });
}

describe.each(['icestick', 'icebreaker'])('a real build for %s', (name) => {
  const board = getBoard(name);
  let result: BuildResult;
  beforeAll(async () => {
    result = await build(board);
  }, 240_000);

  it('writes the bitstream, the netlist and the report', async () => {
    expect((await stat(result.bitstreamPath)).size).toBeGreaterThan(30_000);
    expect(await readFile(result.netlistPath, 'utf8')).toMatch(/module janela_board/);
    expect(JSON.parse(await readFile(result.reportPath, 'utf8'))).toEqual(result.report);
    expect(result.cached).toBe(false);
  });

  it('reports usage and availability from nextpnr, matching the board table', async () => {
    const r = result.report;
    expect(r.board).toBe(board.name);
    expect(r.device).toBe(`${board.device}-${board.package.toUpperCase()}`);
    expect(r.resources.lcs.available).toBe(board.resources.lcs);
    expect(r.resources.brams.available).toBe(board.resources.ebr);
    expect(r.resources.dsps.available).toBe(board.resources.dsp);
    expect(r.resources.ios.available).toBe(board.resources.ios);
    // One block RAM for the FIFO, one I/O per pcf port (RGB pins use the driver, not SB_IO).
    expect(r.resources.brams.used).toBe(r.cells.SB_RAM40_4K);
    expect(r.resources.ios.used).toBe([...boardPins(board).keys()].length - board.leds.filter((l) => l.drive === 'rgb').length);
    expect(r.resources.lcs.used).toBeGreaterThanOrEqual(r.cells.SB_LUT4 ?? 0);
    expect(r.resources.lcs.used).toBeLessThan(r.resources.lcs.available);
    expect(r.configHash).toBe(configHash(boardConfig(board)));
    expect(r.tools.yosys).toMatch(/^Yosys \d/);
    expect(r.tools.nextpnr).toMatch(/nextpnr/);
  });

  it('summarises nextpnr\'s own report: fmax against the target, and the critical path', async () => {
    const raw = parseNextpnrReport(await readFile(result.nextpnrReportPath, 'utf8'));
    const r = result.report;
    expect(r.resources.lcs.used).toBe(raw.utilization.ICESTORM_LC!.used);
    expect(r.clocks).toEqual(clockTimings(raw));
    expect(r.fmaxMHz.target).toBe(board.clock.hz / 1e6);
    expect(r.fmaxMHz.achieved).toBeGreaterThan(r.fmaxMHz.target);
    expect(r.timingMet).toBe(true);
    const cp = r.criticalPath!;
    expect(cp).toEqual(criticalPath(raw));
    // The critical path is what limits the clock: its delay is the period at fmax.
    expect(cp.delayNs).toBeCloseTo(1000 / r.fmaxMHz.achieved, 0);
    expect(cp.logicNs + cp.routingNs).toBeCloseTo(cp.delayNs, 2);
    expect(cp.logicLevels).toBeGreaterThan(0);
  });
});

describe('build cache', () => {
  it('returns an unchanged build from the cache with the same figures', async () => {
    const board = getBoard('icestick');
    const again = await build(board, { outDir: join(work, 'again') });
    expect(again.cached).toBe(true);
    expect(again.report).toEqual(JSON.parse(await readFile(join(work, 'icestick', 'report.json'), 'utf8')));
    expect(existsSync(again.bitstreamPath)).toBe(true);
  });
});

describe('failures', () => {
  const capture = () => {
    const out: string[] = [];
    const errors: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((s: unknown) => void out.push(String(s)));
    const err = vi.spyOn(console, 'error').mockImplementation((s: unknown) => void errors.push(String(s)));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    return {
      out,
      errors,
      restore: () => {
        log.mockRestore();
        err.mockRestore();
        stderr.mockRestore();
      },
    };
  };
  const cli = makeBuildCommand({ generate: () => design });

  it('an unmeetable --freq fails the build: exit 1, timingMet false in report.json, no bitstream', async () => {
    const outDir = join(work, 'too-fast');
    const c = capture();
    let code: number;
    try {
      code = await cli.run(['--board', 'icestick', '--freq', '900', '--json', '--out', outDir]);
    } finally {
      c.restore();
    }
    expect(code).toBe(1);
    expect(c.errors.join('\n')).toMatch(/TimingError: timing not met on icestick: .* MHz < 900 MHz/);
    const printed = JSON.parse(c.out.join('\n'));
    expect(printed.timingMet).toBe(false);
    expect(printed.fmaxMHz.target).toBe(900);
    expect(printed.fmaxMHz.achieved).toBeLessThan(900);
    expect(JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8')).timingMet).toBe(false);
    expect(existsSync(join(outDir, 'janela.bin'))).toBe(false);

    // --keep-failed keeps the bitstream but the build still fails (and comes from the cache).
    const c2 = capture();
    try {
      expect(await cli.run(['--board', 'icestick', '--freq', '900', '--out', outDir, '--keep-failed'])).toBe(1);
    } finally {
      c2.restore();
    }
    expect(existsSync(join(outDir, 'janela.bin'))).toBe(true);
  }, 240_000);

  it('a design with more block RAM than the device fails after synthesis, naming the block RAM', async () => {
    const board = getBoard('icestick');
    // Leftovers of an earlier build must not survive as if they were this build's result.
    await mkdir(join(work, 'hog'), { recursive: true });
    await writeFile(join(work, 'hog', 'janela.bin'), 'old');
    await writeFile(join(work, 'hog', 'report.json'), '{}');
    const err = await buildBoard({
      board,
      design: bramHogDesign(board.resources.ebr + 1),
      config: boardConfig(board),
      outDir: join(work, 'hog'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FitError);
    expect((err as FitError).resource).toBe('EBR');
    expect((err as FitError).stage).toBe('synthesis');
    expect((err as FitError).needed).toBe(board.resources.ebr + 1);
    expect(existsSync(join(work, 'hog', 'janela.bin'))).toBe(false);
    expect(existsSync(join(work, 'hog', 'report.json'))).toBe(false);
  }, 240_000);

  it('an oversized capacity fails the fit check before any tool runs', async () => {
    const err = await cli.run(['--board', 'icestick', '--config', await configFile({ capacity: 4096, quota: 16 }), '--out', join(work, 'big')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FitError);
    expect((err as FitError).stage).toBe('config');
  });

  it('refuses an unknown board, a bad config and an unreadable config file with typed errors', async () => {
    await expect(cli.run(['--board', 'nope'])).rejects.toBeInstanceOf(UnknownBoardError);
    await expect(cli.run(['--board', 'icestick', '--config', await configFile({ capacity: -1 })])).rejects.toBeInstanceOf(ConfigError);
    await expect(cli.run(['--board', 'icestick', '--config', join(work, 'missing.json')])).rejects.toBeInstanceOf(ConfigFileError);
    await expect(cli.run(['--board', 'icestick', '--config', await configFile('[1,2]')])).rejects.toBeInstanceOf(ConfigFileError);
    await expect(cli.run(['--board', 'icestick', '--freq', 'fast'])).rejects.toThrow(/--freq/);
    await expect(cli.run([])).rejects.toThrow(/--board is required/);
  });
});

let configs = 0;
async function configFile(value: unknown): Promise<string> {
  const path = join(work, `config-${configs++}.json`);
  await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}
