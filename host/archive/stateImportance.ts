/**
 * Importance of a consciousness state, in [0, 1], from four criteria:
 *
 *   importance = w_phi·φ̂ + w_emotion·ê + w_duration·d̂ + w_access·â      (weights normalised to sum 1)
 *   φ̂ = min(1, phi / phiScale)
 *   ê = emotional intensity: emotionalState.intensity when it is a number in [0, 1], otherwise
 *       √(valence² + arousal²)/√2 from emotionalState.valence/arousal (clamped to [0, 1]), else 0
 *   d̂ = 1 − exp(−duration / durationScaleMs), duration = how long the state was current (until
 *       the next version was created; for the latest version, until now)
 *   â = 1 − exp(−accesses / accessScale), accesses = reads of this version since it was saved
 *
 * Defaults: weights 0.35 / 0.25 / 0.2 / 0.2, phiScale 1, durationScaleMs 60 000, accessScale 5.
 */
import { z } from 'zod';

export const importanceConfigSchema = z
  .object({
    weights: z
      .object({
        phi: z.number().min(0).finite().default(0.35),
        emotion: z.number().min(0).finite().default(0.25),
        duration: z.number().min(0).finite().default(0.2),
        access: z.number().min(0).finite().default(0.2),
      })
      .strict()
      .default({ phi: 0.35, emotion: 0.25, duration: 0.2, access: 0.2 })
      .refine((w) => w.phi + w.emotion + w.duration + w.access > 0, { message: 'at least one weight must be positive' }),
    phiScale: z.number().positive().finite().default(1),
    durationScaleMs: z.number().positive().finite().default(60_000),
    accessScale: z.number().positive().finite().default(5),
  })
  .strict();
export type ImportanceConfig = z.output<typeof importanceConfigSchema>;

/** Emotional intensity in [0, 1] read from an emotional-state JSON value. */
export function emotionalIntensity(emotionalState: unknown): number {
  if (!emotionalState || typeof emotionalState !== 'object' || Array.isArray(emotionalState)) return 0;
  const e = emotionalState as Record<string, unknown>;
  const clamp = (x: number) => Math.max(0, Math.min(1, x));
  if (typeof e.intensity === 'number' && Number.isFinite(e.intensity)) return clamp(e.intensity);
  const v = typeof e.valence === 'number' && Number.isFinite(e.valence) ? e.valence : 0;
  const a = typeof e.arousal === 'number' && Number.isFinite(e.arousal) ? e.arousal : 0;
  return clamp(Math.hypot(v, a) / Math.SQRT2);
}

export interface ImportanceInputs {
  readonly phi: number;
  readonly intensity: number;
  readonly durationMs: number;
  readonly accesses: number;
}

export function stateImportance(x: ImportanceInputs, cfg: ImportanceConfig): number {
  const w = cfg.weights;
  const sum = w.phi + w.emotion + w.duration + w.access;
  const phi = Math.min(1, Math.max(0, x.phi / cfg.phiScale));
  const dur = 1 - Math.exp(-Math.max(0, x.durationMs) / cfg.durationScaleMs);
  const acc = 1 - Math.exp(-Math.max(0, x.accesses) / cfg.accessScale);
  return (w.phi * phi + w.emotion * x.intensity + w.duration * dur + w.access * acc) / sum;
}
