/**
 * Caches of the memory: IntelligentCaches (host/cache) registered with the one MemoryManager,
 * whose entries carry what the importance scorer needs. Each entry is boxed with its salience
 * (the caller's importance, default 0.5), last access and hit count; the cache's own policy is
 * the hybrid one weighted with the scorer's weights (utility = salience), and the unified
 * cleanup ranks its entries with the scorer alongside everything else.
 */
import { z } from 'zod';
import { IntelligentCache, type CacheStats } from '../cache/cache.js';
import type { MemoryManager } from '../cache/manager.js';
import { defaultEntrySize } from '../cache/sizeof.js';
import type { ReclaimCandidate, Reclaimable } from './cleanup.js';
import { parseInput } from './errors.js';
import type { ImportanceScorer } from './importance.js';

interface Box<V> {
  readonly v: V;
  readonly s: number;
  last: number;
  hits: number;
}

const BOX_BYTES = 48;

export const memoryCacheOptionsSchema = z
  .object({
    /** Most entries; at least one of maxEntries and maxBytes is needed. */
    maxEntries: z.number().int().positive().max(2 ** 30).optional(),
    maxBytes: z.number().int().positive().optional(),
    /** Default time to live in ms; 0 = none. */
    ttl: z.number().min(0).finite().default(0),
    /** Under the memory manager's own budget cleanups, higher priority is kept longer. */
    priority: z.number().finite().default(0),
    /** Salience (0..1) of entries set without an importance. */
    importance: z.number().min(0).max(1).default(0.5),
    /** Bytes of an entry; default an estimate of key and value. */
    sizeOf: z.custom<(value: unknown, key: unknown) => number>((v) => typeof v === 'function', 'sizeOf must be a function').optional(),
  })
  .strict()
  .refine((o) => o.maxEntries !== undefined || o.maxBytes !== undefined, { message: 'give maxEntries, maxBytes or both' });

export interface MemoryCacheOptions<K, V> {
  maxEntries?: number;
  maxBytes?: number;
  ttl?: number;
  priority?: number;
  importance?: number;
  sizeOf?: (value: V, key: K) => number;
}

export const cacheSetOptionsSchema = z
  .object({
    /** Salience of this entry, 0..1 (default: the cache's). */
    importance: z.number().min(0).max(1).optional(),
    ttl: z.number().min(0).finite().optional(),
    size: z.number().min(0).finite().optional(),
  })
  .strict();
export type CacheSetOptions = z.input<typeof cacheSetOptionsSchema>;

export class MemoryCache<K, V> {
  readonly name: string;
  readonly #inner: IntelligentCache<K, Box<V>>;
  readonly #scorer: ImportanceScorer;
  readonly #importance: number;

  /** @internal memory.cache() builds caches. */
  constructor(name: string, options: MemoryCacheOptions<K, V>, scorer: ImportanceScorer) {
    const o = parseInput(`cache '${name}' options`, memoryCacheOptionsSchema, options);
    this.name = name;
    this.#scorer = scorer;
    this.#importance = o.importance;
    const sizeOf = options.sizeOf;
    this.#inner = new IntelligentCache<K, Box<V>>({
      name,
      ...(o.maxEntries !== undefined && { maxEntries: o.maxEntries }),
      ...(o.maxBytes !== undefined && { maxBytes: o.maxBytes }),
      ttl: o.ttl,
      policy: { name: 'hybrid', weights: scorer.cacheWeights() },
      utility: (_k, box) => box.s,
      sizeOf: sizeOf ? (box, k) => sizeOf(box.v, k) + BOX_BYTES : (box, k) => defaultEntrySize(box.v, k) + BOX_BYTES,
    });
  }

  /** @internal The IntelligentCache underneath (registered with the memory manager). */
  get inner(): IntelligentCache<K, Box<V>> {
    return this.#inner;
  }

  get size(): number {
    return this.#inner.size;
  }

  get bytes(): number {
    return this.#inner.bytes;
  }

  /** The value (a hit counts as an access for the scorer), or undefined. */
  get(key: K): V | undefined {
    const box = this.#inner.get(key);
    if (box === undefined) return undefined;
    box.last = this.#scorer.now();
    box.hits++;
    return box.v;
  }

  peek(key: K): V | undefined {
    return this.#inner.peek(key)?.v;
  }

  has(key: K): boolean {
    return this.#inner.has(key);
  }

  /** Stores a value; bad options throw MemoryInputError (CacheInputError for a bad size) and change nothing. */
  set(key: K, value: V, options?: CacheSetOptions): this {
    const o = options === undefined ? undefined : parseInput(`cache '${this.name}' set`, cacheSetOptionsSchema, options);
    const old = this.#inner.peek(key);
    const s = o?.importance ?? old?.s ?? this.#importance;
    const box: Box<V> = { v: value, s, last: this.#scorer.now(), hits: old ? old.hits : 0 };
    this.#inner.set(key, box, {
      utility: s,
      ...(o?.ttl !== undefined && { ttl: o.ttl }),
      ...(o?.size !== undefined && { size: o.size + BOX_BYTES }),
    });
    return this;
  }

  delete(key: K): boolean {
    return this.#inner.delete(key);
  }

  clear(): void {
    this.#inner.clear();
  }

  /** The scorer's importance of an entry now, or undefined when absent. */
  importanceOf(key: K): number | undefined {
    const box = this.#inner.peek(key);
    return box === undefined ? undefined : this.#scorer.score({ salience: box.s, lastAccess: box.last, accesses: box.hits });
  }

  stats(): CacheStats {
    return this.#inner.stats();
  }

  /** @internal The cache as a component of the unified cleanup. */
  reclaimable(): Reclaimable {
    const inner = this.#inner;
    return {
      name: `cache:${this.name}`,
      kind: 'cache',
      bytes: () => inner.bytes,
      *candidates(): Iterable<ReclaimCandidate> {
        for (const [k, box] of inner.entries()) {
          yield {
            key: typeof k === 'string' ? k.slice(0, 80) : String(k),
            bytes: inner.sizeOf(k) ?? 0,
            salience: box.s,
            lastAccess: box.last,
            accesses: box.hits,
            free: () => {
              const b = inner.sizeOf(k) ?? 0;
              return inner.delete(k) ? b : 0;
            },
          };
        }
      },
    };
  }
}

/** Creates a cache and registers it with the manager and the cleaner. */
export function registerCache<K, V>(
  name: string,
  options: MemoryCacheOptions<K, V>,
  scorer: ImportanceScorer,
  manager: MemoryManager,
): MemoryCache<K, V> {
  const cache = new MemoryCache<K, V>(name, options, scorer);
  manager.register(cache.inner, { priority: options.priority ?? 0 });
  return cache;
}
