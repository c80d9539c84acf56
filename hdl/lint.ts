/**
 * Verilator lint of generated Verilog (`verilator --lint-only -Wall`): shared by the tests
 * and `janela lint`. Any warning counts as a failure.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CoreConfig } from '../spec/index.js';
import { CORE_TOP, generateCore, type CoreOptions } from './core/index.js';
import { TOP_MODULE, generateTop } from './top.js';
import type { VerilogFile } from './verilog.js';
import { verilatorVersion } from '../sim/verilator.js';

const run = promisify(execFile);

export interface LintResult {
  /** True when Verilator exited cleanly and printed no warning. */
  readonly clean: boolean;
  /** Every %Warning / %Error line, e.g. "%Warning-WIDTH: janela_core.v:12:5: ...". */
  readonly messages: readonly string[];
  /** Verilator's whole output. */
  readonly output: string;
}

/** Lints the files with `top` as the top module; extra flags (e.g. -DFORMAL) go last. */
export async function lintVerilog(files: readonly VerilogFile[], top: string, flags: readonly string[] = []): Promise<LintResult> {
  await verilatorVersion(); // a clear VerilatorMissingError instead of ENOENT
  const dir = await mkdtemp(join(tmpdir(), 'janela-lint-'));
  try {
    for (const f of files) await writeFile(join(dir, f.name), f.text);
    const args = ['--lint-only', '-Wall', '--top-module', top, ...flags, ...files.map((f) => f.name)];
    let output: string;
    let failed = false;
    try {
      const r = await run('verilator', args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
      output = `${r.stdout}${r.stderr}`;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      output = `${e.stdout ?? ''}${e.stderr ?? ''}`;
      failed = true;
    }
    const messages = output.split('\n').filter((l) => /^%(Warning|Error)/.test(l));
    return { clean: !failed && messages.length === 0, messages, output };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Lints the core generated for a config. */
export function lintCore(config: CoreConfig, options: CoreOptions = {}): Promise<LintResult> {
  return lintVerilog(generateCore(config, options), CORE_TOP);
}

/** Lints the whole design (core, link and top) generated for a config. */
export function lintDesign(config: CoreConfig): Promise<LintResult> {
  return lintVerilog(generateTop(config), TOP_MODULE);
}
