/**
 * The iCE40 build: design files + board → build/<board>/janela.bin and report.json.
 *
 *   pcf check → config fit check → Yosys (synth_ice40, -top janela_board) → cell fit check
 *   → nextpnr-ice40 (--freq, --report) → icepack → report, cache
 *
 * The design comes in as files (janela_top and what it instantiates), so the flow does
 * not care who generated them.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Board } from '../../constraints/boards.js';
import { GENERATOR_VERSION, configHash } from '../../spec/buildId.js';
import { ConfigError, type CoreConfig } from '../../spec/params.js';
import type { VerilogFile } from '../verilog.js';
import { type Artifacts, cacheGet, cacheKey, cachePut } from './cache.js';
import { TimingError } from './errors.js';
import { checkCellsFit, checkConfigFits } from './fit.js';
import { loadPcf } from './pcf.js';
import { nextpnrPhase, pack, placeAndRoute } from './pnr.js';
import { type BuildReport, buildReport } from './report.js';
import { SHELL_TOP, boardShell } from './shell.js';
import { synthesize, yosysPhase } from './synth.js';
import { PACKAGE_VERSIONS, toolVersions } from './tools.js';

export interface BuildOptions {
  readonly board: Board;
  /** Verilog defining janela_top (ports clk, uart_rx, uart_tx, led[4:0]) and its submodules. */
  readonly design: readonly VerilogFile[];
  /** The config the design was generated from: keys the cache, feeds the fit check and the report. */
  readonly config: CoreConfig;
  /** Default: build/<board> under the working directory. */
  readonly outDir?: string;
  /** Timing target; default the board clock. */
  readonly freqMHz?: number;
  readonly seed?: number;
  /** Default true; false always runs the tools (and still stores the result for later builds). */
  readonly cache?: boolean;
  /** Keep the bitstream of a build that misses timing (the build still fails). */
  readonly keepFailedBitstream?: boolean;
  /** Progress lines for a human (the CLI prints them on stderr). */
  readonly onProgress?: (message: string) => void;
}

export interface BuildResult {
  readonly report: BuildReport;
  readonly bitstreamPath: string;
  readonly reportPath: string;
  /** nextpnr's own --report output, which report.json summarises. */
  readonly nextpnrReportPath: string;
  readonly netlistPath: string;
  readonly outDir: string;
  /** True when the artifacts came from the cache. */
  readonly cached: boolean;
}

export function defaultOutDir(board: Pick<Board, 'name'>): string {
  return resolve('build', board.name);
}

/** Turns a tool's log lines into throttled progress messages (at most one per second). */
function phaseReporter(prefix: string, pick: (l: string) => string | undefined, onProgress?: (m: string) => void) {
  if (!onProgress) return undefined;
  let last = 0;
  return (line: string) => {
    const phase = pick(line);
    const now = Date.now();
    // Timing verdicts are always shown; other phases at most once a second.
    if (phase && (now - last >= 1000 || phase.startsWith('Max frequency'))) {
      last = now;
      onProgress(`${prefix}: ${phase}`);
    }
  };
}

export async function buildBoard(opts: BuildOptions): Promise<BuildResult> {
  const { board, config } = opts;
  const say = opts.onProgress ?? (() => {});
  const t0 = Date.now();
  const outDir = opts.outDir ?? defaultOutDir(board);
  const paths = {
    bitstream: join(outDir, 'janela.bin'),
    report: join(outDir, 'report.json'),
    nextpnrReport: join(outDir, 'nextpnr-report.json'),
    netlist: join(outDir, 'netlist.v'),
    log: join(outDir, 'build.log'),
  };
  // A failed build must not leave an older bitstream or report that looks like its result.
  await mkdir(outDir, { recursive: true });
  await Promise.all(Object.values(paths).map((p) => rm(p, { force: true })));

  const pcf = await loadPcf(board);
  if (config.clockHz !== board.clock.hz) {
    throw new ConfigError([
      { path: 'clockHz', message: `${config.clockHz} Hz, but ${board.name}'s clock is ${board.clock.hz} Hz (the UART divider would be wrong)` },
    ]);
  }
  checkConfigFits(board, config);

  const freqMHz = opts.freqMHz ?? board.clock.hz / 1e6;
  const files = [...opts.design, boardShell(board)];
  const hash = configHash(config);
  const key = cacheKey({
    board,
    pcf,
    files,
    configHash: hash,
    generator: GENERATOR_VERSION,
    tools: PACKAGE_VERSIONS,
    freqMHz,
    seed: opts.seed ?? 1,
  });

  let artifacts = opts.cache === false ? undefined : await cacheGet(board.name, key);
  const cached = artifacts !== undefined;
  if (artifacts) {
    say(`${board.name}: unchanged since the last build (cache ${key}), reusing it`);
  } else {
    say(`${board.name}: synthesis (yosys, ${files.length} files)…`);
    const tSynth = Date.now();
    const synth = await synthesize(files, {
      top: SHELL_TOP,
      dsp: board.resources.dsp > 0,
      onLine: phaseReporter('yosys', yosysPhase, opts.onProgress),
    });
    const synthMs = Date.now() - tSynth;
    checkCellsFit(board, synth.cells);

    say(`${board.name}: place and route (nextpnr-ice40, target ${freqMHz} MHz)…`);
    const tPnr = Date.now();
    const pnr = await placeAndRoute({
      board,
      json: synth.json,
      pcf,
      freqMHz,
      seed: opts.seed ?? 1,
      onLine: phaseReporter('nextpnr', nextpnrPhase, opts.onProgress),
    });
    const pnrMs = Date.now() - tPnr;

    say(`${board.name}: packing the bitstream (icepack)…`);
    const tPack = Date.now();
    const bin = await pack(pnr.asc);
    const packMs = Date.now() - tPack;

    const versions = await toolVersions();
    const report = buildReport(pnr.report, {
      board,
      configHash: hash,
      config,
      tools: { yosys: synth.yosysVersion, nextpnr: versions.nextpnr, packages: versions.packages },
      generatorVersion: GENERATOR_VERSION,
      buildTimeMs: { synth: synthMs, pnr: pnrMs, pack: packMs, total: Date.now() - t0 },
      cells: synth.cells,
    });
    artifacts = {
      'janela.bin': bin,
      'report.json': `${JSON.stringify(report, null, 2)}\n`,
      'nextpnr-report.json': pnr.reportText,
      'netlist.v': synth.netlist,
      'build.log': `${synth.log}\n${pnr.log}`,
    } satisfies Artifacts;
    await cachePut(board.name, key, artifacts);
  }

  const report = JSON.parse(artifacts['report.json'] as string) as BuildReport;
  await writeFile(paths.report, artifacts['report.json']);
  await writeFile(paths.nextpnrReport, artifacts['nextpnr-report.json']);
  await writeFile(paths.netlist, artifacts['netlist.v']);
  await writeFile(paths.log, artifacts['build.log']);
  if (report.timingMet || opts.keepFailedBitstream) await writeFile(paths.bitstream, artifacts['janela.bin']);
  if (!report.timingMet) throw new TimingError(report);

  say(
    `${board.name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${report.resources.lcs.used}/${report.resources.lcs.available} LCs, ` +
      `${report.resources.brams.used}/${report.resources.brams.available} BRAMs, fmax ${report.fmaxMHz.achieved.toFixed(1)} MHz (target ${report.fmaxMHz.target})`,
  );
  return {
    report,
    bitstreamPath: paths.bitstream,
    reportPath: paths.report,
    nextpnrReportPath: paths.nextpnrReport,
    netlistPath: paths.netlist,
    outDir,
    cached,
  };
}
