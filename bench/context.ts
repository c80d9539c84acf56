/**
 * Context benchmark: token counting throughput, window-update latency as a conversation
 * grows (p50/p99 at 1 k, 10 k and 100 k messages), and redaction throughput.
 * Run: `npx tsx -e "import('./bench/context.ts').then(async m => console.log(JSON.stringify(await m.run({}), null, 2)))"`.
 */
import { ContextTracker } from '../host/context/tracker.js';
import { TokenCounter } from '../host/context/tokens.js';
import type { Message } from '../host/context/messages.js';
import { Redactor } from '../host/protect/redact.js';
import { seededRandom } from '../host/util/random.js';
import { percentile } from './support/percentile.js';
import { environment, type BenchReport, type BenchSuite } from './types.js';

function message(i: number, r: () => number): Message {
  const role: Message['role'] = i % 2 === 0 ? 'user' : r() < 0.2 ? 'tool' : 'assistant';
  return { role, content: text(i, 10 + Math.floor(r() * 80), r) };
}

function text(i: number, n: number, r: () => number): string {
  const w: string[] = [`#${i}`];
  for (let k = 0; k < n; k++) w.push(word(r));
  return w.join(' ');
}

/**
 * An agent conversation of `total` messages: turns of a user message, 0–2 tool loops (an
 * assistant call, then 1–4 results of 10–400 words, one in 100 of 1 000–3 000 words) and an
 * assistant answer: a loop with a large result and a few more can exceed the window and is condensed.
 */
function toolConversation(total: number, r: () => number): Message[] {
  const out: Message[] = [];
  const push = (role: Message['role'], words: number) => out.push({ role, content: text(out.length, words, r) });
  while (out.length < total) {
    push('user', 10 + Math.floor(r() * 40));
    const loops = Math.floor(r() * 3);
    for (let l = 0; l < loops; l++) {
      push('assistant', 10 + Math.floor(r() * 20));
      const results = 1 + Math.floor(r() * 4);
      for (let k = 0; k < results; k++) push('tool', r() < 0.01 ? 1000 + Math.floor(r() * 2000) : 10 + Math.floor(r() ** 2 * 390));
    }
    push('assistant', 10 + Math.floor(r() * 80));
  }
  return out.slice(0, total);
}

const SYLLABLES = 'ka ri mo te lu sa ne vo pi da gre str ion al en ta or ex qu ph ch th ly ment ing er'.split(' ');
const COMMON = 'the of and to a in is that for it as with was on be by this are from at or not have'.split(' ');
/** 5 000 pseudo-words drawn with a Zipf-like law plus common words: text the BPE merge cache cannot make trivial. */
const VOCAB: string[] = (() => {
  const r = seededRandom(99);
  const v: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const n = 1 + Math.floor(r() * 4);
    let w = '';
    for (let k = 0; k < n; k++) w += SYLLABLES[Math.floor(r() * SYLLABLES.length)];
    v.push(r() < 0.05 ? w[0]!.toUpperCase() + w.slice(1) : w);
  }
  return v;
})();

function word(r: () => number): string {
  if (r() < 0.4) return COMMON[Math.floor(r() * COMMON.length)] as string;
  return VOCAB[Math.min(VOCAB.length - 1, Math.floor(VOCAB.length * r() ** 3))] as string;
}


export const run: BenchSuite = async (options) => {
  const quick = options.quick ?? false;
  const counter = await TokenCounter.create({ encoding: 'o200k_base', cacheCapacity: 1000 });

  // 1. Token counting throughput (cache misses: every text distinct).
  const r = seededRandom(42);
  const texts = Array.from({ length: quick ? 2000 : 20000 }, (_, i) => message(i, r).content);
  let tokens = 0;
  const t0 = performance.now();
  for (const t of texts) tokens += counter.count(t);
  const countSec = (performance.now() - t0) / 1000;
  const cached = performance.now();
  let again = 0;
  for (const t of texts.slice(-500)) again += counter.count(t);
  const cachedSec = (performance.now() - cached) / 1000;

  // 2. Window update latency over a long conversation (4096 / 128 defaults).
  const checkpoints = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  const total = checkpoints[checkpoints.length - 1] as number;
  let folded = 0;
  const tracker = new ContextTracker({
    counter,
    config: { maxContextLength: 4096, contextOverlap: 128, maxPendingFold: 10_000_000 },
    fold: async (ms) => {
      folded += ms.length;
    },
  });
  // Warm-up (JIT, the BPE merge cache) on a separate session, closed before measuring.
  tracker.open('warmup');
  const rw = seededRandom(3);
  for (let i = 0; i < 3000; i++) tracker.append('warmup', message(i, rw));
  tracker.close('warmup');
  await tracker.flush();
  folded = 0;
  tracker.open('bench', { systemPrompt: 'You are an agent with janela memory.' });
  const r2 = seededRandom(7);
  const msgs: Message[] = Array.from({ length: total }, (_, i) => message(i, r2));
  const lat = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    const s = performance.now();
    tracker.append('bench', msgs[i] as Message);
    lat[i] = performance.now() - s;
    if ((i & 4095) === 4095) await new Promise((res) => setImmediate(res)); // let fold batches drain
  }
  await tracker.flush();
  const windows: Record<string, { p50Ms: number; p99Ms: number; maxMs: number }> = {};
  // Latency of the last 1 000 appends before each checkpoint: the cost at that conversation length.
  for (const c of checkpoints) {
    const slice = Float64Array.from(lat.subarray(c - 1000, c)).sort();
    windows[`${c}`] = { p50Ms: percentile(slice, 0.5), p99Ms: percentile(slice, 0.99), maxMs: slice[slice.length - 1] as number };
  }
  const m = tracker.metrics();

  // 2b. The same with tool loops: slides inside a loop keep the call with its results, oversize loops are condensed.
  const toolTotal = quick ? 2_000 : 20_000;
  const toolMsgs = toolConversation(toolTotal, seededRandom(11));
  tracker.open('tools', { systemPrompt: 'You are an agent with janela memory.' });
  const toolLat = new Float64Array(toolTotal);
  let toolSlides = 0;
  let condensed = 0;
  let condenseMs = 0;
  let condenseMaxMs = 0;
  let spilled = 0;
  for (let i = 0; i < toolTotal; i++) {
    const s = performance.now();
    const res = tracker.append('tools', toolMsgs[i] as Message);
    toolLat[i] = performance.now() - s;
    if (res.slide) toolSlides++;
    if (res.slide && res.slide.condensedSeqs.length > 0) {
      condensed++;
      condenseMs += toolLat[i] as number;
      condenseMaxMs = Math.max(condenseMaxMs, toolLat[i] as number);
    }
    if (res.spilled) spilled++;
    if ((i & 4095) === 4095) await new Promise((res) => setImmediate(res));
  }
  await tracker.flush();
  const toolSorted = Float64Array.from(toolLat.subarray(toolTotal - Math.min(toolTotal, 10_000))).sort();
  const toolWindow = {
    messages: toolTotal,
    p50Ms: percentile(toolSorted, 0.5),
    p99Ms: percentile(toolSorted, 0.99),
    maxMs: toolSorted[toolSorted.length - 1] as number,
    slides: toolSlides,
    condensedSlides: condensed,
    /** Appends whose slide condensed a unit (token counting of the message included): mean and max. */
    condenseMeanMs: condensed > 0 ? condenseMs / condensed : 0,
    condenseMaxMs,
    spilledMessages: spilled,
  };

  // 3. Redaction throughput on text with a realistic density of findings.
  const redactor = new Redactor();
  const para =
    'Customer alice@example.com called from +1 415 555 2671 about card 4111 1111 1111 1111 and IBAN DE89 3704 0044 0532 0130 00. ' +
    'The deploy used version 1.2.3 on 2024-01-15; logs at 192.168.1.1 show nothing unusual in the memory tiers. '.repeat(6);
  const doc = para.repeat(quick ? 200 : 2000);
  const bytes = Buffer.byteLength(doc);
  const rs = performance.now();
  const red = redactor.redact(doc);
  const redSec = (performance.now() - rs) / 1000;

  const p99Max = Math.max(...Object.values(windows).map((w) => w.p99Ms));
  const report: BenchReport = {
    suite: 'context',
    environment: environment(),
    method:
      'Token counting: o200k_base over distinct synthetic messages (cache misses), then repeats (cache hits). Window updates: ' +
      `one session, 4096-token budget, 128 overlap, ${total} synthetic messages (10–90 words, user/assistant/tool) appended ` +
      'one at a time after a 3 000-append warm-up on another session, each append timed with performance.now() (token ' +
      "counting of the new message included, gpt-tokenizer's word-merge cache warm); p50/p99 over " +
      'the 1 000 appends before each checkpoint. Tool loops: another session, ' +
      `${toolTotal} messages in turns of a user message, 0–2 tool loops (an assistant call, then 1–4 results of 10–400 words, one in 100 of 1 000–3 000) ` +
      'and an answer; p50/p99 over the last 10 000 appends (or all of them), and the mean/max of the appends that condensed a unit. Redaction: default rules over a ' +
      `${(bytes / 1e6).toFixed(1)} MB document with ~4 findings per 750 bytes.`,
    results: {
      tokenCounting: {
        texts: texts.length,
        tokens,
        tokensPerSecond: Math.round(tokens / countSec),
        cachedTokensPerSecond: Math.round(again / cachedSec),
      },
      windowUpdate: windows,
      windowUpdateToolLoops: toolWindow,
      tracker: { slides: m.slides, folded, finalWindowTokens: tracker.window('bench').tokens, memoryUsedBytes: m.memoryUsedBytes },
      redaction: { bytes, findings: red.findings.length, mbPerSecond: Number((bytes / 1e6 / redSec).toFixed(2)) },
    },
    goals: [
      { goal: 'window update p99 < 1 ms at every conversation length', met: p99Max < 1, value: Number(p99Max.toFixed(4)) },
      { goal: 'window update p99 < 1 ms with tool loops', met: toolWindow.p99Ms < 1, value: Number(toolWindow.p99Ms.toFixed(4)) },
    ],
  };
  return report;
};
