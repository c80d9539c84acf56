/**
 * Salience arithmetic, defined once as integer math.
 *
 * The Verilog generator emits exactly this computation (hdl/blocks/salienceScorer.ts)
 * and the reference model calls these functions, so the two agree bit for bit.
 */
import { z } from 'zod';

/** Component order on the wire, in weight tables and in the scorer (DANEEL's field order). */
export const SALIENCE_COMPONENTS = ['importance', 'novelty', 'relevance', 'valence', 'connection'] as const;
export type SalienceComponent = (typeof SALIENCE_COMPONENTS)[number];

/** Index of valence: the one signed component (s8, −128..127); the others are u8 (0..255 ≙ 0..1). */
export const VALENCE_INDEX = SALIENCE_COMPONENTS.indexOf('valence');
/** Index of connection: a salience with connection = 0 is refused (InvalidSalience). */
export const CONNECTION_INDEX = SALIENCE_COMPONENTS.indexOf('connection');

/** Weights are u8 and must sum to exactly this, so that the composite fits u8 after the shift. */
export const WEIGHT_SUM = 256;
/** DANEEL's defaults 0.2/0.2/0.3/0.1/0.2 scaled by 256 and rounded so that they sum to 256. */
export const DEFAULT_WEIGHTS = [51, 51, 77, 26, 51] as const;

/** Wire form of a salience: five bytes, valence as a signed byte. */
export type RawSalience = readonly [number, number, number, number, number];

/** Neutral salience (0.5, 0.5, 0.5, 0, 0.5): 115 under the default weights, ≈ DANEEL's 0.45. */
export const NEUTRAL_SALIENCE: RawSalience = [128, 128, 128, 0, 128];

const u8 = z.number().int().min(0).max(255);
const s8 = z.number().int().min(-128).max(127);

export const weightsSchema = z
  .tuple([u8, u8, u8, u8, u8])
  .refine((w) => w.reduce((a, b) => a + b, 0) === WEIGHT_SUM, {
    message: `salience weights must sum to ${WEIGHT_SUM}`,
  });
export type Weights = readonly [number, number, number, number, number];

/** A raw salience as the hardware sees it. connection = 0 is representable here; the core refuses it. */
export const rawSalienceSchema = z.tuple([u8, u8, u8, s8, u8]);

/** |valence| as the scorer computes it: 0..128. */
export function magnitude(valence: number): number {
  return valence < 0 ? -valence : valence;
}

/**
 * Composite salience: round(Σ wᵢ·xᵢ / 256) with x_valence = |valence|, rounding half up.
 * Σ ≤ 256·255, so (Σ + 128) >> 8 ≤ 255 always fits u8.
 */
export function compositeSalience(s: RawSalience, w: Weights): number {
  let sum = 0;
  for (let i = 0; i < 5; i++) {
    const x = i === VALENCE_INDEX ? magnitude(s[i]!) : s[i]!;
    sum += w[i]! * x;
  }
  return (sum + 128) >> 8;
}

/** Why a salience or a weight vector was refused; the byte that InvalidSalience carries. */
export const SalienceReason = {
  ConnectionZero: 1,
  WeightSum: 2,
} as const;
export type SalienceReason = (typeof SalienceReason)[keyof typeof SalienceReason];

/** Float form used by agent code: components 0..1, valence −1..1. */
export const salienceInputSchema = z.object({
  importance: z.number().min(0).max(1).default(0.5),
  novelty: z.number().min(0).max(1).default(0.5),
  relevance: z.number().min(0).max(1).default(0.5),
  valence: z.number().min(-1).max(1).default(0),
  connection: z.number().min(0).max(1).default(0.5),
});
export type SalienceInput = z.input<typeof salienceInputSchema>;

/** Float → wire: unsigned components round(x·255), valence round(v·127); halves round up (0.5 → 128). */
export function toRawSalience(input: SalienceInput): RawSalience {
  const s = salienceInputSchema.parse(input);
  const u = (x: number) => Math.floor(x * 255 + 0.5);
  return [u(s.importance), u(s.novelty), u(s.relevance), Math.round(s.valence * 127), u(s.connection)];
}
