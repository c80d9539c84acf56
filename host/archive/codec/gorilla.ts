/**
 * Gorilla (Pelkonen et al., VLDB 2015): XOR of consecutive doubles with a reused
 * leading/trailing-zero window, and delta-of-delta timestamps in variable buckets. Used both
 * as a candidate float codec of a column and, as a whole series format, as the benchmark's
 * baseline.
 */
import { BitReader, BitWriter } from './bitio.js';
import { fromWords, words } from './float64.js';
import { clz64, ctz64, extract, place } from './xor.js';
import { CorruptBlockError } from '../errors.js';

const W = new Uint32Array(2);
const M = new Uint32Array(2);

/** Gorilla's value stream of `values` (no count: the caller knows it). */
export function writeGorillaValues(values: ArrayLike<number>, bw: BitWriter): void {
  const n = values.length;
  if (n === 0) return;
  words(values[0]!, W);
  let ph = W[0]!;
  let pl = W[1]!;
  bw.write64(ph, pl, 64);
  let prevLz = -1;
  let prevTz = -1;
  for (let i = 1; i < n; i++) {
    words(values[i]!, W);
    const xh = (W[0]! ^ ph) >>> 0;
    const xl = (W[1]! ^ pl) >>> 0;
    ph = W[0]!;
    pl = W[1]!;
    if (xh === 0 && xl === 0) {
      bw.write(0, 1);
      continue;
    }
    bw.write(1, 1);
    let lz = clz64(xh, xl);
    const tz = ctz64(xh, xl);
    if (lz > 31) lz = 31;
    if (prevLz >= 0 && lz >= prevLz && tz >= prevTz) {
      bw.write(0, 1);
      extract(xh, xl, prevTz, M);
      bw.write64(M[0]!, M[1]!, 64 - prevLz - prevTz);
    } else {
      const len = 64 - lz - tz;
      bw.write(1, 1);
      bw.write(lz, 5);
      bw.write(len & 63, 6);
      extract(xh, xl, tz, M);
      bw.write64(M[0]!, M[1]!, len);
      prevLz = lz;
      prevTz = tz;
    }
  }
}

export function readGorillaValues(br: BitReader, n: number, out: Float64Array, offset = 0): void {
  if (n === 0) return;
  br.read64(64, W);
  let ph = W[0]!;
  let pl = W[1]!;
  out[offset] = fromWords(ph, pl);
  let prevLz = -1;
  let prevTz = -1;
  for (let i = 1; i < n; i++) {
    if (br.read(1) === 1) {
      let lz: number;
      let tz: number;
      if (br.read(1) === 0) {
        if (prevLz < 0) throw new CorruptBlockError('gorilla: window reused before one was set');
        lz = prevLz;
        tz = prevTz;
      } else {
        lz = br.read(5);
        const len = br.read(6) || 64;
        tz = 64 - lz - len;
        if (tz < 0) throw new CorruptBlockError('gorilla: bad window');
        prevLz = lz;
        prevTz = tz;
      }
      br.read64(64 - lz - tz, M);
      place(M[0]!, M[1]!, tz, W);
      ph = (ph ^ W[0]!) >>> 0;
      pl = (pl ^ W[1]!) >>> 0;
    }
    out[offset + i] = fromWords(ph, pl);
  }
}

export function encodeGorillaFloats(values: ArrayLike<number>): Uint8Array {
  const bw = new BitWriter(values.length * 2 + 16);
  writeGorillaValues(values, bw);
  return bw.finish();
}

export function decodeGorillaFloats(bytes: Uint8Array, n: number): Float64Array {
  const out = new Float64Array(n);
  readGorillaValues(new BitReader(bytes), n, out);
  return out;
}

/** Gorilla's timestamp buckets: '0', '10'+7, '110'+9, '1110'+12 bits, else '1111' + 64-bit double. */
function writeDod(bw: BitWriter, dod: number): void {
  if (dod === 0) bw.write(0, 1);
  else if (dod >= -63 && dod <= 64) {
    bw.write(0b10, 2);
    bw.write(dod + 63, 7);
  } else if (dod >= -255 && dod <= 256) {
    bw.write(0b110, 3);
    bw.write(dod + 255, 9);
  } else if (dod >= -2047 && dod <= 2048) {
    bw.write(0b1110, 4);
    bw.write(dod + 2047, 12);
  } else {
    bw.write(0b1111, 4);
    words(dod, W);
    bw.write64(W[0]!, W[1]!, 64);
  }
}

function readDod(br: BitReader): number {
  if (br.read(1) === 0) return 0;
  if (br.read(1) === 0) return br.read(7) - 63;
  if (br.read(1) === 0) return br.read(9) - 255;
  if (br.read(1) === 0) return br.read(12) - 2047;
  br.read64(64, W);
  return fromWords(W[0]!, W[1]!);
}

/**
 * A whole (timestamp, value) series in Gorilla's format: u32 count, first timestamp as a
 * 64-bit double, then delta-of-delta timestamps (the first delta as a dod from 0), then the
 * value stream. Timestamps are stored exactly (the wide bucket holds any double).
 */
export function encodeGorillaSeries(timestamps: ArrayLike<number>, values: ArrayLike<number>): Uint8Array {
  const n = timestamps.length;
  const bw = new BitWriter(n * 2 + 32);
  bw.write(n >>> 0, 32);
  if (n > 0) {
    words(timestamps[0]!, W);
    bw.write64(W[0]!, W[1]!, 64);
    let prev = timestamps[0]!;
    let prevDelta = 0;
    for (let i = 1; i < n; i++) {
      const t = timestamps[i]!;
      const delta = t - prev;
      writeDod(bw, delta - prevDelta);
      prevDelta = delta;
      prev = t;
    }
  }
  writeGorillaValues(values, bw);
  return bw.finish();
}

export function decodeGorillaSeries(bytes: Uint8Array): { timestamps: Float64Array; values: Float64Array } {
  const br = new BitReader(bytes);
  const n = br.read(32);
  if (n > bytes.length * 8) throw new CorruptBlockError('gorilla: count larger than the stream');
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  if (n > 0) {
    br.read64(64, W);
    let prev = fromWords(W[0]!, W[1]!);
    timestamps[0] = prev;
    let prevDelta = 0;
    for (let i = 1; i < n; i++) {
      const delta = prevDelta + readDod(br);
      prev += delta;
      timestamps[i] = prev;
      prevDelta = delta;
    }
  }
  readGorillaValues(br, n, values);
  return { timestamps, values };
}
