/**
 * Decimal coding (after ALP, Afroozeh et al., SIGMOD 2024): a double that was written as a
 * decimal of few digits is stored as the integer d = round(v · 10^e) for one exponent e per
 * column, since d / 10^e gives the same double back (division by an exact power of ten is
 * correctly rounded). Two extensions over ALP:
 *  - ulp corrections: values that are a decimal plus or minus a few units in the last place
 *    (the 51.846000000000004 of a sum computed in binary) keep the decimal and add the small
 *    signed distance in ulps, coded adaptively (almost free when it is 0);
 *  - the digits are predicted (none, previous, linear) and the residuals range-coded.
 * Anything else (NaN, ±Infinity, −0, values too large for 10^e) is an exception stored as its
 * 64 raw bits, so the codec is lossless for every double.
 *
 * Layout: u8 e, u8 flags (bit 0: exceptions present, bit 1: corrections present), the
 * predictor (u8 kind, then u16 period when seasonal), then one range-coded stream: per value [exception flag] then either 64 direct
 * bits or the digit residual [and the ulp correction].
 */
import { addUlps, fromWords, sameBits, ulpDistance, words } from './float64.js';
import { FlagModel, IntModel } from './intModel.js';
import { type PredictorSpec, PredictorState, predictorBytes, readPredictor, residualCost } from './predict.js';
import { RangeDecoder, RangeEncoder } from './rangeCoder.js';
import { CorruptBlockError } from '../errors.js';

export const MAX_EXPONENT = 18;
const POW10 = Array.from({ length: MAX_EXPONENT + 1 }, (_, e) => 10 ** e);
/** Digits stay below 2^50 so that linear-prediction residuals stay below 2^53. */
const DIGIT_LIMIT = 2 ** 50;
/** Larger ulp distances are exceptions. */
const MAX_CORRECTION = 2 ** 24;
const W = new Uint32Array(2);

/** The digits of `v` at exponent `e` and its ulp correction, or undefined for an exception. */
function fit(v: number, p: number): { d: number; k: number } | undefined {
  const d = Math.round(v * p) + 0; // + 0 turns −0 into +0: −0 itself becomes an exception
  if (!(Math.abs(d) <= DIGIT_LIMIT)) return undefined;
  const rec = d / p;
  if (sameBits(rec, v)) return { d, k: 0 };
  const k = ulpDistance(v, rec);
  if (!(Math.abs(k) <= MAX_CORRECTION)) return undefined;
  return { d, k };
}

/** Estimated bits per value of the decimal coding of a sample at each exponent. */
function estimate(values: ArrayLike<number>, idx: readonly number[], e: number): number {
  const p = POW10[e]!;
  let cost = 0;
  let prev = 0;
  let prevIdx = -2;
  for (const i of idx) {
    const f = fit(values[i]!, p);
    if (!f) {
      cost += 66;
      continue;
    }
    cost += prevIdx === i - 1 ? residualCost(f.d - prev) : 8;
    if (f.k !== 0) cost += residualCost(f.k) + 1;
    prev = f.d;
    prevIdx = i;
  }
  return cost / Math.max(1, idx.length);
}

/** Up to 1024 sample positions in 8 contiguous runs, so that deltas are meaningful. */
function sampleIndexes(n: number): number[] {
  if (n <= 1024) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let r = 0; r < 8; r++) {
    const start = Math.floor(((n - 128) * r) / 7);
    for (let i = 0; i < 128; i++) out.push(start + i);
  }
  return out;
}

/** The exponents worth trying, best estimate first (at most `k`), or [] when the data is not decimal. */
export function decimalExponents(values: ArrayLike<number>, k = 2): number[] {
  const idx = sampleIndexes(values.length);
  const costs = POW10.map((_, e) => ({ e, c: estimate(values, idx, e) }));
  costs.sort((a, b) => a.c - b.c || a.e - b.e);
  // At 40 bits a value or more, XOR coding does as well: not worth the time. A runner-up
  // is worth encoding only when its estimate is close to the best one.
  const best = costs[0]!.c;
  return costs
    .filter((x) => x.c < 40 && x.c <= best * 1.1 + 0.5)
    .slice(0, k)
    .map((x) => x.e);
}

export function encodeDecimal(values: ArrayLike<number>, e: number, predictor: PredictorSpec): Uint8Array {
  const n = values.length;
  const p = POW10[e]!;
  const digits = new Float64Array(n);
  const corr = new Float64Array(n);
  const exc = new Uint8Array(n);
  let hasExc = 0;
  let hasCorr = 0;
  for (let i = 0; i < n; i++) {
    const f = fit(values[i]!, p);
    if (!f) {
      exc[i] = 1;
      hasExc = 1;
    } else {
      digits[i] = f.d;
      corr[i] = f.k;
      if (f.k !== 0) hasCorr = 1;
    }
  }
  const enc = new RangeEncoder(n * 2 + 16);
  const excModel = new FlagModel();
  const digitModel = new IntModel();
  const corrModel = new IntModel();
  const pred = new PredictorState(predictor.kind, predictor.period);
  for (let i = 0; i < n; i++) {
    if (hasExc) excModel.encode(enc, exc[i]!);
    if (exc[i]) {
      words(values[i]!, W);
      enc.direct(W[0]!, 32);
      enc.direct(W[1]!, 32);
      continue;
    }
    const d = digits[i]!;
    digitModel.encode(enc, d - pred.predict());
    pred.push(d);
    if (hasCorr) corrModel.encode(enc, corr[i]!);
  }
  excModel.release();
  digitModel.release();
  corrModel.release();
  const body = enc.finish();
  const head = [e, hasExc | (hasCorr << 1), ...predictorBytes(predictor)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

export function decodeDecimal(bytes: Uint8Array, n: number): Float64Array {
  if (bytes.length < 3) throw new CorruptBlockError('decimal: header truncated');
  const e = bytes[0]!;
  const flags = bytes[1]!;
  const pr = readPredictor(bytes, 2);
  if (e > MAX_EXPONENT || !pr || flags > 3) throw new CorruptBlockError('decimal: bad header');
  const p = POW10[e]!;
  const hasExc = flags & 1;
  const hasCorr = flags & 2;
  const dec = new RangeDecoder(bytes, 2 + pr.size);
  const excModel = new FlagModel();
  const digitModel = new IntModel();
  const corrModel = new IntModel();
  const pred = new PredictorState(pr.spec.kind, pr.spec.period);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (hasExc && excModel.decode(dec)) {
      const hi = dec.direct(32);
      out[i] = fromWords(hi, dec.direct(32));
      continue;
    }
    const d = digitModel.decode(dec) + pred.predict();
    pred.push(d);
    const rec = d / p;
    out[i] = hasCorr ? addUlps(rec, corrModel.decode(dec)) : rec;
  }
  excModel.release();
  digitModel.release();
  corrModel.release();
  return out;
}

/** Digits of the values at exponent e (exceptions skipped), for choosing a predictor. */
export function decimalDigits(values: ArrayLike<number>, e: number, limit = 4096): number[] {
  const p = POW10[e]!;
  const out: number[] = [];
  for (let i = 0; i < values.length && out.length < limit; i++) {
    const f = fit(values[i]!, p);
    if (f) out.push(f.d);
  }
  return out;
}
