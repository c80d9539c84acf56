import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BLOCK_MAGIC,
  type FieldSpec,
  type Value,
  BlockStreamWriter,
  decodeBlock,
  decodeChimpFloats,
  decodeFloatColumn,
  decodeGorillaFloats,
  decodeGorillaSeries,
  encodeBlock,
  encodeBlockReport,
  encodeChimpFloats,
  encodeFloatColumn,
  encodeGorillaFloats,
  encodeGorillaSeries,
  readBlockHeader,
  scanBlocks,
  valueAt,
  crc32,
} from '../host/archive/codec/index.js';
import { ArchiveInputError, BlockFormatError, CorruptBlockError } from '../host/archive/errors.js';
import { NAB_SKIP_MESSAGE, fromBits, loadNab, nabAvailable, rng, sameBits } from './support/archiveSupport.js';

const SPECIAL = [
  Number.NaN,
  fromBits(0x7ff80000, 1), // quiet NaN with a payload
  fromBits(0xfff00000, 0xdeadbeef), // negative signalling NaN with a payload
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -0,
  0,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2.2250738585072014e-308, // smallest normal
  2.225073858507201e-308, // largest subnormal
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.EPSILON,
  Number.MAX_SAFE_INTEGER,
  2 ** 60,
  0.1 + 0.2,
  51.846000000000004,
];

function expectSameFloats(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!sameBits(actual[i]!, expected[i]!)) {
      throw new Error(`value ${i}: got ${actual[i]} expected ${expected[i]} (bits differ)`);
    }
  }
}

function roundTripFloats(values: number[], timestamps?: number[]): void {
  const ts = timestamps ?? values.map((_, i) => 1_700_000_000_000 + i * 1000);
  const block = encodeBlock({ schema: [{ name: 'v', type: 'float' }], timestamps: ts, columns: [values] });
  const d = decodeBlock(block);
  expectSameFloats(d.columns.get('v')!.values as Float64Array, values);
  expect([...d.timestamps]).toEqual(ts);
}

/** Any double, by its 64 bits. */
const anyDouble = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })).map(([h, l]) => fromBits(h, l));
const decimalish = fc.tuple(fc.integer({ min: -10_000_000, max: 10_000_000 }), fc.integer({ min: 0, max: 8 })).map(([d, e]) => d / 10 ** e);
const floatValue = fc.oneof(
  fc.double(),
  anyDouble,
  decimalish,
  fc.constantFrom(...SPECIAL),
  fc.double({ min: -1e-300, max: 1e-300 }),
);

describe('float codecs, lossless', () => {
  it('round-trips special values bit-exactly through every codec', () => {
    const values = [...SPECIAL, ...SPECIAL.slice().reverse(), 1.5, 1.5, 1.5];
    roundTripFloats(values);
    expectSameFloats(decodeGorillaFloats(encodeGorillaFloats(values), values.length), values);
    expectSameFloats(decodeChimpFloats(encodeChimpFloats(values), values.length), values);
    for (const codec of ['xor-ac', 'decimal', 'gorilla', 'chimp', 'raw'] as const) {
      const enc = encodeFloatColumn(values, { codecs: [codec] });
      expectSameFloats(decodeFloatColumn(enc.id, enc.bytes, values.length), values);
    }
  });

  it('round-trips arbitrary doubles (property, every codec and the chooser)', () => {
    fc.assert(
      fc.property(fc.array(floatValue, { minLength: 1, maxLength: 300 }), (values) => {
        roundTripFloats(values);
        for (const codec of ['xor-ac', 'decimal', 'gorilla', 'chimp'] as const) {
          const enc = encodeFloatColumn(values, { codecs: [codec] });
          expectSameFloats(decodeFloatColumn(enc.id, enc.bytes, values.length), values);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('round-trips decimal data with ulp noise and exceptions, and picks the decimal codec for it', () => {
    const r = rng(7);
    const values: number[] = [];
    for (let i = 0; i < 2000; i++) {
      let v = Math.round((50 + 20 * Math.sin(i / 50) + r()) * 1000) / 1000;
      if (i % 7 === 0) v = v + 0.1 - 0.1; // a computed value: often one ulp off the decimal
      if (i % 97 === 0) v = Number.NaN;
      if (i % 101 === 0) v = -0;
      values.push(v);
    }
    const report = encodeBlockReport({ schema: [{ name: 'v', type: 'float' }], timestamps: values.map((_, i) => i), columns: [values] });
    expect(report.columns.find((c) => c.name === 'v')!.codec).toBe('decimal');
    expectSameFloats(decodeBlock(report.bytes).columns.get('v')!.values as Float64Array, values);
    // Far below 8 bytes a value: a 3-decimal walk needs a dozen bits or so.
    expect(report.bytes.length / values.length).toBeLessThan(3);
  });

  it('keeps the arrival order of duplicate and out-of-order timestamps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), fc.double()), { minLength: 1, maxLength: 200 }),
        fc.boolean(),
        (pairs, dup) => {
          const ts = pairs.map(([t]) => t);
          if (dup) ts.push(...ts.slice(0, 5));
          const vs = ts.map((_, i) => pairs[i % pairs.length]![1]);
          const d = decodeBlock(encodeBlock({ schema: [{ name: 'v', type: 'float' }], timestamps: ts, columns: [vs] }));
          expect([...d.timestamps]).toEqual(ts);
          expect(d.header.minTimestamp).toBe(Math.min(...ts));
          expect(d.header.maxTimestamp).toBe(Math.max(...ts));
          expectSameFloats(d.columns.get('v')!.values as Float64Array, vs);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('Gorilla series format round-trips timestamps and values', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 45 }), floatValue), { maxLength: 200 }), (pairs) => {
        const ts = pairs.map(([t]) => t);
        const vs = pairs.map(([, v]) => v);
        const d = decodeGorillaSeries(encodeGorillaSeries(ts, vs));
        expect([...d.timestamps]).toEqual(ts);
        expectSameFloats(d.values, vs);
      }),
      { numRuns: 100 },
    );
  });
});

describe('declared precision', () => {
  it('never exceeds the declared error bound, and keeps non-finite values exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ noNaN: false }), decimalish, fc.constantFrom(...SPECIAL)), { minLength: 1, maxLength: 200 }),
        fc.constantFrom(1e-9, 1e-6, 1e-3, 0.05, 0.5, 10, 1e6),
        (values, maxError) => {
          const block = encodeBlock({ schema: [{ name: 'v', type: 'float', maxError }], timestamps: values.map((_, i) => i), columns: [values] });
          const out = decodeBlock(block).columns.get('v')!.values as Float64Array;
          for (let i = 0; i < values.length; i++) {
            const v = values[i]!;
            if (Number.isFinite(v)) expect(Math.abs(out[i]! - v)).toBeLessThanOrEqual(maxError);
            else expect(sameBits(out[i]!, v)).toBe(true);
          }
          expect(readBlockHeader(block).schema[0]!.maxError).toBe(maxError);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is smaller than lossless on noisy full-precision data', () => {
    const r = rng(3);
    const values = Array.from({ length: 4000 }, (_, i) => Math.sin(i / 100) + r() * 0.01);
    const lossless = encodeBlock({ schema: [{ name: 'v', type: 'float' }], timestamps: values.map((_, i) => i), columns: [values] });
    const lossy = encodeBlock({ schema: [{ name: 'v', type: 'float', maxError: 1e-4 }], timestamps: values.map((_, i) => i), columns: [values] });
    expect(lossy.length).toBeLessThan(lossless.length / 2);
  });
});

describe('blocks: schema, nulls, categories, integers', () => {
  const schema: FieldSpec[] = [
    { name: 'phi', type: 'float' },
    { name: 'level', type: 'int' },
    { name: 'focus', type: 'category' },
    { name: 'opt', type: 'float' },
  ];

  it('round-trips mixed columns with nulls (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            t: fc.integer({ min: 0, max: 2 ** 42 }),
            phi: floatValue,
            level: fc.option(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), { nil: null }),
            focus: fc.option(fc.string({ maxLength: 12 }), { nil: null }),
            opt: fc.option(floatValue, { nil: null }),
          }),
          { minLength: 0, maxLength: 150 },
        ),
        (rows) => {
          const columns: Value[][] = [rows.map((r) => r.phi), rows.map((r) => r.level), rows.map((r) => r.focus), rows.map((r) => r.opt)];
          const block = encodeBlock({ schema, timestamps: rows.map((r) => r.t), columns, meta: { n: rows.length } });
          const d = decodeBlock(block);
          expect(d.header.count).toBe(rows.length);
          expect(d.header.meta).toEqual({ n: rows.length });
          rows.forEach((r, i) => {
            expect(sameBits(valueAt(d.columns.get('phi')!, i) as number, r.phi)).toBe(true);
            expect(valueAt(d.columns.get('level')!, i)).toBe(r.level);
            expect(valueAt(d.columns.get('focus')!, i)).toBe(r.focus);
            const o = valueAt(d.columns.get('opt')!, i);
            if (r.opt === null) expect(o).toBeNull();
            else expect(sameBits(o as number, r.opt)).toBe(true);
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('decodes only the requested columns', () => {
    const d = decodeBlock(
      encodeBlock({ schema, timestamps: [1, 2], columns: [[0.5, 0.6], [1, 2], ['a', 'b'], [null, 1]] }),
      ['focus'],
    );
    expect([...d.columns.keys()]).toEqual(['focus']);
    expect(d.columns.get('focus')!.values).toEqual(['a', 'b']);
  });

  it('refuses bad input with a typed error naming the field', () => {
    const bad = (input: Parameters<typeof encodeBlock>[0]) => () => encodeBlock(input);
    expect(bad({ schema, timestamps: [1.5], columns: [[1], [1], ['a'], [1]] })).toThrow(ArchiveInputError);
    expect(bad({ schema, timestamps: [1], columns: [[1], [1.5], ['a'], [1]] })).toThrow(/level/);
    expect(bad({ schema, timestamps: [1], columns: [[1], [1], [3], [1]] })).toThrow(/categorical/);
    expect(bad({ schema, timestamps: [1], columns: [['x'], [1], ['a'], [1]] })).toThrow(/numeric/);
    expect(bad({ schema, timestamps: [1, 2], columns: [[1], [1], ['a'], [1]] })).toThrow(/values for 2 timestamps/);
    expect(bad({ schema: [{ name: 'a', type: 'int', maxError: 1 }], timestamps: [1], columns: [[1]] })).toThrow(/float fields only/);
    expect(bad({ schema: [{ name: 'a', type: 'int' }, { name: 'a', type: 'int' }], timestamps: [1], columns: [[1], [1]] })).toThrow(/unique/);
    expect(() => encodeBlock({ schema: [], timestamps: [1], columns: [] }, { brotliQuality: 12 })).toThrow(ArchiveInputError);
  });

  it('uses brotli for dictionaries of long strings, and not for range-coded numbers', () => {
    const docs = Array.from({ length: 50 }, (_, i) => JSON.stringify({ workspace: ['goal', 'plan', 'step'], i, note: 'the same words again and again' }));
    const withText = encodeBlockReport({ schema: [{ name: 'doc', type: 'category' }], timestamps: docs.map((_, i) => i), columns: [docs] });
    expect(withText.brotli).toBe(true);
    const nums = Array.from({ length: 500 }, (_, i) => Math.round(Math.sin(i) * 1000) / 100);
    expect(encodeBlockReport({ schema: [{ name: 'v', type: 'float' }], timestamps: nums.map((_, i) => i), columns: [nums] }).brotli).toBe(false);
    expect(decodeBlock(withText.bytes).columns.get('doc')!.values).toEqual(docs);
  });
});

describe('integrity', () => {
  const make = (seed: number) => {
    const r = rng(seed);
    const vs = Array.from({ length: 300 }, () => Math.round(r() * 1e5) / 100);
    return encodeBlock({ schema: [{ name: 'v', type: 'float' }], timestamps: vs.map((_, i) => i * 10), columns: [vs] });
  };

  it('detects any single flipped bit (CRC-32)', () => {
    const block = make(1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: block.length * 8 - 1 }), (bit) => {
        const b = block.slice();
        b[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => decodeBlock(b)).toThrow(CorruptBlockError);
      }),
      { numRuns: 300 },
    );
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('refuses a newer format version with BlockFormatError', () => {
    const b = make(2);
    b[4] = 2;
    const view = new DataView(b.buffer);
    view.setUint32(b.length - 4, crc32(b, 0, b.length - 4), true);
    expect(() => decodeBlock(b)).toThrow(BlockFormatError);
  });

  it('reports a corrupt block in a stream and keeps reading the others', () => {
    const blocks = [make(1), make(2), make(3), make(4)];
    const all = new Uint8Array(blocks.reduce((s, b) => s + b.length, 0));
    let off = 0;
    for (const b of blocks) {
      all.set(b, off);
      off += b.length;
    }
    all[blocks[0]!.length + 60]! ^= 0x10; // inside block 2's body
    const items = [...scanBlocks(all)];
    const good = items.filter((i) => 'block' in i);
    const bad = items.filter((i) => 'error' in i);
    expect(good).toHaveLength(3);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.offset).toBe(blocks[0]!.length);
    const expected = [blocks[0], blocks[2], blocks[3]].map((b) => decodeBlock(b!).columns.get('v')!.values);
    expect(good.map((g) => ('block' in g ? g.block.columns.get('v')!.values : null))).toEqual(expected);
    expect(BLOCK_MAGIC).toHaveLength(4);
  });

  it('streams records into blocks of blockRecords', () => {
    const w = new BlockStreamWriter([{ name: 'v', type: 'float' }], { blockRecords: 100 });
    const out: Uint8Array[] = [];
    for (let i = 0; i < 250; i++) {
      const b = w.append(i, { v: i / 4 });
      if (b) out.push(b);
    }
    const last = w.flush();
    if (last) out.push(last);
    expect(out.map((b) => readBlockHeader(b).count)).toEqual([100, 100, 50]);
    expect(() => w.append(1.5, { v: 1 })).toThrow(ArchiveInputError);
    expect(() => w.append(1, { v: 'x' })).toThrow(ArchiveInputError);
    expect(w.pending).toBe(0);
    const vals = out.flatMap((b) => [...(decodeBlock(b).columns.get('v')!.values as Float64Array)]);
    expect(vals).toEqual(Array.from({ length: 250 }, (_, i) => i / 4));
  });
});

describe.skipIf(!nabAvailable())('real NAB series', () => {
  if (!nabAvailable()) console.warn(NAB_SKIP_MESSAGE);

  it('round-trips every series bit-exactly, under 4 bytes a record', () => {
    for (const s of loadNab()) {
      const block = encodeBlock({ schema: [{ name: 'value', type: 'float' }], timestamps: s.timestamps, columns: [s.values] });
      const d = decodeBlock(block);
      expect([...d.timestamps]).toEqual(s.timestamps);
      expectSameFloats(d.columns.get('value')!.values as Float64Array, s.values);
      // Raw is 16 bytes a record; JSON is about 48.
      expect(block.length / s.values.length, s.name).toBeLessThan(4);
    }
  });
});
