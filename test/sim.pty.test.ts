/**
 * The simulated board (real core + link under Verilator) through its pseudo-terminal,
 * opened with serialport like a real board.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../sim/launcher.js';
import {
  DEFAULT_WEIGHTS,
  FRAME_HEADER_BYTES,
  FRAME_TRAILER_BYTES,
  INFO_LAYOUT,
  MAX_PAGE,
  OPS,
  PROTOCOL_VERSION,
  STATUS,
  buildId,
  layoutBytes,
  parseCoreConfig,
} from '../spec/index.js';
import { ProtocolClient, frame } from './support/linkProtocolClient.js';

const OK = STATUS.ok.code;
const config = parseCoreConfig({});

let sim: Simulator;
let client: ProtocolClient;

beforeAll(async () => {
  sim = await startSimulator({});
  client = await ProtocolClient.open(sim.path);
});

afterAll(async () => {
  await client?.close();
  await sim?.stop();
});

/** SYNC with `seq`, checked; the board then expects seq + 1. */
async function sync(seq: number): Promise<number[]> {
  client.send(frame(seq, OPS.sync.code));
  const [answer] = await client.receive(1);
  expect(answer).toMatchObject({ seq, status: OK });
  return answer!.payload;
}

const u16 = (p: number[], i: number) => p[i]! | (p[i + 1]! << 8);

/**
 * Sends bytes that leave a frame unfinished, waits until the simulated line has carried
 * them all, then longer than the harness's gap grace (20 ms), so that the board's idle
 * timeout, not a late byte, ends the partial frame.
 */
async function sendThenPause(bytes: Buffer | number[]): Promise<void> {
  const before = (await sim.stats()).rxBytes;
  client.send(bytes);
  while ((await sim.stats()).rxBytes < before + bytes.length) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
}

describe('simulator over its pty', () => {
  it('answers SYNC with the INFO of the config it was built from', async () => {
    const info = await sync(0x30);
    expect(info[0]).toBe(PROTOCOL_VERSION);
    expect(info.slice(1, 3)).toEqual([config.maxWindows, config.minWindows]);
    expect([u16(info, 3), u16(info, 5), info[7]]).toEqual([config.capacity, config.quota, MAX_PAGE]);
    expect(info.slice(8, 13)).toEqual([...DEFAULT_WEIGHTS]);
    expect((info[13]! | (info[14]! << 8) | (info[15]! << 16) | (info[16]! << 24)) >>> 0).toBe(buildId(config));
  });

  it('executes once, replays byte for byte, and answers BadSequence with expected', async () => {
    await sync(100);
    client.send(frame(101, OPS.open.code));
    client.send(frame(102, OPS.count.code));
    const [opened, counted] = await client.receive(2);
    expect(opened).toMatchObject({ seq: 101, status: OK });
    const openBefore = counted!.payload[0]!;
    // OPEN again with the same SEQ: the stored answer, and no second window.
    client.send(frame(101, OPS.open.code));
    client.send(frame(103, OPS.count.code));
    const [replayed, recount] = await client.receive(2);
    expect(replayed!.raw).toEqual(opened!.raw);
    expect(recount!.payload[0]).toBe(openBefore);
    client.send(frame(120, OPS.count.code));
    client.send(frame(99, OPS.count.code));
    const bad = await client.receive(2);
    expect(bad.map((a) => [a.seq, a.status, ...a.payload])).toEqual([
      [120, STATUS.badSequence.code, 104],
      [99, STATUS.badSequence.code, 104],
    ]);
    // Put the window back, so other tests see the reset state.
    const id = u16(opened!.payload, 0);
    client.send(frame(104, OPS.close.code, [id & 0xff, id >> 8]));
    expect((await client.receive(1))[0]).toMatchObject({ seq: 104, status: OK });
  });

  it('keeps four requests in flight and answers them in order', async () => {
    await sync(7);
    for (let seq = 8; seq < 12; seq++) client.send(frame(seq, OPS.count.code));
    const answers = await client.receive(4);
    expect(answers.map((a) => [a.seq, a.status])).toEqual([8, 9, 10, 11].map((s) => [s, OK]));
  });

  it('drops a frame with a bad CRC without an answer', async () => {
    await sync(40);
    const bad = frame(41, OPS.open.code);
    bad[bad.length - 1]! ^= 0x40;
    client.send(bad);
    client.send(frame(41, OPS.count.code));
    const [answer] = await client.receive(1);
    // Had the bad frame been taken, 41 would be its OPEN answer (window id + salience: 3 bytes).
    expect(answer).toMatchObject({ seq: 41, status: OK });
    expect(answer!.payload).toHaveLength(3);
    expect(answer!.payload[0]).toBe(config.minWindows);
  });

  it('is never wedged by garbage', async () => {
    let x = 12345;
    const junk = Array.from({ length: 3000 }, () => ((x = (x * 1103515245 + 12345) >>> 0), x >>> 24));
    await sendThenPause(junk);
    client.send(frame(0x77, OPS.sync.code));
    // Junk could, though hardly ever (1 in 2^32 per candidate frame), hold a frame with a good CRC; its answer comes first.
    let answer;
    do [answer] = await client.receive(1);
    while (answer!.seq !== 0x77);
    expect(answer!.status).toBe(OK);
    const info = answer!.payload;
    expect(info[0]).toBe(PROTOCOL_VERSION);
  });

  it('recovers from a truncated frame through the idle timeout', async () => {
    await sync(60);
    await sendThenPause(frame(61, OPS.count.code).subarray(0, 4));
    client.send(frame(61, OPS.count.code));
    const [answer] = await client.receive(1);
    expect(answer).toMatchObject({ seq: 61, status: OK });
  });

  it('survives a client closing and reopening the pty', async () => {
    await client.close();
    client = await ProtocolClient.open(sim.path);
    const info = await sync(5);
    expect(info[0]).toBe(PROTOCOL_VERSION);
  });

  it('counts simulated cycles and bits on the wire', async () => {
    const before = await sim.stats();
    await sync(9);
    const after = await sim.stats();
    expect(after.rxBytes - before.rxBytes).toBe(frame(9, 0).length);
    const infoFrame = FRAME_HEADER_BYTES + layoutBytes(INFO_LAYOUT.fields) + FRAME_TRAILER_BYTES;
    expect(after.txBits - before.txBits).toBe(10 * infoFrame);
    expect(after.cycles - before.cycles).toBeGreaterThanOrEqual(10 * sim.bitCycles * infoFrame);
  });

  it('sleeps while idle: no CPU spent, simulated time stands still', async () => {
    await sync(11);
    // utime + stime of the harness, in clock ticks (fields 14 and 15 of /proc/PID/stat).
    const cpu = async () => {
      const fields = (await readFile(`/proc/${sim.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
      return Number(fields[11]) + Number(fields[12]);
    };
    const [before, ticks] = [await sim.stats(), await cpu()];
    await new Promise((r) => setTimeout(r, 1000));
    const [after, ticksAfter] = [await sim.stats(), await cpu()];
    expect(after.cycles).toBe(before.cycles);
    // A spinning loop would use about 100 ticks in that second.
    expect(ticksAfter - ticks).toBeLessThan(20);
  });
});

