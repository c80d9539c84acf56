/** Entry point of the `janela` CLI: dispatches to the command table. */
import type { Command } from './command.js';
import { UsageError } from './command.js';

/** Every subcommand, loaded on demand so `janela gen` does not load serialport or Redis. */
const COMMANDS: Record<string, () => Promise<Command>> = {};

function help(): string {
  return [
    'janela: bounded working memory on iCE40 hardware, larger memory tiers on the host',
    '',
    'usage: janela <command> [options]     (janela help <command> for its options)',
    '',
    ...Object.keys(COMMANDS).map((n) => `  ${n}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const target = rest[0] && COMMANDS[rest[0]];
    console.log(target ? (await target()).usage : help());
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`janela: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  const command = await load();
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`janela ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    if (err instanceof Error && err.name !== 'Error' && !(err instanceof TypeError)) {
      // Typed errors of janela (ConfigError, link errors, …) carry a message meant for the user.
      console.error(`janela ${name}: ${err.name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
