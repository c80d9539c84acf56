/**
 * History-context generation: summarises the messages no summary covers yet, in chunks,
 * through the pluggable summariser, and keeps the context bounded by merging the oldest
 * summaries. Progress is written after every chunk with compare-and-set on the context's
 * version, so a crash loses at most one chunk of work and two processes generating for the
 * same account never overwrite each other (the loser re-reads and continues from the
 * winner's coverage).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AccountStore } from '../storage/types.js';
import type { TierConfig } from './config.js';
import type { HistoryContext, Summary, Trigger } from './context.js';
import { boundText } from './context.js';
import { SummariserError } from './errors.js';
import type { Message } from './message.js';
import type { Summariser, SummaryRequest } from './summariser.js';

export interface ContextRun {
  readonly trigger: Trigger;
  /** Summaries written by this run (before merges folded some of them). */
  readonly summarised: number;
  /** Messages newly covered. */
  readonly messages: number;
  readonly merges: number;
  readonly coveredThrough: number;
}

const MAX_CAS_RETRIES = 8;

export class ContextBuilder {
  constructor(
    private readonly store: AccountStore,
    private readonly config: TierConfig['context'],
    private readonly summariser: Summariser,
    private readonly signal: AbortSignal,
  ) {}

  async #call(req: Omit<SummaryRequest, 'signal' | 'maxChars' | 'account'>): Promise<string> {
    const ac = new AbortController();
    const onAbort = () => ac.abort(this.signal.reason);
    this.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => ac.abort(new SummariserError(`summariser timed out after ${this.config.summariserTimeoutMs} ms`)), this.config.summariserTimeoutMs);
    timer.unref();
    try {
      const out = await Promise.race([
        this.summariser({ ...req, account: this.store.account, maxChars: this.config.maxSummaryChars, signal: ac.signal }),
        new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true })),
      ]);
      const r = z.string().safeParse(out);
      if (!r.success) throw new SummariserError(`summariser returned ${typeof out}, not a string`);
      return boundText(r.data, this.config.maxSummaryChars);
    } catch (err) {
      if (err instanceof SummariserError) throw err;
      throw new SummariserError(`summariser failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
      this.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Folds the oldest summaries until at most maxSummaries remain. */
  async #bound(summaries: Summary[]): Promise<{ summaries: Summary[]; merges: number }> {
    let merges = 0;
    const out = summaries.slice();
    while (out.length > this.config.maxSummaries) {
      const n = Math.min(this.config.mergeFanIn, out.length - this.config.maxSummaries + 1);
      const group = out.slice(0, Math.max(2, n));
      const text = await this.#call({ kind: 'merge', messages: [], summaries: group });
      const merged: Summary = {
        id: randomUUID(),
        fromSeq: group[0]!.fromSeq,
        toSeq: group.at(-1)!.toSeq,
        messageCount: group.reduce((a, s) => a + s.messageCount, 0),
        createdAt: Date.now(),
        trigger: 'merge',
        level: Math.max(...group.map((s) => s.level)) + 1,
        text,
      };
      out.splice(0, group.length, merged);
      merges++;
    }
    return { summaries: out, merges };
  }

  /** Summarises every uncovered message with seq ≤ `through` (default: the newest). */
  async run(trigger: Trigger, through?: number): Promise<ContextRun> {
    let summarised = 0;
    let messages = 0;
    let merges = 0;
    let retries = 0;
    let ctx: HistoryContext = await this.store.getContext();
    const target = through ?? (await this.store.counts()).lastSeq;
    while (ctx.coveredThrough < target) {
      if (this.signal.aborted) break;
      const page = (await this.store.history({ afterSeq: ctx.coveredThrough, limit: this.config.chunkMessages })).filter(
        (m: Message) => m.seq <= target,
      );
      if (page.length === 0) break;
      const text = await this.#call({ kind: 'messages', messages: page, summaries: [] });
      const summary: Summary = {
        id: randomUUID(),
        fromSeq: page[0]!.seq,
        toSeq: page.at(-1)!.seq,
        messageCount: page.length,
        createdAt: Date.now(),
        trigger,
        level: 0,
        text,
      };
      const bounded = await this.#bound([...ctx.summaries, summary]);
      const next: HistoryContext = { ...ctx, coveredThrough: summary.toSeq, summaries: bounded.summaries };
      if (await this.store.putContext(next, ctx.version)) {
        summarised++;
        messages += page.length;
        merges += bounded.merges;
        ctx = { ...next, version: ctx.version + 1 };
      } else {
        // Another writer moved the context on: continue from its coverage.
        if (++retries > MAX_CAS_RETRIES) throw new SummariserError('history context kept changing under this writer; gave up');
        ctx = await this.store.getContext();
      }
    }
    return { trigger, summarised, messages, merges, coveredThrough: ctx.coveredThrough };
  }
}
