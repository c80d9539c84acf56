/**
 * WindowManager: the pure parts of windowing — truncating one message to a token cap and
 * planning a slide. The ContextTracker keeps the state; these functions decide.
 *
 * A window is `[system prompt] [anchor] tail`, where `tail` is a contiguous run of the
 * conversation ending at its latest message and `anchor` is the user message that opens
 * the turn `tail` starts in, present only when `tail` does not itself start on a user
 * message. See docs/context.md for the overlap definition.
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
  /** What the window shows: `message`, or a copy truncated to the per-message cap. */
  readonly view: Message;
  /** Framed tokens of `view`. */
  readonly tokens: number;
  /** The user message opening this entry's turn (itself for a user message); undefined before the first user message. */
  readonly turn: Entry | undefined;
  /** Estimated bytes held for this entry. */
  readonly bytes: number;
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
 */
export function truncateToTokens(counter: TokenCounter, message: Message, cap: number): { view: Message; tokens: number } {
  const total = counter.messageTokens(message);
  if (total <= cap) return { view: message, tokens: total };
  const frame = counter.frameTokens(message);
  if (frame > cap) {
    throw new ContextWindowError(`a ${message.role} message needs ${frame} framing tokens, more than the per-message cap of ${cap}`);
  }
  const contentTokens = total - frame;
  for (let room = cap - frame; room >= 0; room--) {
    const head = counter.head(message.content, room);
    const headTokens = counter.count(head);
    const marker = truncationMarker(contentTokens - headTokens);
    const withMarker = { ...message, content: head + marker };
    const t = counter.messageTokens(withMarker);
    if (t <= cap) return { view: withMarker, tokens: t };
    if (frame + counter.count(marker) > cap) break; // the marker itself does not fit: cut without it
  }
  const bare = { ...message, content: counter.head(message.content, cap - frame) };
  return { view: bare, tokens: counter.messageTokens(bare) };
}

export interface SlidePlan {
  /** Index into the old tail of the first retained entry (tail.length when none is retained). */
  readonly keepFrom: number;
  /** Tokens of the retained tail `tail[keepFrom..]`: the overlap carried into the new window. */
  readonly retainedTokens: number;
  /** The anchor of the new window. */
  readonly anchor: Entry | undefined;
  /** True when fewer than the overlap target was kept because the target did not fit with the incoming message. */
  readonly shortened: boolean;
}

/**
 * Plans the slide triggered by `incoming` not fitting.
 *
 * 1. Overlap: the shortest suffix of the old tail holding at least `overlap` tokens
 *    (the whole tail if it holds fewer): `keepFrom` is the largest index with
 *    tokens(tail[keepFrom..]) ≥ overlap.
 * 2. Turn alignment: if the new first message (tail[keepFrom], or `incoming` when nothing
 *    is kept) is not a user message, the user message opening its turn becomes the anchor.
 * 3. Fit: while anchor + retained + incoming exceeds `capacity`, the oldest retained entry
 *    is given up (recomputing the anchor). With every view ≤ capacity/2 this ends at the
 *    latest with nothing retained: anchor + incoming ≤ capacity.
 */
export function planSlide(tail: Deque<Entry>, incoming: Entry, capacity: number, overlap: number): SlidePlan {
  let keepFrom = tail.length;
  let retained = 0;
  while (keepFrom > 0 && retained < overlap) {
    keepFrom--;
    retained += (tail.at(keepFrom) as Entry).tokens;
  }
  let shortened = false;
  for (;;) {
    const first = keepFrom < tail.length ? (tail.at(keepFrom) as Entry) : incoming;
    const anchor = first.message.role === 'user' ? undefined : first.turn;
    const need = (anchor?.tokens ?? 0) + retained + incoming.tokens;
    if (need <= capacity || keepFrom >= tail.length) {
      if (need > capacity) throw new Error(`internal: slide cannot fit (${need} > ${capacity})`);
      return { keepFrom, retainedTokens: retained, anchor, shortened };
    }
    retained -= (tail.at(keepFrom) as Entry).tokens;
    keepFrom++;
    shortened = true;
  }
}
