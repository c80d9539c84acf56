/**
 * StateManager: conversation/session state that moves along a declared graph.
 *
 * Every update is validate → merge → persist → commit:
 *  1. the request is parsed (zod), the transition checked against the graph;
 *  2. the patch is deep-merged into the current data (merge.ts semantics), the optional
 *     transform (e.g. redaction) applied, and the result validated against the target
 *     state's schema — a failure is a StateTransitionError and nothing is written;
 *  3. the new version is written as one blob through the BlobStore (atomic per contract)
 *     — a failure is a StatePersistenceError and memory is untouched;
 *  4. only then does memory change.
 *
 * Layout: `<prefix>/<sessionId>/<version, 10 digits>.json`, one blob per version; the
 * highest version is the current state (no separate head pointer to get out of step).
 * At most `maxStates` versions are kept per session: the in-memory history is trimmed at
 * commit, older blobs are deleted after each write and, for whatever a failed delete left,
 * by `cleanup()` every `cleanupInterval` seconds (unref'd timer). After a restart a session
 * is loaded from its newest blob that parses and validates (corrupt ones are skipped and
 * reported by `recover()`).
 */
import { z } from 'zod';
import type { BlobStore } from '../storage/blobStore.js';
import { MetricsRecorder, type MetricsSnapshot } from '../context/metrics.js';
import { sessionIdSchema } from '../context/tracker.js';
import { StatePersistenceError, StateTransitionError } from './errors.js';
import type { StateGraph } from './graph.js';
import { MergeError, deepFreeze, deepMerge, isPlainObject, type JsonObject } from './merge.js';

export const stateManagerConfigSchema = z
  .object({
    /** Versions kept per session (spec: max_states). */
    maxStates: z.number().int().min(1).max(100_000).default(100),
    /** Seconds between cleanups of versions beyond maxStates (spec: cleanup_interval); 0 = no timer. */
    cleanupInterval: z.number().min(0).default(300),
    /** Key prefix in the blob store. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/)
      .default('state'),
  })
  .strict();
export type StateManagerConfig = z.output<typeof stateManagerConfigSchema>;

export interface StateRecord {
  readonly sessionId: string;
  /** 1 for the initial state, +1 per update. */
  readonly version: number;
  readonly state: string;
  readonly data: Readonly<JsonObject>;
  /** Commit time, ms since the epoch. */
  readonly at: number;
  /** State before this version (undefined for version 1). */
  readonly from?: string;
  /** Who made the change, if the caller said. */
  readonly by?: string;
}

const recordSchema = z
  .object({
    format: z.literal(1),
    sessionId: sessionIdSchema,
    version: z.number().int().positive(),
    state: z.string(),
    data: z.record(z.string(), z.unknown()),
    at: z.number(),
    from: z.string().optional(),
    by: z.string().optional(),
  })
  .strict();

export const updateSchema = z
  .object({
    /** Target state; default: stay where it is. */
    to: z.string().optional(),
    /** JSON object deep-merged into the data ({"$delete": true} removes a key). */
    patch: z.custom<Record<string, unknown>>(isPlainObject, 'patch must be a plain JSON object').default({}),
    /** Refuse (stale-version) unless the current version is this one. */
    expectedVersion: z.number().int().positive().optional(),
    by: z.string().max(256).optional(),
  })
  .strict();
export type StateUpdate = z.input<typeof updateSchema>;

export interface StateManagerOptions {
  store: BlobStore;
  graph: StateGraph;
  config?: z.input<typeof stateManagerConfigSchema>;
  /** Applied to the merged data before validation and persistence (e.g. redaction of strings). */
  transform?: (data: JsonObject) => JsonObject;
  now?: () => number;
}

interface Slot {
  /** Versions held, oldest first; at most maxStates. Empty = no such session. */
  history: StateRecord[];
  bytes: number;
}

export interface StateMetrics {
  readonly sessions: number;
  /** Versions held in memory over all sessions. */
  readonly stateCount: number;
  readonly memoryUsedBytes: number;
  readonly blobsDeleted: number;
  readonly deleteFailures: number;
  readonly operations: MetricsSnapshot;
}

export class StateManager {
  readonly config: StateManagerConfig;
  readonly graph: StateGraph;
  readonly #store: BlobStore;
  readonly #transform: ((d: JsonObject) => JsonObject) | undefined;
  readonly #now: () => number;
  readonly #slots = new Map<string, Slot>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #metrics = new MetricsRecorder();
  readonly #timer: NodeJS.Timeout | undefined;
  #bytes = 0;
  #deleted = 0;
  #deleteFailures = 0;

  constructor(options: StateManagerOptions) {
    const r = stateManagerConfigSchema.safeParse(options.config ?? {});
    if (!r.success) throw new StateTransitionError('invalid-request', `invalid state manager config: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    this.config = r.data;
    this.graph = options.graph;
    this.#store = options.store;
    this.#transform = options.transform;
    this.#now = options.now ?? Date.now;
    if (this.config.cleanupInterval > 0) {
      this.#timer = setInterval(() => void this.cleanup().catch(() => undefined), this.config.cleanupInterval * 1000);
      this.#timer.unref();
    }
  }

  /** Current state of a session, loading it from the store if needed; undefined if none. */
  async get(sessionId: string): Promise<StateRecord | undefined> {
    const id = this.#id(sessionId);
    const slot = await this.#load(id);
    return slot.history[slot.history.length - 1];
  }

  /** Versions held, oldest first (at most maxStates). */
  async history(sessionId: string): Promise<readonly StateRecord[]> {
    const id = this.#id(sessionId);
    return [...(await this.#load(id)).history];
  }

  /** Creates the session in the graph's initial state (optionally patched); refuses if it exists. */
  async create(sessionId: string, patch: Record<string, unknown> = {}, by?: string): Promise<StateRecord> {
    const id = this.#id(sessionId);
    if (!isPlainObject(patch)) throw new StateTransitionError('invalid-request', 'patch must be a plain JSON object', id);
    if (by !== undefined && (typeof by !== 'string' || by.length > 256)) throw new StateTransitionError('invalid-request', 'by must be a string of at most 256 characters', id);
    return this.#locked(id, async () => {
      const slot = await this.#load(id);
      if (slot.history.length) throw new StateTransitionError('invalid-request', `session '${id}' already has state`, id);
      return this.#commit(id, slot, undefined, this.graph.initial, this.graph.initialData, patch, by, 'create');
    });
  }

  /** Validate → merge → persist → commit. See the module comment. */
  async update(sessionId: string, request: StateUpdate): Promise<StateRecord> {
    const id = this.#id(sessionId);
    const r = updateSchema.safeParse(request);
    if (!r.success) throw new StateTransitionError('invalid-request', `invalid update: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, id);
    const u = r.data;
    return this.#locked(id, async () => {
      const slot = await this.#load(id);
      const cur = slot.history[slot.history.length - 1];
      if (!cur) throw new StateTransitionError('invalid-request', `session '${id}' has no state; create it first`, id);
      if (u.expectedVersion !== undefined && u.expectedVersion !== cur.version) {
        throw new StateTransitionError('stale-version', `session '${id}' is at version ${cur.version}, not ${u.expectedVersion}`, id, cur.state, u.to);
      }
      const to = u.to ?? cur.state;
      if (!this.graph.has(to)) throw new StateTransitionError('unknown-state', `state '${to}' is not declared`, id, cur.state, to);
      if (!this.graph.allows(cur.state, to)) {
        throw new StateTransitionError('not-allowed', `transition ${cur.state} → ${to} is not declared (allowed: ${this.graph.next(cur.state).join(', ') || 'none'})`, id, cur.state, to);
      }
      return this.#commit(id, slot, cur, to, cur.data as JsonObject, u.patch, u.by, 'update');
    });
  }

  /** Deletes every version of a session (memory and store). */
  async remove(sessionId: string): Promise<void> {
    const id = this.#id(sessionId);
    await this.#locked(id, async () => {
      let keys: string[];
      try {
        keys = await this.#store.list(`${this.config.prefix}/${id}/`);
        for (const k of keys) await this.#store.delete(k);
      } catch (err) {
        throw new StatePersistenceError(`removing the state of '${id}' failed`, id, undefined, err);
      }
      const slot = this.#slots.get(id);
      if (slot) this.#bytes -= slot.bytes;
      this.#slots.delete(id);
    });
  }

  /**
   * Loads every session found in the store (after a restart). Returns the sessions loaded
   * and the keys of versions skipped because they do not parse or validate.
   */
  async recover(): Promise<{ sessions: string[]; corrupt: string[] }> {
    let keys: string[];
    try {
      keys = await this.#store.list(`${this.config.prefix}/`);
    } catch (err) {
      throw new StatePersistenceError('listing stored states failed', undefined, undefined, err);
    }
    const ids = new Set<string>();
    for (const k of keys) {
      const id = k.slice(this.config.prefix.length + 1).split('/')[0];
      if (id && sessionIdSchema.safeParse(id).success) ids.add(id);
    }
    const corrupt: string[] = [];
    const sessions: string[] = [];
    for (const id of [...ids].sort()) {
      const slot = await this.#locked(id, () => {
        const old = this.#slots.get(id);
        if (old) this.#bytes -= old.bytes;
        this.#slots.delete(id);
        return this.#load(id, corrupt);
      });
      if (slot.history.length) sessions.push(id);
    }
    return { sessions, corrupt };
  }

  /** Deletes stored versions beyond maxStates for every session in the store; returns how many. */
  async cleanup(): Promise<number> {
    let keys: string[];
    try {
      keys = await this.#store.list(`${this.config.prefix}/`);
    } catch (err) {
      throw new StatePersistenceError('listing stored states failed', undefined, undefined, err);
    }
    const bySession = new Map<string, string[]>();
    for (const k of keys) {
      const id = k.slice(this.config.prefix.length + 1).split('/')[0] ?? '';
      let l = bySession.get(id);
      if (!l) bySession.set(id, (l = []));
      l.push(k);
    }
    let n = 0;
    for (const [id, ks] of bySession) {
      n += await this.#locked(id, async () => {
        const sorted = ks.filter((k) => parseVersion(k) !== undefined).sort((a, b) => parseVersion(a)! - parseVersion(b)!);
        let d = 0;
        for (const k of sorted.slice(0, Math.max(0, sorted.length - this.config.maxStates))) {
          try {
            await this.#store.delete(k);
            d++;
            this.#deleted++;
          } catch {
            this.#deleteFailures++;
          }
        }
        return d;
      });
    }
    return n;
  }

  metrics(): StateMetrics {
    let stateCount = 0;
    let sessions = 0;
    for (const s of this.#slots.values()) {
      stateCount += s.history.length;
      if (s.history.length) sessions++;
    }
    return {
      sessions,
      stateCount,
      memoryUsedBytes: this.#bytes,
      blobsDeleted: this.#deleted,
      deleteFailures: this.#deleteFailures,
      operations: this.#metrics.snapshot(),
    };
  }

  /** Stops the cleanup timer. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  async #commit(
    id: string,
    slot: Slot,
    cur: StateRecord | undefined,
    to: string,
    base: JsonObject,
    patch: Record<string, unknown>,
    by: string | undefined,
    op: string,
  ): Promise<StateRecord> {
    const t0 = performance.now();
    const from = cur?.state;
    let merged: JsonObject;
    try {
      merged = deepMerge(base, patch);
    } catch (err) {
      if (err instanceof MergeError) throw new StateTransitionError('invalid-patch', `invalid patch: ${err.message}`, id, from, to);
      throw err;
    }
    if (this.#transform) merged = this.#transform(merged);
    this.graph.check(from ?? to, to, merged, id);
    const record: StateRecord = deepFreeze({
      sessionId: id,
      version: (cur?.version ?? 0) + 1,
      state: to,
      data: merged,
      at: this.#now(),
      ...(from !== undefined ? { from } : {}),
      ...(by !== undefined ? { by } : {}),
    });
    const bytes = new TextEncoder().encode(JSON.stringify({ format: 1, ...record }));
    const key = this.#key(id, record.version);
    try {
      await this.#store.put(key, bytes);
    } catch (err) {
      this.#metrics.record({ component: 'state', op, sessionId: id, at: this.#now(), durationMs: performance.now() - t0, memoryUsedBytes: this.#bytes, memoryDeltaBytes: 0, stateCount: slot.history.length, ok: false });
      throw new StatePersistenceError(`persisting version ${record.version} of '${id}' failed`, id, key, err);
    }
    // Committed: memory follows the store.
    const before = this.#bytes;
    slot.history.push(record);
    this.#account(slot, approxBytes(record));
    const evicted = slot.history.splice(0, Math.max(0, slot.history.length - this.config.maxStates));
    for (const e of evicted) this.#account(slot, -approxBytes(e));
    const old = record.version - this.config.maxStates;
    if (old >= 1) {
      try {
        await this.#store.delete(this.#key(id, old));
        this.#deleted++;
      } catch {
        this.#deleteFailures++; // left for cleanup()
      }
    }
    this.#metrics.record({
      component: 'state',
      op,
      sessionId: id,
      at: record.at,
      durationMs: performance.now() - t0,
      memoryUsedBytes: this.#bytes,
      memoryDeltaBytes: this.#bytes - before,
      stateCount: slot.history.length,
      ok: true,
    });
    return record;
  }

  #account(slot: Slot, delta: number): void {
    slot.bytes += delta;
    this.#bytes += delta;
  }

  /** The slot of a session, loaded from the store on first use. Caller holds the lock or only reads. */
  async #load(id: string, corrupt?: string[]): Promise<Slot> {
    const have = this.#slots.get(id);
    if (have) return have;
    let keys: string[];
    try {
      keys = await this.#store.list(`${this.config.prefix}/${id}/`);
    } catch (err) {
      throw new StatePersistenceError(`loading the state of '${id}' failed`, id, undefined, err);
    }
    const versions = keys
      .map((k) => ({ k, v: parseVersion(k) }))
      .filter((x): x is { k: string; v: number } => x.v !== undefined)
      .sort((a, b) => b.v - a.v);
    const history: StateRecord[] = [];
    for (const { k, v } of versions) {
      if (history.length >= this.config.maxStates) break;
      let bytes: Uint8Array | undefined;
      try {
        bytes = await this.#store.get(k);
      } catch (err) {
        throw new StatePersistenceError(`reading ${k} failed`, id, k, err);
      }
      const rec = bytes && parseRecord(bytes);
      if (!rec || rec.version !== v || rec.sessionId !== id || !this.graph.has(rec.state) || !this.graph.valid(rec.state, rec.data)) {
        corrupt?.push(k); // skipped: the previous readable version stands
        continue;
      }
      history.unshift(rec);
    }
    const raced = this.#slots.get(id);
    if (raced) return raced;
    const slot: Slot = { history, bytes: 0 };
    for (const r of history) this.#account(slot, approxBytes(r));
    this.#slots.set(id, slot);
    return slot;
  }

  #key(id: string, version: number): string {
    return `${this.config.prefix}/${id}/${String(version).padStart(10, '0')}.json`;
  }

  #id(sessionId: string): string {
    const r = sessionIdSchema.safeParse(sessionId);
    if (!r.success) throw new StateTransitionError('invalid-request', `invalid session id ${JSON.stringify(sessionId)}`);
    return r.data;
  }

  /** Runs `fn` after every earlier operation on the same session. */
  async #locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(id) === tail) this.#locks.delete(id);
    }
  }
}

function parseVersion(key: string): number | undefined {
  const m = /\/(\d{10})\.json$/.exec(key);
  return m ? Number(m[1]) : undefined;
}

function parseRecord(bytes: Uint8Array): StateRecord | undefined {
  try {
    const r = recordSchema.safeParse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
    if (!r.success) return undefined;
    const { format: _f, ...rec } = r.data;
    return deepFreeze(rec as StateRecord);
  } catch {
    return undefined;
  }
}

function approxBytes(r: StateRecord): number {
  return JSON.stringify(r).length + 64;
}
