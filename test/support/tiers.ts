/** Helpers for the tier and storage tests: temp dirs and memories over real files. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileStoreConfigInput } from '../../host/storage/fileStore.js';
import { FileStoreFactory } from '../../host/storage/fileStore.js';
import type { StoreFactory } from '../../host/storage/types.js';
import type { AccountMemory, Summariser, TierConfigInput } from '../../host/tiers/index.js';
import { ConversationMemory, parseTierConfig, tierShape } from '../../host/tiers/index.js';

export function tempDir(prefix = 'janela-tiers-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Triggers off unless the test turns them on: tests of tier movement should not summarise. */
export const QUIET: TierConfigInput = {
  context: { onShortTermFull: false, periodicIntervalMs: 0, topic: { enabled: false } },
};

export async function fileMemory(
  root: string,
  config: TierConfigInput = QUIET,
  options: { summariser?: Summariser; store?: FileStoreConfigInput } = {},
): Promise<ConversationMemory> {
  const shape = tierShape(parseTierConfig(config));
  return ConversationMemory.open({
    store: new FileStoreFactory(shape, { root, ...options.store }),
    config,
    ...(options.summariser ? { summariser: options.summariser } : {}),
  });
}

export async function memoryOver(store: StoreFactory, config: TierConfigInput = QUIET, summariser?: Summariser): Promise<ConversationMemory> {
  return ConversationMemory.open({ store, config, ...(summariser ? { summariser } : {}) });
}

/** Appends n messages "msg <i>" (distinct) one after another. */
export async function appendN(acct: AccountMemory, n: number, from = 0, prefix = 'msg'): Promise<void> {
  for (let i = from; i < from + n; i++) await acct.append({ role: i % 2 ? 'assistant' : 'user', content: `${prefix} ${i}` });
}

export const seqs = (ms: readonly { seq: number }[]): number[] => ms.map((m) => m.seq);
export const range = (a: number, b: number): number[] => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
