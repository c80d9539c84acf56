import { NIL } from '../linkedSlots.js';
import { growInt32 } from '../slots.js';
import type { EvictionPolicy } from './policy.js';

/**
 * Least recently used: one intrusive doubly-linked list over slots (typed arrays), most recent
 * at the tail; the victim is the head. Every operation O(1), no allocation. Written out rather
 * than built on LinkedSlots: a hit is the hottest path of the most common policy, and scalar
 * head/tail fields save typed-array loads there.
 */
export class LruPolicy implements EvictionPolicy {
  readonly name = 'lru' as const;
  readonly needsHash = false;
  readonly usesUtility = false;
  #next = new Int32Array(0);
  #prev = new Int32Array(0);
  #head = NIL;
  #tail = NIL;

  resize(capacity: number): void {
    this.#next = growInt32(this.#next, capacity, NIL);
    this.#prev = growInt32(this.#prev, capacity, NIL);
  }

  insert(slot: number): void {
    const tail = this.#tail;
    this.#prev[slot] = tail;
    this.#next[slot] = NIL;
    if (tail === NIL) this.#head = slot;
    else this.#next[tail] = slot;
    this.#tail = slot;
  }

  touch(slot: number): void {
    const tail = this.#tail;
    if (slot === tail) return;
    const next = this.#next;
    const prev = this.#prev;
    const p = prev[slot]!;
    const n = next[slot]!;
    if (p === NIL) this.#head = n;
    else next[p] = n;
    prev[n] = p;
    prev[slot] = tail;
    next[slot] = NIL;
    next[tail] = slot;
    this.#tail = slot;
  }

  setUtility(): void {}

  remove(slot: number): void {
    const p = this.#prev[slot]!;
    const n = this.#next[slot]!;
    if (p === NIL) this.#head = n;
    else this.#next[p] = n;
    if (n === NIL) this.#tail = p;
    else this.#prev[n] = p;
  }

  victim(): number {
    return this.#head;
  }

  clear(): void {
    this.#head = NIL;
    this.#tail = NIL;
  }
}
