/**
 * Float columns: every applicable codec is tried on the block's values and the smallest
 * output is kept, so a column costs at most its raw size plus a byte.
 *   FLOAT_RAW      8 bytes a value, little-endian
 *   FLOAT_GORILLA  Gorilla's XOR bit stream
 *   FLOAT_CHIMP    Chimp's XOR bit stream
 *   FLOAT_XOR_AC   XOR with range-coded headers
 *   FLOAT_DECIMAL  ALP-style decimal digits with ulp corrections and exceptions
 *   FLOAT_QUANT    declared precision (only when the field declares a maxError)
 */
import { decodeChimpFloats, encodeChimpFloats } from './chimp.js';
import { decimalDigits, decimalExponents, decodeDecimal, encodeDecimal } from './decimal.js';
import { decodeGorillaFloats, encodeGorillaFloats } from './gorilla.js';
import type { Encoded } from './intColumn.js';
import { rankPredictors, shortlist } from './predict.js';
import { decodeQuantized, encodeQuantized } from './quantize.js';
import { decodeXorAc, encodeXorAc } from './xorAc.js';
import { CorruptBlockError } from '../errors.js';

export const FLOAT_RAW = 10;
export const FLOAT_GORILLA = 11;
export const FLOAT_CHIMP = 12;
export const FLOAT_XOR_AC = 13;
export const FLOAT_DECIMAL = 14;
export const FLOAT_QUANT = 15;

export const FLOAT_CODEC_NAMES: Readonly<Record<number, string>> = {
  [FLOAT_RAW]: 'raw',
  [FLOAT_GORILLA]: 'gorilla',
  [FLOAT_CHIMP]: 'chimp',
  [FLOAT_XOR_AC]: 'xor-ac',
  [FLOAT_DECIMAL]: 'decimal',
  [FLOAT_QUANT]: 'quantized',
};

export type FloatCodecName = 'raw' | 'gorilla' | 'chimp' | 'xor-ac' | 'decimal';

export interface FloatColumnOptions {
  /** Declared precision: decoded values may differ from the originals by at most this much. */
  readonly maxError?: number;
  /** Lossless codecs to try besides raw, which is always the floor (default: all). */
  readonly codecs?: readonly FloatCodecName[];
  /** Candidate seasonal periods (samples) for the integer predictors. */
  readonly periods?: readonly number[];
}

function raw(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]!, true);
  return out;
}

export function encodeFloatColumn(values: ArrayLike<number>, options: FloatColumnOptions = {}): Encoded {
  const codecs = new Set<FloatCodecName>(options.codecs ?? ['raw', 'gorilla', 'chimp', 'xor-ac', 'decimal']);
  let best: Encoded = { id: FLOAT_RAW, bytes: raw(values), entropyCoded: false };
  const consider = (c: Encoded): void => {
    if (c.bytes.length < best.bytes.length) best = c;
  };
  if (options.maxError !== undefined) {
    consider({ id: FLOAT_QUANT, bytes: encodeQuantized(values, options.maxError, options.periods), entropyCoded: true });
  }
  if (codecs.has('decimal')) {
    // The best exponent with its shortlist of two predictors, the runner-up exponent with one.
    decimalExponents(values).forEach((e, rank) => {
      for (const predictor of shortlist(rankPredictors(decimalDigits(values, e), options.periods), rank === 0 ? 2 : 1)) {
        consider({ id: FLOAT_DECIMAL, bytes: encodeDecimal(values, e, predictor), entropyCoded: true });
      }
    });
  }
  if (codecs.has('xor-ac')) consider({ id: FLOAT_XOR_AC, bytes: encodeXorAc(values), entropyCoded: true });
  // The bit-level XOR codecs cost at least a few bits a value on data that varies: tried
  // only when nothing above reached 16 bits a value.
  const tryBitLevel = best.bytes.length > values.length * 2;
  if (tryBitLevel && codecs.has('gorilla')) consider({ id: FLOAT_GORILLA, bytes: encodeGorillaFloats(values), entropyCoded: false });
  if (tryBitLevel && codecs.has('chimp')) consider({ id: FLOAT_CHIMP, bytes: encodeChimpFloats(values), entropyCoded: false });
  return best;
}

export function decodeFloatColumn(id: number, bytes: Uint8Array, n: number): Float64Array {
  switch (id) {
    case FLOAT_RAW: {
      if (bytes.length !== n * 8) throw new CorruptBlockError('raw float column: wrong length');
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case FLOAT_GORILLA:
      return decodeGorillaFloats(bytes, n);
    case FLOAT_CHIMP:
      return decodeChimpFloats(bytes, n);
    case FLOAT_XOR_AC:
      return decodeXorAc(bytes, n);
    case FLOAT_DECIMAL:
      return decodeDecimal(bytes, n);
    case FLOAT_QUANT:
      return decodeQuantized(bytes, n);
    default:
      throw new CorruptBlockError(`float column: unknown encoding ${id}`);
  }
}
