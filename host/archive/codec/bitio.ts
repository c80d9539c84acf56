/** MSB-first bit streams for the bit-level XOR codecs (Gorilla, Chimp). */
import { CorruptBlockError } from '../errors.js';

const TWO32 = 0x1_0000_0000;

export class BitWriter {
  #buf: Uint8Array;
  #bytePos = 0;
  #acc = 0; // bits pending, fewer than 8
  #nacc = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
  }

  /** Bits written so far. */
  get bitLength(): number {
    return this.#bytePos * 8 + this.#nacc;
  }

  #push(byte: number): void {
    if (this.#bytePos === this.#buf.length) {
      const next = new Uint8Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    this.#buf[this.#bytePos++] = byte;
  }

  /** Writes the low `n` bits of `v` (n ≤ 32), most significant first. */
  write(v: number, n: number): void {
    for (let k = n - 1; k >= 0; ) {
      const room = 8 - this.#nacc;
      const take = Math.min(room, k + 1);
      const bits = (v >>> (k + 1 - take)) & ((1 << take) - 1);
      this.#acc = (this.#acc << take) | bits;
      this.#nacc += take;
      k -= take;
      if (this.#nacc === 8) {
        this.#push(this.#acc);
        this.#acc = 0;
        this.#nacc = 0;
      }
    }
  }

  /** Writes `n` (≤ 64) low bits of the 64-bit value hi:lo. */
  write64(hi: number, lo: number, n: number): void {
    if (n > 32) {
      this.write(hi, n - 32);
      this.write(lo, 32);
    } else {
      this.write(lo, n);
    }
  }

  finish(): Uint8Array {
    if (this.#nacc > 0) this.#push(this.#acc << (8 - this.#nacc));
    this.#acc = 0;
    this.#nacc = 0;
    return this.#buf.slice(0, this.#bytePos);
  }
}

export class BitReader {
  readonly #buf: Uint8Array;
  #bit = 0;
  readonly #endBit: number;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
    this.#endBit = buf.length * 8;
  }

  read(n: number): number {
    if (this.#bit + n > this.#endBit) throw new CorruptBlockError('bit stream truncated');
    let v = 0;
    while (n > 0) {
      const byte = this.#buf[this.#bit >>> 3]!;
      const avail = 8 - (this.#bit & 7);
      const take = Math.min(avail, n);
      const bits = (byte >>> (avail - take)) & ((1 << take) - 1);
      v = v * (1 << take) + bits;
      n -= take;
      this.#bit += take;
    }
    return v;
  }

  /** Reads `n` (≤ 64) bits into hi:lo words. */
  read64(n: number, out: Uint32Array): void {
    if (n > 32) {
      out[0] = this.read(n - 32);
      out[1] = this.read(32);
    } else {
      out[0] = 0;
      out[1] = this.read(n);
    }
  }
}

export { TWO32 };
