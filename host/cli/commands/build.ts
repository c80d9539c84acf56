/** `janela build --board B [--config FILE] [--json]`: bitstream and report for one board. */
import { type Board, boardConfig, boardNames, getBoard } from '../../../constraints/boards.js';
import { TimingError } from '../../../hdl/build/errors.js';
import { type BuildResult, buildBoard } from '../../../hdl/build/flow.js';
import type { BuildReport } from '../../../hdl/build/report.js';
import type { VerilogFile } from '../../../hdl/verilog.js';
import type { CoreConfig } from '../../../spec/params.js';
import { type Command, parseCommandArgs, UsageError } from '../command.js';
import { readConfigFile } from '../configFile.js';

export { ConfigFileError } from '../configFile.js';

/** The real design: hdl/top.ts's generateTop. */
async function generateJanela(config: CoreConfig): Promise<VerilogFile[]> {
  const { generateTop } = await import('../../../hdl/top.js');
  return generateTop(config);
}

const pct = (u: { used: number; available: number }) =>
  u.available ? ` (${((100 * u.used) / u.available).toFixed(1)} %)` : '';

export function formatReport(report: BuildReport, result?: Pick<BuildResult, 'bitstreamPath' | 'cached'>): string {
  const r = report.resources;
  const row = (label: string, u: { used: number; available: number }) =>
    `  ${label.padEnd(6)} ${String(u.used).padStart(5)} / ${u.available}${pct(u)}`;
  const cp = report.criticalPath;
  return [
    `${report.board} (${report.device})${result ? `: ${result.bitstreamPath}` : ''}`,
    row('LCs', r.lcs),
    row('BRAMs', r.brams),
    row('DSPs', r.dsps),
    row('IOs', r.ios),
    `  fmax   ${report.fmaxMHz.achieved.toFixed(2)} MHz (target ${report.fmaxMHz.target} MHz): ${report.timingMet ? 'met' : 'NOT MET'}`,
    ...(cp ? [`  critical path ${cp.delayNs.toFixed(2)} ns, ${cp.logicLevels} logic levels: ${cp.from} → ${cp.to}`] : []),
    `  config ${report.configHash}, built in ${(report.buildTimeMs.total / 1000).toFixed(1)} s${result?.cached ? ' (from the cache)' : ''}`,
  ].join('\n');
}

export interface BuildCommandDeps {
  /** Makes the design files for a config (default: generateTop). */
  readonly generate?: (config: CoreConfig, board: Board) => Promise<readonly VerilogFile[]> | readonly VerilogFile[];
}

export function makeBuildCommand(deps: BuildCommandDeps = {}): Command {
  const generate = deps.generate ?? generateJanela;
  const usage = [
    `usage: janela build --board <${boardNames().join('|')}> [--config FILE] [--json]`,
    '                    [--freq MHZ] [--out DIR] [--no-cache] [--keep-failed]',
    '',
    '  --config FILE   JSON object of core parameters, over the board\'s default config',
    '  --json          print the build report as JSON on stdout',
    '  --freq MHZ      timing target (default: the board clock)',
    '  --out DIR       output folder (default: build/<board>)',
    '  --no-cache      run the tools even when an identical build is cached',
    '  --keep-failed   keep the bitstream of a build that misses timing (it still fails)',
  ].join('\n');
  return {
    name: 'build',
    summary: 'synthesise, place and route the design for a board (bitstream + report)',
    usage,
    async run(argv) {
      const { values } = parseCommandArgs({
        args: argv,
        options: {
          board: { type: 'string' },
          config: { type: 'string' },
          json: { type: 'boolean', default: false },
          freq: { type: 'string' },
          out: { type: 'string' },
          'no-cache': { type: 'boolean', default: false },
          'keep-failed': { type: 'boolean', default: false },
        },
        allowPositionals: false,
      });
      if (!values.board) throw new UsageError('--board is required');
      const board = getBoard(values.board);
      const freqMHz = values.freq === undefined ? undefined : Number(values.freq);
      if (freqMHz !== undefined && !(freqMHz > 0)) throw new UsageError(`--freq must be a positive number of MHz, got '${values.freq}'`);
      const overrides = values.config ? await readConfigFile(values.config) : {};
      const config = boardConfig(board, overrides);
      const design = await generate(config, board);
      try {
        const result = await buildBoard({
          board,
          design,
          config,
          ...(values.out ? { outDir: values.out } : {}),
          ...(freqMHz ? { freqMHz } : {}),
          cache: !values['no-cache'],
          keepFailedBitstream: values['keep-failed'],
          onProgress: (m) => process.stderr.write(`janela build: ${m}\n`),
        });
        console.log(values.json ? JSON.stringify({ ...result.report, bitstream: result.bitstreamPath, cached: result.cached }, null, 2) : formatReport(result.report, result));
        return 0;
      } catch (err) {
        if (err instanceof TimingError) {
          // The report is the useful part of a timing failure: print it, then say what failed.
          console.log(values.json ? JSON.stringify(err.report, null, 2) : formatReport(err.report));
          console.error(`janela build: ${err.name}: ${err.message}`);
          return 1;
        }
        throw err;
      }
    },
  };
}

export const build: Command = makeBuildCommand();
