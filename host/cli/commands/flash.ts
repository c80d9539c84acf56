/** `janela flash --board B [--sram] [--bin FILE]`: programs a board with iceprog or openFPGALoader. */
import { join } from 'node:path';
import { boardNames, getBoard } from '../../../constraints/boards.js';
import { flash as flashBoard } from '../../../hdl/build/flash.js';
import { defaultOutDir } from '../../../hdl/build/flow.js';
import { type Command, parseCommandArgs, UsageError } from '../command.js';

export interface FlashCommandDeps {
  /** Search path for the flashers (tests); default $PATH. */
  readonly path?: string;
  /** USB device list (tests); default /sys/bus/usb/devices. */
  readonly usbRoot?: string;
}

export function makeFlashCommand(deps: FlashCommandDeps = {}): Command {
  return {
    name: 'flash',
    summary: 'program a board with the built bitstream (iceprog or openFPGALoader)',
    usage: [
      `usage: janela flash --board <${boardNames().join('|')}> [--sram] [--bin FILE]`,
      '',
      '  --sram      load the FPGA directly (lost at power-off); default writes the SPI flash',
      '  --bin FILE  bitstream to program (default: build/<board>/janela.bin)',
    ].join('\n'),
    async run(argv) {
      const { values } = parseCommandArgs({
        args: argv,
        options: { board: { type: 'string' }, sram: { type: 'boolean', default: false }, bin: { type: 'string' } },
        allowPositionals: false,
      });
      if (!values.board) throw new UsageError('--board is required');
      const board = getBoard(values.board);
      const bin = values.bin ?? join(defaultOutDir(board), 'janela.bin');
      if (values.sram) process.stderr.write(`janela flash: note: ${board.sramNote}\n`);
      const result = await flashBoard({
        board,
        bin,
        sram: values.sram,
        ...(deps.path !== undefined ? { path: deps.path } : {}),
        ...(deps.usbRoot !== undefined ? { usbRoot: deps.usbRoot } : {}),
        onOutput: (text) => process.stderr.write(text),
      });
      console.log(
        `programmed ${board.title} ${values.sram ? 'SRAM' : 'flash'} with ${bin} (${result.tool} ${result.args.join(' ')}); ` +
          `its UART is usually ${board.uart.tty} at ${board.baud} baud`,
      );
      return 0;
    },
  };
}

export const flash: Command = makeFlashCommand();
