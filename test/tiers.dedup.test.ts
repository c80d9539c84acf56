/** Duplicate detection by content hash within the configured window, and idempotent ids. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationMemory } from '../host/tiers/index.js';
import { contentHash } from '../host/tiers/index.js';
import { QUIET, appendN, fileMemory, seqs, tempDir } from './support/tiers.js';

let tmp: ReturnType<typeof tempDir>;
let mem: ConversationMemory | undefined;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  await mem?.close();
  mem = undefined;
  tmp.cleanup();
});

describe('duplicates', () => {
  it('an exact duplicate (same role and content) within the window is stored once', async () => {
    mem = await fileMemory(tmp.dir);
    const a = await mem.account('alice');
    const first = await a.append({ role: 'user', content: 'book a table for two' });
    const again = await a.append({ role: 'user', content: 'book a table for two' });
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.message.seq).toBe(first.message.seq);
    expect(again.message.id).toBe(first.message.id);
    expect((await a.counts()).messageCount).toBe(1);
    // Not a duplicate: another role, or different content (even by one character).
    expect((await a.append({ role: 'assistant', content: 'book a table for two' })).duplicate).toBe(false);
    expect((await a.append({ role: 'user', content: 'book a table for two.' })).duplicate).toBe(false);
    expect((await a.counts()).messageCount).toBe(3);
  });

  it('duplicates inside one batch are stored once', async () => {
    mem = await fileMemory(tmp.dir);
    const a = await mem.account('alice');
    const r = await a.appendMany([
      { role: 'user', content: 'x' },
      { role: 'user', content: 'x' },
      { role: 'user', content: 'y' },
    ]);
    expect(r.map((o) => o.duplicate)).toEqual([false, true, false]);
    expect(seqs(await a.shortTerm())).toEqual([1, 2]);
  });

  it('outside the window (by message count) the same content is stored again', async () => {
    mem = await fileMemory(tmp.dir, { ...QUIET, dedup: { messages: 5 } });
    const a = await mem.account('alice');
    await a.append({ role: 'user', content: 'hello' });
    await appendN(a, 4);
    expect((await a.append({ role: 'user', content: 'hello' })).duplicate).toBe(true); // 5 back: inside
    await appendN(a, 5, 10);
    expect((await a.append({ role: 'user', content: 'hello' })).duplicate).toBe(false); // 6 back: outside
  });

  it('outside the window (by time) the same content is stored again', async () => {
    mem = await fileMemory(tmp.dir, { ...QUIET, dedup: { messages: 50, withinMs: 1000 } });
    const a = await mem.account('alice');
    await a.append({ role: 'user', content: 'ping', timestamp: 10_000 });
    expect((await a.append({ role: 'user', content: 'ping', timestamp: 10_900 })).duplicate).toBe(true);
    expect((await a.append({ role: 'user', content: 'ping', timestamp: 12_500 })).duplicate).toBe(false);
  });

  it('dedup 0 turns it off', async () => {
    mem = await fileMemory(tmp.dir, { ...QUIET, dedup: { messages: 0 } });
    const a = await mem.account('alice');
    await a.append({ role: 'user', content: 'same' });
    expect((await a.append({ role: 'user', content: 'same' })).duplicate).toBe(false);
  });

  it('an id seen among the recent messages is an idempotent retry', async () => {
    mem = await fileMemory(tmp.dir);
    const a = await mem.account('alice');
    const r1 = await a.append({ id: 'req-1', role: 'user', content: 'first' });
    const r2 = await a.append({ id: 'req-1', role: 'user', content: 'first, retried with other text' });
    expect(r2).toMatchObject({ duplicate: true, message: { seq: r1.message.seq, content: 'first' } });
    expect((await a.counts()).messageCount).toBe(1);
  });

  it('the hash is of role and content', () => {
    expect(contentHash('user', 'a')).toBe(contentHash('user', 'a'));
    expect(contentHash('user', 'a')).not.toBe(contentHash('assistant', 'a'));
    expect(contentHash('user', 'a')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('survives a reopen: the window is rebuilt from the history', async () => {
    mem = await fileMemory(tmp.dir);
    const a = await mem.account('alice');
    await a.append({ role: 'user', content: 'remember me' });
    await mem.close();
    mem = await fileMemory(tmp.dir);
    const b = await mem.account('alice');
    expect((await b.append({ role: 'user', content: 'remember me' })).duplicate).toBe(true);
  });
});
