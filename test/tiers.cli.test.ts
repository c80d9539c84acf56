/** `janela memory list|show|health` on a real memory directory. */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoryCommand } from '../host/cli/commands/memory.js';
import { UsageError } from '../host/cli/command.js';
import { appendN, fileMemory, tempDir } from './support/tiers.js';

let tmp: ReturnType<typeof tempDir>;
let out: string[];
beforeEach(async () => {
  tmp = tempDir();
  const mem = await fileMemory(tmp.dir);
  await appendN(await mem.account('alice'), 60);
  await appendN(await mem.account('bob'), 2);
  await mem.close();
  out = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
});
afterEach(() => {
  vi.restoreAllMocks();
  tmp.cleanup();
});

const run = (...args: string[]) => memoryCommand.run([...args, '--dir', tmp.dir]);

describe('janela memory', () => {
  it('list', async () => {
    expect(await run('list')).toBe(0);
    expect(out).toEqual(['alice', 'bob']);
    out = [];
    expect(await run('list', '--json')).toBe(0);
    expect(JSON.parse(out.join('\n')).accounts).toEqual(['alice', 'bob']);
  });

  it('show', async () => {
    expect(await run('show', 'alice', '--last', '2')).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/whole history: 60 messages/);
    expect(text).toMatch(/short-term: 50\/50 {3}mid-term: 10\/200/);
    expect(text).toMatch(/#60 .* assistant: msg 59/);
    out = [];
    await run('show', 'alice', '--json');
    const j = JSON.parse(out.join('\n'));
    expect(j.counts).toEqual({ messageCount: 60, lastSeq: 60 });
    expect(j.short_term).toHaveLength(50);
    expect(j.mid_term).toHaveLength(10);
  });

  it('health: healthy → 0; damage found (read-only, not repaired) → 1', async () => {
    expect(await run('health', 'alice')).toBe(0);
    expect(out[0]).toMatch(/healthy/);
    appendFileSync(join(tmp.dir, 'account_alice', 'history.log'), 'JNL1 torn');
    out = [];
    expect(await run('health', 'alice', '--json')).toBe(1);
    const j = JSON.parse(out.join('\n'));
    expect(j.healthy).toBe(false);
    expect(j.components.find((c: { component: string }) => c.component === 'history').issues.join()).toMatch(/torn tail.*not repaired/);
  });

  it('refuses bad usage and bad account ids', async () => {
    await expect(run('frobnicate')).rejects.toBeInstanceOf(UsageError);
    await expect(run('show')).rejects.toBeInstanceOf(UsageError);
    await expect(run('show', '../bob')).rejects.toMatchObject({ name: 'AccountIdError' });
    await expect(run('show', 'nobody')).rejects.toMatchObject({ name: 'StorageError' });
  });
});
