/**
 * Drives the generated core in Verilator: builds (or reuses) the test bench for a config
 * and talks to it over stdin/stdout, one line per command (see core_tb.cpp).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCoreConfig, type CoreConfig } from '../../spec/index.js';
import { CORE_TOP, generateCore, type CoreOptions } from '../../hdl/core/index.js';
import { buildVerilated, type BuiltModel } from '../verilator.js';

export const CORE_TB = join(dirname(fileURLToPath(import.meta.url)), 'core_tb.cpp');

export interface CoreSimOptions extends CoreOptions {
  /** Most cycles one command may take before the bench gives up (default 10 000 000). */
  readonly maxCyclesPerOp?: number;
}

export interface ExecResult {
  /** Status byte, then the payload: the core's rsp_data bytes up to rsp_last. */
  readonly response: Uint8Array;
  /** Clock cycles from the accepting edge until cmd_ready is high again. */
  readonly cycles: number;
}

export interface Command {
  readonly op: number;
  readonly payload: Uint8Array;
}

/** The bench reported a broken interface contract, or died. */
export class CoreSimError extends Error {
  override readonly name = 'CoreSimError';
}

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Builds the bench executable for a config (cached by sim/verilator.ts). */
export async function buildCoreBench(config: CoreConfig, options: CoreOptions = {}): Promise<BuiltModel> {
  const files = generateCore(parseCoreConfig(config), options);
  return buildVerilated({
    name: 'core-tb',
    sources: Object.fromEntries(files.map((f) => [f.name, f.text])),
    top: CORE_TOP,
    harness: [CORE_TB],
  });
}

export class CoreSim {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  #buffer = '';
  #stderr = '';
  #dead: Error | undefined;

  private constructor(executable: string, maxCycles: number) {
    this.#proc = spawn(executable, [String(maxCycles)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#proc.stdout.setEncoding('utf8');
    this.#proc.stdout.on('data', (chunk: string) => this.#onData(chunk));
    this.#proc.stderr.setEncoding('utf8');
    this.#proc.stderr.on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    this.#proc.on('error', (e) => this.#fail(e));
    this.#proc.on('exit', (code, signal) =>
      this.#fail(new CoreSimError(`core bench exited (${signal ?? code}) ${this.#stderr.trim()}`)),
    );
    // A write after the bench died must not crash the process; the pending promises reject instead.
    this.#proc.stdin.on('error', (e) => this.#fail(e));
  }

  static async start(config: CoreConfig, options: CoreSimOptions = {}): Promise<CoreSim> {
    const { maxCyclesPerOp, ...coreOptions } = options;
    const model = await buildCoreBench(config, coreOptions);
    return new CoreSim(model.executable, maxCyclesPerOp ?? 10_000_000);
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let nl: number;
    while ((nl = this.#buffer.indexOf('\n')) >= 0) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      const waiter = this.#waiting.shift();
      if (line.startsWith('error ')) {
        const e = new CoreSimError(`core bench: ${line.slice(6)}`);
        waiter?.reject(e);
        this.#fail(e);
      } else if (waiter) waiter.resolve(line);
    }
  }

  #fail(e: Error): void {
    this.#dead ??= e;
    for (const w of this.#waiting.splice(0)) w.reject(this.#dead);
  }

  #send(lines: string[]): Promise<string>[] {
    if (this.#dead) return lines.map(() => Promise.reject(this.#dead));
    const answers = lines.map(
      () => new Promise<string>((resolve, reject) => this.#waiting.push({ resolve, reject })),
    );
    this.#proc.stdin.write(lines.map((l) => `${l}\n`).join(''));
    return answers;
  }

  static #parse(line: string): ExecResult {
    const [hex, cycles] = line.split(' ');
    if (hex === undefined || cycles === undefined) throw new CoreSimError(`unexpected bench line: ${line}`);
    return { response: new Uint8Array(Buffer.from(hex, 'hex')), cycles: Number(cycles) };
  }

  async exec(op: number, payload: Uint8Array = new Uint8Array()): Promise<ExecResult> {
    const [answer] = this.#send([`${op.toString(16).padStart(2, '0')} ${toHex(payload)}`]);
    return CoreSim.#parse(await answer!);
  }

  /** Sends every command at once and collects the answers in order: one pipe round trip per batch. */
  async execMany(commands: readonly Command[]): Promise<ExecResult[]> {
    const answers = this.#send(commands.map((c) => `${c.op.toString(16).padStart(2, '0')} ${toHex(c.payload)}`));
    return (await Promise.all(answers)).map(CoreSim.#parse);
  }

  /** Pulses rst; resolves with the cycles until the core is ready (store cleared). */
  async reset(): Promise<number> {
    const [answer] = this.#send(['reset']);
    return Number((await answer!).split(' ')[1]);
  }

  async close(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#proc.once('exit', () => resolve()));
    this.#proc.stdin.end();
    await exited;
  }
}
