/**
 * A janela client written from docs/protocol.md alone: no import from spec/ or host/, its
 * own CRC, raw bytes. If the board and this client agree, the document is enough to talk
 * to the board. This file is the line and the frames; linkProtocolClientOps.ts encodes and
 * decodes the operations' payloads.
 */
import { SerialPort } from 'serialport';

// docs/protocol.md, "Frames": A5|5A LEN SEQ OP|STATUS PAYLOAD[LEN] CRC_0 CRC_1 CRC_2 CRC_3.
export const REQUEST_SYNC = 0xa5;
export const RESPONSE_SYNC = 0x5a;
export const MAX_REQUEST_LEN = 15;
export const MAX_RESPONSE_LEN = 242;
/** Sync, LEN, SEQ, OP|STATUS. */
export const HEADER_BYTES = 4;
export const CRC_BYTES = 4;
// docs/protocol.md, "Sequence numbers": SYNC is OP 00; BadSequence is status 07.
export const OP_SYNC = 0x00;
export const STATUS_BAD_SEQUENCE = 0x07;

// docs/protocol.md, "CRC": CRC-32C, reflected in and out, polynomial 0x82F63B78 in its
// bit-reversed form, initial value and final XOR 0xFFFFFFFF; the C reference, in TypeScript.
const CRC_TABLE = Array.from({ length: 256 }, (_, b) => {
  let c = b;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c >>> 0;
});

/** CRC-32C of `bytes` (pass LEN SEQ OP|STATUS PAYLOAD). */
export function crc(bytes: readonly number[]): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (c >>> 8) ^ CRC_TABLE[(c ^ b) & 0xff]!;
  return (c ^ 0xffffffff) >>> 0;
}

/** The CRC as sent: CRC_0 (least significant) first. */
export function crcBytes(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}

export function frame(seq: number, op: number, payload: readonly number[] = []): Buffer {
  if (payload.length > MAX_REQUEST_LEN) throw new Error('payload too long');
  const body = [payload.length, seq & 0xff, op, ...payload];
  return Buffer.from([REQUEST_SYNC, ...body, ...crcBytes(crc(body))]);
}

export interface Answer {
  seq: number;
  status: number;
  payload: number[];
  raw: number[];
}

/** Talks to a board over a serial port (or the simulator's pty). */
export class ProtocolClient {
  private buffer: number[] = [];
  private answers: Answer[] = [];
  private wake: (() => void) | undefined;

  private constructor(private readonly port: SerialPort) {
    port.on('data', (data: Buffer) => {
      this.buffer.push(...data);
      this.extract();
      this.wake?.();
    });
  }

  static async open(path: string): Promise<ProtocolClient> {
    const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new ProtocolClient(port);
  }

  /** Hunts for 5A, checks LEN and CRC; anything that is not a good frame is skipped a byte at a time. */
  private extract(): void {
    for (;;) {
      const start = this.buffer.indexOf(RESPONSE_SYNC);
      if (start < 0) {
        this.buffer = [];
        return;
      }
      this.buffer.splice(0, start);
      if (this.buffer.length < 2) return;
      const len = this.buffer[1]!;
      if (len > MAX_RESPONSE_LEN) {
        this.buffer.shift();
        continue;
      }
      const end = HEADER_BYTES + len;
      if (this.buffer.length < end + CRC_BYTES) return;
      const raw = this.buffer.slice(0, end + CRC_BYTES);
      if (crcBytes(crc(raw.slice(1, end))).some((b, k) => raw[end + k] !== b)) {
        this.buffer.shift();
        continue;
      }
      this.buffer.splice(0, raw.length);
      this.answers.push({ seq: raw[2]!, status: raw[3]!, payload: raw.slice(HEADER_BYTES, end), raw });
    }
  }

  send(bytes: Buffer | readonly number[]): void {
    this.port.write(Buffer.from(bytes as number[]));
  }

  /** Waits for the next `n` good frames; throws after `timeoutMs` without them. */
  async receive(n: number, timeoutMs = 10_000): Promise<Answer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.answers.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} answers, got ${this.answers.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.answers.splice(0, n);
  }

  /** Answers received so far that nobody asked for. */
  pending(): number {
    return this.answers.length;
  }

  /**
   * One request, stop-and-wait, resent on timeout until its answer comes: with a lossy
   * line the board answers a resent request from its stored answers, so it runs once.
   */
  async request(seq: number, op: number, payload: readonly number[] = [], timeoutMs = 150, attempts = 100): Promise<Answer> {
    for (let i = 0; i < attempts; i++) {
      this.send(frame(seq, op, payload));
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const answer = await this.receive(1, deadline - Date.now()).then(
          (a) => a[0],
          () => undefined,
        );
        if (answer?.seq === (seq & 0xff)) return answer;
      }
    }
    throw new Error(`no answer to seq ${seq} after ${attempts} attempts`);
  }

  async close(): Promise<void> {
    if (!this.port.isOpen) return;
    await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}
