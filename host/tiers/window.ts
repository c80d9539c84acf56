/**
 * The tier movement rule, as a pure in-memory structure shared by every store.
 *
 * The tiers are a function of the whole history's order: short-term is the last
 * `shortTerm` messages, mid-term the `midTerm` messages before them (the most recent ones
 * that overflowed short-term). So a message moves to mid-term exactly when the
 * (shortTerm+1)-th message after it arrives, and leaves mid-term (it stays in the whole
 * history) when the (shortTerm+midTerm+1)-th does. Because the tiers follow from the history,
 * they can always be rebuilt from it after a crash, and pruning is never "forgotten".
 */
import type { TierShape } from './config.js';
import type { Message, PendingMessage } from './message.js';

export type Verdict = { readonly duplicate: true; readonly of: Message } | { readonly duplicate: false };

export class TierWindow {
  #recs: Message[];
  #lastSeq: number;
  #count: number;

  constructor(
    readonly shape: TierShape,
    tail: readonly Message[] = [],
    lastSeq = tail.at(-1)?.seq ?? 0,
    count = tail.length,
  ) {
    this.#recs = tail.slice(-this.capacity);
    this.#lastSeq = lastSeq;
    this.#count = count;
  }

  /** Messages kept in memory: short-term plus mid-term. */
  get capacity(): number {
    return this.shape.shortTerm + this.shape.midTerm;
  }
  get lastSeq(): number {
    return this.#lastSeq;
  }
  /** Messages in the whole history. */
  get count(): number {
    return this.#count;
  }

  /** The tail of the history this window holds (oldest first), at most shortTerm + midTerm. */
  tail(): Message[] {
    return this.#recs.slice(-this.capacity);
  }

  shortTerm(): Message[] {
    return this.#recs.slice(-this.shape.shortTerm);
  }

  midTerm(): Message[] {
    const end = Math.max(0, this.#recs.length - this.shape.shortTerm);
    return this.#recs.slice(Math.max(0, end - this.shape.midTerm), end);
  }

  /**
   * Whether `m` repeats a recent message: the same id among the messages held (an
   * idempotent retry), or the same role and content among the last `dedupMessages`
   * (within `dedupWithinMs` of its timestamp when that is set).
   */
  verdict(m: PendingMessage): Verdict {
    const recs = this.#recs;
    const lo = Math.max(0, recs.length - this.capacity);
    const dedupLo = Math.max(0, recs.length - this.shape.dedupMessages);
    for (let i = recs.length - 1; i >= lo; i--) {
      const r = recs[i]!;
      if (r.id === m.id) return { duplicate: true, of: r };
      if (
        i >= dedupLo &&
        r.hash === m.hash &&
        r.role === m.role &&
        r.content === m.content &&
        (this.shape.dedupWithinMs === 0 || Math.abs(m.timestamp - r.timestamp) <= this.shape.dedupWithinMs)
      ) {
        return { duplicate: true, of: r };
      }
    }
    return { duplicate: false };
  }

  /** Stores a new message with the next seq; returns it. */
  assign(m: PendingMessage): Message {
    const rec: Message = { seq: this.#lastSeq + 1, ...m };
    this.push(rec);
    return rec;
  }

  /** Adds a message that already has its seq (read back from the log, or written by another process). */
  push(rec: Message): void {
    this.#recs.push(rec);
    if (rec.seq > this.#lastSeq) this.#lastSeq = rec.seq;
    this.#count += 1;
    if (this.#recs.length >= 2 * this.capacity + 64) this.#recs = this.#recs.slice(-this.capacity);
  }

  /** A copy to roll back to when a write fails. */
  checkpoint(): { recs: Message[]; lastSeq: number; count: number } {
    return { recs: this.#recs.slice(-this.capacity), lastSeq: this.#lastSeq, count: this.#count };
  }

  restore(c: { recs: Message[]; lastSeq: number; count: number }): void {
    this.#recs = c.recs.slice();
    this.#lastSeq = c.lastSeq;
    this.#count = c.count;
  }
}
