/**
 * Differential tests: the generated core in Verilator against the reference model
 * (host/model/core.ts) on random command sequences, byte for byte.
 *
 * Set JANELA_DIFF_SEED=<n> to add a seed of your own to every case.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreModel } from '../host/model/core.js';
import { CoreSim } from '../sim/core/coreSim.js';
import {
  GENERATION_BITS,
  MAX_PAGE,
  OPS,
  STATUS,
  parseCoreConfig,
  windowId,
  type CoreConfig,
  type CoreConfigInput,
  type OpName,
} from '../spec/index.js';
import { RandomOps, type RandomOp } from '../bench/support/randomOps.js';

interface Case {
  readonly name: string;
  readonly config: CoreConfigInput;
  readonly seeds: readonly number[];
  readonly ops: number;
}

// 130 000 random operations in all, over maxWindows 5, 9 and 15, small stores (so that
// both quota eviction and global eviction happen often) and both scorer builds.
const CASES: readonly Case[] = [
  { name: '5 windows, small store', config: { maxWindows: 5, minWindows: 3, capacity: 16, quota: 6 }, seeds: [101, 102], ops: 20_000 },
  { name: '9 windows, default store', config: { maxWindows: 9, minWindows: 3, capacity: 64, quota: 16 }, seeds: [201, 202], ops: 15_000 },
  { name: '15 windows, quota 4', config: { maxWindows: 15, minWindows: 2, capacity: 32, quota: 4 }, seeds: [301, 302], ops: 20_000 },
  { name: 'min = max = 3, tiny store', config: { maxWindows: 3, minWindows: 3, capacity: 5, quota: 5 }, seeds: [401], ops: 10_000 },
  // The 40-clock scorer of parts without DSPs: same composites, OPEN and STORE just take longer.
  { name: 'serial scorer', config: { maxWindows: 5, minWindows: 3, capacity: 16, quota: 6, scorer: 'serial' }, seeds: [501], ops: 10_000 },
];
const extraSeed = process.env.JANELA_DIFF_SEED ? [Number(process.env.JANELA_DIFF_SEED)] : [];

const BATCH = 2_000;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const opName = (code: number) => Object.entries(OPS).find(([, o]) => o.code === code)?.[0] ?? `0x${code.toString(16)}`;

/** What a run exercised: op/status pairs and the interesting events. */
class Coverage {
  readonly seen = new Set<string>();
  add(key: string): void {
    this.seen.add(key);
  }
}

function classify(cov: Coverage, cmd: RandomOp, response: Uint8Array, before: CoreModelLike | undefined, config: CoreConfig) {
  const status = response[0]!;
  const name = opName(cmd.op);
  const reason = response.length > 1 && status !== STATUS.ok.code ? `/${response[1]}` : '';
  cov.add(`${name}:${status}${reason}`);
  if (status !== STATUS.ok.code) return;
  if (cmd.op === OPS.store.code && response[7] === 1 && before) {
    const slot = cmd.payload[0]! & 15;
    cov.add(before.items[slot]! >= config.quota ? 'evict:window' : 'evict:global');
    if (before.store.filter((e) => e && e.sal === response[10]).length > 1) cov.add('evict:tie');
  }
  if (cmd.op === OPS.recall.code) {
    if (response[2] === 1) cov.add('recall:more');
    if (cmd.payload[5] === 1 && response[1]! > 0) cov.add('recall:cursor');
    if (cmd.payload[4] === 1 && response[1]! > 1) cov.add('recall:salience-order');
  }
  if (cmd.op === OPS.decay.code) {
    if (response[1]! > 0) cov.add(cmd.payload[0] === 0 ? 'decay:sweep-evicts' : 'decay:evicts');
    if ((response[2]! | (response[3]! << 8)) > 0) cov.add('decay:remaining');
  }
  if (cmd.op === OPS.close.code && (response[1]! | (response[2]! << 8)) > 0) cov.add('close:frees');
}

type CoreModelLike = ReturnType<CoreModel['snapshot']>;

/** Runs `ops` random commands on both sides; throws with the seed and op index on the first mismatch. */
async function runSeed(sim: CoreSim, c: Case, seed: number, cov: Coverage): Promise<number> {
  const config = parseCoreConfig(c.config);
  await sim.reset();
  const model = new CoreModel(config);
  const ops = new RandomOps(seed, config);
  const history: string[] = [];
  for (let start = 0; start < c.ops; start += BATCH) {
    const cmds: RandomOp[] = [];
    const expected: Uint8Array[] = [];
    for (let i = start; i < Math.min(c.ops, start + BATCH); i++) {
      const cmd = ops.next();
      const before = cmd.op === OPS.store.code ? model.snapshot() : undefined;
      const response = model.execute(cmd.op, cmd.payload);
      ops.observe(cmd, response);
      classify(cov, cmd, response, before, config);
      cmds.push(cmd);
      expected.push(response);
    }
    const actual = await sim.execMany(cmds);
    for (let k = 0; k < cmds.length; k++) {
      const cmd = cmds[k]!;
      const line = `#${start + k} ${cmd.kind} op=${hex(Uint8Array.of(cmd.op))} payload=${hex(cmd.payload)} → ${hex(expected[k]!)}`;
      if (hex(actual[k]!.response) !== hex(expected[k]!)) {
        throw new Error(
          [
            `RTL and model differ: case "${c.name}", seed ${seed}, op index ${start + k}`,
            `config ${JSON.stringify(c.config)}`,
            `command ${cmd.kind}: op 0x${cmd.op.toString(16)} (${opName(cmd.op)}) payload ${hex(cmd.payload)}`,
            `model ${hex(expected[k]!)}`,
            `rtl   ${hex(actual[k]!.response)}`,
            'previous commands:',
            ...history.slice(-8),
          ].join('\n'),
        );
      }
      history.push(line);
      if (history.length > 16) history.shift();
    }
  }
  return c.ops;
}

it('runs at least 100 000 random operations per test run', () => {
  expect(CASES.reduce((n, c) => n + c.ops * c.seeds.length, 0)).toBeGreaterThanOrEqual(100_000);
});

describe.each(CASES)('core RTL = model: $name', (c) => {
  let sim: CoreSim;
  const cov = new Coverage();
  beforeAll(async () => {
    sim = await CoreSim.start(parseCoreConfig(c.config));
  });
  afterAll(async () => {
    await sim?.close();
  });

  it.each([...c.seeds, ...extraSeed])(`agrees on ${c.ops} random commands, seed %i`, async (seed) => {
    expect(await runSeed(sim, c, seed, cov)).toBe(c.ops);
  });

  it('exercised every op, every error and the eviction, paging and decay paths', () => {
    const config = parseCoreConfig(c.config);
    const ok = (op: OpName) => `${op}:${STATUS.ok.code}`;
    const expected = [
      ...(['sync', 'info', 'store', 'recall', 'list', 'count', 'focus', 'setWeights', 'decay'] as const).map(ok),
      `open:${STATUS.boundedMemoryExceeded.code}/${config.maxWindows}`,
      `close:${STATUS.boundedMemoryInsufficient.code}/${config.minWindows}`,
      `store:${STATUS.windowNotFound.code}`,
      `close:${STATUS.windowNotFound.code}`,
      `recall:${STATUS.windowNotFound.code}`,
      `open:${STATUS.invalidSalience.code}/1`,
      `store:${STATUS.invalidSalience.code}/1`,
      `setWeights:${STATUS.invalidSalience.code}/2`,
      `recall:${STATUS.badRequest.code}/3`,
      `store:${STATUS.badRequest.code}/2`,
      'evict:window',
      'evict:tie',
      'recall:more',
      'recall:cursor',
      'recall:salience-order',
      'decay:evicts',
      'decay:sweep-evicts',
    ];
    // More than a page below the threshold needs a store larger than a page.
    if (config.capacity > MAX_PAGE) expected.push('decay:remaining');
    if (config.minWindows < config.maxWindows) {
      expected.push(ok('open'), ok('close'), 'close:frees', `store:${STATUS.windowAlreadyClosed.code}`);
    }
    if (config.capacity < config.quota * config.maxWindows) expected.push('evict:global');
    const unknownOp = [...cov.seen].some((k) => k.startsWith('0x') && k.endsWith(`:${STATUS.badRequest.code}/1`));
    expect(unknownOp).toBe(true);
    expect(expected.filter((k) => !cov.seen.has(k))).toEqual([]);
  });
});

describe('core RTL = model: directed sequences', () => {
  const config = parseCoreConfig(CASES[0]!.config);
  let sim: CoreSim;
  beforeAll(async () => {
    sim = await CoreSim.start(config);
  });
  afterAll(async () => {
    await sim?.close();
  });

  /** Runs commands on both sides, checks they agree, returns the responses. */
  async function both(model: CoreModel, cmds: { op: number; payload: Uint8Array }[]): Promise<Uint8Array[]> {
    const expected = cmds.map((c) => model.execute(c.op, c.payload));
    const actual = await sim.execMany(cmds);
    actual.forEach((a, i) => expect(hex(a.response), `command ${i}: ${opName(cmds[i]!.op)} ${hex(cmds[i]!.payload)}`).toBe(hex(expected[i]!)));
    return expected;
  }
  const u16 = (x: number) => Uint8Array.of(x & 0xff, x >> 8);
  const store = (window: number, handle: number, salience?: number[]) =>
    Uint8Array.from([...u16(window), handle & 0xff, (handle >> 8) & 0xff, 0, 0, 0, 0, 0, 0, ...(salience ?? [])]);

  it('wraps generations after 4096 reopenings, so only then an old id names the slot again', async () => {
    await sim.reset();
    const model = new CoreModel(config);
    const [first] = await both(model, [{ op: OPS.open.code, payload: new Uint8Array() }]);
    const id = first![1]! | (first![2]! << 8);
    const slot = id & 15;
    const cmds: { op: number; payload: Uint8Array }[] = [{ op: OPS.close.code, payload: u16(id) }];
    for (let g = 2; g <= 1 << GENERATION_BITS; g++) {
      cmds.push({ op: OPS.open.code, payload: new Uint8Array() });
      cmds.push({ op: OPS.close.code, payload: u16(windowId(slot, g)) });
    }
    cmds.push({ op: OPS.open.code, payload: new Uint8Array() });
    const responses = await both(model, cmds);
    const last = responses.at(-1)!;
    // 4096 opens after the first one bring the 12-bit generation back to the first id's.
    expect(last[0]).toBe(STATUS.ok.code);
    expect(last[1]! | (last[2]! << 8)).toBe(id);
  });

  it('evicts the oldest of equally salient items when a window is full', async () => {
    await sim.reset();
    const model = new CoreModel(config);
    const window = windowId(0, 0);
    const same = [10, 20, 30, 40, 50];
    const fill = Array.from({ length: config.quota }, (_, i) => ({ op: OPS.store.code, payload: store(window, 0x100 + i, same) }));
    await both(model, fill);
    const [r] = await both(model, [{ op: OPS.store.code, payload: store(window, 0x999, same) }]);
    expect(r![7]).toBe(1); // evicted
    expect(r![11]! | (r![12]! << 8)).toBe(0x100); // the first (oldest) handle
  });

  it('starts over after reset: windows, store, stamps and weights', async () => {
    const model = new CoreModel(config);
    const ops = new RandomOps(7, config);
    const warm: { op: number; payload: Uint8Array }[] = [];
    for (let i = 0; i < 300; i++) {
      const c = ops.next();
      ops.observe(c, model.execute(c.op, c.payload));
      warm.push(c);
    }
    await sim.execMany(warm);
    await sim.reset();
    const fresh = new CoreModel(config);
    const probe: { op: number; payload: Uint8Array }[] = [OPS.count, OPS.list, OPS.focus].map((o) => ({
      op: o.code,
      payload: new Uint8Array(),
    }));
    probe.push({ op: OPS.recall.code, payload: Uint8Array.from([0xff, 0xff, 0, 15, 0, 0, 0, 0, 0, 0, 0, 0]) });
    probe.push({ op: OPS.store.code, payload: store(windowId(1, 0), 5) });
    const [count] = await both(fresh, probe);
    expect(count![2]! | (count![3]! << 8)).toBe(0); // no items after reset
  });
});
