/**
 * The memory on its other storage backend: tiers, archives and session states in one Redis
 * server (by URL). The same flows as the model test, smaller; a restart loses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endToEnd } from './support/memoryFlows.js';
import { startRedis, type RedisServer } from '../bench/support/redis.js';

let redis: RedisServer | undefined;
let missing: string | undefined;
beforeAll(async () => {
  try {
    redis = await startRedis();
  } catch (err) {
    missing = `redis-server cannot be started here: ${(err as Error).message}`;
  }
});
afterAll(async () => {
  await redis?.cleanup();
});

describe('memory on Redis', () => {
  it('flows through windows, tiers, context and archives on Redis; a restart loses nothing', async (ctx) => {
    if (missing) ctx.skip(missing);
    const { result, messages, spilled } = await endToEnd({ model: true }, { accounts: 5, messages: 400, rememberEvery: 2 }, { storage: { backend: 'redis', url: redis!.url, prefix: 'jmem:' } });
    const remembered = [...result.remembered.values()].reduce((n, l) => n + l.length, 0);
    expect(spilled).toBe(remembered);
    expect(messages).toBe(400 + remembered);
  }, 120_000);
});
