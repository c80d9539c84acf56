/**
 * Categorical columns: a dictionary of the distinct strings in first-seen order, then per
 * value a range-coded "same as the previous value" flag and, when not, the dictionary index
 * through the adaptive integer model. Long dictionaries (JSON documents) are left to the
 * block's entropy stage.
 *
 * Layout: varint entry count, per entry varint byte length + UTF-8, then the coded stream.
 */
import { ByteReader, ByteWriter, UTF8_DECODER, UTF8_ENCODER } from './bytes.js';
import { FlagModel, IntModel } from './intModel.js';
import { RangeDecoder, RangeEncoder } from './rangeCoder.js';
import { CorruptBlockError } from '../errors.js';

export const CATEGORY_DICT = 30;

export function encodeCategories(values: readonly string[]): { bytes: Uint8Array; dictBytes: number } {
  const dict = new Map<string, number>();
  const idx = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let k = dict.get(v);
    if (k === undefined) {
      k = dict.size;
      dict.set(v, k);
    }
    idx[i] = k;
  }
  const w = new ByteWriter(64);
  w.varint(dict.size);
  for (const s of dict.keys()) w.lenBytes(UTF8_ENCODER.encode(s));
  const dictBytes = w.length;
  if (dict.size > 1) {
    const enc = new RangeEncoder(values.length / 2 + 16);
    const same = new FlagModel();
    const model = new IntModel();
    let prev = -1;
    for (let i = 0; i < values.length; i++) {
      const k = idx[i]!;
      same.encode(enc, k === prev ? 1 : 0);
      if (k !== prev) model.encode(enc, k);
      prev = k;
    }
    same.release();
    model.release();
    w.bytes(enc.finish());
  }
  return { bytes: w.finish(), dictBytes };
}

export function decodeCategories(bytes: Uint8Array, n: number): string[] {
  const r = new ByteReader(bytes);
  const size = r.varint();
  if (size > bytes.length) throw new CorruptBlockError('category column: dictionary larger than the column');
  const dict: string[] = [];
  for (let i = 0; i < size; i++) {
    try {
      dict.push(UTF8_DECODER.decode(r.lenBytes()));
    } catch (err) {
      if (err instanceof CorruptBlockError) throw err;
      throw new CorruptBlockError('category column: invalid UTF-8');
    }
  }
  const out = new Array<string>(n);
  if (n === 0) return out;
  if (size === 0) throw new CorruptBlockError('category column: empty dictionary');
  if (size === 1) return out.fill(dict[0]!);
  const dec = new RangeDecoder(bytes, r.pos);
  const same = new FlagModel();
  const model = new IntModel();
  let prev = -1;
  for (let i = 0; i < n; i++) {
    let k = prev;
    if (!same.decode(dec)) k = model.decode(dec);
    const s = dict[k];
    if (s === undefined) throw new CorruptBlockError('category column: index outside the dictionary');
    out[i] = s;
    prev = k;
  }
  same.release();
  model.release();
  return out;
}
