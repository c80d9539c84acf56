/**
 * Layout-driven payload codec: every request and response payload is encoded and decoded
 * from spec/protocol.ts's Layout tables (fields, optional tail, records), little-endian.
 * Nothing here knows about particular ops; messages.ts adds the types.
 */
import { FIELD_BYTES, type Field, type FieldType, type Layout, layoutBytes } from '../../spec/index.js';

/** u8..u40 are numbers, u64 a bigint, salience and weights five-number tuples. */
export type FieldValue = number | bigint | readonly number[];
export type FieldValues = { readonly [name: string]: FieldValue };
/** A payload's values; `records` holds the record run of a layout that has one. */
export type PayloadValues = { readonly [name: string]: FieldValue | readonly FieldValues[] | undefined };

export class CodecError extends Error {
  override readonly name = 'CodecError';
}

interface FieldCodec {
  write(view: DataView, at: number, value: FieldValue, name: string): void;
  read(view: DataView, at: number): FieldValue;
}

function int(value: FieldValue, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CodecError(`field ${name}: ${String(value)} is not an integer in ${min}..${max}`);
  }
  return value;
}

/** Five bytes; `signedAt` names the one signed byte (valence of a salience), or -1. */
function tuple5(signedAt: number): FieldCodec {
  return {
    write(view, at, value, name) {
      if (!Array.isArray(value) || value.length !== 5) throw new CodecError(`field ${name}: expected 5 numbers`);
      value.forEach((x: number, i: number) =>
        i === signedAt
          ? view.setInt8(at + i, int(x, `${name}[${i}]`, -128, 127))
          : view.setUint8(at + i, int(x, `${name}[${i}]`, 0, 255)),
      );
    },
    read(view, at) {
      return Array.from({ length: 5 }, (_, i) => (i === signedAt ? view.getInt8(at + i) : view.getUint8(at + i)));
    },
  };
}

const CODECS: Record<FieldType, FieldCodec> = {
  u8: { write: (v, at, x, n) => v.setUint8(at, int(x, n, 0, 0xff)), read: (v, at) => v.getUint8(at) },
  s8: { write: (v, at, x, n) => v.setInt8(at, int(x, n, -128, 127)), read: (v, at) => v.getInt8(at) },
  u16: { write: (v, at, x, n) => v.setUint16(at, int(x, n, 0, 0xffff), true), read: (v, at) => v.getUint16(at, true) },
  u32: {
    write: (v, at, x, n) => v.setUint32(at, int(x, n, 0, 0xffff_ffff), true),
    read: (v, at) => v.getUint32(at, true),
  },
  u40: {
    write(v, at, x, n) {
      const value = int(x, n, 0, 2 ** 40 - 1);
      v.setUint32(at, value % 2 ** 32, true);
      v.setUint8(at + 4, Math.floor(value / 2 ** 32));
    },
    read: (v, at) => v.getUint32(at, true) + v.getUint8(at + 4) * 2 ** 32,
  },
  u64: {
    write(v, at, x, n) {
      if (typeof x !== 'bigint' || x < 0n || x > 0xffff_ffff_ffff_ffffn) {
        throw new CodecError(`field ${n}: ${String(x)} is not a bigint in 0..2^64-1`);
      }
      v.setBigUint64(at, x, true);
    },
    read: (v, at) => v.getBigUint64(at, true),
  },
  weights: tuple5(-1),
  salience: tuple5(3),
};

function writeFields(view: DataView, at: number, fields: readonly Field[], values: PayloadValues | FieldValues): number {
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined) throw new CodecError(`field ${field.name} is missing`);
    CODECS[field.type].write(view, at, value as FieldValue, field.name);
    at += FIELD_BYTES[field.type];
  }
  return at;
}

function readFields(view: DataView, at: number, fields: readonly Field[], into: Record<string, FieldValue>): number {
  for (const field of fields) {
    into[field.name] = CODECS[field.type].read(view, at);
    at += FIELD_BYTES[field.type];
  }
  return at;
}

/** Payload length a layout gives these values (optional tail present when its first field is). */
export function encodedLength(layout: Layout, values: PayloadValues): number {
  const tail = layout.optional && values[layout.optional[0]!.name] !== undefined ? layoutBytes(layout.optional) : 0;
  const records = layout.records ? ((values.records as readonly FieldValues[] | undefined)?.length ?? 0) : 0;
  return layoutBytes(layout.fields) + tail + (layout.records ? records * layoutBytes(layout.records.fields) : 0);
}

/** Encodes values by a layout. A record layout's count field is taken from `records`. */
export function encodeLayout(layout: Layout, values: PayloadValues): Uint8Array {
  const records = (values.records as readonly FieldValues[] | undefined) ?? [];
  let fixed: PayloadValues = values;
  if (layout.records) {
    const declared = values[layout.records.countField];
    if (declared !== undefined && declared !== records.length) {
      throw new CodecError(`${layout.records.countField} = ${String(declared)} but ${records.length} records given`);
    }
    fixed = { ...values, [layout.records.countField]: records.length };
  }
  const bytes = new Uint8Array(encodedLength(layout, values));
  const view = new DataView(bytes.buffer);
  let at = writeFields(view, 0, layout.fields, fixed);
  if (layout.optional) {
    const present = layout.optional.filter((f) => values[f.name] !== undefined).length;
    if (present === layout.optional.length) at = writeFields(view, at, layout.optional, values);
    else if (present !== 0) throw new CodecError('optional fields must be given all together or not at all');
  }
  if (layout.records) for (const r of records) at = writeFields(view, at, layout.records.fields, r);
  return bytes;
}

/** Decodes a payload by a layout; the length must fit the layout exactly. */
export function decodeLayout(layout: Layout, bytes: Uint8Array): Record<string, FieldValue | FieldValues[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const base = layoutBytes(layout.fields);
  const out: Record<string, FieldValue> = {};
  if (bytes.length < base) throw new CodecError(`payload of ${bytes.length} bytes, layout needs ${base}`);
  let at = readFields(view, 0, layout.fields, out);
  if (layout.optional && bytes.length === base + layoutBytes(layout.optional)) {
    at = readFields(view, at, layout.optional, out);
  }
  const result: Record<string, FieldValue | FieldValues[]> = out;
  if (layout.records) {
    const count = out[layout.records.countField];
    const size = layoutBytes(layout.records.fields);
    if (typeof count !== 'number' || bytes.length !== at + count * size) {
      throw new CodecError(`payload of ${bytes.length} bytes does not hold ${String(count)} records`);
    }
    const records: FieldValues[] = [];
    for (let i = 0; i < count; i++) {
      const r: Record<string, FieldValue> = {};
      at = readFields(view, at, layout.records.fields, r);
      records.push(r);
    }
    result.records = records;
  }
  if (at !== bytes.length) throw new CodecError(`payload of ${bytes.length} bytes, layout takes ${at}`);
  return result;
}
