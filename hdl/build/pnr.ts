/** Place and route with nextpnr-ice40, then icepack: JSON netlist + pcf in, bitstream + report out. */
import { DEVICES, type Board } from '../../constraints/boards.js';
import { ToolError } from './errors.js';
import { placementFitError } from './fit.js';
import { type NextpnrReport, parseNextpnrReport } from './report.js';
import { type RunOptions, icepack, nextpnrIce40 } from './tools.js';

export interface PnrOptions {
  readonly board: Board;
  /** Yosys's JSON netlist. */
  readonly json: string;
  readonly pcf: string;
  /** Timing target in MHz. */
  readonly freqMHz: number;
  readonly seed?: number;
  readonly onLine?: RunOptions['onLine'];
}

export interface PnrResult {
  readonly asc: string;
  readonly report: NextpnrReport;
  readonly reportText: string;
  readonly log: string;
}

export function nextpnrArgs(opts: Pick<PnrOptions, 'board' | 'freqMHz' | 'seed'>): string[] {
  return [
    DEVICES[opts.board.device].nextpnr,
    '--package',
    opts.board.package,
    '--json',
    'design.json',
    '--pcf',
    'board.pcf',
    '--asc',
    'design.asc',
    '--report',
    'report.json',
    '--freq',
    String(opts.freqMHz),
    '--seed',
    String(opts.seed ?? 1),
    // A miss still writes the report; the flow judges timing from it and fails the build itself.
    '--timing-allow-fail',
  ];
}

export async function placeAndRoute(opts: PnrOptions): Promise<PnrResult> {
  let run;
  try {
    run = await nextpnrIce40(nextpnrArgs(opts), { 'design.json': opts.json, 'board.pcf': opts.pcf }, opts.onLine ? { onLine: opts.onLine } : {});
  } catch (err) {
    if (err instanceof ToolError) throw placementFitError(opts.board, err.log) ?? err;
    throw err;
  }
  const asc = run.files['design.asc'];
  const reportText = run.files['report.json'];
  if (typeof asc !== 'string' || typeof reportText !== 'string') {
    throw new ToolError('nextpnr-ice40', 'finished without writing the routed design and its report', run.log);
  }
  return { asc, report: parseNextpnrReport(reportText), reportText, log: run.log };
}

export async function pack(asc: string): Promise<Uint8Array> {
  const run = await icepack(['design.asc', 'design.bin'], { 'design.asc': asc });
  const bin = run.files['design.bin'];
  if (!(bin instanceof Uint8Array)) throw new ToolError('icepack', 'wrote no bitstream', run.log);
  return bin;
}

/** nextpnr's steps, as its log announces them. */
export function nextpnrPhase(line: string): string | undefined {
  const m = /^Info: (Packing design|Packing constraints|Running (?:main analytical|simulated annealing) placer|Creating initial (?:analytic )?placement|Routing globals|Routing\.\.|Max frequency for clock .*|Program finished normally)/.exec(
    line.trim(),
  );
  return m?.[1];
}
