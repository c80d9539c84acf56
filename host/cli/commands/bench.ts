/** `janela bench <suite|all> [--json] [--quick] [--out FILE]`: runs benchmark suites and prints their reports. */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SUITES } from '../../../bench/index.js';
import type { BenchReport } from '../../../bench/types.js';
import { type Command, UsageError, parseCommandArgs } from '../command.js';

function printHuman(report: BenchReport): void {
  console.log(`== ${report.suite}: ${report.method}`);
  console.log(JSON.stringify(report.results, null, 2));
  for (const [name, ratio] of Object.entries(report.ratios ?? {})) console.log(`ratio ${name}: ${ratio.toFixed(3)}`);
  for (const g of report.goals ?? []) console.log(`${g.met ? 'met ' : 'MISS'} ${g.goal}: ${g.value}`);
}

const CLI = fileURLToPath(new URL('../janela.mjs', import.meta.url));

/** One suite's report from `janela bench <suite> --json` in a child process. */
function runInChild(suite: string, quick: boolean): Promise<BenchReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'bench', suite, '--json', ...(quick ? ['--quick'] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench suite ${suite} exited with ${code}`));
      try {
        resolve(JSON.parse(out) as BenchReport);
      } catch (e) {
        reject(new Error(`bench suite ${suite} printed no JSON report: ${(e as Error).message}`));
      }
    });
  });
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
      // (The child says which suite it runs.)
      if (which !== 'all') process.stderr.write(`janela bench: running ${n}…\n`);
      // `all` runs each suite in a process of its own, so no suite inherits another's heap
      // (the cache suite's million-key arrays made the archive's CPU-time p99 swing) or JIT state.
      const report = which === 'all' ? await runInChild(n, values.quick) : await (await SUITES[n]!()).run({ quick: values.quick });
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
