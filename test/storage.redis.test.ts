/** The Redis backend against a real redis-server: tiers, duplicates, paging, repair, isolation, many hosts. */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisAccountStore, RedisStoreFactory } from '../host/storage/redisStore.js';
import type { ConversationMemory, TierConfigInput } from '../host/tiers/index.js';
import { DEFAULT_SHAPE, parseTierConfig, prepareMessage, tierShape } from '../host/tiers/index.js';
import type { RedisServer } from '../bench/support/redis.js';
import { startRedis } from '../bench/support/redis.js';
import { QUIET, appendN, memoryOver, range, seqs } from './support/tiers.js';

let server: RedisServer;
let raw: Redis;
let prefix: string;
let n = 0;
beforeAll(async () => {
  server = await startRedis();
  raw = new Redis(server.url);
});
afterAll(async () => {
  raw.disconnect();
  await server.cleanup();
});
beforeEach(() => {
  prefix = `t${++n}:`;
});

const factories: RedisStoreFactory[] = [];
function factory(config: TierConfigInput = QUIET): RedisStoreFactory {
  const f = new RedisStoreFactory(tierShape(parseTierConfig(config)), { url: server.url, prefix });
  factories.push(f);
  return f;
}
const mems: ConversationMemory[] = [];
async function memory(config: TierConfigInput = QUIET): Promise<ConversationMemory> {
  const m = await memoryOver(factory(config), config);
  mems.push(m);
  return m;
}
afterEach(async () => {
  await Promise.all(mems.splice(0).map((m) => m.close()));
  await Promise.all(factories.splice(0).map((f) => f.close()));
});

const LIMITS = { maxContentBytes: 65536, maxMetadataBytes: 16384 };

describe('redis backend', () => {
  it('moves messages at exactly 50 and 200, history in a stream', async () => {
    const a = await (await memory()).account('alice');
    await appendN(a, 50);
    expect(seqs(await a.shortTerm())).toEqual(range(1, 50));
    expect(await a.midTerm()).toEqual([]);
    await appendN(a, 1, 50);
    expect(seqs(await a.shortTerm())).toEqual(range(2, 51));
    expect(seqs(await a.midTerm())).toEqual([1]);
    await a.appendMany(range(51, 250).map((i) => ({ role: 'user' as const, content: `msg ${i}` })));
    expect(seqs(await a.shortTerm())).toEqual(range(202, 251));
    expect(seqs(await a.midTerm())).toEqual(range(2, 201));
    expect(await raw.xlen(`${prefix}{alice}:history`)).toBe(251);
    expect(await raw.llen(`${prefix}{alice}:short`)).toBe(50);
    expect(await raw.llen(`${prefix}{alice}:mid`)).toBe(200);
    const [first] = await raw.xrange(`${prefix}{alice}:history`, '-', '+', 'COUNT', 1);
    expect(first![0]).toBe('1-0');
    expect(JSON.parse(first![1][1]!)).toMatchObject({ seq: 1, content: 'msg 0' });
    expect(seqs(await a.history({ limit: 3 }))).toEqual([249, 250, 251]);
    expect(seqs(await a.history({ afterSeq: 10, limit: 3 }))).toEqual([11, 12, 13]);
    expect(seqs(await a.history({ beforeSeq: 3, limit: 5 }))).toEqual([1, 2]);
  });

  it('duplicates: content within the window, ids always; not across accounts', async () => {
    const m = await memory({ ...QUIET, dedup: { messages: 3 } });
    const a = await m.account('alice');
    const b = await m.account('bob');
    const r1 = await a.append({ role: 'user', content: 'hi' });
    expect(await a.append({ role: 'user', content: 'hi' })).toMatchObject({ duplicate: true, message: { seq: r1.message.seq } });
    expect((await b.append({ role: 'user', content: 'hi' })).duplicate).toBe(false);
    await appendN(a, 3);
    expect((await a.append({ role: 'user', content: 'hi' })).duplicate).toBe(false);
    expect((await a.append({ id: r1.message.id, role: 'user', content: 'other' })).duplicate).toBe(true);
    const batch = await a.appendMany([
      { role: 'tool', content: 'same' },
      { role: 'tool', content: 'same' },
    ]);
    expect(batch.map((o) => o.duplicate)).toEqual([false, true]);
    expect(batch[1]!.message.seq).toBe(batch[0]!.message.seq);
  });

  it('concurrent appenders (two "hosts") get unique, gapless seqs', async () => {
    const s1 = factory().account('alice');
    const s2 = factory().account('alice');
    await s1.open();
    await s2.open();
    await Promise.all([
      ...range(0, 199).map((i) => s1.append([prepareMessage({ role: 'user', content: `h1 ${i}` }, LIMITS)])),
      ...range(0, 199).map((i) => s2.append([prepareMessage({ role: 'user', content: `h2 ${i}` }, LIMITS)])),
    ]);
    const all = await s1.history({ afterSeq: 0, limit: 1000 });
    expect(seqs(all)).toEqual(range(1, 400));
    expect(new Set(all.map((m) => m.content)).size).toBe(400);
    expect(seqs(await s2.shortTerm())).toEqual(range(351, 400));
  });

  it('rebuilds the tiers from the stream when they are lost or garbled, and reports it', async () => {
    const s = factory().account('alice');
    await s.open();
    await s.append(range(1, 120).map((i) => prepareMessage({ role: 'user', content: `m${i}` }, LIMITS)));
    await raw.del(`${prefix}{alice}:short`);
    await raw.lset(`${prefix}{alice}:mid`, 0, 'garbage');
    const s2 = factory().account('alice');
    const report = await s2.open();
    expect(report.repairs.map((r) => r.kind)).toEqual(['rebuilt-tiers']);
    expect(seqs(await s2.shortTerm())).toEqual(range(71, 120));
    expect(seqs(await s2.midTerm())).toEqual(range(1, 70));
    // The duplicate window was rebuilt too.
    expect((await s2.append([prepareMessage({ role: 'user', content: 'm120' }, LIMITS)]))[0]!.duplicate).toBe(true);
  });

  it('a changed tier shape rebuilds the lists', async () => {
    const s = factory().account('alice');
    await s.open();
    await s.append(range(1, 30).map((i) => prepareMessage({ role: 'user', content: `m${i}` }, LIMITS)));
    const f = new RedisStoreFactory({ shortTerm: 5, midTerm: 10, dedupMessages: 5, dedupWithinMs: 0 }, { url: server.url, prefix });
    factories.push(f);
    const s2 = f.account('alice');
    await s2.open();
    expect(seqs(await s2.shortTerm())).toEqual(range(26, 30));
    expect(seqs(await s2.midTerm())).toEqual(range(16, 25));
  });

  it('context compare-and-set, status and listing', async () => {
    const m = await memory();
    const a = await m.account('alice');
    await appendN(a, 5);
    await a.generateContext();
    expect((await a.context()).coveredThrough).toBe(5);
    const s = new RedisAccountStore('alice', DEFAULT_SHAPE, factory().connection);
    await s.open();
    expect(await s.putContext(await s.getContext(), 0)).toBe(false); // stale version
    const st = await a.status();
    expect(st.map((c) => [c.component, c.status, c.message_count])).toEqual([
      ['storage', 'active', 5],
      ['short_term', 'active', 5],
      ['mid_term', 'active', 0],
      ['history', 'active', 5],
      ['history_context', 'active', 5],
    ]);
    expect(await m.listAccounts()).toEqual(['alice']);
  });

  it('an unreachable server is a typed StorageUnavailableError', async () => {
    const f = new RedisStoreFactory(DEFAULT_SHAPE, { url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 });
    factories.push(f);
    await expect(f.account('alice').open()).rejects.toMatchObject({ name: 'StorageUnavailableError' });
  });
});
