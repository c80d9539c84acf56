/**
 * The host's link rules in scripted situations: a lost request (BadSequence → go-back-N),
 * a lost answer (timeout → replay), duplicated answers, noise from the board, a dead line,
 * and a board that lost its state.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../host/device/clock.js';
import { LinkProtocolError, LinkTimeoutError, openDevice } from '../host/device/index.js';
import { LinkClient } from '../host/device/link.js';
import type { Transport } from '../host/device/transport.js';
import { LinkEngine } from '../host/model/linkEngine.js';
import { decodeResponse, encodeRequest } from '../host/protocol/messages.js';
import { parseCoreConfig } from '../spec/index.js';

/**
 * A virtual board whose line the test scripts: `toBoard(i, bytes)` and `toHost(i, bytes)`
 * see the i-th write (0-based) and the i-th answer burst and return what gets through.
 */
function scriptedLink(script: { toBoard?: (i: number, b: Uint8Array) => Uint8Array; toHost?: (i: number, b: Uint8Array) => Uint8Array }) {
  const engine = new LinkEngine({ config: parseCoreConfig({}) });
  let pending = 0;
  let writes = 0;
  let bursts = 0;
  let listener: (b: Uint8Array) => void = () => {};
  const clock = new VirtualClock(() => pending > 0);
  const transport: Transport = {
    clock,
    description: 'scripted',
    write(bytes) {
      const through = script.toBoard?.(writes++, bytes) ?? bytes;
      pending += 1;
      setImmediate(() => {
        const out = Buffer.concat([engine.receive(through), engine.idle()]);
        const back = out.length ? (script.toHost?.(bursts++, out) ?? out) : out;
        setImmediate(() => {
          pending -= 1;
          if (back.length) listener(back);
          clock.kick();
        });
      });
    },
    onData: (l) => (listener = l),
    onClose: () => {},
    close: async () => {},
  };
  const link = new LinkClient(transport, { timeoutMs: 50, maxAttempts: 5, firstSeq: 10 });
  const store = (handle: bigint) => link.request('store', encodeRequest('store', { window: 0, handle })).then((r) => decodeResponse('store', r));
  return { engine, link, store };
}

describe('link client', () => {
  it('resends every unanswered request after BadSequence when a request is lost', async () => {
    // Write 0 is the SYNC; write 1 (the first store) is lost; writes 2..4 reach the board out of order.
    const { engine, link, store } = scriptedLink({ toBoard: (i, b) => (i === 1 ? new Uint8Array() : b) });
    await link.sync();
    const results = await Promise.all([1n, 2n, 3n, 4n].map(store));
    expect(results.map((r) => (r.status === 'ok' ? r.value.stamp : -1))).toEqual([0, 1, 2, 3]);
    expect(engine.stats.executed).toBe(5);
    expect(engine.stats.badSequence).toBeGreaterThan(0);
    expect(link.stats).toMatchObject({ timeouts: 0, goBacks: 1 });
    expect(link.stats.retransmissions).toBe(4);
  });

  it('recovers a lost answer by timeout and replay, without executing twice', async () => {
    const { engine, link, store } = scriptedLink({ toHost: (i, b) => (i === 1 ? new Uint8Array() : b) });
    await link.sync();
    const r = await store(7n);
    expect(r).toMatchObject({ status: 'ok', value: { stamp: 0 } });
    expect(engine.stats).toMatchObject({ executed: 2, replayed: 1 });
    expect(engine.core.snapshot().itemCount).toBe(1);
    expect(link.stats.timeouts).toBe(1);
  });

  it('ignores duplicated answers', async () => {
    const { link, store } = scriptedLink({ toHost: (_i, b) => Buffer.concat([b, b]) });
    await link.sync();
    const rs = await Promise.all([1n, 2n, 3n].map(store));
    expect(rs.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(link.stats.duplicates).toBeGreaterThanOrEqual(3);
  });

  it('completes in order when a later answer arrives before an earlier one', async () => {
    // The first store's answer is lost; the second's arrives first and is held until the replayed first.
    const { link, store } = scriptedLink({ toHost: (i, b) => (i === 1 ? new Uint8Array() : b) });
    await link.sync();
    const order: number[] = [];
    await Promise.all([1n, 2n].map((h, i) => store(h).then(() => order.push(i))));
    expect(order).toEqual([0, 1]);
  });

  it('hunts through noise from the board', async () => {
    const { engine, link, store } = scriptedLink({});
    await link.sync();
    engine.emitRaw(Uint8Array.of(0x5a, 0xf0, 0x00, 0x5a, 0x5a, 0x03, 0x11, 0x22));
    expect(await store(1n)).toMatchObject({ status: 'ok' });
    expect(link.stats.skippedBytes + link.stats.badFrames).toBeGreaterThan(0);
  });

  it('fails with LinkTimeoutError when nothing comes back, after maxAttempts', async () => {
    const err = await openDevice({ model: true, drop: 1 }, { maxAttempts: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LinkTimeoutError);
    expect(err).toMatchObject({ op: 'sync', attempts: 3 });
  });

  it('fails sent and queued requests alike when the line dies, then works again once it is back', async () => {
    let dead = false;
    const { link, store } = scriptedLink({ toBoard: (_i, b) => (dead ? new Uint8Array() : b) });
    await link.sync();
    dead = true;
    const results = await Promise.allSettled([1n, 2n, 3n, 4n, 5n, 6n].map(store));
    expect(results.map((r) => r.status === 'rejected' && r.reason instanceof LinkTimeoutError)).toEqual(new Array(6).fill(true));
    dead = false;
    // The next request resynchronises first (SYNC), then runs.
    expect(await store(7n)).toMatchObject({ status: 'ok' });
  });

  it('reports a board that lost its sequence state, then resynchronises on the next request', async () => {
    let lastSeq = 0;
    const d = await openDevice({ model: true }, { onComplete: (r) => (lastSeq = r.seq) });
    await d.openWindow();
    d.engine!.reset();
    // Far from the host's next sequence number, whatever its random start was.
    d.engine!.expected = (lastSeq + 128) & 0xff;
    await expect(d.windowCount()).rejects.toBeInstanceOf(LinkProtocolError);
    expect(await d.windowCount()).toEqual({ open: 3, items: 0 });
    await d.close();
  });
});
