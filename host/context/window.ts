/**
 * WindowManager: the pure parts of windowing — truncating one message to a token cap,
 * planning a slide and condensing a tool-call unit. The ContextTracker keeps the state;
 * these functions decide.
 *
 * A window is `[system prompt] [anchor] tail`, where `tail` is a contiguous run of the
 * conversation ending at its latest message and `anchor` is the user message that opens
 * the turn `tail` starts in, present only when `tail` does not itself start on a user
 * message. See docs/context.md for the overlap definition.
 *
 * Units. Messages carry no tool-call id, so a `tool` message (a tool result) belongs to
 * the nearest preceding assistant message with only tool messages in between: a *unit* is
 * an assistant message followed by the run of tool messages appended directly after it
 * (the call and all of its results). Every other message is a unit of its own — including
 * a tool message that follows a user message or opens the conversation, which answers no
 * assistant message (such a conversation is already malformed for the LLM APIs; the
 * window shows it as appended, behind the user anchor of its turn). A window cuts only
 * between units, so it never shows a tool result without the assistant message that
 * requested it, nor that assistant message without all of its results appended so far.
 */
import { ContextWindowError } from './errors.js';
import type { Deque } from './deque.js';
import type { Message } from './messages.js';
import type { TokenCounter } from './tokens.js';

/** One message held by a tracker session. */
export interface Entry {
  /** Position in the session's conversation, from 0. */
  readonly seq: number;
  /** The message as appended (after the tracker's transform, if any): this is what folding receives. */
  readonly message: Message;
  /** What the window shows: `message`, or a copy truncated to the per-message cap (or further, when its unit is condensed). */
  view: Message;
  /** Framed tokens of `view`. */
  tokens: number;
  /** The user message opening this entry's turn (itself for a user message); undefined before the first user message. */
  readonly turn: Entry | undefined;
  /** Estimated bytes held for this entry. */
  bytes: number;
  /** True when a unit starts here: every message but a tool result that belongs to the assistant message before it. */
  readonly unitStart: boolean;
}

/** Per-entry bookkeeping bytes added to the UTF-16 size of the strings held. */
export const ENTRY_OVERHEAD_BYTES = 96;

export function entryBytes(message: Message, view: Message): number {
  let b = ENTRY_OVERHEAD_BYTES + 2 * (message.content.length + (message.name?.length ?? 0) + (message.id?.length ?? 0));
  if (view !== message) b += 2 * view.content.length + 32;
  return b;
}

/** Marker appended to truncated content. */
export function truncationMarker(removedTokens: number): string {
  return ` … [truncated ${removedTokens} tokens]`;
}

/**
 * `message` if its framed tokens fit `cap`, else a copy whose content is the longest token
 * prefix that fits together with the truncation marker (or without the marker when even
 * that does not fit). Throws ContextWindowError when the framing alone exceeds `cap`.
 *
 * The content is encoded once; a prefix that overshoots the cap by `d` tokens makes the
 * next try `d` tokens shorter, and a fitting try is followed by longer ones while they fit
 * (so the result is the same as scanning down one token at a time, in ~2 tries).
 */
export function truncateToTokens(counter: TokenCounter, message: Message, cap: number): { view: Message; tokens: number } {
  const total = counter.messageTokens(message);
  if (total <= cap) return { view: message, tokens: total };
  const frame = counter.frameTokens(message);
  if (frame > cap) {
    throw new ContextWindowError(`a ${message.role} message needs ${frame} framing tokens, more than the per-message cap of ${cap}`);
  }
  const contentTokens = total - frame;
  const encoded = counter.encode(message.content);
  let fitted: { view: Message; tokens: number } | undefined;
  let failedFrom = cap - frame + 1; // the smallest room tried that did not fit
  let room = cap - frame;
  while (room >= 0 && room < failedFrom) {
    const head = counter.headOf(message.content, encoded, room);
    const headTokens = counter.count(head);
    const marker = truncationMarker(contentTokens - headTokens);
    const withMarker = { ...message, content: head + marker };
    const t = counter.messageTokens(withMarker);
    if (t <= cap) {
      fitted = { view: withMarker, tokens: t };
      room++; // a longer head may fit too
      continue;
    }
    if (fitted) break;
    failedFrom = room;
    if (frame + counter.count(marker) > cap) break; // the marker itself does not fit: cut without it
    room -= Math.max(1, t - cap);
  }
  if (fitted) return fitted;
  const bare = { ...message, content: counter.headOf(message.content, encoded, cap - frame) };
  return { view: bare, tokens: counter.messageTokens(bare) };
}

export interface SlidePlan {
  /** Index into the old tail of the first retained entry (tail.length when none is retained); always a unit start. */
  readonly keepFrom: number;
  /** Tokens of the retained tail `tail[keepFrom..]` as shown before any condensing. */
  readonly retainedTokens: number;
  /** The anchor of the new window. */
  readonly anchor: Entry | undefined;
  /** True when fewer than the overlap target was kept because the target did not fit with the incoming message. */
  readonly shortened: boolean;
  /** Index of the head of the incoming message's unit in the old tail (tail.length when the incoming message starts a unit). */
  readonly unitFrom: number;
  /**
   * False when even the incoming message's own unit (`tail[unitFrom..]` + incoming) does not fit
   * next to its anchor: the caller must condense it (`condenseUnit`) or, failing that, fold it.
   */
  readonly fits: boolean;
}

/**
 * Plans the slide triggered by `incoming` not fitting. The old tail starts on a unit start.
 *
 * 0. Unit: when `incoming` is a tool result, the head of its unit and everything after it
 *    (`tail[unitFrom..]`) must stay: it is never given up.
 * 1. Overlap: the shortest unit-aligned suffix of the old tail holding at least `overlap`
 *    tokens (the whole tail if it holds fewer), extended to `unitFrom` if it is shorter:
 *    `keepFrom` is the largest unit start with tokens(tail[keepFrom..]) ≥ overlap.
 * 2. Turn alignment: if the new first message (tail[keepFrom], or `incoming` when nothing
 *    is kept) is not a user message, the user message opening its turn becomes the anchor.
 * 3. Fit: while anchor + retained + incoming exceeds `capacity`, the oldest retained unit
 *    is given up (recomputing the anchor), down to the incoming message's own unit. With
 *    every view ≤ capacity/2 a unit of one message always fits next to its anchor; a longer
 *    unit may not (`fits: false`).
 */
export function planSlide(tail: Deque<Entry>, incoming: Entry, capacity: number, overlap: number): SlidePlan {
  let unitFrom = tail.length;
  if (!incoming.unitStart) {
    while (unitFrom > 0) {
      unitFrom--;
      if ((tail.at(unitFrom) as Entry).unitStart) break;
    }
  }
  let keepFrom = tail.length;
  let retained = 0;
  while (keepFrom > 0 && (retained < overlap || keepFrom > unitFrom || (keepFrom < tail.length && !(tail.at(keepFrom) as Entry).unitStart))) {
    keepFrom--;
    retained += (tail.at(keepFrom) as Entry).tokens;
  }
  let shortened = false;
  for (;;) {
    const first = keepFrom < tail.length ? (tail.at(keepFrom) as Entry) : incoming;
    const anchor = first.message.role === 'user' ? undefined : first.turn;
    const need = (anchor?.tokens ?? 0) + retained + incoming.tokens;
    if (need <= capacity || keepFrom >= unitFrom) {
      if (need > capacity && unitFrom >= tail.length) throw new Error(`internal: slide cannot fit (${need} > ${capacity})`);
      return { keepFrom, retainedTokens: retained, anchor, shortened, unitFrom, fits: need <= capacity };
    }
    do {
      retained -= (tail.at(keepFrom) as Entry).tokens;
      keepFrom++;
    } while (keepFrom < unitFrom && !(tail.at(keepFrom) as Entry).unitStart);
    shortened = true;
  }
}

/**
 * Views of a unit's messages that fit `room` tokens together, each shown whole or truncated
 * to one common level (water-filling: the largest level L ≤ `cap` with
 * Σ min(tokens(message), L) ≤ room, so short messages stay whole and the long ones are cut
 * evenly). Undefined when that level is below a message's framing (too many messages to
 * frame in `room`): the unit cannot be shown and is folded instead.
 */
export function condenseUnit(counter: TokenCounter, messages: readonly Message[], room: number, cap: number): { view: Message; tokens: number }[] | undefined {
  const full = messages.map((m) => counter.messageTokens(m));
  const sorted = [...full].sort((a, b) => a - b);
  let level = cap;
  let below = 0;
  for (let i = 0; i < sorted.length; i++) {
    const f = sorted[i] as number;
    const rest = sorted.length - i;
    if (below + rest * f > room) {
      level = Math.min(level, Math.floor((room - below) / rest));
      break;
    }
    below += f;
  }
  const out: { view: Message; tokens: number }[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message;
    const t = full[i] as number;
    if (t <= level) out.push({ view: m, tokens: t });
    else if (counter.frameTokens(m) > level) return undefined;
    else out.push(truncateToTokens(counter, m, level));
  }
  return out;
}
