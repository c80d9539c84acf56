/**
 * Importance of an emotion history entry, in [0, 1]:
 *
 *   importance = w_intensity · intensity + w_change · change        (weights normalised to sum 1)
 *   intensity  = the given intensity, or √(valence² + arousal²)/√2 clamped to [0, 1]
 *   change     = √(Δvalence² + Δarousal²)/√5 against the previous entry (√5 is the diameter of
 *                the valence × arousal space [−1, 1] × [0, 1]); 0 for the first entry
 *
 * Defaults: w_intensity 0.6, w_change 0.4. Strong emotions and sudden changes are kept longest.
 */
import { z } from 'zod';

export const emotionImportanceSchema = z
  .object({
    intensity: z.number().min(0).finite().default(0.6),
    change: z.number().min(0).finite().default(0.4),
  })
  .strict()
  .refine((w) => w.intensity + w.change > 0, { message: 'at least one weight must be positive' });
export type EmotionImportanceWeights = z.output<typeof emotionImportanceSchema>;

export function defaultIntensity(valence: number, arousal: number): number {
  return Math.max(0, Math.min(1, Math.hypot(valence, arousal) / Math.SQRT2));
}

export function emotionImportance(
  cur: { valence: number; arousal: number; intensity: number },
  prev: { valence: number; arousal: number } | undefined,
  w: EmotionImportanceWeights,
): number {
  const change = prev ? Math.min(1, Math.hypot(cur.valence - prev.valence, cur.arousal - prev.arousal) / Math.sqrt(5)) : 0;
  return (w.intensity * cur.intensity + w.change * change) / (w.intensity + w.change);
}
