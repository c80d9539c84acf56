/**
 * The end-to-end flows of the memory facade on the in-process model of the board: the fast
 * variant of memory.e2e.test.ts (same flows and checks, fewer messages).
 */
import { describe, expect, it } from 'vitest';
import { endToEnd } from './support/memoryFlows.js';

describe('memory flows on the model', () => {
  it('2 000 messages across 20 accounts through windows, tiers, context, caches and archives; restart loses nothing', async () => {
    const { result, messages, spilled } = await endToEnd({ model: true }, { accounts: 20, messages: 2000, rememberEvery: 2 });
    const remembered = [...result.remembered.values()].reduce((n, l) => n + l.length, 0);
    expect(spilled).toBe(remembered);
    expect(messages).toBe(2000 + remembered);
    // The mid-run cleanup freed lowest importance first.
    const c = result.cleanup;
    expect(c.itemCount).toBeGreaterThan(0);
    if (c.lowestKept !== undefined) expect(c.highestFreed!).toBeLessThanOrEqual(c.lowestKept);
    expect(result.boundsChecked).toBeGreaterThan(0);
  }, 120_000);
});
