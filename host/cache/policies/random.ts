import { Mulberry32 } from '../../util/random.js';
import { growInt32 } from '../slots.js';
import type { EvictionPolicy } from './policy.js';

/**
 * Uniformly random eviction: resident slots in a dense array plus an index (slot → position);
 * the victim is a uniformly drawn element, removal swaps the last element into the hole.
 * O(1) everything; seedable so tests and benchmarks are reproducible.
 */
export class RandomPolicy implements EvictionPolicy {
  readonly name = 'random' as const;
  readonly needsHash = false;
  readonly usesUtility = false;
  #dense = new Int32Array(0);
  #pos = new Int32Array(0);
  #size = 0;
  readonly #rng: Mulberry32;

  constructor(seed: number) {
    this.#rng = new Mulberry32(seed);
  }

  resize(capacity: number): void {
    this.#dense = growInt32(this.#dense, capacity);
    this.#pos = growInt32(this.#pos, capacity);
  }

  insert(slot: number): void {
    this.#pos[slot] = this.#size;
    this.#dense[this.#size++] = slot;
  }

  touch(): void {}

  setUtility(): void {}

  remove(slot: number): void {
    const i = this.#pos[slot]!;
    const last = this.#dense[--this.#size]!;
    this.#dense[i] = last;
    this.#pos[last] = i;
  }

  victim(): number {
    return this.#dense[this.#rng.below(this.#size)]!;
  }

  clear(): void {
    this.#size = 0;
  }
}
