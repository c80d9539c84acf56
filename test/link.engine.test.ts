/**
 * The link gateware in Verilator, bit by bit on uart_rx/uart_tx, with a stand-in core
 * (test/support/linkStubCore.ts) whose answers show what was executed and when.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { IN_FLIGHT, MAX_REQUEST_PAYLOAD, MAX_RESPONSE_PAYLOAD, OPS, STATUS } from '../spec/index.js';
import { request, type Response } from './support/linkFrames.js';
import { infoPayload, STUB_LONG_OP } from './support/linkStubCore.js';
import { buildLinkTb, runTb, Script, TB_BIT_CYCLES, tbConfig } from './support/linkTb.js';

const SYNC = OPS.sync.code;
const ECHO = OPS.count.code; // any op the stub echoes: `executed, op, len, payload…`
const OK = STATUS.ok.code;
const BAD_SEQUENCE = STATUS.badSequence.code;

let tb: string;
beforeAll(async () => {
  tb = await buildLinkTb();
});

/** The stub's echo answer: [executed, op, len, ...payload]. */
function echoOf(r: Response): { executed: number; op: number; payload: number[] } {
  expect(r.status).toBe(OK);
  return { executed: r.payload[0]!, op: r.payload[1]!, payload: r.payload.slice(3) };
}

/** Seeded bytes: the same garbage every run. */
function garbage(seed: number, n: number): number[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x & 0xff;
  });
}

describe('frame engine: SYNC and INFO', () => {
  it('answers SYNC with status OK, its SEQ, and the core INFO payload', async () => {
    const run = await runTb(tb, new Script().send(request(0x42, SYNC)).drain());
    expect(run.responses).toHaveLength(1);
    expect(run.responses[0]).toMatchObject({ seq: 0x42, status: OK, payload: infoPayload(tbConfig) });
    expect(run.drained).toEqual([true]);
  });

  it('makes SEQ + 1 the expected number after SYNC', async () => {
    const run = await runTb(tb, new Script().send(request(200, SYNC)).send(request(201, ECHO, [7])).drain());
    expect(run.responses.map((r) => r.seq)).toEqual([200, 201]);
    expect(echoOf(run.responses[1]!).payload).toEqual([7]);
  });
});

describe('frame engine: sequence numbers and exactly-once replay', () => {
  it('executes SEQ = expected once, replays the last IN_FLIGHT byte for byte, refuses the rest', async () => {
    const s = new Script().send(request(10, SYNC));
    for (let seq = 11; seq <= 15; seq++) s.send(request(seq, ECHO, [seq]));
    s.drain();
    // expected is now 16: 12..15 are replayable, 11 is too old, 17 is ahead.
    s.send(request(12, ECHO, [0xee])).send(request(15, ECHO)).send(request(11, ECHO)).send(request(17, ECHO)).drain();
    s.send(request(16, ECHO, [16])).drain();
    const r = (await runTb(tb, s)).responses;
    expect(r.map((x) => x.seq)).toEqual([10, 11, 12, 13, 14, 15, 12, 15, 11, 17, 16]);
    const executed = r.slice(1, 6).map((x) => echoOf(x).executed);
    for (let i = 1; i < executed.length; i++) expect(executed[i]).toBe((executed[i - 1]! + 1) & 0xff);
    // Replays: the stored frames again, not a new execution (the new payload is ignored).
    expect(r[6]!.bytes).toEqual(r[2]!.bytes);
    expect(r[7]!.bytes).toEqual(r[5]!.bytes);
    expect(r[8]).toMatchObject({ status: BAD_SEQUENCE, payload: [16] });
    expect(r[9]).toMatchObject({ status: BAD_SEQUENCE, payload: [16] });
    expect(echoOf(r[10]!).executed).toBe((executed[4]! + 1) & 0xff);
  });

  it('forgets stored answers at SYNC: an old SEQ is then BadSequence', async () => {
    const s = new Script().send(request(1, SYNC)).send(request(2, ECHO)).send(request(3, ECHO)).drain();
    s.send(request(3, SYNC)).drain(); // expected := 4, nothing to replay
    s.send(request(3, ECHO)).send(request(2, ECHO)).send(request(4, ECHO)).drain();
    const r = (await runTb(tb, s)).responses;
    expect(r.map((x) => [x.seq, x.status])).toEqual([
      [1, OK],
      [2, OK],
      [3, OK],
      [3, OK],
      [3, BAD_SEQUENCE],
      [2, BAD_SEQUENCE],
      [4, OK],
    ]);
    expect(r[4]!.payload).toEqual([4]);
    expect(r[3]!.payload).toEqual(infoPayload(tbConfig));
  });

  it('counts modulo 256 across the wrap', async () => {
    const s = new Script().send(request(253, SYNC));
    for (const seq of [254, 255, 0, 1]) s.send(request(seq, ECHO, [seq]));
    s.drain().send(request(255, ECHO)).send(request(2, ECHO)).drain();
    const r = (await runTb(tb, s)).responses;
    expect(r.map((x) => x.seq)).toEqual([253, 254, 255, 0, 1, 255, 2]);
    expect(r[5]!.bytes).toEqual(r[2]!.bytes);
    expect(echoOf(r[6]!).payload).toEqual([]);
    expect(echoOf(r[6]!).executed).toBe((echoOf(r[4]!).executed + 1) & 0xff);
  });

  it('passes every payload length 0..MAX_REQUEST_PAYLOAD to the core intact, zero beyond LEN', async () => {
    const s = new Script().send(request(0, SYNC));
    for (let len = 0; len <= MAX_REQUEST_PAYLOAD; len++) {
      s.send(request(len + 1, ECHO, Array.from({ length: len }, (_, i) => (0xa0 + i * 7 + len) & 0xff)));
    }
    s.drain();
    const r = (await runTb(tb, s)).responses;
    expect(r).toHaveLength(MAX_REQUEST_PAYLOAD + 2);
    for (let len = 0; len <= MAX_REQUEST_PAYLOAD; len++) {
      const echo = echoOf(r[len + 1]!);
      expect(r[len + 1]!.payload[2]).toBe(len);
      expect(echo.payload).toEqual(Array.from({ length: len }, (_, i) => (0xa0 + i * 7 + len) & 0xff));
    }
  });

  it('sends the longest response intact', async () => {
    const r = (await runTb(tb, new Script().send(request(5, SYNC)).send(request(6, STUB_LONG_OP)).drain())).responses;
    expect(r[1]!.payload).toHaveLength(MAX_RESPONSE_PAYLOAD);
    const base = r[1]!.payload[0]!;
    expect(r[1]!.payload).toEqual(Array.from({ length: MAX_RESPONSE_PAYLOAD }, (_, i) => (base + i) & 0xff));
  });
});

describe('frame engine: pipelining and back-pressure', () => {
  it('answers pipelined requests in order with no idle time between response bytes', async () => {
    const s = new Script().send(request(0, SYNC)).drain();
    for (let seq = 1; seq <= IN_FLIGHT; seq++) s.send(request(seq, ECHO, [1, 2, 3, 4, 5, 6]));
    s.drain();
    const run = await runTb(tb, s);
    expect(run.responses.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    // Responses (17 bytes) are longer than requests (14): once the first answer starts,
    // the transmitter always has the next byte ready, so stop bits are 10 bit times apart.
    const firstPipelined = run.responses[0]!.bytes.length;
    const gaps = run.txCycles.slice(firstPipelined + 1).map((c, i) => c - run.txCycles[firstPipelined + i]!);
    expect(new Set(gaps)).toEqual(new Set([10 * TB_BIT_CYCLES]));
  });

  it('does not execute a request whose slot is still being sent, and drops a frame that finds the queue full', async () => {
    // Request 1's answer is the longest there is; while it goes out, 2..4 run, 5 (same
    // slot as 1) must wait, 6..8 queue behind it, and 9 finds the queue full.
    const s = new Script().send(request(0, SYNC)).drain().send(request(1, STUB_LONG_OP));
    for (let seq = 2; seq <= 4; seq++) s.send(request(seq, ECHO));
    s.send(request(5, STUB_LONG_OP));
    for (let seq = 6; seq <= 9; seq++) s.send(request(seq, ECHO));
    s.drain().send(request(9, ECHO)).drain();
    const r = (await runTb(tb, s)).responses;
    expect(r.map((x) => x.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const first = r[1]!.payload[0]!;
    // Intact: had 5 overwritten slot 1 mid-transmission, the pattern would change part way.
    expect(r[1]!.payload).toEqual(Array.from({ length: MAX_RESPONSE_PAYLOAD }, (_, i) => (first + i) & 0xff));
    expect(r[5]!.payload[0]).toBe((first + 4) & 0xff);
    expect(echoOf(r[9]!).executed).toBe((first + 8) & 0xff);
  });
});

describe('frame engine: bad frames are dropped without an answer', () => {
  it('drops a frame with any single bit flipped, then answers the next good one', async () => {
    const good = request(1, ECHO, [0x11, 0x22]);
    const s = new Script().send(request(0, SYNC));
    // Flip one bit in every byte after the sync byte (a flipped sync byte is just not a frame).
    for (let i = 1; i < good.length; i++) {
      const bad = [...good];
      bad[i]! ^= 1 << i % 8;
      s.send(bad).idle(25);
    }
    s.send(good).drain();
    const run = await runTb(tb, s);
    expect(run.responses.map((r) => r.seq)).toEqual([0, 1]);
    expect(echoOf(run.responses[1]!).payload).toEqual([0x11, 0x22]);
  });

  it('treats LEN > MAX_REQUEST_PAYLOAD as a bad frame and hunts again from the next byte', async () => {
    const s = new Script()
      .send([0xa5, MAX_REQUEST_PAYLOAD + 1])
      .send(request(3, SYNC))
      .send([0xa5, 0xa5]) // the second a5 is read as LEN, not as a sync byte
      .send(request(4, ECHO).slice(1))
      .idle(25)
      .send(request(4, ECHO))
      .drain();
    const r = (await runTb(tb, s)).responses;
    expect(r.map((x) => x.seq)).toEqual([3, 4]);
  });

  it('drops a frame containing a byte with a framing error', async () => {
    // The damaged byte (the last) is not delivered. Without the abort the broken frame would
    // wait for it, take the next frame's sync byte as its CRC, and that frame would be lost
    // too. The pause lets the UART find byte boundaries again, but is shorter than the idle timeout.
    const frame = request(1, ECHO, [1, 2, 3]);
    const s = new Script().send(request(0, SYNC)).send(frame.slice(0, -1)).badStop(frame.at(-1)!).idle(12);
    s.send(request(1, ECHO, [4, 5, 6])).drain();
    const r = (await runTb(tb, s)).responses;
    expect(r.map((x) => x.seq)).toEqual([0, 1]);
    expect(echoOf(r[1]!).payload).toEqual([4, 5, 6]);
  });

  it('never wedges on garbage: afterwards SYNC and requests are answered correctly', async () => {
    for (const seed of [1, 2, 3]) {
      const s = new Script().send(garbage(seed, 600)).send([0xa5, 0x0f, 0x01]).idle(25);
      s.send(request(77, SYNC)).send(request(78, ECHO, [seed])).drain();
      const run = await runTb(tb, s); // the strict parser also checks every byte sent is a good frame
      const tail = run.responses.slice(-2);
      expect(tail[0]).toMatchObject({ seq: 77, status: OK, payload: infoPayload(tbConfig) });
      expect(echoOf(tail[1]!).payload).toEqual([seed]);
    }
  });
  it('survives a flood of good frames with any SEQ: answers stay in order, and it answers afterwards', async () => {
    const seqs = garbage(9, 80).map((x) => x % 12);
    const s = new Script().send(request(0, SYNC));
    for (const seq of seqs) s.send(request(seq, ECHO, [seq]));
    s.drain().send(request(100, SYNC)).send(request(101, ECHO, [1])).drain();
    const r = (await runTb(tb, s)).responses;
    // Every answer belongs to a frame sent, in sending order (some frames found the queue full).
    let next = 0;
    for (const answer of r.slice(1, -2)) {
      while (next < seqs.length && seqs[next] !== answer.seq) next++;
      expect(next).toBeLessThan(seqs.length);
      next++;
    }
    expect(r.slice(-2).map((x) => [x.seq, x.status])).toEqual([
      [100, OK],
      [101, OK],
    ]);
    expect(echoOf(r.at(-1)!).payload).toEqual([1]);
  });
});

describe('frame engine: idle timeout', () => {
  it('drops a partial frame after 20 idle bit times, so the next frame is not lost', async () => {
    const s = new Script().send(request(0, SYNC)).send(request(1, ECHO, [9, 9, 9]).slice(0, 5)).idle(22);
    s.send(request(1, ECHO, [5])).drain();
    const r = (await runTb(tb, s)).responses;
    expect(r.map((x) => x.seq)).toEqual([0, 1]);
    expect(echoOf(r[1]!).payload).toEqual([5]);
  });

  it('keeps a frame whose bytes pause for less than 20 bit times', async () => {
    const frame = request(1, ECHO, [1, 2, 3]);
    const s = new Script().send(request(0, SYNC)).send(frame.slice(0, 5)).idle(18).send(frame.slice(5)).drain();
    const r = (await runTb(tb, s)).responses;
    expect(r.map((x) => x.seq)).toEqual([0, 1]);
    expect(echoOf(r[1]!).payload).toEqual([1, 2, 3]);
  });
});

describe('UART', () => {
  it.each([0.98, 1.02])('receives frames sent at %f times the bit period', async (scale) => {
    const s = new Script().period(TB_BIT_CYCLES * scale).send(request(9, SYNC)).send(request(10, ECHO, [0x55, 0xaa, 0x00, 0xff]));
    s.period(TB_BIT_CYCLES).drain();
    const r = (await runTb(tb, s)).responses;
    expect(r.map((x) => x.seq)).toEqual([9, 10]);
    expect(echoOf(r[1]!).payload).toEqual([0x55, 0xaa, 0x00, 0xff]);
  });

  it('ignores a glitch shorter than half a bit and recovers from a break', async () => {
    const s = new Script().send(request(0, SYNC)).drain().low(TB_BIT_CYCLES / 2 - 2).idle(2);
    s.send(request(1, ECHO)).drain().low(TB_BIT_CYCLES * 40).idle(2).send(request(2, ECHO)).drain();
    const r = (await runTb(tb, s)).responses;
    expect(r.map((x) => x.seq)).toEqual([0, 1, 2]);
  });
});

describe('LEDs', () => {
  it('shows activity, errors and the open-window count', async () => {
    const s = new Script().leds().send(request(0, SYNC)).drain().leds();
    const badCrc = request(1, OPS.count.code, [0]);
    badCrc[badCrc.length - 1]! ^= 0x01;
    s.send(badCrc).idle(25).leds();
    s.send(request(1, OPS.open.code)).send(request(2, OPS.open.code)).send(request(3, OPS.close.code)).drain().leds();
    const leds = (await runTb(tb, s)).leds;
    const open = (v: number) => v >> 2;
    expect(leds[0]! & 3).toBe(0);
    expect(open(leds[0]!)).toBe(tbConfig.minWindows);
    expect(leds[1]! & 1).toBe(1);
    expect(leds[1]! & 2).toBe(0);
    expect(leds[2]! & 2).toBe(2);
    expect(open(leds[3]!)).toBe(tbConfig.minWindows + 1);
  });
});
