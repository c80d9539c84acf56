/**
 * `janela demo [--device sim|model|PATH] [--dir DIR]`: the main job (`npm start`). Three
 * agent-like conversations run through every tier of one memory on the simulated board —
 * memory windows (stores, evictions spilled to short-term), conversation tiers, context
 * windows folding into history context, session states, caches, archives — then recall by
 * salience, focus, decay, a unified cleanup, a restart from disk, and a summary table.
 *
 * The device is the Verilator simulation of the board (`{ sim: true }`); only when Verilator
 * cannot be used (VerilatorMissingError) does it fall back to the in-process reference model,
 * and it says so. Files go to a fresh temporary directory that is removed at the end, unless
 * `--dir` names one to keep (e.g. ./memory, then `janela memory show alice --dir ./memory`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerilatorMissingError } from '../../../sim/verilator.js';
import { deviceFromArg, openMemory, type Memory, type MemoryConfigInput, type ContextSession, type Conversation, type MemoryCleanupReport } from '../../memory/index.js';
import { seededRandom } from '../../util/random.js';
import type { Command } from '../command.js';
import { parseCommandArgs } from '../command.js';
import { formatBytes, table } from './stats.js';

const usage = `usage: janela demo [--device sim|model|PATH] [--dir DIR]

Runs three agent-like conversations through every tier of janela on the simulated board
(Verilator; the in-process model only when Verilator is missing) and prints what happened.
  --device D   sim (default), model, or a board's tty path
  --dir DIR    keep the memory in DIR (default: a temporary directory, removed at the end)`;

/** Small tiers and archives, so that a short run shows every movement. */
const DEMO_CONFIG: MemoryConfigInput = {
  windows: { perAccount: 3 },
  tiers: {
    shortTerm: { capacity: 16 },
    midTerm: { capacity: 48 },
    dedup: { messages: 16 },
    context: { chunkMessages: 24, maxSummaries: 4, maxSummaryChars: 400 },
  },
  context: { maxContextLength: 640, contextOverlap: 64, reserveTokens: 160 },
  archives: {
    metrics: { maxRecentSize: 24 },
    states: { hotMs: 0, warmMs: 0, maxHotStates: 2, coldBlockStates: 6 },
    emotions: { activeSize: 8, recentSegmentSize: 4, maxRecentEntries: 12, archiveBlockEntries: 12 },
  },
  budget: { checkIntervalMs: 0 },
};

interface Turn {
  readonly user: string;
  readonly assistant: string;
  /** A fact worth keeping in working memory, with its importance. */
  readonly fact?: { readonly window: string; readonly text: string; readonly importance: number };
  readonly tool?: string;
  readonly valence: number;
  readonly arousal: number;
}

interface Agent {
  readonly account: string;
  readonly topic: string;
  readonly system: string;
  readonly turns: readonly Turn[];
}

function agents(): Agent[] {
  const r = seededRandom(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const cities = ['Lisbon', 'Porto', 'Seville', 'Valencia', 'Bordeaux', 'Lyon'];
  const services = ['checkout', 'search', 'billing', 'auth', 'inventory'];
  const dishes = ['paella', 'risotto', 'tagine', 'ramen', 'lasagne', 'curry'];
  const trip: Turn[] = [];
  for (let i = 0; i < 30; i++) {
    const city = cities[Math.floor(i / 6) % cities.length]!;
    const day = 1 + (i % 6);
    const windows = ['prefs', 'plan', 'bookings'] as const;
    const w = i >= 24 ? 'budget' : windows[i % 3]!;
    trip.push({
      user: `Day ${day} in ${city}: ${pick(['what should we visit', 'where can we eat well', 'how do we get there by train', 'is the museum open on Monday'])}? I ${pick(['prefer aisle seats', 'travel with a small backpack', 'like quiet hotels', 'want to avoid early flights'])}.`,
      assistant: `For day ${day} in ${city} I suggest ${pick(['the old town walk', 'the riverside market', 'a tiled-church tour', 'the modern art museum'])} in the morning and ${pick(['a tasca for dinner', 'a sunset viewpoint', 'the regional train to the coast'])}. I noted your preference.`,
      fact: { window: w, text: `${city} day ${day}: ${pick(['aisle seat', 'quiet hotel', 'no early flights', 'museum closed Mondays', 'train 09:12 booked', 'budget 120 EUR/day'])}`, importance: Number((0.2 + 0.8 * r()).toFixed(2)) },
      ...(i % 7 === 3 && { tool: `train_search(${city}): 3 connections, fastest 2h41, 39 EUR` }),
      valence: 0.2 + 0.6 * r(),
      arousal: 0.3 + 0.5 * r(),
    });
  }
  const incident: Turn[] = [];
  for (let i = 0; i < 30; i++) {
    const svc = services[Math.floor(i / 6) % services.length]!;
    const windows = ['incident', 'hypotheses', 'actions'] as const;
    incident.push({
      user: `The ${svc} service ${pick(['returns 502 errors', 'has p99 latency over 2 s', 'leaks memory after deploys', 'drops requests under load'])} since ${pick(['the last deploy', 'midnight', 'the config change', 'the database failover'])}. What next?`,
      assistant: `Check ${pick(['the connection pool size', 'the upstream timeouts', 'the heap profile', 'the rollout diff'])} of ${svc}, then ${pick(['roll back the canary', 'raise the pool limit', 'compare GC pauses', 'bisect the deploy'])}.`,
      fact: { window: windows[i % 3]!, text: `${svc}: ${pick(['pool exhausted at 200', 'timeout 30s upstream', 'heap grows 40 MB/h', 'canary 5% affected', 'rollback fixed it'])}`, importance: Number((0.1 + 0.9 * r()).toFixed(2)) },
      ...(i % 5 === 2 && { tool: `grafana_query(${svc}.p99): 2.3 s avg over 1 h` }),
      valence: -0.6 + 0.5 * r(),
      arousal: 0.5 + 0.5 * r(),
    });
  }
  const dinner: Turn[] = [];
  for (let i = 0; i < 30; i++) {
    const dish = dishes[Math.floor(i / 5) % dishes.length]!;
    const windows = ['recipes', 'shopping', 'guests'] as const;
    dinner.push({
      user: `For the dinner party, can I make ${dish} ${pick(['ahead of time', 'without an oven', 'for eight people', 'vegetarian'])}? ${pick(['Maria is allergic to nuts.', 'Tom does not eat pork.', 'We have two hours.', 'The kitchen is small.'])}`,
      assistant: `Yes: ${dish} works ${pick(['if you prep the sauce the day before', 'with a large pan', 'doubled', 'with mushrooms instead of meat'])}. Buy ${pick(['saffron', 'arborio rice', 'preserved lemons', 'miso', 'fresh basil'])} early.`,
      fact: { window: windows[i % 3]!, text: `${dish}: ${pick(['Maria nut allergy', 'Tom no pork', 'buy saffron', 'prep sauce day before', 'eight guests'])}`, importance: Number((0.15 + 0.85 * r()).toFixed(2)) },
      valence: 0.3 + 0.5 * r(),
      arousal: 0.2 + 0.4 * r(),
    });
  }
  return [
    { account: 'alice', topic: 'trip', system: 'You are a travel assistant. Keep plans short and concrete.', turns: trip },
    { account: 'bob', topic: 'incident', system: 'You are an SRE assistant helping with a production incident.', turns: incident },
    { account: 'carol', topic: 'dinner', system: 'You are a cooking assistant planning a dinner party.', turns: dinner },
  ];
}

const say = (line = '') => console.log(line);
const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
const short = (s: string, n = 100) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

async function open(device: MemoryConfigInput['device'], dir: string): Promise<{ memory: Memory; fellBack: boolean }> {
  try {
    return { memory: await openMemory({ ...DEMO_CONFIG, dir, device }), fellBack: false };
  } catch (err) {
    if (!(err instanceof VerilatorMissingError)) throw err;
    say(`  Verilator cannot be used here (${err.message}).`);
    say('  Falling back to the in-process reference model of the board (bit-exact, same protocol).');
    return { memory: await openMemory({ ...DEMO_CONFIG, dir, device: { model: true } }), fellBack: true };
  }
}

export const demo: Command = {
  name: 'demo',
  summary: 'an agent-like session through every tier, on the simulated board',
  usage,
  async run(argv: string[]): Promise<number> {
    const { values } = parseCommandArgs({ args: argv, allowPositionals: false, options: { device: { type: 'string', default: 'sim' }, dir: { type: 'string' } } });
    const device = deviceFromArg(values.device!);
    const keep = values.dir !== undefined;
    const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'janela-demo-')));
    let memory: Memory | undefined;
    let interrupted: string | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (interrupted) process.exit(130);
      interrupted = signal;
      say(`\n${signal}: stopping after the current step and closing the memory cleanly…`);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const t0 = performance.now();
    try {
      say('janela demo: an agent-like session through every tier of memory');
      say('');
      const kind = 'sim' in device ? 'the simulated board (janela_top in Verilator, served on a pty)' : 'path' in device ? `the board on ${device.path}` : 'the in-process reference model';
      say(`Device: ${kind}.`);
      if ('sim' in device) say('  (the first run compiles the simulator with Verilator, about 20 s; later runs start at once)');
      const opened = await open(device, dir);
      memory = opened.memory;
      const info = await memory.device.info();
      say(`  connected: ${memory.deviceKind}${opened.fellBack ? ' (fallback)' : ''}, ${info.maxWindows} windows max, ${info.minWindows} open at reset, ${info.capacity} items, ${info.quota} per window`);
      say(`Memory directory: ${dir}${keep ? '' : ' (temporary; removed at the end — pass --dir ./memory to keep it)'}`);
      say('');

      // ---------------------------------------------------------------- the conversations
      const m = memory;
      const spills = { store: 0, decay: 0, close: 0, duplicate: 0 };
      m.on('spill', (e) => {
        if (e.duplicate) spills.duplicate++;
        else spills[e.cause]++;
      });
      let folds = 0;
      m.on('fold', (e) => (folds += e.messages));
      const cast = agents();
      const convs = new Map<string, Conversation>();
      const sessions = new Map<string, ContextSession>();
      for (const a of cast) {
        const c = m.conversation(a.account);
        convs.set(a.account, c);
        sessions.set(a.account, await c.context(a.topic, { systemPrompt: a.system }));
      }
      say(`1. Conversations: ${cast.map((a) => `${a.account} (${a.topic}, ${a.turns.length} turns)`).join(', ')}, interleaved turn by turn`);
      const per = new Map(cast.map((a) => [a.account, { messages: 0, stores: 0, slides: 0, folded: 0, evictionsCaused: 0 }]));
      const windowsSeen = new Set<string>();
      const gaveWay: string[] = [];
      let phi = 0.5;
      let meta = 1;
      for (let t = 0; t < 30 && !interrupted; t++) {
        for (const a of cast) {
          const turn = a.turns[t]!;
          const s = sessions.get(a.account)!;
          const c = convs.get(a.account)!;
          const p = per.get(a.account)!;
          if (t === 0) await s.updateState({ to: 'active', patch: { topic: a.topic } });
          const results = [await s.append({ role: 'user', content: turn.user })];
          if (turn.tool) {
            await s.updateState({ to: 'awaiting_tool', patch: { pendingTool: { name: turn.tool.split('(')[0]!, callId: `call-${a.account}-${t}` } } });
            results.push(await s.append({ role: 'tool', content: turn.tool, name: 'tools' }));
            await s.updateState({ to: 'active', patch: { pendingTool: { $delete: true }, turn: t } });
          }
          results.push(await s.append({ role: 'assistant', content: turn.assistant }));
          for (const r of results) {
            p.messages++;
            if (r.slide) {
              p.slides++;
              p.folded += r.slide.foldedSeqs.length;
            }
          }
          if (turn.fact) {
            const before = new Set((await c.windows()).map((w) => w.label));
            const r = await c.remember(turn.fact.text, { window: turn.fact.window, importance: turn.fact.importance });
            p.stores++;
            if (r.evicted) p.evictionsCaused++;
            const after = new Set((await c.windows()).map((w) => w.label));
            if (!before.has(turn.fact.window)) windowsSeen.add(`${a.account}/${turn.fact.window}`);
            for (const l of before) if (!after.has(l)) gaveWay.push(`${a.account}/${l}`);
          }
          // The agent's inner state: metrics every turn, emotions and states now and then.
          phi = Math.min(1, Math.max(0, phi + (turn.valence - 0.1) * 0.08));
          if (t % 6 === 0) meta++;
          await m.archive.record({ timestamp: Date.now(), phi, valence: turn.valence, arousal: turn.arousal, attentionFocus: `${a.account}/${a.topic}`, attentionIntensity: turn.arousal, metacognitionLevel: meta });
          await m.archive.setEmotion({ valence: turn.valence, arousal: turn.arousal, label: turn.valence > 0.2 ? 'content' : turn.valence < -0.2 ? 'concerned' : 'neutral' });
          if (t % 3 === 0) {
            await m.archive.saveState({ phi, workspace: { account: a.account, topic: a.topic, turn: t }, emotionalState: { valence: turn.valence, arousal: turn.arousal }, attentionState: { focus: `${a.account}/${a.topic}` } });
          }
        }
      }
      if (interrupted) return 130;
      await m.flush();
      const ws = await m.windows();
      say(`   windows taken (the ${info.minWindows} open at reset first, then opened): ${[...windowsSeen].join(', ')}`);
      if (gaveWay.length > 0) say(`   windows that gave way (their items spilled first): ${gaveWay.join(', ')}`);
      say(`   board now: ${ws.length} windows open, ${ws.reduce((n, w) => n + w.items, 0)} items`);
      say(
        table([
          ['   account', 'messages', 'stores', 'stores that evicted', 'window slides', 'messages folded'],
          ...cast.map((a) => {
            const p = per.get(a.account)!;
            return [`   ${a.account}`, String(p.messages), String(p.stores), String(p.evictionsCaused), String(p.slides), String(p.folded)];
          }),
        ]),
      );
      const ps = (await m.stats()).device.pool;
      say(`   evictions spilled to short-term tiers so far: ${ps.evictions.store} (window or board full), ${ps.evictions.close} (window gave way); ${spills.duplicate} of them were already in the tier`);
      say('');

      // ---------------------------------------------------------------- working memory
      say('2. Working memory on the board');
      const alice = convs.get('alice')!;
      const top = await alice.recall({ limit: 5 });
      say('   alice, recall by salience (top 5):');
      for (const it of top) say(`     ${it.salience.toFixed(2)}  [${it.window}] ${String(it.content)}`);
      const f = await m.focus();
      say(`   focus: window ${f.window} (${f.account ?? 'free'}/${f.label ?? '-'}), salience ${f.salience.toFixed(2)}`);
      const itemsBefore = (await m.windows()).reduce((n, w) => n + w.items, 0);
      const d = await m.decay(0.25, 0.3);
      await m.flush();
      say(`   decay (−0.25, forget below 0.30): ${d.evicted} of ${itemsBefore} items forgotten and spilled to their accounts' short-term tiers`);
      say('');

      // ---------------------------------------------------------------- conversation tiers
      say('3. Conversation tiers');
      const tierRows: string[][] = [['   account', 'whole history', 'short-term', 'mid-term', 'memory msgs (spilled)', 'summaries', 'covered through']];
      for (const a of cast) {
        const c = convs.get(a.account)!;
        const [counts, st, mt, ctx] = await Promise.all([c.counts(), c.shortTerm(), c.midTerm(), c.historyContext()]);
        const spilled = [...st, ...mt].filter((x) => x.role === 'memory').length;
        tierRows.push([`   ${a.account}`, String(counts.messageCount), `${st.length}/16`, `${mt.length}/48`, `${spilled} in short+mid`, String(ctx.summaries.length), String(ctx.coveredThrough)]);
      }
      say(table(tierRows));
      const actx = await alice.historyContext();
      const latest = actx.summaries.at(-1);
      if (latest) say(`   alice's newest summary (seq ${latest.fromSeq}–${latest.toSeq}, ${latest.trigger}, level ${latest.level}): ${short(latest.text, 160)}`);
      say('');

      // ---------------------------------------------------------------- context windows
      say('4. Context windows (token budget 640, 160 held back for the history summary)');
      for (const a of cast) {
        const s = sessions.get(a.account)!;
        const w = await s.window();
        const pr = await s.prompt();
        const st = await s.state();
        say(`   ${s.id}: window ${w.tokens}/${w.budget} tokens, ${w.messages.length} messages${w.anchored ? ' (anchored on a user turn)' : ''}; prompt with summary ${pr.tokens} tokens (${pr.summaryTokens} of summary); state '${st.state}' v${st.version}`);
      }
      say(`   messages folded into history context: ${folds}`);
      say('');

      // ---------------------------------------------------------------- archives
      say('5. Archives');
      const as = m.archive.stats();
      const recent = await m.archive.metrics({ minClass: 2 });
      say(`   metrics: ${as.metrics.archivedRecords} archived in ${as.metrics.blocks} blocks (${as.metrics.compressionRatio.toFixed(1)}× smaller than JSON), ${as.metrics.bufferRecords} in the buffer; ${recent.records.length} records of priority class ≥ 2`);
      say(`   states: ${as.states.versions} versions (${as.states.hot} hot, ${as.states.warm} warm, ${as.states.cold} cold), cold tier ${as.states.compressionRatio.toFixed(1)}× smaller`);
      say(`   emotions: ${as.emotions.active} active, ${as.emotions.recent} recent (${as.emotions.recentCompressionRatio.toFixed(1)}×), ${as.emotions.archived} archived (${as.emotions.archivedCompressionRatio.toFixed(1)}×); now '${(await m.archive.emotion())?.label ?? '-'}'`);
      say('');

      // ---------------------------------------------------------------- cleanup
      say('6. Unified cleanup (lowest importance first, across caches, buffers and archives)');
      const cache = m.cache<string, string>('tool-results', { maxEntries: 1000 });
      for (let i = 0; i < 200; i++) cache.set(`query-${i}`, `result ${i} `.repeat(20), { importance: (i % 10) / 10 });
      for (let i = 0; i < 200; i += 3) cache.get(`query-${i}`);
      const usage0 = m.usage();
      const report: MemoryCleanupReport = await m.cleanup({ targetBytes: Math.floor(usage0.totalBytes * 0.7) });
      say(`   total ${formatBytes(report.before)} → ${formatBytes(report.after)} (target ${formatBytes(report.targetBytes)}): freed ${formatBytes(report.freed)}, ${report.itemCount} items, in ${report.durationMs.toFixed(1)} ms`);
      for (const c of report.components.filter((x) => x.items > 0)) say(`     ${c.name}: ${c.items} items, ${formatBytes(c.freed)}`);
      if (report.highestFreed !== undefined) say(`   highest importance freed ${report.highestFreed.toFixed(3)} ≤ lowest kept ${report.lowestKept?.toFixed(3) ?? '-'}`);
      say('');

      // ---------------------------------------------------------------- close and restart
      const before = await m.stats({ accounts: true });
      const link = before.device.link;
      say('7. Close and restart from disk');
      await m.close();
      const expected = new Map(before.accounts.details!.map((x) => [x.id, x.messages]));
      const pool = before.device.pool;
      memory = undefined;
      const again = await openMemory({ ...DEMO_CONFIG, dir, device: { model: true } });
      memory = again;
      let total = 0;
      let lost = 0;
      for (const a of cast) {
        const n = (await again.conversation(a.account).counts()).messageCount;
        total += n;
        // Closing spilled what the windows still held: the histories grew by exactly that.
        lost += Math.max(0, (expected.get(a.account) ?? 0) - n);
      }
      const spilledAtClose = total - [...expected.values()].reduce((x, y) => x + y, 0);
      const metricsAfter = (await again.archive.metrics()).records.length;
      say(`   closing spilled the ${spilledAtClose} items still in the windows; reopened: ${total} messages across ${cast.length} accounts, ${metricsAfter} metric records — ${lost === 0 ? 'nothing lost' : `${lost} MISSING`}`);
      await again.close();
      memory = undefined;
      say('');

      // ---------------------------------------------------------------- summary
      const cs = before.caches.list;
      say('Summary');
      say(
        table([
          ['  tier', 'what happened'],
          ['  working memory (board)', `${pool.stores} stores, ${pool.windowsOpened} windows opened, ${pool.windowsClosed} closed, ${pool.windowsReassigned} reassigned; evictions spilled: ${pool.evictions.store} full, ${pool.evictions.decay} decay, ${pool.evictions.close + spilledAtClose} window/close`],
          ['  link', `${link.requests} requests, ${link.retransmissions} retransmissions, ${link.crcErrors} CRC errors, latency p50 ${link.latency.p50Ms.toFixed(2)} ms, p99 ${link.latency.p99Ms.toFixed(2)} ms`],
          ['  short/mid-term', before.accounts.details!.map((x) => `${x.id} ${x.shortTerm}+${x.midTerm}`).join(', ')],
          ['  whole history', `${[...expected.values()].reduce((x, y) => x + y, 0)} messages before close, ${total} after restart`],
          ['  history context', before.accounts.details!.map((x) => `${x.id} ${x.summaries} summaries`).join(', ')],
          ['  context windows', `${before.context.sessions} sessions, ${before.context.slides} slides, ${before.context.folded} messages folded, ${before.context.contextTokens} tokens held`],
          ['  caches', cs.map((c) => `${c.name} ${c.entries} entries, ${pct(c.hitRatio)} hits`).join('; ')],
          ['  archives', `metrics ${before.archives.metrics.compressionRatio.toFixed(1)}×, states ${before.archives.states.compressionRatio.toFixed(1)}×, emotions ${before.archives.emotions.archivedCompressionRatio.toFixed(1)}×`],
          ['  cleanup', `freed ${formatBytes(report.freed)} (${report.itemCount} items) in ${report.durationMs.toFixed(1)} ms`],
          ['  restart', lost === 0 ? 'nothing lost' : `${lost} messages missing`],
        ]),
      );
      say('');
      say(`Done in ${((performance.now() - t0) / 1000).toFixed(1)} s.${keep ? ` Inspect it: janela memory show alice --dir ${dir}` : ''}`);
      return lost === 0 ? (interrupted ? 130 : 0) : 1;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (memory) await memory.close().catch((err: unknown) => console.error(`janela demo: closing: ${(err as Error)?.message ?? err}`));
      if (!keep) await rm(dir, { recursive: true, force: true });
    }
  },
};
