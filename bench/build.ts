/**
 * iCE40 build figures per board: the real design (generateTop with the board's default
 * config) through Yosys and nextpnr — logic cells, block RAM, DSPs, fmax against the board
 * clock, the critical path and the build time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOARDS, type Board, boardConfig } from '../constraints/boards.js';
import { FitError, TimingError } from '../hdl/build/errors.js';
import { buildBoard } from '../hdl/build/flow.js';
import type { BuildReport } from '../hdl/build/report.js';
import { generateTop } from '../hdl/top.js';
import { configHash } from '../spec/buildId.js';
import { type BenchReport, type BenchSuite, environment } from './types.js';

interface BoardFigures {
  readonly board: string;
  readonly device: string;
  readonly configHash: string;
  readonly config: { readonly maxWindows: number; readonly capacity: number; readonly quota: number };
  readonly fits: boolean;
  /** Why it does not fit, when it does not. */
  readonly fitError?: { readonly resource: string; readonly needed: number | null; readonly available: number; readonly stage: string };
  readonly lcs?: BuildReport['resources']['lcs'];
  readonly brams?: BuildReport['resources']['brams'];
  readonly dsps?: BuildReport['resources']['dsps'];
  readonly fmaxMHz?: BuildReport['fmaxMHz'];
  readonly timingMet?: boolean;
  readonly criticalPath?: BuildReport['criticalPath'];
  /** Tool time of the build that produced the figures, and this run's wall time. */
  readonly buildTimeMs?: BuildReport['buildTimeMs'];
  readonly wallMs: number;
  readonly cached?: boolean;
}

function figures(report: BuildReport, wallMs: number, cached: boolean): Omit<BoardFigures, 'config'> {
  return {
    board: report.board,
    device: report.device,
    configHash: report.configHash,
    fits: true,
    lcs: report.resources.lcs,
    brams: report.resources.brams,
    dsps: report.resources.dsps,
    fmaxMHz: report.fmaxMHz,
    timingMet: report.timingMet,
    criticalPath: report.criticalPath,
    buildTimeMs: report.buildTimeMs,
    wallMs,
    cached,
  };
}

/** Builds one board's default design; a fit or timing failure is a result, not an error. */
async function measure(board: Board, outDir: string, useCache: boolean): Promise<BoardFigures> {
  const config = boardConfig(board);
  const summary = { maxWindows: config.maxWindows, capacity: config.capacity, quota: config.quota };
  const t0 = Date.now();
  process.stderr.write(`bench build: ${board.name}…\n`);
  try {
    // Quick runs may reuse a cached build (same figures); full runs time the tools.
    const r = await buildBoard({ board, design: generateTop(config), config, outDir, cache: useCache });
    return { ...figures(r.report, Date.now() - t0, r.cached), config: summary };
  } catch (err) {
    if (err instanceof TimingError) return { ...figures(err.report, Date.now() - t0, false), config: summary };
    if (!(err instanceof FitError)) throw err;
    return {
      board: board.name,
      device: `${board.device}-${board.package.toUpperCase()}`,
      configHash: configHash(config),
      config: summary,
      fits: false,
      fitError: { resource: err.resource, needed: err.needed, available: err.available, stage: err.stage },
      wallMs: Date.now() - t0,
    };
  }
}

export const run: BenchSuite = async (options) => {
  const out = await mkdtemp(join(tmpdir(), 'janela-bench-build-'));
  const results: BoardFigures[] = [];
  try {
    for (const board of BOARDS) results.push(await measure(board, join(out, board.name), options.quick === true));
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  const report: BenchReport = {
    suite: 'build',
    environment: environment(),
    method:
      'generateTop(board default config) through @yowasp/yosys synth_ice40 and @yowasp/nextpnr-ice40 (seed 1, --freq = board clock); ' +
      "figures from nextpnr --report; build time is the tools' wall time on this machine.",
    results,
    goals: results.flatMap((r) => [
      {
        goal: `${r.board}: the default config fits`,
        met: r.fits,
        value: r.fits ? `${r.lcs!.used}/${r.lcs!.available} LCs` : `${r.fitError!.resource} ${r.fitError!.needed ?? '>'}/${r.fitError!.available}`,
      },
      ...(r.fits
        ? [{ goal: `${r.board}: timing met at the board clock`, met: r.timingMet === true, value: `${r.fmaxMHz!.achieved.toFixed(2)} MHz vs ${r.fmaxMHz!.target} MHz` }]
        : []),
    ]),
  };
  return report;
};
