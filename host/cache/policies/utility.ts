import { IndexedHeap } from '../indexedHeap.js';
import type { EvictionPolicy } from './policy.js';

/**
 * Utility-based: the caller says what each entry is worth (a finite number, higher = keep);
 * the victim is the entry of lowest utility, and among equal utilities the least recently
 * used (a logical clock is the heap's tie-break). An indexed binary heap: insert, touch,
 * setUtility and remove O(log n), victim O(1).
 */
export class UtilityPolicy implements EvictionPolicy {
  readonly name = 'utility' as const;
  readonly needsHash = false;
  readonly usesUtility = true;
  readonly #heap = new IndexedHeap(0);
  #clock = 0;

  resize(capacity: number): void {
    this.#heap.resize(capacity);
  }

  insert(slot: number, _hash: number, utility: number): void {
    this.#heap.set(slot, utility, ++this.#clock);
  }

  touch(slot: number): void {
    this.#heap.set(slot, this.#heap.key(slot), ++this.#clock);
  }

  setUtility(slot: number, utility: number): void {
    // A new utility is not a use: the recency tie-break stays.
    this.#heap.set(slot, utility, this.#heap.tie(slot));
  }

  remove(slot: number): void {
    this.#heap.delete(slot);
  }

  victim(): number {
    return this.#heap.peek();
  }

  clear(): void {
    this.#heap.clear();
  }
}
