/** Builds and runs the script-driven link testbench (linkTb.cpp) on janela_top with the stand-in core. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTopWithCore } from '../../hdl/top.js';
import { buildTop } from '../../sim/pty/build.js';
import { parseCoreConfig, type CoreConfig } from '../../spec/index.js';
import { hex, parseResponses, type Response } from './linkFrames.js';
import { stubCore } from './linkStubCore.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Eight cycles per bit: fast, yet a ±2 % baud error still moves the sample point visibly. */
export const TB_BIT_CYCLES = 8;
/** Cycles the stand-in core thinks before answering: answers come with gaps, as from a real core. */
export const TB_CORE_LATENCY = 40;

export const tbConfig: CoreConfig = parseCoreConfig({});

export async function buildLinkTb(): Promise<string> {
  const files = generateTopWithCore(tbConfig, stubCore(tbConfig, TB_CORE_LATENCY), { bitCycles: TB_BIT_CYCLES });
  const built = await buildTop({
    name: 'link-tb',
    files,
    harness: [join(HERE, 'linkTb.cpp')],
    bitCycles: TB_BIT_CYCLES,
  });
  return built.executable;
}

export interface TbRun {
  /** Every byte the design sent. */
  readonly tx: number[];
  /** The cycle each byte's stop bit was sampled. */
  readonly txCycles: number[];
  readonly responses: Response[];
  readonly lines: string[];
  readonly drained: boolean[];
  readonly leds: number[];
}

/** A script builder, so tests read as what goes on the wire. */
export class Script {
  readonly lines: string[] = [];
  send(bytes: readonly number[]): this {
    if (bytes.length) this.lines.push(`send ${hex(bytes)}`);
    return this;
  }
  badStop(byte: number): this {
    this.lines.push(`badstop ${byte.toString(16)}`);
    return this;
  }
  period(cycles: number): this {
    this.lines.push(`period ${cycles}`);
    return this;
  }
  idle(bits: number): this {
    this.lines.push(`idle ${bits}`);
    return this;
  }
  low(cycles: number): this {
    this.lines.push(`low ${cycles}`);
    return this;
  }
  run(cycles: number): this {
    this.lines.push(`run ${cycles}`);
    return this;
  }
  drain(): this {
    this.lines.push('drain');
    return this;
  }
  leds(): this {
    this.lines.push('leds');
    return this;
  }
}

export function runTb(executable: string, script: Script): Promise<TbRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`linkTb exited ${code}: ${stderr}`));
      const lines = stdout.split('\n').filter(Boolean);
      const tx: number[] = [];
      const txCycles: number[] = [];
      const drained: boolean[] = [];
      const leds: number[] = [];
      for (const line of lines) {
        const [kind, cycle, value] = line.split(' ');
        if (kind === 'TX') {
          tx.push(parseInt(value!, 16));
          txCycles.push(Number(cycle));
        } else if (kind === 'DRAINED' || kind === 'STUCK') drained.push(kind === 'DRAINED');
        else if (kind === 'LEDS') leds.push(Number(value));
      }
      try {
        resolve({ tx, txCycles, responses: parseResponses(tx), lines, drained, leds });
      } catch (err) {
        reject(new Error(`${(err as Error).message}\nTX: ${hex(tx)}`));
      }
    });
    child.stdin.end(`${script.lines.join('\n')}\n`);
  });
}
