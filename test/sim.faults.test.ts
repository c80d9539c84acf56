/** The simulator's fault injection (--drop, --flip, --seed) really loses and corrupts bytes. */
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorStats } from '../sim/launcher.js';
import { OPS, STATUS, parseCoreConfig } from '../spec/index.js';
import { ProtocolClient, frame } from './support/linkProtocolClient.js';

const config = parseCoreConfig({});
let sim: Simulator | undefined;
let client: ProtocolClient | undefined;

afterEach(async () => {
  await client?.close();
  await sim?.stop();
  client = sim = undefined;
});

async function start(options: { drop?: number; flip?: number; seed?: number }): Promise<[Simulator, ProtocolClient]> {
  sim = await startSimulator(options);
  client = await ProtocolClient.open(sim.path);
  return [sim, client];
}

/** Stats once the simulation has stopped moving: everything sent has been dealt with. */
async function settled(s: Simulator): Promise<SimulatorStats> {
  for (let before = await s.stats(); ; ) {
    await new Promise((r) => setTimeout(r, 100));
    const after = await s.stats();
    if (after.cycles === before.cycles) return after;
    before = after;
  }
}

/** Stats once `done` holds (the harness reads the pty on its own schedule). */
async function statsWhen(s: Simulator, done: (st: SimulatorStats) => boolean): Promise<SimulatorStats> {
  for (;;) {
    const st = await s.stats();
    if (done(st)) return st;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('fault injection', () => {
  it('--drop 1 loses every byte: nothing reaches the board, nothing is answered', async () => {
    const [s, c] = await start({ drop: 1 });
    const bytes = [...frame(1, OPS.sync.code), ...frame(2, OPS.sync.code)];
    c.send(bytes);
    const st = await statsWhen(s, (x) => x.dropped >= bytes.length);
    expect(st.dropped).toBe(bytes.length);
    expect(st.rxBytes).toBe(0);
    expect(st.txBytes).toBe(0);
    expect(c.pending()).toBe(0);
  });

  it('--flip 1 corrupts every byte: no frame survives', async () => {
    const [s, c] = await start({ flip: 1, seed: 3 });
    const bytes = Array.from({ length: 8 }, (_, i) => [...frame(i, OPS.sync.code)]).flat();
    c.send(bytes);
    await statsWhen(s, (x) => x.rxBytes >= bytes.length);
    const st = await settled(s);
    expect(st.flipped).toBe(bytes.length);
    expect(st.txBytes).toBe(0);
    expect(c.pending()).toBe(0);
  });

  it('with drops and flips both ways, retries still make every request take effect exactly once', async () => {
    const [s, c] = await start({ drop: 0.01, flip: 0.01, seed: 11 });
    let seq = 200;
    await c.request(seq++, OPS.sync.code);
    const opens = config.maxWindows - config.minWindows;
    for (let i = 0; i < opens; i++) expect((await c.request(seq++, OPS.open.code)).status).toBe(STATUS.ok.code);
    const count = await c.request(seq++, OPS.count.code);
    expect(count.payload[0]).toBe(config.maxWindows);
    const refused = await c.request(seq++, OPS.open.code);
    expect(refused).toMatchObject({ status: STATUS.boundedMemoryExceeded.code, payload: [config.maxWindows] });
    const st = await s.stats();
    expect(st.dropped).toBeGreaterThan(0);
    expect(st.flipped).toBeGreaterThan(0);
  });

  it('refuses a probability outside 0..1', async () => {
    await expect(startSimulator({ drop: 1.5 })).rejects.toThrow(/drop/);
  });
});
