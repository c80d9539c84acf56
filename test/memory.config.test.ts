/**
 * The memory's one config (zod, defaults everywhere, JSON file by path) and input validation:
 * bad config opens nothing, bad input changes nothing and loses nothing already stored.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InvalidMessageError,
  MemoryClosedError,
  MemoryConfigError,
  MemoryInputError,
  loadMemoryConfig,
  mergeConfig,
  openMemory,
  parseMemoryConfig,
  type Memory,
} from '../host/memory/index.js';
import { memoryScratch } from './support/memoryFlows.js';

const { open, dir } = memoryScratch('janela-config-');

describe('memory config', () => {
  it('has a default for every field', () => {
    const c = parseMemoryConfig({});
    expect(c.dir).toBe('memory');
    expect(c.storage).toEqual({ backend: 'file', lockTimeoutMs: 30_000, snapshotLagMs: 100 });
    expect(c.device).toEqual({ model: true });
    expect(c.tiers.shortTerm.capacity).toBe(50);
    expect(c.context.reserveTokens).toBe(512);
    expect(c.context.maxContextLength).toBe(4096);
    expect(c.archives.metrics.maxRecentSize).toBe(1024);
    expect(c.importance.weights).toEqual({ salience: 0.5, recency: 0.3, frequency: 0.2 });
    expect(c.access.principal).toEqual({ id: 'agent', kind: 'agent' });
    expect(c.access.grants).toBeUndefined();
    expect(c.budget.maxBytes).toBe(256 * 1024 * 1024);
  });

  it('names every bad field with its path', () => {
    let err: unknown;
    try {
      parseMemoryConfig({ tiers: { shortTerm: { capacity: 0 } }, device: { sim: 'yes' }, budget: { targetRatio: 2 }, nonsense: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MemoryConfigError);
    const paths = (err as MemoryConfigError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['tiers.shortTerm.capacity', 'device', 'budget.targetRatio', '']));
    expect(() => parseMemoryConfig({ storage: { backend: 'redis', url: 'http://x' } })).toThrow(/storage.url/);
  });

  it('refuses caps that do not fit in the global threshold', () => {
    expect(() => parseMemoryConfig({ budget: { maxBytes: 1 << 20 } })).toThrow(/budget.maxBytes/);
    expect(() =>
      parseMemoryConfig({ budget: { maxBytes: 1 << 20 }, caches: { budgetBytes: 1 << 18 }, archives: { metrics: { maxArchiveSize: 1 << 17 }, states: { maxColdBytes: 1 << 17 }, emotions: { maxArchivedBytes: 1 << 17 } } }),
    ).not.toThrow();
  });

  it('loads a JSON file (dir relative to it) and lets options override it', async () => {
    const d = dir();
    mkdirSync(join(d, 'conf'));
    const file = join(d, 'conf', 'janela.json');
    writeFileSync(file, JSON.stringify({ dir: '../data', tiers: { shortTerm: { capacity: 7 }, midTerm: { capacity: 9 }, dedup: { messages: 5 } }, device: { model: true, seed: 4 } }));
    const c = await loadMemoryConfig(file);
    expect(c.dir).toBe(join(d, 'data'));
    expect(c.tiers.shortTerm.capacity).toBe(7);
    const m = await openMemory({ configFile: file, tiers: { midTerm: { capacity: 11 } }, budget: { checkIntervalMs: 0 } });
    open.push(m);
    expect(m.config.dir).toBe(join(d, 'data'));
    expect(m.config.tiers.shortTerm.capacity).toBe(7); // from the file
    expect(m.config.tiers.midTerm.capacity).toBe(11); // overridden
    expect(m.config.device).toEqual({ model: true, seed: 4 });
    // A device given in options replaces the file's (alternatives do not merge).
    expect(mergeConfig({ device: { model: true, seed: 4 } }, { device: { sim: true } })).toEqual({ device: { sim: true } });
  });

  it('reports a bad file by name, and opens nothing', async () => {
    const d = dir();
    const file = join(d, 'bad.json');
    writeFileSync(file, '{ "tiers": { "shortTerm": { "capacity": -1 } }, "dir": "never" }');
    await expect(openMemory({ configFile: file })).rejects.toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*tiers.shortTerm.capacity`));
    writeFileSync(file, '{ not json');
    await expect(openMemory({ configFile: file })).rejects.toBeInstanceOf(MemoryConfigError);
    await expect(openMemory({ configFile: join(d, 'missing.json') })).rejects.toThrow(/cannot read/);
    expect(existsSync(join(d, 'never'))).toBe(false);
    const target = join(d, 'nothing-here');
    await expect(openMemory({ dir: target, tiers: { dedup: { messages: 10_000 } } })).rejects.toBeInstanceOf(MemoryConfigError);
    expect(existsSync(target)).toBe(false);
  });
});

describe('memory input validation', () => {
  it('bad input throws a typed error, changes nothing, and loses nothing already stored', async () => {
    const m = await openMemory({ dir: dir(), device: { model: true }, budget: { checkIntervalMs: 0 } });
    open.push(m);
    const alice = m.conversation('alice');
    await alice.append({ role: 'user', content: 'kept' });
    await alice.remember('kept fact', { importance: 0.7 });
    const s = await alice.context('chat');
    await s.append({ role: 'user', content: 'in the window' });
    const before = await m.stats();

    expect(() => m.conversation('Not Valid!')).toThrow(MemoryInputError);
    expect(() => m.conversation('x'.repeat(49))).toThrow(MemoryInputError);
    await expect(m.context('alice./bad')).rejects.toBeInstanceOf(MemoryInputError);
    await expect(alice.append({ role: 'wizard', content: 'x' } as never)).rejects.toBeInstanceOf(InvalidMessageError);
    await expect(alice.appendMany([{ role: 'user', content: 'fine' }, { role: 'user' } as never])).rejects.toBeInstanceOf(InvalidMessageError);
    await expect(alice.remember('x', { importance: 2 })).rejects.toBeInstanceOf(MemoryInputError);
    await expect(alice.remember('x', { salience: { connection: 0.5, bogus: 1 } as never })).rejects.toBeInstanceOf(MemoryInputError);
    await expect(alice.remember('x', { importance: 0.5, salience: {} })).rejects.toBeInstanceOf(MemoryInputError);
    await expect(alice.remember((() => 1) as never)).rejects.toBeInstanceOf(MemoryInputError);
    await expect(alice.remember('x', { window: '../../etc' })).rejects.toBeInstanceOf(MemoryInputError);
    await expect(alice.recall({ minSalience: -1 })).rejects.toBeInstanceOf(MemoryInputError);
    await expect(s.append({ role: 'system', content: 'x' } as never)).rejects.toBeInstanceOf(MemoryInputError);
    await expect(s.append({ role: 'user', content: 'x', extra: 1 } as never)).rejects.toBeInstanceOf(MemoryInputError);
    await expect(m.decay(2, 0)).rejects.toBeInstanceOf(MemoryInputError);
    expect(() => m.cache('bad name!', { maxEntries: 1 })).toThrow(MemoryInputError);
    expect(() => m.cache('c', {} as never)).toThrow(MemoryInputError);
    await expect(m.archive.record({ timestamp: 1, phi: Number.NaN } as never)).rejects.toThrow();

    const after = await m.stats();
    expect(after.device.pool.stores).toBe(before.device.pool.stores);
    expect(after.archives.metrics.appends).toBe(0);
    expect(after.operations['context.append']).toBe(before.operations['context.append']);
    expect((await alice.counts()).messageCount).toBe(2);
    expect((await alice.recall()).map((r) => r.content)).toEqual(['kept fact']);
    expect((await s.window()).messages.map((x) => x.content)).toEqual(['in the window']);
  });

  it('refuses everything once closed', async () => {
    const m = await openMemory({ dir: dir(), device: { model: true }, budget: { checkIntervalMs: 0 } });
    const c = m.conversation('zed');
    await m.close();
    await m.close(); // idempotent
    expect(() => m.conversation('zed')).toThrow(MemoryClosedError);
    await expect(c.append({ role: 'user', content: 'late' })).rejects.toBeInstanceOf(MemoryClosedError);
    await expect(m.cleanup()).rejects.toBeInstanceOf(MemoryClosedError);
  });
});
