/**
 * End to end on the simulated board (Verilator, the whole design behind a pty): 10 000
 * messages across 20 accounts through context sessions, the conversation tiers and the memory
 * windows (every other message also remembers a fact on the board; evictions spill to the
 * short-term tiers), with decays, a unified cleanup mid-run, and metrics, states and emotions
 * going into the archives; then a restart from disk: nothing lost, bounds held, stats consistent.
 */
import { describe, expect, it } from 'vitest';
import { VerilatorMissingError, verilatorVersion } from '../sim/verilator.js';
import { endToEnd } from './support/memoryFlows.js';

async function verilatorMissing(): Promise<string | undefined> {
  try {
    await verilatorVersion();
    return undefined;
  } catch (err) {
    if (err instanceof VerilatorMissingError) return err.message;
    throw err;
  }
}

describe('memory end to end on the simulated board', () => {
  it('10 000 messages across 20 accounts, then a restart from disk: nothing lost, bounds held, stats consistent', async (ctx) => {
    const missing = await verilatorMissing();
    if (missing) ctx.skip(missing);
    const t0 = performance.now();
    const { result, messages, spilled } = await endToEnd({ sim: true }, { accounts: 20, messages: 10_000, rememberEvery: 2 });
    const remembered = [...result.remembered.values()].reduce((n, l) => n + l.length, 0);
    expect(remembered).toBe(5000);
    expect(spilled).toBe(remembered);
    expect(messages).toBe(10_000 + remembered);
    const c = result.cleanup;
    expect(c.itemCount).toBeGreaterThan(0);
    if (c.lowestKept !== undefined) expect(c.highestFreed!).toBeLessThanOrEqual(c.lowestKept);
    console.log(`memory e2e (sim): ${messages} messages after restart (${spilled} spilled from the board), ${result.metrics} metric records, ${result.boundsChecked} bound checks, mid-run cleanup freed ${c.freed} bytes (${c.itemCount} items) in ${c.durationMs.toFixed(1)} ms; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }, 300_000);
});
