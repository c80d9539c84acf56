import { cpus } from 'node:os';

/** What every benchmark suite returns; `janela bench <suite> --json` prints it. */
export interface BenchReport {
  readonly suite: string;
  /** When and where it ran, so figures in docs/benchmarks.md can be traced. */
  readonly environment: {
    readonly date: string;
    readonly node: string;
    readonly cpu: string;
    readonly cores: number;
  };
  /** How it was measured, in a sentence or two. */
  readonly method: string;
  /** The measured figures, grouped as the suite sees fit. */
  readonly results: unknown;
  /** Comparisons against the named baseline measured in the same run: name → ratio (ours / baseline). */
  readonly ratios?: Readonly<Record<string, number>>;
  /** Goals from the issue and whether this run met them. */
  readonly goals?: readonly { readonly goal: string; readonly met: boolean; readonly value: number | string }[];
}

export interface BenchOptions {
  /** A shorter run for smoke tests; figures for docs come from full runs. */
  readonly quick?: boolean;
}

export type BenchSuite = (options: BenchOptions) => Promise<BenchReport>;

/** Where a suite ran; every suite reports it alike. */
export function environment(): BenchReport['environment'] {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
  };
}
