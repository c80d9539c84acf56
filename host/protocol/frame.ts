/**
 * Frames: SYNC · LEN · SEQ · OP|STATUS · PAYLOAD[LEN] · CRC (FRAME_TRAILER_BYTES, LE, over LEN..PAYLOAD).
 * The parser serves both directions: the board's receiver (no rescan: a bad frame's bytes
 * are gone, as in hardware) and the host's (rescan: hunting restarts at the byte after a bad
 * frame's sync byte, so a stray sync byte in garbage cannot swallow the good frame behind it).
 */
import {
  FRAME_HEADER_BYTES,
  FRAME_TRAILER_BYTES,
  MAX_REQUEST_PAYLOAD,
  MAX_RESPONSE_PAYLOAD,
  REQUEST_SYNC,
  RESPONSE_SYNC,
} from '../../spec/index.js';
import { frameCrc } from './crc.js';

export type FrameKind = 'request' | 'response';

/** A frame's contents; `code` is the opcode of a request or the status of a response. */
export interface Frame {
  readonly seq: number;
  readonly code: number;
  readonly payload: Uint8Array;
}

export const FRAME_KINDS: Record<FrameKind, { sync: number; maxPayload: number }> = {
  request: { sync: REQUEST_SYNC, maxPayload: MAX_REQUEST_PAYLOAD },
  response: { sync: RESPONSE_SYNC, maxPayload: MAX_RESPONSE_PAYLOAD },
};

/** Writes a CRC little-endian into FRAME_TRAILER_BYTES bytes at `at`. */
function writeCrc(bytes: Uint8Array, at: number, crc: number): void {
  for (let k = 0; k < FRAME_TRAILER_BYTES; k++) bytes[at + k] = (crc >>> (8 * k)) & 0xff;
}

/** Reads the little-endian CRC of FRAME_TRAILER_BYTES bytes at `at`. */
function readCrc(bytes: Uint8Array, at: number): number {
  let crc = 0;
  for (let k = FRAME_TRAILER_BYTES - 1; k >= 0; k--) crc = ((crc << 8) | bytes[at + k]!) >>> 0;
  return crc;
}

export function encodeFrame(kind: FrameKind, frame: Frame): Uint8Array {
  const { sync, maxPayload } = FRAME_KINDS[kind];
  const len = frame.payload.length;
  if (len > maxPayload) throw new RangeError(`${kind} payload of ${len} bytes exceeds ${maxPayload}`);
  const bytes = new Uint8Array(FRAME_HEADER_BYTES + len + FRAME_TRAILER_BYTES);
  bytes.set([sync, len, frame.seq & 0xff, frame.code & 0xff]);
  bytes.set(frame.payload, FRAME_HEADER_BYTES);
  writeCrc(bytes, FRAME_HEADER_BYTES + len, frameCrc(bytes.subarray(1, FRAME_HEADER_BYTES + len)));
  return bytes;
}

/** A response frame from the status+payload bytes that CoreModel.execute returns. */
export function encodeResponseFrame(seq: number, response: Uint8Array): Uint8Array {
  return encodeFrame('response', { seq, code: response[0]!, payload: response.subarray(1) });
}

export interface ParserStats {
  /** Good frames delivered. */
  frames: number;
  /** Bytes skipped while hunting for a sync byte. */
  skipped: number;
  /** Candidate frames refused for LEN above the bound. */
  badLength: number;
  /** Candidate frames refused for a CRC mismatch. */
  badCrc: number;
  /** Partial frames dropped by idle(). */
  partial: number;
}

export interface ParserOptions {
  /** Rescan a bad frame's bytes after its sync byte (host); default true. */
  rescan?: boolean;
  /** Payload bound; defaults to the direction's bound from spec. */
  maxPayload?: number;
}

export class FrameParser {
  readonly stats: ParserStats = { frames: 0, skipped: 0, badLength: 0, badCrc: 0, partial: 0 };
  readonly #sync: number;
  readonly #maxPayload: number;
  readonly #rescan: boolean;
  /** Unconsumed bytes; when non-empty, buf[0] is a sync byte (a frame in progress). */
  #buf: Uint8Array = new Uint8Array(0);

  constructor(kind: FrameKind, options: ParserOptions = {}) {
    this.#sync = FRAME_KINDS[kind].sync;
    this.#maxPayload = options.maxPayload ?? FRAME_KINDS[kind].maxPayload;
    this.#rescan = options.rescan ?? true;
  }

  /** True while a frame has started but not finished. */
  get inFrame(): boolean {
    return this.#buf.length > 0;
  }

  /** Feeds bytes; returns the good frames they complete, in order. */
  push(bytes: Uint8Array): Frame[] {
    const joined = new Uint8Array(this.#buf.length + bytes.length);
    joined.set(this.#buf);
    joined.set(bytes, this.#buf.length);
    const frames: Frame[] = [];
    this.#buf = this.#scan(joined, frames, false);
    return frames;
  }

  /**
   * The line went idle: a partial frame is dropped. With rescan, its bytes after the
   * sync byte are searched again, since a complete frame may hide behind a stray sync byte.
   */
  idle(): Frame[] {
    const frames: Frame[] = [];
    if (this.#buf.length > 0) this.#buf = this.#scan(this.#buf, frames, true);
    return frames;
  }

  /** Scans `data` from the start; returns the unconsumed tail (a frame in progress, or empty). */
  #scan(data: Uint8Array, frames: Frame[], flush: boolean): Uint8Array {
    let at = 0;
    for (;;) {
      const start = data.indexOf(this.#sync, at);
      if (start < 0) {
        this.stats.skipped += data.length - at;
        return new Uint8Array(0);
      }
      this.stats.skipped += start - at;
      const have = data.length - start;
      const len = have >= 2 ? data[start + 1]! : -1;
      if (len > this.#maxPayload) {
        this.stats.badLength += 1;
        at = start + (this.#rescan ? 1 : 2);
        continue;
      }
      const total = FRAME_HEADER_BYTES + len + FRAME_TRAILER_BYTES;
      if (len < 0 || have < total) {
        if (!flush) return data.slice(start);
        this.stats.partial += 1;
        if (!this.#rescan) return new Uint8Array(0);
        at = start + 1;
        continue;
      }
      const crcAt = start + FRAME_HEADER_BYTES + len;
      if (frameCrc(data.subarray(start + 1, crcAt)) !== readCrc(data, crcAt)) {
        this.stats.badCrc += 1;
        at = start + (this.#rescan ? 1 : total);
        continue;
      }
      this.stats.frames += 1;
      frames.push({ seq: data[start + 2]!, code: data[start + 3]!, payload: data.slice(start + FRAME_HEADER_BYTES, crcAt) });
      at = start + total;
    }
  }
}
