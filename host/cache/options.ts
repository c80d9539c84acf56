/**
 * Options of {@link IntelligentCache}, as zod schemas; the TypeScript types are inferred from
 * them (the function-valued options get their precise generic types on top).
 */
import { z } from 'zod';
import { CacheOptionsError, formatIssues } from './errors.js';
import { POLICY_NAMES, type EvictionPolicy } from './policies/policy.js';

/** Why an entry left the cache, as passed to `dispose` and counted in the statistics. */
export const DISPOSE_REASONS = ['evict', 'expire', 'delete', 'set', 'clear'] as const;
export type DisposeReason = (typeof DISPOSE_REASONS)[number];

const fraction = z.number().gt(0).lt(1);
const weight = z.number().min(0).max(1);

export const randomPolicySchema = z.strictObject({
  name: z.literal('random'),
  /** PRNG seed (uint32); a random one when absent. */
  seed: z.number().int().min(0).max(0xffffffff).optional(),
});

export const wtinylfuPolicySchema = z.strictObject({
  name: z.literal('wtinylfu'),
  windowFraction: fraction.default(0.01),
  protectedFraction: fraction.default(0.8),
});

export const hybridPolicySchema = z.strictObject({
  name: z.literal('hybrid'),
  /**
   * Weights of the three normalised components (each 0..1) in the score; they need not sum
   * to 1 (only ratios matter), but not all may be 0.
   */
  weights: z
    .strictObject({ age: weight.default(0.95), frequency: weight.default(0.05), utility: weight.default(0) })
    .refine((w) => w.age + w.frequency + w.utility > 0, { message: 'at least one weight must be > 0' })
    .default({ age: 0.95, frequency: 0.05, utility: 0 }),
  /**
   * Accesses over which the age component falls from 1 to 0; default: the cache's entry
   * bound (or its slot capacity when only bytes bound it).
   */
  ageHorizon: z.number().int().positive().optional(),
  /** TinyLFU admission in front of the scored region (see docs/caches.md); default true. */
  admission: z.boolean().default(true),
  /** Adapt the window share to the best of miniature simulations; default true. */
  adaptive: z.boolean().default(true),
  /** Initial share of the capacity for the admission window; default 0.01. */
  windowFraction: z.number().min(0).max(1).default(0.01),
  /** Share of the main region that is protected; default 0.8. */
  protectedFraction: fraction.default(0.8),
});

export const simplePolicySchema = z.strictObject({ name: z.enum(['lru', 'lfu', 'utility']) });

export const policyConfigSchema = z.discriminatedUnion('name', [
  simplePolicySchema,
  randomPolicySchema,
  wtinylfuPolicySchema,
  hybridPolicySchema,
]);
export type PolicyConfig = z.output<typeof policyConfigSchema>;
export type PolicyConfigInput = z.input<typeof policyConfigSchema>;

const isPolicyObject = (v: unknown): v is EvictionPolicy =>
  typeof v === 'object' &&
  v !== null &&
  ['resize', 'insert', 'touch', 'setUtility', 'remove', 'victim', 'clear'].every(
    (m) => typeof (v as Record<string, unknown>)[m] === 'function',
  );

const fn = <F>(what: string) =>
  z.custom<F>((v) => typeof v === 'function', { message: `${what} must be a function` });

export const cacheOptionsSchema = z
  .strictObject({
    /** Shown in statistics and the memory manager's reports. */
    name: z.string().min(1).max(200).default('cache'),
    /** Most entries held; at least one of maxEntries and maxBytes is required. */
    maxEntries: z.number().int().positive().max(2 ** 30).optional(),
    /** Most bytes held, as measured by `sizeOf`. */
    maxBytes: z.number().positive().optional(),
    /** A name (defaults of that policy), a policy configuration, or an {@link EvictionPolicy} object. */
    policy: z
      .union([z.enum(POLICY_NAMES), policyConfigSchema, z.custom<EvictionPolicy>(isPolicyObject, { message: 'not an EvictionPolicy' })])
      .default('lru'),
    /** Default time to live of an entry, in ms of `now()`; 0 = none. */
    ttl: z.number().min(0).finite().default(0),
    sizeOf: fn<(value: unknown, key: unknown) => number>('sizeOf').optional(),
    utility: fn<(key: unknown, value: unknown) => number>('utility').optional(),
    dispose: fn<(value: unknown, key: unknown, reason: DisposeReason) => void>('dispose').optional(),
    /** Clock for TTLs, in ms; default performance.now. */
    now: fn<() => number>('now').optional(),
  })
  .refine((o) => o.maxEntries !== undefined || o.maxBytes !== undefined, {
    message: 'give maxEntries, maxBytes or both',
  });

type DataOptions = Omit<z.input<typeof cacheOptionsSchema>, 'sizeOf' | 'utility' | 'dispose' | 'now'>;

/** Options of `new IntelligentCache<K, V>(options)`. */
export interface CacheOptions<K, V> extends DataOptions {
  /** Bytes of an entry (a finite number ≥ 0); default: {@link defaultEntrySize} of key and value. */
  sizeOf?: (value: V, key: K) => number;
  /** Utility of a new or overwritten entry (finite; higher = keep longer); default 0. */
  utility?: (key: K, value: V) => number;
  /** Called after an entry left, with why. Errors are rethrown once the operation is complete. */
  dispose?: (value: V, key: K, reason: DisposeReason) => void;
  now?: () => number;
}

export type ParsedCacheOptions = z.output<typeof cacheOptionsSchema>;

export function parseCacheOptions(options: unknown): ParsedCacheOptions {
  const r = cacheOptionsSchema.safeParse(options);
  if (!r.success) throw new CacheOptionsError('cache options', formatIssues(r.error.issues));
  return r.data;
}

/** Per-call options of set(). Checked by hand on the hot path (same rules as the schema would). */
export interface SetOptions {
  /** TTL of this entry in ms (0 = none); default: the cache's ttl. */
  readonly ttl?: number;
  /** Size in bytes, instead of calling sizeOf. */
  readonly size?: number;
  /** Utility, instead of calling the utility function. */
  readonly utility?: number;
}
