/**
 * Folding: messages that leave a window for good are handed, in batches, to the
 * conversation tiers' history-context summary instead of being dropped.
 *
 * The context layer does not import the tiers. It needs only this callback; the tiers
 * (host/tiers/) wire it as `fold: (messages, info) => tiers.history.fold(info.sessionId, messages)`
 * or whatever their summary entry point is. Delivery is asynchronous and serial: windows
 * update synchronously, batches queue in order and are delivered one at a time; a failing
 * batch stays at the head of the queue and is retried on the next append or `flush()`.
 */
import { FoldError, MemoryOverflowError } from './errors.js';
import type { Message } from './messages.js';

export interface FoldedMessage {
  /** Position of the message in its session's conversation. */
  readonly seq: number;
  /** The message as it was appended (whole, even when the window showed a truncated copy). */
  readonly message: Message;
}

export type FoldReason = 'slid' | 'expired' | 'closed';

export interface FoldInfo {
  readonly sessionId: string;
  readonly reason: FoldReason;
}

/** Receives what left a window; resolves once the summary has taken it in. */
export type FoldFn = (messages: readonly FoldedMessage[], info: FoldInfo) => Promise<void>;

interface Batch {
  readonly messages: readonly FoldedMessage[];
  readonly info: FoldInfo;
}

export class FoldQueue {
  readonly #fold: FoldFn | undefined;
  readonly #batches: Batch[] = [];
  #head = 0;
  #pendingMessages = 0;
  #draining: Promise<void> | undefined;
  #lastError: unknown;
  #delivered = 0;

  constructor(
    fold: FoldFn | undefined,
    readonly maxPendingMessages: number,
  ) {
    this.#fold = fold;
  }

  get pendingMessages(): number {
    return this.#pendingMessages;
  }

  get deliveredMessages(): number {
    return this.#delivered;
  }

  /** Throws MemoryOverflowError when the sink has fallen too far behind (checked before a window changes). */
  checkRoom(): void {
    if (this.#pendingMessages >= this.maxPendingMessages) {
      throw new MemoryOverflowError(
        `${this.#pendingMessages} folded messages wait for the history summary (limit ${this.maxPendingMessages}); ${this.#lastError ? `last error: ${String((this.#lastError as Error).message ?? this.#lastError)}` : 'the sink is slow'}`,
        this.maxPendingMessages,
        this.#pendingMessages,
      );
    }
  }

  enqueue(messages: readonly FoldedMessage[], info: FoldInfo): void {
    if (messages.length === 0) return;
    if (!this.#fold) {
      this.#delivered += messages.length; // no sink wired: nothing to keep
      return;
    }
    this.#batches.push({ messages, info });
    this.#pendingMessages += messages.length;
    this.#kick();
  }

  /** Resolves when every queued batch is delivered; rejects with FoldError when the head batch fails. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#head >= this.#batches.length) return;
      this.#kick();
      await this.#draining;
      if (this.#lastError !== undefined && this.#head < this.#batches.length) {
        throw new FoldError(this.#batches.length - this.#head, this.#lastError);
      }
    }
  }

  #kick(): void {
    if (this.#draining) return;
    this.#lastError = undefined;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
    });
  }

  async #drain(): Promise<void> {
    const fold = this.#fold as FoldFn;
    while (this.#head < this.#batches.length) {
      const b = this.#batches[this.#head] as Batch;
      try {
        await fold(b.messages, b.info);
      } catch (err) {
        this.#lastError = err ?? new Error('fold rejected');
        return; // keep the batch; retried on the next enqueue or flush
      }
      this.#batches[this.#head] = undefined as unknown as Batch;
      this.#head++;
      this.#pendingMessages -= b.messages.length;
      this.#delivered += b.messages.length;
      if (this.#head > 1024 && this.#head * 2 > this.#batches.length) {
        this.#batches.splice(0, this.#head);
        this.#head = 0;
      }
    }
  }
}
