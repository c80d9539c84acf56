import { describe, expect, it } from 'vitest';
import { countTokens as cl100kCount, encodeChat as cl100kChat } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200kCount, encodeChat as o200kChat } from 'gpt-tokenizer/encoding/o200k_base';
import { ContextWindowError } from '../host/context/errors.js';
import { LruTokenCountCache, contentKey, type TokenCountCache } from '../host/context/tokenCache.js';
import { DEFAULT_ENCODING, TokenCounter } from '../host/context/tokens.js';
import { syntheticConversation } from './support/contextConversations.js';

const long = 'The window slides over the conversation; the summary keeps what slid out. '.repeat(4);

describe('TokenCounter', () => {
  it('counts like gpt-tokenizer for the configured encoding (default o200k_base)', async () => {
    const o = await TokenCounter.create();
    const c = await TokenCounter.create({ encoding: 'cl100k_base' });
    expect(o.encoding).toBe(DEFAULT_ENCODING);
    for (const t of ['', 'hi', long, 'café 東京 🙂 naïve', '{"a": [1, 2, 3]}']) {
      expect(o.count(t)).toBe(o200kCount(t));
      expect(c.count(t)).toBe(cl100kCount(t));
    }
  });

  it('counts special-token text as plain text', async () => {
    const o = await TokenCounter.create();
    expect(o.count('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('frames messages exactly as encodeChat renders them (both chat encodings)', async () => {
    for (const [enc, chat] of [
      ['o200k_base', (m: never[]) => o200kChat(m, 'gpt-4o')],
      ['cl100k_base', (m: never[]) => cl100kChat(m, 'gpt-4')],
    ] as const) {
      const counter = await TokenCounter.create({ encoding: enc });
      const msgs = [{ role: 'system', content: 'You are terse.' }, ...syntheticConversation(9, 5), { role: 'user', name: 'ana', content: long }];
      const ours = msgs.reduce((a, m) => a + counter.messageTokens(m), 0) + counter.replyPrimer;
      expect(ours).toBe(chat(msgs as never[]).length);
    }
  });

  it('caches by content hash and serves repeats from the cache', async () => {
    const store = new Map<string, number>();
    const cache: TokenCountCache = { get: (k) => store.get(k), set: (k, v) => void store.set(k, v) };
    const o = await TokenCounter.create({ cache });
    const n = o.count(long);
    expect(store.get(contentKey('o200k_base', long))).toBe(n);
    o.count(long);
    expect(o.stats()).toMatchObject({ cacheHits: 1, cacheMisses: 1, counted: 1 });
    o.count('short'); // under minCachedLength: counted, not cached
    expect(store.size).toBe(1);
  });

  it('uses the project cache layer by default and the LRU fallback stays bounded', async () => {
    const o = await TokenCounter.create({ cacheCapacity: 2 });
    o.count(long);
    o.count(long);
    expect(o.stats().cacheHits).toBe(1);
    const lru = new LruTokenCountCache(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c'), lru.size]).toEqual([1, undefined, 3, 2]);
  });

  it('head() returns a prefix within the token limit', async () => {
    const o = await TokenCounter.create();
    for (const k of [0, 1, 5, 17]) {
      const h = o.head(long + ' 東京🙂', k);
      expect(o.count(h)).toBeLessThanOrEqual(k);
      expect((long + ' 東京🙂').startsWith(h)).toBe(true);
    }
  });

  it('rejects unknown encodings and bad options', async () => {
    await expect(TokenCounter.create({ encoding: 'gpt9' as never })).rejects.toBeInstanceOf(ContextWindowError);
    await expect(TokenCounter.create({ cacheCapacity: 0 })).rejects.toBeInstanceOf(ContextWindowError);
  });
});
