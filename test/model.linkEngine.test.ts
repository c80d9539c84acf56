/** The virtual board's link rules (docs/protocol.md), frame by frame. */
import { describe, expect, it } from 'vitest';
import { LinkEngine } from '../host/model/linkEngine.js';
import { FrameParser, encodeFrame, type Frame } from '../host/protocol/frame.js';
import { decodeResponse, encodeRequest } from '../host/protocol/messages.js';
import { OPS, STATUS, type OpName } from '../spec/index.js';

const req = (seq: number, op: OpName, payload: Uint8Array = new Uint8Array()) => encodeFrame('request', { seq, code: OPS[op].code, payload });
const store = (seq: number, window: number, handle: bigint) => req(seq, 'store', encodeRequest('store', { window, handle }));

function answers(engine: LinkEngine, ...frames: Uint8Array[]): Frame[] {
  const parser = new FrameParser('response');
  return frames.flatMap((f) => parser.push(engine.receive(f)));
}
const one = (engine: LinkEngine, frame: Uint8Array) => {
  const r = answers(engine, frame);
  expect(r).toHaveLength(1);
  return r[0]!;
};
const bytesOf = (f: Frame) => Uint8Array.of(f.code, ...f.payload);

describe('SYNC', () => {
  it('is accepted with any SEQ, answers INFO with that SEQ, and sets expected to SEQ + 1', () => {
    for (const seq of [0, 77, 255]) {
      const e = new LinkEngine();
      const r = one(e, req(seq, 'sync'));
      expect(r.seq).toBe(seq);
      expect(decodeResponse('sync', bytesOf(r))).toEqual(decodeResponse('info', e.core.execute(OPS.info.code, new Uint8Array())));
      expect(e.expected).toBe((seq + 1) & 0xff);
    }
  });

  it('forgets the stored responses', () => {
    const e = new LinkEngine();
    one(e, req(0, 'count'));
    one(e, req(9, 'sync'));
    // SEQ 0 was executed and stored before the SYNC; now it is neither expected nor replayable.
    expect(one(e, req(0, 'count'))).toMatchObject({ seq: 0, code: STATUS.badSequence.code, payload: Uint8Array.of(10) });
  });
});

describe('sequence numbers', () => {
  it('executes SEQ = expected, echoing SEQ, and advances expected (mod 256)', () => {
    const e = new LinkEngine();
    one(e, req(254, 'sync'));
    expect(one(e, store(255, 0, 1n))).toMatchObject({ seq: 255, code: 0 });
    expect(one(e, store(0, 0, 2n))).toMatchObject({ seq: 0, code: 0 });
    expect(e.expected).toBe(1);
    expect(e.core.snapshot().itemCount).toBe(2);
  });

  it('answers a repeat of any of the last 4 from the stored response, byte for byte, without executing it again', () => {
    const e = new LinkEngine();
    const first = [1n, 2n, 3n, 4n, 5n].map((h, i) => one(e, store(i, 0, h)));
    const state = e.core.snapshot();
    for (let back = 1; back <= 4; back++) {
      const seq = 5 - back;
      expect(one(e, store(seq, 0, 99n))).toEqual(first[seq]);
    }
    expect(e.core.snapshot()).toEqual(state);
    expect(e.stats).toMatchObject({ executed: 5, replayed: 4 });
  });

  it('answers BadSequence(expected) for SEQ 5 behind or any SEQ ahead, executing nothing', () => {
    const e = new LinkEngine();
    for (let i = 0; i < 6; i++) one(e, req(i, 'count'));
    const state = e.core.snapshot();
    expect(one(e, store(1, 0, 1n))).toEqual({ seq: 1, code: 0x07, payload: Uint8Array.of(6) });
    expect(one(e, store(7, 0, 1n))).toEqual({ seq: 7, code: 0x07, payload: Uint8Array.of(6) });
    expect(one(e, store(200, 0, 1n))).toEqual({ seq: 200, code: 0x07, payload: Uint8Array.of(6) });
    expect(e.core.snapshot()).toEqual(state);
    expect(e.expected).toBe(6);
  });

  it('runs unknown opcodes and bad lengths as failing requests that consume their SEQ', () => {
    const e = new LinkEngine();
    expect(one(e, encodeFrame('request', { seq: 0, code: 0x42, payload: new Uint8Array() }))).toEqual({ seq: 0, code: 0x06, payload: Uint8Array.of(1) });
    expect(one(e, req(1, 'close', Uint8Array.of(1)))).toEqual({ seq: 1, code: 0x06, payload: Uint8Array.of(2) });
    expect(e.expected).toBe(2);
    // …and are replayed like any other answer.
    expect(one(e, encodeFrame('request', { seq: 0, code: 0x42, payload: new Uint8Array() })).payload).toEqual(Uint8Array.of(1));
  });
});

describe('receiver', () => {
  it('never answers bad frames, and answers the good frame after them', () => {
    const e = new LinkEngine();
    const bad = req(0, 'count');
    bad[4]! ^= 0x40;
    const tooLong = Uint8Array.of(0xa5, 16, 0, 0x15, ...new Array(18).fill(0));
    const r = answers(e, Uint8Array.of(0x00, 0x5a, 0x13), bad, tooLong, req(0, 'count'));
    expect(r.map((f) => f.seq)).toEqual([0]);
    expect(e.stats.receiver).toMatchObject({ badCrc: 1, badLength: 1 });
  });

  it('queues 4 frames that arrive while the core is busy and drops the rest unanswered', () => {
    const e = new LinkEngine();
    const burst = Buffer.concat([0, 1, 2, 3, 4].map((s) => req(s, 'count')));
    const r = new FrameParser('response').push(e.receive(burst));
    expect(r.map((f) => f.seq)).toEqual([0, 1, 2, 3]);
    expect(e.stats.queueDrops).toBe(1);
    expect(e.expected).toBe(4);
  });

  it('drops a partial frame when the line goes idle', () => {
    const e = new LinkEngine();
    expect(e.receive(req(0, 'count').subarray(0, 4))).toHaveLength(0);
    expect(e.idle()).toHaveLength(0);
    expect(one(e, req(0, 'count'))).toMatchObject({ seq: 0, code: 0 });
    expect(e.stats.receiver.partial).toBe(1);
  });
});

describe('fault injection', () => {
  it('is reproducible from the seed and touches both directions at about the given rates', () => {
    const run = (seed: number) => {
      const e = new LinkEngine({ toBoard: { drop: 0.05, flip: 0.05 }, toHost: { drop: 0.05, flip: 0.05 }, seed });
      const out: number[] = [];
      for (let i = 0; i < 400; i++) out.push(...e.receive(req(i & 0xff, 'list')), ...e.idle());
      return { out: Buffer.from(out).toString('hex'), stats: e.stats };
    };
    const a = run(5);
    expect(run(5).out).toBe(a.out);
    expect(run(6).out).not.toBe(a.out);
    for (const dir of [a.stats.toBoard, a.stats.toHost]) {
      expect(dir.dropped / dir.bytes).toBeGreaterThan(0.03);
      expect(dir.dropped / dir.bytes).toBeLessThan(0.07);
      expect(dir.flipped / dir.bytes).toBeGreaterThan(0.03);
    }
  });
});
