/** Entry point of the `janela` CLI: dispatches to the command table. */
import type { Command } from './command.js';
import { UsageError } from './command.js';

interface CommandEntry {
  readonly summary: string;
  /** Loaded on demand, so `janela gen` does not load serialport or Redis. */
  readonly load: () => Promise<Command>;
}

/** Every subcommand: name → one line of help and its module. */
const COMMANDS: Record<string, CommandEntry> = {
  demo: {
    summary: 'an agent-like session through every tier, on the simulated board (npm start)',
    load: async () => (await import('./commands/demo.js')).demo,
  },
  stats: {
    summary: 'print what a memory holds: tiers, archives, memory per component',
    load: async () => (await import('./commands/stats.js')).stats,
  },
  serve: {
    summary: 'open a memory and serve its Prometheus metrics on 127.0.0.1',
    load: async () => (await import('./commands/serve.js')).serve,
  },
  gen: { summary: 'write the Verilog of the design for a config', load: async () => (await import('./commands/gen.js')).gen },
  lint: { summary: 'verilator --lint-only -Wall on the generated design', load: async () => (await import('./commands/lint.js')).lint },
  prove: {
    summary: 'prove the core invariants with Yosys (sat -tempinduct)',
    load: async () => (await import('./commands/prove.js')).prove,
  },
  sim: {
    summary: 'serve the simulated board on a pty (prints PTY /dev/pts/N)',
    load: async () => (await import('./commands/sim.js')).sim,
  },
  build: {
    summary: 'synthesise, place and route for a board (build/<board>/janela.bin + report.json)',
    load: async () => (await import('./commands/build.js')).build,
  },
  flash: { summary: 'program a board with iceprog or openFPGALoader', load: async () => (await import('./commands/flash.js')).flash },
  memory: {
    summary: 'inspect conversation memory tiers in files (list, show, health)',
    load: async () => (await import('./commands/memory.js')).memoryCommand,
  },
  bench: { summary: 'run benchmark suites (JSON with --json)', load: async () => (await import('./commands/bench.js')).bench },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'janela: bounded working memory on iCE40 hardware, larger memory tiers on the host',
    '',
    'usage: janela <command> [options]     (janela help <command> for its options)',
    '',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** Errors whose message is meant for the user: printed as one line, without a stack trace. */
function isUserFacing(err: unknown): err is Error {
  return err instanceof Error && err.constructor !== Error && !(err instanceof TypeError) && !(err instanceof RangeError);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const target = rest[0] ? COMMANDS[rest[0]] : undefined;
    console.log(target ? (await target.load()).usage : help());
    return 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`janela: unknown command '${name}'\n\n${help()}`);
    return 2;
  }
  const command = await entry.load();
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`janela ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    if (isUserFacing(err)) {
      console.error(`janela ${name}: ${err.name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
