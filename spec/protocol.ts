/**
 * The wire protocol, defined once: opcodes, status codes, frame constants and the byte
 * layout of every request and response. The Verilog generator reads the opcode and
 * length tables from here; the host codec encodes and decodes from the same layouts.
 * docs/protocol.md describes these bytes for readers in any language.
 */
import { MAX_PAGE } from './params.js';

export const PROTOCOL_VERSION = 1;

/** Frame: SYNC · LEN · SEQ · OP|STATUS · PAYLOAD[LEN] · CRC32 (little-endian). */
export const REQUEST_SYNC = 0xa5;
export const RESPONSE_SYNC = 0x5a;
/** Bytes before the payload (sync, len, seq, op) and after it (crc). */
export const FRAME_HEADER_BYTES = 4;
export const FRAME_TRAILER_BYTES = 4;
/** Requests carry at most this many payload bytes; a longer LEN is a bad frame. */
export const MAX_REQUEST_PAYLOAD = 15;
/** Responses kept for replay (and so the most requests in flight); a power of two. */
export const IN_FLIGHT = 4;

/**
 * CRC-32C (Castagnoli, as in iSCSI and ext4): reflected in and out, so bytes are processed
 * least significant bit first with the reflected polynomial. Chosen over CRC-16 because
 * fault-injection runs (1 % drop + 1 % flip) let about one corrupted frame in 65 536 through a
 * 16-bit check; and over CRC-32/IEEE because its Hamming distance stays 6 up to 5243 bits,
 * beyond our longest frame (250 bytes, 245 of them covered).
 */
export const CRC = {
  name: 'CRC-32C',
  width: 32,
  poly: 0x1edc6f41,
  /** The polynomial bit-reversed, as the LSB-first update uses it. */
  polyReflected: 0x82f63b78,
  init: 0xffffffff,
  xorout: 0xffffffff,
  /** CRC of the ASCII bytes "123456789". */
  check: 0xe3069283,
} as const;

/** One-byte steps of the reflected (LSB-first) CRC register, indexed by its low byte xor the data. */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ CRC.polyReflected : c >>> 1;
    t[b] = c >>> 0;
  }
  return t;
})();

/**
 * The CRC register after `bytes`, starting from `register` (no init, no final XOR): the
 * one definition of the update, used by the host's frame CRC and the generator's constants.
 */
export function crcRegister(register: number, bytes: ArrayLike<number>): number {
  let c = register >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (c >>> 8) ^ CRC_TABLE[(c ^ bytes[i]!) & 0xff]!;
  return c >>> 0;
}

/** A field of a payload. u40 and smaller are numbers; u64 is a bigint. */
export type FieldType = 'u8' | 's8' | 'u16' | 'u32' | 'u40' | 'u64' | 'weights' | 'salience';
export const FIELD_BYTES: Record<FieldType, number> = {
  u8: 1,
  s8: 1,
  u16: 2,
  u32: 4,
  u40: 5,
  u64: 8,
  weights: 5,
  salience: 5,
};

export interface Field {
  readonly name: string;
  readonly type: FieldType;
}

/**
 * A payload: fixed fields, then either an optional tail (present in full or absent),
 * or a run of records whose count is the value of `countField`.
 */
export interface Layout {
  readonly fields: readonly Field[];
  readonly optional?: readonly Field[];
  readonly records?: { readonly countField: string; readonly fields: readonly Field[] };
}

const f = (name: string, type: FieldType): Field => ({ name, type });

export const INFO_LAYOUT: Layout = {
  fields: [
    f('protocolVersion', 'u8'),
    f('maxWindows', 'u8'),
    f('minWindows', 'u8'),
    f('capacity', 'u16'),
    f('quota', 'u16'),
    f('maxPage', 'u8'),
    f('weights', 'weights'),
    f('buildId', 'u32'),
  ],
};

/** Every operation: code, whether it changes state, request and OK-response layouts. */
export const OPS = {
  /** Resynchronise sequence numbers: accepted with any SEQ, answered with INFO. */
  sync: { code: 0x00, mutating: false, request: { fields: [] }, response: INFO_LAYOUT },
  info: { code: 0x01, mutating: false, request: { fields: [] }, response: INFO_LAYOUT },
  open: {
    code: 0x10,
    mutating: true,
    request: { fields: [], optional: [f('salience', 'salience')] },
    response: { fields: [f('window', 'u16'), f('salience', 'u8')] },
  },
  close: {
    code: 0x11,
    mutating: true,
    request: { fields: [f('window', 'u16')] },
    response: { fields: [f('freed', 'u16')] },
  },
  store: {
    code: 0x12,
    mutating: true,
    request: { fields: [f('window', 'u16'), f('handle', 'u64')], optional: [f('salience', 'salience')] },
    response: {
      fields: [
        f('salience', 'u8'),
        f('stamp', 'u40'),
        f('evicted', 'u8'),
        f('evictedWindow', 'u16'),
        f('evictedSalience', 'u8'),
        f('evictedHandle', 'u64'),
      ],
    },
  },
  recall: {
    code: 0x13,
    mutating: false,
    request: {
      fields: [
        f('window', 'u16'),
        f('minSalience', 'u8'),
        f('limit', 'u8'),
        f('order', 'u8'),
        f('hasCursor', 'u8'),
        f('cursorSalience', 'u8'),
        f('cursorStamp', 'u40'),
      ],
    },
    response: {
      fields: [f('count', 'u8'), f('more', 'u8')],
      records: {
        countField: 'count',
        fields: [f('window', 'u16'), f('salience', 'u8'), f('stamp', 'u40'), f('handle', 'u64')],
      },
    },
  },
  list: {
    code: 0x14,
    mutating: false,
    request: { fields: [] },
    response: {
      fields: [f('count', 'u8')],
      records: { countField: 'count', fields: [f('window', 'u16'), f('salience', 'u8'), f('items', 'u16')] },
    },
  },
  count: {
    code: 0x15,
    mutating: false,
    request: { fields: [] },
    response: { fields: [f('open', 'u8'), f('items', 'u16')] },
  },
  focus: {
    code: 0x16,
    mutating: false,
    request: { fields: [] },
    response: { fields: [f('window', 'u16'), f('salience', 'u8')] },
  },
  setWeights: {
    code: 0x17,
    mutating: true,
    request: { fields: [f('weights', 'weights')] },
    response: { fields: [] },
  },
  decay: {
    code: 0x18,
    mutating: true,
    request: { fields: [f('step', 'u8'), f('threshold', 'u8')] },
    response: {
      fields: [f('count', 'u8'), f('remaining', 'u16')],
      records: { countField: 'count', fields: [f('window', 'u16'), f('salience', 'u8'), f('handle', 'u64')] },
    },
  },
} as const satisfies Record<string, { code: number; mutating: boolean; request: Layout; response: Layout }>;

export type OpName = keyof typeof OPS;
export const OP_NAMES = Object.keys(OPS) as OpName[];
export const OP_BY_CODE: ReadonlyMap<number, OpName> = new Map(OP_NAMES.map((n) => [OPS[n].code, n]));

/** RECALL order field. */
export const RecallOrder = { insertion: 0, salience: 1 } as const;

/** Status byte of a response; error statuses carry the payload named here. */
export const STATUS = {
  ok: { code: 0x00, payload: [] as Field[] },
  windowNotFound: { code: 0x01, payload: [] as Field[] },
  windowAlreadyClosed: { code: 0x02, payload: [] as Field[] },
  boundedMemoryExceeded: { code: 0x03, payload: [f('max', 'u8')] },
  boundedMemoryInsufficient: { code: 0x04, payload: [f('min', 'u8')] },
  invalidSalience: { code: 0x05, payload: [f('reason', 'u8')] },
  badRequest: { code: 0x06, payload: [f('reason', 'u8')] },
  /** From the frame engine: SEQ is neither the next expected nor one it can replay. */
  badSequence: { code: 0x07, payload: [f('expected', 'u8')] },
} as const;
export type StatusName = keyof typeof STATUS;
export const STATUS_BY_CODE: ReadonlyMap<number, StatusName> = new Map(
  (Object.keys(STATUS) as StatusName[]).map((n) => [STATUS[n].code, n]),
);

/** The reason byte of BadRequest. */
export const BadRequestReason = { unknownOpcode: 1, badLength: 2, badArgument: 3 } as const;

/** Byte length of a list of fields. */
export function layoutBytes(fields: readonly Field[]): number {
  return fields.reduce((n, x) => n + FIELD_BYTES[x.type], 0);
}

/** The payload lengths a request of this op may have (fixed, or fixed + optional tail). */
export function requestLengths(op: OpName): number[] {
  const l: Layout = OPS[op].request;
  const base = layoutBytes(l.fields);
  return l.optional ? [base, base + layoutBytes(l.optional)] : [base];
}

/** Largest OK-response payload of any op (RECALL with a full page). */
export const MAX_RESPONSE_PAYLOAD = Math.max(
  ...OP_NAMES.map((n) => {
    const l: Layout = OPS[n].response;
    return layoutBytes(l.fields) + (l.records ? MAX_PAGE * layoutBytes(l.records.fields) : 0);
  }),
);
