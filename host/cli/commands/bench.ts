/** `janela bench <suite|all> [--json] [--quick] [--out FILE]`: runs benchmark suites and prints their reports. */
import { writeFile } from 'node:fs/promises';
import { SUITES } from '../../../bench/index.js';
import type { BenchReport } from '../../../bench/types.js';
import { type Command, UsageError, parseCommandArgs } from '../command.js';

function printHuman(report: BenchReport): void {
  console.log(`== ${report.suite}: ${report.method}`);
  console.log(JSON.stringify(report.results, null, 2));
  for (const [name, ratio] of Object.entries(report.ratios ?? {})) console.log(`ratio ${name}: ${ratio.toFixed(3)}`);
  for (const g of report.goals ?? []) console.log(`${g.met ? 'met ' : 'MISS'} ${g.goal}: ${g.value}`);
}

export const bench: Command = {
  name: 'bench',
  summary: 'run benchmark suites (JSON with --json)',
  usage: `usage: janela bench <${['all', ...Object.keys(SUITES)].join('|')}> [--json] [--quick] [--out FILE]   (--out: also write the JSON there)`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false }, out: { type: 'string' } },
      allowPositionals: true,
    });
    const which = positionals[0] ?? 'all';
    const names = which === 'all' ? Object.keys(SUITES) : [which];
    for (const n of names) if (!SUITES[n]) throw new UsageError(`unknown suite '${n}'`);
    const reports: BenchReport[] = [];
    for (const n of names) {
      process.stderr.write(`janela bench: running ${n}…\n`);
      const { run } = await SUITES[n]!();
      const report = await run({ quick: values.quick });
      reports.push(report);
      if (!values.json) printHuman(report);
    }
    const json = JSON.stringify(which === 'all' ? reports : reports[0], null, 2);
    if (values.json) console.log(json);
    // A file of its own, so the JSON stays clean whatever else writes to stdout (npm's banner).
    if (values.out) {
      await writeFile(values.out, `${json}\n`);
      process.stderr.write(`janela bench: wrote ${values.out}\n`);
    }
    return 0;
  },
};
