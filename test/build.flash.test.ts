/**
 * Flashing without hardware: fake flashers (shell scripts on a private PATH) and a fake
 * USB device list stand in for iceprog, openFPGALoader and the board.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getBoard } from '../constraints/boards.js';
import { makeFlashCommand } from '../host/cli/commands/flash.js';
import { BitstreamMissingError, BoardNotFoundError, FlashError, FlasherMissingError } from '../hdl/build/errors.js';
import { flash, usbAttached } from '../hdl/build/flash.js';

let work: string;
let bin: string;

/** A folder holding an executable `name` that runs `script` (sh). */
async function fakeTool(name: string, script: string): Promise<string> {
  const dir = await mkdtemp(join(work, `${name}-`));
  await writeFile(join(dir, name), `#!/bin/sh\n${script}\n`);
  await chmod(join(dir, name), 0o755);
  return dir;
}

/** A sysfs-like USB device list with the given vid:pid pairs. */
async function usbRoot(devices: [string, string][]): Promise<string> {
  const root = await mkdtemp(join(work, 'usb-'));
  for (const [i, [vid, pid]] of devices.entries()) {
    await mkdir(join(root, `1-${i}`));
    await writeFile(join(root, `1-${i}`, 'idVendor'), `${vid}\n`);
    await writeFile(join(root, `1-${i}`, 'idProduct'), `${pid}\n`);
  }
  return root;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'janela-flash-'));
  bin = join(work, 'janela.bin');
  await writeFile(bin, new Uint8Array([0xff, 0x00, 0x00, 0xff]));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('flash', () => {
  const icestick = getBoard('icestick');

  it('names both flashers and their Debian packages when neither is installed', async () => {
    const empty = await mkdtemp(join(work, 'empty-'));
    const err = await flash({ board: icestick, bin, path: empty }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlasherMissingError);
    expect((err as Error).message).toMatch(/iceprog \(sudo apt-get install fpga-icestorm\)/);
    expect((err as Error).message).toMatch(/openFPGALoader \(sudo apt-get install openfpgaloader\)/);
  });

  it('says to build first when there is no bitstream', async () => {
    await expect(flash({ board: icestick, bin: join(work, 'none.bin'), path: '' })).rejects.toThrow(BitstreamMissingError);
    await expect(flash({ board: icestick, bin: join(work, 'none.bin'), path: '' })).rejects.toThrow(/janela build --board icestick/);
  });

  it('refuses with BoardNotFoundError when the board\'s USB bridge is not attached, without running the tool', async () => {
    const marker = join(work, 'ran-1');
    const path = await fakeTool('iceprog', `touch ${marker}; exit 0`);
    const usb = await usbRoot([['1d6b', '0002']]);
    const err = await flash({ board: icestick, bin, path, usbRoot: usb }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardNotFoundError);
    expect((err as Error).message).toMatch(/no .*iCEstick.* attached.*FT2232H \(USB 0403:6010\)/);
    await expect(readFile(marker)).rejects.toThrow();
  });

  it('runs iceprog with the board\'s arguments and the bitstream, flash or SRAM', async () => {
    const argsFile = join(work, 'args');
    const path = await fakeTool('iceprog', `echo "$@" > ${argsFile}; echo done`);
    const usb = await usbRoot([['0403', '6010']]);
    const r = await flash({ board: icestick, bin, path, usbRoot: usb });
    expect(r.tool).toBe('iceprog');
    expect((await readFile(argsFile, 'utf8')).trim()).toBe(bin);
    await flash({ board: icestick, bin, path, usbRoot: usb, sram: true });
    expect((await readFile(argsFile, 'utf8')).trim()).toBe(`-S ${bin}`);
    // The UPduino's FT232H is a different USB device, and iceprog is told so.
    const up = await usbRoot([['0403', '6014']]);
    await flash({ board: getBoard('upduino3'), bin, path, usbRoot: up });
    expect((await readFile(argsFile, 'utf8')).trim()).toBe(`-d i:0x0403:0x6014 ${bin}`);
  });

  it('falls back to openFPGALoader when iceprog is missing', async () => {
    const argsFile = join(work, 'args-ofl');
    const path = await fakeTool('openFPGALoader', `echo "$@" > ${argsFile}`);
    const r = await flash({ board: icestick, bin, path, usbRoot: await usbRoot([['0403', '6010']]) });
    expect(r.tool).toBe('openFPGALoader');
    expect((await readFile(argsFile, 'utf8')).trim()).toBe(`-b ice40_generic -f ${bin}`);
  });

  it('turns the flasher\'s "cannot find the device" into BoardNotFoundError when USB cannot be listed', async () => {
    const path = await fakeTool('iceprog', `echo "Can't find iCE FTDI USB device (vendor_id 0x0403, device_id 0x6010 or 0x6014)." >&2; exit 2`);
    const err = await flash({ board: icestick, bin, path, usbRoot: join(work, 'no-sysfs') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BoardNotFoundError);
    // With the bridge on the bus, the same message means the tool may not open it: say so.
    const err2 = await flash({ board: icestick, bin, path, usbRoot: await usbRoot([['0403', '6010']]) }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(FlashError);
    expect((err2 as Error).message).toMatch(/udev rule/);
  });

  it('reports any other flasher failure with its exit code and last lines', async () => {
    const path = await fakeTool('iceprog', 'echo "flash ID: 0xFF 0xFF"; echo "verify failed" >&2; exit 1');
    const err = await flash({ board: icestick, bin, path, usbRoot: await usbRoot([['0403', '6010']]) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlashError);
    expect((err as Error).message).toMatch(/exit 1.*verify failed/);
  });

  it('reads the USB device list, and says when there is none to read', async () => {
    const usb = await usbRoot([['0403', '6010']]);
    expect(await usbAttached('0403', '6010', usb)).toBe(true);
    expect(await usbAttached('0403', '6014', usb)).toBe(false);
    expect(await usbAttached('0403', '6010', join(work, 'absent'))).toBeUndefined();
  });
});

describe('janela flash command', () => {
  it('throws the typed errors main.ts prints without a stack trace', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const empty = await mkdtemp(join(work, 'empty-'));
      const cmd = makeFlashCommand({ path: empty, usbRoot: await usbRoot([]) });
      const missingTool = await cmd.run(['--board', 'icestick', '--bin', bin]).catch((e: unknown) => e);
      expect(missingTool).toBeInstanceOf(FlasherMissingError);
      expect((missingTool as Error).name).toBe('FlasherMissingError');

      const withTool = makeFlashCommand({ path: await fakeTool('iceprog', 'exit 0'), usbRoot: await usbRoot([]) });
      const noBoard = await withTool.run(['--board', 'icebreaker', '--bin', bin]).catch((e: unknown) => e);
      expect(noBoard).toBeInstanceOf(BoardNotFoundError);
      expect((noBoard as Error).name).toBe('BoardNotFoundError');

      await expect(cmd.run(['--board', 'nope'])).rejects.toThrow(/unknown board 'nope'/);
      await expect(cmd.run([])).rejects.toThrow(/--board is required/);
    } finally {
      stderr.mockRestore();
    }
  });

  it('programs and names the UART to use', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const cmd = makeFlashCommand({ path: await fakeTool('iceprog', 'exit 0'), usbRoot: await usbRoot([['0403', '6010']]) });
      expect(await cmd.run(['--board', 'icebreaker', '--bin', bin])).toBe(0);
      expect(String(out.mock.calls[0]?.[0])).toMatch(/\/dev\/ttyUSB1 at 115200 baud/);
    } finally {
      out.mockRestore();
      stderr.mockRestore();
    }
  });
});
