/**
 * ContextSession: a token-budgeted context window over one conversation of an account, with
 * its session state. Its id is `<account>.<name>`.
 *
 * `append` stores the message in the account's tiers first (durable: the whole history never
 * forgets it), then adds it to the window. What slides out of the window is folded into the
 * account's history context (the tiers summarise it), and `prompt()` puts that summary back in
 * front of the window, within the tokens `context.reserveTokens` holds back for it.
 */
import { z } from 'zod';
import type { SlideInfo, WindowView } from '../context/tracker.js';
import type { WindowMessage } from '../context/messages.js';
import type { StateRecord, StateUpdate } from '../session/stateManager.js';
import { MESSAGE_ID, type JsonObject } from '../tiers/message.js';
import { parseInput } from './errors.js';
import type { MemoryCore } from './memory.js';

export const sessionOptionsSchema = z
  .object({
    /** Fixed for the session's life (reopening with another prompt is refused). */
    systemPrompt: z.string().max(1_000_000).optional(),
  })
  .strict();
export type SessionOptions = z.input<typeof sessionOptionsSchema>;

export const sessionMessageSchema = z
  .object({
    role: z.enum(['user', 'assistant', 'tool']),
    content: z.string().max(1_000_000),
    /** Speaker name (rendered in place of the role). */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'name: 1–64 of [A-Za-z0-9_-]')
      .optional(),
    /** Idempotency key in the tiers. */
    id: z.string().regex(MESSAGE_ID, 'id: 1–128 of letters, digits, _ : . -').optional(),
    timestamp: z.union([z.number().int().nonnegative(), z.string(), z.date()]).optional(),
    metadata: z.record(z.string(), z.json()).optional(),
  })
  .strict();
export type SessionMessage = z.input<typeof sessionMessageSchema>;

export interface SessionAppendResult {
  /** The message's seq in the account's whole history. */
  readonly seq: number;
  readonly id: string;
  /** True when the tiers already held it (same id, or same role and content recently): the window is unchanged. */
  readonly duplicate: boolean;
  /** Tokens of the window after the append. */
  readonly windowTokens: number;
  readonly truncated: boolean;
  readonly slide?: SlideInfo;
}

export interface PromptView {
  /** System prompt, the history-context summary (as a system message), then the window. */
  readonly messages: readonly WindowMessage[];
  readonly tokens: number;
  /** Tokens the summary took (at most context.reserveTokens). */
  readonly summaryTokens: number;
  readonly summaries: number;
  readonly budget: number;
}

export class ContextSession {
  readonly #core: MemoryCore;
  /** `<account>.<name>`: the context tracker's and the state manager's id. */
  readonly id: string;

  /** @internal conversation.context() / memory.context() build sessions. */
  constructor(
    core: MemoryCore,
    readonly account: string,
    readonly name: string,
    /** The session's system prompt (after redaction), re-applied when the window is reopened. */
    readonly systemPrompt?: string,
  ) {
    this.#core = core;
    this.id = `${account}.${name}`;
  }

  #resource() {
    return { account: this.account, session: this.name };
  }

  /** Stores the message in the tiers, then adds it to the window (sliding and folding as needed). */
  async append(message: SessionMessage): Promise<SessionAppendResult> {
    const m = parseInput('context append', sessionMessageSchema, message);
    return this.#core.guarded('write', this.#resource(), 'context.append', () => this.#core.sessionAppend(this, m as SessionMessage & { metadata?: JsonObject }));
  }

  /** The window as the tracker holds it (system prompt, anchor, tail). */
  window(): Promise<WindowView> {
    return this.#core.guarded('read', this.#resource(), 'context.window', async () => this.#core.sessionWindow(this));
  }

  /** What to send to the model: the window with the history context's summary in front. */
  prompt(): Promise<PromptView> {
    return this.#core.guarded('read', this.#resource(), 'context.prompt', () => this.#core.sessionPrompt(this));
  }

  /** The session's state (created in the graph's initial state on first use). */
  state(): Promise<StateRecord> {
    return this.#core.guarded('read', this.#resource(), 'state.get', () => this.#core.sessionState(this));
  }

  /** Moves the session's state along its graph (host/session): validate → merge → persist → commit. */
  updateState(update: StateUpdate): Promise<StateRecord> {
    return this.#core.guarded('write', this.#resource(), 'state.update', () => this.#core.sessionUpdateState(this, update));
  }

  /** Folds what the window holds into the history context and forgets the window. */
  close(): Promise<boolean> {
    return this.#core.guarded('write', this.#resource(), 'context.close', async () => this.#core.sessionClose(this));
  }
}
