/**
 * Properties of the reference model over random command sequences: the invariants that
 * docs/hardware.md lists (and janela prove checks on the RTL), "a refused operation
 * changes nothing", and RECALL against a direct reading of its definition.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoreModel, type CoreState } from '../host/model/core.js';
import { OPS, parseCoreConfig, type RawSalience } from '../spec/index.js';

const config = parseCoreConfig({ maxWindows: 6, minWindows: 2, capacity: 10, quota: 4, weights: [128, 128, 0, 0, 0] });

const u8 = fc.integer({ min: 0, max: 255 });
const salience = fc.tuple(u8, u8, u8, fc.integer({ min: -128, max: 127 }), u8);
/** Window ids near the live ones, so that hits, stale ids and closed slots all occur. */
const windowArb = fc.oneof(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 0x5f }), fc.constant(0xffff));
const raw = (...xs: number[]) => Uint8Array.from(xs.map((x) => x & 0xff));
const le16 = (x: number) => [x & 0xff, x >> 8];

/** A random command as (opcode, payload), valid or not. */
const command = fc.oneof(
  fc.record({ op: fc.constant(OPS.open.code), payload: fc.option(salience).map((s) => (s ? raw(...s) : raw())) }),
  windowArb.map((w) => ({ op: OPS.close.code, payload: raw(...le16(w)) })),
  fc.tuple(windowArb, fc.integer({ min: 0, max: 5 }), fc.option(salience)).map(([w, h, s]) => ({
    op: OPS.store.code,
    payload: raw(...le16(w), h, 0, 0, 0, 0, 0, 0, 0, ...(s ?? [])),
  })),
  fc.tuple(windowArb, u8, fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), u8, fc.integer({ min: 0, max: 40 }))
    .map(([w, min, limit, order, hc, cs, st]) => ({ op: OPS.recall.code, payload: raw(...le16(w), min, limit, order, hc, cs, st, 0, 0, 0, 0) })),
  fc.constantFrom(OPS.list.code, OPS.count.code, OPS.focus.code, OPS.info.code).map((op) => ({ op, payload: raw() })),
  fc.tuple(u8, u8).map(([a, b]) => ({ op: OPS.setWeights.code, payload: raw(a, b, 256 - a - b >= 0 ? Math.min(255, 256 - a - b) : 0, 0, 0) })),
  fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 60 })).map(([s, t]) => ({ op: OPS.decay.code, payload: raw(s, t) })),
  fc.record({ op: u8, payload: fc.uint8Array({ maxLength: 15 }) }),
);

const READ_ONLY: number[] = [OPS.recall.code, OPS.list.code, OPS.count.code, OPS.focus.code, OPS.info.code];

function checkInvariants(s: CoreState): void {
  const openBits = s.open.filter(Boolean).length;
  expect(s.openCount).toBe(openBits);
  expect(s.openCount).toBeGreaterThanOrEqual(config.minWindows);
  expect(s.openCount).toBeLessThanOrEqual(config.maxWindows);
  const valid = s.store.filter((e) => e !== null);
  expect(s.itemCount).toBe(valid.length);
  for (const e of valid) expect(s.open[e.slot], 'no valid item in a closed window').toBe(true);
  s.items.forEach((n, slot) => {
    expect(n).toBe(valid.filter((e) => e.slot === slot).length);
    expect(n).toBeLessThanOrEqual(config.quota);
  });
  expect(new Set(valid.map((e) => e.stamp)).size).toBe(valid.length);
  for (const e of valid) expect(e.stamp).toBeLessThan(s.stampNext);
}

describe('random command sequences', () => {
  it('keep the hardware invariants, and refusals change nothing', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 120 }), (commands) => {
        const m = new CoreModel(config);
        for (const { op, payload } of commands) {
          const before = m.snapshot();
          const response = m.execute(op, payload);
          if (response[0] !== 0) expect(m.snapshot()).toEqual(before);
          // Read-only ops never change the state, whatever they answer.
          if (READ_ONLY.includes(op)) {
            expect(m.snapshot()).toEqual(before);
          }
          checkInvariants(m.snapshot());
        }
      }),
      { numRuns: 150 },
    );
  });

  it('never stores an item with connection = 0', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), salience), { maxLength: 30 }), (stores) => {
        const m = new CoreModel(config);
        let accepted = 0;
        for (const [w, s] of stores) {
          const r = m.execute(OPS.store.code, raw(w, 0, 1, 0, 0, 0, 0, 0, 0, 0, ...s));
          expect(r[0] === 0).toBe(s[4] !== 0);
          if (r[0] === 0) accepted += 1;
        }
        expect(m.snapshot().stampNext).toBe(accepted);
      }),
    );
  });
});

describe('RECALL against its definition', () => {
  interface Item {
    window: number;
    sal: number;
    stamp: number;
    handle: bigint;
  }
  const key = (order: number, sal: number, stamp: number) => (order === 0 ? stamp : (255 - sal) * 2 ** 40 + stamp);

  it('returns the matching items in ascending key order after the cursor, paged by limit', () => {
    const big = parseCoreConfig({ maxWindows: 4, minWindows: 3, capacity: 64, quota: 64, weights: [128, 128, 0, 0, 0] });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 12 })), { maxLength: 40 }),
        fc.constantFrom(0, 1, 2, 0xffff),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 1, max: 15 }),
        fc.option(fc.tuple(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 45 }))),
        (stores, window, minSalience, order, limit, cursor) => {
          const m = new CoreModel(big);
          // Saliences 1..12 (few values, many ties): sal(x) = (x, x, 0, 0, 1) scores x.
          const items: Item[] = stores.map(([w, x], i) => {
            const s: RawSalience = [x, x, 0, 0, 1];
            const r = m.call('store', { window: w, handle: BigInt(i), salience: s });
            expect(r.status).toBe('ok');
            return { window: w, sal: x, stamp: i, handle: BigInt(i) };
          });
          const r = m.call('recall', {
            window,
            minSalience,
            limit,
            order,
            hasCursor: cursor ? 1 : 0,
            cursorSalience: cursor?.[0] ?? 0,
            cursorStamp: cursor?.[1] ?? 0,
          });
          const matching = items
            .filter((it) => (window === 0xffff || it.window === window) && it.sal >= minSalience)
            .filter((it) => !cursor || key(order, it.sal, it.stamp) > key(order, cursor[0], cursor[1]))
            .sort((a, b) => key(order, a.sal, a.stamp) - key(order, b.sal, b.stamp));
          const page = matching.slice(0, limit);
          expect(r).toEqual({
            status: 'ok',
            value: {
              count: page.length,
              more: matching.length > limit ? 1 : 0,
              records: page.map((it) => ({ window: it.window, salience: it.sal, stamp: it.stamp, handle: it.handle })),
            },
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
