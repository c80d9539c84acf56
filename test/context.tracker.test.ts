import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeChat } from 'gpt-tokenizer/encoding/o200k_base';
import { ContextExpiredError, ContextWindowError, FoldError, MemoryOverflowError } from '../host/context/errors.js';
import type { FoldedMessage, FoldInfo } from '../host/context/fold.js';
import type { Message } from '../host/context/messages.js';
import { ContextTracker, type AppendResult } from '../host/context/tracker.js';
import { TokenCounter } from '../host/context/tokens.js';
import { conversationArb, syntheticConversation } from './support/contextConversations.js';

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

/** Independent reference of a slide: how many of the old tail's messages (from the end) are kept, and the anchor. */
function referenceSlide(
  prevTail: { seq: number; tokens: number; role: string }[],
  incoming: { seq: number; tokens: number; role: string },
  capacity: number,
  overlap: number,
  turnOf: (seq: number) => number | undefined,
  viewTokens: (seq: number) => number,
): { kept: number; anchorSeq: number | undefined } {
  const suffix = (k: number) => prevTail.slice(prevTail.length - k).reduce((a, e) => a + e.tokens, 0);
  let k = 0;
  while (k < prevTail.length && suffix(k) < overlap) k++;
  for (; k >= 0; k--) {
    const first = k > 0 ? (prevTail[prevTail.length - k] as (typeof prevTail)[number]) : incoming;
    const anchorSeq = first.role === 'user' ? undefined : turnOf(first.seq);
    const need = (anchorSeq === undefined ? 0 : viewTokens(anchorSeq)) + suffix(k) + incoming.tokens;
    if (need <= capacity) return { kept: k, anchorSeq };
  }
  throw new Error('reference: nothing fits');
}

/** What the random runs exercised, so the property cannot pass vacuously. */
const seen = { slides: 0, anchored: 0, shortened: 0, truncated: 0, refusedSystem: 0 };

/** Streams `conv` into a fresh session and checks every invariant after every append. */
async function checkConversation(conv: Message[], budget: number, overlap: number, system: string | undefined): Promise<void> {
  const { tracker, folds } = harness({ maxContextLength: budget, contextOverlap: overlap });
  let opened: { capacity: number };
  try {
    opened = tracker.open('s', system === undefined ? {} : { systemPrompt: system });
  } catch (e) {
    // Only a system prompt that leaves no room may be refused.
    expect(e).toBeInstanceOf(ContextWindowError);
    seen.refusedSystem++;
    expect(counter.messageTokens({ role: 'system', content: system ?? '' }) + 3 + 32).toBeGreaterThan(budget);
    return;
  }
  const viewTok = new Map<number, number>();
  const turnOf = (seq: number): number | undefined => {
    for (let i = seq; i >= 0; i--) if (conv[i]?.role === 'user') return i;
    return undefined;
  };
  let prev = tracker.window('s');
  conv.forEach((m, seq) => {
    const r: AppendResult = tracker.append('s', m);
    expect(r.seq).toBe(seq);
    const w = tracker.window('s');
    const last = w.messages[w.messages.length - 1]!;
    viewTok.set(seq, counter.messageTokens(last));

    // Budget: never exceeded, and equal to an independent ChatML encoding of the rendered window.
    expect(w.tokens).toBeLessThanOrEqual(budget);
    const rendered = w.messages.reduce((a, x) => a + counter.messageTokens(x), 0) + 3;
    expect(w.tokens).toBe(rendered);
    // System prompt first, always.
    if (system !== undefined) expect(w.messages[0]).toEqual({ role: 'system', content: system });
    else expect(w.messages.every((x) => x.role !== 'system')).toBe(true);
    // Starts on a user turn unless no user message precedes the window.
    const firstSeq = w.seqs[0]!;
    if (turnOf(firstSeq) !== undefined) expect(conv[firstSeq]!.role).toBe('user');
    // Window = [anchor] + contiguous run ending at the latest message.
    const tail = w.anchored ? w.seqs.slice(1) : w.seqs;
    expect(tail[tail.length - 1]).toBe(seq);
    tail.forEach((s, i) => expect(s).toBe(tail[0]! + i));

    const prevTail = (prev.anchored ? prev.seqs.slice(1) : prev.seqs).map((s) => ({ seq: s, tokens: viewTok.get(s)!, role: conv[s]!.role }));
    const prevAnchor = prev.anchored ? prev.seqs[0] : undefined;
    if (r.truncated) seen.truncated++;
    if (w.anchored) seen.anchored++;
    if (r.slide) {
      seen.slides++;
      if (r.slide.shortened) seen.shortened++;
      // Overlap, exactly as defined: compare with the reference.
      const ref = referenceSlide(prevTail, { seq, tokens: viewTok.get(seq)!, role: m.role }, opened.capacity, overlap, turnOf, (s) => viewTok.get(s)!);
      const keptSeqs = prevTail.slice(prevTail.length - ref.kept).map((e) => e.seq);
      expect(r.slide.retainedSeqs).toEqual(keptSeqs);
      expect(r.slide.retainedTokens).toBe(prevTail.slice(prevTail.length - ref.kept).reduce((a, e) => a + e.tokens, 0));
      expect(r.slide.anchorSeq).toBe(ref.anchorSeq);
      if (!r.slide.shortened) {
        const prevTokens = prevTail.reduce((a, e) => a + e.tokens, 0);
        expect(r.slide.retainedTokens).toBeGreaterThanOrEqual(Math.min(overlap, prevTokens));
        if (ref.kept > 0) expect(r.slide.retainedTokens - viewTok.get(keptSeqs[0]!)!).toBeLessThan(overlap);
      }
      // Folded: exactly what left (old tail before the kept part, old anchor), minus the new anchor.
      const left = [...(prevAnchor !== undefined ? [prevAnchor] : []), ...prevTail.slice(0, prevTail.length - ref.kept).map((e) => e.seq)].filter(
        (s) => s !== ref.anchorSeq,
      );
      expect(r.slide.foldedSeqs).toEqual(left);
    } else {
      // No slide: the new window is the old one plus the message.
      expect(w.seqs).toEqual([...prev.seqs, seq]);
    }
    prev = w;
  });
  // Every message is either folded (exactly once, whole) or in the window.
  await tracker.flush();
  const folded = folds.flatMap((f) => f.messages);
  const all = [...folded.map((f) => f.seq), ...tracker.window('s').seqs].sort((a, b) => a - b);
  expect(all).toEqual(conv.map((_, i) => i));
  for (const f of folded) expect(f.message).toEqual(conv[f.seq]);
}

describe('ContextTracker: windows over random conversations', () => {
  it('never exceeds the budget, keeps the exact overlap, the system prompt and turn alignment, folds what slides out', async () => {
    await fc.assert(
      fc.asyncProperty(
        conversationArb(70),
        fc.integer({ min: 64, max: 1500 }),
        fc.integer({ min: 0, max: 400 }),
        fc.option(fc.constantFrom('You are a helpful agent.', 'Be brief. '.repeat(30)), { nil: undefined }),
        async (conv, budget, overlapRaw, system) => {
          const overlap = Math.min(overlapRaw, budget - 1);
          await checkConversation(conv, budget, overlap, system);
        },
      ),
      { numRuns: 120, endOnFailure: true },
    );
    expect(seen.slides).toBeGreaterThan(0);
    expect(seen.anchored).toBeGreaterThan(0);
    expect(seen.shortened).toBeGreaterThan(0);
    expect(seen.slides - seen.shortened).toBeGreaterThan(0);
    expect(seen.truncated).toBeGreaterThan(0);
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
