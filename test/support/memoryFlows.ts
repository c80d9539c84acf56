/**
 * The end-to-end flows of the memory facade, shared by the simulator test (10 k messages,
 * 20 accounts) and the model test (a smaller, faster variant): conversations through context
 * sessions (tiers + windows), items remembered on the board (evictions spilled), decays,
 * a mid-run unified cleanup, metrics/states/emotions into the archives; then a restart from
 * disk and the checks: nothing lost, bounds held, stats consistent.
 */
import { tempDir } from './tiers.js';
import { afterEach, expect } from 'vitest';
import { openMemory, type Memory, type MemoryConfigInput, type MemoryCleanupReport } from '../../host/memory/index.js';
import type { Message } from '../../host/tiers/message.js';
import { seededRandom } from '../../host/util/random.js';


/**
 * Per-test scratch for memory tests (registers its own afterEach): memories pushed to `open`
 * are closed, and folders from `dir()` removed, after each test.
 */
export function memoryScratch(prefix = 'janela-memory-'): { readonly open: Memory[]; dir(): string } {
  const open: Memory[] = [];
  const cleanups: (() => void)[] = [];
  afterEach(async () => {
    for (const m of open.splice(0)) await m.close().catch(() => undefined);
    for (const c of cleanups.splice(0)) c();
  });
  return {
    open,
    dir() {
      const t = tempDir(prefix);
      cleanups.push(t.cleanup);
      return t.dir;
    },
  };
}

/** Small tiers, windows and archives, so every movement happens many times in a short run. */
export function flowConfig(dir: string, device: MemoryConfigInput['device']): MemoryConfigInput {
  return {
    dir,
    device,
    windows: { perAccount: 2 },
    tiers: {
      shortTerm: { capacity: 20 },
      midTerm: { capacity: 60 },
      dedup: { messages: 20 },
      context: { chunkMessages: 50, maxSummaries: 6, maxSummaryChars: 600, periodicIntervalMs: 0 },
    },
    context: { maxContextLength: 512, contextOverlap: 48, reserveTokens: 128 },
    archives: {
      metrics: { maxRecentSize: 64, maxArchiveSize: 1 << 20 },
      states: { hotMs: 0, warmMs: 0, maxHotStates: 4, coldBlockStates: 8, maxColdBytes: 1 << 20 },
      emotions: { activeSize: 16, recentSegmentSize: 8, maxRecentEntries: 32, archiveBlockEntries: 32, maxArchivedBytes: 1 << 20 },
    },
    caches: { budgetBytes: 1 << 20 },
    budget: { maxBytes: 6 << 20, checkIntervalMs: 0 },
  };
}

export interface FlowSizes {
  readonly accounts: number;
  readonly messages: number;
  /** Every n-th message also remembers a fact on the board. */
  readonly rememberEvery: number;
}

export interface FlowResult {
  /** Per account: ids of the messages appended through the session (none a duplicate). */
  readonly ids: Map<string, string[]>;
  /** Per account: contents remembered on the board (all distinct). */
  readonly remembered: Map<string, string[]>;
  readonly metrics: number;
  readonly states: number;
  readonly emotions: number;
  readonly decays: number;
  readonly cleanup: MemoryCleanupReport;
  readonly boundsChecked: number;
}

const WORDS = 'plan route train hotel museum budget deploy latency pool canary rollback recipe saffron guests allergy window memory board salience tier summary context archive'.split(' ');

function sentence(r: () => number, n: number): string {
  const w: string[] = [];
  for (let i = 0; i < n; i++) w.push(WORDS[Math.floor(r() * WORDS.length)]!);
  return w.join(' ');
}

/** Checks the bounds every component promises, on the live memory. */
export async function checkBounds(memory: Memory, accounts: readonly string[]): Promise<number> {
  const c = memory.config;
  let checks = 0;
  const windows = await memory.windows();
  const info = await memory.device.info();
  expect(windows.length).toBeLessThanOrEqual(info.maxWindows);
  expect(windows.length).toBeGreaterThanOrEqual(info.minWindows);
  expect(windows.reduce((n, w) => n + w.items, 0)).toBeLessThanOrEqual(info.capacity);
  for (const w of windows) expect(w.items).toBeLessThanOrEqual(info.quota);
  checks += 4;
  for (const a of accounts) {
    const conv = memory.conversation(a);
    expect((await conv.windows()).length).toBeLessThanOrEqual(c.windows.perAccount);
    expect((await conv.shortTerm()).length).toBeLessThanOrEqual(c.tiers.shortTerm.capacity);
    expect((await conv.midTerm()).length).toBeLessThanOrEqual(c.tiers.midTerm.capacity);
    const ctx = await conv.historyContext();
    expect(ctx.summaries.length).toBeLessThanOrEqual(c.tiers.context.maxSummaries);
    for (const s of ctx.summaries) expect(s.text.length).toBeLessThanOrEqual(c.tiers.context.maxSummaryChars);
    checks += 5;
  }
  const s = await memory.stats();
  expect(s.caches.totalBytes).toBeLessThanOrEqual(s.caches.budgetBytes);
  expect(s.archives.metrics.storedBytes).toBeLessThanOrEqual(c.archives.metrics.maxArchiveSize);
  expect(s.archives.metrics.bufferRecords).toBeLessThanOrEqual(c.archives.metrics.maxRecentSize);
  expect(s.context.pendingFold).toBeLessThanOrEqual(c.context.maxPendingFold);
  return checks + 4;
}

/** Runs the flows; accounts proceed concurrently, each one in order. */
export async function runFlows(memory: Memory, sizes: FlowSizes): Promise<FlowResult> {
  const accounts = Array.from({ length: sizes.accounts }, (_, i) => `acct-${String(i).padStart(2, '0')}`);
  const ids = new Map(accounts.map((a) => [a, [] as string[]]));
  const remembered = new Map(accounts.map((a) => [a, [] as string[]]));
  const perAccount = Math.ceil(sizes.messages / sizes.accounts);
  let metrics = 0;
  let states = 0;
  let emotions = 0;
  let decays = 0;
  let boundsChecked = 0;
  let cleanup: MemoryCleanupReport | undefined;
  let archiveQueue: Promise<unknown> = Promise.resolve();
  const archived = (fn: () => Promise<unknown>) => {
    archiveQueue = archiveQueue.then(fn);
    return archiveQueue;
  };

  const runAccount = async (account: string, index: number, from: number, to: number) => {
    const r = seededRandom(1000 + index * 7919 + from);
    const conv = memory.conversation(account);
    const session = await conv.context('chat', { systemPrompt: `You assist ${account}.` });
    for (let i = from; i < to; i++) {
      const role = i % 3 === 2 ? 'assistant' : i % 7 === 5 ? 'tool' : 'user';
      const res = await session.append({ role, content: `${account} #${i}: ${sentence(r, 6 + Math.floor(r() * 20))}`, ...(role === 'tool' && { name: 'search' }) });
      expect(res.duplicate).toBe(false);
      ids.get(account)!.push(res.id);
      if (i % sizes.rememberEvery === 0) {
        const fact = `fact ${account}/${i}: ${sentence(r, 4)}`;
        await conv.remember(fact, { window: `w${i % 3}`, importance: Math.round(r() * 100) / 100 });
        remembered.get(account)!.push(fact);
      }
      if (i % 10 === 0) {
        metrics++;
        await archived(() =>
          memory.archive.record({ timestamp: 1_700_000_000_000 + metrics, phi: r(), valence: 2 * r() - 1, arousal: r(), attentionFocus: account, metacognitionLevel: i % 4 }),
        );
      }
      if (i % 50 === 0) {
        states++;
        await archived(() => memory.archive.saveState({ phi: r(), workspace: { account, i }, emotionalState: { valence: r() }, attentionState: { focus: account } }));
      }
      if (i % 20 === 0) {
        emotions++;
        await archived(() => memory.archive.setEmotion({ valence: 2 * r() - 1, arousal: r() }));
      }
    }
  };

  // Three rounds; between them a decay, a bounds check and (after the first) a cleanup.
  const rounds = [0, Math.floor(perAccount / 3), Math.floor((2 * perAccount) / 3), perAccount];
  for (let k = 0; k < 3; k++) {
    await Promise.all(accounts.map((a, i) => runAccount(a, i, rounds[k]!, rounds[k + 1]!)));
    await memory.decay(0.1, 0.15);
    decays++;
    await memory.flush();
    boundsChecked += await checkBounds(memory, accounts);
    if (k === 0) {
      // Free half of what is held: caches, idle accounts and context sessions go, lowest importance first.
      cleanup = await memory.cleanup({ targetBytes: Math.floor(memory.usage().totalBytes / 2) });
    }
  }
  await archiveQueue;
  return { ids, remembered, metrics, states, emotions, decays, cleanup: cleanup!, boundsChecked };
}

/** Reads an account's whole history. */
export async function wholeHistory(memory: Memory, account: string): Promise<Message[]> {
  const out: Message[] = [];
  for (;;) {
    const page = await memory.conversation(account).history({ afterSeq: out.at(-1)?.seq ?? 0, limit: 1000 });
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

/** After a restart: every message and every remembered item is in its account's history, once. */
export async function checkNothingLost(memory: Memory, result: FlowResult): Promise<{ messages: number; spilled: number }> {
  let messages = 0;
  let spilled = 0;
  for (const [account, idList] of result.ids) {
    const history = await wholeHistory(memory, account);
    const byId = new Set(history.map((m) => m.id));
    for (const id of idList) expect(byId.has(id), `${account}: message ${id}`).toBe(true);
    const memories = history.filter((m) => m.role === 'memory').map((m) => m.content);
    expect(memories.sort()).toEqual([...result.remembered.get(account)!].sort());
    expect(history.length).toBe(idList.length + memories.length);
    // seqs are 1..n without gaps
    history.forEach((m, i) => expect(m.seq).toBe(i + 1));
    messages += history.length;
    spilled += memories.length;
  }
  return { messages, spilled };
}

/** The whole flow: open, run, check, close, reopen, check again. */
export async function endToEnd(
  device: MemoryConfigInput['device'],
  sizes: FlowSizes,
  extra: MemoryConfigInput = {},
): Promise<{ result: FlowResult; messages: number; spilled: number }> {
  const { dir, cleanup } = tempDir('janela-memory-');
  try {
    const memory = await openMemory({ ...flowConfig(dir, device), ...extra });
    let result: FlowResult;
    let before;
    try {
      result = await runFlows(memory, sizes);
      await memory.flush();
      before = await memory.stats({ accounts: true });
      const remembers = [...result.remembered.values()].reduce((n, l) => n + l.length, 0);
      const sent = [...result.ids.values()].reduce((n, l) => n + l.length, 0);
      // Stats agree with what was done.
      expect(before.device.pool.stores).toBe(remembers);
      expect(before.operations['windows.remember']).toBe(remembers);
      expect(before.operations['context.append']).toBe(sent);
      const p = before.device.pool;
      const evicted = p.evictions.store + p.evictions.decay + p.evictions.close;
      expect(p.foreignEvictions).toBe(0);
      expect(evicted + p.ownedItems).toBe(remembers);
      expect(before.spills.stored + before.spills.duplicates).toBe(evicted);
      expect(before.spills.duplicates).toBe(0);
      expect(before.spills.failed).toBe(0);
      expect(before.device.link.requests).toBeGreaterThanOrEqual(remembers);
      expect(before.accounts.details!.reduce((n, a) => n + a.messages, 0)).toBe(sent + before.spills.stored);
      expect(before.archives.metrics.appends).toBe(result.metrics);
      expect(before.archives.states.versions).toBe(result.states);
      expect(before.archives.emotions.sets).toBe(result.emotions);
      expect(before.cleanup.runs).toBeGreaterThanOrEqual(1);
      expect(before.budget.totalBytes).toBe(before.budget.components.reduce((n, c) => n + c.bytes, 0));
    } finally {
      await memory.close();
    }
    // Restart from disk (the windows start empty: close spilled what they held).
    const again = await openMemory({ ...flowConfig(dir, { model: true }), ...extra });
    try {
      const { messages, spilled } = await checkNothingLost(again, result);
      expect(messages).toBe(before.accounts.details!.reduce((n, a) => n + a.messages, 0) + before.device.pool.ownedItems);
      const q = await again.archive.metrics();
      expect(q.records.length).toBe(result.metrics);
      expect(q.corrupt).toEqual([]);
      const st = await again.stats({ accounts: true });
      expect(st.archives.states.versions).toBe(result.states);
      expect((await again.archive.emotions()).entries.length).toBe(result.emotions);
      expect(st.accounts.stored).toBe(result.ids.size);
      await checkBounds(again, [...result.ids.keys()]);
      return { result, messages, spilled };
    } finally {
      await again.close();
    }
  } finally {
    cleanup();
  }
}
