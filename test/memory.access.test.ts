/**
 * Access control of the memory: one principal, grants from host/protect. A principal without
 * permission is denied before anything runs (nothing stored, nothing on the board), and the
 * denial is in the audit log.
 */
import { describe, expect, it } from 'vitest';
import { AccessDeniedError, openMemory, type Memory, type MemoryConfigInput } from '../host/memory/index.js';
import { memoryScratch } from './support/memoryFlows.js';

const { open, dir } = memoryScratch('janela-access-');

async function memoryAs(dir: string, access: MemoryConfigInput['access']): Promise<Memory> {
  const m = await openMemory({ dir, device: { model: true }, budget: { checkIntervalMs: 0 }, access });
  open.push(m);
  return m;
}


describe('memory access control', () => {
  it('denies a principal without permission on the account; nothing is stored, the denial is audited', async () => {
    const d = dir();
    const m = await memoryAs(d, {
      principal: { id: 'helper-bot', kind: 'agent' },
      grants: [{ principal: 'helper-bot', account: 'alice', permission: 'write' }],
    });
    // Granted: alice.
    await m.conversation('alice').append({ role: 'user', content: 'hi' });
    await m.conversation('alice').remember('alice fact');
    // Not granted: bob.
    const bob = m.conversation('bob');
    await expect(bob.append({ role: 'user', content: 'sneaky' })).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(bob.remember('sneaky fact')).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(bob.shortTerm()).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(bob.context('chat')).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(m.context('bob.chat')).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(m.archive.record({ timestamp: 1, phi: 0.1, valence: 0, arousal: 0, attentionFocus: 'x', metacognitionLevel: 0 })).rejects.toBeInstanceOf(AccessDeniedError);
    const st = await m.stats();
    expect(st.device.pool.stores).toBe(1);
    expect(st.access.denials).toBe(6);
    expect(st.access.enforced).toBe(true);
    expect(st.archives.metrics.appends).toBe(0);
    expect(await m.storage.tiers.listAccounts()).toEqual(['alice']);
    const records = await m.access.audit!.records();
    expect(records.filter((r) => r.decision === 'deny').map((r) => [r.principal, r.resource.account, r.permission])).toEqual([
      ['helper-bot', 'bob', 'write'],
      ['helper-bot', 'bob', 'write'],
      ['helper-bot', 'bob', 'read'],
      ['helper-bot', 'bob', 'write'],
      ['helper-bot', 'bob', 'write'],
      ['helper-bot', '_agent', 'write'],
    ]);
    expect((await m.access.audit!.verify()).ok).toBe(true);
  });

  it('read grants allow reads only; a session grant covers only that session', async () => {
    const d = dir();
    const setup = await memoryAs(d, {});
    await setup.conversation('carol').append({ role: 'user', content: 'stored before' });
    await setup.close();
    const m = await memoryAs(d, {
      principal: { id: 'viewer' },
      grants: [
        { principal: 'viewer', account: 'carol', permission: 'read' },
        { principal: 'viewer', account: 'dave', session: 'support', permission: 'write' },
      ],
    });
    expect((await m.conversation('carol').shortTerm()).map((x) => x.content)).toEqual(['stored before']);
    await expect(m.conversation('carol').append({ role: 'user', content: 'no' })).rejects.toBeInstanceOf(AccessDeniedError);
    const support = await m.context('dave.support');
    const r = await support.append({ role: 'user', content: 'help me' });
    expect(r.seq).toBe(1);
    await expect(m.context('dave.other')).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(m.conversation('dave').shortTerm()).rejects.toBeInstanceOf(AccessDeniedError);
    expect((await m.conversation('carol').counts()).messageCount).toBe(1);
  });

  it('without grants the principal is trusted; with an archive grant the archives open up', async () => {
    const trusted = await memoryAs(dir(), {});
    expect(trusted.access.enforced).toBe(false);
    await trusted.conversation('anyone').append({ role: 'user', content: 'ok' });
    const m = await memoryAs(dir(), { principal: { id: 'svc', kind: 'service' }, grants: [{ principal: 'svc', account: '_agent', permission: 'write' }] });
    const rec = await m.archive.record({ timestamp: 5, phi: 0.4, valence: 0.1, arousal: 0.2, attentionFocus: 'work', metacognitionLevel: 1 });
    expect(rec.seq).toBe(1);
    expect((await m.archive.metrics()).records).toHaveLength(1);
    await expect(m.conversation('anyone').counts()).rejects.toBeInstanceOf(AccessDeniedError);
  });

  it("audit 'all' records every decision and its outcome", async () => {
    const m = await memoryAs(dir(), { principal: { id: 'p1' }, grants: [{ principal: 'p1', account: 'erin', permission: 'admin' }], audit: 'all' });
    await m.conversation('erin').append({ role: 'user', content: 'x' });
    await expect(m.conversation('frank').counts()).rejects.toBeInstanceOf(AccessDeniedError);
    const recs = await m.access.audit!.records();
    expect(recs.map((r) => [r.resource.account, r.decision, r.outcome ?? null])).toEqual([
      ['erin', 'allow', null],
      ['erin', 'allow', 'ok'],
      ['frank', 'deny', null],
    ]);
  });
});
