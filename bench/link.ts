/**
 * The serial link over the simulator: operations per second, wire utilisation with
 * pipelining, cycles per operation, and the line's ceiling on a real board.
 *
 * Utilisation is measured in simulated time: bits on the wire ÷ (simulated cycles ÷
 * cycles per bit), from the harness's counters. The simulator stops its clock while the
 * design is idle and waiting for the host, so host think time does not count, but any
 * gap the board leaves on a busy line does.
 */
import { SerialPort } from 'serialport';
import { encodeFrame } from '../host/protocol/frame.js';
import { startSimulator, type Simulator, type SimulatorStats } from '../sim/launcher.js';
import {
  FRAME_HEADER_BYTES,
  FRAME_TRAILER_BYTES,
  IN_FLIGHT,
  NEUTRAL_SALIENCE,
  OPS,
  RESPONSE_SYNC,
  STATUS,
  parseCoreConfig,
  type CoreConfig,
} from '../spec/index.js';
import { environment, type BenchReport, type BenchSuite } from './types.js';

function requestFrame(seq: number, op: number, payload: readonly number[]): Uint8Array {
  return encodeFrame('request', { seq, code: op, payload: Uint8Array.from(payload) });
}

const frameBytes = (payload: number) => FRAME_HEADER_BYTES + payload + FRAME_TRAILER_BYTES;

/** A typical operation: its request payload (from the op's index i) and the answer's payload length. */
interface Workload {
  readonly name: string;
  readonly op: number;
  readonly payload: (i: number) => number[];
  readonly responsePayload: number;
}

const u16 = (v: number) => [v & 0xff, v >> 8];
const u64 = (v: number) => Array.from({ length: 8 }, (_, k) => (k < 6 ? Math.floor(v / 2 ** (8 * k)) & 0xff : 0));
const salience = NEUTRAL_SALIENCE.map((x) => x & 0xff);
/** RECALL over every window, 4 records, by salience, no cursor. */
const RECALL_LIMIT = 4;

const WORKLOADS: readonly Workload[] = [
  { name: 'count', op: OPS.count.code, payload: () => [], responsePayload: 3 },
  {
    name: 'store',
    op: OPS.store.code,
    // Window ids 0..minWindows-1 are open at reset (generation 0); a window's quota makes
    // later stores evict, the steady state of a long session.
    payload: (i) => [...u16(i % 3), ...u64(i), ...salience],
    responsePayload: 18,
  },
  {
    name: 'recall4',
    op: OPS.recall.code,
    payload: () => [0xff, 0xff, 0, RECALL_LIMIT, 1, 0, 0, 0, 0, 0, 0, 0],
    responsePayload: 2 + RECALL_LIMIT * 16,
  },
];

/** Keeps up to `depth` requests in flight; resolves when all `count` are answered OK. */
async function pipeline(port: SerialPort, work: Workload, firstSeq: number, count: number, depth: number): Promise<number> {
  let sent = 0;
  let answered = 0;
  let buffer: number[] = [];
  return new Promise((resolve, reject) => {
    const send = () => {
      while (sent < count && sent - answered < depth) {
        port.write(requestFrame(firstSeq + sent, work.op, work.payload(firstSeq + sent)));
        sent++;
      }
    };
    const onData = (data: Buffer) => {
      buffer.push(...data);
      for (;;) {
        if (buffer.length < 2) break;
        if (buffer[0] !== RESPONSE_SYNC) return fail(`lost framing: ${buffer[0]}`);
        const len = buffer[1]!;
        if (buffer.length < frameBytes(len)) break;
        const frame = buffer.slice(0, frameBytes(len));
        buffer = buffer.slice(frameBytes(len));
        const seq = frame[2]!;
        const status = frame[3]!;
        if (seq !== ((firstSeq + answered) & 0xff)) return fail(`answer ${seq} out of order`);
        if (status !== STATUS.ok.code) return fail(`${work.name} failed with status ${status}`);
        answered++;
      }
      if (answered === count) {
        port.off('data', onData);
        resolve(firstSeq + count);
      } else send();
    };
    const fail = (why: string) => {
      port.off('data', onData);
      reject(new Error(`bench link: ${why}`));
    };
    port.on('data', onData);
    send();
  });
}

async function openPort(path: string): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115_200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

interface Measurement {
  readonly workload: string;
  readonly inFlight: number;
  readonly ops: number;
  readonly opsPerSecondWall: number;
  readonly cyclesPerOp: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** Bits on the wire ÷ bit times elapsed, per direction, and the busier of the two. */
  readonly utilisationToBoard: number;
  readonly utilisationFromBoard: number;
  readonly utilisation: number;
  /**
   * Bits sent by the board ÷ bit times during which the board had work (a request queued
   * or running, or an answer waiting or going out). Below 1 only if the board itself
   * leaves the line idle; host think time does not lower it.
   */
  readonly lineBusyWhileWorking: number;
  /**
   * With one request in flight: cycles per op beyond the bits of request and response,
   * i.e. the board's own time (queue, core, capture, framing), to within a couple of
   * cycles (the harness decodes the last stop bit half a bit before it ends).
   */
  readonly boardCyclesPerOp?: number;
}

function measurement(work: Workload, inFlight: number, ops: number, wallMs: number, a: SimulatorStats, b: SimulatorStats): Measurement {
  const cycles = b.cycles - a.cycles;
  const bitTimes = cycles / b.bitCycles;
  const requestBytes = frameBytes(work.payload(0).length);
  const responseBytes = frameBytes(work.responsePayload);
  const lineCyclesPerOp = (requestBytes + responseBytes) * 10 * b.bitCycles - b.bitCycles / 2;
  const toBoard = (b.rxBits - a.rxBits) / bitTimes;
  const fromBoard = (b.txBits - a.txBits) / bitTimes;
  return {
    workload: work.name,
    inFlight,
    ops,
    opsPerSecondWall: Math.round((ops * 1000) / wallMs),
    cyclesPerOp: Math.round(cycles / ops),
    requestBytes,
    responseBytes,
    utilisationToBoard: round3(toBoard),
    utilisationFromBoard: round3(fromBoard),
    utilisation: round3(Math.max(toBoard, fromBoard)),
    lineBusyWhileWorking: round3((b.txBits - a.txBits) / ((cycles - (b.quietCycles - a.quietCycles)) / b.bitCycles)),
    ...(inFlight === 1 ? { boardCyclesPerOp: Math.round(cycles / ops - lineCyclesPerOp) } : {}),
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** What the line allows: one op per max(request, response) frame, 10 bits a byte. */
function ceilings(config: CoreConfig) {
  return [115_200, 1_000_000, 3_000_000].map((baud) => ({
    baud,
    opsPerSecond: Object.fromEntries(
      WORKLOADS.map((w) => [w.name, Math.floor(baud / 10 / Math.max(frameBytes(w.payload(0).length), frameBytes(w.responsePayload)))]),
    ),
    cyclesPerBitAtClock: Math.round(config.clockHz / baud),
  }));
}

async function measureAt(bitCycles: number, opsPerWorkload: number): Promise<Measurement[]> {
  const sim: Simulator = await startSimulator({ bitCycles });
  const port = await openPort(sim.path);
  const out: Measurement[] = [];
  try {
    let seq = await pipeline(port, { name: 'sync', op: OPS.sync.code, payload: () => [], responsePayload: 17 }, 0, 1, 1);
    for (const work of WORKLOADS) {
      for (const depth of [1, IN_FLIGHT]) {
        seq = await pipeline(port, work, seq, IN_FLIGHT, depth); // warm-up: fills the store, primes the pipeline
        const before = await sim.stats();
        const t0 = performance.now();
        seq = await pipeline(port, work, seq, opsPerWorkload, depth);
        const wall = performance.now() - t0;
        out.push(measurement(work, depth, opsPerWorkload, wall, before, await sim.stats()));
      }
    }
  } finally {
    await new Promise<void>((resolve) => port.close(() => resolve()));
    await sim.stop();
  }
  return out;
}

/** Bit periods measured: 4 and 12 cycles are 3 Mbaud and 1 Mbaud at the 12 MHz board clock, 104 is 115 200. */
const BIT_PERIODS = [4, 12, 104];
const BOARD_DEFAULT_PERIOD = 104;

export const run: BenchSuite = async (options) => {
  const config = parseCoreConfig({});
  const periods = options.quick ? [4, BOARD_DEFAULT_PERIOD] : BIT_PERIODS;
  const ops = options.quick ? 40 : 400;
  const byPeriod: Record<string, Measurement[]> = {};
  for (const p of periods) byPeriod[`bitCycles${p}`] = await measureAt(p, ops);
  const pipelined = (p?: number) =>
    Object.entries(byPeriod)
      .filter(([k]) => p === undefined || k === `bitCycles${p}`)
      .flatMap(([, m]) => m)
      .filter((m) => m.inFlight === IN_FLIGHT);
  const worstAtBoardRate = Math.min(...pipelined(BOARD_DEFAULT_PERIOD).map((m) => m.utilisation));
  const worstWhileWorking = Math.min(...pipelined().map((m) => m.lineBusyWhileWorking));
  const report: BenchReport = {
    suite: 'link',
    environment: environment(),
    method:
      `Real core + link in Verilator behind the pty harness; a client keeps 1 or ${IN_FLIGHT} requests in flight, ` +
      `${ops} ops per workload after a warm-up. Utilisation = bits on the busier direction ÷ (simulated cycles ÷ cycles per bit). ` +
      'At small bit periods the simulated line outruns the host client, so pipelines drain and utilisation falls: ' +
      'lineBusyWhileWorking leaves out the cycles in which the board had nothing to do.',
    results: {
      measured: byPeriod,
      lineCeiling: ceilings(config),
    },
    goals: [
      {
        goal: `wire utilisation with ${IN_FLIGHT} in flight ≥ 0.9 at the board's 115 200 baud (${BOARD_DEFAULT_PERIOD} cycles per bit), worst workload`,
        met: worstAtBoardRate >= 0.9,
        value: worstAtBoardRate,
      },
      {
        goal: 'the board keeps its line ≥ 0.9 busy whenever it has work, at every bit period measured (the UART is the bottleneck)',
        met: worstWhileWorking >= 0.9,
        value: worstWhileWorking,
      },
    ],
  };
  return report;
};
