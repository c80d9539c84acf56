/**
 * Integer columns (|v| ≤ 2^50) and the integer side of other columns. Three encodings, the
 * smallest kept: range-coded residuals of the best predictor (INT_AC), zigzag varints of the
 * residuals (INT_VARINT), frame-of-reference bit-packing of the residuals (INT_BITPACK).
 * Each starts with the predictor (u8 kind: 0 none, 1 previous, 2 linear, 3 seasonal; then a
 * u16 period when seasonal).
 */
import { ByteReader, ByteWriter, unzigzag, zigzag } from './bytes.js';
import { BitReader, BitWriter } from './bitio.js';
import { IntModel, bitLength } from './intModel.js';
import { type PredictorSpec, PredictorState, predictorBytes, rankPredictors, readPredictor, shortlist } from './predict.js';
import { RangeDecoder, RangeEncoder } from './rangeCoder.js';
import { CorruptBlockError } from '../errors.js';

export const INT_LIMIT = 2 ** 50;

export const INT_VARINT = 20;
export const INT_AC = 21;
export const INT_BITPACK = 22;

export interface Encoded {
  readonly id: number;
  readonly bytes: Uint8Array;
  /** False when a general-purpose entropy stage may still shrink it. */
  readonly entropyCoded: boolean;
}

function residuals(values: ArrayLike<number>, predictor: PredictorSpec): Float64Array {
  const out = new Float64Array(values.length);
  const p = new PredictorState(predictor.kind, predictor.period);
  for (let i = 0; i < values.length; i++) {
    out[i] = values[i]! - p.predict();
    p.push(values[i]!);
  }
  return out;
}

function unresiduals(res: Float64Array, predictor: PredictorSpec): Float64Array {
  const p = new PredictorState(predictor.kind, predictor.period);
  for (let i = 0; i < res.length; i++) {
    const v = res[i]! + p.predict();
    res[i] = v;
    p.push(v);
  }
  return res;
}

export function encodeIntAc(values: ArrayLike<number>, predictor: PredictorSpec): Uint8Array {
  const enc = new RangeEncoder(values.length + 16);
  const model = new IntModel();
  const p = new PredictorState(predictor.kind, predictor.period);
  for (let i = 0; i < values.length; i++) {
    model.encode(enc, values[i]! - p.predict());
    p.push(values[i]!);
  }
  model.release();
  const body = enc.finish();
  const head = predictorBytes(predictor);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

export function encodeIntColumn(values: ArrayLike<number>, periods: readonly number[] = []): Encoded {
  const n = values.length;
  // Range-coded with each predictor of the shortlist; the smallest is kept.
  let ac: Uint8Array | undefined;
  let predictor: PredictorSpec = { kind: 1, period: 0 };
  for (const p of shortlist(rankPredictors(values, periods, 0, Math.min(n, 4096)), 2)) {
    const c = encodeIntAc(values, p);
    if (!ac || c.length < ac.length) {
      ac = c;
      predictor = p;
    }
  }
  if (!ac) ac = encodeIntAc(values, predictor);
  const head = predictorBytes(predictor);
  const res = residuals(values, predictor);
  let varintSize = head.length;
  let min = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const z = zigzag(res[i]!);
    varintSize += z < 128 ? 1 : Math.ceil(bitLength(z) / 7);
    if (i === 0 || res[i]! < min) min = res[i]!;
    if (i === 0 || res[i]! > max) max = res[i]!;
  }
  const width = bitLength(max - min);
  const packSize = head.length + 8 + 1 + Math.ceil((width * n) / 8);
  if (ac.length <= varintSize && ac.length <= packSize) return { id: INT_AC, bytes: ac, entropyCoded: true };
  if (varintSize <= packSize) {
    const w = new ByteWriter(varintSize);
    for (const b of head) w.u8(b);
    for (let i = 0; i < n; i++) w.varint(zigzag(res[i]!));
    return { id: INT_VARINT, bytes: w.finish(), entropyCoded: false };
  }
  const w = new ByteWriter(packSize);
  for (const b of head) w.u8(b);
  w.varint(zigzag(min));
  w.u8(width);
  const bw = new BitWriter(packSize);
  for (let i = 0; i < n; i++) {
    const u = res[i]! - min;
    if (width > 32) {
      bw.write(Math.floor(u / 0x1_0000_0000), width - 32);
      bw.write(u % 0x1_0000_0000, 32);
    } else {
      bw.write(u, width);
    }
  }
  w.bytes(bw.finish());
  return { id: INT_BITPACK, bytes: w.finish(), entropyCoded: false };
}

export function decodeIntColumn(id: number, bytes: Uint8Array, n: number): Float64Array {
  const pr = readPredictor(bytes, 0);
  if (!pr) throw new CorruptBlockError('int column: bad predictor');
  const predictor = pr.spec;
  const res = new Float64Array(n);
  if (id === INT_AC) {
    const dec = new RangeDecoder(bytes, pr.size);
    const model = new IntModel();
    const p = new PredictorState(predictor.kind, predictor.period);
    for (let i = 0; i < n; i++) {
      const v = model.decode(dec) + p.predict();
      res[i] = v;
      p.push(v);
    }
    model.release();
    return res;
  }
  const r = new ByteReader(bytes, pr.size);
  if (id === INT_VARINT) {
    for (let i = 0; i < n; i++) res[i] = unzigzag(r.varint());
  } else if (id === INT_BITPACK) {
    const min = unzigzag(r.varint());
    const width = r.u8();
    if (width > 53) throw new CorruptBlockError('int column: bad width');
    const br = new BitReader(r.bytes(r.remaining));
    for (let i = 0; i < n; i++) {
      const u = width > 32 ? br.read(width - 32) * 0x1_0000_0000 + br.read(32) : br.read(width);
      res[i] = u + min;
    }
  } else {
    throw new CorruptBlockError(`int column: unknown encoding ${id}`);
  }
  return unresiduals(res, predictor);
}
