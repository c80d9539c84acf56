import { growInt32 } from './slots.js';

/** "No slot": the end of a list. */
export const NIL = -1;

/**
 * Intrusive doubly-linked lists over slot indices: `next`/`prev` are typed arrays indexed
 * by slot, so moving an entry allocates nothing. One instance holds several lists (W-TinyLFU's
 * window, probation and protected regions); a slot is in at most one list at a time.
 * Every operation is O(1). Head = least recently pushed (the eviction end), tail = most recent.
 */
export class LinkedSlots {
  next: Int32Array<ArrayBuffer>;
  prev: Int32Array<ArrayBuffer>;
  readonly heads: Int32Array;
  readonly tails: Int32Array;
  readonly lengths: Int32Array;

  constructor(lists: number, capacity: number) {
    this.next = new Int32Array(capacity).fill(NIL);
    this.prev = new Int32Array(capacity).fill(NIL);
    this.heads = new Int32Array(lists).fill(NIL);
    this.tails = new Int32Array(lists).fill(NIL);
    this.lengths = new Int32Array(lists);
  }

  resize(capacity: number): void {
    this.next = growInt32(this.next, capacity, NIL);
    this.prev = growInt32(this.prev, capacity, NIL);
  }

  /** Appends `slot` (in no list) at the tail of `list`. */
  push(list: number, slot: number): void {
    const tail = this.tails[list]!;
    this.prev[slot] = tail;
    this.next[slot] = NIL;
    if (tail === NIL) this.heads[list] = slot;
    else this.next[tail] = slot;
    this.tails[list] = slot;
    this.lengths[list]!++;
  }

  /** Unlinks `slot` from `list` (it must be in it). */
  remove(list: number, slot: number): void {
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p === NIL) this.heads[list] = n;
    else this.next[p] = n;
    if (n === NIL) this.tails[list] = p;
    else this.prev[n] = p;
    this.next[slot] = NIL;
    this.prev[slot] = NIL;
    this.lengths[list]!--;
  }

  /** Moves `slot` (in `list`) to the tail of `list`. */
  moveToTail(list: number, slot: number): void {
    const tail = this.tails[list]!;
    if (tail === slot) return;
    // Unlink (slot is not the tail, so it has a successor).
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p === NIL) this.heads[list] = n;
    else this.next[p] = n;
    this.prev[n] = p;
    // Relink at the tail.
    this.prev[slot] = tail;
    this.next[slot] = NIL;
    this.next[tail] = slot;
    this.tails[list] = slot;
  }

  /** Empties every list (slots' links are reset lazily by push). */
  clear(): void {
    this.heads.fill(NIL);
    this.tails.fill(NIL);
    this.lengths.fill(0);
  }
}
