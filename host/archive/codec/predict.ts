/**
 * Integer predictors shared by the integer-valued codecs: residual = value − prediction.
 *   0 none      0
 *   1 delta     the previous value
 *   2 linear    2·x[t−1] − x[t−2]
 *   3 seasonal  a blend of delta and seasonal delta x[t−1] + x[t−p] − x[t−p−1], weighted by
 *               the inverse square of each one's recent error (decayed by 0.9 a step), for a
 *               period p derived from the timestamps (a day or a week of samples)
 * The encoder picks the cheapest on the block; the period is stored with the predictor.
 */
import { bitLength } from './intModel.js';

export type Predictor = 0 | 1 | 2 | 3;
export const SEASONAL: Predictor = 3;

export interface PredictorSpec {
  readonly kind: Predictor;
  /** Only for the seasonal predictor: samples per period (2 … 65535). */
  readonly period: number;
}

/** A running predictor: feed values in order, ask for the next prediction. */
export class PredictorState {
  #a = 0;
  #b = 0;
  #n = 0;
  readonly #ring: Float64Array | undefined;
  #e1 = 1;
  #e2 = 1;

  constructor(
    readonly kind: Predictor,
    readonly period = 0,
  ) {
    this.#ring = kind === 3 ? new Float64Array(period + 2) : undefined;
  }

  #seasonal(): { p1: number; p2: number } {
    const p = this.period;
    const p1 = this.#a;
    if (this.#n <= p) return { p1, p2: p1 };
    const ring = this.#ring!;
    const len = ring.length;
    // ring holds the last p + 2 values; x[t−k] sits at (n − k) mod len.
    const xp = ring[(this.#n - p) % len]!;
    const xp1 = ring[(this.#n - p - 1) % len]!;
    return { p1, p2: p1 + xp - xp1 };
  }

  predict(): number {
    switch (this.kind) {
      case 0:
        return 0;
      case 1:
        return this.#a;
      case 2:
        return 2 * this.#a - this.#b;
      default: {
        const { p1, p2 } = this.#seasonal();
        const w1 = 1 / (this.#e1 * this.#e1 + 1e-9);
        const w2 = 1 / (this.#e2 * this.#e2 + 1e-9);
        return Math.round((w1 * p1 + w2 * p2) / (w1 + w2));
      }
    }
  }

  push(v: number): void {
    if (this.#ring) {
      const { p1, p2 } = this.#seasonal();
      this.#e1 = this.#e1 * 0.9 + Math.abs(v - p1);
      this.#e2 = this.#e2 * 0.9 + Math.abs(v - p2);
      this.#ring[this.#n % this.#ring.length] = v;
    }
    this.#n++;
    this.#b = this.#a;
    this.#a = v;
  }
}

/** Rough coded size in bits of a residual under the adaptive integer model. */
export function residualCost(r: number): number {
  const m = r < 0 ? -r : r;
  return m === 0 ? 1 : bitLength(m) + 2;
}

/** The predictor whose residuals are cheapest over `values` (in order, integers), by estimate. */
export function bestPredictor(values: ArrayLike<number>, periods: readonly number[] = [], start = 0, end = values.length): PredictorSpec {
  return rankPredictors(values, periods, start, end)[0]!;
}

/** Every candidate predictor, cheapest estimate first (the estimate is rough: encode the top ones to choose). */
export function rankPredictors(values: ArrayLike<number>, periods: readonly number[] = [], start = 0, end = values.length): PredictorSpec[] {
  const ranked: { spec: PredictorSpec; cost: number }[] = [];
  const candidates: PredictorSpec[] = [
    { kind: 1, period: 0 },
    { kind: 2, period: 0 },
    { kind: 0, period: 0 },
    ...periods.filter((p) => p >= 2 && p <= 65535 && p * 2 <= end - start).map((p) => ({ kind: SEASONAL, period: p })),
  ];
  for (const c of candidates) {
    const p = new PredictorState(c.kind, c.period);
    let cost = 0;
    for (let i = start; i < end; i++) {
      const v = values[i]!;
      cost += residualCost(v - p.predict());
      p.push(v);
    }
    if (c.kind === SEASONAL) cost += 16; // two header bytes
    ranked.push({ spec: c, cost });
  }
  return ranked.sort((a, b) => a.cost - b.cost).map((x) => x.spec);
}

/** The predictors worth encoding with: the `k` best estimates, plus the best plain one (the estimate favours seasonal ones too much at times). */
export function shortlist(ranked: readonly PredictorSpec[], k: number): PredictorSpec[] {
  const out = ranked.slice(0, k);
  const plain = ranked.find((p) => p.kind !== SEASONAL);
  if (plain && !out.includes(plain)) out.push(plain);
  return out;
}

/** Writes the predictor after a codec's header bytes: u8 kind, then u16 LE period when seasonal. */
export function predictorBytes(p: PredictorSpec): number[] {
  return p.kind === SEASONAL ? [p.kind, p.period & 0xff, p.period >>> 8] : [p.kind];
}

/** Reads what predictorBytes wrote at `offset`; returns the spec and the bytes it took. */
export function readPredictor(bytes: Uint8Array, offset: number): { spec: PredictorSpec; size: number } | undefined {
  const kind = bytes[offset];
  if (kind === undefined || kind > 3) return undefined;
  if (kind !== SEASONAL) return { spec: { kind: kind as Predictor, period: 0 }, size: 1 };
  if (offset + 3 > bytes.length) return undefined;
  const period = bytes[offset + 1]! | (bytes[offset + 2]! << 8);
  if (period < 2) return undefined;
  return { spec: { kind: SEASONAL, period }, size: 3 };
}

/** Candidate periods (an hour, a day, a week of samples) from millisecond timestamps. */
export function calendarPeriods(timestamps: ArrayLike<number>): number[] {
  const n = timestamps.length;
  if (n < 8) return [];
  const deltas: number[] = [];
  const step = Math.max(1, Math.floor(n / 512));
  for (let i = step; i < n; i += step) {
    const d = timestamps[i]! - timestamps[i - step]!;
    if (d > 0) deltas.push(d / step);
  }
  if (deltas.length === 0) return [];
  deltas.sort((a, b) => a - b);
  const dt = deltas[deltas.length >> 1]!;
  const out = new Set<number>();
  for (const span of [3_600_000, 86_400_000, 604_800_000]) {
    const p = Math.round(span / dt);
    if (p >= 2 && p <= 65535 && p * 2 <= n && Math.abs(p * dt - span) <= span * 0.01) out.add(p);
  }
  return [...out];
}
