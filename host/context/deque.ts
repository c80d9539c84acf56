/** A growable ring buffer: O(1) push at the back, shift at the front and indexed reads. */
export class Deque<T> {
  #buf: (T | undefined)[];
  #head = 0;
  #len = 0;

  constructor(initialCapacity = 16) {
    this.#buf = new Array<T | undefined>(Math.max(2, initialCapacity));
  }

  get length(): number {
    return this.#len;
  }

  push(v: T): void {
    if (this.#len === this.#buf.length) this.#grow();
    this.#buf[(this.#head + this.#len) % this.#buf.length] = v;
    this.#len++;
  }

  shift(): T | undefined {
    if (this.#len === 0) return undefined;
    const v = this.#buf[this.#head];
    this.#buf[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#buf.length;
    this.#len--;
    return v;
  }

  /** Element `i` from the front (0 = oldest); undefined out of range. */
  at(i: number): T | undefined {
    if (i < 0 || i >= this.#len) return undefined;
    return this.#buf[(this.#head + i) % this.#buf.length];
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#len; i++) yield this.#buf[(this.#head + i) % this.#buf.length] as T;
  }

  toArray(): T[] {
    return [...this];
  }

  #grow(): void {
    const next = new Array<T | undefined>(this.#buf.length * 2);
    for (let i = 0; i < this.#len; i++) next[i] = this.#buf[(this.#head + i) % this.#buf.length];
    this.#buf = next;
    this.#head = 0;
  }
}
