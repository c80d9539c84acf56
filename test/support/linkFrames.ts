/** Frame helpers for the link tests: encode requests, split a byte stream into responses. */
import { CRC, FRAME_HEADER_BYTES, FRAME_TRAILER_BYTES, REQUEST_SYNC, RESPONSE_SYNC } from '../../spec/index.js';

/**
 * The frame CRC with the spec's parameters, bit by bit (the slow, obvious way, independent of
 * the host's table): reflected, so each byte enters the low end and the register shifts right.
 */
export function bitwiseCrc(bytes: Iterable<number>): number {
  let crc: number = CRC.init;
  for (const byte of bytes) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ CRC.polyReflected : crc >>> 1;
  }
  return (crc ^ CRC.xorout) >>> 0;
}

/** A CRC as it goes on the wire: FRAME_TRAILER_BYTES bytes, low byte first. */
export function crcBytes(crc: number): number[] {
  return Array.from({ length: FRAME_TRAILER_BYTES }, (_, k) => (crc >>> (8 * k)) & 0xff);
}

export function request(seq: number, op: number, payload: readonly number[] = []): number[] {
  const body = [payload.length, seq & 0xff, op, ...payload];
  return [REQUEST_SYNC, ...body, ...crcBytes(bitwiseCrc(body))];
}

export interface Response {
  readonly seq: number;
  readonly status: number;
  readonly payload: number[];
  /** The frame's bytes as received. */
  readonly bytes: number[];
}

/**
 * Splits bytes into response frames. Strict: anything that is not a well-formed response
 * with a good CRC throws, because the board must never send one.
 */
export function parseResponses(bytes: readonly number[]): Response[] {
  const out: Response[] = [];
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] !== RESPONSE_SYNC) throw new Error(`byte ${i}: expected sync 5a, got ${bytes[i]?.toString(16)}`);
    const len = bytes[i + 1];
    const end = FRAME_HEADER_BYTES + (len ?? 0);
    const size = end + FRAME_TRAILER_BYTES;
    if (len === undefined || i + size > bytes.length) throw new Error(`byte ${i}: truncated response`);
    const frame = bytes.slice(i, i + size);
    const want = crcBytes(bitwiseCrc(frame.slice(1, end)));
    const got = frame.slice(end);
    if (hex(got) !== hex(want)) throw new Error(`byte ${i}: bad CRC ${hex(got)} (want ${hex(want)})`);
    out.push({ seq: frame[2]!, status: frame[3]!, payload: frame.slice(FRAME_HEADER_BYTES, end), bytes: frame });
    i += size;
  }
  return out;
}

export const hex = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
