/**
 * Timestamps: integers (milliseconds, or any integer unit) coded as range-coded
 * delta-of-delta. A regular series costs a fraction of a bit per record; duplicates (delta 0)
 * and out-of-order timestamps (negative deltas) are coded like any other delta, so the
 * arrival order of records is kept exactly.
 */
import { IntModel } from './intModel.js';
import { RangeDecoder, RangeEncoder } from './rangeCoder.js';
import { CorruptBlockError } from '../errors.js';

export const TS_DOD_AC = 1;
/** Timestamps are integers of magnitude at most 2^50 (±35 700 years in milliseconds). */
export const TIMESTAMP_LIMIT = 2 ** 50;

export function encodeTimestamps(ts: ArrayLike<number>): Uint8Array {
  const enc = new RangeEncoder(ts.length / 4 + 16);
  const model = new IntModel();
  let prev = 0;
  let prevDelta = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    const delta = t - prev;
    model.encode(enc, delta - prevDelta);
    prevDelta = delta;
    prev = t;
  }
  model.release();
  return enc.finish();
}

export function decodeTimestamps(bytes: Uint8Array, n: number): Float64Array {
  const dec = new RangeDecoder(bytes);
  const model = new IntModel();
  const out = new Float64Array(n);
  let prev = 0;
  let prevDelta = 0;
  for (let i = 0; i < n; i++) {
    const delta = prevDelta + model.decode(dec);
    prev += delta;
    out[i] = prev;
    prevDelta = delta;
  }
  model.release();
  return out;
}
