/**
 * The archive block: a self-describing, versioned, checksummed columnar encoding of records
 * (timestamp + typed fields). docs/archive.md gives the layout byte by byte:
 *
 *   0  4  magic "JARB"
 *   4  1  format version (1)
 *   5  1  flags (bit 0: body brotli-compressed)
 *   6  4  total length L (u32 LE), CRC included
 *  10  …  varints: record count, decoded body length, zigzag(min timestamp),
 *         max − min timestamp; then the schema and the metadata
 *   H  …  body (columns; brotli-compressed when flagged)
 * L−4  4  CRC-32 of bytes [0, L−4)
 */
import { brotliCompressSync, brotliDecompressSync, constants as zc } from 'node:zlib';
import { z } from 'zod';
import { ByteReader, ByteWriter, UTF8_DECODER, UTF8_ENCODER, unzigzag, zigzag } from './bytes.js';
import { CATEGORY_DICT, decodeCategories, encodeCategories } from './categoryColumn.js';
import { crc32 } from './crc32.js';
import {
  FLOAT_CODEC_NAMES,
  type FloatCodecName,
  decodeFloatColumn,
  encodeFloatColumn,
} from './floatColumn.js';
import { type Encoded, INT_LIMIT, decodeIntColumn, encodeIntColumn } from './intColumn.js';
import { FlagModel } from './intModel.js';
import { calendarPeriods } from './predict.js';
import { RangeDecoder, RangeEncoder } from './rangeCoder.js';
import { CODE_TYPE, type FieldSpec, type FieldType, TYPE_CODE, type Value, schemaSchema } from './schema.js';
import { TIMESTAMP_LIMIT, TS_DELTA_AC, TS_DOD_AC, decodeTimestampDeltas, decodeTimestamps, encodeTimestampColumn } from './timestampColumn.js';
import { ArchiveInputError, BlockFormatError, CorruptBlockError } from '../errors.js';
import { parseInput } from '../validate.js';

export const BLOCK_MAGIC = Uint8Array.of(0x4a, 0x41, 0x52, 0x42); // "JARB"
export const BLOCK_VERSION = 1;
/** Offset of the total length, and the smallest possible block. */
export const LENGTH_OFFSET = 6;
export const MIN_BLOCK = 20;
const FLAG_BROTLI = 1;
const FIELD_HAS_NULLS = 1;
const FIELD_DECLARED_PRECISION = 2;
/** Blocks hold at most this many records. */
export const MAX_BLOCK_RECORDS = 1 << 24;

export const encodeOptionsSchema = z
  .object({
    /** The entropy stage: 'auto' tries brotli when a column is not already entropy-coded. */
    entropy: z.enum(['auto', 'off', 'always']).default('auto'),
    brotliQuality: z.number().int().min(0).max(11).default(11),
    /** Lossless float codecs to try besides raw. */
    floatCodecs: z.array(z.enum(['raw', 'gorilla', 'chimp', 'xor-ac', 'decimal'])).optional(),
  })
  .strict();
export type EncodeOptions = z.input<typeof encodeOptionsSchema>;

export interface BlockInput {
  readonly schema: readonly FieldSpec[];
  /** Integers (|t| ≤ 2^50), in any order; duplicates allowed. */
  readonly timestamps: ArrayLike<number>;
  /** One array per schema field, each as long as `timestamps`. */
  readonly columns: readonly ArrayLike<Value>[];
  /** Small JSON-serialisable metadata stored in the header (block class, sequence ranges…). */
  readonly meta?: unknown;
}

export interface BlockHeader {
  readonly version: number;
  readonly brotli: boolean;
  readonly totalLength: number;
  readonly headerLength: number;
  readonly count: number;
  readonly bodyLength: number;
  readonly minTimestamp: number;
  readonly maxTimestamp: number;
  readonly schema: readonly FieldSpec[];
  readonly nullable: readonly boolean[];
  readonly meta: unknown;
}

export interface DecodedColumn {
  readonly field: FieldSpec;
  /** Codec that stored it (name, for monitoring). */
  readonly codec: string;
  /** Numbers for float/int fields, strings for categories; entries where `present` is 0 are placeholders. */
  readonly values: Float64Array | string[];
  /** Present only when the block has nulls in this field: 1 = value present. */
  readonly present?: Uint8Array;
}

export interface DecodedBlock {
  readonly header: BlockHeader;
  readonly timestamps: Float64Array;
  readonly columns: ReadonlyMap<string, DecodedColumn>;
}

/** Per-column report of an encoding, for monitoring. */
export interface ColumnReport {
  readonly name: string;
  readonly codec: string;
  readonly bytes: number;
}

function inputError(path: string, message: string): ArchiveInputError {
  return new ArchiveInputError('block input', [{ path, message }]);
}

function encodePresence(present: Uint8Array): Uint8Array {
  const enc = new RangeEncoder(present.length / 8 + 16);
  const m = new FlagModel();
  for (let i = 0; i < present.length; i++) m.encode(enc, present[i]!);
  m.release();
  return enc.finish();
}

function decodePresence(bytes: Uint8Array, n: number): Uint8Array {
  const dec = new RangeDecoder(bytes);
  const m = new FlagModel();
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = m.decode(dec);
  m.release();
  return out;
}

const TS_CODEC_NAMES: Readonly<Record<number, string>> = { [TS_DOD_AC]: 'dod-ac', [TS_DELTA_AC]: 'delta-ac' };
const INT_CODEC_NAMES: Readonly<Record<number, string>> = { 20: 'varint', 21: 'int-ac', 22: 'bitpack' };

function codecName(type: FieldType, id: number): string {
  if (type === 'float') return FLOAT_CODEC_NAMES[id] ?? `float#${id}`;
  if (type === 'int') return INT_CODEC_NAMES[id] ?? `int#${id}`;
  return id === CATEGORY_DICT ? 'dictionary' : `category#${id}`;
}

/** Encodes one block. Throws ArchiveInputError (nothing encoded) on any bad input. */
export function encodeBlock(input: BlockInput, options: EncodeOptions = {}): Uint8Array {
  return encodeBlockReport(input, options).bytes;
}

/** Encodes one block and reports what each column cost. */
export function encodeBlockReport(
  input: BlockInput,
  options: EncodeOptions = {},
): { bytes: Uint8Array; columns: ColumnReport[]; brotli: boolean } {
  const opts = parseInput(encodeOptionsSchema, options, 'block encode options');
  const schema = parseInput(schemaSchema, input.schema, 'block schema');
  const n = input.timestamps.length;
  if (n > MAX_BLOCK_RECORDS) throw inputError('timestamps', `a block holds at most ${MAX_BLOCK_RECORDS} records, got ${n}`);
  if (input.columns.length !== schema.length) {
    throw inputError('columns', `expected ${schema.length} columns (one per field), got ${input.columns.length}`);
  }
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t = input.timestamps[i]!;
    if (!Number.isInteger(t) || Math.abs(t) > TIMESTAMP_LIMIT) {
      throw inputError(`timestamps.${i}`, `timestamps are integers of magnitude at most 2^50, got ${t}`);
    }
    if (t < minTs) minTs = t;
    if (t > maxTs) maxTs = t;
  }
  let metaBytes = new Uint8Array(0);
  if (input.meta !== undefined) {
    let json: string | undefined;
    try {
      json = JSON.stringify(input.meta);
    } catch (err) {
      throw inputError('meta', `not JSON-serialisable: ${(err as Error).message}`);
    }
    if (json === undefined) throw inputError('meta', 'not JSON-serialisable');
    metaBytes = UTF8_ENCODER.encode(json);
    if (metaBytes.length > 65536) throw inputError('meta', 'at most 64 KiB of metadata');
  }

  const body = new ByteWriter(n * 2 + 64);
  const reports: ColumnReport[] = [];
  let rawish = 0;
  const section = (e: Encoded): void => {
    body.u8(e.id);
    body.lenBytes(e.bytes);
    if (!e.entropyCoded) rawish += e.bytes.length;
  };
  const ts = encodeTimestampColumn(input.timestamps);
  section({ id: ts.id, bytes: ts.bytes, entropyCoded: true });
  reports.push({ name: '(timestamp)', codec: TS_CODEC_NAMES[ts.id]!, bytes: ts.bytes.length });

  const nullable: boolean[] = [];
  const periods = calendarPeriods(input.timestamps);
  const floatOpts = { codecs: opts.floatCodecs as FloatCodecName[] | undefined, periods };
  schema.forEach((field, c) => {
    const col = input.columns[c]!;
    if (col.length !== n) throw inputError(`columns.${c}`, `field '${field.name}' has ${col.length} values for ${n} timestamps`);
    const present = new Uint8Array(n);
    let nulls = 0;
    for (let i = 0; i < n; i++) {
      const v = col[i];
      if (v === null || v === undefined) {
        nulls++;
        continue;
      }
      present[i] = 1;
      if (field.type === 'category') {
        if (typeof v !== 'string') throw inputError(`columns.${c}.${i}`, `field '${field.name}' is categorical: expected a string, got ${typeof v}`);
      } else if (typeof v !== 'number') {
        throw inputError(`columns.${c}.${i}`, `field '${field.name}' is numeric: expected a number, got ${typeof v}`);
      } else if (field.type === 'int' && (!Number.isInteger(v) || Math.abs(v) > INT_LIMIT)) {
        throw inputError(`columns.${c}.${i}`, `field '${field.name}' holds integers of magnitude at most 2^50, got ${v}`);
      }
    }
    nullable.push(nulls > 0);
    const start = body.length;
    if (nulls > 0) body.lenBytes(encodePresence(present));
    const m = n - nulls;
    let enc: Encoded;
    if (field.type === 'category') {
      const vals: string[] = [];
      for (let i = 0; i < n; i++) if (present[i]) vals.push(col[i] as string);
      const { bytes, dictBytes } = encodeCategories(vals);
      enc = { id: CATEGORY_DICT, bytes, entropyCoded: false };
      section(enc);
      rawish -= bytes.length - dictBytes;
    } else {
      const vals = new Float64Array(m);
      for (let i = 0, j = 0; i < n; i++) if (present[i]) vals[j++] = col[i] as number;
      enc =
        field.type === 'int'
          ? encodeIntColumn(vals, periods)
          : encodeFloatColumn(vals, { ...floatOpts, maxError: field.maxError });
      section(enc);
    }
    reports.push({ name: field.name, codec: codecName(field.type, enc.id), bytes: body.length - start });
  });

  let bodyBytes = body.finish();
  const bodyLength = bodyBytes.length;
  let flags = 0;
  if (opts.entropy === 'always' || (opts.entropy === 'auto' && rawish >= 64)) {
    const packed = brotliCompressSync(bodyBytes, {
      params: {
        [zc.BROTLI_PARAM_QUALITY]: opts.brotliQuality,
        [zc.BROTLI_PARAM_SIZE_HINT]: bodyBytes.length,
        [zc.BROTLI_PARAM_LGWIN]: Math.max(16, Math.min(24, Math.ceil(Math.log2(bodyBytes.length + 1)) + 1)),
      },
    });
    if (packed.length < bodyBytes.length || opts.entropy === 'always') {
      bodyBytes = new Uint8Array(packed.buffer, packed.byteOffset, packed.length);
      flags |= FLAG_BROTLI;
    }
  }

  const w = new ByteWriter(64 + bodyBytes.length);
  w.bytes(BLOCK_MAGIC);
  w.u8(BLOCK_VERSION);
  w.u8(flags);
  w.u32(0); // total length, patched
  w.varint(n);
  w.varint(bodyLength);
  w.varint(n > 0 ? zigzag(minTs) : 0);
  w.varint(n > 0 ? maxTs - minTs : 0);
  w.varint(schema.length);
  schema.forEach((f, c) => {
    w.u8(TYPE_CODE[f.type]);
    w.u8((nullable[c] ? FIELD_HAS_NULLS : 0) | (f.maxError !== undefined ? FIELD_DECLARED_PRECISION : 0));
    w.lenBytes(UTF8_ENCODER.encode(f.name));
    if (f.maxError !== undefined) w.f64(f.maxError);
  });
  w.lenBytes(metaBytes);
  w.bytes(bodyBytes);
  const total = w.length + 4;
  w.patchU32(LENGTH_OFFSET, total);
  w.u32(0);
  const out = w.finish();
  new DataView(out.buffer).setUint32(total - 4, crc32(out, 0, total - 4), true);
  return { bytes: out, columns: reports, brotli: (flags & FLAG_BROTLI) !== 0 };
}

/**
 * Parses and checks a block's header. With `verify` (the default) the CRC of the whole block
 * is checked first; a mismatch throws CorruptBlockError. A block from a newer format version
 * throws BlockFormatError.
 */
export function readBlockHeader(bytes: Uint8Array, verify = true): BlockHeader {
  if (bytes.length < MIN_BLOCK) throw new CorruptBlockError(`block too short (${bytes.length} bytes)`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== BLOCK_MAGIC[i]) throw new CorruptBlockError('not an archive block (bad magic)');
  const r = new ByteReader(bytes);
  r.bytes(4);
  const version = r.u8();
  const flags = r.u8();
  const totalLength = r.u32();
  if (totalLength !== bytes.length) {
    throw new CorruptBlockError(`block length field says ${totalLength} bytes, have ${bytes.length}`);
  }
  if (verify) {
    const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(totalLength - 4, true);
    const actual = crc32(bytes, 0, totalLength - 4);
    if (stored !== actual) {
      throw new CorruptBlockError(`checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)})`);
    }
  }
  if (version !== BLOCK_VERSION) throw new BlockFormatError(`block format version ${version}; this reader reads version ${BLOCK_VERSION}`);
  if ((flags & ~FLAG_BROTLI) !== 0) throw new BlockFormatError(`unknown block flags ${flags}`);
  const hr = new ByteReader(bytes, LENGTH_OFFSET + 4, totalLength - 4);
  const count = hr.varint();
  const bodyLength = hr.varint();
  const minTimestamp = unzigzag(hr.varint());
  const maxTimestamp = minTimestamp + hr.varint();
  if (count > MAX_BLOCK_RECORDS) throw new CorruptBlockError('bad record count');
  const nFields = hr.varint();
  if (nFields > 1024) throw new CorruptBlockError('too many fields');
  const schema: FieldSpec[] = [];
  const nullable: boolean[] = [];
  for (let c = 0; c < nFields; c++) {
    const type = CODE_TYPE[hr.u8()];
    const fflags = hr.u8();
    if (!type || fflags > 3) throw new CorruptBlockError(`bad field descriptor ${c}`);
    let name: string;
    try {
      name = UTF8_DECODER.decode(hr.lenBytes());
    } catch (err) {
      if (err instanceof CorruptBlockError) throw err;
      throw new CorruptBlockError('field name is not UTF-8');
    }
    const field: FieldSpec = fflags & FIELD_DECLARED_PRECISION ? { name, type, maxError: hr.f64() } : { name, type };
    schema.push(field);
    nullable.push((fflags & FIELD_HAS_NULLS) !== 0);
  }
  const metaRaw = hr.lenBytes();
  let meta: unknown;
  if (metaRaw.length > 0) {
    try {
      meta = JSON.parse(UTF8_DECODER.decode(metaRaw));
    } catch {
      throw new CorruptBlockError('block metadata is not JSON');
    }
  }
  const headerLength = hr.pos;
  return {
    version,
    brotli: (flags & FLAG_BROTLI) !== 0,
    totalLength,
    headerLength,
    count,
    bodyLength,
    minTimestamp,
    maxTimestamp,
    schema,
    nullable,
    meta,
  };
}

/**
 * Decodes a block (all fields, or only those named in `fields`; the timestamps always).
 * Throws CorruptBlockError when the checksum or the structure does not match.
 */
export function decodeBlock(bytes: Uint8Array, fields?: readonly string[]): DecodedBlock {
  const header = readBlockHeader(bytes);
  let body = bytes.subarray(header.headerLength, header.totalLength - 4);
  if (header.brotli) {
    try {
      const b = brotliDecompressSync(body, { maxOutputLength: Math.max(1, header.bodyLength) });
      body = new Uint8Array(b.buffer, b.byteOffset, b.length);
    } catch (err) {
      throw new CorruptBlockError(`brotli body does not decompress: ${(err as Error).message}`);
    }
  }
  if (body.length !== header.bodyLength) throw new CorruptBlockError('body length mismatch');
  const n = header.count;
  const r = new ByteReader(body);
  const tsId = r.u8();
  const tsBytes = r.lenBytes();
  if (tsId !== TS_DOD_AC && tsId !== TS_DELTA_AC) throw new CorruptBlockError(`unknown timestamp encoding ${tsId}`);
  const timestamps = tsId === TS_DOD_AC ? decodeTimestamps(tsBytes, n) : decodeTimestampDeltas(tsBytes, n);
  const want = fields ? new Set(fields) : undefined;
  const columns = new Map<string, DecodedColumn>();
  header.schema.forEach((field, c) => {
    const presentBytes = header.nullable[c] ? r.lenBytes() : undefined;
    const id = r.u8();
    const data = r.lenBytes();
    if (want && !want.has(field.name)) return;
    const present = presentBytes ? decodePresence(presentBytes, n) : undefined;
    let m = n;
    if (present) {
      m = 0;
      for (let i = 0; i < n; i++) m += present[i]!;
    }
    let dense: Float64Array | string[];
    if (field.type === 'category') {
      if (id !== CATEGORY_DICT) throw new CorruptBlockError(`unknown category encoding ${id}`);
      dense = decodeCategories(data, m);
    } else if (field.type === 'int') {
      dense = decodeIntColumn(id, data, m);
    } else {
      dense = decodeFloatColumn(id, data, m);
    }
    let values = dense;
    if (present) {
      // Spread back to one slot per record.
      if (dense instanceof Float64Array) {
        const full = new Float64Array(n);
        for (let i = 0, j = 0; i < n; i++) if (present[i]) full[i] = dense[j++]!;
        values = full;
      } else {
        const full = new Array<string>(n).fill('');
        for (let i = 0, j = 0; i < n; i++) if (present[i]) full[i] = dense[j++]!;
        values = full;
      }
    }
    columns.set(field.name, present ? { field, codec: codecName(field.type, id), values, present } : { field, codec: codecName(field.type, id), values });
  });
  return { header, timestamps, columns };
}

/** The value of record `i` in a decoded column (null when absent). */
export function valueAt(col: DecodedColumn, i: number): Value {
  if (col.present && !col.present[i]) return null;
  return col.values[i]!;
}

export interface Row {
  readonly timestamp: number;
  readonly values: Record<string, Value>;
}

/** The decoded block as records, in stored order. */
export function blockRows(block: DecodedBlock): Row[] {
  const cols = [...block.columns.values()];
  const out: Row[] = [];
  for (let i = 0; i < block.header.count; i++) {
    const values: Record<string, Value> = {};
    for (const c of cols) values[c.field.name] = valueAt(c, i);
    out.push({ timestamp: block.timestamps[i]!, values });
  }
  return out;
}
