/**
 * Memory: one object for agent code, holding every tier of janela —
 *
 *   working memory   the memory windows on the board (host/device), shared by the accounts
 *   conversation     per account: short-term, mid-term, whole history, history context (host/tiers)
 *   context          per session: a token-budgeted window and its state (host/context, host/session)
 *   caches           under one MemoryManager budget (host/cache)
 *   archives         metrics, states, emotions (host/archive)
 *
 * on one storage backend, behind one principal's access control (host/protect), with one
 * importance scorer and one global memory threshold.
 *
 * Data flows without glue code:
 *   board eviction (onEvict) → the item's account's short-term tier (a 'memory' message);
 *   short-term overflow → mid-term (the tiers do that);
 *   what slides out of a context window → the account's history context (fold callback);
 *   metric records → the metrics buffer → its compressed archive (the store does that).
 */
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { Content } from '../content/contentStore.js';
import { MemoryManager, type CleanupReport } from '../cache/manager.js';
import { TokenCounter } from '../context/tokens.js';
import { ContextTracker, type WindowView } from '../context/tracker.js';
import type { FoldedMessage, FoldInfo } from '../context/fold.js';
import { openDevice, type WindowsDevice } from '../device/index.js';
import type { Permission, Resource } from '../protect/acl.js';
import { Redactor } from '../protect/redact.js';
import { conversationGraph } from '../session/graph.js';
import { StateManager, type StateRecord, type StateUpdate } from '../session/stateManager.js';
import { AccountMemory, type AppendResult } from '../tiers/account.js';
import type { HistoryContext } from '../tiers/context.js';
import type { ContextRun } from '../tiers/contextBuilder.js';
import { ClosedError, SummariserError } from '../tiers/errors.js';
import type { MessageInput } from '../tiers/message.js';
import { evictedMessage } from '../tiers/spill.js';
import { extractiveSummariser, type Summariser } from '../tiers/summariser.js';
import { MemoryAccess } from './access.js';
import {
  archiveReclaimables,
  archiveStats,
  closeArchives,
  emotionRangeSchema,
  flushArchives,
  openArchives,
  ArchiveUse,
  type ArchiveSet,
  type ArchiveStats,
  type ConsciousnessState,
  type EmotionEntry,
  type EmotionInput,
  type MetricRecord,
  type MetricsQuery,
  type QueryResult,
  type StateInput,
  type StoredMetric,
} from './archives.js';
import { registerCache, type MemoryCache, type MemoryCacheOptions } from './caches.js';
import { UnifiedCleaner, type MemoryCleanupReport, type ReclaimCandidate, type Reclaimable } from './cleanup.js';
import {
  cacheBudget,
  memoryAccountIdSchema,
  mergeConfig,
  parseMemoryConfig,
  readConfigFile,
  sessionNameSchema,
  type MemoryConfig,
  type MemoryConfigInput,
} from './config.js';
import { Conversation } from './conversation.js';
import { MemoryClosedError, MemoryInputError, parseInput } from './errors.js';
import { ImportanceScorer } from './importance.js';
import { ContextSession, sessionOptionsSchema, type PromptView, type SessionAppendResult, type SessionMessage, type SessionOptions } from './session.js';
import { openStorage, type MemoryStorage } from './storage.js';
import { WindowPool, type PoolStats, type SpillRequest, type WindowInfo } from './windows.js';
import type { LinkStats } from '../device/link.js';
import type { ContextMetrics } from '../context/tracker.js';
import type { CacheStats } from '../cache/cache.js';

export interface OpenMemoryOptions extends MemoryConfigInput {
  /** A JSON config file: its settings are the base, the other options override them (deep merge). */
  configFile?: string;
  /** Summarises history for the history context (default: the tiers' offline extractive summariser). */
  summariser?: Summariser;
  /** Errors of background work (spills, folds, summaries, cleanups); default: printed to stderr. */
  onError?: (err: unknown, where: string) => void;
  /** Inspection: the tiers are opened read-only, archives keep their writes in memory, no audit log. */
  readOnly?: boolean;
}

const fnSchema = z.custom<(...a: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');
const openExtrasSchema = z.object({
  configFile: z.string().min(1).optional(),
  summariser: fnSchema.optional(),
  onError: fnSchema.optional(),
  readOnly: z.boolean().optional(),
});

/** Opens a memory: validates the config (file and options), then storage, archives, caches, context, the device. */
export async function openMemory(options: OpenMemoryOptions = {}): Promise<Memory> {
  if (typeof options !== 'object' || options === null) throw new MemoryInputError('openMemory', [{ path: '', message: 'options must be an object' }]);
  const { configFile, summariser, onError, readOnly, ...rest } = options;
  parseInput('openMemory', openExtrasSchema, { configFile, summariser, onError, readOnly });
  const base = configFile !== undefined ? await readConfigFile(configFile) : {};
  const config = parseMemoryConfig(mergeConfig(base, rest), configFile);
  return Memory.open(config, {
    ...(summariser && { summariser }),
    ...(onError && { onError }),
    ...(readOnly && { readOnly }),
  });
}

/** @internal What the facades (Conversation, ContextSession) use of the memory. */
export interface MemoryCore {
  readonly config: MemoryConfig;
  readonly pool: WindowPool;
  guarded<T>(permission: Permission, resource: Resource, action: string, fn: () => Promise<T>): Promise<T>;
  withAccount<T>(account: string, fn: (a: AccountMemory) => Promise<T>): Promise<T>;
  appendToTiers(account: string, messages: readonly MessageInput[]): Promise<AppendResult[]>;
  historyContext(account: string): Promise<HistoryContext>;
  generateContext(account: string): Promise<ContextRun>;
  redactContent(c: Content): Content;
  count(op: string): void;
  openSession(account: string, name: string, options: SessionOptions): Promise<ContextSession>;
  sessionAppend(s: ContextSession, m: SessionMessage): Promise<SessionAppendResult>;
  sessionWindow(s: ContextSession): WindowView;
  sessionPrompt(s: ContextSession): Promise<PromptView>;
  sessionState(s: ContextSession): Promise<StateRecord>;
  sessionUpdateState(s: ContextSession, update: StateUpdate): Promise<StateRecord>;
  sessionClose(s: ContextSession): boolean;
}

export type DeviceKind = 'model' | 'sim' | 'board';

interface AccountHandle {
  readonly id: string;
  readonly mem: Promise<AccountMemory>;
  last: number;
  uses: number;
  inflight: number;
  /** Messages of the account held in memory (short + mid tail), estimated. */
  held: number;
  /** Running mean of a message's bytes. */
  avgBytes: number;
}

interface SessionInfo {
  readonly id: string;
  readonly account: string;
  readonly name: string;
  readonly systemPrompt: string | undefined;
  /** seq in the window → bytes. */
  readonly held: Map<number, number>;
  bytes: number;
  last: number;
  appends: number;
}

export interface SpillStats {
  readonly pending: number;
  /** Spilled items stored in the short-term tier. */
  readonly stored: number;
  /** Spilled items the tier already held (same content recently): nothing new stored. */
  readonly duplicates: number;
  /** Spills that failed and wait for a retry (flush and close retry them). */
  readonly failed: number;
  readonly retried: number;
}

export interface MemoryStats {
  readonly at: string;
  readonly device: {
    readonly kind: DeviceKind;
    readonly pool: PoolStats;
    readonly link: LinkStats;
    /** Item contents the host holds for the board. */
    readonly contents: number;
    readonly open: number;
    readonly items: number;
  };
  readonly spills: SpillStats;
  readonly accounts: {
    readonly open: number;
    /** Accounts the storage holds (only with `stats({ accounts: true })`). */
    readonly stored?: number;
    /** Per account (only with `stats({ accounts: true })`). */
    readonly details?: readonly { readonly id: string; readonly messages: number; readonly shortTerm: number; readonly midTerm: number; readonly summaries: number; readonly coveredThrough: number }[];
  };
  readonly context: Omit<ContextMetrics, 'operations' | 'tokenizer'> & { readonly tokenizer: { readonly cacheHits: number; readonly cacheMisses: number }; readonly foldRuns: number; readonly foldErrors: number };
  readonly caches: {
    readonly budgetBytes: number;
    readonly totalBytes: number;
    readonly peakBytes: number;
    readonly cleanups: number;
    readonly list: readonly CacheStats[];
  };
  readonly archives: ArchiveStats;
  readonly budget: {
    readonly thresholdBytes: number;
    readonly targetBytes: number;
    readonly totalBytes: number;
    readonly components: readonly { readonly name: string; readonly kind: string; readonly bytes: number }[];
  };
  readonly cleanup: {
    readonly runs: number;
    readonly freedBytes: number;
    readonly lastDurationMs: number;
    readonly maxDurationMs: number;
    readonly last: Omit<MemoryCleanupReport, 'items'> | undefined;
  };
  readonly access: ReturnType<MemoryAccess['stats']>;
  /** Operations by name since open (access rates: Prometheus rate() over janela_operations_total). */
  readonly operations: Readonly<Record<string, number>>;
}

export interface MemoryEvents {
  /** An item left working memory and reached its account's short-term tier. */
  spill: [{ account: string; label: string; cause: SpillRequest['cause']; seq: number; duplicate: boolean }];
  /** Messages that slid out of a context window were folded into the history context. */
  fold: [{ sessionId: string; reason: FoldInfo['reason']; messages: number }];
  cleanup: [MemoryCleanupReport];
}

const OPEN_ACCOUNT_BYTES = 8 * 1024;
const SESSION_BYTES = 512;
const SUMMARY_HEADER = 'Summary of the earlier conversation:\n';

function defaultOnError(err: unknown, where: string): void {
  console.error(`janela memory: ${where}: ${(err as Error)?.message ?? String(err)}`);
}

/** Splits `<account>.<name>`; a bare account id names its 'main' session. */
export function splitSessionId(sessionId: string): { account: string; name: string } {
  const s = parseInput('context', z.string().min(1).max(128), sessionId);
  const dot = s.indexOf('.');
  const account = dot < 0 ? s : s.slice(0, dot);
  const name = dot < 0 ? 'main' : s.slice(dot + 1);
  return { account: parseInput('context', memoryAccountIdSchema, account), name: parseInput('context', sessionNameSchema, name) };
}

export class Memory extends EventEmitter<MemoryEvents> {
  readonly config: MemoryConfig;
  /** The board (or simulator, or model) behind the windows; direct use bypasses access control and ownership. */
  readonly device: WindowsDevice;
  readonly deviceKind: DeviceKind;
  readonly scorer: ImportanceScorer;
  /** The memory manager all caches are registered with. */
  readonly manager: MemoryManager;
  readonly storage: MemoryStorage;
  readonly access: MemoryAccess;
  readonly #pool: WindowPool;
  readonly #archives: ArchiveSet;
  readonly #archiveUse = new ArchiveUse();
  readonly #states: StateManager;
  readonly #tracker: ContextTracker;
  readonly #counter: TokenCounter;
  readonly #cleaner: UnifiedCleaner;
  readonly #historyCache: MemoryCache<string, HistoryContext>;
  readonly #caches = new Map<string, MemoryCache<unknown, unknown>>();
  readonly #summariser: Summariser | undefined;
  readonly #onError: (err: unknown, where: string) => void;
  readonly #redactor: Redactor | undefined;
  readonly #core: MemoryCore;
  readonly #accounts = new Map<string, AccountHandle>();
  readonly #closingAccounts = new Map<string, Promise<void>>();
  readonly #sessions = new Map<string, SessionInfo>();
  readonly #spillChains = new Map<string, Promise<void>>();
  #failedSpills: SpillRequest[] = [];
  readonly #spillStats = { pending: 0, stored: 0, duplicates: 0, retried: 0 };
  readonly #ops = new Map<string, number>();
  #foldRuns = 0;
  #foldErrors = 0;
  #cacheCleanups = 0;
  readonly #cleanupStats = { runs: 0, freed: 0, lastMs: 0, maxMs: 0, last: undefined as MemoryCleanupReport | undefined };
  #timer: NodeJS.Timeout | undefined;
  #sinceCheck = 0;
  #lastCheck = 0;
  #state: 'open' | 'closing' | 'closed' = 'open';

  private constructor(parts: {
    config: MemoryConfig;
    device: WindowsDevice;
    deviceKind: DeviceKind;
    pool: WindowPool;
    scorer: ImportanceScorer;
    manager: MemoryManager;
    storage: MemoryStorage;
    access: MemoryAccess;
    archives: ArchiveSet;
    states: StateManager;
    tracker: ContextTracker;
    counter: TokenCounter;
    historyCache: MemoryCache<string, HistoryContext>;
    tokenCache: MemoryCache<string, number>;
    summariser: Summariser | undefined;
    onError: (err: unknown, where: string) => void;
  }) {
    super();
    this.config = parts.config;
    this.device = parts.device;
    this.deviceKind = parts.deviceKind;
    this.#pool = parts.pool;
    this.scorer = parts.scorer;
    this.manager = parts.manager;
    this.storage = parts.storage;
    this.access = parts.access;
    this.#archives = parts.archives;
    this.#states = parts.states;
    this.#tracker = parts.tracker;
    this.#counter = parts.counter;
    this.#historyCache = parts.historyCache;
    this.#summariser = parts.summariser;
    this.#onError = parts.onError;
    this.#redactor = parts.config.redact ? new Redactor() : undefined;
    this.#caches.set('token-counts', parts.tokenCache as MemoryCache<unknown, unknown>);
    this.#caches.set('history-context', parts.historyCache as MemoryCache<unknown, unknown>);
    this.#cleaner = new UnifiedCleaner(this.scorer, { thresholdBytes: parts.config.budget.maxBytes, targetRatio: parts.config.budget.targetRatio });
    for (const c of this.#caches.values()) this.#cleaner.add(c.reclaimable());
    this.#cleaner.add(this.#sessionsReclaimable());
    this.#cleaner.add(this.#accountsReclaimable());
    this.#cleaner.add({ name: 'buffer:session-states', kind: 'buffer', bytes: () => this.#states.metrics().memoryUsedBytes, candidates: () => [] });
    for (const r of archiveReclaimables(this.#archives, parts.config.archives, this.#archiveUse)) this.#cleaner.add(r);
    this.#core = this.#makeCore();
    if (parts.config.budget.checkIntervalMs > 0) {
      this.#timer = setInterval(() => this.#check(true), parts.config.budget.checkIntervalMs);
      this.#timer.unref();
    }
  }

  /** @internal Use openMemory(). */
  static async open(
    config: MemoryConfig,
    options: { summariser?: Summariser; onError?: (err: unknown, where: string) => void; readOnly?: boolean } = {},
  ): Promise<Memory> {
    const onError = options.onError ?? defaultOnError;
    const undo: (() => Promise<unknown>)[] = [];
    const unwind = async () => {
      for (const u of undo.reverse()) await u().catch(() => undefined);
    };
    try {
      const access = await MemoryAccess.open(options.readOnly ? { ...config.access, audit: 'off' } : config.access, config.dir);
      undo.push(() => access.close());
      const storage = openStorage(config, { readOnly: options.readOnly ?? false });
      undo.push(() => storage.tiers.close(), () => storage.blobs.close());
      const archives = await openArchives(storage.blobs, config.archives);
      undo.push(() => closeArchives(archives));
      const states = new StateManager({
        store: storage.blobs,
        graph: conversationGraph(),
        config: options.readOnly ? { ...config.session, cleanupInterval: 0 } : config.session,
      });
      undo.push(async () => states.close());
      const scorer = new ImportanceScorer(config.importance);
      let memory: Memory | undefined;
      const manager = new MemoryManager({
        budgetBytes: cacheBudget(config),
        onCleanup: () => {
          if (memory) memory.#cacheCleanups++;
        },
      });
      undo.push(async () => manager.stop());
      const tokenCache = registerCache<string, number>('token-counts', { maxEntries: config.tokens.cacheEntries, priority: 1 }, scorer, manager);
      const historyCache = registerCache<string, HistoryContext>(
        'history-context',
        { maxEntries: config.caches.historyContext.maxEntries, ttl: config.caches.historyContext.ttlMs, priority: 2 },
        scorer,
        manager,
      );
      const counter = await TokenCounter.create({ encoding: config.tokens.encoding, cache: tokenCache });
      const tracker = new ContextTracker({
        counter,
        config: config.context,
        fold: (messages, info) => (memory ? memory.#fold(messages, info) : Promise.reject(new Error('memory is not open yet'))),
      });
      undo.push(() => tracker.shutdown());
      const t = config.device;
      const deviceKind: DeviceKind = 'path' in t ? 'board' : 'sim' in t ? 'sim' : 'model';
      const l = config.link;
      const device = await openDevice(t, {
        ...(l.timeoutMs !== undefined && { timeoutMs: l.timeoutMs }),
        ...(l.maxAttempts !== undefined && { maxAttempts: l.maxAttempts }),
        ...(l.inFlight !== undefined && { inFlight: l.inFlight }),
      });
      undo.push(() => device.close());
      const pool = await WindowPool.attach(device, {
        scorer,
        perAccount: config.windows.perAccount,
        clear: deviceKind === 'board' && config.windows.clearBoard,
        spill: (req) => (memory ? memory.#spill(req) : onError(new Error('eviction before the memory was open'), 'spill')),
      });
      memory = new Memory({
        config,
        device,
        deviceKind,
        pool,
        scorer,
        manager,
        storage,
        access,
        archives,
        states,
        tracker,
        counter,
        historyCache,
        tokenCache,
        summariser: options.summariser,
        onError,
      });
      manager.start();
      return memory;
    } catch (err) {
      await unwind();
      throw err;
    }
  }

  // ---------------------------------------------------------------- public API

  /** One account's conversation: tiers, memory windows, context sessions. */
  conversation(accountId: string): Conversation {
    this.#live();
    return new Conversation(this.#core, parseInput('conversation', memoryAccountIdSchema, accountId));
  }

  /** A context session by id `<account>.<name>` (a bare account id means `<account>.main`). */
  async context(sessionId: string, options: SessionOptions = {}): Promise<ContextSession> {
    this.#live();
    const { account, name } = splitSessionId(sessionId);
    return this.#openSession(account, name, options);
  }

  /**
   * A cache under the memory manager's budget and the unified cleanup; entries carry an
   * importance (set's `importance` option). Names are unique; asking again returns the same cache.
   */
  cache<K, V>(name: string, options: MemoryCacheOptions<K, V>): MemoryCache<K, V> {
    this.#live();
    const n = parseInput('cache', z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'cache names are 1–64 of [A-Za-z0-9_.:-]'), name);
    const existing = this.#caches.get(n);
    if (existing) return existing as MemoryCache<K, V>;
    const cache = registerCache<K, V>(n, options, this.scorer, this.manager);
    this.#caches.set(n, cache as MemoryCache<unknown, unknown>);
    this.#cleaner.add(cache.reclaimable());
    return cache;
  }

  /** The archives, behind access control on `access.archiveAccount`. */
  readonly archive = {
    /** Appends a consciousness metric record (buffered; archived compressed when the buffer fills). */
    record: (record: MetricRecord): Promise<StoredMetric> => this.#archived('metrics', 'write', 'metrics.append', () => this.#archives.metrics.append(record)),
    metrics: (query: MetricsQuery = {}): Promise<QueryResult<StoredMetric>> => this.#archived('metrics', 'read', 'metrics.query', () => this.#archives.metrics.query(query)),
    saveState: (state: StateInput): Promise<number> => this.#archived('states', 'write', 'states.save', () => this.#archives.states.save(state)),
    state: (version: number): Promise<ConsciousnessState> => this.#archived('states', 'read', 'states.get', () => this.#archives.states.get(version)),
    latestState: (): Promise<ConsciousnessState | undefined> => this.#archived('states', 'read', 'states.latest', () => this.#archives.states.latest()),
    stateAt: (t: number): Promise<ConsciousnessState | undefined> => this.#archived('states', 'read', 'states.at', () => this.#archives.states.at(t)),
    setEmotion: (e: EmotionInput): Promise<EmotionEntry> => this.#archived('emotions', 'write', 'emotions.set', () => this.#archives.emotions.setEmotion(e)),
    emotion: (): Promise<EmotionEntry | undefined> => this.#archived('emotions', 'read', 'emotions.current', async () => this.#archives.emotions.current()),
    emotions: (range: z.input<typeof emotionRangeSchema> = {}) =>
      this.#archived('emotions', 'read', 'emotions.history', () => this.#archives.emotions.history(parseInput('emotions', emotionRangeSchema, range))),
    stats: (): ArchiveStats => archiveStats(this.#archives),
  };

  /** The most salient window on the board and the account holding it. */
  async focus(): Promise<{ window: number; salience: number; account: string | undefined; label: string | undefined }> {
    this.#live();
    return this.#pool.focus();
  }

  /** Every open window with its owner, items and importance. */
  async windows(): Promise<WindowInfo[]> {
    this.#live();
    return this.#pool.list();
  }

  /**
   * Lowers every item's salience by `step` (0..1 of the full scale) and forgets the items
   * below `threshold` (0..1): they are spilled to their accounts' short-term tiers.
   */
  async decay(step: number, threshold: number): Promise<{ evicted: number }> {
    this.#live();
    const args = parseInput('decay', z.object({ step: z.number().min(0).max(1), threshold: z.number().min(0).max(1) }).strict(), { step, threshold });
    const evicted = await this.#pool.decay(Math.round(args.step * 255), Math.round(args.threshold * 255));
    this.count('windows.decay');
    this.#poke();
    return { evicted };
  }

  /**
   * Frees memory, lowest importance first across caches, buffers and archives, down to
   * `targetBytes` (default budget.maxBytes × budget.targetRatio); reports what it freed.
   */
  async cleanup(options: { targetBytes?: number } = {}): Promise<MemoryCleanupReport> {
    this.#live();
    const o = parseInput('cleanup', z.object({ targetBytes: z.number().int().min(0).optional() }).strict(), options);
    return this.#runCleanup('manual', o.targetBytes);
  }

  /** Bytes of every component of the global threshold, now. */
  usage(): { totalBytes: number; thresholdBytes: number; components: { name: string; kind: string; bytes: number }[] } {
    const components = this.#cleaner.breakdown();
    return { totalBytes: components.reduce((a, c) => a + c.bytes, 0), thresholdBytes: this.#cleaner.thresholdBytes, components };
  }

  /** Everything the monitoring reports (host/monitor, `janela stats`). `accounts: true` also counts every stored account. */
  async stats(options: { accounts?: boolean } = {}): Promise<MemoryStats> {
    const o = parseInput('stats', z.object({ accounts: z.boolean().default(false) }).strict(), options);
    const count = this.#state === 'closed' ? { open: 0, items: 0 } : await this.device.windowCount();
    const tm = this.#tracker.metrics();
    const ms = this.manager.stats();
    const usage = this.usage();
    let details: { id: string; messages: number; shortTerm: number; midTerm: number; summaries: number; coveredThrough: number }[] | undefined;
    let stored: number | undefined;
    if (o.accounts && this.#state === 'open') {
      const ids = await this.storage.tiers.listAccounts();
      stored = ids.length;
      details = [];
      for (const id of ids) {
        details.push(
          await this.#withAccount(id, async (a) => {
            const [c, st, mt, ctx] = await Promise.all([a.counts(), a.shortTerm(), a.midTerm(), a.context()]);
            return { id, messages: c.messageCount, shortTerm: st.length, midTerm: mt.length, summaries: ctx.summaries.length, coveredThrough: ctx.coveredThrough };
          }),
        );
      }
    }
    const { operations: _ops, tokenizer, ...context } = tm;
    const last = this.#cleanupStats.last;
    return {
      at: new Date().toISOString(),
      device: { kind: this.deviceKind, pool: this.#pool.stats(), link: this.device.stats(), contents: this.device.contentCount, open: count.open, items: count.items },
      spills: this.#spillsSnapshot(),
      accounts: { open: this.#accounts.size, ...(stored !== undefined && { stored }), ...(details && { details }) },
      context: { ...context, tokenizer: { cacheHits: tokenizer.cacheHits, cacheMisses: tokenizer.cacheMisses }, foldRuns: this.#foldRuns, foldErrors: this.#foldErrors },
      caches: {
        budgetBytes: ms.budgetBytes,
        totalBytes: ms.totalBytes,
        peakBytes: ms.peakBytes,
        cleanups: this.#cacheCleanups,
        list: [...this.#caches.values()].map((c) => c.stats()),
      },
      archives: archiveStats(this.#archives),
      budget: {
        thresholdBytes: this.#cleaner.thresholdBytes,
        targetBytes: Math.floor(this.#cleaner.thresholdBytes * this.#cleaner.targetRatio),
        totalBytes: usage.totalBytes,
        components: usage.components,
      },
      cleanup: {
        runs: this.#cleanupStats.runs,
        freedBytes: this.#cleanupStats.freed,
        lastDurationMs: this.#cleanupStats.lastMs,
        maxDurationMs: this.#cleanupStats.maxMs,
        last: last ? (({ items: _i, ...rest }) => rest)(last) : undefined,
      },
      access: this.access.stats(),
      operations: Object.fromEntries([...this.#ops].sort(([a], [b]) => a.localeCompare(b))),
    };
  }

  /**
   * Makes everything durable that is not yet: waits for queued spills (retrying failed ones),
   * folds and history-context runs, and flushes the archives' buffers. Messages are durable
   * as soon as their append resolves; this covers what happens in the background.
   */
  async flush(): Promise<void> {
    this.#live();
    await this.#drainBackground();
    await flushArchives(this.#archives);
  }

  /**
   * Closes everything, in order: spills what the windows hold into the accounts' short-term
   * tiers (the host keeps the items' content; it would not outlive the process), waits for
   * spills and folds, closes the accounts, flushes and closes the archives, the storage and
   * the device. Idempotent; errors are collected and the first is rethrown once all is closed.
   */
  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    if (this.#timer) clearInterval(this.#timer);
    this.manager.stop();
    const errors: unknown[] = [];
    const step = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    };
    await step(() => this.#pool.drain(this.deviceKind === 'board' && this.config.windows.clearBoard));
    await step(() => this.#drainBackground());
    await step(() => this.#tracker.shutdown());
    await step(async () => {
      const handles = [...this.#accounts.values()];
      this.#accounts.clear();
      const results = await Promise.allSettled(handles.map(async (h) => (await h.mem).close()));
      for (const r of results) if (r.status === 'rejected') errors.push(r.reason);
      await Promise.allSettled([...this.#closingAccounts.values()]);
    });
    await step(() => closeArchives(this.#archives));
    await step(async () => this.#states.close());
    await step(() => this.storage.tiers.close());
    await step(() => this.storage.blobs.close());
    await step(() => this.device.close());
    await step(() => this.access.close());
    this.#state = 'closed';
    if (this.#failedSpills.length > 0) errors.unshift(new Error(`${this.#failedSpills.length} evicted item(s) could not be spilled to their short-term tier`));
    if (errors.length > 0) throw errors[0];
  }

  get closed(): boolean {
    return this.#state !== 'open';
  }

  /** @internal Counts an operation (stats().operations). */
  count(op: string): void {
    this.#ops.set(op, (this.#ops.get(op) ?? 0) + 1);
  }

  // ---------------------------------------------------------------- internals

  #live(): void {
    if (this.#state !== 'open') throw new MemoryClosedError();
  }

  #makeCore(): MemoryCore {
    const m = this;
    return {
      get config() {
        return m.config;
      },
      get pool() {
        return m.#pool;
      },
      guarded: async (permission, resource, action, fn) => {
        m.#live();
        return m.access.run(permission, resource, action, async () => {
          const out = await fn();
          m.#poke();
          return out;
        });
      },
      withAccount: (account, fn) => m.#withAccount(account, fn),
      appendToTiers: (account, messages) => m.#appendToTiers(account, messages),
      historyContext: (account) => m.#historyContext(account),
      generateContext: async (account) => {
        const r = await m.#withAccount(account, (a) => a.generateContext());
        m.#historyCache.delete(account);
        return r;
      },
      redactContent: (c) => m.#redactContent(c),
      count: (op) => m.count(op),
      openSession: (account, name, options) => m.#openSession(account, name, options),
      sessionAppend: (s, msg) => m.#sessionAppend(s, msg),
      sessionWindow: (s) => m.#tracker.window(m.#ensureOpen(m.#sessionInfo(s))),
      sessionPrompt: (s) => m.#sessionPrompt(s),
      sessionState: (s) => m.#sessionState(s),
      sessionUpdateState: async (s, update) => {
        await m.#sessionState(s);
        return m.#states.update(s.id, { ...update, by: update.by ?? m.access.principal.id });
      },
      sessionClose: (s) => {
        m.#sessions.delete(s.id);
        return m.#tracker.close(s.id);
      },
    };
  }

  /** Runs `fn` on the account's AccountMemory, opening it (again) when needed. No access check: callers check. */
  async #withAccount<T>(account: string, fn: (a: AccountMemory) => Promise<T>): Promise<T> {
    if (this.#state === 'closed') throw new MemoryClosedError();
    let h = this.#accounts.get(account);
    while (!h) {
      const closing = this.#closingAccounts.get(account);
      if (closing) await closing.catch(() => undefined);
      h = this.#accounts.get(account);
      if (h) break;
      if (this.#closingAccounts.has(account)) continue;
      h = this.#openAccount(account);
    }
    h.inflight++;
    try {
      return await fn(await h.mem);
    } finally {
      h.inflight--;
      h.last = this.scorer.now();
      h.uses++;
    }
  }

  #openAccount(account: string): AccountHandle {
    const cap = this.config.tiers.shortTerm.capacity + this.config.tiers.midTerm.capacity;
    const handle: AccountHandle = {
      id: account,
      mem: undefined as unknown as Promise<AccountMemory>,
      last: this.scorer.now(),
      uses: 0,
      inflight: 0,
      held: 0,
      avgBytes: 400,
    };
    const mem = AccountMemory.open(this.storage.tiers.account(account), {
      config: this.config.tiers,
      summariser: this.#summariser ?? extractiveSummariser,
      onError: (err) => {
        if (!(err instanceof ClosedError)) this.#onError(err, `history context of ${account}`);
      },
    }).then(async (a) => {
      const c = await a.counts();
      handle.held = Math.min(c.messageCount, cap);
      return a;
    });
    (handle as { mem: Promise<AccountMemory> }).mem = mem;
    this.#accounts.set(account, handle);
    mem.catch(() => {
      if (this.#accounts.get(account) === handle) this.#accounts.delete(account);
    });
    return handle;
  }

  #redactText(text: string): string {
    return this.#redactor ? this.#redactor.redactText(text) : text;
  }

  #redactContent(c: Content): Content {
    if (!this.#redactor) return c;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.#redactText(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === 'object' && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
      return v;
    };
    return walk(c) as Content;
  }

  async #appendToTiers(account: string, messages: readonly MessageInput[]): Promise<AppendResult[]> {
    if (!Array.isArray(messages)) throw new MemoryInputError('append', [{ path: '', message: 'expected an array of messages' }]);
    const redacted = this.#redactor
      ? messages.map((m) => (m && typeof m === 'object' && typeof m.content === 'string' ? { ...m, content: this.#redactText(m.content) } : m))
      : messages;
    const out = await this.#withAccount(account, (a) => a.appendMany(redacted));
    this.#noteAppended(account, out);
    this.count('conversation.append');
    return out;
  }

  #noteAppended(account: string, outcomes: readonly AppendResult[]): void {
    const h = this.#accounts.get(account);
    if (!h) return;
    const cap = this.config.tiers.shortTerm.capacity + this.config.tiers.midTerm.capacity;
    for (const o of outcomes) {
      if (o.duplicate) continue;
      const b = 2 * (o.message.content.length + o.message.id.length) + 160;
      h.avgBytes += (b - h.avgBytes) / 32;
      h.held = Math.min(cap, h.held + 1);
    }
  }

  async #historyContext(account: string): Promise<HistoryContext> {
    const cached = this.#historyCache.get(account);
    if (cached) return cached;
    const ctx = await this.#withAccount(account, (a) => a.context());
    this.#historyCache.set(account, ctx, { size: 2 * ctx.summaries.reduce((n, s) => n + s.text.length + 64, 0) + 128 });
    return ctx;
  }

  // ---- spills: board evictions → short-term tier

  #spill(req: SpillRequest): void {
    this.#spillStats.pending++;
    const prev = this.#spillChains.get(req.account) ?? Promise.resolve();
    const next: Promise<void> = prev
      .then(() => this.#doSpill(req))
      .catch((err) => {
        this.#failedSpills.push(req);
        this.#onError(err, `spilling an evicted item to ${req.account}`);
      })
      .finally(() => {
        this.#spillStats.pending--;
        if (this.#spillChains.get(req.account) === next) this.#spillChains.delete(req.account);
      });
    this.#spillChains.set(req.account, next);
  }

  async #doSpill(req: SpillRequest): Promise<void> {
    const json = !(typeof req.content === 'string' || req.content instanceof Uint8Array);
    const content = json ? JSON.stringify(req.content) : (req.content as string | Uint8Array);
    const base = evictedMessage({ content, window: req.window, salience: req.salience, handle: req.handle });
    const message: MessageInput = {
      ...base,
      metadata: { ...(base.metadata ?? {}), cause: req.cause, label: req.label, ...(json && { contentType: 'json' }) },
    };
    const [out] = await this.#withAccount(req.account, (a) => a.appendMany([message]));
    this.#noteAppended(req.account, [out!]);
    if (out!.duplicate) this.#spillStats.duplicates++;
    else this.#spillStats.stored++;
    this.emit('spill', { account: req.account, label: req.label, cause: req.cause, seq: out!.message.seq, duplicate: out!.duplicate });
  }

  #spillsSnapshot(): SpillStats {
    return { ...this.#spillStats, failed: this.#failedSpills.length };
  }

  async #drainBackground(): Promise<void> {
    await this.#pool.idle();
    for (let round = 0; round < 3; round++) {
      while (this.#spillChains.size > 0) await Promise.all([...this.#spillChains.values()]);
      if (this.#failedSpills.length === 0) break;
      const retry = this.#failedSpills;
      this.#failedSpills = [];
      this.#spillStats.retried += retry.length;
      for (const r of retry) this.#spill(r);
    }
    while (this.#spillChains.size > 0) await Promise.all([...this.#spillChains.values()]);
    await this.#tracker.flush(); // FoldError when the history context keeps refusing (the batch stays queued)
    await Promise.all([...this.#accounts.values()].map(async (h) => (await h.mem.catch(() => undefined))?.idle()));
  }

  // ---- context sessions

  async #openSession(account: string, name: string, options: SessionOptions): Promise<ContextSession> {
    const o = parseInput('context', sessionOptionsSchema, options);
    const prompt = o.systemPrompt === undefined ? undefined : this.#redactText(o.systemPrompt);
    const session = new ContextSession(this.#core, account, name, prompt);
    await this.access.run('write', { account, session: name }, 'context.open', async () => {
      this.#tracker.open(session.id, prompt === undefined ? {} : { systemPrompt: prompt });
      if (!this.#sessions.has(session.id)) this.#sessionInfo(session);
    });
    this.count('context.open');
    return session;
  }

  /** What the memory tracks of a live window (dropped when the window is closed, cleaned up or expired). */
  #sessionInfo(s: ContextSession): SessionInfo {
    let info = this.#sessions.get(s.id);
    if (!info) {
      info = { id: s.id, account: s.account, name: s.name, systemPrompt: s.systemPrompt, held: new Map(), bytes: 0, last: this.scorer.now(), appends: 0 };
      this.#sessions.set(s.id, info);
    }
    return info;
  }

  /** The tracker's session id, (re)opened when cleanup closed it or it expired. */
  #ensureOpen(info: SessionInfo): string {
    if (!this.#tracker.has(info.id)) {
      info.held.clear();
      info.bytes = 0;
      this.#tracker.open(info.id, info.systemPrompt === undefined ? {} : { systemPrompt: info.systemPrompt });
    }
    return info.id;
  }

  async #sessionAppend(s: ContextSession, m: SessionMessage): Promise<SessionAppendResult> {
    const info = this.#sessionInfo(s);
    const content = this.#redactText(m.content);
    const [out] = await this.#withAccount(s.account, (a) =>
      a.appendMany([
        {
          role: m.role,
          content,
          ...(m.id !== undefined && { id: m.id }),
          ...(m.timestamp !== undefined && { timestamp: m.timestamp }),
          metadata: { ...(m.metadata ?? {}), session: s.name, ...(m.name !== undefined && { name: m.name }) },
        },
      ]),
    );
    this.#noteAppended(s.account, [out!]);
    this.count('context.append');
    const id = this.#ensureOpen(info);
    info.last = this.scorer.now();
    info.appends++;
    if (out!.duplicate) {
      return { seq: out!.message.seq, id: out!.message.id, duplicate: true, windowTokens: this.#tracker.window(id).tokens, truncated: false };
    }
    // The tiers have it (durable); the window gets the same text, carrying the tiers' id to the fold.
    const r = this.#tracker.append(id, { role: m.role, content, ...(m.name !== undefined && { name: m.name }), id: out!.message.id });
    const bytes = 2 * content.length + 96;
    info.held.set(r.seq, bytes);
    info.bytes += bytes;
    if (r.slide) {
      for (const seq of r.slide.foldedSeqs) {
        info.bytes -= info.held.get(seq) ?? 0;
        info.held.delete(seq);
      }
    }
    return {
      seq: out!.message.seq,
      id: out!.message.id,
      duplicate: false,
      windowTokens: r.windowTokens,
      truncated: r.truncated,
      ...(r.slide && { slide: r.slide }),
    };
  }

  async #sessionPrompt(s: ContextSession): Promise<PromptView> {
    const info = this.#sessionInfo(s);
    const view = this.#tracker.window(this.#ensureOpen(info));
    const ctx = await this.#historyContext(s.account);
    const reserve = this.config.context.reserveTokens;
    let texts = ctx.summaries.map((x) => x.text);
    let summary: { role: 'system'; content: string } | undefined;
    let summaryTokens = 0;
    const framed = (t: string[]) => ({ role: 'system' as const, content: SUMMARY_HEADER + t.join('\n') });
    while (texts.length > 0) {
      const msg = framed(texts);
      const tokens = this.#counter.messageTokens(msg);
      if (tokens <= reserve) {
        summary = msg;
        summaryTokens = tokens;
        break;
      }
      if (texts.length > 1) texts = texts.slice(1); // the oldest summary gives way first
      else {
        // One summary longer than the reserve: keep its end, cut to fit.
        const t = texts[0]!;
        const keep = Math.floor(t.length * (reserve / tokens) * 0.9);
        if (keep < 16) break;
        texts = [`…${t.slice(t.length - keep)}`];
      }
    }
    const messages = [...view.messages];
    if (summary) messages.splice(messages[0]?.role === 'system' ? 1 : 0, 0, summary);
    this.count('context.prompt');
    return { messages, tokens: view.tokens + summaryTokens, summaryTokens, summaries: summary ? texts.length : 0, budget: this.config.context.maxContextLength };
  }

  async #sessionState(s: ContextSession): Promise<StateRecord> {
    const cur = await this.#states.get(s.id);
    if (cur) return cur;
    try {
      return await this.#states.create(s.id, {}, this.access.principal.id);
    } catch (err) {
      const again = await this.#states.get(s.id);
      if (again) return again;
      throw err;
    }
  }

  /** The fold sink: what slid out of a window is covered by the account's history context. */
  async #fold(messages: readonly FoldedMessage[], info: FoldInfo): Promise<void> {
    const { account } = splitSessionId(info.sessionId);
    // A window that expired or was closed is gone: forget what was tracked of it (unless it was reopened since).
    if (info.reason !== 'slid' && !this.#tracker.has(info.sessionId)) this.#sessions.delete(info.sessionId);
    // Messages the window got without the tiers (none through this facade) are stored first.
    const orphans = messages.filter((f) => f.message.id === undefined);
    await this.#withAccount(account, async (a) => {
      if (orphans.length > 0) await a.appendMany(orphans.map((f) => ({ role: f.message.role, content: f.message.content, metadata: { session: info.sessionId, folded: true } })));
      try {
        await a.generateContext();
      } catch (err) {
        if (err instanceof SummariserError || err instanceof ClosedError) {
          // The messages are durable in the whole history; the tiers retry on their next trigger.
          this.#foldErrors++;
          this.#onError(err, `history context of ${account}`);
          return;
        }
        throw err;
      }
    });
    this.#historyCache.delete(account);
    this.#foldRuns++;
    this.emit('fold', { sessionId: info.sessionId, reason: info.reason, messages: messages.length });
  }

  // ---- archives

  async #archived<T>(which: 'metrics' | 'states' | 'emotions', permission: Permission, action: string, fn: () => Promise<T>): Promise<T> {
    this.#live();
    return this.access.run(permission, { account: this.access.archiveAccount }, action, async () => {
      const out = await fn();
      this.#archiveUse.touch(which, this.scorer.now());
      this.count(`archive.${action}`);
      this.#poke();
      return out;
    });
  }

  // ---- unified cleanup

  #sessionsReclaimable(): Reclaimable {
    const m = this;
    return {
      name: 'buffer:context',
      kind: 'buffer',
      bytes: () => {
        let b = 0;
        for (const s of m.#sessions.values()) b += s.bytes + SESSION_BYTES + 2 * (s.systemPrompt?.length ?? 0);
        return b;
      },
      *candidates(): Iterable<ReclaimCandidate> {
        for (const s of [...m.#sessions.values()]) {
          if (s.bytes <= 0) continue;
          yield {
            key: s.id,
            bytes: s.bytes,
            salience: 0.5,
            lastAccess: s.last,
            accesses: s.appends,
            free: () => {
              const b = s.bytes;
              m.#tracker.close(s.id); // folds into the history context: nothing is lost
              if (m.#sessions.get(s.id) === s) m.#sessions.delete(s.id);
              return b;
            },
          };
        }
      },
    };
  }

  #accountsReclaimable(): Reclaimable {
    const m = this;
    const bytesOf = (h: AccountHandle) => OPEN_ACCOUNT_BYTES + Math.round(h.held * h.avgBytes);
    return {
      name: 'buffer:accounts',
      kind: 'buffer',
      bytes: () => {
        let b = 0;
        for (const h of m.#accounts.values()) b += bytesOf(h);
        return b;
      },
      *candidates(): Iterable<ReclaimCandidate> {
        for (const h of [...m.#accounts.values()]) {
          if (h.inflight > 0 || m.#spillChains.has(h.id)) continue;
          yield {
            key: h.id,
            bytes: bytesOf(h),
            salience: 0.5,
            lastAccess: h.last,
            accesses: h.uses,
            free: async () => {
              if (h.inflight > 0 || m.#spillChains.has(h.id) || m.#accounts.get(h.id) !== h) return 0;
              const b = bytesOf(h);
              m.#accounts.delete(h.id);
              const closing = h.mem.then((a) => a.close());
              m.#closingAccounts.set(h.id, closing);
              try {
                await closing;
              } finally {
                if (m.#closingAccounts.get(h.id) === closing) m.#closingAccounts.delete(h.id);
              }
              return b;
            },
          };
        }
      },
    };
  }

  /** Called after operations: checks the threshold at most every 64 operations or 100 ms. */
  #poke(): void {
    if (++this.#sinceCheck < 64 && this.scorer.now() - this.#lastCheck < 100) return;
    this.#check(false);
  }

  #check(fromTimer: boolean): void {
    this.#sinceCheck = 0;
    this.#lastCheck = this.scorer.now();
    if (this.#state !== 'open' || this.#cleaner.running) return;
    if (this.#cleaner.total() <= this.#cleaner.thresholdBytes) return;
    this.#runCleanup('threshold').catch((err) => this.#onError(err, fromTimer ? 'background cleanup' : 'cleanup'));
  }

  async #runCleanup(trigger: 'threshold' | 'manual', targetBytes?: number): Promise<MemoryCleanupReport> {
    const report = await this.#cleaner.cleanup({ trigger, ...(targetBytes !== undefined && { targetBytes }) });
    const c = this.#cleanupStats;
    c.runs++;
    c.freed += Math.max(0, report.freed);
    c.lastMs = report.durationMs;
    c.maxMs = Math.max(c.maxMs, report.durationMs);
    c.last = report;
    this.count(`cleanup.${trigger}`);
    this.emit('cleanup', report);
    return report;
  }
}

export type { CleanupReport };
