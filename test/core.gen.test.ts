import fc from 'fast-check';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_TOP, MODULES, generateCore } from '../hdl/core/index.js';
import { lintCore, lintVerilog } from '../hdl/lint.js';
import { gen } from '../host/cli/commands/gen.js';
import { lint } from '../host/cli/commands/lint.js';
import { TOP_MODULE, generateTop } from '../hdl/top.js';
import { ConfigError, GENERATOR_VERSION, MAX_CAPACITY, MAX_SLOTS, parseCoreConfig, type CoreConfigInput } from '../spec/index.js';

const LINT_CONFIGS: CoreConfigInput[] = [
  {},
  { maxWindows: 1, minWindows: 1, capacity: 1, quota: 1 },
  { maxWindows: 5, minWindows: 3, capacity: 64, quota: 1 },
  { maxWindows: 9, capacity: 256, quota: 16 },
  { maxWindows: 15, minWindows: 1, capacity: 64, quota: 64 },
  { maxWindows: 15, minWindows: 15, capacity: 4096, quota: 4096 },
  { maxWindows: 7, minWindows: 7, capacity: 100, quota: 3 },
  { maxWindows: 2, minWindows: 1, capacity: 2, quota: 2, weights: [0, 0, 0, 256 - 255, 255] },
  { scorer: 'serial' },
  { maxWindows: 1, minWindows: 1, capacity: 1, quota: 1, scorer: 'serial' },
];

describe('core generator: lint', () => {
  it.each(LINT_CONFIGS)('is lint-clean (verilator -Wall) for %j', async (input) => {
    const result = await lintCore(parseCoreConfig(input));
    expect(result.messages).toEqual([]);
    expect(result.clean).toBe(true);
  });

  it('is lint-clean for random valid configs', async () => {
    const config = fc
      .record({
        maxWindows: fc.integer({ min: 1, max: MAX_SLOTS }),
        minFraction: fc.double({ min: 0, max: 1, noNaN: true }),
        capacity: fc.integer({ min: 1, max: MAX_CAPACITY }),
        quotaFraction: fc.double({ min: 0, max: 1, noNaN: true }),
        scorer: fc.constantFrom('parallel' as const, 'serial' as const),
      })
      .map(({ maxWindows, minFraction, capacity, quotaFraction, scorer }) =>
        parseCoreConfig({
          maxWindows,
          minWindows: 1 + Math.floor(minFraction * (maxWindows - 1)),
          capacity,
          quota: 1 + Math.floor(quotaFraction * (capacity - 1)),
          scorer,
        }),
      );
    await fc.assert(
      fc.asyncProperty(config, async (c) => {
        const r = await lintCore(c);
        expect(r.messages, JSON.stringify(c)).toEqual([]);
      }),
      { numRuns: 12, seed: 20240611 },
    );
  });

  it('reports a warning as not clean', async () => {
    // A width mismatch Verilator -Wall must flag: the lint wrapper may not swallow it.
    const bad = { name: 'bad.v', text: 'module bad(input wire [3:0] a, output wire [1:0] y);\n  assign y = a;\nendmodule\n' };
    const r = await lintVerilog([bad], 'bad');
    expect(r.clean).toBe(false);
    expect(r.messages.join('\n')).toMatch(/WIDTH/);
  });
});

describe('core generator: output', () => {
  it('writes one module per block file, janela_core on top, each with the header', () => {
    const config = parseCoreConfig({ capacity: 32 });
    const files = generateCore(config);
    expect(files.map((f) => f.name).sort()).toEqual(Object.values(MODULES).map((m) => `${m}.v`).sort());
    for (const f of files) {
      const module = f.name.replace(/\.v$/, '');
      expect(f.text.startsWith(`// ${module}: `)).toBe(true);
      expect(f.text).toContain(`janela hdl generator ${GENERATOR_VERSION}`);
      expect(f.text).toContain('// Parameters:');
      expect([...f.text.matchAll(/^module (\w+)/gm)].map((m) => m[1])).toEqual([module]);
    }
    const top = files.find((f) => f.name === `${CORE_TOP}.v`)!;
    expect(top.text).toMatch(/\/\/ {3}capacity = 32/);
    expect(top.text).toMatch(/\/\/ {3}maxWindows = 9/);
  });

  it('is deterministic: the same config gives the same bytes', () => {
    const a = generateCore(parseCoreConfig({ maxWindows: 5, capacity: 16 }));
    const b = generateCore(parseCoreConfig({ capacity: 16, maxWindows: 5 }));
    expect(b).toEqual(a);
    const other = generateCore(parseCoreConfig({ maxWindows: 5, capacity: 17 }));
    expect(other.find((f) => f.name === `${CORE_TOP}.v`)!.text).not.toBe(a.find((f) => f.name === `${CORE_TOP}.v`)!.text);
  });

  it('builds the count-overflow mutation only on request, in the window bank', () => {
    const config = parseCoreConfig({});
    const plain = generateCore(config);
    const mutated = generateCore(config, { mutation: 'count-overflow' });
    const bank = `${MODULES.bank}.v`;
    expect(plain.find((f) => f.name === bank)!.text).not.toContain('MUTATION');
    expect(mutated.find((f) => f.name === bank)!.text).toContain('MUTATION count-overflow');
  });

  it.each([
    [{ maxWindows: 16 }, 'maxWindows'],
    [{ minWindows: 4, maxWindows: 3 }, 'minWindows'],
    [{ capacity: 0 }, 'capacity'],
    [{ capacity: 8, quota: 9 }, 'quota'],
    [{ weights: [1, 2, 3, 4, 5] }, 'weights'],
  ])('refuses %j with a ConfigError naming %s', (input, field) => {
    let thrown: unknown;
    try {
      generateCore(input as never);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).issues.map((i) => i.path)).toContain(field);
  });
});

describe('janela gen / lint commands', () => {
  it('writes every file for a config, and nothing for a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'janela-gen-'));
    try {
      const good = join(dir, 'good.json');
      await writeFile(good, JSON.stringify({ maxWindows: 5, capacity: 16, quota: 4 }));
      const out = join(dir, 'out');
      expect(await gen.run(['--out', out, '--config', good])).toBe(0);
      // The whole design: every core module, the link and the top, byte for byte as generated.
      const written = (await readdir(out)).sort();
      const expected = generateTop(parseCoreConfig({ maxWindows: 5, capacity: 16, quota: 4 }));
      expect(written).toEqual(expected.map((f) => f.name).sort());
      expect(written).toEqual(expect.arrayContaining([...Object.values(MODULES).map((m) => `${m}.v`), `${TOP_MODULE}.v`]));
      for (const f of expected) expect(await readFile(join(out, f.name), 'utf8')).toBe(f.text);

      const bad = join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify({ maxWindows: 5, quota: 100, capacity: 16 }));
      const badOut = join(dir, 'bad-out');
      await expect(gen.run(['--out', badOut, '--config', bad])).rejects.toThrow(ConfigError);
      await expect(readdir(badOut)).rejects.toThrow();
      await expect(gen.run([])).rejects.toThrow(/--out/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lint exits 0 for the default config', async () => {
    expect(await lint.run([])).toBe(0);
  });
});
