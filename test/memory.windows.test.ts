/**
 * Memory windows through the facade (on the model): each item belongs to its account, and
 * whatever leaves working memory — a full window, a full board, a window giving way, a decay,
 * close — reaches that account's short-term tier exactly once.
 */
import { describe, expect, it } from 'vitest';
import { openMemory, type Memory, type MemoryConfigInput } from '../host/memory/index.js';
import { memoryScratch, wholeHistory } from './support/memoryFlows.js';

const { open, dir } = memoryScratch('janela-windows-');

async function memoryWith(extra: MemoryConfigInput = {}): Promise<{ memory: Memory; dir: string }> {
  const folder = dir();
  const memory = await openMemory({ dir: folder, device: { model: true }, budget: { checkIntervalMs: 0 }, ...extra });
  open.push(memory);
  return { memory, dir: folder };
}

async function memories(memory: Memory, account: string): Promise<{ content: string; cause: unknown; label: unknown }[]> {
  return (await wholeHistory(memory, account))
    .filter((m) => m.role === 'memory')
    .map((m) => ({ content: m.content, cause: m.metadata.cause, label: m.metadata.label }));
}

describe('memory windows', () => {
  it('evictions of a full window reach the owning account, least salient first', async () => {
    const { memory } = await memoryWith();
    const alice = memory.conversation('alice');
    const quota = (await memory.device.info()).quota;
    // An independent replay of the rule: a full window evicts its lowest (salience, stamp).
    const held: { sal: number; stamp: number; content: string }[] = [];
    const expected: string[] = [];
    for (let i = 0; i < quota + 5; i++) {
      const r = await alice.remember(`a${i}`, { importance: ((i * 37) % 100) / 100 });
      if (held.length >= quota) {
        held.sort((x, y) => x.sal - y.sal || x.stamp - y.stamp);
        expected.push(held.shift()!.content);
      }
      held.push({ sal: r.salience, stamp: r.stamp, content: `a${i}` });
    }
    await memory.flush();
    const spilled = await memories(memory, 'alice');
    expect(spilled.map((s) => s.content)).toEqual(expected);
    expect(spilled.every((s) => s.cause === 'store' && s.label === 'main')).toBe(true);
    const left = (await alice.recall({ order: 'insertion' })).map((r) => String(r.content));
    expect(left.sort()).toEqual(held.map((h) => h.content).sort());
  });

  it('a full board evicts across accounts; each spill goes to the item\'s own account', async () => {
    const { memory } = await memoryWith({ device: { model: true, config: { capacity: 12, quota: 8 } }, windows: { perAccount: 1 } });
    const accounts = ['alice', 'bob', 'carol'];
    for (let i = 0; i < 60; i++) await memory.conversation(accounts[i % 3]!).remember(`${accounts[i % 3]}:${i}`, { importance: ((i * 53) % 100) / 100 });
    await memory.flush();
    let total = 0;
    for (const a of accounts) {
      const mine = await memories(memory, a);
      expect(mine.every((m) => m.content.startsWith(`${a}:`))).toBe(true);
      const held = (await memory.conversation(a).recall()).map((r) => String(r.content));
      expect(held.every((c) => c.startsWith(`${a}:`))).toBe(true);
      total += mine.length + held.length;
    }
    expect(total).toBe(60);
  });

  it('an account over perAccount gives way its least important window, spilling its items first', async () => {
    const { memory } = await memoryWith({ windows: { perAccount: 2 } });
    const alice = memory.conversation('alice');
    await alice.remember('low', { window: 'scratch', importance: 0.05 });
    await alice.remember('high', { window: 'plans', importance: 0.95 });
    await alice.remember('new', { window: 'third', importance: 0.5 });
    await memory.flush();
    const labels = (await alice.windows()).map((w) => w.label).sort();
    expect(labels).toEqual(['plans', 'third']);
    expect(await memories(memory, 'alice')).toEqual([{ content: 'low', cause: 'close', label: 'scratch' }]);
  });

  it('when the board keeps its minimum open, a window is handed over and its leftovers are not spilled twice', async () => {
    const { memory } = await memoryWith({ device: { model: true, config: { maxWindows: 3, minWindows: 3, capacity: 12, quota: 4 } }, windows: { perAccount: 1 } });
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (let round = 0; round < 3; round++) {
      for (const n of names) await memory.conversation(n).remember(`${n}-${round}`, { importance: 0.5 });
    }
    // Fill again so that the leftovers of handed-over windows are evicted by the board.
    for (let i = 0; i < 20; i++) await memory.conversation('a').remember(`a-extra-${i}`, { importance: 0.9 });
    await memory.flush();
    const st = await memory.stats();
    expect(st.device.pool.windowsReassigned).toBeGreaterThan(0);
    expect(st.device.pool.windowsClosed).toBe(0);
    await memory.close();
    // Every item is in its account's history exactly once.
    const again = await openMemory({ dir: memory.config.dir, device: { model: true }, budget: { checkIntervalMs: 0 } });
    open.push(again);
    for (const n of names) {
      const contents = (await memories(again, n)).map((m) => m.content).sort();
      const expected = [0, 1, 2].map((r) => `${n}-${r}`);
      if (n === 'a') for (let i = 0; i < 20; i++) expected.push(`a-extra-${i}`);
      expect(contents).toEqual(expected.sort());
    }
  });

  it('decay forgets the least salient items into their tiers; focus names the holder', async () => {
    const { memory } = await memoryWith();
    const bob = memory.conversation('bob');
    await bob.remember('faint', { importance: 0.1 });
    await bob.remember('strong', { importance: 0.9 });
    await memory.conversation('carol').remember('carols', { window: 'x', importance: 0.2 });
    const r = await memory.decay(0.2, 0.2);
    expect(r.evicted).toBe(2);
    await memory.flush();
    expect((await memories(memory, 'bob')).map((m) => [m.content, m.cause])).toEqual([['faint', 'decay']]);
    expect((await memories(memory, 'carol')).map((m) => [m.content, m.cause])).toEqual([['carols', 'decay']]);
    expect((await bob.recall()).map((x) => x.content)).toEqual(['strong']);
    const f = await memory.focus();
    expect(f.account).toBe('bob');
  });

  it('recall is per account, ordered by salience or insertion, filtered by minSalience', async () => {
    const { memory } = await memoryWith();
    const a = memory.conversation('alice');
    await a.remember('one', { importance: 0.3 });
    await a.remember('two', { importance: 0.9 });
    await a.remember('three', { importance: 0.6, window: 'other' });
    await memory.conversation('bob').remember('bobs', { importance: 1 });
    expect((await a.recall()).map((r) => r.content)).toEqual(['two', 'three', 'one']);
    expect((await a.recall({ order: 'insertion' })).map((r) => r.content)).toEqual(['one', 'two', 'three']);
    expect((await a.recall({ minSalience: 0.5 })).map((r) => r.content)).toEqual(['two', 'three']);
    expect((await a.recall({ window: 'other' })).map((r) => r.content)).toEqual(['three']);
    const sal = (await a.recall()).map((r) => r.salience);
    expect(sal).toEqual([...sal].sort((x, y) => y - x));
  });

  it('close spills what the windows hold, so a restart finds every item in the tiers', async () => {
    const { memory, dir } = await memoryWith();
    await memory.conversation('dora').remember({ kind: 'json', n: 1 });
    await memory.conversation('dora').remember('text item');
    await memory.close();
    const again = await openMemory({ dir, device: { model: true }, budget: { checkIntervalMs: 0 } });
    open.push(again);
    const ms = await memories(again, 'dora');
    expect(ms.map((m) => m.cause)).toEqual(['close', 'close']);
    expect(ms.map((m) => m.content).sort()).toEqual(['text item', JSON.stringify({ kind: 'json', n: 1 })].sort());
    expect(await again.conversation('dora').recall()).toEqual([]);
  });
});
