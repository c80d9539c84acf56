/**
 * Time as the link client sees it. Real transports use the wall clock; the in-process
 * model link uses a virtual clock that jumps to the next timer whenever the line is quiet,
 * so thousands of timeouts under fault injection cost no real time.
 */

export type TimerId = number;

export interface Clock {
  now(): number;
  setTimer(ms: number, callback: () => void): TimerId;
  clearTimer(id: TimerId): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, callback) {
    const t = setTimeout(callback, ms);
    t.unref?.();
    return Number(t[Symbol.toPrimitive]());
  },
  clearTimer(id) {
    clearTimeout(id);
  },
};

/** Fires timers in order of due time, but only once `busy()` reports that nothing is in flight. */
export class VirtualClock implements Clock {
  #now = 0;
  #nextId = 1;
  #scheduled = false;
  readonly #timers = new Map<TimerId, { at: number; callback: () => void }>();

  constructor(private readonly busy: () => boolean) {}

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, callback: () => void): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, callback });
    this.kick();
    return id;
  }

  clearTimer(id: TimerId): void {
    this.#timers.delete(id);
  }

  /** Checks, after pending I/O and promise callbacks, whether time may advance. */
  kick(): void {
    if (this.#scheduled || this.#timers.size === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.busy()) return; // the transport kicks again when it goes quiet
      let next: [TimerId, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) if (!next || entry[1].at < next[1].at) next = entry;
      if (!next) return;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].at);
      next[1].callback();
      this.kick();
    });
  }
}
