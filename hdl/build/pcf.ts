/** Physical constraint files: reading them, and checking them against the board table. */
import { readFile } from 'node:fs/promises';
import { type Board, pcfPath } from '../../constraints/boards.js';
import { ConstraintError } from './errors.js';

/** port → pin of every `set_io` line (options such as -nowarn or -pullup yes are skipped). */
export function parsePcf(text: string): Map<string, number> {
  const pins = new Map<string, number>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const words = line.split(/\s+/);
    if (words[0] !== 'set_io') continue;
    const args: string[] = [];
    for (let k = 1; k < words.length; k++) {
      const w = words[k]!;
      if (w === '-pullup' || w === '-pullup_resistor') k++;
      else if (!w.startsWith('-')) args.push(w);
    }
    const [port, pinText] = args;
    const pin = Number(pinText);
    if (!port || !Number.isInteger(pin) || args.length !== 2) {
      throw new ConstraintError(`pcf line ${i + 1}: expected 'set_io <port> <pin>', got '${raw.trim()}'`);
    }
    if (pins.has(port)) throw new ConstraintError(`pcf line ${i + 1}: port ${port} constrained twice`);
    pins.set(port, pin);
  }
  return pins;
}

/** port → pin the board table says janela_board has. */
export function boardPins(board: Board): Map<string, number> {
  return new Map<string, number>([
    [board.clock.port, board.clock.pin],
    ['uart_rx', board.uart.rx],
    ['uart_tx', board.uart.tx],
    ...board.leds.map((l) => [l.port, l.pin] as [string, number]),
    ...board.tieHigh.map((t) => [t.port, t.pin] as [string, number]),
  ]);
}

/** Every difference between a pcf and the table, in words; empty when they agree. */
export function pcfMismatches(board: Board, pcf: Map<string, number>): string[] {
  const want = boardPins(board);
  const out: string[] = [];
  for (const [port, pin] of want) {
    const got = pcf.get(port);
    if (got === undefined) out.push(`${port} (pin ${pin}) is in the board table but not in the pcf`);
    else if (got !== pin) out.push(`${port}: table says pin ${pin}, pcf says pin ${got}`);
  }
  for (const [port, pin] of pcf) {
    if (!want.has(port)) out.push(`${port} (pin ${pin}) is in the pcf but not in the board table`);
  }
  return out;
}

/** Reads constraints/<board>.pcf and refuses it unless it matches the table exactly. */
export async function loadPcf(board: Board): Promise<string> {
  const path = pcfPath(board);
  const text = await readFile(path, 'utf8').catch(() => {
    throw new ConstraintError(`missing constraints file ${path}`);
  });
  const diff = pcfMismatches(board, parsePcf(text));
  if (diff.length) throw new ConstraintError(`${path} disagrees with constraints/boards.ts: ${diff.join('; ')}`);
  return text;
}
