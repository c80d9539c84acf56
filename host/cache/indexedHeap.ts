import { growFloat64, growInt32 } from './slots.js';

/**
 * A binary min-heap of slots with an index (slot → heap position), so any slot's key can be
 * changed or the slot removed in O(log n); peek is O(1). Keys are doubles; ties break on a
 * second double (the utility policy uses a logical time there, so equal utilities evict the
 * least recently used first).
 */
export class IndexedHeap {
  /** Heap order: heap[0] is the minimum. */
  #heap: Int32Array<ArrayBuffer>;
  /** Position of each slot in #heap, or -1. */
  #pos: Int32Array<ArrayBuffer>;
  #key: Float64Array<ArrayBuffer>;
  #tie: Float64Array<ArrayBuffer>;
  #size = 0;

  constructor(capacity: number) {
    this.#heap = new Int32Array(capacity);
    this.#pos = new Int32Array(capacity).fill(-1);
    this.#key = new Float64Array(capacity);
    this.#tie = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  resize(capacity: number): void {
    this.#heap = growInt32(this.#heap, capacity);
    this.#pos = growInt32(this.#pos, capacity, -1);
    this.#key = growFloat64(this.#key, capacity);
    this.#tie = growFloat64(this.#tie, capacity);
  }

  has(slot: number): boolean {
    return this.#pos[slot]! >= 0;
  }

  key(slot: number): number {
    return this.#key[slot]!;
  }

  tie(slot: number): number {
    return this.#tie[slot]!;
  }

  /** The slot with the smallest (key, tie), or -1 when empty. */
  peek(): number {
    return this.#size > 0 ? this.#heap[0]! : -1;
  }

  /** Inserts `slot`, or re-keys it when present. */
  set(slot: number, key: number, tie: number): void {
    const i = this.#pos[slot]!;
    if (i < 0) {
      this.#key[slot] = key;
      this.#tie[slot] = tie;
      const at = this.#size++;
      this.#heap[at] = slot;
      this.#pos[slot] = at;
      this.#up(at);
      return;
    }
    const k = this.#key[slot]!;
    const t = this.#tie[slot]!;
    this.#key[slot] = key;
    this.#tie[slot] = tie;
    if (key < k || (key === k && tie < t)) this.#up(i);
    else this.#down(i);
  }

  /** Removes `slot` if present. */
  delete(slot: number): void {
    const i = this.#pos[slot]!;
    if (i < 0) return;
    this.#pos[slot] = -1;
    const last = --this.#size;
    if (i === last) return;
    const moved = this.#heap[last]!;
    this.#heap[i] = moved;
    this.#pos[moved] = i;
    this.#down(i);
    if (this.#heap[i] === moved) this.#up(i);
  }

  /**
   * Re-keys every slot by `key(slot)` and restores heap order bottom-up (Floyd): O(n).
   * For keys that all change at once, e.g. after a frequency sketch halved its counters.
   */
  rekeyAll(key: (slot: number) => number): void {
    for (let i = 0; i < this.#size; i++) {
      const s = this.#heap[i]!;
      this.#key[s] = key(s);
    }
    for (let i = (this.#size >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  clear(): void {
    for (let i = 0; i < this.#size; i++) this.#pos[this.#heap[i]!] = -1;
    this.#size = 0;
  }

  #less(a: number, b: number): boolean {
    const ka = this.#key[a]!;
    const kb = this.#key[b]!;
    return ka < kb || (ka === kb && this.#tie[a]! < this.#tie[b]!);
  }

  #up(i: number): void {
    const heap = this.#heap;
    const slot = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.#less(slot, p)) break;
      heap[i] = p;
      this.#pos[p] = i;
      i = parent;
    }
    heap[i] = slot;
    this.#pos[slot] = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = this.#size;
    const slot = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && this.#less(heap[right]!, heap[child]!)) child = right;
      const c = heap[child]!;
      if (!this.#less(c, slot)) break;
      heap[i] = c;
      this.#pos[c] = i;
      i = child;
    }
    heap[i] = slot;
    this.#pos[slot] = i;
  }
}
