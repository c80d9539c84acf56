/**
 * The memory's one config: a zod schema with a default for every field, loadable from a JSON
 * file. Sections reuse the schemas of the modules they configure (tiers, context tracker,
 * archives, session states, device targets, access grants), so a bad field is reported with
 * its full path before anything is opened. docs/memory.md lists every field.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { emotionManagerConfigSchema } from '../archive/emotionManager.js';
import { metricsStoreConfigSchema } from '../archive/metricsStore.js';
import { stateStoreConfigSchema } from '../archive/stateStore.js';
import { ENCODINGS, DEFAULT_ENCODING } from '../context/tokens.js';
import { contextTrackerConfigSchema } from '../context/tracker.js';
import { deviceTargetSchema } from '../device/open.js';
import { grantSchema, principalSchema } from '../protect/acl.js';
import { stateManagerConfigSchema } from '../session/stateManager.js';
import { tierConfigSchema } from '../tiers/config.js';
import { MemoryConfigError, toMemoryIssues } from './errors.js';
import { importanceConfigSchema } from './importance.js';

export const MiB = 1024 * 1024;

/**
 * Account ids of the memory: what both the tiers (file and Redis names) and access control
 * accept — lower-case letters, digits, '_' and '-', starting with a letter or digit, ≤ 48.
 */
export const memoryAccountIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, "account ids are 1–48 of lower-case letters, digits, '_' and '-', starting with a letter or digit");

/** Names of a context session within its account (the part after the first '.'). */
export const sessionNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,79}$/, 'session names are 1–79 of [A-Za-z0-9_.-]')
  .refine((s) => s !== '.' && s !== '..', 'a session name may not be . or ..');

/** Window labels within an account. */
export const windowLabelSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'window labels are 1–64 of [A-Za-z0-9_.:-]');

const storageSchema = z.discriminatedUnion('backend', [
  z
    .object({
      backend: z.literal('file'),
      /** Longest wait for another process's lock on an account. */
      lockTimeoutMs: z.number().int().positive().default(30_000),
      /** Tier snapshots trail the log by at most this under continuous appends. */
      snapshotLagMs: z.number().int().nonnegative().default(100),
    })
    .strict(),
  z
    .object({
      backend: z.literal('redis'),
      url: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
      /** Prefix of every key: lets several memories share a server. */
      prefix: z.string().regex(/^[A-Za-z0-9:_.-]{0,64}$/).default('janela:'),
    })
    .strict(),
]);

export const memoryConfigSchema = z
  .object({
    /**
     * Directory of everything kept in files: account tiers (file backend), archives and session
     * states (`blobs/`), the audit log. Relative paths in a config file are resolved against the
     * file's directory, relative paths given in code against the working directory.
     */
    dir: z.string().min(1).default('memory'),
    /** One storage backend for tiers, archives and session states: files (default) or Redis. */
    storage: storageSchema.prefault({ backend: 'file' }),
    /** The windows device: `{ model: true }` (default), `{ sim: true }` (Verilator) or `{ path }` (a board). */
    device: deviceTargetSchema.default({ model: true }),
    /** The host side of the link (host/device): per-attempt timeout, attempts before LinkTimeoutError, pipelining. */
    link: z
      .object({
        timeoutMs: z.number().positive().optional(),
        maxAttempts: z.number().int().positive().optional(),
        inFlight: z.number().int().min(1).max(4).optional(),
      })
      .strict()
      .prefault({}),
    windows: z
      .object({
        /** Windows one account may hold at once; its least important gives way beyond that. */
        perAccount: z.number().int().min(1).max(15).default(2),
        /** Label of the window `remember` uses when none is named. */
        defaultLabel: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/).default('main'),
        /** On a board (path): clear what an earlier host process left in its windows at open and close. */
        clearBoard: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Conversation tiers (host/tiers/config.ts). */
    tiers: tierConfigSchema.prefault({}),
    /** Context windows (host/context: maxContextLength, contextOverlap, expiryTime, reserveTokens, …). */
    context: contextTrackerConfigSchema.prefault({ reserveTokens: 512 }),
    tokens: z
      .object({
        encoding: z.enum(ENCODINGS).default(DEFAULT_ENCODING),
        /** Entries of the token-count cache. */
        cacheEntries: z.number().int().positive().default(50_000),
      })
      .strict()
      .prefault({}),
    caches: z
      .object({
        /** Byte budget of all caches under the memory manager; default a quarter of budget.maxBytes. */
        budgetBytes: z.number().int().positive().optional(),
        /** History-context summaries kept for prompt(), and for how long (ms) before re-reading. */
        historyContext: z
          .object({ maxEntries: z.number().int().positive().default(1000), ttlMs: z.number().int().min(0).default(2000) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    archives: z
      .object({
        metrics: metricsStoreConfigSchema.prefault({}),
        states: stateStoreConfigSchema.prefault({}),
        emotions: emotionManagerConfigSchema.prefault({}),
      })
      .strict()
      .prefault({}),
    /** Session states (host/session: maxStates, cleanupInterval, prefix). */
    session: stateManagerConfigSchema.prefault({}),
    importance: importanceConfigSchema.prefault({}),
    /** The one global memory threshold (see docs/memory.md, "Unified cleanup"). */
    budget: z
      .object({
        /** Bytes of caches, buffers and archives together; cleanup starts above it. */
        maxBytes: z.number().int().positive().default(256 * MiB),
        /** A cleanup frees down to maxBytes × targetRatio. */
        targetRatio: z.number().gt(0).max(1).default(0.8),
        /** Background check interval (unref'd timer); 0: only on use and memory.cleanup(). */
        checkIntervalMs: z.number().int().min(0).default(5000),
      })
      .strict()
      .prefault({}),
    access: z
      .object({
        /** The one principal this memory acts as. */
        principal: principalSchema.prefault({ id: 'agent', kind: 'agent' }),
        /**
         * Grants (host/protect). Absent: the principal is trusted with every account (a single
         * agent's own memory). Present (even empty): enforced; the archives need a grant on
         * `archiveAccount`.
         */
        grants: z.array(grantSchema).optional(),
        /** Audit log (`<dir>/audit.log`, hash-chained): nothing, denials only (default), or every decision. */
        audit: z.enum(['off', 'denials', 'all']).default('denials'),
        /** The resource the archives are guarded as (no conversation account can have this id). */
        archiveAccount: z.string().regex(/^_[A-Za-z0-9_-]{1,47}$/).default('_agent'),
      })
      .strict()
      .prefault({}),
    /** Redact sensitive data (host/protect default rules) from messages before they are stored. */
    redact: z.boolean().default(false),
  })
  .strict()
  .superRefine((c, ctx) => {
    const caches = c.caches.budgetBytes ?? Math.floor(c.budget.maxBytes / 4);
    const archives = c.archives.metrics.maxArchiveSize + c.archives.states.maxColdBytes + c.archives.emotions.maxArchivedBytes;
    if (caches + archives > c.budget.maxBytes) {
      ctx.addIssue({
        code: 'custom',
        path: ['budget', 'maxBytes'],
        message: `${c.budget.maxBytes} bytes cannot hold the cache budget (${caches}) plus the archives' caps (${archives}): raise it or lower those`,
      });
    }
  });

export type MemoryConfigInput = z.input<typeof memoryConfigSchema>;
export type MemoryConfig = z.output<typeof memoryConfigSchema>;

/** Validates a config; throws MemoryConfigError naming every bad field. */
export function parseMemoryConfig(input: unknown, file?: string): MemoryConfig {
  const r = memoryConfigSchema.safeParse(input ?? {});
  if (!r.success) throw new MemoryConfigError(toMemoryIssues(r.error.issues), file);
  return r.data;
}

/** The cache budget in effect. */
export function cacheBudget(c: MemoryConfig): number {
  return c.caches.budgetBytes ?? Math.floor(c.budget.maxBytes / 4);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** Keys whose values replace rather than merge: they are alternatives (a union), not settings. */
const REPLACED = new Set(['device', 'storage', 'grants']);

/** `over` deep-merged onto `base` (plain objects merge key by key; everything else replaces). */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = REPLACED.has(k) ? v : mergeConfig(base[k], v);
  }
  return out;
}

/**
 * Reads a JSON config file (validated; MemoryConfigError names the file and the fields). A
 * relative `dir` is resolved against the file's directory. Returns the raw (unparsed) input,
 * ready to be merged with options and parsed.
 */
export async function readConfigFile(path: string): Promise<MemoryConfigInput> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new MemoryConfigError([{ path: '', message: `cannot read the config file: ${(err as Error).message}` }], path);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MemoryConfigError([{ path: '', message: `not JSON: ${(err as Error).message}` }], path);
  }
  if (!isPlainObject(raw)) throw new MemoryConfigError([{ path: '', message: 'a config file holds one JSON object' }], path);
  parseMemoryConfig(raw, path); // report the file's own problems as the file's
  const dir = raw.dir;
  if (typeof dir === 'string' && !isAbsolute(dir)) raw.dir = resolve(dirname(path), dir);
  return raw as MemoryConfigInput;
}

/** Loads and validates a JSON config file (defaults filled in). */
export async function loadMemoryConfig(path: string): Promise<MemoryConfig> {
  return parseMemoryConfig(await readConfigFile(path), path);
}

/** A device named on a command line: 'sim', 'model', or a board's tty path. */
export function deviceFromArg(arg: string): z.input<typeof deviceTargetSchema> {
  if (arg === 'sim') return { sim: true };
  if (arg === 'model') return { model: true };
  if (arg.length === 0) throw new MemoryConfigError([{ path: 'device', message: "give 'sim', 'model' or a tty path" }]);
  return { path: arg };
}
