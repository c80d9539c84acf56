/**
 * Builds a Verilated janela_top with a C++ harness that includes this folder's headers
 * (model.h, uart.h, …). The headers' text goes into the build flags, so editing one
 * rebuilds every cached model that uses it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VerilogFile } from '../../hdl/verilog.js';
import { buildVerilated, type BuiltModel } from '../verilator.js';

export const PTY_DIR = dirname(fileURLToPath(import.meta.url));

function headersHash(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(PTY_DIR).filter((n) => n.endsWith('.h')).sort()) {
    hash.update(name).update(readFileSync(join(PTY_DIR, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

export type TraceFormat = 'fst' | 'vcd';

/** A waveform file's format, from its extension (.fst, anything else VCD). */
export function traceFormat(path: string): TraceFormat {
  return path.toLowerCase().endsWith('.fst') ? 'fst' : 'vcd';
}

export interface TopBuild {
  /** Cache folder and executable name. */
  readonly name: string;
  readonly files: readonly VerilogFile[];
  /** C++ sources (absolute paths). */
  readonly harness: readonly string[];
  /** The design's BIT_CYCLES, which the harness needs to serialise bits. */
  readonly bitCycles: number;
  readonly trace?: TraceFormat;
  /** Extra linker flags (the pty harness needs -lutil for openpty on older C libraries). */
  readonly libs?: readonly string[];
  /** Extra Verilator flags, e.g. the gate-level ones (hdl/build/gateLevel.ts). */
  readonly flags?: readonly string[];
}

/** Builds (or finds in the cache) the Verilated top with the pty harness. */
export function buildTop(build: TopBuild): Promise<BuiltModel> {
  const traceFlags = build.trace === 'fst' ? ['--trace-fst'] : build.trace === 'vcd' ? ['--trace'] : [];
  const traceDefine = build.trace ? [`-DJANELA_TRACE_${build.trace.toUpperCase()}`] : [];
  return buildVerilated({
    name: build.name,
    sources: Object.fromEntries(build.files.map((f) => [f.name, f.text])),
    top: 'janela_top',
    harness: build.harness,
    flags: [...traceFlags, ...(build.libs?.length ? ['-LDFLAGS', build.libs.join(' ')] : []), ...(build.flags ?? [])],
    cflags: [
      '-std=c++17',
      `-I${PTY_DIR}`,
      `-DJANELA_BIT_CYCLES=${build.bitCycles}`,
      `-DJANELA_HEADERS=0x${headersHash()}`,
      ...traceDefine,
    ],
  });
}
