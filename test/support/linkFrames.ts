/** Frame helpers for the link tests: encode requests, split a byte stream into responses. */
import { CRC, REQUEST_SYNC, RESPONSE_SYNC } from '../../spec/index.js';

/** CRC-16 with the spec's parameters, bit by bit (the slow, obvious way). */
export function crc16(bytes: Iterable<number>): number {
  let crc: number = CRC.init;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ CRC.poly) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export function request(seq: number, op: number, payload: readonly number[] = []): number[] {
  const body = [payload.length, seq & 0xff, op, ...payload];
  const crc = crc16(body);
  return [REQUEST_SYNC, ...body, crc & 0xff, crc >> 8];
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
    if (len === undefined || i + 6 + len > bytes.length) throw new Error(`byte ${i}: truncated response`);
    const frame = bytes.slice(i, i + 6 + len);
    const crc = crc16(frame.slice(1, 4 + len));
    const got = frame[4 + len]! | (frame[5 + len]! << 8);
    if (crc !== got) throw new Error(`byte ${i}: bad CRC ${got.toString(16)} (want ${crc.toString(16)})`);
    out.push({ seq: frame[2]!, status: frame[3]!, payload: frame.slice(4, 4 + len), bytes: frame });
    i += 6 + len;
  }
  return out;
}

export const hex = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
