/**
 * Chimp (Liakos, Papakonstantinopoulou, Kotidis, VLDB 2022), the basic variant: XOR with the
 * previous value; many trailing zeros → centre bits with a 6-bit length, otherwise the bits
 * after a rounded leading-zero count, reusing the previous count when it matches.
 */
import { BitReader, BitWriter } from './bitio.js';
import { fromWords, words } from './float64.js';
import { clz64, ctz64, extract, place } from './xor.js';
import { CorruptBlockError } from '../errors.js';

const LEADING_REP = [0, 8, 12, 16, 18, 20, 22, 24];
const LEADING_ROUND = Array.from({ length: 65 }, (_, lz) => {
  let idx = 0;
  for (let k = 0; k < LEADING_REP.length; k++) if (lz >= LEADING_REP[k]!) idx = k;
  return idx;
});
const THRESHOLD = 6;
const W = new Uint32Array(2);
const M = new Uint32Array(2);

export function encodeChimpFloats(values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const bw = new BitWriter(n * 4 + 16);
  if (n === 0) return bw.finish();
  words(values[0]!, W);
  let ph = W[0]!;
  let pl = W[1]!;
  bw.write64(ph, pl, 64);
  let stored = 65;
  for (let i = 1; i < n; i++) {
    words(values[i]!, W);
    const xh = (W[0]! ^ ph) >>> 0;
    const xl = (W[1]! ^ pl) >>> 0;
    ph = W[0]!;
    pl = W[1]!;
    const tz = ctz64(xh, xl);
    if (tz > THRESHOLD) {
      if (xh === 0 && xl === 0) {
        bw.write(0b00, 2);
      } else {
        const idx = LEADING_ROUND[clz64(xh, xl)]!;
        const lz = LEADING_REP[idx]!;
        const center = 64 - lz - tz;
        bw.write(0b01, 2);
        bw.write(idx, 3);
        bw.write(center, 6);
        extract(xh, xl, tz, M);
        bw.write64(M[0]!, M[1]!, center);
      }
      stored = 65;
    } else {
      const idx = LEADING_ROUND[clz64(xh, xl)]!;
      const lz = LEADING_REP[idx]!;
      if (lz === stored) {
        bw.write(0b10, 2);
      } else {
        bw.write(0b11, 2);
        bw.write(idx, 3);
        stored = lz;
      }
      bw.write64(xh, xl, 64 - lz);
    }
  }
  return bw.finish();
}

export function decodeChimpFloats(bytes: Uint8Array, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 0) return out;
  const br = new BitReader(bytes);
  br.read64(64, W);
  let ph = W[0]!;
  let pl = W[1]!;
  out[0] = fromWords(ph, pl);
  let stored = 65;
  for (let i = 1; i < n; i++) {
    const flag = br.read(2);
    if (flag === 0b01) {
      const lz = LEADING_REP[br.read(3)]!;
      const center = br.read(6);
      const tz = 64 - lz - center;
      if (tz < 0) throw new CorruptBlockError('chimp: bad centre length');
      br.read64(center, M);
      place(M[0]!, M[1]!, tz, W);
      ph = (ph ^ W[0]!) >>> 0;
      pl = (pl ^ W[1]!) >>> 0;
      stored = 65;
    } else if (flag !== 0b00) {
      if (flag === 0b11) stored = LEADING_REP[br.read(3)]!;
      else if (stored === 65) throw new CorruptBlockError('chimp: leading zeros reused before set');
      br.read64(64 - stored, M);
      ph = (ph ^ M[0]!) >>> 0;
      pl = (pl ^ M[1]!) >>> 0;
    } else {
      stored = 65;
    }
    out[i] = fromWords(ph, pl);
  }
  return out;
}
