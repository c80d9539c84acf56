/** The Verilator bench of the core and its TypeScript driver. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreSim, CoreSimError } from '../sim/core/coreSim.js';
import { MAX_PAGE, OPS, PROTOCOL_VERSION, STATUS, buildId, parseCoreConfig } from '../spec/index.js';

const config = parseCoreConfig({ maxWindows: 5, minWindows: 3, capacity: 16, quota: 6, weights: [60, 50, 70, 26, 50] });

describe('core bench', () => {
  let sim: CoreSim;
  beforeAll(async () => {
    sim = await CoreSim.start(config);
  });
  afterAll(async () => {
    await sim?.close();
  });

  it('answers INFO and SYNC with the config, little-endian, as docs/hardware.md lists it', async () => {
    for (const op of [OPS.info.code, OPS.sync.code]) {
      const { response, cycles } = await sim.exec(op);
      const view = new DataView(response.buffer, response.byteOffset, response.byteLength);
      expect(response[0]).toBe(STATUS.ok.code);
      expect([...response.subarray(1, 4)]).toEqual([PROTOCOL_VERSION, config.maxWindows, config.minWindows]);
      expect(view.getUint16(4, true)).toBe(config.capacity);
      expect(view.getUint16(6, true)).toBe(config.quota);
      expect(response[8]).toBe(MAX_PAGE);
      expect([...response.subarray(9, 14)]).toEqual(config.weights);
      expect(view.getUint32(14, true)).toBe(buildId(config));
      expect(response.length).toBe(18);
      // At most one byte per cycle, plus the accepting cycle.
      expect(cycles).toBeGreaterThan(response.length);
    }
  });

  it('gives the same answers one by one and batched', async () => {
    const cmds = [OPS.count, OPS.list, OPS.focus].map((o) => ({ op: o.code, payload: new Uint8Array() }));
    const batched = await sim.execMany(cmds);
    for (const [i, c] of cmds.entries()) expect((await sim.exec(c.op, c.payload)).response).toEqual(batched[i]!.response);
  });

  it('reports a command that outlasts the cycle limit, then refuses further commands', async () => {
    const slow = await CoreSim.start(config, { maxCyclesPerOp: 40 });
    try {
      // A RECALL of three items scans the store four times: far more than 40 cycles.
      for (let h = 1; h <= 3; h++) {
        const store = Uint8Array.from([0x00, 0x00, h, 0, 0, 0, 0, 0, 0, 0]);
        expect((await slow.exec(OPS.store.code, store)).response[0]).toBe(STATUS.ok.code);
      }
      const recall = Uint8Array.from([0xff, 0xff, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0]);
      await expect(slow.exec(OPS.recall.code, recall)).rejects.toThrow(CoreSimError);
      await expect(slow.exec(OPS.count.code)).rejects.toThrow(CoreSimError);
    } finally {
      await slow.close();
    }
  });
});
