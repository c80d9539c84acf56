/** CRC, the layout-driven codec and the typed messages over it. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16 } from '../host/protocol/crc.js';
import { CodecError, decodeLayout, encodeLayout, type FieldValue, type PayloadValues } from '../host/protocol/codec.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../host/protocol/messages.js';
import {
  CRC,
  FIELD_BYTES,
  MAX_PAGE,
  OPS,
  OP_NAMES,
  STATUS,
  layoutBytes,
  type Field,
  type FieldType,
  type Layout,
  type StatusName,
} from '../spec/index.js';

describe('CRC-16/IBM-3740', () => {
  it('has the check value 0x29B1 over "123456789"', () => {
    expect(crc16(new TextEncoder().encode('123456789'))).toBe(0x29b1);
    expect(CRC.check).toBe(0x29b1);
  });

  it('is the initial value 0xFFFF over nothing and chains over split input', () => {
    expect(crc16(new Uint8Array())).toBe(0xffff);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(64), (bytes, cut) => {
        const at = Math.min(cut, bytes.length);
        expect(crc16(bytes.subarray(at), crc16(bytes.subarray(0, at)))).toBe(crc16(bytes));
      }),
    );
  });

  it('detects every single-bit error', () => {
    const bytes = new TextEncoder().encode('janela frame');
    const good = crc16(bytes);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const bad = bytes.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      expect(crc16(bad)).not.toBe(good);
    }
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
