/**
 * Redis with a file fallback. While Redis answers, everything goes to Redis and this store
 * keeps a small mirror of the account's tiers (the last short+mid messages it saw). When a
 * Redis call fails for want of the server (StorageUnavailableError):
 *
 * 1. the account switches to its fallback, a file account under `fallback.root` used as a
 *    journal: its base is the mirror (so short-term and duplicate detection carry on) and
 *    its log receives the appends made during the outage, durably, as in the file backend;
 *    the storage component is marked "failing";
 * 2. every later operation first tries to recover: if the Redis client is connected again,
 *    the journal's records are replayed into Redis by the append script in 'replay' mode,
 *    which skips (a) records whose journal seq is at or below the journal's replay cursor,
 *    stored in Redis in the same atomic step as the records, and (b) records whose id Redis
 *    already holds (a write that reached Redis just before the failure was seen). So each
 *    message written during the outage ends up in Redis exactly once, even if the replay is
 *    interrupted and repeated, or run by two processes at once;
 * 3. then the journal is emptied and the account is back on Redis ("active").
 *
 * Seqs given out during an outage are provisional (they continue the mirror's last seq);
 * Redis assigns the final ones at replay, which differ if other hosts wrote meanwhile. Ids
 * are stable. While failing, the history context is read-only (summaries wait for Redis),
 * and whole-history reads see only the mirror's tail and the outage's messages.
 */
import { z } from 'zod';
import type { TierShape } from '../tiers/config.js';
import type { HistoryContext } from '../tiers/context.js';
import { emptyContext } from '../tiers/context.js';
import { toIssues } from '../tiers/errors.js';
import type { Message, PendingMessage } from '../tiers/message.js';
import { TierWindow } from '../tiers/window.js';
import { StorageError, StorageUnavailableError, StoreConfigError } from './errors.js';
import type { FileAccountStore } from './fileStore.js';
import { FileStoreFactory, fileStoreConfigSchema } from './fileStore.js';
import type { RedisAccountStore } from './redisStore.js';
import { RedisStoreFactory, redisStoreConfigSchema } from './redisStore.js';
import type {
  AccountStore,
  AppendOutcome,
  ComponentName,
  ComponentState,
  ComponentStatus,
  HealthEntry,
  HistoryQuery,
  OpenReport,
  RepairReport,
  StoreFactory,
} from './types.js';
import { nowIso } from './types.js';

const isUnavailable = (err: unknown): boolean => err instanceof StorageUnavailableError;

export const failoverConfigSchema = z
  .object({
    redis: redisStoreConfigSchema.default(redisStoreConfigSchema.parse({})),
    fallback: fileStoreConfigSchema.default(fileStoreConfigSchema.parse({ root: 'memory-fallback' })),
  })
  .strict();
export type FailoverConfigInput = z.input<typeof failoverConfigSchema>;

export class FailoverAccountStore implements AccountStore {
  readonly backend = 'failover' as const;
  #mode: 'primary' | 'fallback' = 'primary';
  #primaryOpen = false;
  #mirror: TierWindow;
  #context: HistoryContext = emptyContext();
  #repairs: RepairReport[] = [];
  #failingSince: number | undefined;
  #lastError = '';
  #recovering: Promise<void> | undefined;

  constructor(
    readonly account: string,
    readonly shape: TierShape,
    readonly primary: RedisAccountStore,
    readonly journal: FileAccountStore,
    private readonly connectionReady: () => boolean,
  ) {
    this.#mirror = new TierWindow(shape);
  }

  /** 'primary' while on Redis, 'fallback' during an outage. */
  get mode(): 'primary' | 'fallback' {
    return this.#mode;
  }

  repairs(): readonly RepairReport[] {
    return [...this.#repairs, ...this.primary.repairs(), ...this.journal.repairs()];
  }

  async open(): Promise<OpenReport> {
    await this.journal.open();
    try {
      await this.primary.open();
      this.#primaryOpen = true;
      await this.#refreshMirror();
      await this.#replay();
    } catch (err) {
      if (!isUnavailable(err)) throw err;
      await this.#toFallback(err);
    }
    const c = await this.counts();
    return { messageCount: c.messageCount, lastSeq: c.lastSeq, repairs: this.repairs() };
  }

  async #refreshMirror(): Promise<void> {
    const t = await this.primary.tiers();
    this.#mirror = new TierWindow(this.shape, [...t.mid, ...t.short], t.lastSeq, t.count);
    this.#context = await this.primary.getContext();
  }

  async #toFallback(err: unknown): Promise<void> {
    const first = this.#mode === 'primary';
    this.#mode = 'fallback';
    this.#lastError = (err as Error)?.message ?? String(err);
    if (first) {
      this.#failingSince = Date.now();
      this.#repairs.push({ component: 'storage', kind: 'failover', detail: `Redis unavailable (${this.#lastError}); writing to the file fallback`, at: nowIso() });
      // Start a journal from the mirror unless one with unreplayed records is there already.
      const base = this.journal.journalBase();
      if (!base || (await this.journal.counts()).messageCount === base.baseCount) {
        await this.journal.startJournal(this.#mirror.tail(), this.#mirror.lastSeq, this.#mirror.count);
      }
    }
    this.journal.setComponent('storage', 'failing', `Redis unavailable: ${this.#lastError}`);
  }

  /** Replays the journal into Redis (exactly once), then empties it. */
  async #replay(): Promise<void> {
    const base = this.journal.journalBase();
    if (!base) return;
    for (;;) {
      const records = await this.journal.journalRecords();
      if (records.length > 0) await this.primary.replay(base.epoch, records);
      if (await this.journal.clearJournal(records.length)) break; // else more arrived meanwhile: go again
    }
    await this.primary.forgetReplay(base.epoch);
    await this.#refreshMirror();
  }

  /** While failing: tries to get back to Redis before an operation. */
  async #maybeRecover(): Promise<void> {
    if (this.#mode === 'primary') return;
    this.#recovering ??= (async () => {
      try {
        if (!this.#primaryOpen) {
          await this.primary.open();
          this.#primaryOpen = true;
        } else if (!this.connectionReady()) {
          await this.primary.counts(); // connects when the client is idle; fails fast while it reconnects
        }
        const pending = (await this.journal.counts()).messageCount - (this.journal.journalBase()?.baseCount ?? 0);
        await this.#replay();
        this.#mode = 'primary';
        this.journal.setComponent('storage', 'active');
        this.#repairs.push({
          component: 'storage',
          kind: 'recovered',
          detail: `Redis back after ${Math.round((Date.now() - (this.#failingSince ?? Date.now())) / 1000)} s; ${pending} message(s) from the file fallback replayed`,
          at: nowIso(),
        });
        this.#failingSince = undefined;
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        this.#lastError = (err as Error)?.message ?? String(err);
      } finally {
        this.#recovering = undefined;
      }
    })();
    await this.#recovering;
  }

  /** Runs `onPrimary`, falling back to `onFallback` when Redis is unavailable. */
  async #route<T>(onPrimary: () => Promise<T>, onFallback: () => Promise<T>): Promise<T> {
    await this.#maybeRecover();
    if (this.#mode === 'primary') {
      try {
        return await onPrimary();
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        await this.#toFallback(err);
      }
    }
    return onFallback();
  }

  append(batch: readonly PendingMessage[]): Promise<AppendOutcome[]> {
    return this.#route(
      async () => {
        const out = await this.primary.append(batch);
        for (const o of out) if (!o.duplicate) this.#mirror.push(o.message);
        return out;
      },
      () => this.journal.append(batch),
    );
  }

  shortTerm(): Promise<Message[]> {
    return this.#route(
      async () => {
        await this.#refreshMirror();
        return this.#mirror.shortTerm();
      },
      () => this.journal.shortTerm(),
    );
  }

  midTerm(): Promise<Message[]> {
    return this.#route(
      async () => {
        await this.#refreshMirror();
        return this.#mirror.midTerm();
      },
      () => this.journal.midTerm(),
    );
  }

  history(query: HistoryQuery): Promise<Message[]> {
    return this.#route(
      () => this.primary.history(query),
      () => this.journal.history(query),
    );
  }

  counts(): Promise<{ messageCount: number; lastSeq: number }> {
    return this.#route(
      () => this.primary.counts(),
      () => this.journal.counts(),
    );
  }

  getContext(): Promise<HistoryContext> {
    return this.#route(
      async () => (this.#context = await this.primary.getContext()),
      async () => this.#context,
    );
  }

  putContext(context: HistoryContext, expectedVersion: number): Promise<boolean> {
    return this.#route(
      () => this.primary.putContext(context, expectedVersion),
      () => Promise.reject(new StorageUnavailableError('history context is read-only while Redis is unavailable')),
    );
  }

  setComponent(component: ComponentName, status: ComponentState, issue?: string): void {
    this.primary.setComponent(component, status, issue);
    if (component !== 'storage') this.journal.setComponent(component, status, issue);
  }

  async status(): Promise<ComponentStatus[]> {
    await this.#maybeRecover().catch(() => {});
    if (this.#mode === 'primary') return this.primary.status();
    const pending = (await this.journal.counts()).messageCount - (this.journal.journalBase()?.baseCount ?? 0);
    const st = await this.journal.status();
    return st.map((s) =>
      s.component === 'storage'
        ? {
            ...s,
            status: 'failing' as const,
            health_check: {
              ok: false,
              checked_at: nowIso(),
              detail: `Redis unavailable since ${nowIso(this.#failingSince ?? Date.now())} (${this.#lastError}); ${pending} message(s) in the file fallback awaiting replay`,
            },
          }
        : s,
    );
  }

  async health(): Promise<HealthEntry[]> {
    const st = await this.status();
    const repairs = this.repairs();
    return st.map((s) => ({
      component: s.component,
      status: s.status,
      last_check: s.health_check.checked_at,
      issues: [
        ...(s.health_check.ok ? [] : [s.health_check.detail]),
        ...repairs.filter((r) => r.component === s.component).map((r) => `${r.kind}: ${r.detail}`),
      ],
    }));
  }

  async close(): Promise<void> {
    await this.primary.close();
    await this.journal.close();
  }
}

export class FailoverStoreFactory implements StoreFactory {
  readonly backend = 'failover' as const;
  readonly redis: RedisStoreFactory;
  readonly files: FileStoreFactory;

  constructor(
    readonly shape: TierShape,
    config: FailoverConfigInput,
  ) {
    const r = failoverConfigSchema.safeParse(config ?? {});
    if (!r.success) throw new StoreConfigError(`invalid failover config: ${toIssues(r.error.issues).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    if (r.data.fallback.readOnly) throw new StoreConfigError('the fallback cannot be read-only');
    this.redis = new RedisStoreFactory(shape, r.data.redis);
    this.files = new FileStoreFactory(shape, r.data.fallback);
  }

  account(id: string): FailoverAccountStore {
    return new FailoverAccountStore(id, this.shape, this.redis.account(id), this.files.account(id), () => this.redis.connection.ready);
  }

  async listAccounts(): Promise<string[]> {
    const fromFiles = await this.files.listAccounts();
    let fromRedis: string[] = [];
    try {
      fromRedis = await this.redis.listAccounts();
    } catch (err) {
      if (!isUnavailable(err)) throw err instanceof Error ? err : new StorageError(String(err));
    }
    return [...new Set([...fromRedis, ...fromFiles])].sort();
  }

  async close(): Promise<void> {
    await this.redis.close();
  }
}
