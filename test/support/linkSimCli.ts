/**
 * Runs the `janela sim` command (host/cli/commands/sim.ts) as its own process, for the
 * CLI tests: `node --import tsx test/support/linkSimCli.ts [options]`.
 */
import { sim } from '../../host/cli/commands/sim.js';

try {
  process.exitCode = await sim.run(process.argv.slice(2));
} catch (err) {
  console.error(`janela sim: ${(err as Error).name}: ${(err as Error).message}`);
  process.exitCode = (err as Error).name === 'UsageError' ? 2 : 1;
}
