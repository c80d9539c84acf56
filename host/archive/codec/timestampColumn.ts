/**
 * Timestamps: integers (milliseconds, or any integer unit) coded as range-coded
 * delta-of-delta (TS_DOD_AC). A regular series costs a fraction of a bit per record;
 * duplicates (delta 0) and out-of-order timestamps (negative deltas) are coded like any other
 * delta, so the arrival order of records is kept exactly. Irregular gaps (a subset of a
 * regular series, say) cost less as plain deltas (TS_DELTA_AC); the block keeps the smaller.
 */
import { ByteReader, ByteWriter } from './bytes.js';
import { IntModel } from './intModel.js';
import { RangeDecoder, RangeEncoder } from './rangeCoder.js';
import { CorruptBlockError } from '../errors.js';

export const TS_DOD_AC = 1;
export const TS_DELTA_AC = 2;
/** Timestamps are integers of magnitude at most 2^50 (±35 700 years in milliseconds). */
export const TIMESTAMP_LIMIT = 2 ** 50;

/** Delta-of-delta, and plain deltas when they are smaller: the encoding id and its bytes. */
export function encodeTimestampColumn(ts: ArrayLike<number>): { id: number; bytes: Uint8Array } {
  const dod = encodeTimestamps(ts);
  if (ts.length < 3) return { id: TS_DOD_AC, bytes: dod };
  const delta = encodeTimestampDeltas(ts);
  return delta.length < dod.length ? { id: TS_DELTA_AC, bytes: delta } : { id: TS_DOD_AC, bytes: dod };
}

/**
 * Deltas: varint g (the greatest common divisor of the deltas after the first, 1 when there
 * are none or all are 0), then range-coded the first timestamp and each later delta ÷ g.
 */
export function encodeTimestampDeltas(ts: ArrayLike<number>): Uint8Array {
  let g = 0;
  for (let i = 1; i < ts.length && g !== 1; i++) g = gcd(g, Math.abs(ts[i]! - ts[i - 1]!));
  if (g === 0) g = 1;
  const enc = new RangeEncoder(ts.length / 2 + 16);
  const model = new IntModel();
  for (let i = 0; i < ts.length; i++) model.encode(enc, i === 0 ? ts[0]! : (ts[i]! - ts[i - 1]!) / g);
  model.release();
  const body = enc.finish();
  const head = new ByteWriter(8);
  head.varint(g);
  const h = head.finish();
  const out = new Uint8Array(h.length + body.length);
  out.set(h, 0);
  out.set(body, h.length);
  return out;
}

export function decodeTimestampDeltas(bytes: Uint8Array, n: number): Float64Array {
  const r = new ByteReader(bytes);
  const g = r.varint();
  if (g < 1) throw new CorruptBlockError('timestamp deltas: divisor 0');
  const dec = new RangeDecoder(bytes.subarray(r.pos));
  const model = new IntModel();
  const out = new Float64Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const v = model.decode(dec);
    prev = i === 0 ? v : prev + v * g;
    out[i] = prev;
  }
  model.release();
  return out;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

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
