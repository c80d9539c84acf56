/**
 * Programming a board: the first flasher of the board's list found on PATH (iceprog, then
 * openFPGALoader), with the board's arguments. Before running it, the USB bus is checked
 * for the board's FTDI bridge, so "nothing attached" is a clear error, not a tool's.
 */
import { execFile } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, readFile, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Board } from '../../constraints/boards.js';
import { BitstreamMissingError, BoardNotFoundError, FlashError, FlasherMissingError } from './errors.js';

export interface FlashOptions {
  readonly board: Board;
  /** The bitstream (janela.bin). */
  readonly bin: string;
  /** Load the configuration SRAM instead of writing the flash (lost at power-off). */
  readonly sram?: boolean;
  /** Search path for the flashers; default $PATH. */
  readonly path?: string;
  /** Where USB devices are listed; default /sys/bus/usb/devices. */
  readonly usbRoot?: string;
  /** Called with the flasher's output lines as they come. */
  readonly onOutput?: (text: string) => void;
}

export interface FlashResult {
  readonly tool: string;
  readonly args: readonly string[];
  readonly output: string;
}

/** The executable's path when `name` is on the search path. */
export async function which(name: string, searchPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of searchPath.split(delimiter).filter(Boolean)) {
    const p = join(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Whether a USB device vid:pid is attached, from sysfs; undefined when sysfs is not
 * there to ask (another OS, a sandbox), in which case the flasher's own error decides.
 */
export async function usbAttached(vid: string, pid: string, root = '/sys/bus/usb/devices'): Promise<boolean | undefined> {
  if (!existsSync(root)) return undefined;
  for (const dev of await readdir(root)) {
    const read = (f: string) => readFile(join(root, dev, f), 'utf8').then((s) => s.trim().toLowerCase(), () => '');
    if ((await read('idVendor')) === vid && (await read('idProduct')) === pid) return true;
  }
  return false;
}

/** What the flashers print when they cannot open the FTDI bridge. */
const NOT_FOUND = /Can't find iCE FTDI USB device|unable to open ftdi device|device not found|No cable found|fails to open device/i;

export async function flash(opts: FlashOptions): Promise<FlashResult> {
  const { board } = opts;
  if (!existsSync(opts.bin)) {
    throw new BitstreamMissingError(`no bitstream at ${opts.bin}: run 'janela build --board ${board.name}' first`);
  }
  const usable = board.flashers.filter((f) => !opts.sram || f.sram !== null);
  let chosen: { tool: string; exe: string; args: string[] } | undefined;
  for (const f of usable) {
    const exe = await which(f.tool, opts.path);
    if (exe) {
      chosen = { tool: f.tool, exe, args: [...(opts.sram ? f.sram! : f.flash), opts.bin] };
      break;
    }
  }
  if (!chosen) throw new FlasherMissingError(usable.length ? usable : board.flashers);

  const bridge = `${board.usb.chip} (USB ${board.usb.vid}:${board.usb.pid})`;
  const attached = await usbAttached(board.usb.vid, board.usb.pid, opts.usbRoot);
  if (attached === false) {
    throw new BoardNotFoundError(`no ${board.title} attached: no ${bridge} on the USB bus; plug the board in (and check the cable carries data)`);
  }

  const output = await new Promise<{ code: number; text: string }>((done) => {
    const child = execFile(chosen.exe, chosen.args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      done({ code, text: `${stdout}${stderr}` });
    });
    if (opts.onOutput) {
      child.stdout?.on('data', (d: Buffer) => opts.onOutput!(d.toString()));
      child.stderr?.on('data', (d: Buffer) => opts.onOutput!(d.toString()));
    }
  });
  if (output.code !== 0) {
    if (NOT_FOUND.test(output.text)) {
      throw attached
        ? new FlashError(
            `${chosen.tool} sees no board although a ${bridge} is attached: it is probably not allowed to open it; install the udev rule from docs/boards.md (or check that no other program holds the device)`,
            output.text,
          )
        : new BoardNotFoundError(`no ${board.title} attached: ${chosen.tool} found no ${bridge}`);
    }
    const tail = output.text.trim().split('\n').slice(-5).join(' | ');
    throw new FlashError(`${chosen.tool} ${chosen.args.join(' ')} failed (exit ${output.code}): ${tail}`, output.text);
  }
  return { tool: chosen.tool, args: chosen.args, output: output.text };
}
