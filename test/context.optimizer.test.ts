import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryOverflowError } from '../host/context/errors.js';
import { MemoryOptimizer, compactText, type MemoryItem } from '../host/context/optimizer.js';
import { TokenCounter } from '../host/context/tokens.js';

let opt: MemoryOptimizer;
let counter: TokenCounter;
beforeAll(async () => {
  counter = await TokenCounter.create();
  opt = new MemoryOptimizer(counter);
});

const items = (): MemoryItem[] => [
  { id: 'sys', text: 'Pinned instructions for the agent.', pinned: true },
  { id: 'weather', text: 'The weather was sunny and the user liked it.', relevance: 0.05 },
  { id: 'log', text: 'tool output:\n\n\nline     one\nline     one\nline     one\n==================================\ndone', relevance: 0.5 },
  { id: 'fpga', text: 'The FPGA holds nine memory windows with salience scores.', relevance: 0.9 },
  { id: 'old', text: 'An older exchange about unrelated travel plans to Porto in spring.', relevance: 0.3 },
];
const size = (xs: MemoryItem[], unit: 'tokens' | 'bytes') => xs.reduce((a, x) => a + (unit === 'tokens' ? counter.count(x.text) : Buffer.byteLength(x.text)), 0);

describe('MemoryOptimizer', () => {
  it('does nothing when already under target', async () => {
    const { items: out, report } = await opt.optimize(items(), { target: { unit: 'tokens', max: 10_000 } });
    expect(out).toEqual(items());
    expect(report).toMatchObject({ met: true, actions: [] });
    expect(report.before).toBe(report.after);
  });

  it('drops irrelevant content first and stops as soon as the target is met', async () => {
    const before = size(items(), 'tokens');
    const weather = counter.count(items()[1]!.text);
    const { items: out, report } = await opt.optimize(items(), { target: { unit: 'tokens', max: before - weather } });
    expect(report.actions).toEqual([{ kind: 'drop-irrelevant', ids: ['weather'], saved: weather }]);
    expect(out.map((x) => x.id)).toEqual(['sys', 'log', 'fpga', 'old']);
    expect(report.after).toBe(size(out, 'tokens'));
    expect(report.met).toBe(true);
  });

  it('compresses, then summarises through the pluggable summariser, then drops — never touching pinned items', async () => {
    const seen: string[][] = [];
    const summariser = async (xs: readonly MemoryItem[]) => {
      seen.push(xs.map((x) => x.id));
      return 'Summary: travel and tool log.';
    };
    const target = counter.count(items()[0]!.text) + counter.count(items()[3]!.text) + 12;
    const { items: out, report } = await opt.optimize(items(), { target: { unit: 'tokens', max: target }, summariser, summaryMaxTokens: 10 });
    expect(report.actions.map((a) => a.kind)).toEqual(['drop-irrelevant', 'compress', 'summarise']);
    expect(seen).toEqual([['old', 'log']]);
    expect(out.find((x) => x.id === 'sys')).toEqual(items()[0]);
    expect(out.find((x) => x.id.startsWith('summary:'))?.text).toBe('Summary: travel and tool log.');
    expect(report.after).toBe(size(out, 'tokens'));
    expect(report.after).toBeLessThanOrEqual(target);
  });

  it('keeps a summary bounded even when the summariser rambles', async () => {
    const summariser = async () => 'very long summary '.repeat(500);
    const max = counter.count(items()[0]!.text) + 8;
    const { items: out, report } = await opt.optimize(items(), { target: { unit: 'tokens', max }, summariser, summaryMaxTokens: 8 });
    expect(report.met).toBe(true);
    const s = out.find((x) => x.id.startsWith('summary:'));
    expect(s).toBeDefined();
    expect(counter.count(s!.text)).toBeLessThanOrEqual(8);
  });

  it('works on bytes and reports met: false (or throws when strict) when pinned memory exceeds the target', async () => {
    const { items: out, report } = await opt.optimize(items(), { target: { unit: 'bytes', max: 10 } });
    expect(out.map((x) => x.id)).toEqual(['sys']);
    expect(report.met).toBe(false);
    expect(report.after).toBe(Buffer.byteLength(items()[0]!.text));
    await expect(opt.optimize(items(), { target: { unit: 'bytes', max: 10 }, strict: true })).rejects.toBeInstanceOf(MemoryOverflowError);
  });

  it('scores by query overlap when items carry no relevance', async () => {
    const xs = items().map(({ relevance: _r, ...x }) => x);
    const total = size(xs, 'tokens');
    const { items: out } = await opt.optimize(xs, { target: { unit: 'tokens', max: total - 1 }, query: 'FPGA memory windows', minRelevance: 0.5 });
    expect(out.some((x) => x.id === 'fpga')).toBe(true);
    expect(out.length).toBeLessThan(xs.length);
  });

  it('compactText collapses whitespace runs, repeated lines and long character runs', () => {
    expect(compactText('a   b\n\n\n\nc\nc\n' + '='.repeat(40))).toBe('a b\n\nc\n========');
  });

  it('rejects bad input', async () => {
    await expect(opt.optimize([{ id: '', text: 'x' }], { target: { unit: 'tokens', max: 1 } })).rejects.toThrow(TypeError);
    await expect(opt.optimize([{ id: 'a', text: 'x' }, { id: 'a', text: 'y' }], { target: { unit: 'tokens', max: 1 } })).rejects.toThrow(/duplicate/);
    await expect(opt.optimize([], { target: { unit: 'lines' as never, max: 1 } })).rejects.toThrow(TypeError);
  });
});
