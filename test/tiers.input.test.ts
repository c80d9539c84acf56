/** Bad input is refused with typed errors and changes nothing; account ids are validated; accounts are isolated. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileAccountStore } from '../host/storage/fileStore.js';
import type { ConversationMemory } from '../host/tiers/index.js';
import { AccountIdError, DEFAULT_SHAPE, InvalidMessageError, TierConfigError, checkAccountId, parseTierConfig } from '../host/tiers/index.js';
import { QUIET, appendN, fileMemory, seqs, tempDir } from './support/tiers.js';

let tmp: ReturnType<typeof tempDir>;
let mem: ConversationMemory;
beforeEach(async () => {
  tmp = tempDir();
  mem = await fileMemory(tmp.dir, { ...QUIET, limits: { maxContentBytes: 100 } });
});
afterEach(async () => {
  await mem.close();
  tmp.cleanup();
});

const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;

const BAD: [string, unknown][] = [
  ['missing role', { content: 'hi' }],
  ['unknown role', { role: 'robot', content: 'hi' }],
  ['missing content', { role: 'user' }],
  ['content not a string', { role: 'user', content: 42 }],
  ['content over the limit', { role: 'user', content: 'x'.repeat(101) }],
  ['content over the limit in UTF-8 bytes', { role: 'user', content: 'é'.repeat(51) }],
  ['metadata with a function', { role: 'user', content: 'hi', metadata: { f: () => 1 } }],
  ['metadata with undefined', { role: 'user', content: 'hi', metadata: { u: undefined } }],
  ['metadata with NaN', { role: 'user', content: 'hi', metadata: { n: Number.NaN } }],
  ['metadata with a bigint', { role: 'user', content: 'hi', metadata: { b: 1n } }],
  ['metadata with a Date', { role: 'user', content: 'hi', metadata: { d: new Date() } }],
  ['metadata cyclic', { role: 'user', content: 'hi', metadata: cyclic }],
  ['metadata not an object', { role: 'user', content: 'hi', metadata: [1, 2] }],
  ['a bad id', { role: 'user', content: 'hi', id: '../../etc' }],
  ['a bad timestamp', { role: 'user', content: 'hi', timestamp: 'yesterday' }],
  ['an unknown field', { role: 'user', content: 'hi', colour: 'blue' }],
  ['not an object', 'hello'],
  ['null', null],
];

describe('bad input', () => {
  it.each(BAD)('%s → InvalidMessageError, nothing stored, nothing lost', async (_name, input) => {
    const a = await mem.account('alice');
    await appendN(a, 3);
    const before = { short: await a.shortTerm(), counts: await a.counts() };
    const err = await a.append(input as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidMessageError);
    expect((err as InvalidMessageError).issues.length).toBeGreaterThan(0);
    expect(await a.counts()).toEqual(before.counts);
    expect(await a.shortTerm()).toEqual(before.short);
    // Still writable afterwards.
    expect((await a.append({ role: 'user', content: 'fine' })).message.seq).toBe(4);
  });

  it('one bad message in a batch refuses the whole batch and names it', async () => {
    const a = await mem.account('alice');
    const err = await a
      .appendMany([{ role: 'user', content: 'ok' }, { role: 'user', content: 'x'.repeat(500) }, { content: 'no role' } as never])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidMessageError);
    expect((err as InvalidMessageError).issues.map((i) => i.path)).toEqual(expect.arrayContaining(['1.content', '2.role']));
    expect((await a.counts()).messageCount).toBe(0);
  });

  it('metadata that is JSON is kept, copied', async () => {
    const a = await mem.account('alice');
    const meta = { tool: 'search', args: { q: 'x', n: [1, 2, null] }, ok: true };
    const r = await a.append({ role: 'tool', content: 'result', metadata: meta });
    meta.ok = false;
    expect((await a.shortTerm())[0]!.metadata).toEqual({ tool: 'search', args: { q: 'x', n: [1, 2, null] }, ok: true });
    expect(r.message.metadata.ok).toBe(true);
  });

  it('bad configs are refused', () => {
    expect(() => parseTierConfig({ shortTerm: { capacity: 0 } })).toThrow(TierConfigError);
    expect(() => parseTierConfig({ dedup: { messages: 1000 } })).toThrow(/dedup/);
    expect(() => parseTierConfig({ nonsense: 1 })).toThrow(TierConfigError);
  });
});

describe('account ids', () => {
  const bad = ['', '../bob', 'a/b', 'a\\b', '.', '..', '.hidden', 'Bob', 'a b', 'a\0b', 'x'.repeat(65), 'é', '-lead', 'a:b', 'a{b}'];
  it.each(bad)('refuses %j', async (id) => {
    expect(() => checkAccountId(id)).toThrow(AccountIdError);
    await expect(mem.account(id)).rejects.toBeInstanceOf(AccountIdError);
    expect(() => new FileAccountStore(id, DEFAULT_SHAPE, { root: tmp.dir })).toThrow(AccountIdError);
  });

  it('accepts lower-case letters, digits, _ and -, up to 64', () => {
    for (const id of ['a', 'alice', 'user_42', 'x-y-z', '0', 'a'.repeat(64)]) expect(checkAccountId(id)).toBe(id);
    expect(() => checkAccountId(7 as never)).toThrow(AccountIdError);
  });
});

describe('isolation', () => {
  it("one account never sees another's messages, duplicates or summaries", async () => {
    const a = await mem.account('alice');
    const b = await mem.account('bob');
    await a.append({ role: 'user', content: 'alice secret' });
    expect(await b.shortTerm()).toEqual([]);
    expect(await b.history({ limit: 10 })).toEqual([]);
    // The same content in bob is not a duplicate of alice's.
    expect((await b.append({ role: 'user', content: 'alice secret' })).duplicate).toBe(false);
    expect(seqs(await b.shortTerm())).toEqual([1]);
    await a.generateContext();
    expect((await b.context()).summaries).toEqual([]);
    expect((await mem.listAccounts()).sort()).toEqual(['alice', 'bob']);
  });
});

describe('stores check what they are handed directly', () => {
  it('a pending message with a wrong hash or missing fields is refused by the store', async () => {
    const s = new FileAccountStore('alice', DEFAULT_SHAPE, { root: tmp.dir });
    await s.open();
    const good = { id: 'x1', role: 'user', content: 'hi', timestamp: 1, metadata: {}, hash: '0'.repeat(32) };
    await expect(s.append([good as never])).rejects.toBeInstanceOf(InvalidMessageError);
    await expect(s.append([{ role: 'user' } as never])).rejects.toBeInstanceOf(InvalidMessageError);
    expect((await s.counts()).messageCount).toBe(0);
    await s.close();
  });
});
