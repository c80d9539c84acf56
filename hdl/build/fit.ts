/**
 * Fit checks, before the slow tools run: the config against the block RAM (the content
 * store is the one memory that grows with the config), then the synthesised cell counts
 * against the device. Placement failures are caught afterwards from nextpnr's error line.
 */
import type { Board } from '../../constraints/boards.js';
import { SLOT_BITS, STAMP_BITS, type CoreConfig } from '../../spec/params.js';
import { FitError, type Resource } from './errors.js';

/** One content-store entry: valid, slot, salience (u8), stamp, handle (u64). */
export const STORE_ENTRY_BITS = 1 + SLOT_BITS + 8 + STAMP_BITS + 64;

/**
 * Block RAM the serial link uses whatever the config: the response ring (1 KiB, two
 * SB_RAM40_4K) and the request queue (one). See hdl/link/params.ts.
 */
export const LINK_EBR = 3;

/** SB_RAM40_4K aspect ratios: depth × width. */
const EBR_MODES = [
  [256, 16],
  [512, 8],
  [1024, 4],
  [2048, 2],
] as const;

/** Fewest SB_RAM40_4K that hold a depth × width memory (Yosys picks among these modes). */
export function ebrFor(depth: number, width: number): number {
  return Math.min(...EBR_MODES.map(([d, w]) => Math.ceil(depth / d) * Math.ceil(width / w)));
}

/** Block RAM the core needs for a config: the store plus the link's fixed share. */
export function ebrEstimate(config: Pick<CoreConfig, 'capacity'>): number {
  return ebrFor(config.capacity, STORE_ENTRY_BITS) + LINK_EBR;
}

/** Largest capacity whose block RAM fits the board (by the estimate above). */
export function maxCapacityByEbr(board: Board): number {
  let lo = 0;
  for (let c = 1; c <= 4096; c *= 2) if (ebrEstimate({ capacity: c }) <= board.resources.ebr) lo = c;
  return lo;
}

/** The config pre-check: throws FitError naming the block RAM before any tool runs. */
export function checkConfigFits(board: Board, config: CoreConfig): void {
  const need = ebrEstimate(config);
  if (need > board.resources.ebr) {
    throw new FitError(
      board.name,
      'EBR',
      need,
      board.resources.ebr,
      'config',
      `capacity ${config.capacity} needs ${need - LINK_EBR} block RAMs for the store (${STORE_ENTRY_BITS}-bit entries) plus ${LINK_EBR} for the link; the largest power-of-two capacity that fits ${board.name} is ${maxCapacityByEbr(board)}`,
    );
  }
}

const sumOf = (cells: Readonly<Record<string, number>>, pred: (type: string) => boolean) =>
  Object.entries(cells)
    .filter(([t]) => pred(t))
    .reduce((s, [, n]) => s + n, 0);

/**
 * Lower bounds from the synthesised cells: each logic cell holds one LUT and one
 * flip-flop, so max(LUTs, flip-flops) cells are needed at least; RAM, DSP and SPRAM
 * cells map one to one.
 */
export function cellDemand(cells: Readonly<Record<string, number>>): Record<Exclude<Resource, 'IOs'>, number> {
  return {
    LCs: Math.max(sumOf(cells, (t) => t === 'SB_LUT4'), sumOf(cells, (t) => t.startsWith('SB_DFF'))),
    EBR: sumOf(cells, (t) => t.startsWith('SB_RAM40_4K')),
    DSP: sumOf(cells, (t) => t === 'SB_MAC16'),
    SPRAM: sumOf(cells, (t) => t === 'SB_SPRAM256KA'),
  };
}

const SPRAM_PER_DEVICE: Record<Board['device'], number> = { iCE40HX1K: 0, iCE40UP5K: 4 };

/** The post-synthesis check: throws FitError for the first resource the cells exceed. */
export function checkCellsFit(board: Board, cells: Readonly<Record<string, number>>): void {
  const need = cellDemand(cells);
  const have: Record<keyof typeof need, number> = {
    LCs: board.resources.lcs,
    EBR: board.resources.ebr,
    DSP: board.resources.dsp,
    SPRAM: SPRAM_PER_DEVICE[board.device],
  };
  for (const r of Object.keys(need) as (keyof typeof need)[]) {
    if (need[r] > have[r]) {
      // The core's logic hardly shrinks with capacity, so a smaller config rarely helps here.
      const hint =
        r === 'LCs'
          ? `${cells.SB_LUT4 ?? 0} LUTs after synthesis, and each logic cell holds one (the logic barely depends on capacity; see docs/boards.md)`
          : '';
      throw new FitError(board.name, r, need[r], have[r], 'synthesis', hint);
    }
  }
}

/** nextpnr's names for the resources it runs out of. */
const BEL_RESOURCE: Record<string, Resource> = {
  ICESTORM_LC: 'LCs',
  ICESTORM_RAM: 'EBR',
  ICESTORM_DSP: 'DSP',
  ICESTORM_SPRAM: 'SPRAM',
  SB_IO: 'IOs',
};

/**
 * Placement that runs out of cells stops without a report; its one error line names the
 * cell type ("no BELs remaining to implement cell type 'ICESTORM_LC'").
 */
export function placementFitError(board: Board, log: string): FitError | undefined {
  const m = /no BELs remaining to implement cell type '([A-Z_0-9]+)'/.exec(log);
  if (!m) return undefined;
  const resource = BEL_RESOURCE[m[1]!] ?? 'LCs';
  const have = {
    LCs: board.resources.lcs,
    EBR: board.resources.ebr,
    DSP: board.resources.dsp,
    SPRAM: SPRAM_PER_DEVICE[board.device],
    IOs: board.resources.ios,
  }[resource];
  return new FitError(board.name, resource, null, have, 'placement', `nextpnr: ${m[0]}`);
}
