/**
 * Adaptive coding of signed integers (|v| < 2^53) with the range coder: the bit length of |v|
 * through a 6-bit tree coded with two models mixed (one without context, one whose context is
 * the previous bit length halved, so the coder follows changes of noise level without
 * diluting its statistics in small blocks), the sign with the previous sign as context, the
 * top three bits under the leading one with adaptive probabilities per bit length, the rest
 * as direct bits.
 * This is Elias-gamma binarisation with learned probabilities: within a few per cent of the
 * empirical entropy of a residual stream, without a table to transmit.
 */
import { type RangeDecoder, type RangeEncoder, newModel, releaseModels } from './rangeCoder.js';

const MAX_NB = 53;
const NB_CTX = 27;
const MANT_ADAPTIVE = 3;
const POW2 = Array.from({ length: 64 }, (_, k) => 2 ** k);

export function bitLength(m: number): number {
  if (m === 0) return 0;
  if (m < 0x1_0000_0000) return 32 - Math.clz32(m);
  return 32 + 32 - Math.clz32(Math.floor(m / 0x1_0000_0000));
}

export class IntModel {
  readonly nb = newModel(NB_CTX * 64);
  readonly nb0 = newModel(64);
  readonly sign = newModel(3 * 64);
  readonly mant = newModel(64 * 16);
  prevNb = 0;
  prevSign = 0;

  /** Returns the model's tables to the pool; the model must not be used afterwards. */
  release(): void {
    releaseModels(this.nb, this.nb0, this.sign, this.mant);
  }

  #ctx(): number {
    return (this.prevNb >> 1) * 64;
  }

  #update(nb: number, s: number): void {
    this.prevNb = nb;
    this.prevSign = s;
  }

  encode(enc: RangeEncoder, v: number): void {
    const neg = v < 0;
    const m = neg ? -v : v;
    const nb = bitLength(m);
    if (nb > MAX_NB) throw new RangeError(`integer out of the coder's range: ${v}`);
    enc.tree2(this.nb0, 0, this.nb, this.#ctx(), 6, nb);
    if (nb === 0) {
      this.#update(0, 0);
      return;
    }
    enc.bit(this.sign, this.prevSign * 64 + nb, neg ? 1 : 0);
    const low = nb - 1;
    if (low > 0) {
      const k = Math.min(low, MANT_ADAPTIVE);
      const rest = low - k;
      const r = m - POW2[low]!;
      const top = Math.floor(r / POW2[rest]!);
      enc.tree(this.mant, nb * 16, k, top);
      if (rest > 0) enc.directBig(r - top * POW2[rest]!, rest);
    }
    this.#update(nb, neg ? 2 : 1);
  }

  decode(dec: RangeDecoder): number {
    const nb = dec.tree2(this.nb0, 0, this.nb, this.#ctx(), 6);
    if (nb === 0) {
      this.#update(0, 0);
      return 0;
    }
    if (nb > MAX_NB) throw new RangeError('corrupt integer stream');
    const neg = dec.bit(this.sign, this.prevSign * 64 + nb);
    const low = nb - 1;
    let m = POW2[low]!;
    if (low > 0) {
      const k = Math.min(low, MANT_ADAPTIVE);
      const rest = low - k;
      const top = dec.tree(this.mant, nb * 16, k);
      m += top * POW2[rest]!;
      if (rest > 0) m += dec.directBig(rest);
    }
    this.#update(nb, neg ? 2 : 1);
    return neg ? -m : m;
  }
}

/** An adaptive bit with its previous value as context (flags, presence bitmaps). */
export class FlagModel {
  readonly p = newModel(4);
  prev = 0;
  prev2 = 0;

  release(): void {
    releaseModels(this.p);
  }

  encode(enc: RangeEncoder, bit: number): void {
    enc.bit(this.p, this.prev * 2 + this.prev2, bit);
    this.prev2 = this.prev;
    this.prev = bit;
  }

  decode(dec: RangeDecoder): number {
    const bit = dec.bit(this.p, this.prev * 2 + this.prev2);
    this.prev2 = this.prev;
    this.prev = bit;
    return bit;
  }
}
