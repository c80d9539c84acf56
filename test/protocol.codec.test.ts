/** The frame CRC, the layout-driven codec and the typed messages over it. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CRC_OF_NOTHING, frameCrc } from '../host/protocol/crc.js';
import { CodecError, decodeLayout, encodeLayout, type FieldValue, type PayloadValues } from '../host/protocol/codec.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../host/protocol/messages.js';
import {
  CRC,
  FIELD_BYTES,
  MAX_PAGE,
  MAX_REQUEST_PAYLOAD,
  MAX_RESPONSE_PAYLOAD,
  OPS,
  OP_NAMES,
  STATUS,
  layoutBytes,
  type Field,
  type FieldType,
  type Layout,
  type StatusName,
} from '../spec/index.js';

/** A bit-reversed `width`-bit value. */
function reflect(value: number, width: number): number {
  let r = 0;
  for (let i = 0; i < width; i++) r = ((r << 1) | ((value >>> i) & 1)) >>> 0;
  return r;
}

/** The textbook bitwise CRC from the spec's normal (unreflected) polynomial, reflected in and out. */
function bitwiseFromPoly(bytes: Uint8Array): number {
  const poly = reflect(CRC.poly, CRC.width);
  let c: number = CRC.init;
  for (const byte of bytes) {
    c ^= byte;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
  }
  return (c ^ CRC.xorout) >>> 0;
}

const flipBits = (bytes: Uint8Array, bits: Iterable<number>): Uint8Array => {
  const out = bytes.slice();
  for (const bit of bits) out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
};

/** The longest span the CRC covers: LEN, SEQ, status and the largest response payload. */
const LONGEST_COVERED = 3 + MAX_RESPONSE_PAYLOAD;

describe('frame CRC (CRC-32C / iSCSI)', () => {
  it('is the standard CRC-32C: check value 0xE3069283 over "123456789"', () => {
    expect(CRC).toMatchObject({ name: 'CRC-32C', width: 32, poly: 0x1edc6f41, init: 0xffffffff, xorout: 0xffffffff });
    expect(CRC.check).toBe(0xe3069283);
    expect(frameCrc(new TextEncoder().encode('123456789'))).toBe(CRC.check);
  });

  it('matches the iSCSI examples of RFC 3720 (B.4), whose CRC bytes are in wire order', () => {
    const wire = (crc: number) => [0, 8, 16, 24].map((s) => (crc >>> s) & 0xff);
    const ramp = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(wire(frameCrc(new Uint8Array(32)))).toEqual([0xaa, 0x36, 0x91, 0x8a]);
    expect(wire(frameCrc(new Uint8Array(32).fill(0xff)))).toEqual([0x43, 0xab, 0xa8, 0x62]);
    expect(wire(frameCrc(ramp))).toEqual([0x4e, 0x79, 0xdd, 0x46]);
    expect(wire(frameCrc(ramp.slice().reverse()))).toEqual([0x5c, 0xdb, 0x3f, 0x11]);
  });

  it('agrees with the bitwise algorithm from the unreflected polynomial (spec fields agree)', () => {
    expect(CRC.polyReflected).toBe(reflect(CRC.poly, CRC.width));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: LONGEST_COVERED }), (bytes) => {
        expect(frameCrc(bytes)).toBe(bitwiseFromPoly(bytes));
      }),
    );
  });

  it('is 0 over nothing (init = xorout) and chains over split input', () => {
    expect(frameCrc(new Uint8Array())).toBe(0);
    expect(CRC_OF_NOTHING).toBe(0);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(64), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        expect(frameCrc(bytes.subarray(at), frameCrc(bytes.subarray(0, at)))).toBe(frameCrc(bytes));
      }),
    );
  });

  it('detects every single-bit error in the longest frame it covers', () => {
    const bytes = Uint8Array.from({ length: LONGEST_COVERED }, (_, i) => (i * 37 + 11) & 0xff);
    const good = frameCrc(bytes);
    for (let bit = 0; bit < bytes.length * 8; bit++) expect(frameCrc(flipBits(bytes, [bit]))).not.toBe(good);
  });

  it('detects every two-bit error in a full request frame', () => {
    const bytes = Uint8Array.from({ length: 3 + MAX_REQUEST_PAYLOAD }, (_, i) => (i * 91 + 5) & 0xff);
    const good = frameCrc(bytes);
    const bits = bytes.length * 8;
    for (let a = 0; a < bits; a++) for (let b = a + 1; b < bits; b++) if (frameCrc(flipBits(bytes, [a, b])) === good) expect.fail(`bits ${a}, ${b}`);
  });

  it('detects any burst of up to 32 bits and any 3..5-bit error in the longest frame (Hamming distance 6)', () => {
    const bits = LONGEST_COVERED * 8;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: LONGEST_COVERED, maxLength: LONGEST_COVERED }), fc.nat(bits - 1), fc.integer({ min: 1, max: 0xffffffff }), (bytes, at, pattern) => {
        // A burst: `pattern` (nonzero) placed at bit `at`, clipped to the frame.
        const flipped = [...Array(32).keys()].filter((k) => (pattern >>> k) & 1).map((k) => at + k).filter((b) => b < bits);
        fc.pre(flipped.length > 0);
        expect(frameCrc(flipBits(bytes, flipped))).not.toBe(frameCrc(bytes));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: LONGEST_COVERED, maxLength: LONGEST_COVERED }), fc.uniqueArray(fc.nat(bits - 1), { minLength: 3, maxLength: 5 }), (bytes, flipped) => {
        expect(frameCrc(flipBits(bytes, flipped))).not.toBe(frameCrc(bytes));
      }),
      { numRuns: 500 },
    );
  });
});

const ARB: Record<FieldType, fc.Arbitrary<FieldValue>> = {
  u8: fc.integer({ min: 0, max: 255 }),
  s8: fc.integer({ min: -128, max: 127 }),
  u16: fc.integer({ min: 0, max: 0xffff }),
  u32: fc.integer({ min: 0, max: 0xffff_ffff }),
  u40: fc.integer({ min: 0, max: 2 ** 40 - 1 }),
  u64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  weights: fc.tuple(...Array.from({ length: 5 }, () => fc.integer({ min: 0, max: 255 }))),
  salience: fc.tuple(
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: -128, max: 127 }),
    fc.integer({ min: 0, max: 255 }),
  ),
};

const fieldsArb = (fields: readonly Field[]) =>
  fc.record(Object.fromEntries(fields.map((f) => [f.name, ARB[f.type]])) as Record<string, fc.Arbitrary<FieldValue>>);

/** Values for a layout: optional tail present or absent, up to MAX_PAGE records. */
function valuesArb(layout: Layout): fc.Arbitrary<PayloadValues> {
  const { fields, optional, records } = layout;
  const fixed = records ? fields.filter((f) => f.name !== records.countField) : fields;
  return fc
    .tuple(
      fieldsArb(fixed),
      optional ? fc.option(fieldsArb(optional), { nil: undefined }) : fc.constant(undefined),
      records ? fc.array(fieldsArb(records.fields), { maxLength: MAX_PAGE }) : fc.constant(undefined),
    )
    .map(([base, tail, recs]) => ({
      ...base,
      ...tail,
      ...(recs && records && { records: recs, [records.countField]: recs.length }),
    }));
}

const LAYOUTS: [string, Layout][] = [
  ...OP_NAMES.flatMap((n): [string, Layout][] => [
    [`${n} request`, OPS[n].request],
    [`${n} response`, OPS[n].response],
  ]),
  ...(Object.keys(STATUS) as StatusName[]).map((s): [string, Layout] => [`${s} status`, { fields: STATUS[s].payload }]),
];

describe('layout codec', () => {
  it.each(LAYOUTS)('round-trips every %s', (_name, layout) => {
    fc.assert(
      fc.property(valuesArb(layout), (values) => {
        const bytes = encodeLayout(layout, values);
        const base = layoutBytes(layout.fields);
        const recs = (values.records as unknown[] | undefined)?.length ?? 0;
        const tail = layout.optional && values[layout.optional[0]!.name] !== undefined ? layoutBytes(layout.optional) : 0;
        expect(bytes.length).toBe(base + tail + (layout.records ? recs * layoutBytes(layout.records.fields) : 0));
        expect(decodeLayout(layout, bytes)).toEqual(values);
      }),
      { numRuns: 60 },
    );
  });

  it.each(LAYOUTS)('decodes and re-encodes any well-sized bytes of %s unchanged', (_name, layout) => {
    const base = layoutBytes(layout.fields);
    const sizes = layout.optional ? [base, base + layoutBytes(layout.optional)] : [base];
    fc.assert(
      fc.property(fc.constantFrom(...sizes), fc.uint8Array({ minLength: 64, maxLength: 64 }), (size, noise) => {
        const bytes = noise.slice(0, size);
        if (layout.records) {
          // The count field must agree with the length: set it, then append that many records.
          const count = bytes.length > 0 ? bytes[0]! % (MAX_PAGE + 1) : 0;
          const countAt = offsetOf(layout.fields, layout.records.countField);
          bytes[countAt] = count;
          const rest = new Uint8Array(count * layoutBytes(layout.records.fields)).map((_, i) => (i * 37 + 11) & 0xff);
          const full = new Uint8Array([...bytes, ...rest]);
          expect(encodeLayout(layout, decodeLayout(layout, full))).toEqual(full);
        } else {
          expect(encodeLayout(layout, decodeLayout(layout, bytes))).toEqual(bytes);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('is little-endian, with valence and s8 as two’s complement and u40 in five bytes', () => {
    const layout: Layout = {
      fields: [
        { name: 'a', type: 'u16' },
        { name: 'b', type: 'u40' },
        { name: 'c', type: 's8' },
        { name: 'd', type: 'salience' },
        { name: 'e', type: 'u64' },
        { name: 'f', type: 'u32' },
      ],
    };
    const bytes = encodeLayout(layout, { a: 0x1234, b: 0x0102030405, c: -2, d: [1, 2, 3, -1, 5], e: 0x0102030405060708n, f: 0xdeadbeef });
    expect(Buffer.from(bytes).toString('hex')).toBe('3412' + '0504030201' + 'fe' + '010203ff05' + '0807060504030201' + 'efbeadde');
  });

  it('refuses out-of-range values, missing fields, half an optional tail and a wrong count', () => {
    const u8: Layout = { fields: [{ name: 'x', type: 'u8' }] };
    for (const x of [-1, 256, 1.5, Number.NaN]) expect(() => encodeLayout(u8, { x })).toThrow(CodecError);
    expect(() => encodeLayout(u8, {})).toThrow(CodecError);
    expect(() => encodeLayout({ fields: [{ name: 'h', type: 'u64' }] }, { h: 2n ** 64n })).toThrow(CodecError);
    expect(() => encodeLayout({ fields: [{ name: 'h', type: 'u64' }] }, { h: 5 })).toThrow(CodecError);
    expect(() => encodeLayout({ fields: [{ name: 's', type: 'salience' }] }, { s: [0, 0, 0, 128, 1] })).toThrow(CodecError);
    const twoOptional: Layout = { fields: [], optional: [{ name: 'p', type: 'u8' }, { name: 'q', type: 'u8' }] };
    expect(() => encodeLayout(twoOptional, { p: 1 })).toThrow(CodecError);
    expect(() => encodeLayout(OPS.list.response, { count: 2, records: [{ window: 1, salience: 2, items: 3 }] })).toThrow(CodecError);
  });

  it('refuses payloads whose length fits no form of the layout', () => {
    expect(() => decodeLayout(OPS.store.request, new Uint8Array(11))).toThrow(CodecError);
    expect(() => decodeLayout(OPS.close.request, new Uint8Array(3))).toThrow(CodecError);
    // LIST response claiming two records but carrying one.
    expect(() => decodeLayout(OPS.list.response, Uint8Array.of(2, 1, 0, 5, 0, 0))).toThrow(CodecError);
  });
});

describe('typed messages', () => {
  it('encode a STORE request with and without its salience tail', () => {
    expect(encodeRequest('store', { window: 0x13, handle: 0xabn }).length).toBe(10);
    const withSalience = encodeRequest('store', { window: 0x13, handle: 0xabn, salience: [1, 2, 3, -4, 5] });
    expect(Buffer.from(withSalience).toString('hex')).toBe('1300' + 'ab00000000000000' + '010203fc05');
    expect(decodeRequest('store', withSalience)).toEqual({ window: 0x13, handle: 0xabn, salience: [1, 2, 3, -4, 5] });
  });

  it('put the status byte first and the error payload after it', () => {
    expect([...encodeResponse('open', { status: 'boundedMemoryExceeded', max: 9 })]).toEqual([STATUS.boundedMemoryExceeded.code, 9]);
    expect([...encodeResponse('close', { status: 'windowNotFound' })]).toEqual([0x01]);
    expect([...encodeResponse('close', { status: 'ok', value: { freed: 258 } })]).toEqual([0, 2, 1]);
    expect(decodeResponse('decay', Uint8Array.of(0x07, 42))).toEqual({ status: 'badSequence', expected: 42 });
    expect(decodeResponse('count', Uint8Array.of(0, 5, 0x10, 0x00))).toEqual({ status: 'ok', value: { open: 5, items: 16 } });
  });

  it('refuse unknown statuses and payloads of the wrong size', () => {
    expect(() => decodeResponse('count', Uint8Array.of(0x08))).toThrow(CodecError);
    expect(() => decodeResponse('count', Uint8Array.of(0, 1))).toThrow(CodecError);
    expect(() => decodeResponse('count', Uint8Array.of(0x03))).toThrow(CodecError);
    expect(() => decodeResponse('count', new Uint8Array())).toThrow(CodecError);
  });
});

function offsetOf(fields: readonly Field[], name: string): number {
  let at = 0;
  for (const f of fields) {
    if (f.name === name) return at;
    at += FIELD_BYTES[f.type];
  }
  throw new Error(`no field ${name}`);
}
