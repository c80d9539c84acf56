/**
 * The token-count cache behind the counter: a tiny interface so the store can be swapped
 * (the project's IntelligentCache, an LRU, nothing) with a one-line change in tokens.ts.
 * Keys are content hashes (see `contentKey`), values token counts.
 */
import { createHash } from 'node:crypto';

export interface TokenCountCache {
  get(key: string): number | undefined;
  set(key: string, value: number): void;
}

/** `encoding:sha256(text)` in base64url: the same text under the same encoding always has the same key. */
export function contentKey(encoding: string, text: string): string {
  return `${encoding}:${createHash('sha256').update(text).digest('base64url')}`;
}

/** A bounded least-recently-used map: a Map's insertion order is the recency order. */
export class LruTokenCountCache implements TokenCountCache {
  readonly #map = new Map<string, number>();
  constructor(readonly capacity = 50_000) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`cache capacity must be a positive integer, got ${capacity}`);
  }

  get(key: string): number | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: string, value: number): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.capacity) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#map.size;
  }
}
