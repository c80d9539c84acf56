/**
 * Starts the simulated board: builds janela_top with the pty harness (cached by
 * everything that goes in, so the same config starts at once the second time), spawns
 * it, and returns the pty path a client opens like a serial port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { checkBitCycles } from '../hdl/link/params.js';
import type { VerilogFile } from '../hdl/verilog.js';
import { ConfigError, parseCoreConfig, type CoreConfig, type CoreConfigInput } from '../spec/index.js';
import { PTY_DIR, buildTop, traceFormat } from './pty/build.js';

/** The simulator's bit period by default: a pty has no baud, so only simulation speed counts. */
export const DEFAULT_SIM_BIT_CYCLES = 4;

export interface SimulatorOptions {
  /** The core's config; defaults as spec/params.ts. */
  readonly config?: CoreConfigInput;
  /** Clock cycles per UART bit inside the simulation (build-time; default 4). */
  readonly bitCycles?: number;
  /** Probability of dropping each byte, in either direction. */
  readonly drop?: number;
  /** Probability of flipping one bit of each byte, in either direction. */
  readonly flip?: number;
  /** Seed of the fault injection. */
  readonly seed?: number;
  /** Waveform file: .fst for FST, anything else VCD. */
  readonly trace?: string;
}

/** Counters of the simulation since it started (see sim/pty/harness.cpp). */
export interface SimulatorStats {
  /** Simulated clock cycles. */
  readonly cycles: number;
  /** Of those, cycles the board had nothing queued, running or being sent (waiting for the host). */
  readonly quietCycles: number;
  readonly bitCycles: number;
  /** Bytes towards the board (after fault injection) and from it (before). */
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly rxBits: number;
  readonly txBits: number;
  /** Bytes the fault injection dropped or flipped, both directions. */
  readonly dropped: number;
  readonly flipped: number;
}

export interface Simulator {
  /** The pty's slave path, e.g. /dev/pts/3. */
  readonly path: string;
  readonly config: CoreConfig;
  readonly bitCycles: number;
  readonly pid: number;
  /** Asks the harness for its counters. */
  stats(): Promise<SimulatorStats>;
  /** Stops the harness (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Settles when the harness exits, for whatever reason. */
  readonly exited: Promise<void>;
}

export class SimulatorError extends Error {
  override readonly name = 'SimulatorError';
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(message);
  }
}

function checkRate(name: 'drop' | 'flip', value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0 && value <= 1)) {
    throw new ConfigError([{ path: name, message: `${name} must be a probability in 0..1, got ${value}` }]);
  }
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const config = parseCoreConfig(options.config ?? {});
  const bitCycles = checkBitCycles(options.bitCycles ?? DEFAULT_SIM_BIT_CYCLES);
  // Loaded here so that the launcher's users do not load the generators until they start one.
  const { generateTop } = await import('../hdl/top.js');
  return launchDesign(generateTop(config, { bitCycles }), config, { ...options, bitCycles });
}

/** How launchDesign builds a design other than the RTL (sim/gateLevel.ts: a synthesised netlist). */
export interface DesignBuildOptions {
  /** Cache folder and executable name (default janela-sim, janela-sim-fst/-vcd with a trace). */
  readonly name?: string;
  /** Extra Verilator flags, e.g. the ones a netlist over cells_sim.v needs. */
  readonly verilatorFlags?: readonly string[];
}

/**
 * Builds and starts a given design (every file, top janela_top, BIT_CYCLES = bitCycles).
 * startSimulator uses it with the real core; a test may give it a stand-in core, and
 * sim/gateLevel.ts a synthesised netlist. `files` may include a Verilator config file
 * (.vlt). The design must keep janela_top's sim_quiet and sim_receiving readable
 * (sim/pty/model.h reads them).
 */
export async function launchDesign(
  files: readonly VerilogFile[],
  config: CoreConfig,
  options: SimulatorOptions & DesignBuildOptions & { readonly bitCycles: number },
): Promise<Simulator> {
  checkRate('drop', options.drop);
  checkRate('flip', options.flip);
  if (options.seed !== undefined && !(Number.isSafeInteger(options.seed) && options.seed >= 0)) {
    throw new ConfigError([{ path: 'seed', message: `seed must be a non-negative integer, got ${options.seed}` }]);
  }
  const trace = options.trace === undefined ? undefined : resolve(options.trace);
  const name = options.name ?? 'janela-sim';
  const built = await buildTop({
    name: trace ? `${name}-${traceFormat(trace)}` : name,
    files,
    harness: [resolve(PTY_DIR, 'harness.cpp')],
    bitCycles: options.bitCycles,
    libs: ['-lutil'],
    ...(trace ? { trace: traceFormat(trace) } : {}),
    ...(options.verilatorFlags?.length ? { flags: options.verilatorFlags } : {}),
  });
  const args: string[] = [];
  if (options.drop !== undefined) args.push('--drop', String(options.drop));
  if (options.flip !== undefined) args.push('--flip', String(options.flip));
  if (options.seed !== undefined) args.push('--seed', String(options.seed));
  if (trace) args.push('--trace', trace);
  const child = spawn(built.executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return attach(child, config, options.bitCycles);
}

const STATS_LINE = /^STATS (.*)$/;

function parseStats(fields: string): SimulatorStats {
  const v = Object.fromEntries(fields.split(' ').map((kv) => kv.split('=') as [string, string]));
  const n = (k: string) => Number(v[k] ?? NaN);
  return {
    cycles: n('cycles'),
    quietCycles: n('quiet_cycles'),
    bitCycles: n('bit_cycles'),
    rxBytes: n('rx_bytes'),
    txBytes: n('tx_bytes'),
    rxBits: n('rx_bits'),
    txBits: n('tx_bits'),
    dropped: n('dropped'),
    flipped: n('flipped'),
  };
}

function attach(child: ChildProcess, config: CoreConfig, bitCycles: number): Promise<Simulator> {
  const log: string[] = [];
  const statsWaiters: { resolve: (s: SimulatorStats) => void; reject: (e: Error) => void }[] = [];
  let exited = false;
  const exitPromise = new Promise<void>((done) =>
    child.once('exit', () => {
      exited = true;
      for (const w of statsWaiters.splice(0)) w.reject(new SimulatorError('simulator stopped', log.join('\n')));
      done();
    }),
  );
  // A simulator must not outlive the process that started it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  createInterface({ input: child.stderr! }).on('line', (line) => {
    log.push(line);
    if (log.length > 200) log.shift();
    const m = STATS_LINE.exec(line);
    if (m) statsWaiters.shift()?.resolve(parseStats(m[1]!));
  });

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exitPromise;
    clearTimeout(timer);
  };

  return new Promise((resolveStart, rejectStart) => {
    const lines = createInterface({ input: child.stdout! });
    const fail = (why: string) => {
      lines.close();
      void stop();
      rejectStart(new SimulatorError(`simulator ${why}:\n${log.join('\n')}`, log.join('\n')));
    };
    const onError = (err: Error) => fail(`did not start: ${err.message}`);
    const onEarlyExit = (code: number | null, signal: string | null) =>
      fail(`exited before printing its pty (code ${code}, signal ${signal})`);
    child.once('error', onError);
    child.once('exit', onEarlyExit);
    lines.once('line', (line) => {
      const m = /^PTY (\S+)$/.exec(line);
      if (!m) return fail(`printed '${line}' instead of its pty`);
      child.off('error', onError);
      child.off('exit', onEarlyExit);
      child.on('error', (err) => log.push(`launcher: ${err.message}`));
      resolveStart({
        path: m[1]!,
        config,
        bitCycles,
        pid: child.pid!,
        stop,
        exited: exitPromise,
        stats: () =>
          new Promise((resolveStats, rejectStats) => {
            if (exited) return rejectStats(new SimulatorError('simulator has stopped', log.join('\n')));
            statsWaiters.push({ resolve: resolveStats, reject: rejectStats });
            child.kill('SIGUSR1');
          }),
      });
    });
  });
}
