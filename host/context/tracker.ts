/**
 * ContextTracker: per session, a token-budgeted sliding window over the conversation.
 *
 * Budget. A rendered window is `[system] [anchor] tail` plus the 3-token reply primer, all
 * counted with the framing of tokens.ts, and never exceeds `maxContextLength -
 * reserveTokens`. The room left for conversation messages after the system prompt and the
 * primer is the session's `capacity`; each message is shown truncated to at most
 * `floor(capacity / 2)` tokens (its whole text is still what gets folded), which is what
 * guarantees that an anchor and the newest message always fit together.
 *
 * Sliding and overlap (window.ts `planSlide`). A message that fits is appended to the
 * tail. One that does not makes the window slide: the new window keeps the shortest
 * suffix of the old tail that holds at least `contextOverlap` tokens (the whole tail if it
 * holds fewer), message-aligned, then the new message. If that does not fit, the oldest
 * kept messages are given up until it does (the slide is then reported `shortened`).
 *
 * Turn alignment. If the new tail does not start on a user message, the user message that
 * opens its turn is pinned in front of it as the anchor, so every window starts on a user
 * turn (unless the conversation has no user message before the tail at all).
 *
 * Tool calls (window.ts, units). An assistant message and the tool results appended right
 * after it form one unit (messages carry no tool-call id); the overlap, the fit and the
 * folding cut only between units, so a window never holds a tool
 * result without the assistant message that requested it, nor that assistant message
 * without its results. A unit that does not fit next to its anchor even alone is
 * *condensed* — its messages are shown truncated to one common level so that all of them
 * fit (`condenseUnit`) — and, when it has too many messages even to frame in the room,
 * *spilled*: it is folded whole, the window keeps the anchor, and further results of the
 * same unit are folded as they arrive, until the next non-tool message.
 *
 * Folding. Whatever leaves the window for good (old tail, old anchor) is queued, whole and
 * in `seq` order per batch, to the fold callback. Each message is folded exactly once.
 *
 * Expiry. A session idle for more than `expiryTime` seconds (injectable clock) is expired
 * on its next use or by `sweep()` (also on an unref'd timer when `sweepInterval` is set):
 * its remaining messages are folded with reason 'expired' and the session is removed.
 *
 * Cost. An append is O(1) amortised plus O(messages inside the overlap) on a slide; it
 * never touches the conversation before the window, so it does not grow with the
 * conversation's length.
 */
import { z } from 'zod';
import { Deque } from './deque.js';
import { ContextExpiredError, ContextWindowError, MemoryOverflowError, parseWith } from './errors.js';
import { FoldQueue, type FoldFn, type FoldedMessage, type FoldReason } from './fold.js';
import { messageSchema, type Message, type WindowMessage } from './messages.js';
import { MetricsRecorder, type MetricsSnapshot } from './metrics.js';
import { TokenCounter } from './tokens.js';
import { condenseUnit, entryBytes, planSlide, truncateToTokens, type Entry } from './window.js';

export const SESSION_ID = /^[A-Za-z0-9_.-]{1,128}$/;
export const sessionIdSchema = z
  .string()
  .regex(SESSION_ID, 'session ids are 1–128 of [A-Za-z0-9_.-]')
  .refine((s) => s !== '.' && s !== '..', 'session id may not be . or ..');

export const contextTrackerConfigSchema = z
  .object({
    /** Tokens a rendered window may hold, everything included (spec: max_context_length). */
    maxContextLength: z.number().int().min(64).max(10_000_000).default(4096),
    /** Tokens of the old tail every slide keeps (spec: context_overlap). */
    contextOverlap: z.number().int().min(0).default(128),
    /** Seconds of inactivity after which a session expires (spec: expiry_time). */
    expiryTime: z.number().positive().default(3600),
    /** Tokens held back from the budget for what the caller adds (the reply, the history summary). */
    reserveTokens: z.number().int().min(0).default(0),
    /** Most sessions tracked at once. */
    maxSessions: z.number().int().positive().default(10_000),
    /** Most folded messages waiting for the sink before appends are refused with MemoryOverflowError. */
    maxPendingFold: z.number().int().positive().default(100_000),
    /** Seconds between background expiry sweeps; 0 = only on use and explicit sweep(). */
    sweepInterval: z.number().min(0).default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.reserveTokens >= c.maxContextLength) {
      ctx.addIssue({ code: 'custom', path: ['reserveTokens'], message: 'must be below maxContextLength' });
    }
    if (c.contextOverlap >= c.maxContextLength - c.reserveTokens) {
      ctx.addIssue({ code: 'custom', path: ['contextOverlap'], message: 'must be below maxContextLength - reserveTokens' });
    }
  });

export type ContextTrackerConfig = z.output<typeof contextTrackerConfigSchema>;

export interface ContextTrackerOptions {
  counter: TokenCounter;
  config?: z.input<typeof contextTrackerConfigSchema>;
  /** Receives what slides out (the conversation tiers' history summary). */
  fold?: FoldFn;
  /** Applied to every message's content on append, e.g. redaction; windows and folds only see its output. */
  transform?: (content: string) => string;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

export const openOptionsSchema = z
  .object({
    systemPrompt: z.string().max(1_000_000).optional(),
  })
  .strict();

interface Session {
  readonly id: string;
  readonly system: WindowMessage | undefined;
  readonly systemTokens: number;
  /** Room for anchor + tail. */
  readonly capacity: number;
  /** Per-message view cap: floor(capacity / 2). */
  readonly messageCap: number;
  readonly tail: Deque<Entry>;
  anchor: Entry | undefined;
  tailTokens: number;
  /** The latest user entry (turn opener for the next non-user message). */
  lastUser: Entry | undefined;
  nextSeq: number;
  /** The latest non-tool message is an assistant message: tool results appended now belong to it. */
  callOpen: boolean;
  /** The latest unit was spilled (folded whole): its further tool results are folded on arrival. */
  spilling: boolean;
  lastActive: number;
  bytes: number;
  slides: number;
}

export interface AppendResult {
  readonly sessionId: string;
  readonly seq: number;
  /** Tokens of the rendered window after the append (system, anchor, tail, primer). */
  readonly windowTokens: number;
  /** True when the message was shown truncated. */
  readonly truncated: boolean;
  /**
   * Present when the message was folded at once instead of shown: it is a tool result of a
   * unit too large for the window (`slide.spilled` is set too, and `slide.foldedSeqs` holds it).
   */
  readonly spilled?: true;
  /**
   * Present when the append made the window slide, or folded anything: a further result of a
   * spilled unit is reported as a slide that folds just that message and keeps the rest.
   */
  readonly slide?: SlideInfo;
}

export interface SlideInfo {
  /** Tokens of the old tail carried into the new window (the overlap actually kept). */
  readonly retainedTokens: number;
  /** seq of the retained messages, oldest first. */
  readonly retainedSeqs: readonly number[];
  /** seq of the messages queued for folding, in order. */
  readonly foldedSeqs: readonly number[];
  /** seq of the anchor of the new window, if any. */
  readonly anchorSeq: number | undefined;
  /** Fewer than the overlap target were kept (older units given up, or the kept unit condensed) so that the new message fits. */
  readonly shortened: boolean;
  /** seq of the messages of the incoming message's unit shown truncated further so that the unit fits (empty normally). */
  readonly condensedSeqs: readonly number[];
  /** The incoming message was not shown: its unit was folded whole (its seqs, the message's included, are in foldedSeqs). */
  readonly spilled: boolean;
}

export interface WindowView {
  readonly sessionId: string;
  readonly messages: readonly WindowMessage[];
  /** seq of each conversation message in `messages` (system prompt excluded). */
  readonly seqs: readonly number[];
  /** Tokens of the rendered request, primer included. */
  readonly tokens: number;
  readonly budget: number;
  readonly anchored: boolean;
}

export interface ContextMetrics {
  readonly sessions: number;
  readonly messagesHeld: number;
  readonly memoryUsedBytes: number;
  /** Sum over sessions of their window tokens. */
  readonly contextTokens: number;
  readonly pendingFold: number;
  readonly folded: number;
  readonly slides: number;
  readonly tokenizer: ReturnType<TokenCounter['stats']>;
  readonly operations: MetricsSnapshot;
}

const SYSTEM_OVERHEAD_BYTES = 256;

export class ContextTracker {
  readonly config: ContextTrackerConfig;
  readonly counter: TokenCounter;
  readonly #sessions = new Map<string, Session>(); // insertion order = least recently active first
  readonly #folds: FoldQueue;
  readonly #transform: ((content: string) => string) | undefined;
  readonly #now: () => number;
  readonly #metrics = new MetricsRecorder();
  readonly #timer: NodeJS.Timeout | undefined;
  #bytes = 0;
  #slides = 0;
  #closed = false;

  constructor(options: ContextTrackerOptions) {
    if (!(options?.counter instanceof TokenCounter)) throw new ContextWindowError('ContextTracker needs a TokenCounter (await TokenCounter.create())');
    this.counter = options.counter;
    this.config = parseWith(contextTrackerConfigSchema, options.config ?? {}, (m) => new ContextWindowError(`invalid context tracker config: ${m}`));
    this.#folds = new FoldQueue(options.fold, this.config.maxPendingFold);
    this.#transform = options.transform;
    this.#now = options.now ?? Date.now;
    if (this.config.sweepInterval > 0) {
      this.#timer = setInterval(() => this.sweep(), this.config.sweepInterval * 1000);
      this.#timer.unref();
    }
  }

  /** Token budget of a rendered window. */
  get budget(): number {
    return this.config.maxContextLength - this.config.reserveTokens;
  }

  /**
   * Opens a session (or returns the live one with that id). The system prompt is fixed
   * for the session's life; it must leave room for at least two messages.
   */
  open(sessionId: string, options: z.input<typeof openOptionsSchema> = {}): { sessionId: string; capacity: number; messageCap: number } {
    this.#live();
    const id = this.#id(sessionId);
    const o = parseWith(openOptionsSchema, options, (m) => new ContextWindowError(`invalid open options: ${m}`, id));
    const t0 = performance.now();
    const existing = this.#get(id, false);
    if (existing) {
      const same = (existing.system?.content ?? undefined) === (o.systemPrompt === undefined ? undefined : this.#apply(o.systemPrompt));
      if (o.systemPrompt !== undefined && !same) {
        throw new ContextWindowError(`session '${id}' is open with another system prompt; close it first`, id);
      }
      this.#touch(existing);
      return { sessionId: id, capacity: existing.capacity, messageCap: existing.messageCap };
    }
    if (this.#sessions.size >= this.config.maxSessions) this.sweep();
    if (this.#sessions.size >= this.config.maxSessions) {
      throw new MemoryOverflowError(`${this.#sessions.size} context sessions are open (limit ${this.config.maxSessions})`, this.config.maxSessions, this.#sessions.size);
    }
    const system: WindowMessage | undefined = o.systemPrompt === undefined ? undefined : { role: 'system', content: this.#apply(o.systemPrompt) };
    const systemTokens = system ? this.counter.messageTokens(system) : 0;
    const capacity = this.budget - this.counter.replyPrimer - systemTokens;
    const messageCap = Math.floor(capacity / 2);
    if (messageCap < 16) {
      throw new ContextWindowError(
        `a system prompt of ${systemTokens} tokens leaves ${capacity} of the ${this.budget}-token budget for messages; at least 32 are needed`,
        id,
      );
    }
    const bytes = SYSTEM_OVERHEAD_BYTES + 2 * (system?.content.length ?? 0);
    const s: Session = {
      id,
      system,
      systemTokens,
      capacity,
      messageCap,
      tail: new Deque<Entry>(),
      anchor: undefined,
      tailTokens: 0,
      lastUser: undefined,
      nextSeq: 0,
      callOpen: false,
      spilling: false,
      lastActive: this.#now(),
      bytes,
      slides: 0,
    };
    this.#sessions.set(id, s);
    this.#bytes += bytes;
    this.#record('open', s, t0, bytes, true);
    return { sessionId: id, capacity, messageCap };
  }

  /** Appends one message; slides the window when it does not fit. Synchronous: folding is queued. */
  append(sessionId: string, message: z.input<typeof messageSchema>): AppendResult {
    this.#live();
    const id = this.#id(sessionId);
    const m = parseWith(messageSchema, message, (e) => new ContextWindowError(`invalid message: ${e}`, id));
    const t0 = performance.now();
    const s = this.#require(id);
    this.#folds.checkRoom();
    const before = this.#bytes;
    const stored: Message = this.#transform ? { ...m, content: this.#apply(m.content) } : m;
    const { view, tokens } = truncateToTokens(this.counter, stored, s.messageCap);
    const entry: { -readonly [K in keyof Entry]: Entry[K] } = {
      seq: s.nextSeq,
      message: stored,
      view,
      tokens,
      turn: s.lastUser,
      bytes: entryBytes(stored, view),
      unitStart: stored.role !== 'tool' || !s.callOpen,
    };
    if (stored.role === 'user') entry.turn = entry;
    let slide: SlideInfo | undefined;
    let spilled = false;
    if (stored.role !== 'tool') {
      s.callOpen = stored.role === 'assistant';
      s.spilling = false;
    }
    if (s.spilling) {
      // A further result of a unit that was spilled: its assistant message is gone, so it is folded too.
      // Reported as a slide that folds just this message and leaves the window as it was.
      this.#folds.enqueue([{ seq: entry.seq, message: stored }], { sessionId: s.id, reason: 'slid' });
      spilled = true;
      const retainedSeqs: number[] = [];
      for (const e of s.tail) retainedSeqs.push(e.seq);
      slide = { retainedTokens: s.tailTokens, retainedSeqs, foldedSeqs: [entry.seq], anchorSeq: s.anchor?.seq, shortened: false, condensedSeqs: [], spilled: true };
    } else {
      if ((s.anchor?.tokens ?? 0) + s.tailTokens + tokens > s.capacity) slide = this.#slide(s, entry);
      spilled = slide?.spilled ?? false;
      if (!spilled) {
        s.tail.push(entry);
        s.tailTokens += entry.tokens;
        this.#addBytes(s, entry.bytes);
      }
    }
    s.nextSeq++;
    if (stored.role === 'user') s.lastUser = entry;
    this.#touch(s);
    this.#record('append', s, t0, this.#bytes - before, true);
    const result: AppendResult = {
      sessionId: id,
      seq: entry.seq,
      windowTokens: this.#windowTokens(s),
      truncated: !spilled && entry.view !== stored,
      ...(spilled ? { spilled: true as const } : {}),
      ...(slide ? { slide } : {}),
    };
    return result;
  }

  /** The window to send to the model: system prompt, anchor, tail. O(window). */
  window(sessionId: string): WindowView {
    this.#live();
    const s = this.#require(this.#id(sessionId));
    this.#touch(s);
    const messages: WindowMessage[] = [];
    const seqs: number[] = [];
    if (s.system) messages.push(s.system);
    if (s.anchor) {
      messages.push(s.anchor.view);
      seqs.push(s.anchor.seq);
    }
    for (const e of s.tail) {
      messages.push(e.view);
      seqs.push(e.seq);
    }
    return { sessionId: s.id, messages, seqs, tokens: this.#windowTokens(s), budget: this.budget, anchored: s.anchor !== undefined };
  }

  has(sessionId: string): boolean {
    return this.#get(this.#id(sessionId), false) !== undefined;
  }

  /** Folds what the session holds (reason 'closed') and forgets it. */
  close(sessionId: string): boolean {
    const id = this.#id(sessionId);
    const s = this.#sessions.get(id);
    if (!s) return false;
    this.#drop(s, 'closed');
    return true;
  }

  /** Expires every session idle for longer than expiryTime; returns their ids. O(expired). */
  sweep(): string[] {
    const now = this.#now();
    const limit = this.config.expiryTime * 1000;
    const expired: string[] = [];
    for (const s of this.#sessions.values()) {
      if (now - s.lastActive <= limit) break; // sessions are kept in activity order
      expired.push(s.id);
    }
    for (const id of expired) this.#drop(this.#sessions.get(id) as Session, 'expired');
    return expired;
  }

  /** Waits until every queued fold batch is delivered; rejects with FoldError if the sink fails. */
  flush(): Promise<void> {
    return this.#folds.flush();
  }

  metrics(): ContextMetrics {
    let messagesHeld = 0;
    let contextTokens = 0;
    for (const s of this.#sessions.values()) {
      messagesHeld += s.tail.length + (s.anchor ? 1 : 0);
      contextTokens += this.#windowTokens(s);
    }
    return {
      sessions: this.#sessions.size,
      messagesHeld,
      memoryUsedBytes: this.#bytes,
      contextTokens,
      pendingFold: this.#folds.pendingMessages,
      folded: this.#folds.deliveredMessages,
      slides: this.#slides,
      tokenizer: this.counter.stats(),
      operations: this.#metrics.snapshot(),
    };
  }

  /** Stops the sweep timer, refuses further use and waits for pending folds (sessions are not folded). */
  async shutdown(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#folds.flush();
  }

  /** Slides the window for `incoming` (not yet in the tail; the caller pushes it unless the slide spilled it). */
  #slide(s: Session, incoming: Entry): SlideInfo {
    const plan = planSlide(s.tail, incoming, s.capacity, this.config.contextOverlap);
    let keepFrom = plan.keepFrom;
    let retainedTokens = plan.retainedTokens;
    let shortened = plan.shortened;
    const anchor = plan.anchor;
    const condensedSeqs: number[] = [];
    let spilled = false;
    if (!plan.fits) {
      // The incoming tool result's unit does not fit next to its anchor even alone: condense it, or spill it.
      const unit: Entry[] = [];
      for (let i = plan.unitFrom; i < s.tail.length; i++) unit.push(s.tail.at(i) as Entry);
      unit.push(incoming);
      const views = condenseUnit(
        this.counter,
        unit.map((e) => e.message),
        s.capacity - (anchor?.tokens ?? 0),
        s.messageCap,
      );
      shortened = true;
      if (views) {
        retainedTokens = 0;
        unit.forEach((e, i) => {
          const v = views[i] as { view: Entry['view']; tokens: number };
          if (v.tokens < e.tokens) condensedSeqs.push(e.seq);
          const bytes = entryBytes(e.message, v.view);
          if (e !== incoming) {
            s.tailTokens += v.tokens - e.tokens;
            this.#addBytes(s, bytes - e.bytes);
            retainedTokens += v.tokens;
          }
          e.view = v.view;
          e.tokens = v.tokens;
          e.bytes = bytes;
        });
      } else {
        // Fold the whole unit (the incoming result included); the window keeps the user message of its turn.
        spilled = true;
        keepFrom = s.tail.length;
        retainedTokens = 0;
      }
    }
    const out: FoldedMessage[] = [];
    const oldAnchor = s.anchor;
    if (oldAnchor && oldAnchor !== anchor) {
      out.push({ seq: oldAnchor.seq, message: oldAnchor.message });
      this.#addBytes(s, -oldAnchor.bytes);
    }
    for (let i = 0; i < keepFrom; i++) {
      const e = s.tail.shift() as Entry;
      s.tailTokens -= e.tokens;
      if (e === anchor) continue; // stays, pinned as the anchor (its bytes stay counted)
      out.push({ seq: e.seq, message: e.message });
      this.#addBytes(s, -e.bytes);
    }
    if (spilled) {
      out.push({ seq: incoming.seq, message: incoming.message });
      s.spilling = true;
    }
    s.anchor = anchor;
    s.slides++;
    this.#slides++;
    this.#folds.enqueue(out, { sessionId: s.id, reason: 'slid' });
    const retainedSeqs: number[] = [];
    for (const e of s.tail) retainedSeqs.push(e.seq);
    return {
      retainedTokens,
      retainedSeqs,
      foldedSeqs: out.map((f) => f.seq),
      anchorSeq: anchor?.seq,
      shortened,
      condensedSeqs,
      spilled,
    };
  }

  #drop(s: Session, reason: FoldReason): void {
    const t0 = performance.now();
    const out: FoldedMessage[] = [];
    if (s.anchor) out.push({ seq: s.anchor.seq, message: s.anchor.message });
    for (const e of s.tail) out.push({ seq: e.seq, message: e.message });
    this.#sessions.delete(s.id);
    this.#bytes -= s.bytes;
    this.#folds.enqueue(out, { sessionId: s.id, reason });
    this.#record(reason === 'expired' ? 'expire' : 'close', s, t0, -s.bytes, true, 0);
  }

  #windowTokens(s: Session): number {
    return s.systemTokens + (s.anchor?.tokens ?? 0) + s.tailTokens + this.counter.replyPrimer;
  }

  #addBytes(s: Session, b: number): void {
    s.bytes += b;
    this.#bytes += b;
  }

  #touch(s: Session): void {
    s.lastActive = this.#now();
    this.#sessions.delete(s.id);
    this.#sessions.set(s.id, s);
  }

  /** The session, expiring it first when idle too long. */
  #get(id: string, throwIfExpired: boolean): Session | undefined {
    const s = this.#sessions.get(id);
    if (!s) return undefined;
    const idle = this.#now() - s.lastActive;
    if (idle > this.config.expiryTime * 1000) {
      this.#drop(s, 'expired');
      if (throwIfExpired) throw new ContextExpiredError(id, idle);
      return undefined;
    }
    return s;
  }

  #require(id: string): Session {
    const s = this.#get(id, true);
    if (!s) throw new ContextWindowError(`no open context session '${id}'`, id);
    return s;
  }

  #id(sessionId: string): string {
    return parseWith(sessionIdSchema, sessionId, (m) => new ContextWindowError(`invalid session id: ${m}`));
  }

  #apply(content: string): string {
    return this.#transform ? this.#transform(content) : content;
  }

  #live(): void {
    if (this.#closed) throw new ContextWindowError('the context tracker is shut down');
  }

  #record(op: string, s: Session, t0: number, delta: number, ok: boolean, contextTokens?: number): void {
    this.#metrics.record({
      component: 'context',
      op,
      sessionId: s.id,
      at: this.#now(),
      durationMs: performance.now() - t0,
      memoryUsedBytes: this.#bytes,
      memoryDeltaBytes: delta,
      contextTokens: contextTokens ?? this.#windowTokens(s),
      ok,
    });
  }
}
