/** fast-check generators of conversations for the context tests, and small helpers. */
import fc from 'fast-check';
import type { Message } from '../../host/context/messages.js';
import { seededRandom } from '../../host/util/random.js';

const WORDS = [
  'the', 'memory', 'window', 'agent', 'token', 'budget', 'slides', 'over', 'a', 'conversation',
  'user', 'asks', 'about', 'FPGA', 'tiers', 'summary', 'of', 'history', 'café', '東京', '🙂',
  'function', 'call', 'returns', '42', 'ok', 'error:', 'retry', '\n', 'JSON', '{"a":1}',
];

export const wordsArb = (max: number, size: fc.SizeForArbitrary = 'small'): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...WORDS), { minLength: 0, maxLength: max, size }).map((w) => w.join(' '));

/** A message: mostly short, sometimes long enough to be truncated under small budgets. */
export const messageArb: fc.Arbitrary<Message> = fc.record({
  role: fc.constantFrom<Message['role']>('user', 'user', 'assistant', 'assistant', 'tool'),
  content: fc.oneof({ weight: 8, arbitrary: wordsArb(40, 'medium') }, { weight: 1, arbitrary: wordsArb(600, 'max') }),
});

export const conversationArb = (maxLength = 80): fc.Arbitrary<Message[]> =>
  fc.array(messageArb, { minLength: 1, maxLength, size: 'large' });

/** A deterministic conversation of `n` messages, alternating user/assistant with a tool call now and then. */
export function syntheticConversation(n: number, seed = 1): Message[] {
  const rnd = seededRandom(seed);
  const out: Message[] = [];
  for (let i = 0; i < n; i++) {
    const role: Message['role'] = i % 2 === 0 ? 'user' : rnd() < 0.2 ? 'tool' : 'assistant';
    const len = 5 + Math.floor(rnd() * 60);
    const words: string[] = [];
    for (let k = 0; k < len; k++) words.push(WORDS[Math.floor(rnd() * WORDS.length)] as string);
    out.push({ role, content: `#${i} ${words.join(' ')}` });
  }
  return out;
}
