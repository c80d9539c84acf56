/**
 * The four priorities of a consciousness metric record, judged against the record before it:
 *   PHI            |Δphi| ≥ phiChange (default 0.1)
 *   EMOTION        √(Δvalence² + Δarousal²) ≥ emotionChange (default 0.2)
 *   ATTENTION      the attention focus changed, or its intensity moved by ≥ attentionChange
 *   METACOGNITION  |Δ metacognition level| ≥ metacognitionChange (default 1)
 * The priority class of a record is the number of criteria it meets (0–4). Cleanup drops
 * the lowest class first, oldest first within a class.
 */
import { z } from 'zod';

export const PRIORITY_PHI = 1;
export const PRIORITY_EMOTION = 2;
export const PRIORITY_ATTENTION = 4;
export const PRIORITY_METACOGNITION = 8;
export const PRIORITY_CLASSES = 5;

export const priorityConfigSchema = z
  .object({
    phiChange: z.number().positive().finite().default(0.1),
    emotionChange: z.number().positive().finite().default(0.2),
    /** A change of attention intensity at least this large is a major shift even with the same focus. */
    attentionChange: z.number().positive().finite().default(0.5),
    metacognitionChange: z.number().int().positive().default(1),
  })
  .strict();
export type PriorityConfig = z.output<typeof priorityConfigSchema>;

export interface PriorityInputs {
  readonly phi: number;
  readonly valence: number;
  readonly arousal: number;
  readonly attentionFocus: string;
  readonly attentionIntensity?: number | undefined;
  readonly metacognitionLevel: number;
}

/**
 * `d` ≥ `threshold`, allowing for the rounding of a difference of doubles (0.6 − 0.5 is
 * 0.09999999999999998): a relative tolerance of 10⁻⁹.
 */
function atLeast(d: number, threshold: number): boolean {
  return d >= threshold * (1 - 1e-9);
}

/** The bit set of criteria `cur` meets against `prev` (0 for the first record). */
export function priorityFlags(prev: PriorityInputs | undefined, cur: PriorityInputs, cfg: PriorityConfig): number {
  if (!prev) return 0;
  let f = 0;
  if (atLeast(Math.abs(cur.phi - prev.phi), cfg.phiChange)) f |= PRIORITY_PHI;
  if (atLeast(Math.hypot(cur.valence - prev.valence, cur.arousal - prev.arousal), cfg.emotionChange)) f |= PRIORITY_EMOTION;
  const dI =
    cur.attentionIntensity !== undefined && prev.attentionIntensity !== undefined
      ? Math.abs(cur.attentionIntensity - prev.attentionIntensity)
      : 0;
  if (cur.attentionFocus !== prev.attentionFocus || atLeast(dI, cfg.attentionChange)) f |= PRIORITY_ATTENTION;
  if (Math.abs(cur.metacognitionLevel - prev.metacognitionLevel) >= cfg.metacognitionChange) f |= PRIORITY_METACOGNITION;
  return f;
}

/** Number of criteria met: 0 (routine) to 4. */
export function priorityClass(flags: number): number {
  let c = 0;
  for (let f = flags & 15; f; f &= f - 1) c++;
  return c;
}
