/**
 * One account's conversation memory: validated appends into the store, the four tiers as
 * reads, and the history-context triggers (short-term filled, manual, periodic, topic change).
 *
 * Context generation never blocks or fails an append: triggers queue a run on this account's
 * own serial queue; a failing summariser marks the history_context component "failing" (see
 * status()/health()) and the next trigger tries again. `idle()` waits for queued runs.
 */
import type { AccountStore, AppendOutcome, ComponentStatus, HealthEntry, HistoryQuery } from '../storage/types.js';
import type { TierConfig } from './config.js';
import type { HistoryContext, Trigger } from './context.js';
import type { ContextRun } from './contextBuilder.js';
import { ContextBuilder } from './contextBuilder.js';
import { ClosedError, InvalidMessageError } from './errors.js';
import type { Message, MessageInput, PendingMessage } from './message.js';
import { prepareMessage } from './message.js';
import type { Summariser } from './summariser.js';
import { TopicDetector } from './topic.js';
import { z } from 'zod';

export type AppendResult = AppendOutcome;

const historyQuerySchema = z
  .object({
    afterSeq: z.number().int().nonnegative().optional(),
    beforeSeq: z.number().int().positive().optional(),
    limit: z.number().int().positive(),
  })
  .strict()
  .refine((q) => q.afterSeq === undefined || q.beforeSeq === undefined, { message: 'give afterSeq or beforeSeq, not both' });

export interface AccountMemoryOptions {
  readonly config: TierConfig;
  readonly summariser: Summariser;
  /** Called with errors of background context runs (they are also in status()). */
  readonly onError?: (err: unknown) => void;
  /** Called once when the account is closed. */
  readonly onClose?: () => void;
}

export class AccountMemory {
  readonly #store: AccountStore;
  readonly #config: TierConfig;
  readonly #builder: ContextBuilder;
  readonly #topic: TopicDetector;
  readonly #abort = new AbortController();
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #onClose: (() => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #pending = 0;
  #sinceRun = 0;
  #uncoveredSinceTopic = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #lastRun: ContextRun | undefined;
  #lastError: unknown;
  #waiting: Promise<ContextRun> | undefined;

  private constructor(store: AccountStore, options: AccountMemoryOptions) {
    this.#store = store;
    this.#config = options.config;
    this.#onError = options.onError;
    this.#onClose = options.onClose;
    this.#builder = new ContextBuilder(store, options.config.context, options.summariser, this.#abort.signal);
    this.#topic = new TopicDetector(options.config.context.topic);
  }

  /** Opens the account in `store` (repairing what needs it) and starts the periodic trigger. */
  static async open(store: AccountStore, options: AccountMemoryOptions): Promise<AccountMemory> {
    const mem = new AccountMemory(store, options);
    await store.open();
    const [ctx, counts, short] = await Promise.all([store.getContext(), store.counts(), store.shortTerm()]);
    const uncovered = Math.max(0, counts.lastSeq - ctx.coveredThrough);
    mem.#sinceRun = uncovered;
    mem.#uncoveredSinceTopic = Math.min(uncovered, short.length);
    mem.#topic.seed(short);
    const every = options.config.context.periodicIntervalMs;
    if (every > 0) {
      mem.#timer = setInterval(() => mem.#periodic(), every);
      mem.#timer.unref();
    }
    return mem;
  }

  get account(): string {
    return this.#store.account;
  }

  get store(): AccountStore {
    return this.#store;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #check(): void {
    if (this.#closed) throw new ClosedError(`account ${this.account} is closed`);
  }

  /** Validates and appends one message; durable when resolved. Throws InvalidMessageError (nothing stored). */
  async append(input: MessageInput): Promise<AppendResult> {
    const [r] = await this.appendMany([input]);
    return r!;
  }

  /**
   * Validates every input first: if any is invalid nothing is stored and InvalidMessageError
   * names them all (paths prefixed with the index). Then appends them in order.
   */
  async appendMany(inputs: readonly MessageInput[]): Promise<AppendResult[]> {
    this.#check();
    if (!Array.isArray(inputs)) throw new InvalidMessageError([{ path: '', message: 'expected an array of messages' }]);
    const prepared: PendingMessage[] = [];
    const issues: { path: string; message: string }[] = [];
    inputs.forEach((input, i) => {
      try {
        prepared.push(prepareMessage(input, this.#config.limits));
      } catch (err) {
        if (!(err instanceof InvalidMessageError)) throw err;
        const prefix = inputs.length > 1 ? `${i}.` : '';
        for (const is of err.issues) issues.push({ path: `${prefix}${is.path}`, message: is.message });
      }
    });
    if (issues.length > 0) throw new InvalidMessageError(issues);
    const outcomes = await this.#store.append(prepared);
    this.#afterAppend(outcomes);
    return outcomes;
  }

  #afterAppend(outcomes: readonly AppendOutcome[]): void {
    const ctx = this.#config.context;
    for (const o of outcomes) {
      if (o.duplicate) continue;
      this.#sinceRun++;
      if (ctx.topic.enabled) {
        const changed = this.#topic.observe(o.message);
        if (changed && this.#uncoveredSinceTopic >= ctx.topic.minMessages) {
          this.#schedule('topic_change', o.message.seq - 1);
          this.#uncoveredSinceTopic = 0;
        }
      }
      this.#uncoveredSinceTopic++;
      if (ctx.onShortTermFull && this.#sinceRun >= this.#config.shortTerm.capacity) {
        this.#schedule('short_term_full');
      }
    }
  }

  #periodic(): void {
    if (this.#closed || this.#pending > 0) return;
    this.#schedule('periodic');
  }

  /**
   * Queues a context run; resolves with its result (rejects with its error). A run that is
   * queued but not started covers everything up to the newest message when it starts, so a
   * trigger that finds one waiting joins it instead of queuing another.
   */
  #schedule(trigger: Trigger, through?: number): Promise<ContextRun> {
    if (trigger !== 'topic_change') this.#uncoveredSinceTopic = 0;
    this.#sinceRun = 0;
    if (through === undefined && this.#waiting) return this.#waiting;
    this.#pending++;
    const run: Promise<ContextRun> = this.#queue.then(async () => {
      if (this.#waiting === run) this.#waiting = undefined;
      try {
        if (this.#closed) throw new ClosedError(`account ${this.account} is closed`);
        const r = await this.#builder.run(trigger, through);
        this.#lastRun = r;
        this.#lastError = undefined;
        this.#store.setComponent('history_context', 'active');
        return r;
      } catch (err) {
        this.#lastError = err;
        if (!(err instanceof ClosedError)) {
          this.#store.setComponent('history_context', 'failing', `context generation: ${(err as Error)?.message ?? String(err)}`);
        }
        throw err;
      } finally {
        this.#pending--;
      }
    });
    if (through === undefined) this.#waiting = run;
    this.#queue = run.catch(() => {});
    if (trigger !== 'manual') {
      run.catch((err) => {
        if (!(err instanceof ClosedError)) this.#onError?.(err);
      });
    }
    return run;
  }

  /** Generates history context now (a manual trigger) and waits for it. */
  async generateContext(): Promise<ContextRun> {
    this.#check();
    return this.#schedule('manual');
  }

  /** Waits until every queued context run has finished. */
  async idle(): Promise<void> {
    while (this.#pending > 0) await this.#queue;
  }

  /** The last context run, and the last error of one (undefined after a success). */
  lastContextRun(): { run?: ContextRun; error?: unknown } {
    return { ...(this.#lastRun ? { run: this.#lastRun } : {}), ...(this.#lastError ? { error: this.#lastError } : {}) };
  }

  async shortTerm(): Promise<Message[]> {
    this.#check();
    return this.#store.shortTerm();
  }

  async midTerm(): Promise<Message[]> {
    this.#check();
    return this.#store.midTerm();
  }

  /** A page of the whole history (oldest first); at most `limits.maxPage` messages. */
  async history(query: HistoryQuery): Promise<Message[]> {
    this.#check();
    const r = historyQuerySchema.safeParse(query);
    if (!r.success) throw new InvalidMessageError(r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
    const q = r.data;
    return this.#store.history({ ...q, limit: Math.min(q.limit, this.#config.limits.maxPage) });
  }

  async context(): Promise<HistoryContext> {
    this.#check();
    return this.#store.getContext();
  }

  async counts(): Promise<{ messageCount: number; lastSeq: number }> {
    this.#check();
    return this.#store.counts();
  }

  status(): Promise<ComponentStatus[]> {
    return this.#store.status();
  }

  health(): Promise<HealthEntry[]> {
    return this.#store.health();
  }

  /** Stops the timer, lets queued context runs finish (unless `abort`), closes the store. */
  async close(options: { abort?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    if (this.#timer) clearInterval(this.#timer);
    if (options.abort) this.#abort.abort(new ClosedError(`account ${this.account} closed`));
    await this.idle().catch(() => {});
    this.#closed = true;
    this.#abort.abort(new ClosedError(`account ${this.account} closed`));
    this.#onClose?.();
    await this.#store.close();
  }
}
