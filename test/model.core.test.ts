/**
 * The reference model against docs/hardware.md, op by op and error by error. Expected
 * values are worked out from the contract; to keep the arithmetic obvious most tests use
 * weights [128, 128, 0, 0, 0], under which the salience sal(x) = (x, x, 0, 0, 1) scores
 * (128x + 128x + 128) >> 8 = x and the neutral salience scores 128.
 */
import { describe, expect, it } from 'vitest';
import { CoreModel } from '../host/model/core.js';
import type { OpResponses, Response } from '../host/protocol/messages.js';
import {
  NEUTRAL_SALIENCE,
  OPS,
  OP_NAMES,
  PROTOCOL_VERSION,
  buildId,
  compositeSalience,
  parseCoreConfig,
  requestLengths,
  type CoreConfigInput,
  type OpName,
  type RawSalience,
} from '../spec/index.js';

const EASY_WEIGHTS = [128, 128, 0, 0, 0] as const;
const sal = (x: number): RawSalience => [x, x, 0, 0, 1];
const ALL = 0xffff;

function core(config: CoreConfigInput = {}): CoreModel {
  return new CoreModel(parseCoreConfig({ weights: [...EASY_WEIGHTS], ...config }));
}

function ok<N extends OpName>(r: Response<N>): OpResponses[N] {
  if (r.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r.value;
}

const recallAll = (m: CoreModel, extra: Partial<Parameters<typeof recallReq>[0]> = {}) =>
  ok(m.call('recall', recallReq(extra)));
function recallReq(r: Partial<{ window: number; minSalience: number; limit: number; order: number; hasCursor: number; cursorSalience: number; cursorStamp: number }>) {
  return { window: ALL, minSalience: 0, limit: 15, order: 0, hasCursor: 0, cursorSalience: 0, cursorStamp: 0, ...r };
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('reset state', () => {
  it('opens minWindows slots with generation 0 and the neutral window salience', () => {
    const m = core({ maxWindows: 6, minWindows: 2 });
    expect(ok(m.call('count', {}))).toEqual({ open: 2, items: 0 });
    expect(ok(m.call('list', {})).records).toEqual([
      { window: 0x0000, salience: 128, items: 0 },
      { window: 0x0001, salience: 128, items: 0 },
    ]);
  });

  it('scores the neutral window 115 under the default weights', () => {
    const m = new CoreModel(parseCoreConfig({}));
    expect(ok(m.call('focus', {}))).toEqual({ window: 0, salience: 115 });
  });
});

describe('INFO and SYNC', () => {
  it('report the config, MAX_PAGE 15 and the build id, with the same payload', () => {
    const config = parseCoreConfig({ maxWindows: 7, minWindows: 4, capacity: 300, quota: 20, weights: [1, 2, 3, 4, 246] });
    const m = new CoreModel(config);
    expect(ok(m.call('info', {}))).toEqual({
      protocolVersion: PROTOCOL_VERSION,
      maxWindows: 7,
      minWindows: 4,
      capacity: 300,
      quota: 20,
      maxPage: 15,
      weights: [1, 2, 3, 4, 246],
      buildId: buildId(config),
    });
    expect(hex(m.execute(OPS.sync.code, new Uint8Array()))).toBe(hex(m.execute(OPS.info.code, new Uint8Array())));
  });

  it('lays INFO out little-endian: version, max, min, capacity u16, quota u16, page, weights, build id u32', () => {
    const config = parseCoreConfig({ capacity: 0x123, quota: 0x45 });
    const id = buildId(config);
    const expected = [0x00, PROTOCOL_VERSION, 9, 3, 0x23, 0x01, 0x45, 0x00, 15, 51, 51, 77, 26, 51];
    expected.push(id & 0xff, (id >>> 8) & 0xff, (id >>> 16) & 0xff, id >>> 24);
    expect([...new CoreModel(config).execute(0x01, new Uint8Array())]).toEqual(expected);
  });

  it('keeps reporting the reset weights after SET_WEIGHTS', () => {
    const m = core();
    ok(m.call('setWeights', { weights: [200, 56, 0, 0, 0] }));
    expect(ok(m.call('info', {})).weights).toEqual([...EASY_WEIGHTS]);
  });
});

describe('request checks', () => {
  it.each([0x02, 0x07, 0x0f, 0x19, 0x20, 0xff])('answers unknown opcode 0x%s with BadRequest(1) = 06 01', (op) => {
    const m = core();
    expect(hex(m.execute(op, new Uint8Array()))).toBe('0601');
    expect(hex(m.execute(op, new Uint8Array(3)))).toBe('0601');
  });

  it('answers every payload length an op does not take with BadRequest(2) and changes nothing', () => {
    for (const name of OP_NAMES) {
      for (let len = 0; len <= 15; len++) {
        if (requestLengths(name).includes(len)) continue;
        const m = core();
        const before = m.snapshot();
        // 0x01 bytes: a valid window id would be 0x0101, which does not exist either way.
        expect(hex(m.execute(OPS[name].code, new Uint8Array(len).fill(1))), `${name} len ${len}`).toBe('0602');
        expect(m.snapshot()).toEqual(before);
      }
    }
  });

  it('takes the documented lengths: OPEN 0 or 5, STORE 10 or 15, RECALL 12, SET_WEIGHTS 5, DECAY 2', () => {
    expect(requestLengths('open')).toEqual([0, 5]);
    expect(requestLengths('store')).toEqual([10, 15]);
    expect(requestLengths('recall')).toEqual([12]);
    expect(requestLengths('setWeights')).toEqual([5]);
    expect(requestLengths('decay')).toEqual([2]);
  });

  it('checks arguments before windows, and windows before bounds', () => {
    const m = core({ maxWindows: 3, minWindows: 3 });
    // connection = 0 on a window that does not exist: the argument check wins.
    expect(m.call('store', { window: 0x0005, handle: 1n, salience: [9, 9, 9, 9, 0] })).toEqual({ status: 'invalidSalience', reason: 1 });
    // connection = 0 when no window may open: the argument check wins.
    expect(m.call('open', { salience: [9, 9, 9, 9, 0] })).toEqual({ status: 'invalidSalience', reason: 1 });
    // bad limit on a closed window: BadRequest(3) first.
    expect(m.call('recall', recallReq({ window: 0x0007, limit: 0 }))).toEqual({ status: 'badRequest', reason: 3 });
    // a stale id at minWindows: WindowNotFound, not BoundedMemoryInsufficient.
    expect(m.call('close', { window: 0x0010 })).toEqual({ status: 'windowNotFound' });
  });
});

describe('OPEN', () => {
  it('opens the lowest closed slot with generation + 1 and answers 00 id_lo id_hi salience', () => {
    const m = new CoreModel(parseCoreConfig({}));
    // Slot 3, generation 1 → id 0x0013; neutral salience 115 = 0x73 under the default weights.
    expect(hex(m.execute(0x10, new Uint8Array()))).toBe('00130073');
    expect(ok(m.call('open', {}))).toEqual({ window: 0x0014, salience: 115 });
  });

  it('scores a supplied salience under the current weights', () => {
    const m = core();
    expect(ok(m.call('open', { salience: sal(77) }))).toEqual({ window: 0x13, salience: 77 });
    ok(m.call('setWeights', { weights: [0, 0, 0, 128, 128] }));
    // |valence| counts: (128·|−100| + 128·50 + 128) >> 8 = 75.
    expect(ok(m.call('open', { salience: [200, 200, 200, -100, 50] })).salience).toBe(75);
    expect(compositeSalience([200, 200, 200, -100, 50], [0, 0, 0, 128, 128])).toBe(75);
  });

  it('refuses the open beyond maxWindows with BoundedMemoryExceeded(max) = 03 max, changing nothing', () => {
    const m = core({ maxWindows: 5, minWindows: 3 });
    ok(m.call('open', {}));
    ok(m.call('open', {}));
    const before = m.snapshot();
    expect(hex(m.execute(0x10, new Uint8Array()))).toBe('0305');
    expect(m.call('open', { salience: sal(5) })).toEqual({ status: 'boundedMemoryExceeded', max: 5 });
    expect(m.snapshot()).toEqual(before);
    expect(ok(m.call('count', {})).open).toBe(5);
  });

  it('refuses a salience with connection = 0 with InvalidSalience(1)', () => {
    const m = core();
    expect(hex(m.execute(0x10, Uint8Array.of(255, 255, 255, 127, 0)))).toBe('0501');
    expect(ok(m.call('count', {})).open).toBe(3);
  });

  it('reuses a freed slot with the next generation, wrapping at 4096', () => {
    const m = core({ maxWindows: 4, minWindows: 3 });
    for (let g = 1; g <= 4096; g++) {
      const { window } = ok(m.call('open', {}));
      expect(window).toBe(((g % 4096) << 4) | 3);
      ok(m.call('close', { window }));
    }
    // After 4096 reuses the generation is 0 again, so slot 3's next id is 0x0013 once more.
    expect(ok(m.call('open', {})).window).toBe(0x0013);
  });
});

describe('CLOSE', () => {
  it('refuses at minWindows with BoundedMemoryInsufficient(min) = 04 min', () => {
    const m = core({ minWindows: 3 });
    expect(hex(m.execute(0x11, Uint8Array.of(0x01, 0x00)))).toBe('0403');
    const { window } = ok(m.call('open', {}));
    // Four open: closing one of the reset windows is allowed, then we are back at the minimum.
    expect(ok(m.call('close', { window: 0x0001 }))).toEqual({ freed: 0 });
    expect(m.call('close', { window })).toEqual({ status: 'boundedMemoryInsufficient', min: 3 });
  });

  it('frees the window and its items, and returns how many as u16', () => {
    const m = core();
    const w = ok(m.call('open', {})).window;
    for (let i = 0; i < 3; i++) ok(m.call('store', { window: w, handle: BigInt(i + 1) }));
    ok(m.call('store', { window: 0, handle: 99n }));
    expect(hex(m.execute(0x11, Uint8Array.of(w & 0xff, w >> 8)))).toBe('000300');
    expect(ok(m.call('count', {}))).toEqual({ open: 3, items: 1 });
    expect(recallAll(m).records.map((r) => r.handle)).toEqual([99n]);
    expect(m.snapshot().store.filter((e) => e !== null)).toHaveLength(1);
  });

  it('answers a second close of the same id WindowAlreadyClosed (02), and WindowNotFound (01) once the slot is reused', () => {
    const m = core();
    const w = ok(m.call('open', {})).window;
    ok(m.call('open', {}));
    ok(m.call('close', { window: w }));
    expect(hex(m.execute(0x11, Uint8Array.of(w & 0xff, w >> 8)))).toBe('02');
    const again = ok(m.call('open', {})).window;
    expect(again).toBe(w + 0x10);
    expect(hex(m.execute(0x11, Uint8Array.of(w & 0xff, w >> 8)))).toBe('01');
    expect(m.call('store', { window: w, handle: 1n })).toEqual({ status: 'windowNotFound' });
  });

  it('answers WindowNotFound for slots at or above maxWindows, slot 15 and a wrong generation', () => {
    const m = core({ maxWindows: 5 });
    for (const id of [0x0005, 0x000e, 0x000f, 0xffff, 0x0010, 0x0102]) {
      expect(m.call('close', { window: id }), `id ${id.toString(16)}`).toEqual({ status: 'windowNotFound' });
      expect(m.call('store', { window: id, handle: 1n })).toEqual({ status: 'windowNotFound' });
      if (id !== 0xffff) expect(m.call('recall', recallReq({ window: id }))).toEqual({ status: 'windowNotFound' });
    }
    // A never-opened slot below maxWindows has generation 0 and is closed.
    expect(m.call('close', { window: 0x0004 })).toEqual({ status: 'windowAlreadyClosed' });
  });
});

describe('STORE', () => {
  it('gives the item the window salience, or the supplied one (which becomes the window salience)', () => {
    const m = core();
    expect(ok(m.call('store', { window: 1, handle: 10n }))).toMatchObject({ salience: 128, stamp: 0, evicted: 0 });
    expect(ok(m.call('store', { window: 1, handle: 11n, salience: sal(40) }))).toMatchObject({ salience: 40, stamp: 1 });
    expect(ok(m.call('store', { window: 1, handle: 12n }))).toMatchObject({ salience: 40, stamp: 2 });
    expect(ok(m.call('list', {})).records[1]).toEqual({ window: 1, salience: 40, items: 3 });
  });

  it('lays the response out as sal, stamp u40, evicted, window u16, sal, handle u64', () => {
    const m = core({ quota: 1 });
    m.call('store', { window: 2, handle: 0x1122334455667788n, salience: sal(9) });
    const payload = Uint8Array.of(2, 0, ...new Array(8).fill(0xab), 9, 9, 0, 0, 1);
    // Quota 1: the second store evicts the first item (salience 9, handle 0x1122…88) of window 2.
    expect(hex(m.execute(0x12, payload))).toBe('0009' + '0100000000' + '01' + '0200' + '09' + '8877665544332211');
  });

  it('stamps items 0, 1, 2, … across all windows', () => {
    const m = core();
    const stamps = [0, 1, 2, 0, 1].map((w, i) => ok(m.call('store', { window: w, handle: BigInt(i) })).stamp);
    expect(stamps).toEqual([0, 1, 2, 3, 4]);
  });

  it('evicts, at quota, the window item with the lowest salience, the oldest on ties', () => {
    const m = core({ quota: 4 });
    ok(m.call('store', { window: 0, handle: 1n, salience: sal(100) }));
    ok(m.call('store', { window: 0, handle: 2n, salience: sal(50) }));
    ok(m.call('store', { window: 1, handle: 9n, salience: sal(10) })); // lower, but in another window
    ok(m.call('store', { window: 0, handle: 3n, salience: sal(50) }));
    ok(m.call('store', { window: 0, handle: 4n, salience: sal(70) }));
    // Window 0 is at quota: 2n and 3n tie at 50, 2n is older.
    expect(ok(m.call('store', { window: 0, handle: 5n, salience: sal(200) }))).toEqual({
      salience: 200,
      stamp: 5,
      evicted: 1,
      evictedWindow: 0,
      evictedSalience: 50,
      evictedHandle: 2n,
    });
    expect(ok(m.call('store', { window: 0, handle: 6n, salience: sal(1) }))).toMatchObject({ evicted: 1, evictedHandle: 3n });
    // The new item enters even when it is the least salient; next time it is the one to go.
    expect(ok(m.call('store', { window: 0, handle: 7n, salience: sal(255) }))).toMatchObject({ evictedHandle: 6n, evictedSalience: 1 });
    expect(ok(m.call('list', {})).records.map((r) => r.items)).toEqual([4, 1, 0]);
  });

  it('writes the new item into the lowest free address: the evicted item’s after an eviction', () => {
    const m = core({ quota: 3 });
    for (const [h, x] of [[1n, 30], [2n, 10], [3n, 20]] as const) ok(m.call('store', { window: 0, handle: h, salience: sal(x) }));
    ok(m.call('store', { window: 0, handle: 4n, salience: sal(50) }));
    expect(m.snapshot().store.slice(0, 4).map((e) => e?.handle)).toEqual([1n, 4n, 3n, undefined]);
  });

  it('evicts, with the store full, the lowest (salience, stamp) item of any window', () => {
    const m = core({ capacity: 4, quota: 3 });
    const w = ok(m.call('open', {})).window; // slot 3, id 0x13
    ok(m.call('store', { window: w, handle: 1n, salience: sal(60) }));
    ok(m.call('store', { window: 1, handle: 2n, salience: sal(30) }));
    ok(m.call('store', { window: w, handle: 3n, salience: sal(30) }));
    ok(m.call('store', { window: 0, handle: 4n, salience: sal(90) }));
    // Full (4 = capacity), window 2 under quota: 2n and 3n tie at 30; 2n (window 1) is older.
    expect(ok(m.call('store', { window: 2, handle: 5n, salience: sal(200) }))).toMatchObject({
      evicted: 1,
      evictedWindow: 1,
      evictedSalience: 30,
      evictedHandle: 2n,
    });
    expect(ok(m.call('store', { window: 2, handle: 6n, salience: sal(250) }))).toMatchObject({ evictedWindow: w, evictedHandle: 3n });
    expect(ok(m.call('count', {}))).toEqual({ open: 4, items: 4 });
    expect(ok(m.call('list', {})).records.map((r) => r.items)).toEqual([1, 0, 2, 1]);
  });

  it('prefers the quota rule to the capacity rule', () => {
    const m = core({ capacity: 3, quota: 2 });
    ok(m.call('store', { window: 1, handle: 1n, salience: sal(5) }));
    ok(m.call('store', { window: 0, handle: 2n, salience: sal(80) }));
    ok(m.call('store', { window: 0, handle: 3n, salience: sal(90) }));
    // Full, and window 0 at quota: its own 2n goes, not the globally lowest 1n.
    expect(ok(m.call('store', { window: 0, handle: 4n, salience: sal(95) }))).toMatchObject({ evictedWindow: 0, evictedHandle: 2n });
  });

  it('reports evicted = 0 with zeros when nothing is evicted', () => {
    const m = core();
    expect(hex(m.execute(0x12, Uint8Array.of(0, 0, 1, 0, 0, 0, 0, 0, 0, 0)))).toBe('0080' + '0000000000' + '00' + '0000' + '00' + '0000000000000000');
  });

  it('refuses closed, stale and unknown windows and connection = 0, changing nothing', () => {
    const m = core();
    const before = m.snapshot();
    expect(m.call('store', { window: 0x0003, handle: 1n })).toEqual({ status: 'windowAlreadyClosed' });
    expect(m.call('store', { window: 0x0011, handle: 1n })).toEqual({ status: 'windowNotFound' });
    expect(m.call('store', { window: 0, handle: 1n, salience: [255, 255, 255, 0, 0] })).toEqual({ status: 'invalidSalience', reason: 1 });
    expect(m.snapshot()).toEqual(before);
  });
});

describe('RECALL', () => {
  /** Items 1..6 in windows 0/1 with saliences chosen to make both orders differ. */
  function filled() {
    const m = core();
    const items: [number, bigint, number][] = [[0, 1n, 50], [1, 2n, 90], [0, 3n, 50], [0, 4n, 200], [1, 5n, 90], [0, 6n, 10]];
    for (const [w, h, x] of items) ok(m.call('store', { window: w, handle: h, salience: sal(x) }));
    return m;
  }

  it('orders by stamp (oldest first) in insertion order', () => {
    const r = recallAll(filled());
    expect(r.records.map((x) => x.handle)).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
    expect(r.records.map((x) => x.stamp)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r).toMatchObject({ count: 6, more: 0 });
  });

  it('orders by salience (most salient first, oldest on ties) in salience order', () => {
    const r = recallAll(filled(), { order: 1 });
    expect(r.records.map((x) => x.handle)).toEqual([4n, 2n, 5n, 1n, 3n, 6n]);
    expect(r.records[0]).toEqual({ window: 0, salience: 200, stamp: 3, handle: 4n });
  });

  it('filters by window and by minSalience (inclusive)', () => {
    const m = filled();
    expect(recallAll(m, { window: 1 }).records.map((x) => x.handle)).toEqual([2n, 5n]);
    expect(recallAll(m, { minSalience: 90 }).records.map((x) => x.handle)).toEqual([2n, 4n, 5n]);
    expect(recallAll(m, { minSalience: 91 }).records.map((x) => x.handle)).toEqual([4n]);
    expect(recallAll(m, { minSalience: 201 })).toEqual({ count: 0, more: 0, records: [] });
  });

  it('limits the page and sets more only when matches are left over', () => {
    const m = filled();
    expect(recallAll(m, { limit: 5 })).toMatchObject({ count: 5, more: 1 });
    expect(recallAll(m, { limit: 6 })).toMatchObject({ count: 6, more: 0 });
    expect(recallAll(m, { limit: 1 })).toMatchObject({ count: 1, more: 1, records: [{ handle: 1n }] });
  });

  it('continues after a cursor taken from the last record of the previous page, in both orders', () => {
    const m = filled();
    for (const order of [0, 1]) {
      const all = recallAll(m, { order }).records;
      const pages: bigint[] = [];
      let cursor: { hasCursor: number; cursorSalience: number; cursorStamp: number } = { hasCursor: 0, cursorSalience: 0, cursorStamp: 0 };
      for (;;) {
        const page = recallAll(m, { order, limit: 4, ...cursor });
        pages.push(...page.records.map((r) => r.handle));
        const last = page.records.at(-1)!;
        if (!page.more) break;
        cursor = { hasCursor: 1, cursorSalience: last.salience, cursorStamp: last.stamp };
      }
      expect(pages).toEqual(all.map((r) => r.handle));
    }
  });

  it('compares cursor keys strictly and ignores the cursor salience in insertion order', () => {
    const m = filled();
    expect(recallAll(m, { hasCursor: 1, cursorStamp: 2, cursorSalience: 255 }).records.map((r) => r.stamp)).toEqual([3, 4, 5]);
    // Salience order: key (255−90)·2^40 + 1 is item 2n's; strictly after it come 5n, 1n, 3n, 6n.
    expect(recallAll(m, { order: 1, hasCursor: 1, cursorSalience: 90, cursorStamp: 1 }).records.map((r) => r.handle)).toEqual([5n, 1n, 3n, 6n]);
    // A cursor between keys: salience 100 sorts after 200 and before 90.
    expect(recallAll(m, { order: 1, hasCursor: 1, cursorSalience: 100, cursorStamp: 999 }).records[0]!.handle).toBe(2n);
    // Without hasCursor the cursor fields mean nothing.
    expect(recallAll(m, { hasCursor: 0, cursorStamp: 4, cursorSalience: 7 }).count).toBe(6);
  });

  it('refuses limit 0 or 16, order 2 and hasCursor 2 with BadRequest(3)', () => {
    const m = filled();
    for (const bad of [{ limit: 0 }, { limit: 16 }, { limit: 255 }, { order: 2 }, { hasCursor: 2 }]) {
      expect(m.call('recall', recallReq(bad)), JSON.stringify(bad)).toEqual({ status: 'badRequest', reason: 3 });
    }
    expect(recallAll(m, { limit: 15 }).count).toBe(6);
  });

  it('fills a page of 15 records and no more: 2 + 15·16 payload bytes', () => {
    const m = core({ capacity: 20, quota: 20 });
    for (let i = 0; i < 17; i++) ok(m.call('store', { window: 0, handle: BigInt(i) }));
    const bytes = m.execute(0x13, Uint8Array.of(0xff, 0xff, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0));
    expect(bytes.length).toBe(1 + 2 + 15 * 16);
    expect([...bytes.subarray(0, 3)]).toEqual([0, 15, 1]);
  });

  it('refuses a closed window but recalls all open windows with 0xFFFF', () => {
    const m = filled();
    expect(m.call('recall', recallReq({ window: 0x0004 }))).toEqual({ status: 'windowAlreadyClosed' });
    expect(recallAll(m, { window: 0xffff }).count).toBe(6);
  });

  it('changes nothing', () => {
    const m = filled();
    const before = m.snapshot();
    recallAll(m, { order: 1, limit: 3 });
    expect(m.snapshot()).toEqual(before);
  });

  it('reports records with the window id of the current generation', () => {
    const m = core();
    const w = ok(m.call('open', {})).window;
    ok(m.call('close', { window: w }));
    const w2 = ok(m.call('open', {})).window;
    ok(m.call('store', { window: w2, handle: 7n }));
    expect(recallAll(m).records[0]!.window).toBe(0x0023);
  });
});

describe('LIST, COUNT and FOCUS', () => {
  it('lists open windows in slot order with salience and item count', () => {
    const m = core({ maxWindows: 6 });
    const a = ok(m.call('open', { salience: sal(10) })).window; // slot 3
    ok(m.call('open', { salience: sal(20) })); // slot 4
    ok(m.call('close', { window: 1 }));
    ok(m.call('open', { salience: sal(30) })); // slot 1 again, generation 1
    ok(m.call('store', { window: a, handle: 1n }));
    expect(ok(m.call('list', {}))).toEqual({
      count: 5,
      records: [
        { window: 0x00, salience: 128, items: 0 },
        { window: 0x11, salience: 30, items: 0 },
        { window: 0x02, salience: 128, items: 0 },
        { window: 0x13, salience: 10, items: 1 },
        { window: 0x14, salience: 20, items: 0 },
      ],
    });
    expect(ok(m.call('count', {}))).toEqual({ open: 5, items: 1 });
  });

  it('focuses the highest window salience, the lowest slot on ties', () => {
    const m = core({ maxWindows: 6 });
    expect(ok(m.call('focus', {}))).toEqual({ window: 0, salience: 128 });
    ok(m.call('open', { salience: sal(200) })); // slot 3
    ok(m.call('open', { salience: sal(200) })); // slot 4
    expect(ok(m.call('focus', {}))).toEqual({ window: 0x13, salience: 200 });
    ok(m.call('store', { window: 0x14, handle: 1n, salience: sal(201) }));
    expect(ok(m.call('focus', {}))).toEqual({ window: 0x14, salience: 201 });
  });
});

describe('SET_WEIGHTS', () => {
  it('refuses a sum other than 256 with InvalidSalience(2) = 05 02, changing nothing', () => {
    const m = core();
    const before = m.snapshot();
    expect(hex(m.execute(0x17, Uint8Array.of(51, 51, 77, 26, 50)))).toBe('0502');
    expect(hex(m.execute(0x17, Uint8Array.of(255, 2, 0, 0, 0)))).toBe('0502');
    expect(m.snapshot()).toEqual(before);
  });

  it('applies to composites computed afterwards, without rescoring stored items', () => {
    const m = core();
    ok(m.call('store', { window: 0, handle: 1n, salience: [100, 100, 0, 0, 1] }));
    expect(hex(m.execute(0x17, Uint8Array.of(255, 0, 0, 0, 1)))).toBe('00');
    // (255·100 + 1·1 + 128) >> 8 = 100; with importance 200: (51000 + 1 + 128) >> 8 = 199.
    expect(ok(m.call('open', { salience: [200, 0, 0, 0, 1] })).salience).toBe(199);
    expect(recallAll(m).records[0]!.salience).toBe(100);
    // Neutral salience under the new weights, for an OPEN without salience: (255·128 + 128 + 128) >> 8 = 128.
    expect(ok(m.call('open', {})).salience).toBe(compositeSalience(NEUTRAL_SALIENCE, [255, 0, 0, 0, 1]));
  });
});

describe('DECAY', () => {
  it('lowers every item and open window salience by step, saturating at 0', () => {
    const m = core();
    ok(m.call('store', { window: 0, handle: 1n, salience: sal(30) }));
    ok(m.call('store', { window: 1, handle: 2n, salience: sal(5) }));
    expect(ok(m.call('decay', { step: 10, threshold: 0 }))).toEqual({ count: 0, remaining: 0, records: [] });
    expect(recallAll(m).records.map((r) => r.salience)).toEqual([20, 0]);
    expect(ok(m.call('list', {})).records.map((r) => r.salience)).toEqual([20, 0, 118]);
  });

  it('evicts items strictly below the threshold and reports window, salience after the step, handle', () => {
    const m = core();
    ok(m.call('store', { window: 0, handle: 1n, salience: sal(30) }));
    ok(m.call('store', { window: 1, handle: 2n, salience: sal(29) }));
    ok(m.call('store', { window: 2, handle: 3n, salience: sal(31) }));
    const bytes = m.execute(0x18, Uint8Array.of(10, 20));
    // 30 → 20 stays (not < 20); 29 → 19 goes; 31 → 21 stays.
    expect(hex(bytes)).toBe('00' + '01' + '0000' + '0100' + '13' + '0200000000000000');
    expect(ok(m.call('count', {}))).toEqual({ open: 3, items: 2 });
    expect(ok(m.call('list', {})).records.map((r) => r.items)).toEqual([1, 0, 1]);
  });

  it('evicts at most 15 in store-address order, counts the rest as remaining, and sweeps with step 0', () => {
    const m = core({ capacity: 40, quota: 40 });
    for (let i = 0; i < 20; i++) ok(m.call('store', { window: 0, handle: BigInt(100 + i), salience: sal(5) }));
    ok(m.call('store', { window: 1, handle: 999n, salience: sal(100) }));
    const first = ok(m.call('decay', { step: 0, threshold: 6 }));
    expect(first.count).toBe(15);
    expect(first.remaining).toBe(5);
    expect(first.records.map((r) => r.handle)).toEqual(Array.from({ length: 15 }, (_, i) => BigInt(100 + i)));
    expect(ok(m.call('count', {})).items).toBe(6);
    const sweep = ok(m.call('decay', { step: 0, threshold: 6 }));
    expect(sweep).toMatchObject({ count: 5, remaining: 0 });
    expect(sweep.records.map((r) => r.handle)).toEqual([115n, 116n, 117n, 118n, 119n]);
    expect(ok(m.call('decay', { step: 0, threshold: 6 }))).toEqual({ count: 0, remaining: 0, records: [] });
    expect(recallAll(m).records.map((r) => r.handle)).toEqual([999n]);
  });

  it('goes by address, not by age, when evictions have left holes', () => {
    const m = core({ quota: 2 });
    ok(m.call('store', { window: 0, handle: 1n, salience: sal(3) })); // address 0
    ok(m.call('store', { window: 0, handle: 2n, salience: sal(9) })); // address 1
    ok(m.call('store', { window: 1, handle: 3n, salience: sal(4) })); // address 2
    ok(m.call('store', { window: 0, handle: 4n, salience: sal(2) })); // evicts 1n, takes address 0
    const r = ok(m.call('decay', { step: 0, threshold: 10 }));
    expect(r.records.map((x) => x.handle)).toEqual([4n, 2n, 3n]);
  });

  it('lays out a record as window u16, salience, handle u64 after count and remaining u16', () => {
    const m = core({ capacity: 300, quota: 300 });
    for (let i = 0; i < 280; i++) ok(m.call('store', { window: 0, handle: BigInt(i), salience: sal(1) }));
    const bytes = m.execute(0x18, Uint8Array.of(1, 1));
    // All 280 reach 0 < 1: 15 go now, 265 = 0x0109 remain.
    expect(hex(bytes.subarray(0, 4))).toBe('000f0901');
    expect(bytes.length).toBe(1 + 3 + 15 * 11);
  });
});

describe('refusals change nothing', () => {
  it('leaves the state alone for every error status', () => {
    const m = core({ maxWindows: 4, minWindows: 3, quota: 2 });
    ok(m.call('store', { window: 0, handle: 1n }));
    const w = ok(m.call('open', {})).window;
    const before = m.snapshot();
    const refusals: Response<OpName>[] = [
      m.call('open', {}),
      m.call('close', { window: 0x0013 + 0x10 }),
      m.call('close', { window: 0x0003 }),
      m.call('store', { window: w, handle: 5n, salience: [1, 1, 1, 1, 0] }),
      m.call('setWeights', { weights: [0, 0, 0, 0, 0] }),
      m.call('recall', recallReq({ order: 7 })),
    ];
    expect(refusals.every((r) => r.status !== 'ok')).toBe(true);
    expect(m.snapshot()).toEqual(before);
  });
});
