/** `janela gen --out DIR [--config FILE]`: writes the generated Verilog of the whole design. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TOP_MODULE, generateTop } from '../../../hdl/top.js';
import { type Command, UsageError, parseCommandArgs } from '../command.js';
import { loadConfig } from '../configFile.js';

const usage = [
  'usage: janela gen --out DIR [--config FILE]',
  '',
  '  --out DIR       folder for the Verilog files (created if missing)',
  '  --config FILE   JSON object of core parameters (spec/params.ts); defaults otherwise',
].join('\n');

export const gen: Command = {
  name: 'gen',
  summary: `generate the Verilog of the whole design (top ${TOP_MODULE}: core, UART, frame engine)`,
  usage,
  async run(argv) {
    const { values } = parseCommandArgs({ args: argv, options: { out: { type: 'string' }, config: { type: 'string' } } });
    const out = values.out as string | undefined;
    if (!out) throw new UsageError('--out DIR is required');
    // Validate and generate everything before writing anything.
    const files = generateTop(await loadConfig(values.config as string | undefined));
    await mkdir(out, { recursive: true });
    for (const f of files) await writeFile(join(out, f.name), f.text);
    console.log(files.map((f) => join(out, f.name)).join('\n'));
    return 0;
  },
};

export default gen;
