/**
 * Crash safety of the file backend: writer processes are killed with SIGKILL at random
 * points (during open and repair, mid-append, mid-snapshot) 220 times; afterwards every
 * append a writer acknowledged is in the whole history exactly once, seqs strictly
 * increase, and the tiers are rebuilt from the history.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileAccountStore } from '../host/storage/fileStore.js';
import type { Message } from '../host/tiers/message.js';
import { DEFAULT_SHAPE } from '../host/tiers/config.js';
import { disposeWriter, prepareWriter, startWriter } from './support/tiersChild.js';

const KILLS_PER_ACCOUNT = 55;
const ACCOUNTS = ['crash-a', 'crash-b', 'crash-c', 'crash-d'];

let root: string;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'janela-crash-'));
  await prepareWriter();
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  disposeWriter();
});

async function allHistory(store: FileAccountStore): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const page = await store.history({ afterSeq: out.at(-1)?.seq ?? 0, limit: 1000 });
    if (page.length === 0) return out;
    out.push(...page);
  }
}

async function killLoop(account: string): Promise<{ acked: string[]; kills: number; repairs: string[] }> {
  const acked: string[] = [];
  const repairs: string[] = [];
  let kills = 0;
  for (let i = 0; i < KILLS_PER_ACCOUNT; i++) {
    const w = startWriter(root, account, `${account}-r${i}`, 0, 1 + (i % 4));
    if (Math.random() < 0.25) {
      // Anywhere from spawn on: during startup, open, repair of the previous kill's damage, or writing.
      await new Promise((r) => setTimeout(r, Math.random() * 150));
    } else {
      await w.ready;
      await new Promise((r) => setTimeout(r, Math.random() * 15));
    }
    w.child.kill('SIGKILL');
    const { signal, code } = await w.exited;
    if (signal !== 'SIGKILL') throw new Error(`writer ended with ${code ?? signal} before the kill: ${w.stderr()}`);
    kills++;
    acked.push(...w.acked);
    repairs.push(...w.repairs);
  }
  return { acked, kills, repairs };
}

describe('file backend under SIGKILL', () => {
  it(`keeps every acknowledged append exactly once across ${KILLS_PER_ACCOUNT * ACCOUNTS.length} kills`, async () => {
    const results = await Promise.all(ACCOUNTS.map(killLoop));
    expect(results.reduce((a, r) => a + r.kills, 0)).toBeGreaterThanOrEqual(200);
    // The kills did land inside commits: later writers found the dead writers' locks (and
    // snapshots behind the log) and repaired them.
    const repairs = results.flatMap((r) => r.repairs);
    const tally: Record<string, number> = {};
    for (const k of repairs) tally[k] = (tally[k] ?? 0) + 1;
    console.log(`acknowledged: ${results.reduce((a, r) => a + r.acked.length, 0)}; repairs at open: ${JSON.stringify(tally)}`);
    expect(repairs.filter((k) => k === 'stale-lock').length).toBeGreaterThan(0);
    expect(repairs.filter((k) => k === 'stale-snapshot').length).toBeGreaterThan(0);

    for (const [k, account] of ACCOUNTS.entries()) {
      const { acked } = results[k]!;
      expect(acked.length).toBeGreaterThan(0);
      const store = new FileAccountStore(account, DEFAULT_SHAPE, { root });
      await store.open();
      const history = await allHistory(store);

      // Exactly once: every id in the history is unique, and every acknowledged id is there.
      const counts = new Map<string, number>();
      for (const m of history) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
      expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
      const missing = acked.filter((id) => !counts.has(id));
      expect(missing).toEqual([]);

      // Order: seqs strictly increase; within one writer run, acknowledged order is kept per lane.
      for (let i = 1; i < history.length; i++) expect(history[i]!.seq).toBeGreaterThan(history[i - 1]!.seq);

      // Tiers rebuilt from the history.
      expect((await store.shortTerm()).map((m) => m.seq)).toEqual(history.slice(-50).map((m) => m.seq));
      expect((await store.midTerm()).map((m) => m.seq)).toEqual(history.slice(-250, -50).map((m) => m.seq));
      const { messageCount } = await store.counts();
      expect(messageCount).toBe(history.length);
      await store.close();

      // A second open finds nothing left to repair.
      const again = new FileAccountStore(account, DEFAULT_SHAPE, { root });
      const report = await again.open();
      expect(report.repairs.filter((r) => r.kind !== 'stale-snapshot')).toEqual([]);
      await again.close();
    }
  }, 150_000);
});
