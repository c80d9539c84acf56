/**
 * The YoWASP tools (Yosys, nextpnr-ice40, icepack) as async functions over in-memory
 * files. They run as WebAssembly in this process: no system install, same versions
 * everywhere. A run blocks the event loop, so progress is reported from the tools' own
 * log lines as they arrive (the callbacks run synchronously inside the tool).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  Exit as YosysExit,
  runYosys,
  version as yosysPackageVersion,
  type Tree,
} from '@yowasp/yosys';
import {
  Exit as NextpnrExit,
  runIcepack,
  runNextpnrIce40,
  version as nextpnrPackageVersion,
} from '@yowasp/nextpnr-ice40';
import { ToolError } from './errors.js';

export type { Tree };

export interface ToolRun {
  /** Every file in the tool's virtual filesystem when it exited (inputs included). */
  readonly files: Tree;
  /** stdout and stderr, interleaved as the tool wrote them. */
  readonly log: string;
}

export interface RunOptions {
  /** Called with each complete log line while the tool runs. */
  readonly onLine?: (line: string) => void;
  /** Return binary outputs as Uint8Array even when they look like text. */
  readonly binary?: boolean;
}

type Runner = (args?: string[], files?: Tree, options?: object) => Promise<Tree> | Tree | undefined;

async function runTool(tool: string, runner: Runner, args: string[], files: Tree, opts: RunOptions = {}): Promise<ToolRun> {
  let log = '';
  let pending = '';
  const decoder = new TextDecoder();
  const sink = (bytes: Uint8Array | null) => {
    if (!bytes) return;
    const text = decoder.decode(bytes, { stream: true });
    log += text;
    if (!opts.onLine) return;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) opts.onLine(l);
  };
  try {
    const out = await runner(args, files, { stdout: sink, stderr: sink, decodeASCII: !opts.binary });
    return { files: out ?? {}, log };
  } catch (err) {
    if (err instanceof YosysExit || err instanceof NextpnrExit) {
      throw new ToolError(tool, `exit code ${err.code}: ${errorLines(log)}`, log);
    }
    // nextpnr aborts (a WebAssembly trap) on some fatal errors, e.g. when placement runs out of cells.
    throw new ToolError(tool, `${(err as Error).message}: ${errorLines(log)}`, log);
  }
}

/** The ERROR lines of a log, or its last lines when there are none. */
export function errorLines(log: string): string {
  const lines = log.split('\n');
  const errors = lines.filter((l) => /^(ERROR|Error)\b/.test(l.trim()));
  return (errors.length ? errors : lines.filter((l) => l.trim()).slice(-5)).join(' | ').slice(0, 2000);
}

export function yosys(args: string[], files: Tree, opts?: RunOptions): Promise<ToolRun> {
  return runTool('yosys', runYosys as Runner, args, files, opts);
}

export function nextpnrIce40(args: string[], files: Tree, opts?: RunOptions): Promise<ToolRun> {
  return runTool('nextpnr-ice40', runNextpnrIce40 as Runner, args, files, opts);
}

export function icepack(args: string[], files: Tree, opts?: RunOptions): Promise<ToolRun> {
  return runTool('icepack', runIcepack as Runner, args, files, { ...opts, binary: true });
}

/** Package versions: they pin the exact WebAssembly builds, so they key the build cache. */
export const PACKAGE_VERSIONS = {
  '@yowasp/yosys': yosysPackageVersion,
  '@yowasp/nextpnr-ice40': nextpnrPackageVersion,
} as const;

export interface ToolVersions {
  readonly yosys: string;
  readonly nextpnr: string;
  readonly packages: typeof PACKAGE_VERSIONS;
}

let versionsPromise: Promise<ToolVersions> | undefined;

/** The tools' own version lines (one short run each, once per process). */
export function toolVersions(): Promise<ToolVersions> {
  versionsPromise ??= (async () => {
    const y = await yosys(['-V'], {});
    const n = await nextpnrIce40(['--version'], {});
    const first = (s: string) => s.split('\n').find((l) => l.trim())?.trim() ?? 'unknown';
    return { yosys: first(y.log), nextpnr: first(n.log), packages: PACKAGE_VERSIONS };
  })();
  return versionsPromise;
}

/** Yosys's iCE40 simulation models, for gate-level simulation of a synthesised netlist. */
export function cellsSimPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@yowasp/yosys')), 'share', 'ice40', 'cells_sim.v');
}
