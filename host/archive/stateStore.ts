/**
 * ConsciousnessStateStore: versioned snapshots of consciousness states {version, phi,
 * workspace, emotional state, attention state (JSON), createdAt, importance}, compressed
 * progressively by age:
 *   hot   younger than hotMs (and among the newest maxHotStates): parsed and frozen in memory;
 *   warm  younger than warmMs (and among the newest maxWarmStates): one small block per state
 *         (brotli at warmQuality), kept in memory and stored at `<prefix>/s/<version>`;
 *   cold  older: grouped by coldBlockStates into archive blocks (brotli 11) at `<prefix>/cold/b/`.
 * The cold tier is bounded by maxColdBytes: cleanup drops the least important cold states
 * (stateImportance.ts) and rewrites their blocks, down to cleanupThreshold × maxColdBytes.
 * Retrieval by version and by time (the state current at a time).
 *
 * Crash safety: save() is durable when it resolves (its block is put). A move to the cold
 * tier puts the cold block before deleting the warm blobs; a cleanup puts the rewritten block
 * (whose meta names the blocks it replaces) before deleting the old ones. Reopening finishes
 * either: warm blobs whose version is cold are deleted, replaced blocks are deleted.
 */
import { z } from 'zod';
import type { BlobStore } from '../storage/blobStore.js';
import { checkBlobKey } from '../storage/blobStore.js';
import { BlockArchive, type BlockInfo, CleanupTimes, type CorruptionReport, SerialQueue } from './blockArchive.js';
import { type DecodedBlock, decodeBlock, encodeBlock, valueAt } from './codec/block.js';
import type { FieldSpec } from './codec/schema.js';
import { TIMESTAMP_LIMIT } from './codec/timestampColumn.js';
import { ArchiveClosedError, ArchiveInputError, ArchiveNotFoundError, BlockFormatError, CorruptBlockError } from './errors.js';
import { emotionalIntensity, importanceConfigSchema, stateImportance } from './stateImportance.js';
import { parseInput } from './validate.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

const timestamp = z.number().int().min(-TIMESTAMP_LIMIT).max(TIMESTAMP_LIMIT);

export const stateInputSchema = z
  .object({
    phi: z.number().finite().min(0),
    workspace: z.json(),
    emotionalState: z.json(),
    attentionState: z.json(),
    /** Defaults to the store's clock. Must not precede the previous version's. */
    createdAt: timestamp.optional(),
  })
  .strict();
export type StateInput = z.input<typeof stateInputSchema>;

/** A snapshot's own fields, as stored. */
interface Core {
  readonly version: number;
  readonly phi: number;
  readonly workspace: JsonValue;
  readonly emotionalState: JsonValue;
  readonly attentionState: JsonValue;
  readonly createdAt: number;
}

export interface ConsciousnessState extends Core {
  /** Importance now (it changes with duration and accesses): see stateImportance.ts. */
  readonly importance: number;
}

export type StateTier = 'hot' | 'warm' | 'cold';

export interface StateVersionInfo {
  readonly version: number;
  readonly createdAt: number;
  readonly phi: number;
  readonly tier: StateTier;
  readonly accesses: number;
  readonly importance: number;
}

export const stateStoreConfigSchema = z
  .object({
    prefix: z.string().default('archive/states'),
    hotMs: z.number().int().min(0).default(60_000),
    warmMs: z.number().int().min(0).default(3_600_000),
    maxHotStates: z.number().int().min(1).default(256),
    maxWarmStates: z.number().int().min(1).default(4096),
    coldBlockStates: z.number().int().min(1).max(65536).default(64),
    maxColdBytes: z.number().int().min(4096).default(32 << 20),
    cleanupThreshold: z.number().gt(0).max(1).default(0.8),
    /** Bytes of JSON a state may take. */
    maxStateBytes: z.number().int().min(64).default(1 << 20),
    warmQuality: z.number().int().min(0).max(11).default(5),
    importance: importanceConfigSchema.default(importanceConfigSchema.parse({})),
    cacheBlocks: z.number().int().min(0).max(1024).default(8),
  })
  .strict()
  .refine((c) => c.hotMs <= c.warmMs, { message: 'hotMs must be ≤ warmMs', path: ['hotMs'] });
export type StateStoreConfig = z.input<typeof stateStoreConfigSchema>;

type Cfg = z.output<typeof stateStoreConfigSchema>;

interface Entry {
  readonly version: number;
  readonly createdAt: number;
  readonly phi: number;
  readonly intensity: number;
  accesses: number;
  tier: StateTier;
  core?: Core;
  bytes?: Uint8Array;
  block?: number;
}

interface ColdMeta {
  readonly kind: 'states';
  readonly vMin: number;
  readonly vMax: number;
  readonly replaces?: readonly number[];
  /** Bytes the block's states take as JSON documents. */
  readonly jsonBytes: number;
}

const SCHEMA: FieldSpec[] = [
  { name: 'version', type: 'int' },
  { name: 'phi', type: 'float' },
  { name: 'intensity', type: 'float' },
  { name: 'workspace', type: 'category' },
  { name: 'emotionalState', type: 'category' },
  { name: 'attentionState', type: 'category' },
];

export interface StateStoreStats {
  readonly versions: number;
  readonly latestVersion: number;
  readonly tiers: {
    readonly hot: { readonly states: number; readonly approxBytes: number };
    readonly warm: { readonly states: number; readonly bytes: number };
    readonly cold: { readonly states: number; readonly blocks: number; readonly bytes: number; readonly maxBytes: number };
  };
  /** JSON bytes of the cold states / their stored bytes. */
  readonly compressionRatio: number;
  readonly access: {
    readonly gets: number;
    readonly byTier: { readonly hot: number; readonly warm: number; readonly cold: number };
    readonly blockReads: number;
    readonly cacheHits: number;
    readonly cacheMisses: number;
  };
  readonly compaction: { readonly toWarm: number; readonly toCold: number; readonly runs: number; readonly totalMs: number };
  readonly cleanup: { readonly runs: number; readonly lastMs: number; readonly totalMs: number; readonly statesDropped: number; readonly bytesFreed: number };
  readonly problems: readonly CorruptionReport[];
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

function encodeStates(cores: readonly (Core & { intensity: number })[], meta: unknown, quality: number): Uint8Array {
  return encodeBlock(
    {
      schema: SCHEMA,
      timestamps: cores.map((c) => c.createdAt),
      columns: [
        cores.map((c) => c.version),
        cores.map((c) => c.phi),
        cores.map((c) => c.intensity),
        cores.map((c) => JSON.stringify(c.workspace)),
        cores.map((c) => JSON.stringify(c.emotionalState)),
        cores.map((c) => JSON.stringify(c.attentionState)),
      ],
      meta,
    },
    { brotliQuality: quality },
  );
}

function coreAt(block: DecodedBlock, i: number): Core {
  const col = (n: string) => {
    const c = block.columns.get(n);
    if (!c) throw new CorruptBlockError(`not a state block (no ${n})`);
    return c;
  };
  return deepFreeze({
    version: valueAt(col('version'), i) as number,
    phi: valueAt(col('phi'), i) as number,
    workspace: JSON.parse(valueAt(col('workspace'), i) as string) as JsonValue,
    emotionalState: JSON.parse(valueAt(col('emotionalState'), i) as string) as JsonValue,
    attentionState: JSON.parse(valueAt(col('attentionState'), i) as string) as JsonValue,
    createdAt: block.timestamps[i]!,
  });
}

/** Index of the row with `version` in a block sorted by version, or -1. */
function rowOf(block: DecodedBlock, version: number): number {
  const vs = block.columns.get('version')?.values as Float64Array | undefined;
  if (!vs) return -1;
  let lo = 0;
  let hi = vs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = vs[mid]!;
    if (v === version) return mid;
    if (v < version) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function isColdMeta(m: unknown): m is ColdMeta {
  const o = m as ColdMeta | undefined;
  return !!o && o.kind === 'states';
}

export class ConsciousnessStateStore {
  readonly #store: BlobStore;
  readonly #cfg: Cfg;
  readonly #clock: () => number;
  readonly #archive: BlockArchive;
  readonly #queue = new SerialQueue();
  readonly #looseDir: string;
  readonly #accessKey: string;
  /** Sorted by version; tiers are contiguous: cold, then warm, then hot. */
  #entries: Entry[] = [];
  /** Hint: index of the first state that is not cold. */
  #firstLive = 0;
  #closed = false;
  #gets = 0;
  readonly #byTier = { hot: 0, warm: 0, cold: 0 };
  #toWarm = 0;
  #toCold = 0;
  #compactions = 0;
  #compactMs = 0;
  readonly #cleanups = new CleanupTimes();
  #statesDropped = 0;
  #bytesFreed = 0;

  private constructor(store: BlobStore, cfg: Cfg, clock: () => number) {
    this.#store = store;
    this.#cfg = cfg;
    this.#clock = clock;
    this.#archive = new BlockArchive(store, `${cfg.prefix}/cold`, cfg.cacheBlocks);
    this.#looseDir = `${cfg.prefix}/s/`;
    this.#accessKey = `${cfg.prefix}/access`;
  }

  static async open(
    store: BlobStore,
    config: StateStoreConfig = {},
    options: { clock?: () => number } = {},
  ): Promise<ConsciousnessStateStore> {
    const cfg = parseInput(stateStoreConfigSchema, config, 'ConsciousnessStateStore config');
    try {
      checkBlobKey(`${cfg.prefix}/access`);
    } catch (err) {
      throw new ArchiveInputError('ConsciousnessStateStore config', [{ path: 'prefix', message: (err as Error).message }]);
    }
    const s = new ConsciousnessStateStore(store, cfg, options.clock ?? Date.now);
    await s.#recover();
    return s;
  }

  #looseKey(version: number): string {
    return `${this.#looseDir}${String(version).padStart(12, '0')}`;
  }

  async #recover(): Promise<void> {
    await this.#archive.open();
    await this.#archive.finishReplacements((m) => (isColdMeta(m) && m.replaces ? { replaces: m.replaces } : undefined));
    const byVersion = new Map<number, Entry>();
    for (const b of this.#archive.blocks()) {
      if (b.corrupt) continue;
      try {
        const block = await this.#archive.readFields(b, ['version', 'phi', 'intensity']);
        const vs = block.columns.get('version');
        const ph = block.columns.get('phi');
        const it = block.columns.get('intensity');
        if (!vs || !ph || !it) throw new CorruptBlockError('not a state block', b.key);
        for (let i = 0; i < block.header.count; i++) {
          const version = valueAt(vs, i) as number;
          byVersion.set(version, {
            version,
            createdAt: block.timestamps[i]!,
            phi: valueAt(ph, i) as number,
            intensity: valueAt(it, i) as number,
            accesses: 0,
            tier: 'cold',
            block: b.id,
          });
        }
      } catch (err) {
        if (!(err instanceof CorruptBlockError)) throw err;
      }
    }
    for (const key of await this.#store.list(this.#looseDir)) {
      const bytes = await this.#store.get(key);
      if (!bytes) continue;
      let block: DecodedBlock;
      try {
        block = decodeBlock(bytes);
        if (block.header.count !== 1) throw new CorruptBlockError('a warm state blob holds one state');
      } catch (err) {
        if (!(err instanceof CorruptBlockError || err instanceof BlockFormatError)) throw err;
        this.#archive.report(key, err.message);
        continue;
      }
      const core = coreAt(block, 0);
      if (byVersion.has(core.version)) {
        await this.#store.delete(key); // moved to the cold tier before the crash
        continue;
      }
      byVersion.set(core.version, {
        version: core.version,
        createdAt: core.createdAt,
        phi: core.phi,
        intensity: valueAt(block.columns.get('intensity')!, 0) as number,
        accesses: 0,
        tier: 'warm',
        bytes,
      });
    }
    this.#entries = [...byVersion.values()].sort((a, b) => a.version - b.version);
    // Tiers must be contiguous (cold, warm, hot): a warm state older than a cold one (possible
    // only after a crash in the middle of a move) is re-tiered by the next compaction.
    const access = await this.#store.get(this.#accessKey);
    if (access) {
      try {
        const block = decodeBlock(access);
        const vs = block.columns.get('version')!.values as Float64Array;
        const cs = block.columns.get('accesses')!.values as Float64Array;
        for (let i = 0; i < vs.length; i++) {
          const e = this.#find(vs[i]!);
          if (e) e.accesses = cs[i]!;
        }
      } catch (err) {
        if (!(err instanceof CorruptBlockError || err instanceof BlockFormatError || err instanceof TypeError)) throw err;
        this.#archive.report(this.#accessKey, (err as Error).message);
      }
    }
    await this.#compact(false);
    if (this.#archive.totalBytes > this.#cfg.maxColdBytes) await this.#cleanup();
  }

  #check(): void {
    if (this.#closed) throw new ArchiveClosedError('ConsciousnessStateStore');
  }

  #index(version: number): number {
    const es = this.#entries;
    let lo = 0;
    let hi = es.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = es[mid]!.version;
      if (v === version) return mid;
      if (v < version) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  #find(version: number): Entry | undefined {
    const i = this.#index(version);
    return i < 0 ? undefined : this.#entries[i];
  }

  #importance(i: number, now: number): number {
    const e = this.#entries[i]!;
    const next = this.#entries[i + 1];
    return stateImportance(
      { phi: e.phi, intensity: e.intensity, durationMs: (next ? next.createdAt : now) - e.createdAt, accesses: e.accesses },
      this.#cfg.importance,
    );
  }

  /** Saves a new version; durable when the promise resolves. Returns the version number. */
  save(input: StateInput): Promise<number> {
    this.#check();
    const s = parseInput(stateInputSchema, input, 'consciousness state');
    const json = [JSON.stringify(s.workspace), JSON.stringify(s.emotionalState), JSON.stringify(s.attentionState)];
    const size = json.reduce((a, j) => a + Buffer.byteLength(j), 0);
    if (size > this.#cfg.maxStateBytes) {
      throw new ArchiveInputError('consciousness state', [{ path: '', message: `${size} bytes of JSON, more than maxStateBytes (${this.#cfg.maxStateBytes})` }]);
    }
    return this.#queue.run(async () => {
      this.#check();
      const last = this.#entries.at(-1);
      const createdAt = s.createdAt ?? Math.max(this.#clock(), last?.createdAt ?? Number.NEGATIVE_INFINITY);
      if (last && createdAt < last.createdAt) {
        throw new ArchiveInputError('consciousness state', [{ path: 'createdAt', message: `${createdAt} precedes version ${last.version} (${last.createdAt})` }]);
      }
      const version = (last?.version ?? 0) + 1;
      const core: Core = deepFreeze({
        version,
        phi: s.phi,
        workspace: s.workspace as JsonValue,
        emotionalState: s.emotionalState as JsonValue,
        attentionState: s.attentionState as JsonValue,
        createdAt,
      });
      const intensity = emotionalIntensity(core.emotionalState);
      const bytes = encodeStates([{ ...core, intensity }], { kind: 'state', version }, this.#cfg.warmQuality);
      await this.#store.put(this.#looseKey(version), bytes);
      this.#entries.push({ version, createdAt, phi: core.phi, intensity, accesses: 0, tier: 'hot', core, bytes });
      await this.#compact(false);
      return version;
    });
  }

  /** The state of `version`; throws ArchiveNotFoundError when there is none. */
  get(version: number): Promise<ConsciousnessState> {
    this.#check();
    const v = parseInput(z.number().int().positive(), version, 'state version');
    return this.#queue.run(async () => {
      const i = this.#index(v);
      if (i < 0) throw new ArchiveNotFoundError(`no state version ${v}`);
      return this.#load(i);
    });
  }

  /** The state current at time `t` (the latest created at or before t), or undefined. */
  at(t: number): Promise<ConsciousnessState | undefined> {
    this.#check();
    const time = parseInput(timestamp, t, 'time');
    return this.#queue.run(async () => {
      const es = this.#entries;
      let lo = 0;
      let hi = es.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        if (es[mid]!.createdAt <= time) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found < 0 ? undefined : this.#load(found);
    });
  }

  /** The newest state, or undefined when the store is empty. */
  latest(): Promise<ConsciousnessState | undefined> {
    this.#check();
    return this.#queue.run(async () => (this.#entries.length ? this.#load(this.#entries.length - 1) : undefined));
  }

  async #load(i: number): Promise<ConsciousnessState> {
    const e = this.#entries[i]!;
    e.accesses++;
    this.#gets++;
    this.#byTier[e.tier]++;
    let core: Core;
    if (e.tier === 'hot' && e.core) {
      core = e.core;
    } else if (e.tier !== 'cold' && e.bytes) {
      core = coreAt(decodeBlock(e.bytes), 0);
    } else {
      const info = (e.block !== undefined ? this.#archive.info(e.block) : undefined);
      if (!info) throw new CorruptBlockError(`cold block ${e.block} of version ${e.version} is missing`);
      const block = await this.#archive.read(info);
      const row = rowOf(block, e.version);
      if (row < 0) throw new CorruptBlockError(`version ${e.version} is not in its block`, info.key);
      core = coreAt(block, row);
    }
    return { ...core, importance: this.#importance(i, this.#clock()) };
  }

  /** Versions (metadata only) created in [from, to]. */
  versions(range: { from?: number; to?: number } = {}): StateVersionInfo[] {
    this.#check();
    const r = parseInput(z.object({ from: timestamp.optional(), to: timestamp.optional() }).strict(), range, 'versions range');
    const now = this.#clock();
    const out: StateVersionInfo[] = [];
    this.#entries.forEach((e, i) => {
      if ((r.from !== undefined && e.createdAt < r.from) || (r.to !== undefined && e.createdAt > r.to)) return;
      out.push({ version: e.version, createdAt: e.createdAt, phi: e.phi, tier: e.tier, accesses: e.accesses, importance: this.#importance(i, now) });
    });
    return out;
  }

  /** Runs the progressive compression now; `force` also writes a partial cold block. */
  compact(force = false): Promise<void> {
    this.#check();
    return this.#queue.run(() => this.#compact(force));
  }

  async #compact(force: boolean): Promise<void> {
    const t0 = performance.now();
    const now = this.#clock();
    const es = this.#entries;
    // Cold states form a prefix (after recovery, nearly): start after it.
    let start = Math.min(this.#firstLive, es.length);
    if (start > 0 && es[start - 1]!.tier !== 'cold') start = 0;
    while (start < es.length && es[start]!.tier === 'cold') start++;
    this.#firstLive = start;
    let hot = 0;
    let warm = 0;
    for (let i = start; i < es.length; i++) {
      const e = es[i]!;
      if (e.tier === 'hot') hot++;
      else if (e.tier === 'warm') warm++;
    }
    let changed = false;
    // hot → warm: by age, and beyond maxHotStates (oldest first).
    for (let i = start; i < es.length; i++) {
      const e = es[i]!;
      if (e.tier !== 'hot') continue;
      if (now - e.createdAt >= this.#cfg.hotMs || hot > this.#cfg.maxHotStates) {
        e.tier = 'warm';
        delete e.core;
        hot--;
        warm++;
        this.#toWarm++;
        changed = true;
      } else break;
    }
    // warm → cold in blocks of coldBlockStates.
    const eligible: Entry[] = [];
    let overflow = warm - this.#cfg.maxWarmStates;
    for (let i = start; i < es.length; i++) {
      const e = es[i]!;
      if (e.tier !== 'warm') continue;
      if (now - e.createdAt >= this.#cfg.warmMs || overflow > 0) {
        eligible.push(e);
        overflow--;
      } else break;
    }
    const n = this.#cfg.coldBlockStates;
    const mustMove = Math.max(0, warm - this.#cfg.maxWarmStates);
    let moved = 0;
    for (let start = 0; start < eligible.length; start += n) {
      const chunk = eligible.slice(start, start + n);
      if (chunk.length < n && !force && moved >= mustMove) break;
      await this.#toColdBlock(chunk);
      moved += chunk.length;
      changed = true;
    }
    if (changed) {
      this.#compactions++;
      this.#compactMs += performance.now() - t0;
    }
    if (this.#archive.totalBytes > this.#cfg.maxColdBytes) await this.#cleanup();
  }

  async #toColdBlock(chunk: Entry[], replaces?: number[]): Promise<BlockInfo> {
    const cores = await Promise.all(chunk.map((e) => this.#coreOf(e)));
    let jsonBytes = 0;
    for (const c of cores) jsonBytes += Buffer.byteLength(JSON.stringify(c));
    const meta: ColdMeta = { kind: 'states', vMin: chunk[0]!.version, vMax: chunk.at(-1)!.version, jsonBytes, ...(replaces ? { replaces } : {}) };
    const bytes = encodeStates(
      cores.map((c, i) => ({ ...c, intensity: chunk[i]!.intensity })),
      meta,
      11,
    );
    const info = await this.#archive.add(bytes);
    for (const e of chunk) {
      const wasLoose = e.tier !== 'cold';
      e.tier = 'cold';
      e.block = info.id;
      delete e.bytes;
      delete e.core;
      if (wasLoose) {
        await this.#store.delete(this.#looseKey(e.version));
        this.#toCold++;
      }
    }
    return info;
  }

  async #coreOf(e: Entry): Promise<Core> {
    if (e.core) return e.core;
    if (e.bytes) return coreAt(decodeBlock(e.bytes), 0);
    const info = (e.block !== undefined ? this.#archive.info(e.block) : undefined);
    if (!info) throw new CorruptBlockError(`cold block ${e.block} is missing`);
    const block = await this.#archive.read(info);
    const row = rowOf(block, e.version);
    if (row < 0) throw new CorruptBlockError(`version ${e.version} is not in its block`, info.key);
    return coreAt(block, row);
  }

  /** Drops the least important cold states until the cold tier is at most cleanupThreshold × maxColdBytes. */
  cleanup(): Promise<number> {
    this.#check();
    return this.#queue.run(() => this.#cleanup());
  }

  #cleanup(): Promise<number> {
    return this.#cleanups.time(() => this.#freeSpace());
  }

  async #freeSpace(): Promise<void> {
    const target = Math.floor(this.#cfg.cleanupThreshold * this.#cfg.maxColdBytes);
    const now = this.#clock();
    // Corrupt blocks cannot be read: they go first.
    for (const b of this.#archive.blocks()) {
      if (!b.corrupt || this.#archive.totalBytes <= target) continue;
      await this.#archive.remove(b);
      this.#bytesFreed += b.bytes;
      const before = this.#entries.length;
      this.#entries = this.#entries.filter((e) => !(e.tier === 'cold' && e.block === b.id));
      this.#statesDropped += before - this.#entries.length;
    }
    // One ranking, taken at the start: the least important cold states go first (the newest
    // version never). Rounds continue down the ranking while the size estimate fell short.
    const latest = this.#entries.at(-1);
    const ranking = this.#entries
      .map((e, i) => ({ e, imp: this.#importance(i, now) }))
      .filter((x) => x.e.tier === 'cold' && x.e !== latest)
      .sort((a, b) => a.imp - b.imp || a.e.version - b.e.version)
      .map((x) => x.e);
    let next = 0;
    for (let round = 0; round < 8 && this.#archive.totalBytes > target && next < ranking.length; round++) {
      const perBlock = new Map<number, number>();
      for (const e of this.#entries) if (e.tier === 'cold') perBlock.set(e.block!, (perBlock.get(e.block!) ?? 0) + 1);
      const victims = new Map<number, Set<number>>();
      let excess = this.#archive.totalBytes - target;
      while (excess > 0 && next < ranking.length) {
        const e = ranking[next++]!;
        const info = e.block !== undefined ? this.#archive.info(e.block) : undefined;
        if (!info || e.tier !== 'cold') continue;
        let set = victims.get(info.id);
        if (!set) victims.set(info.id, (set = new Set()));
        set.add(e.version);
        excess -= info.bytes / (perBlock.get(info.id) ?? 1);
      }
      for (const [id, set] of victims) {
        const info = this.#archive.info(id)!;
        const keep = this.#entries.filter((e) => e.tier === 'cold' && e.block === id && !set.has(e.version));
        if (keep.length > 0) await this.#toColdBlock(keep, [id]);
        await this.#archive.remove(info);
        this.#bytesFreed += info.bytes;
        this.#statesDropped += set.size;
        this.#entries = this.#entries.filter((e) => !(e.tier === 'cold' && e.block === id && set.has(e.version)));
      }
    }
  }

  async #writeAccess(): Promise<void> {
    const es = this.#entries.filter((e) => e.accesses > 0);
    const bytes = encodeBlock({
      schema: [
        { name: 'version', type: 'int' },
        { name: 'accesses', type: 'int' },
      ],
      timestamps: es.map((e) => e.createdAt),
      columns: [es.map((e) => e.version), es.map((e) => e.accesses)],
    });
    await this.#store.put(this.#accessKey, bytes);
  }

  /** Persists the access counts (the states themselves are durable at save()). */
  flush(): Promise<void> {
    this.#check();
    return this.#queue.run(() => this.#writeAccess());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue.run(() => this.#writeAccess());
    this.#closed = true;
  }

  problems(): readonly CorruptionReport[] {
    return this.#archive.problems();
  }

  stats(): StateStoreStats {
    const a = this.#archive.stats();
    let hot = 0;
    let hotBytes = 0;
    let warm = 0;
    let warmBytes = 0;
    let cold = 0;
    for (const e of this.#entries) {
      if (e.tier === 'hot') {
        hot++;
        hotBytes += (e.bytes?.length ?? 0) + 256;
      } else if (e.tier === 'warm') {
        warm++;
        warmBytes += e.bytes?.length ?? 0;
      } else cold++;
    }
    let jsonBytes = 0;
    let coldGood = 0;
    for (const b of this.#archive.blocks()) {
      const m = b.header?.meta;
      if (isColdMeta(m) && typeof m.jsonBytes === 'number') {
        jsonBytes += m.jsonBytes;
        coldGood += b.bytes;
      }
    }
    return {
      versions: this.#entries.length,
      latestVersion: this.#entries.at(-1)?.version ?? 0,
      tiers: {
        hot: { states: hot, approxBytes: hotBytes },
        warm: { states: warm, bytes: warmBytes },
        cold: { states: cold, blocks: a.blocks, bytes: a.bytes, maxBytes: this.#cfg.maxColdBytes },
      },
      compressionRatio: coldGood > 0 ? jsonBytes / coldGood : 0,
      access: { gets: this.#gets, byTier: { ...this.#byTier }, blockReads: a.reads, cacheHits: a.cacheHits, cacheMisses: a.cacheMisses },
      compaction: { toWarm: this.#toWarm, toCold: this.#toCold, runs: this.#compactions, totalMs: this.#compactMs },
      cleanup: { runs: this.#cleanups.runs, lastMs: this.#cleanups.lastMs, totalMs: this.#cleanups.totalMs, statesDropped: this.#statesDropped, bytesFreed: this.#bytesFreed },
      problems: this.#archive.problems(),
    };
  }
}
