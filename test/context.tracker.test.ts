import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeChat } from 'gpt-tokenizer/encoding/o200k_base';
import { ContextExpiredError, ContextWindowError, FoldError, MemoryOverflowError } from '../host/context/errors.js';
import type { FoldedMessage, FoldInfo } from '../host/context/fold.js';
import type { Message } from '../host/context/messages.js';
import { ContextTracker, type AppendResult } from '../host/context/tracker.js';
import { TokenCounter } from '../host/context/tokens.js';
import { conversationArb, syntheticConversation, wordsArb } from './support/contextConversations.js';
import { truncateToTokens } from '../host/context/window.js';

let counter: TokenCounter;
beforeAll(async () => {
  counter = await TokenCounter.create({ encoding: 'o200k_base' });
});

interface Harness {
  tracker: ContextTracker;
  folds: { messages: readonly FoldedMessage[]; info: FoldInfo }[];
  clock: { t: number };
}

function harness(config: ConstructorParameters<typeof ContextTracker>[0]['config'], extra: Partial<ConstructorParameters<typeof ContextTracker>[0]> = {}): Harness {
  const folds: Harness['folds'] = [];
  const clock = { t: 1_000_000 };
  const tracker = new ContextTracker({
    counter,
    config,
    now: () => clock.t,
    fold: async (messages, info) => {
      folds.push({ messages, info });
    },
    ...extra,
  });
  return { tracker, folds, clock };
}

/** seq q starts a unit unless it is a tool result whose nearest preceding non-tool message is an assistant message. */
function unitStarts(conv: readonly Message[]): boolean[] {
  let callOpen = false;
  return conv.map((m) => {
    if (m.role !== 'tool') {
      callOpen = m.role === 'assistant';
      return true;
    }
    return !callOpen;
  });
}

type RefSlide = { kind: 'fit'; kept: number; anchorSeq: number | undefined } | { kind: 'unit-too-large'; kept: number; anchorSeq: number | undefined };

/**
 * Independent reference of a slide: how many of the old tail's messages (from the end) are
 * kept, and the anchor. Cuts only at unit starts; never gives up the incoming message's unit.
 */
function referenceSlide(
  prevTail: { seq: number; tokens: number; role: string }[],
  incoming: { seq: number; tokens: number; role: string },
  capacity: number,
  overlap: number,
  turnOf: (seq: number) => number | undefined,
  viewTokens: (seq: number) => number,
  isUnitStart: (seq: number) => boolean,
): RefSlide {
  const n = prevTail.length;
  const suffix = (k: number) => prevTail.slice(n - k).reduce((a, e) => a + e.tokens, 0);
  // Candidate cuts: k messages kept, k = 0 or the first kept message starts a unit.
  const cuts = [0, ...Array.from({ length: n }, (_, i) => i + 1).filter((k) => isUnitStart(prevTail[n - k]!.seq))];
  // The incoming message's own unit: everything from its head on must stay.
  let must = 0;
  if (!isUnitStart(incoming.seq)) must = Math.min(...cuts.filter((k) => k > 0));
  const allowed = cuts.filter((k) => k >= must);
  let k = allowed.find((c) => suffix(c) >= overlap) ?? allowed[allowed.length - 1]!;
  const anchorFor = (c: number) => {
    const first = c > 0 ? prevTail[n - c]! : incoming;
    return first.role === 'user' ? undefined : turnOf(first.seq);
  };
  for (; k >= must; k = allowed.filter((c) => c < k).pop() ?? -1) {
    const anchorSeq = anchorFor(k);
    const need = (anchorSeq === undefined ? 0 : viewTokens(anchorSeq)) + suffix(k) + incoming.tokens;
    if (need <= capacity) return { kind: 'fit', kept: k, anchorSeq };
  }
  if (must === 0) throw new Error('reference: nothing fits');
  return { kind: 'unit-too-large', kept: must, anchorSeq: anchorFor(must) };
}

/** What the random runs exercised, so the property cannot pass vacuously. */
const seen = { slides: 0, anchored: 0, shortened: 0, truncated: 0, refusedSystem: 0, toolSlides: 0, condensed: 0, spilled: 0, spilledLater: 0 };

/**
 * The pairing rule, checked on the rendered window alone: a tool result is shown only right
 * after the message it follows in the conversation, back to the assistant message that
 * requested it; an assistant message (or a result) is shown only followed by the results
 * appended after it so far.
 */
function expectPairing(conv: readonly Message[], seqs: readonly number[], latest: number): void {
  const starts = unitStarts(conv);
  seqs.forEach((q, i) => {
    if (!starts[q]) {
      expect(seqs[i - 1], `tool result ${q} shown without the message before it`).toBe(q - 1);
      let a = q;
      while (conv[a]!.role === 'tool') a--;
      expect(conv[a]!.role).toBe('assistant');
      expect(seqs).toContain(a);
    }
    if (q + 1 <= latest && !starts[q + 1]) expect(seqs[i + 1], `message ${q} shown without its result ${q + 1}`).toBe(q + 1);
  });
}

/** Streams `conv` into a fresh session and checks every invariant after every append. */
async function checkConversation(conv: Message[], budget: number, overlap: number, system: string | undefined): Promise<void> {
  const { tracker, folds } = harness({ maxContextLength: budget, contextOverlap: overlap });
  let opened: { capacity: number; messageCap: number };
  try {
    opened = tracker.open('s', system === undefined ? {} : { systemPrompt: system });
  } catch (e) {
    // Only a system prompt that leaves no room may be refused.
    expect(e).toBeInstanceOf(ContextWindowError);
    seen.refusedSystem++;
    expect(counter.messageTokens({ role: 'system', content: system ?? '' }) + 3 + 32).toBeGreaterThan(budget);
    return;
  }
  const starts = unitStarts(conv);
  const sysOffset = system === undefined ? 0 : 1;
  /** Tokens each message is shown with in the latest window. */
  const viewTok = new Map<number, number>();
  const turnOf = (seq: number): number | undefined => {
    for (let i = seq; i >= 0; i--) if (conv[i]?.role === 'user') return i;
    return undefined;
  };
  let spilling = false;
  let prev = tracker.window('s');
  conv.forEach((m, seq) => {
    const r: AppendResult = tracker.append('s', m);
    expect(r.seq).toBe(seq);
    const w = tracker.window('s');
    const baseTokens = truncateToTokens(counter, m, opened.messageCap).tokens;

    // Budget: never exceeded, and equal to an independent ChatML encoding of the rendered window.
    expect(w.tokens).toBeLessThanOrEqual(budget);
    const rendered = w.messages.reduce((a, x) => a + counter.messageTokens(x), 0) + 3;
    expect(w.tokens).toBe(rendered);
    // System prompt first, always.
    if (system !== undefined) expect(w.messages[0]).toEqual({ role: 'system', content: system });
    else expect(w.messages.every((x) => x.role !== 'system')).toBe(true);
    // Every message is shown whole or as a truncated prefix of itself.
    w.seqs.forEach((q, i) => {
      const shown = w.messages[i + sysOffset]!;
      if (shown.content !== conv[q]!.content) expect(conv[q]!.content.startsWith(shown.content.replace(/ … \[truncated \d+ tokens\]$/, ''))).toBe(true);
    });
    // Tool results never apart from the assistant message that requested them.
    expectPairing(conv, w.seqs, seq);
    // Starts on a user turn unless no user message precedes the window.
    const firstSeq = w.seqs[0];
    if (firstSeq !== undefined && turnOf(firstSeq) !== undefined) expect(conv[firstSeq]!.role).toBe('user');
    // Window = [anchor] + contiguous run ending at the latest message (or at nothing, while a unit is spilled).
    const tail = w.anchored ? w.seqs.slice(1) : w.seqs;
    if (m.role !== 'tool') spilling = false;
    if (spilling) {
      // A further result of a spilled unit: folded at once, the window is unchanged.
      seen.spilledLater++;
      expect(r.spilled).toBe(true);
      expect(r.slide).toMatchObject({ spilled: true, foldedSeqs: [seq], retainedSeqs: tail, condensedSeqs: [] });
      expect(w.seqs).toEqual(prev.seqs);
      prev = w;
      return;
    }
    if (r.slide?.spilled) expect(tail).toEqual([]);
    else {
      expect(r.spilled).toBeUndefined();
      expect(tail[tail.length - 1]).toBe(seq);
      tail.forEach((s, i) => expect(s).toBe(tail[0]! + i));
    }

    const prevTail = (prev.anchored ? prev.seqs.slice(1) : prev.seqs).map((s) => ({ seq: s, tokens: viewTok.get(s)!, role: conv[s]!.role }));
    const prevAnchor = prev.anchored ? prev.seqs[0] : undefined;
    if (r.truncated) seen.truncated++;
    if (w.anchored) seen.anchored++;
    if (r.slide) {
      seen.slides++;
      if (m.role === 'tool') seen.toolSlides++;
      if (r.slide.shortened) seen.shortened++;
      // Overlap, exactly as defined: compare with the reference.
      const ref = referenceSlide(
        prevTail,
        { seq, tokens: baseTokens, role: m.role },
        opened.capacity,
        overlap,
        turnOf,
        (s) => viewTok.get(s)!,
        (s) => starts[s]!,
      );
      expect(r.slide.anchorSeq).toBe(ref.anchorSeq);
      const keptSeqs = prevTail.slice(prevTail.length - ref.kept).map((e) => e.seq);
      let leftSeqs = prevTail.slice(0, prevTail.length - ref.kept).map((e) => e.seq);
      if (ref.kind === 'fit') {
        expect(r.slide.spilled).toBe(false);
        expect(r.slide.condensedSeqs).toEqual([]);
        expect(r.slide.retainedSeqs).toEqual(keptSeqs);
        expect(r.slide.retainedTokens).toBe(prevTail.slice(prevTail.length - ref.kept).reduce((a, e) => a + e.tokens, 0));
        if (!r.slide.shortened) {
          const prevTokens = prevTail.reduce((a, e) => a + e.tokens, 0);
          expect(r.slide.retainedTokens).toBeGreaterThanOrEqual(Math.min(overlap, prevTokens));
          // Shortest: dropping the first kept unit would leave fewer than the overlap (unless that unit had to stay).
          const firstUnit = keptSeqs.findIndex((q, i) => i > 0 && starts[q]);
          if (ref.kept > 0 && firstUnit > 0 && overlap > 0) {
            expect(keptSeqs.slice(firstUnit).reduce((a, q) => a + viewTok.get(q)!, 0)).toBeLessThan(overlap);
          }
        }
      } else {
        // The incoming result's unit alone does not fit next to its anchor: condensed, or spilled.
        const unit = [...keptSeqs, seq];
        expect(conv[unit[0]!]!.role).toBe('assistant');
        expect(r.slide.shortened).toBe(true);
        const room = opened.capacity - (ref.anchorSeq === undefined ? 0 : viewTok.get(ref.anchorSeq)!);
        if (r.slide.spilled) {
          seen.spilled++;
          spilling = true;
          // Spilled only when the unit has too many messages to frame in the room.
          const maxFrame = Math.max(...unit.map((q) => counter.frameTokens(conv[q]!)));
          expect(unit.length * maxFrame).toBeGreaterThan(room);
          expect(r.spilled).toBe(true);
          expect(r.slide.retainedSeqs).toEqual([]);
          leftSeqs = [...leftSeqs, ...keptSeqs, seq];
        } else {
          seen.condensed++;
          expect(r.slide.retainedSeqs).toEqual(keptSeqs);
          expect(tail).toEqual(unit);
          // Water-filled: messages shown whole are no longer than any message shown cut.
          const full = (q: number) => counter.messageTokens(conv[q]!);
          const shownTok = (q: number) => counter.messageTokens(w.messages[w.seqs.indexOf(q) + sysOffset]!);
          const whole = unit.filter((q) => shownTok(q) === full(q)).map(full);
          const cut = unit.filter((q) => shownTok(q) < full(q)).map(full);
          if (whole.length > 0 && cut.length > 0) expect(Math.max(...whole)).toBeLessThanOrEqual(Math.min(...cut));
          expect(unit.reduce((a, q) => a + shownTok(q), 0)).toBeLessThanOrEqual(room);
          expect(r.slide.condensedSeqs.length).toBeGreaterThan(0);
        }
      }
      // Folded: exactly what left (old tail before the kept part, old anchor), minus the new anchor.
      const left = [...(prevAnchor !== undefined ? [prevAnchor] : []), ...leftSeqs].filter((s) => s !== ref.anchorSeq);
      expect(r.slide.foldedSeqs).toEqual(left);
    } else {
      // No slide: the new window is the old one plus the message.
      expect(w.seqs).toEqual([...prev.seqs, seq]);
    }
    viewTok.clear();
    w.seqs.forEach((q, i) => viewTok.set(q, counter.messageTokens(w.messages[i + sysOffset]!)));
    prev = w;
  });
  // Every message is either folded (exactly once, whole) or in the window.
  await tracker.flush();
  const folded = folds.flatMap((f) => f.messages);
  const all = [...folded.map((f) => f.seq), ...tracker.window('s').seqs].sort((a, b) => a - b);
  expect(all).toEqual(conv.map((_, i) => i));
  for (const f of folded) expect(f.message).toEqual(conv[f.seq]);
}

/** Well-formed agent conversations: user turns with tool loops (an assistant call, then 1–12 results). */
const toolConversationArb = (maxTurns = 8): fc.Arbitrary<Message[]> => {
  const result = fc.oneof({ weight: 6, arbitrary: wordsArb(40, 'medium') }, { weight: 1, arbitrary: wordsArb(600, 'max') });
  const loop = fc.record({
    call: wordsArb(20),
    results: fc.oneof({ weight: 4, arbitrary: fc.array(result, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: fc.array(result, { minLength: 4, maxLength: 16 }) }),
  });
  const turn = fc.record({ user: wordsArb(30), loops: fc.array(loop, { maxLength: 3 }), answer: fc.option(wordsArb(40), { nil: undefined }) });
  return fc.array(turn, { minLength: 1, maxLength: maxTurns }).map((turns) =>
    turns.flatMap((t): Message[] => [
      { role: 'user', content: t.user },
      ...t.loops.flatMap((l): Message[] => [{ role: 'assistant', content: l.call }, ...l.results.map((c): Message => ({ role: 'tool', content: c }))]),
      ...(t.answer === undefined ? [] : [{ role: 'assistant' as const, content: t.answer }]),
    ]),
  );
};

/** checkConversation over random conversations from `conversations`, budgets, overlaps and system prompts. */
async function checkRandomConversations(conversations: fc.Arbitrary<Parameters<typeof checkConversation>[0]>, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      conversations,
      fc.integer({ min: 64, max: 1500 }),
      fc.integer({ min: 0, max: 400 }),
      fc.option(fc.constantFrom('You are a helpful agent.', 'Be brief. '.repeat(30)), { nil: undefined }),
      async (conv, budget, overlapRaw, system) => {
        const overlap = Math.min(overlapRaw, budget - 1);
        await checkConversation(conv, budget, overlap, system);
      },
    ),
    { numRuns, endOnFailure: true },
  );
}

describe('ContextTracker: windows over random conversations', () => {
  it('never exceeds the budget, keeps the exact overlap, the system prompt and turn alignment, folds what slides out', async () => {
    await checkRandomConversations(conversationArb(70), 120);
    expect(seen.slides).toBeGreaterThan(0);
    expect(seen.anchored).toBeGreaterThan(0);
    expect(seen.shortened).toBeGreaterThan(0);
    expect(seen.slides - seen.shortened).toBeGreaterThan(0);
    expect(seen.truncated).toBeGreaterThan(0);
  });

  it('never separates a tool result from the assistant message that requested it, over random tool loops and budgets', async () => {
    const before = { ...seen };
    await checkRandomConversations(toolConversationArb(8), 150);
    // Slides at a tool result, condensed units and spilled units all happened.
    expect(seen.toolSlides - before.toolSlides).toBeGreaterThan(0);
    expect(seen.condensed - before.condensed).toBeGreaterThan(0);
    expect(seen.spilled - before.spilled).toBeGreaterThan(0);
    expect(seen.spilledLater - before.spilledLater).toBeGreaterThan(0);
  });

  it('holds the invariants for the spec defaults (4096 / 128) over a long synthetic conversation', async () => {
    await checkConversation(syntheticConversation(1500, 7), 4096, 128, 'You are janela, a memory for agents.');
  });
});

describe('ContextTracker: overlap', () => {
  it('keeps exactly the shortest message-aligned tail of at least contextOverlap tokens', () => {
    const { tracker } = harness({ maxContextLength: 400, contextOverlap: 128 });
    const { capacity } = tracker.open('o');
    // User messages of identical size, so the expected figures follow from one count.
    const msg: Message = { role: 'user', content: 'alpha beta gamma delta epsilon zeta eta theta iota kappa' };
    const each = counter.messageTokens(msg);
    const perWindow = Math.floor(capacity / each);
    let slide: AppendResult['slide'];
    for (let i = 0; i <= perWindow; i++) slide = tracker.append('o', msg).slide ?? slide;
    expect(slide).toBeDefined();
    const kept = Math.ceil(128 / each);
    expect(slide!.retainedTokens).toBe(kept * each);
    expect(slide!.retainedSeqs).toEqual([...Array.from({ length: kept }, (_, i) => perWindow - kept + i)]);
    expect(slide!.foldedSeqs).toEqual(Array.from({ length: perWindow - kept }, (_, i) => i));
    expect(slide!.shortened).toBe(false);
  });

  it('with contextOverlap 0 starts the new window with the incoming message alone', () => {
    const { tracker } = harness({ maxContextLength: 200, contextOverlap: 0 });
    tracker.open('z');
    let r: AppendResult | undefined;
    for (let i = 0; i < 40 && !r?.slide; i++) r = tracker.append('z', { role: 'user', content: `question ${i} about memory windows` });
    expect(r!.slide!.retainedTokens).toBe(0);
    expect(tracker.window('z').seqs).toEqual([r!.seq]);
  });

  it('pins the user message of the current turn when the tail would start on a tool result', () => {
    const { tracker } = harness({ maxContextLength: 300, contextOverlap: 40 });
    tracker.open('t', { systemPrompt: 'sys' });
    tracker.append('t', { role: 'user', content: 'find the budget figures' });
    let r: AppendResult | undefined;
    for (let i = 0; i < 30 && !r?.slide; i++) r = tracker.append('t', { role: 'tool', content: `result ${i}: ` + 'data '.repeat(12) });
    const w = tracker.window('t');
    expect(w.anchored).toBe(true);
    expect(w.messages[1]).toEqual({ role: 'user', content: 'find the budget figures' });
    expect(w.seqs[0]).toBe(0);
    expect(r!.slide!.foldedSeqs).not.toContain(0);
  });
});

describe('ContextTracker: tool calls and their results', () => {
  const words = (n: number, w = 'data') => `${w} `.repeat(n).trim();

  it('never starts a window on a tool result: a slide inside a tool loop keeps the assistant call with all its results', () => {
    for (const overlap of [0, 40, 120]) {
      const { tracker } = harness({ maxContextLength: 300, contextOverlap: overlap });
      tracker.open('t', { systemPrompt: 'sys' });
      const conv: Message[] = [{ role: 'user', content: 'find the budget figures' }];
      for (let i = 0; i < 6; i++) {
        conv.push({ role: 'assistant', content: `calling search ${i}` });
        for (let k = 0; k < 3; k++) conv.push({ role: 'tool', content: `result ${i}.${k}: ` + words(15 + 10 * k) });
      }
      let toolSlides = 0;
      conv.forEach((m, seq) => {
        const r = tracker.append('t', m);
        const w = tracker.window('t');
        expectPairing(conv, w.seqs, seq);
        expect(w.tokens).toBeLessThanOrEqual(300);
        const tail = w.anchored ? w.seqs.slice(1) : w.seqs;
        expect(conv[tail[0]!]!.role).not.toBe('tool');
        if (r.slide && m.role === 'tool') {
          toolSlides++;
          // The retained part starts on the assistant message that made the call; the question is the anchor.
          expect(conv[r.slide.retainedSeqs[0]!]!.role).toBe('assistant');
          expect(r.slide.anchorSeq).toBe(0);
          expect(w.messages[1]).toEqual({ role: 'user', content: 'find the budget figures' });
        }
      });
      expect(toolSlides).toBeGreaterThan(0);
    }
  });

  it('extends the overlap back to the assistant call when the shortest tail would start on one of its results', () => {
    const { tracker } = harness({ maxContextLength: 400, contextOverlap: 30 });
    tracker.open('o');
    const conv: Message[] = [
      { role: 'user', content: words(100, 'earlier') },
      { role: 'assistant', content: words(100, 'answer') },
      { role: 'user', content: 'question' },
      { role: 'assistant', content: 'calling a tool' },
      { role: 'tool', content: words(120) },
      { role: 'tool', content: words(20) },
    ];
    for (const m of conv) expect(tracker.append('o', m).slide).toBeUndefined();
    // Message-aligned, the shortest tail of ≥ 30 tokens would be the two results; they go with their call.
    const t = (i: number) => counter.messageTokens(conv[i]!);
    expect(t(5)).toBeLessThan(30);
    const r = tracker.append('o', { role: 'user', content: words(150, 'next') });
    expect(r.slide).toMatchObject({ retainedSeqs: [3, 4, 5], retainedTokens: t(3) + t(4) + t(5), anchorSeq: 2, foldedSeqs: [0, 1], shortened: false, spilled: false });
    expect(tracker.window('o').seqs).toEqual([2, 3, 4, 5, 6]);
  });

  it('condenses a tool-call unit larger than the room: every result is shown, cut to one common level, and folded whole', async () => {
    const h = harness({ maxContextLength: 300, contextOverlap: 16 });
    const { capacity } = h.tracker.open('c');
    const conv: Message[] = [
      { role: 'user', content: 'q?' },
      { role: 'assistant', content: 'calling three tools' },
      { role: 'tool', content: words(140, 'alpha') },
      { role: 'tool', content: words(140, 'beta') },
      { role: 'tool', content: words(140, 'gamma') },
    ];
    let last: AppendResult | undefined;
    conv.forEach((m, seq) => {
      last = h.tracker.append('c', m);
      const w = h.tracker.window('c');
      expect(w.seqs).toEqual(conv.slice(0, seq + 1).map((_, i) => i)); // nothing is given up
      expect(w.tokens).toBeLessThanOrEqual(300);
    });
    expect(last!.slide).toMatchObject({ retainedSeqs: [1, 2, 3], condensedSeqs: [2, 3, 4], spilled: false, shortened: true, foldedSeqs: [] });
    expect(last!.truncated).toBe(true);
    const w = h.tracker.window('c');
    const shown = w.messages.slice(2).map((m) => counter.messageTokens(m));
    for (const m of w.messages.slice(2)) expect(m.content).toMatch(/… \[truncated \d+ tokens\]$/);
    expect(Math.max(...shown) - Math.min(...shown)).toBeLessThanOrEqual(8); // one common level (less the marker's rounding)
    expect(counter.messageTokens(w.messages[0]!) + counter.messageTokens(w.messages[1]!) + shown.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(capacity);
    // The answer after the loop; later the whole unit slides out and is folded whole.
    h.tracker.append('c', { role: 'assistant', content: 'here are the figures' });
    h.tracker.append('c', { role: 'user', content: words(140, 'more') });
    h.tracker.close('c');
    await h.tracker.flush();
    const folded = h.folds.flatMap((f) => f.messages).filter((f) => f.seq < 5);
    expect(folded.sort((a, b) => a.seq - b.seq).map((f) => f.message)).toEqual(conv); // an anchor is folded when it stops being one
  });

  it('spills a unit with more results than the window can even frame: folded whole, the question stays, later results fold on arrival', async () => {
    const h = harness({ maxContextLength: 64, contextOverlap: 8 });
    h.tracker.open('sp');
    const conv: Message[] = [{ role: 'user', content: 'q?' }, { role: 'assistant', content: 'calling' }];
    for (let i = 0; i < 24; i++) conv.push({ role: 'tool', content: 'ok' });
    conv.push({ role: 'assistant', content: 'done' });
    let spilledAt: number | undefined;
    conv.forEach((m, seq) => {
      const r = h.tracker.append('sp', m);
      const w = h.tracker.window('sp');
      expectPairing(conv, w.seqs, seq);
      expect(w.tokens).toBeLessThanOrEqual(64);
      if (r.slide?.spilled && spilledAt === undefined) {
        spilledAt = seq;
        expect(r.spilled).toBe(true);
        expect(r.slide.foldedSeqs).toEqual(Array.from({ length: seq }, (_, i) => i + 1)); // the call and every result so far
        expect(r.slide.anchorSeq).toBe(0);
      }
      if (spilledAt !== undefined && seq > spilledAt && m.role === 'tool') {
        expect(r.spilled).toBe(true);
        expect(r.slide).toMatchObject({ spilled: true, foldedSeqs: [seq], retainedSeqs: [], anchorSeq: 0 });
      }
      if (spilledAt !== undefined && m.role === 'tool') expect(w.seqs).toEqual([0]); // just the question
    });
    expect(spilledAt).toBeGreaterThan(2);
    expect(h.tracker.window('sp').seqs).toEqual([0, conv.length - 1]); // the question, then the answer after the loop
    await h.tracker.flush();
    const folded = h.folds.flatMap((f) => f.messages);
    expect(folded.map((f) => f.seq)).toEqual(Array.from({ length: conv.length - 2 }, (_, i) => i + 1));
    for (const f of folded) expect(f.message).toEqual(conv[f.seq]);
  });

  it('a tool message after a user message (no assistant call) is a unit of its own, shown behind its user anchor as before', () => {
    const { tracker } = harness({ maxContextLength: 200, contextOverlap: 20 });
    tracker.open('u');
    tracker.append('u', { role: 'user', content: 'run it' });
    let r: AppendResult | undefined;
    for (let i = 0; i < 30 && !r?.slide; i++) r = tracker.append('u', { role: 'tool', content: `out ${i} ` + words(10) });
    expect(r!.slide!.condensedSeqs).toEqual([]);
    expect(r!.slide!.spilled).toBe(false);
    const w = tracker.window('u');
    expect(w.anchored).toBe(true);
    expect(w.seqs[0]).toBe(0);
    expect(w.seqs[1]).toBeGreaterThan(1);
  });
});

describe('ContextTracker: framing, truncation, input', () => {
  it('counts a window exactly as gpt-tokenizer encodes the same chat', () => {
    const { tracker } = harness({});
    tracker.open('f', { systemPrompt: 'You are terse.' });
    for (const m of syntheticConversation(12, 3)) tracker.append('f', m);
    tracker.append('f', { role: 'user', name: 'ana', content: 'hello <|endoftext|> there' });
    const w = tracker.window('f');
    const chat = w.messages.map((m) => ({ role: m.role as 'user', ...(m.name ? { name: m.name } : {}), content: m.content.replace(/<\|endoftext\|>/g, 'X') }));
    // encodeChat treats <|endoftext|> in content as a special token; we count it as text, so compare on a neutral stand-in.
    const neutral = w.messages.reduce((a, m) => a + counter.messageTokens({ ...m, content: m.content.replace(/<\|endoftext\|>/g, 'X') }), 0) + 3;
    expect(encodeChat(chat, 'gpt-4o').length).toBe(neutral);
  });

  it('shows an oversized message truncated to half the room and folds it whole', async () => {
    const h = harness({ maxContextLength: 256, contextOverlap: 16 });
    const { messageCap } = h.tracker.open('big');
    const big: Message = { role: 'user', content: 'lorem ipsum dolor sit amet '.repeat(200) };
    const r = h.tracker.append('big', big);
    expect(r.truncated).toBe(true);
    const w = h.tracker.window('big');
    const view = w.messages[0]!;
    expect(counter.messageTokens(view)).toBeLessThanOrEqual(messageCap);
    expect(view.content).toMatch(/… \[truncated \d+ tokens\]$/);
    expect(big.content.startsWith(view.content.replace(/ … \[truncated \d+ tokens\]$/, ''))).toBe(true);
    h.tracker.append('big', { role: 'user', content: 'next' });
    h.tracker.append('big', { role: 'user', content: 'lorem '.repeat(400) });
    await h.tracker.flush();
    expect(h.folds.flatMap((f) => f.messages).find((f) => f.seq === 0)?.message).toEqual(big);
  });

  it('rejects bad input with ContextWindowError and leaves the window as it was', () => {
    const { tracker } = harness({});
    tracker.open('v');
    tracker.append('v', { role: 'user', content: 'kept' });
    const before = tracker.window('v');
    expect(() => tracker.append('v', { role: 'system', content: 'x' } as never)).toThrow(ContextWindowError);
    expect(() => tracker.append('v', { role: 'user', content: 5 } as never)).toThrow(ContextWindowError);
    expect(() => tracker.append('../etc', { role: 'user', content: 'x' })).toThrow(ContextWindowError);
    expect(() => tracker.append('nope', { role: 'user', content: 'x' })).toThrow(ContextWindowError);
    expect(tracker.window('v')).toEqual(before);
    expect(() => new ContextTracker({ counter, config: { maxContextLength: 100, contextOverlap: 100 } })).toThrow(ContextWindowError);
    expect(() => tracker.open('w', { systemPrompt: 'long prompt '.repeat(5000) })).toThrow(ContextWindowError);
    expect(tracker.has('w')).toBe(false);
  });

  it('applies the transform (e.g. redaction) before windows and folds see the content', async () => {
    const h = harness({ maxContextLength: 128, contextOverlap: 0 }, { transform: (s) => s.replaceAll('secret', '[X]') });
    h.tracker.open('r');
    for (let i = 0; i < 20; i++) h.tracker.append('r', { role: 'user', content: `the secret is ${i}` });
    await h.tracker.flush();
    const seen = [...h.folds.flatMap((f) => f.messages.map((m) => m.message.content)), ...h.tracker.window('r').messages.map((m) => m.content)];
    expect(seen.length).toBe(20);
    expect(seen.some((c) => c.includes('secret'))).toBe(false);
  });
});

describe('ContextTracker: expiry and folding', () => {
  it('expires a session after expiryTime of inactivity and folds what it held', async () => {
    const h = harness({ expiryTime: 3600 });
    h.tracker.open('e', { systemPrompt: 'sys' });
    h.tracker.append('e', { role: 'user', content: 'hi' });
    h.tracker.append('e', { role: 'assistant', content: 'hello' });
    h.clock.t += 3600 * 1000; // exactly expiryTime: still alive
    expect(h.tracker.sweep()).toEqual([]);
    h.tracker.append('e', { role: 'user', content: 'still here' });
    h.clock.t += 3600 * 1000 + 1;
    expect(() => h.tracker.append('e', { role: 'user', content: 'late' })).toThrow(ContextExpiredError);
    expect(h.tracker.has('e')).toBe(false);
    await h.tracker.flush();
    const last = h.folds[h.folds.length - 1]!;
    expect(last.info).toEqual({ sessionId: 'e', reason: 'expired' });
    expect(last.messages.map((m) => m.message.content)).toEqual(['hi', 'hello', 'still here']);
    h.tracker.open('e');
    expect(h.tracker.window('e').messages).toEqual([]);
  });

  it('sweep expires only the idle sessions', () => {
    const h = harness({ expiryTime: 10 });
    h.tracker.open('a');
    h.tracker.open('b');
    h.clock.t += 6000;
    h.tracker.append('b', { role: 'user', content: 'x' });
    h.clock.t += 6000;
    expect(h.tracker.sweep()).toEqual(['a']);
    expect(h.tracker.has('b')).toBe(true);
    expect(h.tracker.metrics().sessions).toBe(1);
  });

  it('keeps a failed fold batch and delivers it on retry; backpressure past maxPendingFold', async () => {
    let fail = true;
    const got: number[] = [];
    const tracker = new ContextTracker({
      counter,
      config: { maxContextLength: 128, contextOverlap: 0, maxPendingFold: 3 },
      fold: async (ms) => {
        if (fail) throw new Error('summary store down');
        got.push(...ms.map((m) => m.seq));
      },
    });
    tracker.open('p');
    let appended = 0;
    const overflow = (() => {
      for (let i = 0; i < 200; i++) {
        try {
          tracker.append('p', { role: 'user', content: `message number ${i} with a few words` });
          appended++;
        } catch (e) {
          return e;
        }
      }
      return undefined;
    })();
    expect(overflow).toBeInstanceOf(MemoryOverflowError);
    await expect(tracker.flush()).rejects.toBeInstanceOf(FoldError);
    fail = false;
    await tracker.flush();
    const inWindow = tracker.window('p').seqs;
    expect([...got, ...inWindow].sort((a, b) => a - b)).toEqual(Array.from({ length: appended }, (_, i) => i));
  });

  it('reports metrics: memory used, context size, per-operation duration and memory delta', () => {
    const h = harness({});
    h.tracker.open('m', { systemPrompt: 'sys' });
    h.tracker.append('m', { role: 'user', content: 'hello there' });
    const m = h.tracker.metrics();
    expect(m.sessions).toBe(1);
    expect(m.contextTokens).toBe(h.tracker.window('m').tokens);
    expect(m.memoryUsedBytes).toBeGreaterThan(0);
    const appendOp = m.operations.byOperation['context.append']!;
    expect(appendOp.count).toBe(1);
    expect(appendOp.memoryDeltaBytes).toBeGreaterThan(0);
    const rec = m.operations.recent.find((r) => r.op === 'append')!;
    expect(rec.contextTokens).toBe(m.contextTokens);
    expect(rec.durationMs).toBeGreaterThanOrEqual(0);
    h.tracker.close('m');
    expect(h.tracker.metrics().memoryUsedBytes).toBe(0);
  });
});
