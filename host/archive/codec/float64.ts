/** Bit-level views of IEEE-754 doubles: hi/lo words, bit equality, ulp distance. */

const F = new Float64Array(1);
const U = new Uint32Array(F.buffer);
// Little-endian hosts only (every platform Node supports): U[0] is the low word.
const LO = 0;
const HI = 1;
const TWO32 = 0x1_0000_0000;

export function hiWord(v: number): number {
  F[0] = v;
  return U[HI]!;
}

export function loWord(v: number): number {
  F[0] = v;
  return U[LO]!;
}

/** Splits a double into its two 32-bit words. */
export function words(v: number, out: Uint32Array): void {
  F[0] = v;
  out[0] = U[HI]!;
  out[1] = U[LO]!;
}

export function fromWords(hi: number, lo: number): number {
  U[HI] = hi;
  U[LO] = lo;
  return F[0]!;
}

/** Same 64 bits (so NaN payloads, −0 and +0 are told apart). */
export function sameBits(a: number, b: number): boolean {
  F[0] = a;
  const ah = U[HI]!;
  const al = U[LO]!;
  F[0] = b;
  return ah === U[HI]! && al === U[LO]!;
}

/**
 * Signed distance in units in the last place from `base` to `v` when both are finite, of the
 * same sign and not zero-signed differently: |bits(v)| − |bits(base)| on the magnitude. NaN
 * when the distance is not defined or not exact (beyond 2^52).
 */
export function ulpDistance(v: number, base: number): number {
  F[0] = v;
  const vh = U[HI]!;
  const vl = U[LO]!;
  F[0] = base;
  const bh = U[HI]!;
  const bl = U[LO]!;
  if ((vh ^ bh) >>> 31 !== 0) return Number.NaN; // different signs
  if ((vh & 0x7ff00000) === 0x7ff00000 || (bh & 0x7ff00000) === 0x7ff00000) return Number.NaN;
  const d = ((vh & 0x7fffffff) - (bh & 0x7fffffff)) * TWO32 + (vl - bl);
  return Math.abs(d) < 2 ** 52 ? d : Number.NaN;
}

/** `base` moved by `d` units in the last place of its magnitude (inverse of ulpDistance). */
export function addUlps(base: number, d: number): number {
  F[0] = base;
  const sign = U[HI]! & 0x80000000;
  // The magnitude (up to 2^63) is not exact as a double: add in two 32-bit words.
  let lo = U[LO]! + (d % TWO32);
  let hi = (U[HI]! & 0x7fffffff) + Math.trunc(d / TWO32);
  if (lo >= TWO32) {
    lo -= TWO32;
    hi += 1;
  } else if (lo < 0) {
    lo += TWO32;
    hi -= 1;
  }
  U[HI] = (hi | sign) >>> 0;
  U[LO] = lo >>> 0;
  return F[0]!;
}
