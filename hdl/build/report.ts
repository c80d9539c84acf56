/**
 * nextpnr's `--report` JSON (utilisation, achieved fmax per clock, critical paths) and the
 * build report janela writes beside the bitstream. The log is never parsed for figures.
 */
import { z } from 'zod';
import type { Board } from '../../constraints/boards.js';

const endpoint = z.object({ cell: z.string(), port: z.string(), loc: z.array(z.number()).optional() });

/** The parts of nextpnr's report janela reads; anything else in it is ignored. */
export const nextpnrReportSchema = z.object({
  utilization: z.record(z.string(), z.object({ used: z.number(), available: z.number() })),
  fmax: z.record(z.string(), z.object({ achieved: z.number(), constraint: z.number() })).default({}),
  critical_paths: z
    .array(
      z.object({
        from: z.string(),
        to: z.string(),
        path: z.array(
          z.object({
            type: z.string(),
            delay: z.number(),
            from: endpoint,
            to: endpoint,
            net: z.string().optional(),
          }),
        ),
      }),
    )
    .default([]),
});
export type NextpnrReport = z.output<typeof nextpnrReportSchema>;

export function parseNextpnrReport(text: string): NextpnrReport {
  return nextpnrReportSchema.parse(JSON.parse(text));
}

export interface Usage {
  readonly used: number;
  readonly available: number;
}

export interface ClockTiming {
  /** nextpnr's name for the clock net, e.g. `clk$SB_IO_IN_$glb_clk`. */
  readonly name: string;
  readonly achievedMHz: number;
  readonly targetMHz: number;
  readonly met: boolean;
}

export interface CriticalPath {
  readonly clock: string;
  /** Sum of the path's delays (ns): clock-to-q, logic, routing and setup. */
  readonly delayNs: number;
  readonly logicNs: number;
  readonly routingNs: number;
  /** LUT/carry stages between the launching and the capturing register. */
  readonly logicLevels: number;
  readonly from: string;
  readonly to: string;
  /** Nets along the path, in order (at most 40). */
  readonly nets: readonly string[];
}

export interface BuildReport {
  readonly board: string;
  /** Part and package, e.g. iCE40HX1K-TQ144. */
  readonly device: string;
  readonly configHash: string;
  readonly config: unknown;
  readonly resources: {
    readonly lcs: Usage;
    readonly brams: Usage;
    readonly dsps: Usage;
    /** Used: SB_IO cells; available: the package's user I/O (the board table). */
    readonly ios: Usage;
  };
  /** The slowest clock's figures. */
  readonly fmaxMHz: { readonly achieved: number; readonly target: number };
  readonly clocks: readonly ClockTiming[];
  readonly timingMet: boolean;
  readonly criticalPath: CriticalPath | null;
  readonly tools: { readonly yosys: string; readonly nextpnr: string; readonly packages: Readonly<Record<string, string>> };
  readonly generatorVersion: string;
  /** Wall-clock time of each step of the build that produced these figures (ms). */
  readonly buildTimeMs: { readonly synth: number; readonly pnr: number; readonly pack: number; readonly total: number };
  readonly builtAt: string;
  /** Cells by type after synthesis. */
  readonly cells: Readonly<Record<string, number>>;
}

const usage = (r: NextpnrReport, key: string, availableOverride?: number): Usage => ({
  used: r.utilization[key]?.used ?? 0,
  available: availableOverride ?? r.utilization[key]?.available ?? 0,
});

/**
 * Clocks from nextpnr's fmax table; a clock meets timing when achieved ≥ its constraint.
 * Constant nets are left out: a DSP used without registers has its CLK tied low, and
 * nextpnr lists that ground net as a clock although nothing can toggle on it.
 */
export function clockTimings(r: NextpnrReport): ClockTiming[] {
  return Object.entries(r.fmax)
    .filter(([name]) => !/^\$PACKER_(GND|VCC)_NET/.test(name))
    .map(([name, f]) => ({
      name,
      achievedMHz: f.achieved,
      targetMHz: f.constraint,
      met: f.achieved >= f.constraint,
    }));
}

/** The longest register-to-register path within one clock domain, summarised. */
export function criticalPath(r: NextpnrReport): CriticalPath | null {
  const candidates = r.critical_paths
    .filter((p) => p.from === p.to && p.from !== '<async>' && p.path.length > 0)
    .map((p) => ({ p, total: p.path.reduce((s, seg) => s + seg.delay, 0) }))
    .sort((a, b) => b.total - a.total);
  const best = candidates[0];
  if (!best) return null;
  const segs = best.p.path;
  const sum = (pred: (t: string) => boolean) => segs.filter((s) => pred(s.type)).reduce((s, seg) => s + seg.delay, 0);
  const first = segs[0]!;
  const last = segs[segs.length - 1]!;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    clock: best.p.from,
    delayNs: round(best.total),
    logicNs: round(sum((t) => t !== 'routing')),
    routingNs: round(sum((t) => t === 'routing')),
    logicLevels: segs.filter((s) => s.type === 'logic').length,
    from: `${first.from.cell}.${first.from.port}`,
    to: `${last.to.cell}.${last.to.port}`,
    nets: segs.flatMap((s) => (s.net ? [s.net] : [])).slice(0, 40),
  };
}

export interface ReportContext {
  readonly board: Board;
  readonly configHash: string;
  readonly config: unknown;
  readonly tools: BuildReport['tools'];
  readonly generatorVersion: string;
  readonly buildTimeMs: BuildReport['buildTimeMs'];
  readonly cells: Readonly<Record<string, number>>;
}

export function buildReport(r: NextpnrReport, ctx: ReportContext): BuildReport {
  const clocks = clockTimings(r);
  const slowest = [...clocks].sort((a, b) => a.achievedMHz / a.targetMHz - b.achievedMHz / b.targetMHz)[0];
  return {
    board: ctx.board.name,
    device: `${ctx.board.device}-${ctx.board.package.toUpperCase()}`,
    configHash: ctx.configHash,
    config: ctx.config,
    resources: {
      lcs: usage(r, 'ICESTORM_LC'),
      brams: usage(r, 'ICESTORM_RAM'),
      dsps: usage(r, 'ICESTORM_DSP'),
      ios: usage(r, 'SB_IO', ctx.board.resources.ios),
    },
    fmaxMHz: { achieved: slowest?.achievedMHz ?? 0, target: slowest?.targetMHz ?? 0 },
    clocks,
    // A design without an analysed clock cannot be said to meet a clock target.
    timingMet: clocks.length > 0 && clocks.every((c) => c.met),
    criticalPath: criticalPath(r),
    tools: ctx.tools,
    generatorVersion: ctx.generatorVersion,
    buildTimeMs: ctx.buildTimeMs,
    builtAt: new Date().toISOString(),
    cells: ctx.cells,
  };
}
