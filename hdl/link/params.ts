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

/**
 * Every answer is sent from a slot of the response RAM that holds the frame's bytes from
 * LEN on: LEN, SEQ, then the status and payload. So a transmit job is just a slot number,
 * and the sequence logic keeps no lengths or sequence numbers of its own.
 */
export const SLOT_HEADER_BYTES = 2;
/** Header, status and the largest payload: one replay slot. */
export const RESPONSE_SLOT_BYTES = SLOT_HEADER_BYTES + 1 + MAX_RESPONSE_PAYLOAD;
/** A SYNC answer (status + INFO payload) goes to a scratch slot after the ring, never replayed. */
export const SCRATCH_SLOT_BYTES = SLOT_HEADER_BYTES + 1 + layoutBytes(INFO_LAYOUT.fields);
/** A BadSequence answer: header, status and the one-byte payload `expected`. */
export const BAD_SEQUENCE_SLOT_BYTES = SLOT_HEADER_BYTES + 1 + 1;
/** Transmit jobs waiting for the transmitter. One per answered request; the sequencer stalls when full. */
export const JOB_QUEUE_DEPTH = IN_FLIGHT;
/**
 * BadSequence answers are written to these slots in turn. A job lives from its push until
 * its last byte went to the UART; a new answer is written only when the job queue has
 * room, so at most JOB_QUEUE_DEPTH − 1 jobs are queued and one is being sent. The slot it
 * takes was last used BAD_SEQUENCE_SLOTS BadSequence answers ago, by no live job.
 */
export const BAD_SEQUENCE_SLOTS = JOB_QUEUE_DEPTH + 1;

/**
 * The response RAM: IN_FLIGHT replay slots, the scratch slot, then the BadSequence slots,
 * packed back to back (not at power-of-two strides) so that they fit 1 KiB, two SB_RAM40_4K.
 */
export interface RingLayout {
  /**
   * Slot numbers: 0..IN_FLIGHT-1 hold executed responses, IN_FLIGHT is the scratch slot, and
   * the BadSequence slots start at the next power of two, so that slot number is the
   * rotating index with its top bit set (no adder).
   */
  readonly ids: readonly number[];
  readonly slotBits: number;
  readonly scratchSlot: number;
  readonly firstBadSequenceSlot: number;
  /** First RAM address of each slot (in the order of ids). */
  readonly base: readonly number[];
  /** Bytes each slot can hold, header included (longer responses are cut, never spill into the next slot). */
  readonly size: readonly number[];
  readonly addrBits: number;
}

export function ringLayout(): RingLayout {
  const size = [
    ...Array.from({ length: IN_FLIGHT }, () => RESPONSE_SLOT_BYTES),
    SCRATCH_SLOT_BYTES,
    ...Array.from({ length: BAD_SEQUENCE_SLOTS }, () => BAD_SEQUENCE_SLOT_BYTES),
  ];
  const firstBadSequenceSlot = 1 << indexBits(IN_FLIGHT + 1);
  if (BAD_SEQUENCE_SLOTS > firstBadSequenceSlot) throw new Error('the BadSequence slot numbers overlap');
  const ids = [
    ...Array.from({ length: IN_FLIGHT + 1 }, (_, i) => i),
    ...Array.from({ length: BAD_SEQUENCE_SLOTS }, (_, i) => firstBadSequenceSlot + i),
  ];
  const base: number[] = [];
  let used = 0;
  for (const n of size) {
    base.push(used);
    used += n;
  }
  // The sequencer counts a slot's bytes in 8 bits, and LEN is a byte.
  if (RESPONSE_SLOT_BYTES > 255) throw new Error(`a response slot of ${RESPONSE_SLOT_BYTES} bytes does not fit a byte counter`);
  return {
    ids,
    slotBits: indexBits(firstBadSequenceSlot * 2),
    scratchSlot: IN_FLIGHT,
    firstBadSequenceSlot,
    base,
    size,
    addrBits: indexBits(used),
  };
}

/**
 * Request queue: IN_FLIGHT slots in block RAM at a power-of-two stride, each holding a
 * frame's payload at bytes 0.. and its LEN, SEQ and OP in the last three bytes (so the
 * queue keeps no header registers). The header sits just below the wrap, so a frame's
 * bytes from LEN to the end of the payload go to consecutive indices: one counter
 * writes them, and one reads them back.
 */
export const QUEUE_SLOT_BITS = indexBits(IN_FLIGHT);
/** Bits of a payload byte index (0..MAX_REQUEST_PAYLOAD). */
export const QUEUE_INDEX_BITS = indexBits(MAX_REQUEST_PAYLOAD + 1);
/** Bits of a byte index within a queue slot: payload plus the three header bytes. */
export const QUEUE_ROW_BITS = indexBits(MAX_REQUEST_PAYLOAD + 3);
export const QUEUE_LEN_INDEX = (1 << QUEUE_ROW_BITS) - 3;
export const QUEUE_SEQ_INDEX = (1 << QUEUE_ROW_BITS) - 2;
export const QUEUE_OP_INDEX = (1 << QUEUE_ROW_BITS) - 1;
if (QUEUE_LEN_INDEX < MAX_REQUEST_PAYLOAD + 1) throw new Error('the request queue header overlaps the payload');
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
