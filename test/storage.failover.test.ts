/**
 * Failover against a real Redis that the test stops, kills and restarts: writes go to the
 * file fallback while Redis is away (status "failing"), and after recovery every message
 * written during the outage is in Redis exactly once.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FailoverAccountStore, FailoverStoreFactory } from '../host/storage/failoverStore.js';
import { FileAccountStore } from '../host/storage/fileStore.js';
import { RedisStoreFactory } from '../host/storage/redisStore.js';
import type { AccountMemory, ConversationMemory, Message } from '../host/tiers/index.js';
import { DEFAULT_SHAPE, prepareMessage } from '../host/tiers/index.js';
import type { RedisServer } from '../bench/support/redis.js';
import { startRedis } from '../bench/support/redis.js';
import { QUIET, memoryOver, range, seqs, tempDir } from './support/tiers.js';

let server: RedisServer;
let tmp: ReturnType<typeof tempDir>;
let prefix: string;
let n = 0;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => server.cleanup());
beforeEach(async () => {
  tmp = tempDir();
  prefix = `f${++n}:`;
  if (!server.running) await server.start();
});
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close().catch(() => {});
  tmp.cleanup();
});

function failover(): FailoverStoreFactory {
  const f = new FailoverStoreFactory(DEFAULT_SHAPE, {
    redis: { url: server.url, prefix, maxReconnectDelayMs: 50, connectTimeoutMs: 500, commandTimeoutMs: 1000 },
    fallback: { root: tmp.dir },
  });
  open.push(f);
  return f;
}

async function memory(): Promise<ConversationMemory> {
  const m = await memoryOver(failover(), QUIET);
  open.unshift(m);
  return m;
}

const modeOf = (a: AccountMemory) => (a.store as FailoverAccountStore).mode;

/** Operations retry recovery; Redis's client reconnects within ~50 ms of the server's return. */
async function untilRecovered(a: AccountMemory): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (modeOf(a) !== 'primary') {
    if (Date.now() > deadline) throw new Error('did not recover');
    await a.counts().catch(() => {});
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The whole history straight from Redis. */
async function redisHistory(): Promise<Message[]> {
  const f = new RedisStoreFactory(DEFAULT_SHAPE, { url: server.url, prefix });
  try {
    const s = f.account('alice');
    await s.open();
    return await s.history({ afterSeq: 0, limit: 100_000 });
  } finally {
    await f.close();
  }
}

function expectExactlyOnce(history: readonly Message[], ids: readonly string[]): void {
  const count = new Map<string, number>();
  for (const m of history) count.set(m.id, (count.get(m.id) ?? 0) + 1);
  expect([...count.entries()].filter(([, c]) => c > 1)).toEqual([]);
  expect(ids.filter((id) => !count.has(id))).toEqual([]);
  expect(seqs(history)).toEqual(range(1, history.length));
}

describe.each(['stop', 'kill'] as const)('failover when Redis is %sed', (how) => {
  it('writes go to files during the outage, status failing; after recovery each is in Redis exactly once', async () => {
    const m = await memory();
    const a = await m.account('alice');
    const ids: string[] = [];
    const add = async (tag: string, k: number) => {
      for (let i = 0; i < k; i++) ids.push((await a.append({ role: 'user', content: `${tag} ${i}` })).message.id);
    };
    await add('before', 60);
    expect(modeOf(a)).toBe('primary');

    await (how === 'stop' ? server.stop() : server.kill());
    await add('during', 40);
    expect(modeOf(a)).toBe('fallback');
    const storage = (await a.status()).find((s) => s.component === 'storage')!;
    expect(storage.status).toBe('failing');
    expect(storage.health_check.detail).toMatch(/40 message\(s\) in the file fallback/);
    // Short-term carries on from Redis's last state into the outage.
    const short = await a.shortTerm();
    expect(short.map((x) => x.content)).toEqual([...range(50, 59).map((i) => `before ${i}`), ...range(0, 39).map((i) => `during ${i}`)]);
    expect(existsSync(join(tmp.dir, 'account_alice', 'history.log'))).toBe(true);
    // Duplicates are still caught during the outage.
    expect((await a.append({ role: 'user', content: 'during 39' })).duplicate).toBe(true);

    await server.start();
    await untilRecovered(a);
    await add('after', 10);
    expect((await a.status()).every((s) => s.status === 'active')).toBe(true);
    const health = await a.health();
    expect(health.find((h) => h.component === 'storage')!.issues.join('\n')).toMatch(/recovered: .*40 message/);

    const history = await redisHistory();
    expect(history).toHaveLength(110);
    expectExactlyOnce(history, ids);
    expect(history.map((x) => x.content).slice(58, 62)).toEqual(['before 58', 'before 59', 'during 0', 'during 1']);
    expect(seqs(await a.shortTerm())).toEqual(range(61, 110));
    // The journal is empty again.
    const journal = new FileAccountStore('alice', DEFAULT_SHAPE, { root: tmp.dir, readOnly: true });
    await journal.open();
    expect(journal.journalBase()).toBeUndefined();
    expect(await journal.journalRecords()).toEqual([]);
    await journal.close();
  }, 60_000);
});

describe('failover edge cases', () => {
  it('a process that restarts during the outage continues the journal; the outage is replayed once', async () => {
    let m = await memory();
    let a = await m.account('alice');
    for (let i = 0; i < 30; i++) await a.append({ id: `b${i}`, role: 'user', content: `before ${i}` });
    await server.kill();
    for (let i = 0; i < 10; i++) await a.append({ id: `d${i}`, role: 'user', content: `during ${i}` });
    await m.close();

    m = await memory(); // Redis still down
    a = await m.account('alice');
    expect(modeOf(a)).toBe('fallback');
    expect((await a.shortTerm()).map((x) => x.id).slice(-12)).toEqual(['b28', 'b29', ...range(0, 9).map((i) => `d${i}`)]);
    for (let i = 10; i < 20; i++) await a.append({ id: `d${i}`, role: 'user', content: `during ${i}` });

    await server.start();
    await untilRecovered(a);
    const history = await redisHistory();
    expectExactlyOnce(history, [...range(0, 29).map((i) => `b${i}`), ...range(0, 19).map((i) => `d${i}`)]);
    expect(history).toHaveLength(50);
  }, 60_000);

  it('an interrupted replay (records in Redis, journal not yet emptied) does not duplicate', async () => {
    // A journal as an outage leaves it.
    const journal = new FileAccountStore('alice', DEFAULT_SHAPE, { root: tmp.dir });
    await journal.open();
    await journal.startJournal([], 0, 0);
    const L = { maxContentBytes: 1000, maxMetadataBytes: 1000 };
    await journal.append(range(0, 9).map((i) => prepareMessage({ id: `j${i}`, role: 'user', content: `j ${i}` }, L)));
    const { epoch } = journal.journalBase()!;
    const records = await journal.journalRecords();
    await journal.close();
    // Replay the first 6 as a crashed process would have, before it emptied the journal.
    const rf = new RedisStoreFactory(DEFAULT_SHAPE, { url: server.url, prefix });
    open.push(rf);
    const primary = rf.account('alice');
    await primary.open();
    await primary.replay(epoch, records.slice(0, 6));
    // A write that reached Redis just before the outage was noticed, also in the journal.
    const fresh = await memory();
    const a = await fresh.account('alice');
    expect(modeOf(a)).toBe('primary');
    const history = await redisHistory();
    expectExactlyOnce(history, range(0, 9).map((i) => `j${i}`));
    expect(history).toHaveLength(10);
  }, 60_000);

  it('a message whose write reached Redis before the failure was seen is not replayed again', async () => {
    const rf = new RedisStoreFactory(DEFAULT_SHAPE, { url: server.url, prefix });
    open.push(rf);
    const primary = rf.account('alice');
    await primary.open();
    const L = { maxContentBytes: 1000, maxMetadataBytes: 1000 };
    const ambiguous = prepareMessage({ id: 'amb', role: 'user', content: 'landed in redis' }, L);
    await primary.append([ambiguous]);
    const journal = new FileAccountStore('alice', DEFAULT_SHAPE, { root: tmp.dir });
    await journal.open();
    await journal.startJournal([], 0, 0);
    await journal.append([ambiguous, prepareMessage({ id: 'later', role: 'user', content: 'only in the journal' }, L)]);
    await journal.close();
    const a = await (await memory()).account('alice');
    expect(modeOf(a)).toBe('primary');
    const history = await redisHistory();
    expect(history.map((x) => x.id)).toEqual(['amb', 'later']);
    expect(readdirSync(join(tmp.dir, 'account_alice'))).not.toContain('base.json');
  }, 60_000);

  it('the history context is read-only during an outage and the failure is reported', async () => {
    const a = await (await memory()).account('alice');
    await a.append({ role: 'user', content: 'one' });
    await server.stop();
    await a.append({ role: 'user', content: 'two' });
    await expect(a.generateContext()).rejects.toThrow(/read-only while Redis is unavailable/);
    await server.start();
    await untilRecovered(a);
    const run = await a.generateContext();
    expect(run.coveredThrough).toBe(2);
  }, 60_000);
});
