/** History context: every trigger, the pluggable summariser, the size bound, failures. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConversationMemory, Summariser, SummaryRequest, TierConfigInput } from '../host/tiers/index.js';
import { TopicDetector, boundText, extractive, extractiveSummariser } from '../host/tiers/index.js';
import { appendN, fileMemory, tempDir } from './support/tiers.js';

const OFF = { onShortTermFull: false, periodicIntervalMs: 0, topic: { enabled: false } };
let tmp: ReturnType<typeof tempDir>;
let mem: ConversationMemory | undefined;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  vi.useRealTimers();
  await mem?.close();
  mem = undefined;
  tmp.cleanup();
});

/** A summariser that records its calls and returns a marker text. */
function recording(): { fn: Summariser; calls: SummaryRequest[] } {
  const calls: SummaryRequest[] = [];
  return {
    calls,
    fn: async (req) => {
      calls.push(req);
      return req.kind === 'merge'
        ? `merged(${req.summaries.map((s) => `${s.fromSeq}-${s.toSeq}`).join(',')})`
        : `summary of ${req.messages.map((m) => m.seq).join(',')}`;
    },
  };
}

async function open(context: TierConfigInput['context'], summariser?: Summariser, extra: TierConfigInput = {}) {
  mem = await fileMemory(tmp.dir, { ...extra, context: { ...OFF, ...context } }, summariser ? { summariser } : {});
  return mem.account('alice');
}

describe('triggers', () => {
  it('short-term reaching capacity: after every shortTerm new messages, not before', async () => {
    const rec = recording();
    const a = await open({ onShortTermFull: true, chunkMessages: 1000 }, rec.fn, { shortTerm: { capacity: 10 }, dedup: { messages: 10 } });
    await appendN(a, 9);
    await a.idle();
    expect(rec.calls).toHaveLength(0);
    await appendN(a, 1, 9); // the 10th
    await a.idle();
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]!.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const ctx = await a.context();
    expect(ctx.coveredThrough).toBe(10);
    expect(ctx.summaries[0]).toMatchObject({ trigger: 'short_term_full', fromSeq: 1, toSeq: 10, messageCount: 10, level: 0 });
    // Duplicates do not count.
    await a.append({ role: 'user', content: 'msg 8' });
    await appendN(a, 9, 100);
    await a.idle();
    expect(rec.calls).toHaveLength(1);
    await appendN(a, 1, 200);
    await a.idle();
    expect(rec.calls).toHaveLength(2);
    expect((await a.context()).coveredThrough).toBe(20);
  });

  it('manual: generateContext summarises what is not covered, and nothing twice', async () => {
    const rec = recording();
    const a = await open({}, rec.fn);
    await appendN(a, 5);
    const run = await a.generateContext();
    expect(run).toMatchObject({ trigger: 'manual', messages: 5, coveredThrough: 5 });
    const again = await a.generateContext();
    expect(again.messages).toBe(0);
    expect(rec.calls).toHaveLength(1);
    expect((await a.context()).summaries.map((s) => s.text)).toEqual(['summary of 1,2,3,4,5']);
  });

  it('periodic: the interval timer (unref’d) summarises new messages', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const rec = recording();
    const a = await open({ periodicIntervalMs: 60_000 }, rec.fn);
    await appendN(a, 3);
    vi.advanceTimersByTime(59_999);
    await a.idle();
    expect(rec.calls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    await a.idle();
    expect(rec.calls).toHaveLength(1);
    expect((await a.context()).summaries[0]).toMatchObject({ trigger: 'periodic', fromSeq: 1, toSeq: 3 });
  });

  it('the default periodic interval is 24 h', async () => {
    const { parseTierConfig } = await import('../host/tiers/index.js');
    expect(parseTierConfig({}).context.periodicIntervalMs).toBe(24 * 60 * 60 * 1000);
  });

  it('topic change: summarises the old topic when the conversation moves on', async () => {
    const rec = recording();
    const a = await open({ topic: { enabled: true, threshold: 0.05, minMessages: 3 } }, rec.fn);
    const cooking = [
      'How long should I roast a chicken in the oven?',
      'Roast the chicken in the oven for about ninety minutes at 180 degrees.',
      'Should I baste the roast chicken while it is in the oven?',
      'Yes, baste the chicken every thirty minutes so the oven does not dry it.',
    ];
    for (const c of cooking) await a.append({ role: 'user', content: c });
    await a.idle();
    expect(rec.calls).toHaveLength(0);
    await a.append({ role: 'user', content: 'Explain quantum entanglement between two photons measured by separate detectors.' });
    await a.idle();
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]!.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect((await a.context()).summaries[0]).toMatchObject({ trigger: 'topic_change', fromSeq: 1, toSeq: 4 });
  });

  it('greetings and short replies do not change the topic', () => {
    const d = new TopicDetector({ threshold: 0.05, window: 6, minTokens: 4 });
    const msg = (content: string) => ({ seq: 1, id: 'x', role: 'user' as const, content, timestamp: 0, metadata: {}, hash: '0'.repeat(32) });
    d.seed([msg('We were planning the database migration to postgres tables and indexes.')]);
    expect(d.observe(msg('ok thanks!'))).toBe(false);
    expect(d.observe(msg('The postgres migration needs new indexes on the orders tables.'))).toBe(false);
    expect(d.observe(msg('My grandmother knits woolly scarves during winter evenings beside fireplaces.'))).toBe(true);
  });
});

describe('summariser', () => {
  it('is pluggable and is given only the account’s own messages', async () => {
    const rec = recording();
    const a = await open({}, rec.fn);
    const b = await mem!.account('bob');
    await a.append({ role: 'user', content: 'alice talks about gardens' });
    await b.append({ role: 'user', content: 'bob talks about boats' });
    await b.generateContext();
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]!.account).toBe('bob');
    expect(rec.calls[0]!.messages.map((m) => m.content)).toEqual(['bob talks about boats']);
  });

  it('a failing summariser marks history_context failing; appends go on; the next trigger retries', async () => {
    let fail = true;
    const a = await open({}, async (req) => {
      if (fail) throw new Error('LLM quota exceeded');
      return `ok ${req.messages.length}`;
    });
    await appendN(a, 3);
    await expect(a.generateContext()).rejects.toThrow(/LLM quota exceeded/);
    const st = (await a.status()).find((s) => s.component === 'history_context')!;
    expect(st.status).toBe('failing');
    expect(st.health_check.detail).toMatch(/LLM quota exceeded/);
    expect((await a.append({ role: 'user', content: 'still fine' })).duplicate).toBe(false);
    fail = false;
    await a.generateContext();
    expect((await a.status()).find((s) => s.component === 'history_context')!.status).toBe('active');
    expect((await a.context()).coveredThrough).toBe(4);
  });

  it('a summariser that returns a non-string or hangs fails with a typed error', async () => {
    const a = await open({ summariserTimeoutMs: 50 }, (async () => 42) as never);
    await appendN(a, 2);
    await expect(a.generateContext()).rejects.toMatchObject({ name: 'SummariserError' });
    await a.close();
    await mem!.close();
    mem = await fileMemory(tmp.dir, { context: { ...OFF, summariserTimeoutMs: 50 } }, { summariser: () => new Promise(() => {}) });
    const b = await mem.account('alice');
    await expect(b.generateContext()).rejects.toThrow(/timed out/);
  });

  it('the default extractive summariser works offline and deterministically', async () => {
    const msgs = [
      { prefix: 'user: ', text: 'I need a flight from Lisbon to Berlin on Friday. Morning flights are best.' },
      { prefix: 'assistant: ', text: 'There are three morning flights from Lisbon to Berlin on Friday.' },
      { prefix: 'user: ', text: 'Book the earliest flight to Berlin please.' },
    ];
    const s1 = extractive(msgs, 120);
    expect(s1).toBe(extractive(msgs, 120));
    expect(s1.length).toBeLessThanOrEqual(120);
    expect(s1).toMatch(/Berlin/);
    const a = await open({});
    await a.append({ role: 'user', content: msgs[0]!.text });
    await a.generateContext();
    expect((await a.context()).summaries[0]!.text).toMatch(/Lisbon/);
    expect(await extractiveSummariser({ account: 'x', kind: 'messages', messages: [], summaries: [], maxChars: 10, signal: new AbortController().signal })).toBe('');
  });
});

describe('size bound', () => {
  it('the context never exceeds maxSummaries × maxSummaryChars: old summaries are merged', async () => {
    const long: Summariser = async (req) => (req.kind === 'merge' ? 'M'.repeat(500) : `S${req.messages[0]!.seq} `.repeat(200));
    const a = await open({ maxSummaries: 3, maxSummaryChars: 100, chunkMessages: 2, mergeFanIn: 2 }, long);
    for (let round = 0; round < 6; round++) {
      await appendN(a, 4, round * 4);
      await a.generateContext();
      const ctx = await a.context();
      expect(ctx.summaries.length).toBeLessThanOrEqual(3);
      for (const s of ctx.summaries) expect(s.text.length).toBeLessThanOrEqual(100);
      // Coverage stays contiguous from seq 1 to the last message.
      expect(ctx.summaries[0]!.fromSeq).toBe(1);
      for (let i = 1; i < ctx.summaries.length; i++) expect(ctx.summaries[i]!.fromSeq).toBe(ctx.summaries[i - 1]!.toSeq + 1);
      expect(ctx.summaries.at(-1)!.toSeq).toBe((round + 1) * 4);
    }
    const ctx = await a.context();
    expect(ctx.summaries[0]!.trigger).toBe('merge');
    expect(ctx.summaries[0]!.level).toBeGreaterThan(0);
    expect(ctx.summaries.reduce((n, s) => n + s.messageCount, 0)).toBe(24);
  });

  it('boundText cuts at a sentence or word', () => {
    expect(boundText('First sentence here. Second one.', 25)).toBe('First sentence here.');
    expect(boundText('alpha beta gamma delta', 13).length).toBeLessThanOrEqual(13);
    expect(boundText('short', 10)).toBe('short');
  });

  it('two writers of one account never lose or duplicate coverage', async () => {
    const a = await open({ chunkMessages: 3 });
    await appendN(a, 20);
    const other = await fileMemory(tmp.dir, { context: { ...OFF, chunkMessages: 3 } });
    const b = await other.account('alice');
    await Promise.all([a.generateContext(), b.generateContext()]);
    const ctx = await a.context();
    expect(ctx.coveredThrough).toBe(20);
    for (let i = 1; i < ctx.summaries.length; i++) expect(ctx.summaries[i]!.fromSeq).toBe(ctx.summaries[i - 1]!.toSeq + 1);
    await other.close();
  });
});
