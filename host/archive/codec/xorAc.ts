/**
 * XOR-AC: Gorilla's XOR of consecutive doubles, with the zero flag, the leading-zero count
 * and the length of the meaningful bits coded by the adaptive range coder (contexts: the
 * previous leading-zero count, and the leading-zero count for the length). The meaningful
 * bits between the two implicit ones are direct bits. Wins on full-precision data.
 */
import { fromWords, words } from './float64.js';
import { FlagModel } from './intModel.js';
import { RangeDecoder, RangeEncoder, newModel, releaseModels } from './rangeCoder.js';
import { clz64, ctz64, extract, place } from './xor.js';
import { CorruptBlockError } from '../errors.js';

const W = new Uint32Array(2);
const M = new Uint32Array(2);

export function encodeXorAc(values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const enc = new RangeEncoder(n * 4 + 16);
  const zero = new FlagModel();
  const lzTree = newModel(65 * 64);
  const lenTree = newModel(64 * 64);
  let ph = 0;
  let pl = 0;
  let prevLz = 64;
  for (let i = 0; i < n; i++) {
    words(values[i]!, W);
    const xh = (W[0]! ^ ph) >>> 0;
    const xl = (W[1]! ^ pl) >>> 0;
    ph = W[0]!;
    pl = W[1]!;
    if (xh === 0 && xl === 0) {
      zero.encode(enc, 1);
      continue;
    }
    zero.encode(enc, 0);
    const lz = clz64(xh, xl);
    const tz = ctz64(xh, xl);
    const len = 64 - lz - tz;
    enc.tree(lzTree, prevLz * 64, 6, lz);
    enc.tree(lenTree, lz * 64, 6, len - 1);
    prevLz = lz;
    if (len > 2) {
      const mid = len - 2;
      extract(xh, xl, tz + 1, M);
      if (mid > 32) {
        enc.direct(M[0]!, mid - 32);
        enc.direct(M[1]!, 32);
      } else {
        enc.direct(M[1]!, mid);
      }
    }
  }
  zero.release();
  releaseModels(lzTree, lenTree);
  return enc.finish();
}

export function decodeXorAc(bytes: Uint8Array, n: number): Float64Array {
  const out = new Float64Array(n);
  const dec = new RangeDecoder(bytes);
  const zero = new FlagModel();
  const lzTree = newModel(65 * 64);
  const lenTree = newModel(64 * 64);
  let ph = 0;
  let pl = 0;
  let prevLz = 64;
  for (let i = 0; i < n; i++) {
    if (zero.decode(dec) === 0) {
      const lz = dec.tree(lzTree, prevLz * 64, 6);
      const len = dec.tree(lenTree, lz * 64, 6) + 1;
      const tz = 64 - lz - len;
      if (tz < 0) throw new CorruptBlockError('xor-ac: bad length');
      prevLz = lz;
      let mh = 0;
      let ml = 0;
      if (len > 2) {
        const mid = len - 2;
        if (mid > 32) {
          mh = dec.direct(mid - 32);
          ml = dec.direct(32);
        } else {
          ml = dec.direct(mid);
        }
      }
      // m = 1 · middle · 1 (len bits), or just 1 when len = 1.
      let h: number;
      let l: number;
      if (len === 1) {
        h = 0;
        l = 1;
      } else {
        h = ((mh << 1) | (ml >>> 31)) >>> 0;
        l = ((ml << 1) | 1) >>> 0;
        const top = len - 1;
        if (top >= 32) h = (h | (1 << (top - 32))) >>> 0;
        else l = (l | (1 << top)) >>> 0;
      }
      place(h, l, tz, W);
      ph = (ph ^ W[0]!) >>> 0;
      pl = (pl ^ W[1]!) >>> 0;
    }
    out[i] = fromWords(ph, pl);
  }
  zero.release();
  releaseModels(lzTree, lenTree);
  return out;
}
