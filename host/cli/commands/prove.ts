/** `janela prove [--config FILE] [--json]`: the core's formal properties, each proven or failed. */
import { PROPERTIES } from '../../../hdl/core/index.js';
import { prove as runProofs, type ProofResult } from '../../../hdl/formal/prove.js';
import { type Command, UsageError, parseCommandArgs } from '../command.js';
import { loadConfig } from '../configFile.js';

const usage = [
  'usage: janela prove [--config FILE] [--json] [--max-capacity N] [--property NAME]...',
  '                    [--mutation count-overflow]',
  '',
  '  --config FILE      JSON object of core parameters',
  '  --json             print the results as JSON on stdout',
  '  --max-capacity N   prove with the store shrunk to at most N entries (default 8);',
  '                     the full capacity works too but takes minutes (64: about 3.5 min)',
  `  --property NAME    prove only these (${PROPERTIES.map((p) => p.name).join(', ')})`,
  '  --mutation count-overflow',
  '                     prove a deliberately broken core (openCount can exceed maxWindows),',
  '                     to see a proof fail',
].join('\n');

const line = (r: ProofResult) =>
  `${r.status === 'proven' ? 'proven ' : r.status === 'failed' ? 'FAILED ' : 'UNKNOWN'} (${r.id}) ${r.property.padEnd(28)} ` +
  `${r.status === 'failed' ? `counterexample at step ${r.steps}` : `induction length ${r.steps}`}, ${r.assertions} assertions, ${r.seconds.toFixed(1)} s`;

export const prove: Command = {
  name: 'prove',
  summary: 'prove the core invariants with Yosys (sat -tempinduct)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs({ args: argv, options: {
      config: { type: 'string' },
      json: { type: 'boolean' },
      'max-capacity': { type: 'string' },
      property: { type: 'string', multiple: true },
      mutation: { type: 'string' },
    } });
    const mutation = values.mutation as string | undefined;
    if (mutation !== undefined && mutation !== 'count-overflow') throw new UsageError('--mutation takes count-overflow');
    const maxCapacity = values['max-capacity'] === undefined ? undefined : Number(values['max-capacity']);
    if (maxCapacity !== undefined && !(Number.isInteger(maxCapacity) && maxCapacity >= 1)) {
      throw new UsageError('--max-capacity takes a positive integer');
    }
    const json = values.json === true;
    const config = await loadConfig(values.config as string | undefined);
    const results = await runProofs(config, {
      ...(maxCapacity !== undefined ? { maxCapacity } : {}),
      ...(values.property ? { properties: values.property as string[] } : {}),
      ...(mutation ? { mutation } : {}),
      onResult: json ? undefined : (r) => console.log(line(r)),
    });
    if (json) {
      console.log(JSON.stringify(results.map(({ log: _log, ...r }) => r), null, 2));
    } else if (results[0]) {
      const c = results[0].config;
      console.log(`config: maxWindows ${c.maxWindows}, minWindows ${c.minWindows}, capacity ${c.capacity}, quota ${c.quota}`);
    }
    return results.every((r) => r.status === 'proven') ? 0 : 1;
  },
};

export default prove;
