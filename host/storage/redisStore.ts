/**
 * The Redis backend, for many hosts sharing accounts: the whole history is a Redis Stream
 * per account, the tiers are lists, and a Lua script (redisScripts.ts) appends atomically on
 * the server (seq, duplicates, tier movement), so hosts need no lock of their own.
 *
 * Appends are group-committed like the file backend's: calls that arrive while a script
 * call is in flight are sent together as the next call (one round trip, one AOF fsync with
 * `appendfsync always`). An append is acknowledged when Redis has answered; it is as
 * durable as the server's persistence makes it (run Redis with appendonly yes and
 * appendfsync always for "durable when acknowledged").
 *
 * The client fails fast when the server is away (no offline queue, no per-request retries,
 * a command timeout), raising StorageUnavailableError so that failoverStore.ts can switch to
 * files; it keeps reconnecting in the background.
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import { checkAccountId } from '../tiers/accountId.js';
import type { TierShape } from '../tiers/config.js';
import type { HistoryContext } from '../tiers/context.js';
import { emptyContext, historyContextSchema } from '../tiers/context.js';
import { toIssues } from '../tiers/errors.js';
import type { Message, PendingMessage } from '../tiers/message.js';
import { checkPending, decodeMessage, decodeTrusted, encodePending } from '../tiers/message.js';
import { AppendQueue, type PendingAppend } from './appendQueue.js';
import { ComponentStates } from './componentStates.js';
import { StorageError, StorageUnavailableError, StoreConfigError } from './errors.js';
import type { LuaScript } from './redisScripts.js';
import { APPEND, PUT_CONTEXT, RESHAPE } from './redisScripts.js';
import type {
  AccountStore,
  AppendOutcome,
  ComponentName,
  ComponentState,
  ComponentStatus,
  HealthEntry,
  HistoryQuery,
  OpenReport,
  RepairKind,
  RepairReport,
  StoreFactory,
} from './types.js';
import { COMPONENTS, nowIso } from './types.js';

export const redisStoreConfigSchema = z
  .object({
    url: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    /** Prefix of every key; lets several deployments share one server. */
    prefix: z.string().regex(/^[A-Za-z0-9:_.-]{0,64}$/).default('janela:'),
    commandTimeoutMs: z.number().int().positive().default(2000),
    connectTimeoutMs: z.number().int().positive().default(2000),
    /** Longest wait between reconnect attempts. */
    maxReconnectDelayMs: z.number().int().positive().default(1000),
    /** Messages sent in one script call at most (group commit). */
    maxBatch: z.number().int().positive().max(10_000).default(1000),
  })
  .strict();
export type RedisStoreConfigInput = z.input<typeof redisStoreConfigSchema>;
export type RedisStoreConfig = z.output<typeof redisStoreConfigSchema>;

export function parseRedisStoreConfig(input: unknown): RedisStoreConfig {
  const r = redisStoreConfigSchema.safeParse(input ?? {});
  if (!r.success) throw new StoreConfigError(`invalid redis store config: ${toIssues(r.error.issues).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Errors that mean "the server is not there (or cannot take writes)", as opposed to a bug. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true;
  if (!(err instanceof Error)) return true;
  if (err.name === 'ReplyError') return /^(LOADING|READONLY|MASTERDOWN|MISCONF|BUSY|OOM|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)/.test(err.message);
  return !(err instanceof StorageError);
}

export function redisClient(cfg: RedisStoreConfig): Redis {
  const client = new Redis(cfg.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: cfg.commandTimeoutMs,
    connectTimeout: cfg.connectTimeoutMs,
    enableReadyCheck: true,
    retryStrategy: (times: number) => Math.min(times * 50, cfg.maxReconnectDelayMs),
  });
  client.on('error', () => {}); // reported through command failures and status()
  return client;
}

export class RedisConnection {
  readonly client: Redis;
  #connecting: Promise<void> | undefined;

  constructor(readonly config: RedisStoreConfig) {
    this.client = redisClient(config);
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  /** Connects if not connected; throws StorageUnavailableError when the server cannot be reached. */
  async ensure(): Promise<void> {
    const st = this.client.status;
    if (st === 'ready') return;
    if (st === 'wait' || st === 'end' || st === 'close') {
      this.#connecting ??= this.client
        .connect()
        .catch((err: unknown) => {
          throw new StorageUnavailableError(`redis ${this.config.url}: ${(err as Error).message}`, { cause: err });
        })
        .finally(() => (this.#connecting = undefined));
      await this.#connecting;
      return;
    }
    if (this.#connecting) {
      await this.#connecting;
      return;
    }
    // connecting / reconnecting: the client retries on its own; fail fast now.
    throw new StorageUnavailableError(`redis ${this.config.url} is ${st}`);
  }

  async script(s: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    await this.ensure();
    try {
      return await this.client.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return this.client.eval(s.lua, keys.length, ...keys, ...args);
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    try {
      if (this.client.status === 'ready') await this.client.quit();
      else this.client.disconnect();
    } catch {
      this.client.disconnect();
    }
  }
}

function wrap(err: unknown, what: string): Error {
  if (err instanceof StorageError) return err;
  const msg = `${what}: ${(err as Error)?.message ?? String(err)}`;
  return isUnavailable(err) ? new StorageUnavailableError(msg, { cause: err }) : new StorageError(msg, { cause: err });
}

export class RedisAccountStore implements AccountStore {
  readonly backend = 'redis' as const;
  readonly keys: {
    history: string;
    short: string;
    mid: string;
    recent: string;
    ids: string;
    meta: string;
    context: string;
    status: string;
    replay: string;
    dedup: string;
  };
  readonly #conn: RedisConnection;
  readonly #appends = new AppendQueue(() => this.#flushLoop());
  #repairs: RepairReport[] = [];
  readonly #components = new ComponentStates();
  #opened = false;
  #closed = false;

  constructor(
    readonly account: string,
    readonly shape: TierShape,
    conn: RedisConnection,
  ) {
    checkAccountId(account);
    this.#conn = conn;
    const base = `${conn.config.prefix}{${account}}:`;
    this.keys = {
      history: `${base}history`,
      short: `${base}short`,
      mid: `${base}mid`,
      recent: `${base}recent`,
      ids: `${base}ids`,
      meta: `${base}meta`,
      context: `${base}context`,
      status: `${base}status`,
      replay: `${base}replay`,
      dedup: `${base}dedup`,
    };
  }

  get #r(): Redis {
    return this.#conn.client;
  }

  #report(component: ComponentName, kind: RepairKind, detail: string, lost?: number): void {
    this.#repairs.push({ component, kind, detail, ...(lost !== undefined ? { lost } : {}), at: nowIso() });
  }

  repairs(): readonly RepairReport[] {
    return this.#repairs.slice();
  }

  #tierKeys(): string[] {
    const k = this.keys;
    return [k.history, k.short, k.mid, k.recent, k.ids, k.meta];
  }

  #shapeJson(): string {
    const s = this.shape;
    return JSON.stringify({ shortTerm: s.shortTerm, midTerm: s.midTerm, dedupMessages: s.dedupMessages, dedupWithinMs: s.dedupWithinMs });
  }

  /** Verifies the tiers and counters against the stream; rebuilds them when they disagree. */
  async open(): Promise<OpenReport> {
    if (this.#opened) throw new StorageError(`account ${this.account} is already open`);
    try {
      await this.#conn.ensure();
      await this.#verify();
      await this.#r.sadd(`${this.#conn.config.prefix}accounts`, this.account);
    } catch (err) {
      for (const c of COMPONENTS) this.#components.get(c).status = 'failing';
      throw wrap(err, `open ${this.account}`);
    }
    this.#opened = true;
    this.#components.opened();
    const { messageCount, lastSeq } = await this.counts();
    return { messageCount, lastSeq, repairs: this.repairs() };
  }

  async #verify(): Promise<void> {
    const k = this.keys;
    const res = await this.#r
      .pipeline()
      .hgetall(k.meta)
      .xlen(k.history)
      .xrevrange(k.history, '+', '-', 'COUNT', 1)
      .lrange(k.short, 0, -1)
      .lrange(k.mid, 0, -1)
      .exec();
    if (!res) throw new StorageUnavailableError('pipeline aborted');
    for (const [err] of res) if (err) throw err;
    const meta = res[0]![1] as Record<string, string>;
    const xlen = res[1]![1] as number;
    const top = res[2]![1] as [string, string[]][];
    const short = res[3]![1] as string[];
    const mid = res[4]![1] as string[];
    const lastStream = top[0] ? Number(top[0][0].split('-')[0]) : 0;
    const S = this.shape.shortTerm;
    const M = this.shape.midTerm;
    const problems: string[] = [];
    if (xlen === 0 && Object.keys(meta).length === 0 && short.length === 0 && mid.length === 0) {
      await this.#r.hset(k.meta, 'seq', 0, 'count', 0, 'shape', this.#shapeJson());
      return;
    }
    if (meta.shape !== this.#shapeJson()) problems.push(`tier shape changed (${meta.shape ?? 'none'} → ${this.#shapeJson()})`);
    if (Number(meta.count) !== xlen) problems.push(`count ${meta.count} ≠ stream length ${xlen}`);
    if (Number(meta.seq) < lastStream) problems.push(`seq ${meta.seq} behind the stream's last ${lastStream}`);
    if (short.length !== Math.min(xlen, S)) problems.push(`short-term holds ${short.length}, expected ${Math.min(xlen, S)}`);
    if (mid.length !== Math.min(Math.max(0, xlen - S), M)) problems.push(`mid-term holds ${mid.length}, expected ${Math.min(Math.max(0, xlen - S), M)}`);
    const decoded = [...mid, ...short].map(decodeMessage);
    if (decoded.some((m) => m === undefined)) problems.push('a tier entry is not a valid message');
    else if (decoded.length > 0 && decoded.at(-1)!.seq !== lastStream) problems.push(`short-term ends at seq ${decoded.at(-1)!.seq}, the stream at ${lastStream}`);
    if (problems.length > 0) {
      await this.#conn.script(RESHAPE, [...this.#tierKeys(), this.keys.dedup], [S, M, this.#shapeJson()]);
      this.#report('short_term', 'rebuilt-tiers', `tiers rebuilt from the history stream: ${problems.join('; ')}`);
    }
  }

  #check(): void {
    if (this.#closed) throw new StorageError(`account ${this.account} is closed`);
    if (!this.#opened) throw new StorageError(`account ${this.account} is not open`);
  }

  append(batch: readonly PendingMessage[]): Promise<AppendOutcome[]> {
    try {
      this.#check();
      checkPending(batch);
    } catch (err) {
      return Promise.reject(err);
    }
    if (batch.length === 0) return Promise.resolve([]);
    return this.#appends.push(batch);
  }

  async #flushLoop(): Promise<void> {
    while (this.#appends.waiting.length > 0) {
      // Take whole calls up to maxBatch messages (a single larger call goes alone).
      const items: PendingAppend[] = [];
      let n = 0;
      while (this.#appends.waiting.length > 0 && (items.length === 0 || n + this.#appends.waiting[0]!.batch.length <= this.#conn.config.maxBatch)) {
        const it = this.#appends.waiting.shift()!;
        items.push(it);
        n += it.batch.length;
      }
      try {
        const flat = items.flatMap((it) => it.batch);
        const outcomes = await this.#run(flat, 'append', '', []);
        let i = 0;
        for (const it of items) {
          it.resolve(outcomes.slice(i, i + it.batch.length) as AppendOutcome[]);
          i += it.batch.length;
        }
      } catch (err) {
        const e = wrap(err, `append to ${this.account}`);
        if (e instanceof StorageUnavailableError) this.#components.fail('storage', e.message);
        for (const it of items) it.reject(e);
      }
    }
  }

  /**
   * Runs the append script. For 'replay', `journalSeqs` are the records' seqs in the journal
   * whose `epoch` is given; records already replayed come back as undefined.
   */
  async #run(batch: readonly PendingMessage[], mode: 'append' | 'replay', epoch: string, journalSeqs: readonly number[]): Promise<(AppendOutcome | undefined)[]> {
    const S = this.shape.shortTerm;
    const args: (string | number)[] = [S, this.shape.midTerm, this.shape.dedupMessages, this.shape.dedupWithinMs, nowIso(), mode, epoch, batch.length];
    batch.forEach((m, i) => args.push(m.id, m.hash, String(m.timestamp), encodePending(m), journalSeqs[i] ?? 0));
    const res = (await this.#conn.script(APPEND, [...this.#tierKeys(), this.keys.replay, this.keys.dedup], args)) as [string, string | number][];
    const now = Date.now();
    let added = false;
    const out = res.map(([kind, v], i): AppendOutcome | undefined => {
      if (kind === 'skip') return undefined;
      if (kind === 'new') {
        added = true;
        return { message: { seq: Number(v), ...batch[i]! } as Message, duplicate: false };
      }
      if (!v) throw new StorageError(`duplicate of a message missing from the history stream (${batch[i]!.id})`);
      return { message: decodeTrusted(String(v)), duplicate: true };
    });
    if (added) {
      for (const c of ['storage', 'short_term', 'history', 'mid_term'] as const) {
        const rt = this.#components.get(c);
        rt.lastUpdate = now;
        if (rt.status === 'failing') {
          rt.status = 'active';
          delete rt.issue;
        }
      }
    }
    return out;
  }

  /** Replays a failover journal's records exactly once (see failoverStore.ts). */
  async replay(epoch: string, records: readonly Message[]): Promise<(AppendOutcome | undefined)[]> {
    this.#check();
    const out: (AppendOutcome | undefined)[] = [];
    const step = this.#conn.config.maxBatch;
    for (let i = 0; i < records.length; i += step) {
      const chunk = records.slice(i, i + step);
      try {
        out.push(...(await this.#run(chunk.map(({ seq: _s, ...m }) => m), 'replay', epoch, chunk.map((m) => m.seq))));
      } catch (err) {
        throw wrap(err, `replay into ${this.account}`);
      }
    }
    return out;
  }

  /** Forgets a journal's replay cursor once the journal is gone. */
  async forgetReplay(epoch: string): Promise<void> {
    await this.#r.hdel(this.keys.replay, epoch).catch(() => {});
  }

  async #read<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.#check();
    try {
      await this.#conn.ensure();
      return await fn();
    } catch (err) {
      const e = wrap(err, what);
      if (e instanceof StorageUnavailableError) this.#components.fail('storage', e.message);
      throw e;
    }
  }

  #decodeList(list: string[]): Message[] {
    return list.map(decodeTrusted);
  }

  shortTerm(): Promise<Message[]> {
    return this.#read('short-term', async () => this.#decodeList(await this.#r.lrange(this.keys.short, 0, -1)));
  }

  midTerm(): Promise<Message[]> {
    return this.#read('mid-term', async () => this.#decodeList(await this.#r.lrange(this.keys.mid, 0, -1)));
  }

  /** Short- and mid-term in one round trip (the failover store's mirror). */
  tiers(): Promise<{ short: Message[]; mid: Message[]; lastSeq: number; count: number }> {
    return this.#read('tiers', async () => {
      const res = await this.#r.pipeline().lrange(this.keys.short, 0, -1).lrange(this.keys.mid, 0, -1).hmget(this.keys.meta, 'seq', 'count').exec();
      if (!res) throw new StorageUnavailableError('pipeline aborted');
      for (const [err] of res) if (err) throw err;
      const [seq, count] = res[2]![1] as (string | null)[];
      return {
        short: this.#decodeList(res[0]![1] as string[]),
        mid: this.#decodeList(res[1]![1] as string[]),
        lastSeq: Number(seq ?? 0),
        count: Number(count ?? 0),
      };
    });
  }

  history(query: HistoryQuery): Promise<Message[]> {
    return this.#read('history', async () => {
      const limit = Math.max(0, Math.floor(query.limit));
      if (limit === 0) return [];
      if (query.afterSeq !== undefined) {
        const ents = await this.#r.xrange(this.keys.history, `(${query.afterSeq}-0`, '+', 'COUNT', limit);
        return ents.map(([, f]) => decodeTrusted(f[1]!));
      }
      const end = query.beforeSeq === undefined ? '+' : `(${query.beforeSeq}-0`;
      if (query.beforeSeq !== undefined && query.beforeSeq <= 1) return [];
      const ents = await this.#r.xrevrange(this.keys.history, end, '-', 'COUNT', limit);
      return ents.reverse().map(([, f]) => decodeTrusted(f[1]!));
    });
  }

  counts(): Promise<{ messageCount: number; lastSeq: number }> {
    return this.#read('counts', async () => {
      const [seq, count] = await this.#r.hmget(this.keys.meta, 'seq', 'count');
      return { messageCount: Number(count ?? 0), lastSeq: Number(seq ?? 0) };
    });
  }

  getContext(): Promise<HistoryContext> {
    return this.#read('context', async () => {
      const json = await this.#r.hget(this.keys.context, 'json');
      if (!json) return emptyContext();
      let v: unknown;
      try {
        v = JSON.parse(json);
      } catch {
        v = undefined;
      }
      const r = historyContextSchema.safeParse(v);
      if (r.success) return r.data;
      this.#components.fail('history_context', 'stored context is garbled; it starts over');
      this.#report('history_context', 'reinitialised', 'stored context was garbled; summaries start over');
      const version = Number((await this.#r.hget(this.keys.context, 'version')) ?? 0);
      return { ...emptyContext(), version };
    });
  }

  putContext(context: HistoryContext, expectedVersion: number): Promise<boolean> {
    return this.#read('context', async () => {
      const next = { ...context, version: expectedVersion + 1, updatedAt: Date.now() };
      const ok = (await this.#conn.script(PUT_CONTEXT, [this.keys.context], [String(expectedVersion), String(expectedVersion + 1), JSON.stringify(next)])) === 1;
      if (ok) {
        const rt = this.#components.get('history_context');
        rt.lastUpdate = Date.now();
      }
      return ok;
    });
  }

  setComponent(component: ComponentName, status: ComponentState, issue?: string): void {
    this.#components.set(component, status, issue);
    if (this.#conn.ready) {
      this.#r.hset(this.keys.status, component, JSON.stringify({ status, issue: issue ?? null, at: nowIso() })).catch(() => {});
    }
  }

  async status(): Promise<ComponentStatus[]> {
    const t0 = performance.now();
    let ping: string | undefined;
    let counts = { short: 0, mid: 0, count: 0, covered: 0 };
    try {
      await this.#conn.ensure();
      const res = await this.#r.pipeline().ping().llen(this.keys.short).llen(this.keys.mid).hget(this.keys.meta, 'count').hget(this.keys.context, 'json').exec();
      if (!res) throw new StorageUnavailableError('pipeline aborted');
      for (const [err] of res) if (err) throw err;
      ping = `ping ${(performance.now() - t0).toFixed(2)} ms`;
      let covered = 0;
      try {
        const ctx = historyContextSchema.parse(JSON.parse(String(res[4]![1] ?? 'null')));
        covered = ctx.summaries.reduce((a, s) => a + s.messageCount, 0);
      } catch {
        /* none */
      }
      counts = { short: Number(res[1]![1]), mid: Number(res[2]![1]), count: Number(res[3]![1] ?? 0), covered };
      const st = this.#components.get('storage');
      if (st.status === 'failing') {
        st.status = 'active';
        delete st.issue;
      }
    } catch (err) {
      this.#components.fail('storage', wrap(err, 'status').message);
    }
    const by: Record<ComponentName, number> = {
      storage: counts.count,
      short_term: counts.short,
      mid_term: counts.mid,
      history: counts.count,
      history_context: counts.covered,
    };
    return COMPONENTS.map((c) => {
      const rt = this.#components.get(c);
      const down = c !== 'storage' && c !== 'history_context' && ping === undefined;
      const status: ComponentState = down ? 'failing' : rt.status;
      return {
        component: c,
        status,
        last_update: rt.lastUpdate === null ? null : nowIso(rt.lastUpdate),
        message_count: by[c],
        health_check: {
          ok: status === 'active',
          checked_at: nowIso(),
          detail: rt.issue ?? (down ? 'redis unreachable' : c === 'storage' ? `redis ${this.#conn.config.url}: ${ping}` : 'ok'),
        },
      };
    });
  }

  async health(): Promise<HealthEntry[]> {
    const st = await this.status();
    return st.map((s) => ({
      component: s.component,
      status: s.status,
      last_check: s.health_check.checked_at,
      issues: [
        ...(s.health_check.ok ? [] : [s.health_check.detail]),
        ...this.#repairs.filter((r) => r.component === s.component).map((r) => `repaired at open: ${r.kind}: ${r.detail}`),
      ],
    }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#appends.idle();
    this.#closed = true;
  }
}

export class RedisStoreFactory implements StoreFactory {
  readonly backend = 'redis' as const;
  readonly config: RedisStoreConfig;
  readonly connection: RedisConnection;

  constructor(
    readonly shape: TierShape,
    config: RedisStoreConfigInput = {},
  ) {
    this.config = parseRedisStoreConfig(config);
    this.connection = new RedisConnection(this.config);
  }

  account(id: string): RedisAccountStore {
    return new RedisAccountStore(checkAccountId(id), this.shape, this.connection);
  }

  async listAccounts(): Promise<string[]> {
    await this.connection.ensure();
    const ids = await this.connection.client.smembers(`${this.config.prefix}accounts`);
    return ids.filter((id) => /^[a-z0-9][a-z0-9_-]{0,63}$/.test(id)).sort();
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
