/** `janela lint [--config FILE]`: verilator --lint-only -Wall on the generated design. */
import { lintDesign } from '../../../hdl/lint.js';
import { TOP_MODULE } from '../../../hdl/top.js';
import { parseCommandArgs, type Command } from '../command.js';
import { loadConfig } from '../configFile.js';

export const lint: Command = {
  name: 'lint',
  summary: 'lint the generated Verilog with verilator -Wall (fails on any warning)',
  usage: ['usage: janela lint [--config FILE]', '', '  --config FILE   JSON object of core parameters'].join('\n'),
  async run(argv) {
    const { values } = parseCommandArgs({ args: argv, options: { config: { type: 'string' } } });
    const result = await lintDesign(await loadConfig(values.config as string | undefined));
    if (result.clean) {
      console.log(`${TOP_MODULE}: lint clean (verilator --lint-only -Wall)`);
      return 0;
    }
    console.error(result.output.trim());
    console.error(`${TOP_MODULE}: ${result.messages.length} lint message(s)`);
    return 1;
  },
};

export default lint;
