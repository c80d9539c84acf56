/**
 * Hardware parameters of the working-memory core: one zod schema, used by the Verilog
 * generator, the reference model, the simulator launcher and the host's INFO check.
 */
import { z } from 'zod';
import { DEFAULT_WEIGHTS, weightsSchema } from './salience.js';

/** Window ids are u16: slot in the low bits, generation above. 15 slots keep 0xFFFF free for "all". */
export const SLOT_BITS = 4;
export const GENERATION_BITS = 12;
export const MAX_SLOTS = (1 << SLOT_BITS) - 1;
/** Insertion stamps: 40 bits never wrap in practice (≈ 2.5 years of back-to-back stores at 3 Mbaud). */
export const STAMP_BITS = 40;
/** Largest number of records in one RECALL or DECAY response. */
export const MAX_PAGE = 15;
/** Largest content-store capacity the generator accepts (address width ≤ 12). */
export const MAX_CAPACITY = 4096;
/**
 * How the salience scorer is built. Same results, different hardware:
 * - parallel: five 8×8 products and an adder tree, one clock (DSP blocks on UltraPlus parts);
 * - serial: one 16-bit adder, 40 clocks per OPEN / STORE (for parts without DSPs, like the HX1K).
 */
export const SCORERS = ['parallel', 'serial'] as const;
export type Scorer = (typeof SCORERS)[number];

const positiveInt = z.number().int().positive();

export const coreConfigSchema = z
  .object({
    /** Most windows open at once (Miller's 7 ± 2 → 9). */
    maxWindows: z.number().int().min(1).max(MAX_SLOTS).default(9),
    /** Windows open at reset, and the fewest that may stay open. */
    minWindows: z.number().int().min(1).max(MAX_SLOTS).default(3),
    /** Items the content store holds across all windows. */
    capacity: positiveInt.max(MAX_CAPACITY).default(64),
    /** Items one window may hold before its lowest-salience item is evicted. */
    quota: positiveInt.default(16),
    /** Reset weights of the salience scorer (settable at run time). */
    weights: weightsSchema.default([...DEFAULT_WEIGHTS]),
    /** Clock of the core in Hz. */
    clockHz: positiveInt.default(12_000_000),
    /** UART line rate. */
    baud: positiveInt.default(115_200),
    /** Scorer hardware (see SCORERS); results are identical, only size and latency differ. */
    scorer: z.enum(SCORERS).default('parallel'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.minWindows > c.maxWindows) {
      ctx.addIssue({
        code: 'custom',
        path: ['minWindows'],
        message: `minWindows (${c.minWindows}) must not exceed maxWindows (${c.maxWindows})`,
      });
    }
    if (c.quota > c.capacity) {
      ctx.addIssue({
        code: 'custom',
        path: ['quota'],
        message: `quota (${c.quota}) must not exceed capacity (${c.capacity})`,
      });
    }
  });

export type CoreConfigInput = z.input<typeof coreConfigSchema>;
export type CoreConfig = z.output<typeof coreConfigSchema>;

/** Thrown for a config that the generator or the model refuses; names every offending field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(`invalid janela config: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  }
}

/** Validates a config; throws ConfigError naming each bad field. */
export function parseCoreConfig(input: unknown): CoreConfig {
  const r = coreConfigSchema.safeParse(input ?? {});
  if (!r.success) {
    throw new ConfigError(r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
  }
  return r.data;
}

/** Bits needed to address `n` entries (at least 1). */
export function addressBits(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n)));
}

/** Bits of a counter that must hold 0..n inclusive. */
export function countBits(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n + 1)));
}

export function windowId(slot: number, generation: number): number {
  return ((generation & ((1 << GENERATION_BITS) - 1)) << SLOT_BITS) | slot;
}

export function windowSlot(id: number): number {
  return id & ((1 << SLOT_BITS) - 1);
}

export function windowGeneration(id: number): number {
  return id >>> SLOT_BITS;
}

/** RECALL's window field for "every open window". */
export const ALL_WINDOWS = 0xffff;
