/**
 * Conversation: one account's memory through the facade — its conversation tiers (short-term,
 * mid-term, whole history, history context), its memory windows on the board (remember,
 * recall), and its context sessions. Every call is checked against the memory's principal.
 */
import { z } from 'zod';
import { salienceInputSchema, type SalienceInput } from '../../spec/index.js';
import { contentSchema, type Content } from '../content/contentStore.js';
import type { HistoryContext } from '../tiers/context.js';
import type { ContextRun } from '../tiers/contextBuilder.js';
import type { Message, MessageInput } from '../tiers/message.js';
import type { AppendResult } from '../tiers/account.js';
import type { HistoryQuery } from '../storage/types.js';
import { sessionNameSchema, windowLabelSchema } from './config.js';
import { parseInput } from './errors.js';
import { ImportanceScorer } from './importance.js';
import type { MemoryCore } from './memory.js';
import type { ContextSession, SessionOptions } from './session.js';

export const rememberOptionsSchema = z
  .object({
    /** The account's window to store in (default config.windows.defaultLabel); acquired on first use. */
    window: windowLabelSchema.optional(),
    /** The five salience components the board scores (spec/salience.ts). */
    salience: salienceInputSchema.strict().optional(),
    /** Or one importance 0..1, mapped to a salience (ImportanceScorer.toSalience). */
    importance: z.number().min(0).max(1).optional(),
  })
  .strict()
  .refine((o) => o.salience === undefined || o.importance === undefined, { message: 'give salience or importance, not both' });
export type RememberOptions = z.input<typeof rememberOptionsSchema>;

export const recallOptionsSchema = z
  .object({
    /** Only this window of the account (default: all of its windows). */
    window: windowLabelSchema.optional(),
    /** 'salience' (default): most salient first; 'insertion': oldest first. */
    order: z.enum(['salience', 'insertion']).default('salience'),
    /** Only items with salience ≥ this (0..1). */
    minSalience: z.number().min(0).max(1).default(0),
    limit: z.number().int().positive().optional(),
  })
  .strict();
export type RecallOptions = z.input<typeof recallOptionsSchema>;

export interface Remembered {
  readonly window: string;
  /** Content hash the board holds (hex). */
  readonly handle: string;
  /** Composite salience the board gave the item, 0..1. */
  readonly salience: number;
  readonly stamp: number;
  /** What this store pushed out of working memory (already on its way to its account's short-term tier). */
  readonly evicted?: { readonly account: string | undefined; readonly window: string | undefined; readonly salience: number };
}

export interface RecalledMemory {
  readonly content: Content;
  readonly window: string;
  readonly salience: number;
  readonly stamp: number;
  readonly handle: string;
}

export interface AccountWindow {
  readonly label: string;
  readonly id: number;
}

const hex = (h: bigint) => h.toString(16).padStart(16, '0');

export class Conversation {
  readonly #core: MemoryCore;

  /** @internal memory.conversation() builds conversations. */
  constructor(
    core: MemoryCore,
    /** The account id. */
    readonly account: string,
  ) {
    this.#core = core;
  }

  #read<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return this.#core.guarded('read', { account: this.account }, action, fn);
  }

  #write<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return this.#core.guarded('write', { account: this.account }, action, fn);
  }

  /** Appends a message to the account's tiers (durable when resolved); InvalidMessageError stores nothing. */
  append(message: MessageInput): Promise<AppendResult> {
    return this.#write('conversation.append', () => this.#core.appendToTiers(this.account, [message]).then((r) => r[0]!));
  }

  /** Appends several messages: all validated first; if any is invalid nothing is stored. */
  appendMany(messages: readonly MessageInput[]): Promise<AppendResult[]> {
    return this.#write('conversation.append', () => this.#core.appendToTiers(this.account, messages));
  }

  /**
   * Stores content in one of the account's memory windows on the board. When the window (or
   * the board) is full, the board evicts its least salient item, which goes to its account's
   * short-term tier.
   */
  async remember(content: Content, options: RememberOptions = {}): Promise<Remembered> {
    const o = parseInput('remember', rememberOptionsSchema, options);
    const c = parseInput('remember', contentSchema, content) as Content;
    const salience: SalienceInput | undefined = o.salience ?? (o.importance !== undefined ? ImportanceScorer.toSalience(o.importance) : undefined);
    return this.#write('windows.remember', async () => {
      const r = await this.#core.pool.store(this.account, o.window ?? this.#core.config.windows.defaultLabel, this.#core.redactContent(c), salience);
      this.#core.count('windows.remember');
      return {
        window: r.label,
        handle: hex(r.handle),
        salience: r.salience,
        stamp: r.stamp,
        ...(r.evicted && { evicted: { account: r.evicted.account, window: r.evicted.label, salience: r.evicted.salience } }),
      };
    });
  }

  /** The account's items in working memory, most salient first by default. */
  async recall(options: RecallOptions = {}): Promise<RecalledMemory[]> {
    const o = parseInput('recall', recallOptionsSchema, options);
    return this.#read('windows.recall', async () => {
      const items = await this.#core.pool.recall(this.account, {
        ...(o.window !== undefined && { label: o.window }),
        order: o.order,
        minSalience: Math.ceil(o.minSalience * 255),
        ...(o.limit !== undefined && { limit: o.limit }),
      });
      this.#core.count('windows.recall');
      return items.map((it) => ({
        content: it.content as Content,
        window: it.label,
        salience: ImportanceScorer.fromByte(it.salience),
        stamp: it.stamp,
        handle: hex(it.handle),
      }));
    });
  }

  /** The windows the account holds now. */
  windows(): Promise<AccountWindow[]> {
    return this.#read('windows.list', async () => [...this.#core.pool.accountWindows(this.account)].map(([label, id]) => ({ label, id })));
  }

  /** Gives up a window: its items are spilled to the short-term tier first. Returns how many. */
  async closeWindow(label: string): Promise<number> {
    const l = parseInput('closeWindow', windowLabelSchema, label);
    return this.#write('windows.close', () => this.#core.pool.release(this.account, l));
  }

  shortTerm(): Promise<Message[]> {
    return this.#read('tiers.shortTerm', () => this.#core.withAccount(this.account, (a) => a.shortTerm()));
  }

  midTerm(): Promise<Message[]> {
    return this.#read('tiers.midTerm', () => this.#core.withAccount(this.account, (a) => a.midTerm()));
  }

  /** A page of the whole history, oldest first (see AccountMemory.history). */
  history(query: HistoryQuery): Promise<Message[]> {
    return this.#read('tiers.history', () => this.#core.withAccount(this.account, (a) => a.history(query)));
  }

  /** The history context: bounded summaries of the conversation. */
  historyContext(): Promise<HistoryContext> {
    return this.#read('tiers.context', () => this.#core.historyContext(this.account));
  }

  counts(): Promise<{ messageCount: number; lastSeq: number }> {
    return this.#read('tiers.counts', () => this.#core.withAccount(this.account, (a) => a.counts()));
  }

  /** Summarises what the history context does not cover yet, now. */
  generateContext(): Promise<ContextRun> {
    return this.#write('tiers.generateContext', () => this.#core.generateContext(this.account));
  }

  /** A context session of this account, `<account>.<name>` (default name 'main'). */
  async context(name = 'main', options: SessionOptions = {}): Promise<ContextSession> {
    const n = parseInput('context', sessionNameSchema, name);
    return this.#core.openSession(this.account, n, options);
  }
}
