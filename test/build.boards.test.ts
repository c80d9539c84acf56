/** The board table, its pcf files, the board shell and the config fit check (no tools run). */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  BOARDS,
  DEVICES,
  UnknownBoardError,
  boardConfig,
  boardSchema,
  getBoard,
  pcfPath,
} from '../constraints/boards.js';
import { FitError } from '../hdl/build/errors.js';
import { LINK_EBR, STORE_ENTRY_BITS, cellDemand, checkCellsFit, checkConfigFits, ebrEstimate, ebrFor, maxCapacityByEbr, placementFitError } from '../hdl/build/fit.js';
import { boardPins, parsePcf, pcfMismatches } from '../hdl/build/pcf.js';
import { boardShell } from '../hdl/build/shell.js';
import { ConfigError } from '../spec/params.js';

const clone = <T>(x: T): T => structuredClone(x);

describe('board table', () => {
  it('has the three boards, each valid under the schema', () => {
    expect(BOARDS.map((b) => b.name).sort()).toEqual(['icebreaker', 'icestick', 'upduino3']);
    for (const b of BOARDS) expect(boardSchema.safeParse(b).success).toBe(true);
  });

  it('names the documented device, package, clock and UART pins', () => {
    const pins = (n: string) => {
      const b = getBoard(n);
      return [b.device, b.package, b.clock.pin, b.clock.hz, b.uart.rx, b.uart.tx];
    };
    expect(pins('icebreaker')).toEqual(['iCE40UP5K', 'sg48', 35, 12_000_000, 6, 9]);
    expect(pins('icestick')).toEqual(['iCE40HX1K', 'tq144', 21, 12_000_000, 9, 8]);
    expect(pins('upduino3')).toEqual(['iCE40UP5K', 'sg48', 20, 12_000_000, 15, 14]);
  });

  it('refuses a package the device does not come in', () => {
    const b = clone(getBoard('icestick')) as Record<string, unknown>;
    b.package = 'sg48';
    expect(boardSchema.safeParse(b).success).toBe(false);
  });

  it('refuses an RGB-driven LED on a pin that is not an RGB driver pin', () => {
    const b = clone(getBoard('upduino3'));
    b.leds[0]!.pin = 2;
    const r = boardSchema.safeParse(b);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('not an RGB driver pin');
  });

  it('refuses a pin used twice, and a default config whose clock is not the board clock', () => {
    const twice = clone(getBoard('icestick'));
    twice.leds[1]!.pin = twice.uart.rx;
    expect(boardSchema.safeParse(twice).success).toBe(false);
    const clock = clone(getBoard('icebreaker'));
    clock.defaultConfig.clockHz = 48_000_000;
    expect(boardSchema.safeParse(clock).success).toBe(false);
  });

  it('throws UnknownBoardError naming the known boards', () => {
    expect(() => getBoard('arty')).toThrow(UnknownBoardError);
    expect(() => getBoard('arty')).toThrow(/icebreaker, icestick, upduino3/);
  });

  it('applies config overrides over the board default and refuses bad ones with ConfigError', () => {
    const b = getBoard('icestick');
    expect(boardConfig(b, { capacity: 32 }).capacity).toBe(32);
    expect(boardConfig(b, { capacity: 32 }).quota).toBe(b.defaultConfig.quota);
    expect(() => boardConfig(b, { capacity: 0 })).toThrow(ConfigError);
    expect(() => boardConfig(b, { quota: 1000 } as never)).toThrow(/quota/);
    expect(() => boardConfig(b, { nonsense: 1 } as never)).toThrow(ConfigError);
  });

  it('lists flashers with their Debian packages, iceprog first', () => {
    for (const b of BOARDS) {
      expect(b.flashers[0]!.tool).toBe('iceprog');
      expect(b.flashers.find((f) => f.tool === 'iceprog')!.package).toBe('fpga-icestorm');
      expect(b.flashers.find((f) => f.tool === 'openFPGALoader')!.package).toBe('openfpgaloader');
    }
  });
});

describe('pcf files', () => {
  for (const board of BOARDS) {
    it(`${board.name}.pcf has exactly the table's pins`, async () => {
      const pcf = parsePcf(await readFile(pcfPath(board), 'utf8'));
      expect(pcfMismatches(board, pcf)).toEqual([]);
      // Both directions, spelled out: every table pin is in the pcf, every pcf pin in the table.
      const want = boardPins(board);
      for (const [port, pin] of want) expect(pcf.get(port), port).toBe(pin);
      for (const [port, pin] of pcf) expect(want.get(port), port).toBe(pin);
    });
  }

  it('reports a pin missing from the pcf, an extra one and a wrong one', () => {
    const board = getBoard('icestick');
    const pcf = new Map(boardPins(board));
    pcf.delete('uart_tx');
    pcf.set('extra', 1);
    pcf.set('clk', 22);
    const diff = pcfMismatches(board, pcf).join('\n');
    expect(diff).toMatch(/uart_tx \(pin 8\) is in the board table but not in the pcf/);
    expect(diff).toMatch(/extra \(pin 1\) is in the pcf but not in the board table/);
    expect(diff).toMatch(/clk: table says pin 21, pcf says pin 22/);
  });

  it('parses set_io options and comments, and refuses malformed lines', () => {
    const pins = parsePcf('# c\nset_io -nowarn a 1 # x\nset_io -pullup yes b 2\n\nset_frequency clk 12\n');
    expect([...pins]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(() => parsePcf('set_io a')).toThrow(/expected/);
    expect(() => parsePcf('set_io a 1\nset_io a 2')).toThrow(/twice/);
  });
});

describe('board shell', () => {
  it('wraps janela_top and names every pcf port', () => {
    for (const board of BOARDS) {
      const v = boardShell(board).text;
      expect(v).toMatch(/module janela_board/);
      expect(v).toMatch(/janela_top core \(/);
      for (const port of boardPins(board).keys()) expect(v, `${board.name}: ${port}`).toMatch(new RegExp(`\\b(input|output)\\s+wire\\s+${port}\\b`));
    }
  });

  it('inverts active-low LEDs, drives the RGB LED through SB_RGBA_DRV and ties the flash select high', () => {
    const ib = boardShell(getBoard('icebreaker')).text;
    expect(ib).toMatch(/assign ledr_n = ~led\[1\];/);
    expect(ib).toMatch(/assign led1 = led\[1\];/);
    expect(ib).not.toContain('SB_RGBA_DRV');
    const up = boardShell(getBoard('upduino3')).text;
    // RGB0 is pin 39 (green here), RGB2 pin 41 (red): channels follow the pins.
    expect(up).toMatch(/\.RGB0PWM\(led\[0\]\)/);
    expect(up).toMatch(/\.RGB2PWM\(led\[1\]\)/);
    expect(up).toMatch(/\.RGB0\(led_green\)/);
    expect(up).toMatch(/\.RGB2\(led_red\)/);
    expect(up).toMatch(/assign flash_cs_n = 1'b1;/);
    expect(up).not.toMatch(/assign led_green/);
  });
});

describe('fit checks', () => {
  it('counts SB_RAM40_4K for a memory by the best aspect ratio', () => {
    expect(ebrFor(256, 16)).toBe(1);
    expect(ebrFor(512, 8)).toBe(1);
    expect(ebrFor(257, 16)).toBe(2);
    expect(ebrFor(64, STORE_ENTRY_BITS)).toBe(Math.ceil(STORE_ENTRY_BITS / 16));
    expect(ebrEstimate({ capacity: 64 })).toBe(ebrFor(64, STORE_ENTRY_BITS) + LINK_EBR);
  });

  it('every board default config passes the block-RAM pre-check', () => {
    for (const b of BOARDS) expect(() => checkConfigFits(b, boardConfig(b))).not.toThrow();
  });

  it('an oversized capacity fails before any tool runs, naming the block RAM and the largest that fits', () => {
    const b = getBoard('icestick');
    const big = boardConfig(b, { capacity: 4096, quota: 64 });
    let err: unknown;
    try {
      checkConfigFits(b, big);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FitError);
    const fit = err as FitError;
    expect(fit.resource).toBe('EBR');
    expect(fit.stage).toBe('config');
    expect(fit.needed).toBe(ebrEstimate(big));
    expect(fit.available).toBe(16);
    expect(fit.message).toContain(`largest power-of-two capacity that fits icestick is ${maxCapacityByEbr(b)}`);
    expect(() => checkConfigFits(b, boardConfig(b, { capacity: maxCapacityByEbr(b) }))).not.toThrow();
    expect(() => checkConfigFits(b, boardConfig(b, { capacity: maxCapacityByEbr(b) * 2 }))).toThrow(FitError);
  });

  it('checks synthesised cells against the device: LCs, block RAM, DSPs', () => {
    const stick = getBoard('icestick');
    expect(cellDemand({ SB_LUT4: 900, SB_DFFE: 1000, SB_DFF: 300, SB_CARRY: 50 }).LCs).toBe(1300);
    expect(() => checkCellsFit(stick, { SB_LUT4: 1000, SB_DFF: 300 })).not.toThrow();
    expect(() => checkCellsFit(stick, { SB_LUT4: 1281 })).toThrow(/needs 1281 LCs, the device has 1280/);
    expect(() => checkCellsFit(stick, { SB_RAM40_4K: 17 })).toThrow(/needs 17 EBR/);
    expect(() => checkCellsFit(stick, { SB_MAC16: 1 })).toThrow(/needs 1 DSP, the device has 0/);
    expect(() => checkCellsFit(getBoard('icebreaker'), { SB_MAC16: 8, SB_RAM40_4K: 30 })).not.toThrow();
  });

  it('classifies nextpnr running out of cells during placement', () => {
    const log = "Info: Placed 10 cells\nERROR: Unable to place cell 'x_DFFLC', no BELs remaining to implement cell type 'ICESTORM_LC'\n";
    const e = placementFitError(getBoard('icestick'), log);
    expect(e).toBeInstanceOf(FitError);
    expect(e!.resource).toBe('LCs');
    expect(e!.message).toMatch(/needs more than 1280 LCs/);
    expect(placementFitError(getBoard('icestick'), 'ERROR: something else')).toBeUndefined();
  });

  it('knows the nextpnr flag of every device a board uses', () => {
    for (const b of BOARDS) expect(DEVICES[b.device].nextpnr).toMatch(/^--(hx1k|up5k)$/);
  });
});
