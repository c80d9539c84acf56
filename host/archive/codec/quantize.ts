/**
 * Declared precision (opt-in, lossy, per field): v is stored as q = round(v / step) with
 * step = 2 · maxError and read back as q · step. The encoder computes exactly what the
 * decoder will and keeps q only when |q · step − v| ≤ maxError; every other value (NaN,
 * ±Infinity, |q| ≥ 2^50, a rounding that would break the bound) is an exception stored as its
 * 64 raw bits. So the declared bound holds for every value, by construction.
 *
 * Layout: f64 step, u8 flags (bit 0: exceptions present), the predictor (u8 kind, then u16
 * period when seasonal), then one range-coded
 * stream: per value [exception flag] then 64 direct bits or the residual of q.
 */
import { fromWords, words } from './float64.js';
import { FlagModel, IntModel } from './intModel.js';
import { PredictorState, bestPredictor, predictorBytes, readPredictor } from './predict.js';
import { RangeDecoder, RangeEncoder } from './rangeCoder.js';
import { CorruptBlockError } from '../errors.js';

const LIMIT = 2 ** 50;
const W = new Uint32Array(2);

/** The stored integer for `v`, or undefined when `v` must be an exception. */
export function quantizeOne(v: number, step: number, maxError: number): number | undefined {
  const q = Math.round(v / step) + 0;
  if (!(Math.abs(q) < LIMIT)) return undefined;
  const back = q * step;
  return Math.abs(back - v) <= maxError ? q : undefined;
}

export function encodeQuantized(values: ArrayLike<number>, maxError: number, periods: readonly number[] = []): Uint8Array {
  const n = values.length;
  const step = 2 * maxError;
  const qs = new Float64Array(n);
  const exc = new Uint8Array(n);
  let hasExc = 0;
  const ok: number[] = [];
  for (let i = 0; i < n; i++) {
    const q = quantizeOne(values[i]!, step, maxError);
    if (q === undefined) {
      exc[i] = 1;
      hasExc = 1;
    } else {
      qs[i] = q;
      if (ok.length < 4096) ok.push(q);
    }
  }
  const predictor = bestPredictor(ok, periods);
  const enc = new RangeEncoder(n * 2 + 16);
  const excModel = new FlagModel();
  const model = new IntModel();
  const pred = new PredictorState(predictor.kind, predictor.period);
  for (let i = 0; i < n; i++) {
    if (hasExc) excModel.encode(enc, exc[i]!);
    if (exc[i]) {
      words(values[i]!, W);
      enc.direct(W[0]!, 32);
      enc.direct(W[1]!, 32);
      continue;
    }
    model.encode(enc, qs[i]! - pred.predict());
    pred.push(qs[i]!);
  }
  excModel.release();
  model.release();
  const body = enc.finish();
  const head = [hasExc, ...predictorBytes(predictor)];
  const out = new Uint8Array(8 + head.length + body.length);
  new DataView(out.buffer).setFloat64(0, step, true);
  out.set(head, 8);
  out.set(body, 8 + head.length);
  return out;
}

export function decodeQuantized(bytes: Uint8Array, n: number): Float64Array {
  if (bytes.length < 10) throw new CorruptBlockError('quantized: header truncated');
  const step = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(0, true);
  const hasExc = bytes[8]!;
  const pr = readPredictor(bytes, 9);
  if (!(step > 0) || !pr || hasExc > 1) throw new CorruptBlockError('quantized: bad header');
  const dec = new RangeDecoder(bytes, 9 + pr.size);
  const excModel = new FlagModel();
  const model = new IntModel();
  const pred = new PredictorState(pr.spec.kind, pr.spec.period);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (hasExc && excModel.decode(dec)) {
      const hi = dec.direct(32);
      out[i] = fromWords(hi, dec.direct(32));
      continue;
    }
    const q = model.decode(dec) + pred.predict();
    pred.push(q);
    out[i] = q * step;
  }
  excModel.release();
  model.release();
  return out;
}
