/**
 * The WindowsDevice API, written once and run over every target: the in-process virtual
 * board, the virtual board behind a real pty, and the Verilator simulator. Expected values
 * follow docs/hardware.md; with weights [128, 128, 0, 0, 0] a salience with importance =
 * novelty = x/255 (and connection > 0) scores exactly x.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BoundedMemoryExceededError,
  BoundedMemoryInsufficientError,
  DeviceMismatchError,
  InputError,
  InvalidSalienceError,
  PortClosedError,
  WindowAlreadyClosedError,
  WindowNotFoundError,
  type DeviceOptions,
  type EvictedItem,
  type WindowsDevice,
} from '../host/device/index.js';
import { prng } from '../host/model/faults.js';
import { buildId, parseCoreConfig, type CoreConfigInput } from '../spec/index.js';
import { deviceTargets } from './support/deviceTargets.js';

const CONFIG = { maxWindows: 5, minWindows: 2, capacity: 24, quota: 6, weights: [128, 128, 0, 0, 0] } satisfies CoreConfigInput;
/** Salience input scoring exactly x under CONFIG's weights. */
const scored = (x: number) => ({ importance: x / 255, novelty: x / 255, relevance: 0, valence: 0, connection: 0.5 });

for (const target of deviceTargets()) {
  describe(`device API over ${target.name}`, () => {
    let skipReason: string | undefined;
    const opened: WindowsDevice[] = [];

    beforeAll(async () => {
      skipReason = await target.prepare(CONFIG);
      if (skipReason) console.warn(`[device API over ${target.name}] skipped: ${skipReason}`);
    }, 600_000);
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((d) => d.close()));
      await target.cleanup();
    });
    afterAll(() => target.cleanup());

    async function open(ctx: { skip: (note?: string) => never }, options: DeviceOptions = {}, config: CoreConfigInput = CONFIG) {
      if (skipReason) ctx.skip(skipReason);
      const device = await target.open(config, options);
      opened.push(device);
      return device;
    }

    it('connects with SYNC and INFO, and reports the config', async (ctx) => {
      const d = await open(ctx);
      expect(await d.info()).toEqual({
        protocolVersion: 1,
        maxWindows: 5,
        minWindows: 2,
        capacity: 24,
        quota: 6,
        maxPage: 15,
        weights: [128, 128, 0, 0, 0],
        buildId: buildId(parseCoreConfig(CONFIG)),
      });
      expect(await d.windowCount()).toEqual({ open: 2, items: 0 });
      expect(d.stats().requests).toBeGreaterThanOrEqual(3);
    });

    it('refuses a device built from another config, naming the fields', async (ctx) => {
      if (skipReason) ctx.skip(skipReason);
      const err = await target.open(CONFIG, { config: { ...CONFIG, capacity: 32, quota: 7 } }).then(
        (d) => (opened.push(d), undefined),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DeviceMismatchError);
      const fields = (err as DeviceMismatchError).fields.map((f) => f.field);
      expect(fields).toEqual(expect.arrayContaining(['capacity', 'quota', 'buildId']));
      expect(fields).not.toContain('maxWindows');
      expect((err as Error).message).toMatch(/capacity is 24, expected 32/);
    });

    it('opens and closes windows within minWindows..maxWindows', async (ctx) => {
      const d = await open(ctx);
      const a = await d.openWindow('plans');
      const b = await d.openWindow('facts', scored(200));
      const c = await d.openWindow();
      expect([a.id, b.id, c.id]).toEqual([0x12, 0x13, 0x14]);
      expect(b.salience).toBe(200);
      await expect(d.openWindow('one too many')).rejects.toSatisfy((e) => e instanceof BoundedMemoryExceededError && e.max === 5);
      expect((await d.listWindows()).map((w) => [w.id, w.label])).toEqual([
        [0x00, undefined],
        [0x01, undefined],
        [0x12, 'plans'],
        [0x13, 'facts'],
        [0x14, undefined],
      ]);
      for (const w of [a, b, c]) expect(await d.closeWindow(w.id)).toBe(0);
      await expect(d.closeWindow(0)).rejects.toSatisfy((e) => e instanceof BoundedMemoryInsufficientError && e.min === 2);
      await expect(d.closeWindow(a.id)).rejects.toBeInstanceOf(WindowAlreadyClosedError);
      const again = await d.openWindow();
      expect(again.id).toBe(0x22);
      await expect(d.closeWindow(a.id)).rejects.toBeInstanceOf(WindowNotFoundError);
      await expect(d.store(0x0f, 'x')).rejects.toBeInstanceOf(WindowNotFoundError);
    });

    it('stores bytes and JSON, and recalls them with their content in either order', async (ctx) => {
      const d = await open(ctx);
      const bytes = Uint8Array.of(0, 1, 2, 250);
      const first = await d.store(0, { note: 'the meeting moved', at: [9, 30] }, scored(40));
      const second = await d.store(1, bytes, scored(90));
      const third = await d.store(0, 'plain text');
      expect([first.stamp, second.stamp, third.stamp]).toEqual([0, 1, 2]);
      expect([first.salience, second.salience, third.salience]).toEqual([40, 90, 40]);
      const all = await d.recall();
      expect(all.map((r) => r.content)).toEqual([{ at: [9, 30], note: 'the meeting moved' }, bytes, 'plain text']);
      expect(all.map((r) => r.window)).toEqual([0, 1, 0]);
      const bySalience = await d.recall({ order: 'salience' });
      expect(bySalience.map((r) => r.stamp)).toEqual([1, 0, 2]);
      expect((await d.recall({ window: 0, minSalience: 41 })).length).toBe(0);
      expect((await d.recall({ window: 1 })).map((r) => r.handle)).toEqual([second.handle]);
      // Equal content, equal handle: the host stores content by address.
      expect((await d.store(1, { at: [9, 30], note: 'the meeting moved' })).handle).toBe(first.handle);
    });

    it('pages a recall beyond 15 records and continues after a cursor', async (ctx) => {
      const d = await open(ctx);
      const windows = [0, 1, (await d.openWindow()).id, (await d.openWindow()).id];
      for (let i = 0; i < 20; i++) await d.store(windows[i % 4]!, { i }, scored(10 + ((i * 7) % 13)));
      const all = await d.recall();
      expect(all.map((r) => r.content)).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
      expect((await d.recall({ limit: 17 })).length).toBe(17);
      const bySalience = await d.recall({ order: 'salience' });
      const expected = Array.from({ length: 20 }, (_, i) => ({ i, s: 10 + ((i * 7) % 13) }))
        .sort((a, b) => b.s - a.s || a.i - b.i)
        .map((x) => ({ i: x.i }));
      expect(bySalience.map((r) => r.content)).toEqual(expected);
      const head = await d.recall({ order: 'salience', limit: 8 });
      const tail = await d.recall({ order: 'salience', after: head.at(-1)! });
      expect([...head, ...tail].map((r) => r.content)).toEqual(expected);
    });

    it('reports a quota eviction with its content, through the result and onEvict', async (ctx) => {
      const evicted: EvictedItem[] = [];
      const d = await open(ctx, { onEvict: (e) => evicted.push(e) });
      for (let i = 0; i < 6; i++) await d.store(1, `item ${i}`, scored(i === 2 ? 5 : 50));
      const r = await d.store(1, 'item 6', scored(60));
      expect(r.evicted).toMatchObject({ window: 1, salience: 5, content: 'item 2', cause: 'store' });
      expect(evicted).toEqual([r.evicted]);
      expect(await d.windowCount()).toEqual({ open: 2, items: 6 });
      expect(d.contentCount).toBe(6);
    });

    it('evicts across windows when the store is full', async (ctx) => {
      const evicted: EvictedItem[] = [];
      const d = await open(ctx, { onEvict: (e) => evicted.push(e) });
      const w = [0, 1, (await d.openWindow()).id, (await d.openWindow()).id];
      // 24 items, 6 per window; window 3's first item is the least salient of all.
      for (let i = 0; i < 24; i++) await d.store(w[i % 4]!, i, scored(i === 3 ? 20 : 30 + (i % 5)));
      const fifth = await d.openWindow();
      const r = await d.store(fifth.id, 'newcomer', scored(99));
      expect(r.evicted).toMatchObject({ window: w[3], salience: 20, content: 3 });
      expect(evicted).toHaveLength(1);
      expect((await d.listWindows()).map((x) => x.items)).toEqual([6, 6, 6, 5, 1]);
    });

    it('decays, sweeping until every item below the threshold is reported', async (ctx) => {
      const evicted: EvictedItem[] = [];
      const d = await open(ctx, { onEvict: (e) => evicted.push(e) });
      const w = [0, 1, (await d.openWindow()).id, (await d.openWindow()).id];
      for (let i = 0; i < 22; i++) await d.store(w[i % 4]!, { i }, scored(i < 20 ? 12 : 40));
      const gone = await d.decay(5, 10);
      // 12 − 5 = 7 < 10: the twenty go (two sweeps: 15, then 5); 40 − 5 = 35 stays.
      expect(gone).toHaveLength(20);
      expect(gone.every((g) => g.salience === 7 && g.cause === 'decay')).toBe(true);
      expect(gone.map((g) => (g.content as { i: number }).i).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(evicted).toEqual(gone);
      expect(await d.windowCount()).toEqual({ open: 4, items: 2 });
      expect((await d.recall()).map((r) => r.salience)).toEqual([35, 35]);
      expect(d.contentCount).toBe(2);
      expect(await d.decay(0, 10)).toEqual([]);
    });

    it('focuses the most salient window and applies new weights to later scores', async (ctx) => {
      const d = await open(ctx);
      expect(await d.focus()).toEqual({ id: 0, salience: 128 });
      const w = await d.openWindow('urgent', scored(210));
      expect(await d.focus()).toEqual({ id: w.id, salience: 210, label: 'urgent' });
      await d.setWeights([1, 0, 0, 0, 255]);
      // Old weights would score this 0; new ones: (255·255 + 128) >> 8 = 254.
      expect((await d.openWindow(undefined, { importance: 0, novelty: 0, relevance: 0, valence: 0, connection: 1 })).salience).toBe(254);
      await expect(d.setWeights([51, 51, 77, 26, 50])).rejects.toSatisfy((e) => e instanceof InvalidSalienceError && e.reason === 2);
      await expect(d.store(0, 'x', { connection: 0 })).rejects.toSatisfy((e) => e instanceof InvalidSalienceError && e.reason === 1);
      expect(await d.windowCount()).toEqual({ open: 4, items: 0 });
    });

    it('validates every input before anything is sent', async (ctx) => {
      const d = await open(ctx);
      const before = d.stats().framesSent;
      const bad: [string, () => Promise<unknown>][] = [
        ['store window', () => d.store(-1, 'x')],
        ['store window', () => d.store(0x10000, 'x')],
        ['store content', () => d.store(0, undefined as never)],
        ['store content', () => d.store(0, (() => 1) as never)],
        ['store salience', () => d.store(0, 'x', { importance: 2 })],
        ['store salience key', () => d.store(0, 'x', { importnce: 0.2 } as never)],
        ['open label', () => d.openWindow(5 as never)],
        ['recall limit', () => d.recall({ limit: 0 })],
        ['recall order', () => d.recall({ order: 'random' as never })],
        ['recall unknown key', () => d.recall({ colour: 'red' } as never)],
        ['decay step', () => d.decay(256, 0)],
        ['setWeights', () => d.setWeights([1, 2, 3] as never)],
        ['closeWindow', () => d.closeWindow(1.5)],
      ];
      for (const [what, call] of bad) await expect(call(), what).rejects.toBeInstanceOf(InputError);
      expect(d.stats().framesSent).toBe(before);
    });

    it('pipelines concurrent requests and completes them in order', async (ctx) => {
      const d = await open(ctx);
      const w = [0, 1, (await d.openWindow()).id, (await d.openWindow()).id];
      const stores = Array.from({ length: 24 }, (_, i) => d.store(w[i % 4]!, { i }));
      const counts = d.windowCount();
      const results = await Promise.all(stores);
      expect(results.map((r) => r.stamp)).toEqual(Array.from({ length: 24 }, (_, i) => i));
      expect(await counts).toEqual({ open: 4, items: 24 });
      expect(results.every((r) => r.evicted === undefined)).toBe(true);
    });

    it('keeps answering correctly after random garbage on the line', async (ctx) => {
      const d = await open(ctx);
      const random = prng(1234);
      const junk = (n: number) =>
        Uint8Array.from({ length: n }, (_, i) => {
          const r = random();
          // Plenty of sync bytes and small LEN values, to start false frames.
          return r < 0.15 ? 0xa5 : r < 0.25 ? 0x5a : r < 0.4 ? i % 16 : Math.floor(random() * 256);
        });
      for (let round = 0; round < 6; round++) {
        d.writeRaw(junk(20 + round * 30));
        await d.store(0, { round }, scored(100 + round));
        d.writeRaw(junk(7));
        expect(await d.windowCount()).toEqual({ open: 2, items: round + 1 });
      }
      expect((await d.recall()).map((r) => r.content)).toEqual(Array.from({ length: 6 }, (_, round) => ({ round })));
    });

    it('rejects requests after close with PortClosedError', async (ctx) => {
      const d = await open(ctx);
      await d.close();
      await expect(d.windowCount()).rejects.toBeInstanceOf(PortClosedError);
    });
  });
}
