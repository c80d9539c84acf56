import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextTracker } from '../host/context/tracker.js';
import { TokenCounter } from '../host/context/tokens.js';
import { AccessControl } from '../host/protect/acl.js';
import { FileAppendLog, MemoryAppendLog } from '../host/protect/appendLog.js';
import { AuditLog, verifyAuditText } from '../host/protect/audit.js';
import { AccessDeniedError, AuditIntegrityError } from '../host/protect/errors.js';
import { Guard, ProtectedMemory } from '../host/protect/guard.js';
import { conversationGraph } from '../host/session/graph.js';
import { StateManager } from '../host/session/stateManager.js';
import { MemoryBlobStore } from '../host/storage/blobStore.js';

const ana = { id: 'ana' };
const bob = { id: 'bob' };
const root = { id: 'root', kind: 'service' as const };
let counter: TokenCounter;
let dir: string;
beforeAll(async () => {
  counter = await TokenCounter.create();
  dir = mkdtempSync(join(tmpdir(), 'janela-audit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setup(log = new MemoryAppendLog()) {
  const acl = new AccessControl([
    { principal: 'root', account: 'acme', permission: 'admin' },
    { principal: 'root', account: 'globex', permission: 'admin' },
    { principal: 'ana', account: 'acme', permission: 'write' },
  ]);
  const audit = await AuditLog.open(log, { key: new TextEncoder().encode('audit-key') });
  const mem = new ProtectedMemory(
    new Guard(acl, audit),
    new ContextTracker({ counter }),
    new StateManager({ store: new MemoryBlobStore(), graph: conversationGraph(), config: { cleanupInterval: 0 } }),
  );
  return { acl, audit, mem, log };
}

describe('access control', () => {
  it('denies by default, records the denial in the audit log, and lets granted principals through', async () => {
    const { audit, mem } = await setup();
    const ref = { account: 'acme', session: 'chat-1' };
    await mem.open(ana, ref, { systemPrompt: 'sys' });
    await mem.append(ana, ref, { role: 'user', content: 'hello' });
    await expect(mem.window(bob, ref)).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(mem.append(bob, ref, { role: 'user', content: 'intrude' })).rejects.toBeInstanceOf(AccessDeniedError);
    const recs = await audit.records();
    const denied = recs.filter((r) => r.decision === 'deny');
    expect(denied.map((r) => [r.principal, r.action, r.permission, r.resource])).toEqual([
      ['bob', 'context.window', 'read', ref],
      ['bob', 'context.append', 'write', ref],
    ]);
    expect((await mem.window(ana, ref)).messages.map((m) => m.content)).toEqual(['sys', 'hello']);
    expect(recs.some((r) => r.principal === 'ana' && r.action === 'context.append' && r.outcome === 'ok')).toBe(true);
  });

  it('keeps accounts apart: a grant on one account gives nothing on another, and equal session names do not collide', async () => {
    const { acl, mem } = await setup();
    acl.grant(root, { principal: 'bob', account: 'globex', permission: 'write' });
    const a = { account: 'acme', session: 's' };
    const g = { account: 'globex', session: 's' };
    await mem.createState(ana, a, { topic: 'acme secret plans' });
    await mem.createState(bob, g, { topic: 'globex' });
    expect((await mem.getState(bob, g))?.data.topic).toBe('globex');
    await expect(mem.getState(bob, a)).rejects.toBeInstanceOf(AccessDeniedError);
    await expect(mem.getState(ana, g)).rejects.toBeInstanceOf(AccessDeniedError);
    expect((await mem.getState(ana, a))?.data.topic).toBe('acme secret plans');
  });

  it('orders permissions admin ⊇ write ⊇ read, scopes session grants, and guards grant changes', async () => {
    const { acl, mem } = await setup();
    const s1 = { account: 'acme', session: 'one' };
    const s2 = { account: 'acme', session: 'two' };
    expect(acl.can(ana, 'read', s1)).toBe(true);
    expect(acl.can(ana, 'admin', s1)).toBe(false);
    await expect(mem.removeState(ana, s1)).rejects.toBeInstanceOf(AccessDeniedError);
    expect(() => acl.grant(ana, { principal: 'bob', account: 'acme', permission: 'read' })).toThrow(AccessDeniedError);
    acl.grant(root, { principal: 'bob', account: 'acme', session: 'one', permission: 'read' });
    expect(acl.can(bob, 'read', s1)).toBe(true);
    expect(acl.can(bob, 'write', s1)).toBe(false);
    expect(acl.can(bob, 'read', s2)).toBe(false);
    expect(acl.can(bob, 'read', { account: 'acme' })).toBe(false);
    acl.revoke(root, { principal: 'ana', account: 'acme', permission: 'write' });
    expect(acl.can(ana, 'write', s1)).toBe(false);
    expect(acl.can(ana, 'read', s1)).toBe(true);
    expect(acl.can({ id: 'bad id with spaces' }, 'read', s1)).toBe(false);
    expect(acl.can(ana, 'read', { account: 'acme.x' })).toBe(false);
  });
});

describe('audit log', () => {
  it('chains every record; changing, removing or reordering a line is detected at that line', async () => {
    const { mem, log, audit } = await setup();
    const ref = { account: 'acme', session: 'c' };
    await mem.open(ana, ref);
    for (let i = 0; i < 4; i++) await mem.append(ana, ref, { role: 'user', content: `m${i}` });
    await mem.window(bob, ref).catch(() => undefined);
    const key = new TextEncoder().encode('audit-key');
    const text = await log.readAll();
    expect(verifyAuditText(text, key)).toMatchObject({ ok: true, records: 11 });
    expect((await audit.verify()).ok).toBe(true);
    const lines = text.trimEnd().split('\n');
    const edited = [...lines];
    edited[4] = edited[4]!.replace('"decision":"allow"', '"decision":"deny"');
    expect(verifyAuditText(edited.join('\n') + '\n', key)).toMatchObject({ ok: false, line: 5 });
    const removed = lines.filter((_, i) => i !== 3);
    expect(verifyAuditText(removed.join('\n') + '\n', key)).toMatchObject({ ok: false, line: 4 });
    const swapped = [...lines];
    [swapped[6], swapped[7]] = [swapped[7]!, swapped[6]!];
    expect(verifyAuditText(swapped.join('\n') + '\n', key)).toMatchObject({ ok: false, line: 7 });
    // Without the HMAC key a recomputed chain does not verify either.
    expect(verifyAuditText(text).ok).toBe(false);
    // A tampered log refuses to open.
    const tampered = new MemoryAppendLog();
    tampered.overwrite(edited.join('\n') + '\n');
    await expect(AuditLog.open(tampered, { key })).rejects.toBeInstanceOf(AuditIntegrityError);
  });

  it('appends durably to a file, continues the chain after reopening and drops a torn last line', async () => {
    const path = join(dir, 'audit.jsonl');
    const key = new TextEncoder().encode('k');
    const a = await AuditLog.open(await FileAppendLog.open(path), { key });
    await a.append({ principal: 'ana', action: 'state.get', permission: 'read', resource: { account: 'acme' }, decision: 'allow' });
    const head = a.head();
    writeFileSync(path, readFileSync(path, 'utf8') + '{"seq":2,"torn', { flag: 'w' });
    const b = await AuditLog.open(await FileAppendLog.open(path), { key });
    expect(b.head()).toEqual(head);
    await b.append({ principal: 'bob', action: 'state.get', permission: 'read', resource: { account: 'acme' }, decision: 'deny' });
    const v = verifyAuditText(readFileSync(path, 'utf8'), key);
    expect(v).toMatchObject({ ok: true, records: 2 });
  });
});
