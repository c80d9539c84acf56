/**
 * The boards janela builds for, as data (in the spirit of amaranth-boards): one entry per
 * board, validated with zod, and one `constraints/<name>.pcf` beside it whose `set_io`
 * lines match the entry pin for pin (test/build.boards.test.ts holds them together).
 *
 * The build flow reads nothing board-specific from anywhere else: the board shell
 * (hdl/build/shell.ts), nextpnr's device flags, the fit checks and the flasher command
 * lines all come from these entries.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { coreConfigSchema, parseCoreConfig, type CoreConfig, type CoreConfigInput } from '../spec/params.js';

/** Width of janela_top's `led` port. */
export const LED_BITS = 5;

/** Package pin numbers: sg48 uses 1..48, tq144 1..144. */
const pin = z.number().int().min(1).max(144);
/** A port of janela_board, and the name in the pcf. */
const portName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/);

/** iCE40 parts this table knows: nextpnr's device flag and the hard-wired RGB driver pins. */
export const DEVICES = {
  iCE40HX1K: { nextpnr: '--hx1k', packages: ['tq144'], rgbPins: [] as number[] },
  iCE40UP5K: { nextpnr: '--up5k', packages: ['sg48'], rgbPins: [39, 40, 41] },
} as const;
export type DeviceName = keyof typeof DEVICES;

const ledSchema = z
  .object({
    /** Which bit of janela_top's led[4:0] lights it (see docs/boards.md for the meanings). */
    bit: z.number().int().min(0).max(LED_BITS - 1),
    port: portName,
    pin,
    /** Silkscreen name. */
    label: z.string().min(1),
    color: z.enum(['red', 'green', 'blue']),
    /**
     * high: plain output, 1 = lit. low: plain output, 0 = lit (the shell inverts).
     * rgb: through SB_RGBA_DRV's constant-current sink (for LEDs without a series resistor).
     */
    drive: z.enum(['high', 'low', 'rgb']),
  })
  .strict();

const flasherSchema = z
  .object({
    tool: z.enum(['iceprog', 'openFPGALoader']),
    /** Debian package that provides the tool. */
    package: z.string().min(1),
    /** Arguments before the bitstream path, writing the SPI flash (survives power-off). */
    flash: z.array(z.string()),
    /** Arguments loading the FPGA's configuration SRAM directly; null when the tool cannot. */
    sram: z.array(z.string()).nullable(),
  })
  .strict();

const hex16 = z.string().regex(/^[0-9a-f]{4}$/);

export const boardSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9]+$/),
    title: z.string().min(1),
    device: z.enum(Object.keys(DEVICES) as [DeviceName, ...DeviceName[]]),
    package: z.string().min(1),
    clock: z
      .object({
        port: portName,
        pin,
        hz: z.number().int().positive(),
        /** Where the clock comes from, for the docs and the report. */
        source: z.string().min(1),
      })
      .strict(),
    uart: z
      .object({
        rx: pin,
        tx: pin,
        /** USB bridge and which of its interfaces carries the UART. */
        bridge: z.string().min(1),
        /** Where the UART usually appears on Linux with one board attached. */
        tty: z.string().startsWith('/dev/'),
      })
      .strict(),
    leds: z.array(ledSchema).min(1),
    /** Outputs the shell drives high, e.g. a flash chip select that shares pins with the UART. */
    tieHigh: z.array(z.object({ port: portName, pin, why: z.string().min(1) }).strict()),
    baud: z.number().int().positive(),
    usb: z.object({ vid: hex16, pid: hex16, chip: z.string().min(1) }).strict(),
    /** In order of preference; `janela flash` uses the first one installed. */
    flashers: z.array(flasherSchema).min(1),
    /** What loading SRAM (`--sram`) needs on this board. */
    sramNote: z.string().min(1),
    /** The device's resources (datasheet figures; LCs/EBR/DSP also match nextpnr's report). */
    resources: z
      .object({
        lcs: z.number().int().positive(),
        ebr: z.number().int().nonnegative(),
        dsp: z.number().int().nonnegative(),
        ios: z.number().int().positive(),
      })
      .strict(),
    /** A core config that fits this board; `janela build --config` overrides fields of it. */
    defaultConfig: coreConfigSchema,
    /** Why the default config is what it is. */
    configNote: z.string().min(1),
  })
  .strict()
  .superRefine((b, ctx) => {
    const dev = DEVICES[b.device];
    if (!(dev.packages as readonly string[]).includes(b.package)) {
      ctx.addIssue({ code: 'custom', path: ['package'], message: `${b.device} has no package ${b.package}` });
    }
    if (b.defaultConfig.clockHz !== b.clock.hz) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultConfig', 'clockHz'],
        message: `clockHz ${b.defaultConfig.clockHz} differs from the board clock ${b.clock.hz}`,
      });
    }
    if (b.defaultConfig.baud !== b.baud) {
      ctx.addIssue({ code: 'custom', path: ['defaultConfig', 'baud'], message: `baud differs from the board's ${b.baud}` });
    }
    // Every pin and every port name is used once: the pcf cannot say two things about one pin.
    const pins = [b.clock.pin, b.uart.rx, b.uart.tx, ...b.leds.map((l) => l.pin), ...b.tieHigh.map((t) => t.pin)];
    const ports = [b.clock.port, 'uart_rx', 'uart_tx', ...b.leds.map((l) => l.port), ...b.tieHigh.map((t) => t.port)];
    for (const [what, list] of [
      ['pin', pins],
      ['port', ports],
    ] as const) {
      const seen = new Set<number | string>();
      for (const v of list) {
        if (seen.has(v)) ctx.addIssue({ code: 'custom', path: [], message: `${what} ${v} is used twice` });
        seen.add(v);
      }
    }
    for (const [i, led] of b.leds.entries()) {
      const isRgbPin = (dev.rgbPins as readonly number[]).includes(led.pin);
      if (led.drive === 'rgb' && !isRgbPin) {
        ctx.addIssue({ code: 'custom', path: ['leds', i, 'pin'], message: `pin ${led.pin} is not an RGB driver pin of ${b.device}` });
      }
    }
  });

export type Board = z.output<typeof boardSchema>;
type BoardInput = z.input<typeof boardSchema>;

/** The FTDI interface janela flashes through; iceprog and openFPGALoader both speak it. */
const FT2232H_FLASHERS: BoardInput['flashers'] = [
  { tool: 'iceprog', package: 'fpga-icestorm', flash: [], sram: ['-S'] },
  { tool: 'openFPGALoader', package: 'openfpgaloader', flash: ['-b', 'ice40_generic', '-f'], sram: ['-b', 'ice40_generic', '-m'] },
];

const BOARD_INPUTS: readonly BoardInput[] = [
  {
    name: 'icebreaker',
    title: '1BitSquared iCEBreaker v1.0',
    device: 'iCE40UP5K',
    package: 'sg48',
    clock: { port: 'clk', pin: 35, hz: 12_000_000, source: '12 MHz oscillator shared with the FT2232H' },
    uart: { rx: 6, tx: 9, bridge: 'FT2232H interface B (interface A programs the flash)', tty: '/dev/ttyUSB1' },
    leds: [
      // led[0] activity, led[1] error, led[4:2] open windows (hdl/link/leds.ts). The main
      // board's green and red LEDs show activity and error; the snap-off section shows all five.
      { bit: 0, port: 'ledg_n', pin: 37, label: 'LEDG (main board)', color: 'green', drive: 'low' },
      { bit: 1, port: 'ledr_n', pin: 11, label: 'LEDR (main board)', color: 'red', drive: 'low' },
      { bit: 0, port: 'led2', pin: 27, label: 'LED2 (snap-off)', color: 'green', drive: 'high' },
      { bit: 1, port: 'led1', pin: 26, label: 'LED1 (snap-off)', color: 'red', drive: 'high' },
      { bit: 2, port: 'led3', pin: 25, label: 'LED3 (snap-off)', color: 'green', drive: 'high' },
      { bit: 3, port: 'led4', pin: 23, label: 'LED4 (snap-off)', color: 'green', drive: 'high' },
      { bit: 4, port: 'led5', pin: 21, label: 'LED5 (snap-off)', color: 'green', drive: 'high' },
    ],
    tieHigh: [],
    baud: 115_200,
    usb: { vid: '0403', pid: '6010', chip: 'FT2232H' },
    flashers: FT2232H_FLASHERS,
    sramNote: 'SRAM loading needs the board\'s CRAM solder jumpers changed from their FLASH default (see the iCEBreaker documentation); flash programming works as shipped.',
    resources: { lcs: 5280, ebr: 30, dsp: 8, ios: 39 },
    defaultConfig: { capacity: 512, quota: 64, clockHz: 12_000_000, baud: 115_200 },
    configNote:
      'capacity 512 is the largest power of two whose store fits the block RAM: 15 SB_RAM40_4K for the store plus 3 for the link, 18 of 30; quota 64 so that nine windows can fill it (9 × 64 ≥ 512). Logic: about 3.8k of 5280 LCs.',
  },
  {
    name: 'icestick',
    title: 'Lattice iCEstick Evaluation Kit',
    device: 'iCE40HX1K',
    package: 'tq144',
    clock: { port: 'clk', pin: 21, hz: 12_000_000, source: '12 MHz oscillator shared with the FT2232H' },
    uart: { rx: 9, tx: 8, bridge: 'FT2232H interface B (interface A programs the flash)', tty: '/dev/ttyUSB1' },
    leds: [
      { bit: 0, port: 'led_d5', pin: 95, label: 'D5 (centre)', color: 'green', drive: 'high' },
      { bit: 1, port: 'led_d1', pin: 99, label: 'D1', color: 'red', drive: 'high' },
      { bit: 2, port: 'led_d2', pin: 98, label: 'D2', color: 'red', drive: 'high' },
      { bit: 3, port: 'led_d3', pin: 97, label: 'D3', color: 'red', drive: 'high' },
      { bit: 4, port: 'led_d4', pin: 96, label: 'D4', color: 'red', drive: 'high' },
    ],
    tieHigh: [],
    baud: 115_200,
    usb: { vid: '0403', pid: '6010', chip: 'FT2232H' },
    flashers: FT2232H_FLASHERS,
    sramNote: 'An unmodified iCEstick can only be programmed through its SPI flash; SRAM loading needs the flash removed and a wire added (see iceprog --help).',
    resources: { lcs: 1280, ebr: 16, dsp: 0, ios: 95 },
    defaultConfig: { capacity: 64, quota: 16, clockHz: 12_000_000, baud: 115_200, scorer: 'serial' },
    configNote:
      'capacity 64 (store 8 + link 3 = 11 of 16 block RAMs; up to 256 would fit the block RAM) and the serial salience scorer (no DSPs on the HX1K). The logic does not fit: the design needs about 2.3k LUTs (2.0k at maxWindows 4, capacity 16) and the HX1K has 1280 logic cells, so this build stops after synthesis with a FitError naming the LCs (docs/boards.md, "The iCEstick does not fit").',

  },
  {
    name: 'upduino3',
    title: 'tinyVision.ai UPduino v3.0/v3.1',
    device: 'iCE40UP5K',
    package: 'sg48',
    clock: {
      port: 'clk',
      pin: 20,
      hz: 12_000_000,
      source: '12 MHz oscillator through the OSC solder jumper to pin 20 (IOB_25B_G3); short the jumper once',
    },
    uart: {
      rx: 15,
      tx: 14,
      bridge: 'FT232H (single interface: SPI while programming, then UART over the flash SCK/MOSI lines)',
      tty: '/dev/ttyUSB0',
    },
    leds: [
      // Three colours for five bits: activity, error, and "four or more windows open" (led[4]).
      { bit: 0, port: 'led_green', pin: 39, label: 'RGB LED green (RGB0)', color: 'green', drive: 'rgb' },
      { bit: 1, port: 'led_red', pin: 41, label: 'RGB LED red (RGB2)', color: 'red', drive: 'rgb' },
      { bit: 4, port: 'led_blue', pin: 40, label: 'RGB LED blue (RGB1)', color: 'blue', drive: 'rgb' },
    ],
    tieHigh: [{ port: 'flash_cs_n', pin: 16, why: 'keeps the SPI flash deselected while pins 14/15 carry the UART' }],
    baud: 115_200,
    usb: { vid: '0403', pid: '6014', chip: 'FT232H' },
    flashers: [
      { tool: 'iceprog', package: 'fpga-icestorm', flash: ['-d', 'i:0x0403:0x6014'], sram: ['-d', 'i:0x0403:0x6014', '-S'] },
      {
        tool: 'openFPGALoader',
        package: 'openfpgaloader',
        flash: ['-b', 'ice40_generic', '--vid', '0x0403', '--pid', '0x6014', '-f'],
        sram: ['-b', 'ice40_generic', '--vid', '0x0403', '--pid', '0x6014', '-m'],
      },
    ],
    sramNote:
      'SRAM loading needs R12/R13 removed and R11/R27 fitted (the UPduino\'s CRAM tutorial), which also moves the SPI lines the UART uses; janela\'s pins assume the board as shipped, programmed through its flash.',
    resources: { lcs: 5280, ebr: 30, dsp: 8, ios: 39 },
    defaultConfig: { capacity: 512, quota: 64, clockHz: 12_000_000, baud: 115_200 },
    configNote:
      'same device as the iCEBreaker, same config: capacity 512 (18 of 30 block RAMs), quota 64.',
  },
];

export class UnknownBoardError extends Error {
  override readonly name = 'UnknownBoardError';
  constructor(readonly board: string) {
    super(`unknown board '${board}'; known boards: ${BOARD_INPUTS.map((b) => b.name).join(', ')}`);
  }
}

/** Validated once at load: a malformed entry fails every import loudly, not one build later. */
export const BOARDS: readonly Board[] = BOARD_INPUTS.map((b) => boardSchema.parse(b));

export function boardNames(): string[] {
  return BOARDS.map((b) => b.name);
}

export function getBoard(name: string): Board {
  const b = BOARDS.find((x) => x.name === name);
  if (!b) throw new UnknownBoardError(name);
  return b;
}

/** The board's default config with `overrides` applied, validated as a whole. */
export function boardConfig(board: Board, overrides: CoreConfigInput = {}): CoreConfig {
  return parseCoreConfig({ ...board.defaultConfig, ...overrides });
}

/** Where a board's pcf lives. */
export function pcfPath(board: Pick<Board, 'name'>): string {
  return fileURLToPath(new URL(`./${board.name}.pcf`, import.meta.url));
}
