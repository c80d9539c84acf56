/**
 * Leak test: a million cheap operations through one Memory on the model — cache gets and
 * sets, remembers (the board evicts on every store once full, and the spills land in the
 * short-term tier as duplicates of recent memory messages, so nothing waits for a disk),
 * recalls, focus, usage and cleanups — with the heap measured after a full GC. After a
 * warm-up, the heap must stay within a fixed margin: a leak of even 16 bytes per operation
 * would exceed it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { openMemory } from '../host/memory/index.js';
import { flowConfig } from './support/memoryFlows.js';
import { tempDir } from './support/tiers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const OPS = 1_000_000;
const MARGIN = 16 * 1024 * 1024;

describe('memory leak test', () => {
  it(`${OPS} operations keep the heap within ${MARGIN / 1024 / 1024} MiB of the warmed-up heap`, async () => {
    const { dir, cleanup } = tempDir('janela-leak-');
    const memory = await openMemory({ ...flowConfig(dir, { model: true }), tiers: { shortTerm: { capacity: 20 }, midTerm: { capacity: 60 }, dedup: { messages: 40 } } });
    try {
      const accounts = ['a0', 'a1', 'a2', 'a3'].map((a) => memory.conversation(a));
      const facts = (i: number) => `fact ${i % 12}`;
      const cache = memory.cache<number, string>('leak-cache', { maxEntries: 4000 });
      const big = memory.cache<string, string>('leak-bytes', { maxBytes: 256 * 1024 });
      let x = 12345;
      const next = () => ((x = (x * 1103515245 + 12345) >>> 0) % 100_000);
      const samples: { ops: number; heap: number }[] = [];
      let baseline = 0;
      const checkpoints = 10;
      for (let ops = 0, cp = 0; ops < OPS; ) {
        const k = ops % 100;
        if (k < 6) {
          await accounts[ops % 4]!.remember(facts(ops), { window: `w${ops % 2}`, importance: (ops % 10) / 10 });
          ops++;
        } else if (k === 6) {
          await accounts[ops % 4]!.recall({ limit: 5 });
          ops++;
        } else if (k === 7 && ops % 1000 === 7) {
          await memory.focus();
          memory.usage();
          await memory.cleanup({ targetBytes: Math.floor(memory.usage().totalBytes * 0.95) });
          ops += 3;
        } else {
          // A burst of cache operations (synchronous): 92 per hundred.
          for (let j = 0; j < 92 && ops < OPS; j++, ops++) {
            const key = next();
            if (j % 3 === 0) cache.set(key, `v${key}`, { importance: (key % 100) / 100 });
            else if (j % 3 === 1) cache.get(key);
            else if (j % 23 === 0) big.set(`b${key}`, 'x'.repeat(200 + (key % 300)));
            else big.get(`b${key}`);
          }
          ops += 0;
        }
        if (ops >= ((cp + 1) * OPS) / checkpoints) {
          cp++;
          await memory.flush();
          const heap = heapAfterGc();
          samples.push({ ops, heap });
          if (cp === 2) baseline = heap; // warmed up: caches full, windows full, JIT settled
        }
      }
      const after = samples.filter((s) => s.ops > (2 * OPS) / checkpoints);
      const worst = Math.max(...after.map((s) => s.heap));
      console.log(
        `leak test: ${OPS} ops, heap after GC (MiB) ${samples.map((s) => (s.heap / 1048576).toFixed(1)).join(' ')}; worst − baseline ${((worst - baseline) / 1048576).toFixed(2)} MiB`,
      );
      expect(worst - baseline).toBeLessThan(MARGIN);
      const st = await memory.stats();
      expect(st.spills.failed).toBe(0);
      expect(st.caches.totalBytes).toBeLessThanOrEqual(st.caches.budgetBytes);
      expect(st.device.pool.ownedItems).toBeLessThanOrEqual(st.device.pool.capacity);
    } finally {
      await memory.close();
      cleanup();
    }
  }, 120_000);
});
