/**
 * Derived parameters of the serial link: the UART bit period and the layout of the
 * response ring. Every link block reads them from here, so the blocks agree.
 */
import {
  ConfigError,
  IN_FLIGHT,
  INFO_LAYOUT,
  MAX_REQUEST_PAYLOAD,
  MAX_RESPONSE_PAYLOAD,
  layoutBytes,
  type CoreConfig,
} from '../../spec/index.js';

/** Largest relative error between the configured baud and the one the divider gives. */
export const MAX_BAUD_ERROR = 0.02;
/**
 * Fewest clock cycles per bit: the receiver samples at mid-bit after a 2-FF synchroniser,
 * so it needs a few cycles per bit to find the middle.
 */
export const MIN_BIT_CYCLES = 4;
/** The receiver drops a partial frame after the line idles this many bit times. */
export const IDLE_TIMEOUT_BITS = 20;

/** Clock cycles per bit for the config's clockHz/baud; refuses a baud the clock cannot make. */
export function bitCyclesFor(config: Pick<CoreConfig, 'clockHz' | 'baud'>): number {
  const cycles = Math.round(config.clockHz / config.baud);
  if (cycles < MIN_BIT_CYCLES) {
    throw new ConfigError([
      {
        path: 'baud',
        message: `baud ${config.baud} needs at least ${MIN_BIT_CYCLES} clock cycles per bit; clockHz ${config.clockHz} gives ${(config.clockHz / config.baud).toFixed(2)}`,
      },
    ]);
  }
  const actual = config.clockHz / cycles;
  const error = Math.abs(actual - config.baud) / config.baud;
  if (error > MAX_BAUD_ERROR) {
    throw new ConfigError([
      {
        path: 'baud',
        message: `baud ${config.baud} is ${(error * 100).toFixed(2)} % off at clockHz ${config.clockHz} (divider ${cycles} gives ${actual.toFixed(0)}); at most ${MAX_BAUD_ERROR * 100} % is accepted`,
      },
    ]);
  }
  return cycles;
}

/** Checks a bit-period override (simulation): an integer of at least MIN_BIT_CYCLES. */
export function checkBitCycles(bitCycles: number): number {
  if (!Number.isInteger(bitCycles) || bitCycles < MIN_BIT_CYCLES || bitCycles > 1 << 20) {
    throw new ConfigError([
      { path: 'bitCycles', message: `bitCycles must be an integer in ${MIN_BIT_CYCLES}..${1 << 20}, got ${bitCycles}` },
    ]);
  }
  return bitCycles;
}

/** Bits of an index 0..n-1. */
export function indexBits(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n)));
}

/** Status byte plus the largest payload: one ring slot. */
export const RESPONSE_SLOT_BYTES = 1 + MAX_RESPONSE_PAYLOAD;
/** A SYNC answer (status + INFO payload) goes to a scratch slot after the ring, never replayed. */
export const SCRATCH_SLOT_BYTES = 1 + layoutBytes(INFO_LAYOUT.fields);

/**
 * The response RAM: IN_FLIGHT replay slots, then the scratch slot, packed back to back
 * (not at power-of-two strides) so that four 243-byte slots and the scratch fit 1 KiB,
 * two SB_RAM40_4K.
 */
export interface RingLayout {
  /** Slots 0..IN_FLIGHT-1 hold executed responses; slot IN_FLIGHT is the scratch slot. */
  readonly slots: number;
  readonly slotBits: number;
  /** First RAM address of each slot. */
  readonly base: readonly number[];
  /** Bytes each slot can hold (longer responses are cut, never spill into the next slot). */
  readonly size: readonly number[];
  readonly addrBits: number;
}

export function ringLayout(): RingLayout {
  const slots = IN_FLIGHT + 1;
  const base: number[] = [];
  for (let i = 0; i <= IN_FLIGHT; i++) base.push(i * RESPONSE_SLOT_BYTES);
  const used = IN_FLIGHT * RESPONSE_SLOT_BYTES + SCRATCH_SLOT_BYTES;
  const addrBits = indexBits(used);
  // The sequencer counts a response's bytes in 8 bits (LEN is a byte), so no slot needs more than 256.
  if (RESPONSE_SLOT_BYTES > 256) throw new Error(`a response slot of ${RESPONSE_SLOT_BYTES} bytes does not fit a byte LEN`);
  const size = base.map((b, i) => (i < IN_FLIGHT ? RESPONSE_SLOT_BYTES : Math.min(256, (1 << addrBits) - b)));
  return { slots, slotBits: indexBits(slots), base, size, addrBits };
}

/** Request queue: IN_FLIGHT slots of MAX_REQUEST_PAYLOAD bytes at a power-of-two stride. */
export const QUEUE_SLOT_BITS = indexBits(IN_FLIGHT);
export const QUEUE_INDEX_BITS = indexBits(MAX_REQUEST_PAYLOAD + 1);
/** Bits of a request LEN (0..MAX_REQUEST_PAYLOAD). */
export const REQUEST_LEN_BITS = indexBits(MAX_REQUEST_PAYLOAD + 1);

/** Everything the link generator needs, resolved once. */
export interface LinkParams {
  readonly bitCycles: number;
  readonly ring: RingLayout;
}

export function linkParams(config: CoreConfig, options: { bitCycles?: number } = {}): LinkParams {
  const fromConfig = bitCyclesFor(config);
  const bitCycles = options.bitCycles === undefined ? fromConfig : checkBitCycles(options.bitCycles);
  return { bitCycles, ring: ringLayout() };
}
