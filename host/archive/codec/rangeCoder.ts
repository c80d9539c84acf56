/**
 * Adaptive binary range coder (the LZMA design): 32-bit range, carry propagation through a
 * cached byte; 15-bit probabilities with counter-based adaptation. Every bit is coded either
 * with an adaptive probability (a slot of a Model), with the average of two models'
 * probabilities (a simple mix), or as a direct, equiprobable bit.
 *
 * The encoder drops LZMA's leading byte, which is always 0, so a stream costs its coded
 * bits plus 4 bytes of flush.
 */
import { CorruptBlockError } from '../errors.js';

export const PROB_BITS = 15;
const PROB_ONE = 1 << PROB_BITS;
export const PROB_INIT = PROB_ONE >>> 1;
/**
 * Adaptation: each probability slot counts the bits it has coded and moves towards each new
 * bit by 1/2, 1/4, … of the distance, down to 1/2^RATE_LIMIT once it has seen enough (a
 * counter-based rate: fast learning in small blocks, stable estimates in long ones).
 */
const RATE_LIMIT = 5;
const SHIFT = Uint8Array.from({ length: 64 }, (_, n) => Math.min(RATE_LIMIT, 1 + Math.floor(Math.log2(n + 1.5))));
const MAX_COUNT = 63;
const TOP = 0x100_0000;
const TWO32 = 0x1_0000_0000;

/**
 * Models are pooled: a block decode needs a dozen of them (tens of KB), and allocating them
 * afresh for every small block made garbage collection the p99 of a state read.
 */
const POOL = new Map<number, Uint32Array[]>();
const POOL_PER_SIZE = 32;

/** A fresh model: `n` adaptive probabilities at ½ (from the pool when one is free). */
export function newModel(n: number): Model {
  const free = POOL.get(n)?.pop();
  return free ? free.fill(PROB_INIT) : new Uint32Array(n).fill(PROB_INIT);
}

/** Adaptive probability slots: low 16 bits the probability of a 0 (of 2^15), high bits the count. */
export type Model = Uint32Array;

function adapt(v: number, bit: number): number {
  const p = v & 0xffff;
  const c = v >>> 16;
  const sh = SHIFT[c]!;
  const np = bit === 0 ? p + ((PROB_ONE - p) >>> sh) : p - (p >>> sh);
  return ((c < MAX_COUNT ? c + 1 : c) << 16) | np;
}

/** Gives models back to the pool once their coding is finished (optional: else GC takes them). */
export function releaseModels(...models: Model[]): void {
  for (const m of models) {
    let list = POOL.get(m.length);
    if (!list) POOL.set(m.length, (list = []));
    if (list.length < POOL_PER_SIZE && !list.includes(m)) list.push(m);
  }
}

export class RangeEncoder {
  #out: Uint8Array;
  #pos = 0;
  #low = 0;
  #range = 0xffffffff;
  #cache = 0;
  #cacheSize = 1;
  #first = true;

  constructor(capacity = 256) {
    this.#out = new Uint8Array(Math.max(16, capacity));
  }

  #put(b: number): void {
    if (this.#first) {
      // LZMA's first output byte is always 0 (no carry can reach it): not stored.
      this.#first = false;
      return;
    }
    if (this.#pos === this.#out.length) {
      const next = new Uint8Array(this.#out.length * 2);
      next.set(this.#out);
      this.#out = next;
    }
    this.#out[this.#pos++] = b;
  }

  #shiftLow(): void {
    const low = this.#low;
    if (low < 0xff00_0000 || low >= TWO32) {
      const carry = low >= TWO32 ? 1 : 0;
      let temp = this.#cache;
      do {
        this.#put((temp + carry) & 0xff);
        temp = 0xff;
      } while (--this.#cacheSize !== 0);
      this.#cache = Math.floor(low / TOP) & 0xff;
    }
    this.#cacheSize++;
    this.#low = (low % TOP) * 256;
  }

  /** Codes `bit` with the average of two models' probabilities, then adapts both. */
  bit2(a: Model, i: number, b: Model, j: number, bit: number): void {
    const va = a[i]!;
    const vb = b[j]!;
    const bound = (this.#range >>> PROB_BITS) * (((va & 0xffff) + (vb & 0xffff)) >>> 1);
    if (bit === 0) {
      this.#range = bound;
    } else {
      this.#low += bound;
      this.#range -= bound;
    }
    a[i] = adapt(va, bit);
    b[j] = adapt(vb, bit);
    while (this.#range < TOP) {
      this.#range *= 256;
      this.#shiftLow();
    }
  }

  /** A tree symbol coded with two models mixed (bases `ba` in `a`, `bb` in `b`). */
  tree2(a: Model, ba: number, b: Model, bb: number, bits: number, symbol: number): void {
    let m = 1;
    for (let k = bits - 1; k >= 0; k--) {
      const bit = (symbol >>> k) & 1;
      this.bit2(a, ba + m, b, bb + m, bit);
      m = (m << 1) | bit;
    }
  }

  /** Codes `bit` (0 or 1) with the probability in `model[i]`, then adapts it. */
  bit(model: Model, i: number, bit: number): void {
    const v = model[i]!;
    const bound = (this.#range >>> PROB_BITS) * (v & 0xffff);
    if (bit === 0) {
      this.#range = bound;
    } else {
      this.#low += bound;
      this.#range -= bound;
    }
    model[i] = adapt(v, bit);
    while (this.#range < TOP) {
      this.#range *= 256;
      this.#shiftLow();
    }
  }

  /**
   * Codes the low `n` bits of `v` (n ≤ 32) as equiprobable bits, in chunks of up to 16: the
   * range is split into 2^k equal parts (the remainder below 2^k is lost, < 2^-8 of a bit).
   */
  direct(v: number, n: number): void {
    while (n > 0) {
      const k = n > 16 ? 16 : n;
      n -= k;
      const chunk = n >= 32 ? 0 : (v >>> n) & ((1 << k) - 1);
      const r = Math.floor(this.#range / (1 << k));
      this.#low += r * chunk;
      this.#range = r;
      while (this.#range < TOP) {
        this.#range *= 256;
        this.#shiftLow();
      }
    }
  }

  /** Codes `n` bits (n ≤ 53) of a non-negative integer `v` < 2^n as equiprobable bits. */
  directBig(v: number, n: number): void {
    if (n > 32) {
      this.direct(Math.floor(v / TWO32), n - 32);
      this.direct(v % TWO32, 32);
    } else {
      this.direct(v, n);
    }
  }

  /** Codes a `bits`-bit symbol with a binary tree of adaptive probabilities at `model[base + 1 …]`. */
  tree(model: Model, base: number, bits: number, symbol: number): void {
    let m = 1;
    for (let k = bits - 1; k >= 0; k--) {
      const b = (symbol >>> k) & 1;
      this.bit(model, base + m, b);
      m = (m << 1) | b;
    }
  }

  /**
   * Ends the stream. Any value in [low, low + range) decodes the same; the one with the most
   * trailing zero bits is chosen, and trailing zero bytes are dropped, since the decoder reads
   * zeros past the end. A stream costs its coded bits plus one or two bytes.
   */
  finish(): Uint8Array {
    const hi = this.#low + this.#range - 1;
    for (let k = 32; k >= 0; k--) {
      const unit = 2 ** k;
      const v = Math.ceil(this.#low / unit) * unit;
      if (v <= hi) {
        this.#low = v;
        break;
      }
    }
    for (let i = 0; i < 5; i++) this.#shiftLow();
    let end = this.#pos;
    while (end > 0 && this.#out[end - 1] === 0) end--;
    return this.#out.slice(0, end);
  }
}

export class RangeDecoder {
  readonly #in: Uint8Array;
  #pos: number;
  readonly #end: number;
  #range = 0xffffffff;
  #code = 0;

  constructor(input: Uint8Array, start = 0, end = input.length) {
    this.#in = input;
    this.#pos = start;
    this.#end = end;
    for (let i = 0; i < 4; i++) this.#code = this.#code * 256 + this.#next();
    if (this.#code === 0xffffffff) throw new CorruptBlockError('range-coded stream starts with an impossible code');
  }

  #next(): number {
    // Past the end come the zero bytes the encoder dropped; a corrupt stream is caught by the CRC.
    return this.#pos < this.#end ? this.#in[this.#pos++]! : 0;
  }

  bit(model: Model, i: number): number {
    const v = model[i]!;
    const bound = (this.#range >>> PROB_BITS) * (v & 0xffff);
    let b: number;
    if (this.#code < bound) {
      this.#range = bound;
      b = 0;
    } else {
      this.#code -= bound;
      this.#range -= bound;
      b = 1;
    }
    model[i] = adapt(v, b);
    while (this.#range < TOP) {
      this.#range *= 256;
      this.#code = this.#code * 256 + this.#next();
    }
    return b;
  }

  direct(n: number): number {
    let v = 0;
    while (n > 0) {
      const k = n > 16 ? 16 : n;
      n -= k;
      const r = Math.floor(this.#range / (1 << k));
      let chunk = Math.floor(this.#code / r);
      if (chunk >= 1 << k) chunk = (1 << k) - 1; // only on a corrupt stream
      this.#code -= chunk * r;
      this.#range = r;
      v = v * (1 << k) + chunk;
      while (this.#range < TOP) {
        this.#range *= 256;
        this.#code = this.#code * 256 + this.#next();
      }
    }
    return v;
  }

  directBig(n: number): number {
    if (n > 32) {
      const hi = this.direct(n - 32);
      return hi * TWO32 + this.direct(32);
    }
    return this.direct(n);
  }

  bit2(a: Model, i: number, b: Model, j: number): number {
    const va = a[i]!;
    const vb = b[j]!;
    const bound = (this.#range >>> PROB_BITS) * (((va & 0xffff) + (vb & 0xffff)) >>> 1);
    let bit: number;
    if (this.#code < bound) {
      this.#range = bound;
      bit = 0;
    } else {
      this.#code -= bound;
      this.#range -= bound;
      bit = 1;
    }
    a[i] = adapt(va, bit);
    b[j] = adapt(vb, bit);
    while (this.#range < TOP) {
      this.#range *= 256;
      this.#code = this.#code * 256 + this.#next();
    }
    return bit;
  }

  tree2(a: Model, ba: number, b: Model, bb: number, bits: number): number {
    let m = 1;
    for (let k = 0; k < bits; k++) m = (m << 1) | this.bit2(a, ba + m, b, bb + m);
    return m - (1 << bits);
  }

  tree(model: Model, base: number, bits: number): number {
    let m = 1;
    for (let k = 0; k < bits; k++) m = (m << 1) | this.bit(model, base + m);
    return m - (1 << bits);
  }
}
