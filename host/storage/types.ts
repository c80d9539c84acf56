/**
 * The one interface every storage backend gives the conversation tiers: an account's whole
 * history, its short- and mid-term tiers, its history context and its status. Backends:
 * files (fileStore.ts, the embedded default), Redis (redisStore.ts) and Redis with a file
 * fallback (failoverStore.ts).
 */
import type { TierShape } from '../tiers/config.js';
import type { HistoryContext } from '../tiers/context.js';
import type { Message, PendingMessage } from '../tiers/message.js';

export type ComponentName = 'storage' | 'short_term' | 'mid_term' | 'history' | 'history_context';
export const COMPONENTS: readonly ComponentName[] = ['storage', 'short_term', 'mid_term', 'history', 'history_context'];
export type ComponentState = 'active' | 'failing' | 'initializing';

export interface ComponentStatus {
  readonly component: ComponentName;
  readonly status: ComponentState;
  /** ISO time of the last change to this component's data, or null when never. */
  readonly last_update: string | null;
  readonly message_count: number;
  readonly health_check: { readonly ok: boolean; readonly checked_at: string; readonly detail: string };
}

export interface HealthEntry {
  readonly component: ComponentName;
  readonly status: ComponentState;
  readonly last_check: string;
  readonly issues: readonly string[];
}

export type RepairKind =
  | 'torn-tail'
  | 'garbled-records'
  | 'garbled-file'
  | 'stale-snapshot'
  | 'rebuilt-tiers'
  | 'reinitialised'
  | 'salvaged'
  | 'stale-lock'
  | 'failover'
  | 'recovered';

/** What open (or a later catch-up) found wrong and did about it. */
export interface RepairReport {
  readonly component: ComponentName;
  readonly kind: RepairKind;
  readonly detail: string;
  /** Records (or messages) that could not be saved, when known. */
  readonly lost?: number;
  readonly at: string;
}

export interface OpenReport {
  readonly messageCount: number;
  readonly lastSeq: number;
  readonly repairs: readonly RepairReport[];
}

export interface AppendOutcome {
  readonly message: Message;
  /** True when nothing was stored because the message repeats a recent one (same id, or same role and content). */
  readonly duplicate: boolean;
}

/**
 * A page of the whole history, oldest first: with `afterSeq`, the first `limit` messages
 * after it; otherwise the last `limit` messages before `beforeSeq` (default: the newest).
 */
export interface HistoryQuery {
  readonly afterSeq?: number;
  readonly beforeSeq?: number;
  readonly limit: number;
}

export interface AccountStore {
  readonly account: string;
  readonly backend: 'file' | 'redis' | 'failover';
  /** Opens the account: verifies, repairs and reports. Must be called once before anything else. */
  open(): Promise<OpenReport>;
  /**
   * Appends in order: each message is either a duplicate of a recent one (nothing stored) or
   * gets the next seq and goes to short-term and the whole history, short-term's overflow to
   * mid-term. Durable when the promise resolves.
   */
  append(batch: readonly PendingMessage[]): Promise<AppendOutcome[]>;
  shortTerm(): Promise<Message[]>;
  midTerm(): Promise<Message[]>;
  history(query: HistoryQuery): Promise<Message[]>;
  counts(): Promise<{ messageCount: number; lastSeq: number }>;
  getContext(): Promise<HistoryContext>;
  /** Writes the context if its stored version is still `expectedVersion` (then bumps it); false otherwise. */
  putContext(context: HistoryContext, expectedVersion: number): Promise<boolean>;
  /** Records a component's state as seen by the tiers (e.g. a failing summariser). */
  setComponent(component: ComponentName, status: ComponentState, issue?: string): void;
  status(): Promise<ComponentStatus[]>;
  health(): Promise<HealthEntry[]>;
  /** Repairs done since open, newest last. */
  repairs(): readonly RepairReport[];
  close(): Promise<void>;
}

/** Opens account stores of one backend, all with the same tier shape. */
export interface StoreFactory {
  readonly backend: 'file' | 'redis' | 'failover';
  readonly shape: TierShape;
  /** A store for the account (validated id); call open() on it. */
  account(id: string): AccountStore;
  /** Accounts that have stored anything, sorted. */
  listAccounts(): Promise<string[]>;
  close(): Promise<void>;
}

export function nowIso(ms: number = Date.now()): string {
  return new Date(ms).toISOString();
}
