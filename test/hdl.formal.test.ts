/**
 * Formal proofs of the core (Yosys sat -tempinduct through @yowasp/yosys), on a small
 * config: 3 windows (1 to 3 open) and a 4-entry store flattened to registers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROPERTIES } from '../hdl/core/index.js';
import { ProofError, prove, proofConfig } from '../hdl/formal/prove.js';
import { prove as proveCommand } from '../host/cli/commands/prove.js';
import { parseCoreConfig } from '../spec/index.js';

const SMALL = parseCoreConfig({ maxWindows: 3, minWindows: 1, capacity: 4, quota: 2 });

describe('formal proofs', () => {
  it('proves every property (a)..(e), each on its own', async () => {
    const results = await prove(SMALL);
    expect(results.map((r) => r.property)).toEqual(PROPERTIES.map((p) => p.name));
    for (const r of results) {
      expect(r.status, `${r.property}\n${r.log.slice(-2000)}`).toBe('proven');
      expect(r.assertions).toBeGreaterThan(0);
      expect(r.config).toEqual(SMALL);
    }
    // Each proof keeps its own assertions only: the single-assertion properties stay single.
    expect(results.find((r) => r.id === 'a')!.assertions).toBe(1);
    expect(results.find((r) => r.id === 'b')!.assertions).toBe(1);
  }, 180_000);

  it('proves every property with the serial scorer (its extra state and clocks change nothing)', async () => {
    const serial = parseCoreConfig({ ...SMALL, scorer: 'serial' });
    const results = await prove(serial);
    expect(results.map((r) => [r.property, r.status])).toEqual(PROPERTIES.map((p) => [p.name, 'proven']));
  }, 180_000);

  it('fails (a) with a counterexample on the count-overflow mutation', async () => {
    // minWindows = maxWindows: one OPEN after reset already overflows the mutated gate.
    const config = parseCoreConfig({ maxWindows: 2, minWindows: 2, capacity: 2, quota: 1 });
    const [a] = await prove(config, { mutation: 'count-overflow', properties: ['count-bounds'] });
    expect(a!.property).toBe('count-bounds');
    expect(a!.status).toBe('failed');
    expect(a!.steps).toBeGreaterThan(1);
  }, 180_000);

  it('refuses an unknown property name', async () => {
    await expect(prove(SMALL, { properties: ['no-such-property'] })).rejects.toThrow(ProofError);
  });

  it('proves larger stores at a bounded capacity, keeping the window parameters', () => {
    const c = proofConfig(parseCoreConfig({ maxWindows: 9, minWindows: 3, capacity: 64, quota: 16 }), 8);
    expect(c).toMatchObject({ maxWindows: 9, minWindows: 3, capacity: 8, quota: 8 });
    expect(proofConfig(SMALL, 8)).toEqual(SMALL);
  });

  it('janela prove exits 0 when every property holds and 1 when one fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'janela-prove-'));
    try {
      const file = join(dir, 'config.json');
      await writeFile(file, JSON.stringify({ maxWindows: 2, minWindows: 2, capacity: 2, quota: 1 }));
      const args = ['--config', file, '--property', 'count-bounds', '--json'];
      expect(await proveCommand.run(args)).toBe(0);
      expect(await proveCommand.run([...args, '--mutation', 'count-overflow'])).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
