/**
 * A runnable agent on janela's memory: `npx tsx examples/agent.ts [--sim] [--dir DIR]`.
 *
 * The "model" here is a stand-in (no network): swap `reply()` for your LLM call. Everything
 * else is what an agent does with openMemory — one object, no wiring:
 *
 *   - each turn goes into a context session (durable in the conversation tiers, and in a
 *     token-budgeted window whose overflow is folded into the history context);
 *   - facts worth keeping go into working memory on the board with an importance; when a window
 *     fills, the board evicts the least salient fact into the short-term tier;
 *   - before answering, the agent recalls its most salient facts and asks for the prompt
 *     (window + summary of what slid out);
 *   - its inner state goes to the archives (metrics, emotions).
 *
 * Runs on the in-process model of the board by default (`--sim` for the Verilator simulation),
 * with files in a temporary directory (`--dir ./memory` to keep them).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemory, type PromptView, type RecalledMemory } from '../host/memory/index.js';

const USER_TURNS = [
  'Hi! I am planning a week in Lisbon in May. I prefer aisle seats and quiet hotels.',
  'My budget is about 120 EUR per day, food included.',
  'I am vegetarian, so please keep that in mind for restaurants.',
  'Can you suggest a plan for the first two days?',
  'I do not like early flights; anything before 9 am is a no.',
  'What about a day trip to Sintra?',
  'Remind me: what do you know about my preferences so far?',
  'Book the museum on Tuesday, please — the tile museum is closed on Mondays.',
  'And for the last evening, somewhere with fado?',
  'Thanks! Summarise the trip plan for me.',
];

/** Facts the agent extracts from a user turn, with how important they seem (0..1). */
function extractFacts(text: string): { fact: string; importance: number }[] {
  const facts: { fact: string; importance: number }[] = [];
  const rules: [RegExp, number][] = [
    [/prefer[^.]*|do not like[^.;]*|no\b[^.]*/gi, 0.9],
    [/vegetarian[^,.]*/gi, 0.95],
    [/budget[^.]*/gi, 0.8],
    [/closed on \w+/gi, 0.6],
    [/in \w+ in \w+/gi, 0.7],
  ];
  for (const [re, importance] of rules) for (const m of text.matchAll(re)) facts.push({ fact: m[0].trim(), importance });
  return facts;
}

/** Stand-in for the LLM: answers from the prompt and the recalled facts. */
function reply(user: string, prompt: PromptView, facts: readonly RecalledMemory[]): string {
  const known = facts.map((f) => String(f.content)).slice(0, 3);
  const summary = prompt.summaryTokens > 0 ? ' (I also have a summary of our earlier conversation.)' : '';
  return `Noted: "${user.slice(0, 60)}". Keeping in mind: ${known.join('; ') || 'nothing yet'}.${summary}`;
}

async function main(): Promise<void> {
  const sim = process.argv.includes('--sim');
  const dirArg = process.argv.indexOf('--dir');
  const keep = dirArg >= 0 ? process.argv[dirArg + 1] : undefined;
  const dir = keep ?? (await mkdtemp(join(tmpdir(), 'janela-agent-')));

  const memory = await openMemory({
    dir,
    device: sim ? { sim: true } : { model: true },
    context: { maxContextLength: 512, contextOverlap: 64, reserveTokens: 128 },
  });
  const stop = () => void memory.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const alice = memory.conversation('alice');
    const chat = await alice.context('trip', { systemPrompt: 'You are a concise travel assistant.' });

    for (const [turn, user] of USER_TURNS.entries()) {
      await chat.append({ role: 'user', content: user });
      for (const { fact, importance } of extractFacts(user)) await alice.remember(fact, { window: 'preferences', importance });

      const facts = await alice.recall({ limit: 5, minSalience: 0.3 }); // most salient first
      const prompt = await chat.prompt(); // system prompt + history summary + window
      const answer = reply(user, prompt, facts);
      await chat.append({ role: 'assistant', content: answer });

      await memory.archive.record({ timestamp: Date.now(), phi: 0.4 + turn / 40, valence: 0.3, arousal: 0.4, attentionFocus: 'alice/trip', metacognitionLevel: 1 });
      console.log(`[${turn + 1}] user: ${user}\n    agent: ${answer}\n    prompt: ${prompt.tokens} tokens (${prompt.summaryTokens} of summary), ${facts.length} facts recalled`);
    }

    await memory.flush();
    const s = await memory.stats();
    const counts = await alice.counts();
    console.log(
      `\nalice: ${counts.messageCount} messages in the whole history, ${(await alice.shortTerm()).length} in short-term; ` +
        `board: ${s.device.items} items, ${s.device.pool.evictions.store} evicted into short-term; ` +
        `context: ${s.context.slides} slides, ${s.context.folded} messages folded into history context`,
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await memory.close();
    if (keep === undefined) await rm(dir, { recursive: true, force: true });
  }
}

await main();
