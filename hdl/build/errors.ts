/**
 * Typed errors of the iCE40 build and flash flow. Each carries a message meant for the
 * user; the CLI prints `name: message` without a stack trace (host/cli/main.ts).
 */
import type { BuildReport } from './report.js';

/** A resource the design needs more of than the device has. */
export type Resource = 'LCs' | 'EBR' | 'DSP' | 'SPRAM' | 'IOs';

export class FitError extends Error {
  override readonly name = 'FitError';
  constructor(
    readonly board: string,
    readonly resource: Resource,
    /** null when the tool only said it ran out. */
    readonly needed: number | null,
    readonly available: number,
    /** Which check found it: the config pre-check, the synthesised cell counts, or placement. */
    readonly stage: 'config' | 'synthesis' | 'placement',
    hint = '',
  ) {
    super(
      `design does not fit ${board}: needs ${needed ?? `more than ${available}`} ${resource}, the device has ${available} (found at ${stage})${hint ? `; ${hint}` : ''}`,
    );
  }
}

export class TimingError extends Error {
  override readonly name = 'TimingError';
  constructor(readonly report: BuildReport) {
    const worst = report.clocks
      .filter((c) => !c.met)
      .map((c) => `${c.name}: ${c.achievedMHz.toFixed(2)} MHz < ${c.targetMHz} MHz`)
      .join('; ');
    super(`timing not met on ${report.board}: ${worst || 'no clock was analysed'} (report: see report.json)`);
  }
}

/** Yosys, nextpnr or icepack failed for a reason other than fit. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    readonly tool: string,
    message: string,
    readonly log: string,
  ) {
    super(`${tool} failed: ${message}`);
  }
}

/** The pcf and the board table disagree; the build refuses rather than guess a pin. */
export class ConstraintError extends Error {
  override readonly name = 'ConstraintError';
}

export class FlasherMissingError extends Error {
  override readonly name = 'FlasherMissingError';
  constructor(readonly options: readonly { tool: string; package: string }[], why = '') {
    super(
      `${why ? `${why}; ` : ''}no flasher found on PATH: install ${options
        .map((o) => `${o.tool} (sudo apt-get install ${o.package})`)
        .join(' or ')}`,
    );
  }
}

export class BoardNotFoundError extends Error {
  override readonly name = 'BoardNotFoundError';
}

export class FlashError extends Error {
  override readonly name = 'FlashError';
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

export class BitstreamMissingError extends Error {
  override readonly name = 'BitstreamMissingError';
}
