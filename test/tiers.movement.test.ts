/** Tier movement exactly at the short-term (50) and mid-term (200) boundaries, and after reopening. */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationMemory } from '../host/tiers/index.js';
import { DEFAULT_SHAPE, TierWindow, parseTierConfig, prepareMessage } from '../host/tiers/index.js';
import { QUIET, appendN, fileMemory, range, seqs, tempDir } from './support/tiers.js';

let tmp: ReturnType<typeof tempDir>;
let mem: ConversationMemory;
beforeEach(async () => {
  tmp = tempDir();
  mem = await fileMemory(tmp.dir);
});
afterEach(async () => {
  await mem.close();
  tmp.cleanup();
});

describe('tier movement (defaults: short-term 50, mid-term 200)', () => {
  it('moves messages exactly at the boundaries', async () => {
    const a = await mem.account('alice');
    await appendN(a, 49);
    expect(seqs(await a.shortTerm())).toEqual(range(1, 49));
    expect(await a.midTerm()).toEqual([]);

    await appendN(a, 1, 49); // the 50th: short-term full, nothing overflowed
    expect(seqs(await a.shortTerm())).toEqual(range(1, 50));
    expect(await a.midTerm()).toEqual([]);

    await appendN(a, 1, 50); // the 51st: message 1 overflows into mid-term
    expect(seqs(await a.shortTerm())).toEqual(range(2, 51));
    expect(seqs(await a.midTerm())).toEqual([1]);

    await appendN(a, 199, 51); // 250 messages: mid-term exactly full
    expect(seqs(await a.shortTerm())).toEqual(range(201, 250));
    expect(seqs(await a.midTerm())).toEqual(range(1, 200));

    await appendN(a, 1, 250); // the 251st: message 1 leaves mid-term, stays in the whole history
    expect(seqs(await a.shortTerm())).toEqual(range(202, 251));
    expect(seqs(await a.midTerm())).toEqual(range(2, 201));
    expect(seqs(await a.history({ afterSeq: 0, limit: 1000 }))).toEqual(range(1, 251));
    expect((await a.history({ afterSeq: 0, limit: 1 }))[0]!.content).toBe('msg 0');
    expect(await a.counts()).toEqual({ messageCount: 251, lastSeq: 251 });
  });

  it('keeps the tiers (the pruning) across close and reopen', async () => {
    const a = await mem.account('bob');
    await appendN(a, 260);
    const before = { s: seqs(await a.shortTerm()), m: seqs(await a.midTerm()) };
    await mem.close();
    mem = await fileMemory(tmp.dir);
    const b = await mem.account('bob');
    expect(seqs(await b.shortTerm())).toEqual(before.s);
    expect(seqs(await b.midTerm())).toEqual(before.m);
    await b.append({ role: 'user', content: 'after reopen' });
    expect(seqs(await b.shortTerm())).toEqual(range(212, 261));
    expect(seqs(await b.midTerm())).toEqual(range(12, 211));
  });

  it('an account closed on its own is opened afresh by the next account() call', async () => {
    const a = await mem.account('erin');
    await appendN(a, 3);
    await a.close();
    await expect(a.append({ role: 'user', content: 'late' })).rejects.toMatchObject({ name: 'ClosedError' });
    const again = await mem.account('erin');
    expect(again).not.toBe(a);
    expect(seqs(await again.shortTerm())).toEqual([1, 2, 3]);
  });

  it('honours configured capacities', async () => {
    await mem.close();
    const config = { ...QUIET, shortTerm: { capacity: 3 }, midTerm: { capacity: 5 }, dedup: { messages: 3 } };
    mem = await fileMemory(tmp.dir, config);
    const a = await mem.account('carol');
    await appendN(a, 10);
    expect(seqs(await a.shortTerm())).toEqual([8, 9, 10]);
    expect(seqs(await a.midTerm())).toEqual([3, 4, 5, 6, 7]);
  });

  it('pages the whole history in order', async () => {
    const a = await mem.account('dave');
    await appendN(a, 30);
    expect(seqs(await a.history({ limit: 5 }))).toEqual(range(26, 30));
    expect(seqs(await a.history({ beforeSeq: 26, limit: 5 }))).toEqual(range(21, 25));
    expect(seqs(await a.history({ afterSeq: 28, limit: 5 }))).toEqual([29, 30]);
    expect(await a.history({ afterSeq: 30, limit: 5 })).toEqual([]);
    await expect(a.history({ limit: 0 })).rejects.toThrow(/limit/);
  });
});

describe('TierWindow (the rule every backend follows)', () => {
  it('short-term is the last S and mid-term the M before, for any capacities and any sequence', () => {
    const limits = { maxContentBytes: 1000, maxMetadataBytes: 1000 };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 60 }), (S, M, n) => {
        const w = new TierWindow({ shortTerm: S, midTerm: M, dedupMessages: 0, dedupWithinMs: 0 });
        for (let i = 0; i < n; i++) w.assign(prepareMessage({ role: 'user', content: `m${i}` }, limits));
        const all = range(1, n);
        expect(seqs(w.shortTerm())).toEqual(all.slice(-S));
        expect(seqs(w.midTerm())).toEqual(all.slice(Math.max(0, n - S - M), Math.max(0, n - S)));
        expect(w.count).toBe(n);
      }),
    );
  });

  it('the default config is 50/200', () => {
    const c = parseTierConfig({});
    expect([c.shortTerm.capacity, c.midTerm.capacity]).toEqual([DEFAULT_SHAPE.shortTerm, DEFAULT_SHAPE.midTerm]);
    expect(DEFAULT_SHAPE).toMatchObject({ shortTerm: 50, midTerm: 200 });
  });
});
