/** Growable byte writer and bounds-checked reader: little-endian, unsigned LEB128 varints. */
import { CorruptBlockError } from '../errors.js';

const TWO32 = 0x1_0000_0000;

export class ByteWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.#reserve(1);
    this.#buf[this.#len++] = v & 0xff;
  }

  u16(v: number): void {
    this.#reserve(2);
    this.#view.setUint16(this.#len, v, true);
    this.#len += 2;
  }

  u32(v: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.#len, v >>> 0, true);
    this.#len += 4;
  }

  f64(v: number): void {
    this.#reserve(8);
    this.#view.setFloat64(this.#len, v, true);
    this.#len += 8;
  }

  /** Unsigned varint of a non-negative integer up to 2^53. */
  varint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint out of range: ${v}`);
    this.#reserve(8);
    while (v >= 0x80) {
      this.#buf[this.#len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.#buf[this.#len++] = v;
  }

  bytes(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** Length-prefixed bytes. */
  lenBytes(b: Uint8Array): void {
    this.varint(b.length);
    this.bytes(b);
  }

  /** Overwrites a u32 already written at `offset`. */
  patchU32(offset: number, v: number): void {
    this.#view.setUint32(offset, v >>> 0, true);
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** Reads what ByteWriter wrote; running past the end throws CorruptBlockError. */
export class ByteReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = start;
    this.#end = end;
  }

  get pos(): number {
    return this.#pos;
  }

  get remaining(): number {
    return this.#end - this.#pos;
  }

  #need(n: number): void {
    if (this.#pos + n > this.#end) throw new CorruptBlockError(`truncated: needed ${n} bytes at offset ${this.#pos}`);
  }

  u8(): number {
    this.#need(1);
    return this.#buf[this.#pos++]!;
  }

  u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.#pos, true);
    this.#pos += 2;
    return v;
  }

  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#pos, true);
    this.#pos += 4;
    return v;
  }

  f64(): number {
    this.#need(8);
    const v = this.#view.getFloat64(this.#pos, true);
    this.#pos += 8;
    return v;
  }

  varint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(v)) break;
        return v;
      }
      scale *= 0x80;
    }
    throw new CorruptBlockError(`bad varint before offset ${this.#pos}`);
  }

  bytes(n: number): Uint8Array {
    this.#need(n);
    const b = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return b;
  }

  lenBytes(): Uint8Array {
    return this.bytes(this.varint());
  }
}

export const UTF8_ENCODER = new TextEncoder();
export const UTF8_DECODER = new TextDecoder('utf-8', { fatal: true });

/** Zigzag of a safe integer: 0, -1, 1, -2, … → 0, 1, 2, 3, … (as a number, exact below 2^52). */
export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

export { TWO32 };
