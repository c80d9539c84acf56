/**
 * The group commit shared by the account stores: append() calls wait in `waiting`, and one
 * flusher at a time drains them, so appends that arrive during a commit share the next one.
 * How many waiting calls a round takes, and how it commits them, is the store's `flush`.
 */
import type { PendingMessage } from '../tiers/message.js';
import type { AppendOutcome } from './types.js';

/** One append() call waiting for the flusher. */
export interface PendingAppend {
  readonly batch: readonly PendingMessage[];
  readonly resolve: (o: AppendOutcome[]) => void;
  readonly reject: (e: unknown) => void;
}

export class AppendQueue {
  readonly waiting: PendingAppend[] = [];
  readonly #flush: () => Promise<void>;
  #flushing: Promise<void> | undefined;

  /** `flush` runs until `waiting` is empty, settling every call it takes. */
  constructor(flush: () => Promise<void>) {
    this.#flush = flush;
  }

  /** Queues a validated batch; settles once a flush has committed (or refused) it. */
  push(batch: readonly PendingMessage[]): Promise<AppendOutcome[]> {
    return new Promise<AppendOutcome[]>((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject });
      this.#kick();
    });
  }

  /** Resolves once no flush runs: close() waits here for the appends already accepted. */
  async idle(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  /** Starts the flusher unless it runs; it re-checks the queue after it stops, so no call is stranded. */
  #kick(): void {
    if (this.#flushing) return;
    this.#flushing = (async () => {
      try {
        await this.#flush();
      } finally {
        this.#flushing = undefined;
        if (this.waiting.length > 0) this.#kick();
      }
    })();
  }
}
