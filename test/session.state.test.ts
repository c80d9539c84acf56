import { describe, expect, it } from 'vitest';
import { MemoryBlobStore, type BlobStore } from '../host/storage/blobStore.js';
import { StatePersistenceError, StateTransitionError } from '../host/session/errors.js';
import { conversationGraph } from '../host/session/graph.js';
import { StateManager } from '../host/session/stateManager.js';

/** A store whose writes can be made to fail. */
class FlakyStore extends MemoryBlobStore {
  failPuts = false;
  failDeletes = false;
  puts = 0;
  override async put(key: string, bytes: Uint8Array): Promise<void> {
    if (this.failPuts) throw new Error('disk full');
    this.puts++;
    return super.put(key, bytes);
  }
  override async delete(key: string): Promise<void> {
    if (this.failDeletes) throw new Error('io error');
    return super.delete(key);
  }
}

function manager(store: BlobStore, maxStates = 100, transform?: ConstructorParameters<typeof StateManager>[0]['transform']) {
  return new StateManager({ store, graph: conversationGraph(), config: { maxStates, cleanupInterval: 0 }, ...(transform ? { transform } : {}), now: () => 1_700_000_000_000 });
}

describe('StateManager: transitions', () => {
  it('follows the declared graph and merges patches (deep, $delete removes, arrays replace)', async () => {
    const sm = manager(new MemoryBlobStore());
    await sm.create('s1', { topic: 'fpga', vars: { a: { b: 1, c: [1, 2] }, keep: true } });
    await sm.update('s1', { to: 'active', patch: { turn: 1, vars: { a: { c: [3] } } } });
    const t = await sm.update('s1', { to: 'awaiting_tool', patch: { pendingTool: { name: 'search', callId: 'c1' } } });
    expect(t.state).toBe('awaiting_tool');
    const back = await sm.update('s1', { to: 'active', patch: { pendingTool: { $delete: true }, vars: { keep: { $delete: true } } } });
    expect(back.data).toEqual({ turn: 1, topic: 'fpga', vars: { a: { b: 1, c: [3] } } });
    expect(back.version).toBe(4);
    expect(back.from).toBe('awaiting_tool');
    expect((await sm.history('s1')).map((r) => r.state)).toEqual(['open', 'active', 'awaiting_tool', 'active']);
  });

  it('rejects an undeclared transition with StateTransitionError and persists nothing', async () => {
    const store = new FlakyStore();
    const sm = manager(store);
    await sm.create('s2');
    const putsBefore = store.puts;
    const keysBefore = await store.list('');
    const err = await sm.update('s2', { to: 'awaiting_tool', patch: { pendingTool: { name: 'x', callId: 'y' } } }).catch((e) => e);
    expect(err).toBeInstanceOf(StateTransitionError);
    expect(err.reason).toBe('not-allowed');
    expect(err.from).toBe('open');
    expect(err.to).toBe('awaiting_tool');
    expect(store.puts).toBe(putsBefore);
    expect(await store.list('')).toEqual(keysBefore);
    expect((await sm.get('s2'))?.state).toBe('open');
  });

  it('rejects data that does not fit the target state, bad patches and unknown states, persisting nothing', async () => {
    const store = new FlakyStore();
    const sm = manager(store);
    await sm.create('s3');
    await sm.update('s3', { to: 'active' });
    const puts = store.puts;
    const cases: [Parameters<StateManager['update']>[1], string][] = [
      [{ to: 'awaiting_tool' }, 'invalid-data'], // pendingTool missing
      [{ patch: { turn: -1 } }, 'invalid-data'],
      [{ to: 'closed' }, 'invalid-data'], // closedReason missing
      [{ patch: JSON.parse('{"__proto__": {"polluted": 1}}') }, 'invalid-patch'],
      [{ patch: { vars: { $set: 1 } } }, 'invalid-patch'],
      [{ patch: { vars: { x: Number.NaN } } }, 'invalid-patch'],
      [{ to: 'nowhere' }, 'unknown-state'],
      [{ expectedVersion: 1 }, 'stale-version'],
      [{ patch: 'x' } as never, 'invalid-request'],
    ];
    for (const [u, reason] of cases) {
      const e = await sm.update('s3', u).catch((x) => x);
      expect(e, JSON.stringify(u)).toBeInstanceOf(StateTransitionError);
      expect(e.reason, JSON.stringify(u)).toBe(reason);
    }
    expect(store.puts).toBe(puts);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const cur = await sm.get('s3');
    expect(cur?.version).toBe(2);
    expect(cur?.data).toEqual({ turn: 0, vars: {} });
  });

  it('a persistence failure is a StatePersistenceError and leaves memory unchanged', async () => {
    const store = new FlakyStore();
    const sm = manager(store);
    await sm.create('s4');
    store.failPuts = true;
    await expect(sm.update('s4', { to: 'active', patch: { turn: 3 } })).rejects.toBeInstanceOf(StatePersistenceError);
    expect((await sm.get('s4'))?.state).toBe('open');
    expect(await sm.history('s4')).toHaveLength(1);
    store.failPuts = false;
    expect((await sm.update('s4', { to: 'active', patch: { turn: 3 } })).version).toBe(2);
  });

  it('returns frozen records: callers cannot change the state behind its back', async () => {
    const sm = manager(new MemoryBlobStore());
    const r = await sm.create('s5', { vars: { x: 1 } });
    expect(() => {
      (r.data.vars as Record<string, unknown>).x = 2;
    }).toThrow(TypeError);
    expect((await sm.get('s5'))?.data).toEqual({ turn: 0, vars: { x: 1 } });
  });

  it('serialises concurrent updates of one session', async () => {
    const sm = manager(new MemoryBlobStore());
    await sm.create('s6');
    await sm.update('s6', { to: 'active' });
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => sm.update('s6', { patch: { vars: { [`k${i}`]: i } } })));
    expect(all.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
    expect(Object.keys((await sm.get('s6'))!.data.vars as object)).toHaveLength(20);
  });

  it('applies the transform (redaction) before validation and persistence', async () => {
    const store = new MemoryBlobStore();
    const sm = manager(store, 100, (d) => JSON.parse(JSON.stringify(d).replaceAll('alice@example.com', '[EMAIL:1]')));
    await sm.create('s7', { topic: 'mail alice@example.com' });
    const keys = await store.list('state/s7/');
    const text = new TextDecoder().decode(await store.get(keys[0]!));
    expect(text).not.toContain('alice@example.com');
    expect((await sm.get('s7'))?.data.topic).toBe('mail [EMAIL:1]');
  });
});

describe('StateManager: max_states, cleanup, recovery', () => {
  it('keeps at most maxStates versions, in memory and in the store', async () => {
    const store = new MemoryBlobStore();
    const sm = manager(store, 5);
    await sm.create('m');
    await sm.update('m', { to: 'active' });
    for (let i = 1; i <= 30; i++) {
      await sm.update('m', { patch: { turn: i } });
      expect((await sm.history('m')).length).toBeLessThanOrEqual(5);
      expect((await store.list('state/m/')).length).toBeLessThanOrEqual(5);
    }
    const h = await sm.history('m');
    expect(h.map((r) => r.version)).toEqual([28, 29, 30, 31, 32]);
    expect(sm.metrics().stateCount).toBe(5);
  });

  it('cleanup removes what failed deletes left beyond maxStates', async () => {
    const store = new FlakyStore();
    const sm = manager(store, 3);
    await sm.create('c');
    await sm.update('c', { to: 'active' });
    store.failDeletes = true;
    for (let i = 0; i < 6; i++) await sm.update('c', { patch: { turn: i + 1 } });
    expect((await store.list('state/c/')).length).toBe(8);
    expect(sm.metrics().deleteFailures).toBeGreaterThan(0);
    store.failDeletes = false;
    expect(await sm.cleanup()).toBe(5);
    expect((await store.list('state/c/')).length).toBe(3);
  });

  it('recovers every session after a restart, skipping a corrupt newest version', async () => {
    const store = new MemoryBlobStore();
    const a = manager(store);
    await a.create('r1', { topic: 'one' });
    await a.update('r1', { to: 'active', patch: { turn: 2 } });
    await a.create('r2');
    await a.update('r2', { to: 'active' });
    await a.update('r2', { to: 'suspended' });
    a.close();
    await store.put('state/r2/0000000004.json', new TextEncoder().encode('{"torn'));
    const b = manager(store);
    const rec = await b.recover();
    expect(rec.sessions).toEqual(['r1', 'r2']);
    expect(rec.corrupt).toEqual(['state/r2/0000000004.json']);
    expect(await b.get('r1')).toEqual(await a.get('r1'));
    expect((await b.get('r2'))?.state).toBe('suspended');
    expect((await b.update('r2', { to: 'active' })).version).toBe(4);
  });

  it('loads a session lazily on first use after a restart', async () => {
    const store = new MemoryBlobStore();
    await manager(store).create('lazy', { topic: 't' });
    const b = manager(store);
    expect((await b.get('lazy'))?.data.topic).toBe('t');
    expect(await b.get('absent')).toBeUndefined();
  });
});
