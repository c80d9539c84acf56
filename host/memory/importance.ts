/**
 * The one importance scorer of the memory facade. Every decision about what to keep serves
 * itself from it: the unified cleanup (cache entries, context sessions, open accounts,
 * archives — lowest importance first), the caches' utility (their hybrid policy is weighted
 * with the same weights), and which memory window gives way when an account needs a window
 * and the board has none left.
 *
 *   importance = (w_s · s + w_r · r + w_f · f) / (w_s + w_r + w_f)            ∈ [0, 1]
 *
 *   s = salience of the thing itself, 0..1: a window's composite salience / 255, an item's
 *       importance as the caller gave it, an archive's own importance of its least important
 *       content (metrics priority class / 4, state or emotion importance), 0.5 when unknown
 *   r = recency = 2^(−age / halfLifeMs), age = now − last access (0 for a future time)
 *   f = frequency = 1 − e^(−accesses / accessScale)
 *
 * Defaults: w_s = 0.5, w_r = 0.3, w_f = 0.2, halfLifeMs = 600 000 (10 min), accessScale = 4.
 * So an item never used again loses half its recency term every 10 minutes, and four uses
 * give 63 % of the frequency term. Ties are broken by the caller (older first).
 */
import { z } from 'zod';
import type { SalienceInput } from '../../spec/index.js';
import { parseInput } from './errors.js';

const weight = z.number().min(0).max(1000).finite();

export const importanceConfigSchema = z
  .object({
    weights: z
      .object({
        salience: weight.default(0.5),
        recency: weight.default(0.3),
        frequency: weight.default(0.2),
      })
      .strict()
      .prefault({})
      .refine((w) => w.salience + w.recency + w.frequency > 0, { message: 'at least one weight must be > 0' }),
    /** Age at which the recency term has halved, in ms. */
    halfLifeMs: z.number().positive().finite().default(600_000),
    /** Accesses at which the frequency term reaches 1 − 1/e. */
    accessScale: z.number().positive().finite().default(4),
  })
  .strict();
export type ImportanceConfigInput = z.input<typeof importanceConfigSchema>;
export type ImportanceConfig = z.output<typeof importanceConfigSchema>;

/** What the scorer needs of a thing. */
export interface ImportanceInput {
  /** 0..1; clamped. */
  readonly salience: number;
  /** Epoch ms of the last access (or creation). */
  readonly lastAccess: number;
  /** Accesses so far (≥ 0). */
  readonly accesses: number;
}

const clamp01 = (x: number): number => (x > 1 ? 1 : x > 0 ? x : 0);

export class ImportanceScorer {
  readonly config: ImportanceConfig;
  readonly #ws: number;
  readonly #wr: number;
  readonly #wf: number;
  readonly #now: () => number;

  constructor(config: ImportanceConfigInput = {}, now: () => number = Date.now) {
    this.config = parseInput('importance config', importanceConfigSchema, config);
    const w = this.config.weights;
    const sum = w.salience + w.recency + w.frequency;
    this.#ws = w.salience / sum;
    this.#wr = w.recency / sum;
    this.#wf = w.frequency / sum;
    this.#now = now;
  }

  now(): number {
    return this.#now();
  }

  recency(lastAccess: number, now: number = this.#now()): number {
    const age = now - lastAccess;
    return age <= 0 ? 1 : Math.pow(2, -age / this.config.halfLifeMs);
  }

  frequency(accesses: number): number {
    return accesses <= 0 ? 0 : 1 - Math.exp(-accesses / this.config.accessScale);
  }

  /** The importance of `x` at `now` (default: the scorer's clock), in [0, 1]. */
  score(x: ImportanceInput, now: number = this.#now()): number {
    const s = Number.isFinite(x.salience) ? clamp01(x.salience) : 0;
    return this.#ws * s + this.#wr * this.recency(x.lastAccess, now) + this.#wf * this.frequency(x.accesses);
  }

  /**
   * Weights of the caches' hybrid policy (host/cache): age ↔ recency, frequency ↔ frequency,
   * utility ↔ salience, so a cache's own evictions follow the same trade-off.
   */
  cacheWeights(): { age: number; frequency: number; utility: number } {
    return { age: this.#wr, frequency: this.#wf, utility: this.#ws };
  }

  /** A device salience byte (composite, 0..255) as a salience 0..1. */
  static fromByte(composite: number): number {
    return clamp01(composite / 255);
  }

  /**
   * A single importance 0..1 as the five salience components the board scores: importance,
   * novelty, relevance and connection all x (connection at least 1/255, the board refuses 0),
   * valence 0. Under the default weights the composite is ≈ 0.9 · 255 · x.
   */
  static toSalience(importance: number): SalienceInput {
    const x = clamp01(importance);
    return { importance: x, novelty: x, relevance: x, valence: 0, connection: Math.max(x, 1 / 255) };
  }
}
