/**
 * Everything the core's blocks derive from a config and the spec: widths, module names,
 * payload byte offsets. One place, so the blocks agree on every width.
 */
import {
  FIELD_BYTES,
  GENERATION_BITS,
  MAX_REQUEST_PAYLOAD,
  OPS,
  SLOT_BITS,
  STAMP_BITS,
  addressBits,
  countBits,
  type CoreConfig,
  type Field,
  type Layout,
  type OpName,
} from '../../spec/index.js';

export const MODULES = {
  core: 'janela_core',
  bank: 'janela_window_bank',
  scorer: 'janela_salience_scorer',
  store: 'janela_content_store',
  response: 'janela_core_response',
} as const;

/** Options of the generator; `mutation` builds a deliberately broken core for the proofs. */
export interface CoreOptions {
  /** 'count-overflow': the open gate lets openCount reach maxWindows + 1. */
  readonly mutation?: 'count-overflow';
}

/** Store entry metadata word: {valid, slot, sal}. */
export const META_BITS = 1 + SLOT_BITS + 8;
/** Sort keys: (8-bit salience part, 40-bit stamp). */
export const KEY_BITS = 8 + STAMP_BITS;
export const CMD_DATA_BITS = 8 * MAX_REQUEST_PAYLOAD;

export interface CoreShape {
  readonly config: CoreConfig;
  readonly options: CoreOptions;
  /** Store address width. */
  readonly addrBits: number;
  /** itemCount and per-pass match counters: 0..capacity. */
  readonly itemCountBits: number;
  /** items[s]: 0..quota. */
  readonly slotItemBits: number;
  /** openCount: 0..maxWindows (one more under the count-overflow mutation). */
  readonly openCountBits: number;
  readonly slotBits: number;
  readonly genBits: number;
  readonly stampBits: number;
}

export function coreShape(config: CoreConfig, options: CoreOptions = {}): CoreShape {
  return {
    config,
    options,
    addrBits: addressBits(config.capacity),
    itemCountBits: countBits(config.capacity),
    slotItemBits: countBits(config.quota),
    openCountBits: countBits(config.maxWindows + (options.mutation === 'count-overflow' ? 1 : 0)),
    slotBits: SLOT_BITS,
    genBits: GENERATION_BITS,
    stampBits: STAMP_BITS,
  };
}

/** Byte offset of a request field of `op`, looking through the fixed fields and the optional tail. */
export function requestOffset(op: OpName, name: string): number {
  const layout: Layout = OPS[op].request;
  let offset = 0;
  for (const f of [...layout.fields, ...(layout.optional ?? [])] as Field[]) {
    if (f.name === name) return offset;
    offset += FIELD_BYTES[f.type];
  }
  throw new Error(`request of ${op} has no field ${name}`);
}

/** Verilog part-select of the latched request for a field of `bytes` bytes at byte `offset`. */
export function reqSlice(offset: number, bytes: number, reg = 'req_data'): string {
  return `${reg}[${8 * (offset + bytes) - 1}:${8 * offset}]`;
}
