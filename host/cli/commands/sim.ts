/** `janela sim`: runs the simulated board and serves it on a pty until SIGINT/SIGTERM. */
import { startSimulator, type SimulatorOptions } from '../../../sim/launcher.js';
import { type Command, parseCommandArgs, UsageError } from '../command.js';
import { readConfigFile } from '../configFile.js';

const USAGE = `usage: janela sim [--config FILE] [--bit-cycles N] [--drop P] [--flip P] [--seed S] [--trace FILE]

Builds the board (core + serial link) with Verilator, cached by config, and serves it on a
pseudo-terminal. Prints exactly one line, 'PTY /dev/pts/N', then serves until SIGINT or
SIGTERM. Open that path like a serial port (any baud: the pty has no line rate).

  --config FILE    core config as JSON (spec/params.ts); defaults otherwise
  --bit-cycles N   clock cycles per UART bit in the simulation (default 4; build-time)
  --drop P         drop each byte, in either direction, with probability P
  --flip P         flip one bit of each byte, in either direction, with probability P
  --seed S         seed of the fault injection
  --trace FILE     write a waveform (.fst for FST, otherwise VCD)`;

function number(name: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} takes ${integer ? 'an integer' : 'a number'}, got '${text}'`);
  }
  return value;
}

export const sim: Command = {
  name: 'sim',
  summary: 'serve the simulated board on a pty (prints PTY /dev/pts/N)',
  usage: USAGE,
  async run(argv) {
    const { values } = parseCommandArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'bit-cycles': { type: 'string' },
        drop: { type: 'string' },
        flip: { type: 'string' },
        seed: { type: 'string' },
        trace: { type: 'string' },
      },
      allowPositionals: false,
    });
    const options: SimulatorOptions = {
      config: values.config === undefined ? undefined : await readConfigFile(values.config),
      bitCycles: number('bit-cycles', values['bit-cycles'], true),
      drop: number('drop', values.drop, false),
      flip: number('flip', values.flip, false),
      seed: number('seed', values.seed, true),
      trace: values.trace,
    };
    const simulator = await startSimulator(options);
    process.stdout.write(`PTY ${simulator.path}\n`);
    process.stderr.write(`janela sim: serving ${simulator.path}, ${simulator.bitCycles} cycles per bit; stop with Ctrl-C\n`);

    // Serve until asked to stop; a harness that dies on its own is an error.
    const reason = await new Promise<'signal' | 'died'>((resolve) => {
      const onSignal = () => resolve('signal');
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      simulator.exited.then(() => resolve('died'));
    });
    await simulator.stop();
    if (reason === 'died') {
      console.error('janela sim: the simulator stopped unexpectedly');
      return 1;
    }
    return 0;
  },
};
