/**
 * EmotionManager: the current emotion and its history in three stages, each more compressed:
 *   active    the newest entries (activeSize, the current emotion last), plain objects;
 *   recent    compressed segments of recentSegmentSize entries (column codecs, no brotli:
 *             quick to decode), in memory, at most maxRecentEntries entries;
 *   archived  blocks of archiveBlockEntries entries (column codecs + brotli 11), stored in the
 *             BlobStore under `<prefix>/archive/b/`, indexed by time and id range;
 * then cleanup: above maxArchivedBytes the least important archived entries are dropped
 * (emotionImportance.ts) down to cleanupThreshold × maxArchivedBytes. Entries older than
 * ttlMs expire from every stage. Entries with a positive reference count (retain/release)
 * are never dropped by cleanup or expiry, and the current emotion never expires.
 * monitor() reports the bytes of each stage.
 *
 * Persistence: archived blocks are put before the live snapshot (`<prefix>/live`: active and
 * recent entries) is rewritten, so a crash in between leaves entries in both; reopening keeps
 * the archived copy. Reference counts belong to the running process and are not persisted.
 */
import { z } from 'zod';
import type { BlobStore } from '../storage/blobStore.js';
import { checkBlobKey } from '../storage/blobStore.js';
import { BlockArchive, type BlockInfo, CleanupTimes, type CorruptionReport, SerialQueue } from './blockArchive.js';
import { type DecodedBlock, decodeBlock, encodeBlock, valueAt } from './codec/block.js';
import type { FieldSpec } from './codec/schema.js';
import { TIMESTAMP_LIMIT } from './codec/timestampColumn.js';
import { ArchiveClosedError, ArchiveInputError, ArchiveNotFoundError, BlockFormatError, CorruptBlockError } from './errors.js';
import { defaultIntensity, emotionImportance, emotionImportanceSchema } from './emotionImportance.js';
import { parseInput } from './validate.js';

const timestamp = z.number().int().min(-TIMESTAMP_LIMIT).max(TIMESTAMP_LIMIT);
const unit = z.number().finite().min(0).max(1);

export const emotionInputSchema = z
  .object({
    valence: z.number().finite().min(-1).max(1),
    arousal: unit,
    dominance: z.number().finite().min(-1).max(1).optional(),
    label: z.string().min(1).max(64).optional(),
    intensity: unit.optional(),
    /** Defaults to the manager's clock; must not precede the current emotion's. */
    timestamp: timestamp.optional(),
  })
  .strict();
export type EmotionInput = z.input<typeof emotionInputSchema>;

export interface EmotionEntry {
  readonly id: number;
  readonly timestamp: number;
  readonly valence: number;
  readonly arousal: number;
  readonly dominance?: number;
  readonly label?: string;
  readonly intensity: number;
  /** Stored to within 5·10⁻⁷ (declared precision). */
  readonly importance: number;
}

export const emotionManagerConfigSchema = z
  .object({
    prefix: z.string().default('archive/emotions'),
    activeSize: z.number().int().min(2).max(1 << 16).default(64),
    recentSegmentSize: z.number().int().min(1).max(1 << 16).default(32),
    maxRecentEntries: z.number().int().min(1).max(1 << 20).default(1024),
    archiveBlockEntries: z.number().int().min(1).max(1 << 20).default(512),
    maxArchivedBytes: z.number().int().min(4096).default(8 << 20),
    cleanupThreshold: z.number().gt(0).max(1).default(0.8),
    /** Entries older than this expire (0: never). */
    ttlMs: z.number().int().min(0).default(30 * 24 * 3_600_000),
    importance: emotionImportanceSchema.default({ intensity: 0.6, change: 0.4 }),
    cacheBlocks: z.number().int().min(0).max(1024).default(4),
  })
  .strict()
  .refine((c) => c.recentSegmentSize < c.activeSize, { message: 'recentSegmentSize must be < activeSize', path: ['recentSegmentSize'] });
export type EmotionManagerConfig = z.input<typeof emotionManagerConfigSchema>;
type Cfg = z.output<typeof emotionManagerConfigSchema>;

export interface StageReport {
  readonly entries: number;
  readonly bytes: number;
}

export interface EmotionMonitor {
  readonly at: number;
  readonly stages: {
    /** Plain objects: an estimate (fixed cost per entry plus the label). */
    readonly active: StageReport;
    readonly recent: StageReport & { readonly segments: number };
    readonly archived: StageReport & { readonly blocks: number; readonly maxBytes: number; readonly corruptBlocks: number };
  };
  readonly totalBytes: number;
  readonly references: { readonly entries: number; readonly total: number };
}

export interface EmotionStats extends EmotionMonitor {
  readonly compression: {
    /** JSON bytes of the entries / stored bytes, per compressed stage. */
    readonly recentRatio: number;
    readonly archivedRatio: number;
    readonly moves: number;
  };
  readonly access: { readonly sets: number; readonly gets: number; readonly historyQueries: number; readonly blockReads: number; readonly cacheHits: number };
  readonly cleanup: { readonly runs: number; readonly lastMs: number; readonly totalMs: number; readonly entriesDropped: number; readonly bytesFreed: number };
  readonly expiry: { readonly runs: number; readonly entriesExpired: number };
  readonly problems: readonly CorruptionReport[];
}

interface Segment {
  readonly bytes: Uint8Array;
  readonly count: number;
  readonly minId: number;
  readonly maxId: number;
  readonly minTs: number;
  readonly maxTs: number;
  readonly jsonBytes: number;
}

interface ArchivedMeta {
  readonly kind: 'emotions';
  readonly idMin: number;
  readonly idMax: number;
  readonly jsonBytes: number;
  readonly replaces?: readonly number[];
}

const SCHEMA: FieldSpec[] = [
  { name: 'id', type: 'int' },
  { name: 'valence', type: 'float' },
  { name: 'arousal', type: 'float' },
  { name: 'dominance', type: 'float' },
  { name: 'label', type: 'category' },
  { name: 'intensity', type: 'float' },
  { name: 'importance', type: 'float', maxError: 5e-7 },
];

function encodeEntries(es: readonly EmotionEntry[], meta: unknown, brotli: boolean): Uint8Array {
  return encodeBlock(
    {
      schema: SCHEMA,
      timestamps: es.map((e) => e.timestamp),
      columns: [
        es.map((e) => e.id),
        es.map((e) => e.valence),
        es.map((e) => e.arousal),
        es.map((e) => e.dominance ?? null),
        es.map((e) => e.label ?? null),
        es.map((e) => e.intensity),
        es.map((e) => e.importance),
      ],
      meta,
    },
    brotli ? { entropy: 'auto', brotliQuality: 11 } : { entropy: 'off' },
  );
}

function entriesOf(block: DecodedBlock): EmotionEntry[] {
  const c = (n: string) => {
    const col = block.columns.get(n);
    if (!col) throw new CorruptBlockError(`not an emotion block (no ${n})`);
    return col;
  };
  const [id, va, ar, dom, lab, int, imp] = ['id', 'valence', 'arousal', 'dominance', 'label', 'intensity', 'importance'].map(c);
  const out: EmotionEntry[] = [];
  for (let i = 0; i < block.header.count; i++) {
    const d = valueAt(dom!, i);
    const l = valueAt(lab!, i);
    out.push({
      id: valueAt(id!, i) as number,
      timestamp: block.timestamps[i]!,
      valence: valueAt(va!, i) as number,
      arousal: valueAt(ar!, i) as number,
      ...(d !== null ? { dominance: d as number } : {}),
      ...(l !== null ? { label: l as string } : {}),
      intensity: valueAt(int!, i) as number,
      importance: valueAt(imp!, i) as number,
    });
  }
  return out;
}

function jsonSize(es: readonly EmotionEntry[]): number {
  return Buffer.byteLength(JSON.stringify(es));
}

function isArchivedMeta(m: unknown): m is ArchivedMeta {
  const o = m as ArchivedMeta | undefined;
  return !!o && o.kind === 'emotions' && Number.isFinite(o.idMin) && Number.isFinite(o.idMax);
}

export class EmotionManager {
  readonly #store: BlobStore;
  readonly #cfg: Cfg;
  readonly #clock: () => number;
  readonly #archive: BlockArchive;
  readonly #liveKey: string;
  readonly #queue = new SerialQueue();
  #active: EmotionEntry[] = [];
  #recent: Segment[] = [];
  #recentEntries = 0;
  readonly #refs = new Map<number, number>();
  #nextId = 1;
  #closed = false;
  #sets = 0;
  #gets = 0;
  #historyQueries = 0;
  #moves = 0;
  readonly #cleanups = new CleanupTimes();
  #dropped = 0;
  #bytesFreed = 0;
  #expiryRuns = 0;
  #expired = 0;

  private constructor(store: BlobStore, cfg: Cfg, clock: () => number) {
    this.#store = store;
    this.#cfg = cfg;
    this.#clock = clock;
    this.#archive = new BlockArchive(store, `${cfg.prefix}/archive`, cfg.cacheBlocks);
    this.#liveKey = `${cfg.prefix}/live`;
  }

  static async open(store: BlobStore, config: EmotionManagerConfig = {}, options: { clock?: () => number } = {}): Promise<EmotionManager> {
    const cfg = parseInput(emotionManagerConfigSchema, config, 'EmotionManager config');
    try {
      checkBlobKey(`${cfg.prefix}/live`);
    } catch (err) {
      throw new ArchiveInputError('EmotionManager config', [{ path: 'prefix', message: (err as Error).message }]);
    }
    const m = new EmotionManager(store, cfg, options.clock ?? Date.now);
    await m.#recover();
    return m;
  }

  async #recover(): Promise<void> {
    await this.#archive.open();
    await this.#archive.removeReplaced((m) => (isArchivedMeta(m) ? m.replaces : undefined));
    let maxId = 0;
    for (const b of this.#archive.blocks()) {
      const m = b.header?.meta;
      if (isArchivedMeta(m)) maxId = Math.max(maxId, m.idMax);
    }
    let live: EmotionEntry[] = [];
    let nextId = 1;
    const bytes = await this.#store.get(this.#liveKey);
    if (bytes) {
      try {
        const block = decodeBlock(bytes);
        live = entriesOf(block);
        const meta = block.header.meta as { nextId?: number } | undefined;
        if (meta && Number.isSafeInteger(meta.nextId)) nextId = meta.nextId!;
      } catch (err) {
        if (!(err instanceof CorruptBlockError || err instanceof BlockFormatError)) throw err;
        this.#archive.report(this.#liveKey, err.message);
      }
    }
    if (live.length > 0) {
      const lo = live[0]!.id;
      const archived = new Set<number>();
      for (const b of this.#archive.blocks()) {
        const m = b.header?.meta;
        if (!isArchivedMeta(m) || m.idMax < lo) continue;
        try {
          const block = await this.#archive.readFields(b, ['id']);
          for (const v of block.columns.get('id')!.values as Float64Array) archived.add(v);
        } catch (err) {
          if (!(err instanceof CorruptBlockError)) throw err;
        }
      }
      live = live.filter((e) => !archived.has(e.id));
    }
    for (const e of live) maxId = Math.max(maxId, e.id);
    this.#nextId = Math.max(nextId, maxId + 1);
    // Re-stage the live entries: the newest activeSize stay active, the rest become segments.
    const split = Math.max(0, live.length - this.#cfg.activeSize);
    this.#active = live.slice(split);
    for (let i = 0; i < split; i += this.#cfg.recentSegmentSize) {
      this.#addSegment(live.slice(i, Math.min(split, i + this.#cfg.recentSegmentSize)));
    }
    if (this.#recentEntries > this.#cfg.maxRecentEntries) await this.#archiveRecent();
    if (this.#archive.totalBytes > this.#cfg.maxArchivedBytes) await this.#cleanup();
  }

  #check(): void {
    if (this.#closed) throw new ArchiveClosedError('EmotionManager');
  }

  #addSegment(es: EmotionEntry[]): void {
    if (es.length === 0) return;
    this.#recent.push({
      bytes: encodeEntries(es, undefined, false),
      count: es.length,
      minId: es[0]!.id,
      maxId: es.at(-1)!.id,
      minTs: Math.min(...es.map((e) => e.timestamp)),
      maxTs: Math.max(...es.map((e) => e.timestamp)),
      jsonBytes: jsonSize(es),
    });
    this.#recentEntries += es.length;
  }

  /** Sets the current emotion; the previous one becomes history. Returns the new entry. */
  setEmotion(input: EmotionInput): Promise<EmotionEntry> {
    this.#check();
    const e = parseInput(emotionInputSchema, input, 'emotion');
    return this.#queue.run(async () => {
      this.#check();
      const prev = this.#active.at(-1);
      const ts = e.timestamp ?? Math.max(this.#clock(), prev?.timestamp ?? Number.NEGATIVE_INFINITY);
      if (prev && ts < prev.timestamp) {
        throw new ArchiveInputError('emotion', [{ path: 'timestamp', message: `${ts} precedes the current emotion's (${prev.timestamp})` }]);
      }
      const intensity = e.intensity ?? defaultIntensity(e.valence, e.arousal);
      const entry: EmotionEntry = {
        id: this.#nextId++,
        timestamp: ts,
        valence: e.valence,
        arousal: e.arousal,
        ...(e.dominance !== undefined ? { dominance: e.dominance } : {}),
        ...(e.label !== undefined ? { label: e.label } : {}),
        intensity,
        importance: emotionImportance({ valence: e.valence, arousal: e.arousal, intensity }, prev, this.#cfg.importance),
      };
      this.#active.push(entry);
      this.#sets++;
      if (this.#active.length > this.#cfg.activeSize) {
        this.#addSegment(this.#active.splice(0, this.#cfg.recentSegmentSize));
        if (this.#recentEntries > this.#cfg.maxRecentEntries) await this.#archiveRecent();
      }
      return entry;
    });
  }

  /** The current emotion, or undefined before the first one. */
  current(): EmotionEntry | undefined {
    this.#check();
    return this.#active.at(-1);
  }

  /** Moves the oldest recent segments (archiveBlockEntries entries or more) into one archived block. */
  async #archiveRecent(): Promise<void> {
    while (this.#recentEntries > this.#cfg.maxRecentEntries) {
      const take: Segment[] = [];
      let n = 0;
      while (this.#recent.length > 0 && (n < this.#cfg.archiveBlockEntries || take.length === 0)) {
        const s = this.#recent.shift()!;
        take.push(s);
        n += s.count;
      }
      const es = take.flatMap((s) => entriesOf(decodeBlock(s.bytes)));
      try {
        await this.#archive.add(encodeEntries(es, this.#metaFor(es), true));
      } catch (err) {
        this.#recent.unshift(...take);
        throw err;
      }
      this.#recentEntries -= n;
      this.#moves++;
    }
    await this.#writeLive();
    if (this.#archive.totalBytes > this.#cfg.maxArchivedBytes) await this.#cleanup();
  }

  #metaFor(es: readonly EmotionEntry[], replaces?: number[]): ArchivedMeta {
    return {
      kind: 'emotions',
      idMin: Math.min(...es.map((e) => e.id)),
      idMax: Math.max(...es.map((e) => e.id)),
      jsonBytes: jsonSize(es),
      ...(replaces ? { replaces } : {}),
    };
  }

  async #writeLive(): Promise<void> {
    const es = [...this.#recent.flatMap((s) => entriesOf(decodeBlock(s.bytes))), ...this.#active];
    await this.#store.put(this.#liveKey, encodeEntries(es, { kind: 'emotions-live', nextId: this.#nextId }, false));
  }

  async #archivedEntries(): Promise<{ info: BlockInfo; entries: EmotionEntry[] }[]> {
    const out: { info: BlockInfo; entries: EmotionEntry[] }[] = [];
    for (const b of this.#archive.blocks()) {
      if (b.corrupt) continue;
      try {
        out.push({ info: b, entries: entriesOf(await this.#archive.read(b)) });
      } catch (err) {
        if (!(err instanceof CorruptBlockError)) throw err;
      }
    }
    return out;
  }

  /**
   * Rewrites the archived blocks that lose entries: the survivors of consecutive affected
   * blocks are packed together, and each new block names the old blocks it replaces, so every
   * step is an atomic replacement (new block put first, then the old ones deleted).
   */
  async #rewrite(
    blocks: { info: BlockInfo; entries: EmotionEntry[] }[],
    keep: (e: EmotionEntry) => boolean,
  ): Promise<{ removed: number; blocks: { info: BlockInfo; entries: EmotionEntry[] }[] }> {
    let removed = 0;
    const out: { info: BlockInfo; entries: EmotionEntry[] }[] = [];
    let acc: EmotionEntry[] = [];
    let accBlocks: BlockInfo[] = [];
    const emit = async (): Promise<void> => {
      if (accBlocks.length === 0) return;
      if (acc.length > 0) {
        acc.sort((a, b) => a.id - b.id);
        const info = await this.#archive.add(encodeEntries(acc, this.#metaFor(acc, accBlocks.map((b) => b.id)), true));
        out.push({ info, entries: acc });
      }
      for (const b of accBlocks) {
        await this.#archive.remove(b);
        this.#bytesFreed += b.bytes;
      }
      acc = [];
      accBlocks = [];
    };
    for (const block of blocks) {
      const kept = block.entries.filter(keep);
      if (kept.length === block.entries.length) {
        out.push(block);
        continue;
      }
      removed += block.entries.length - kept.length;
      acc.push(...kept);
      accBlocks.push(block.info);
      if (acc.length >= this.#cfg.archiveBlockEntries) await emit();
    }
    await emit();
    out.sort((a, b) => a.info.id - b.info.id);
    return { removed, blocks: out };
  }

  #cleanup(): Promise<number> {
    return this.#cleanups.time(() => this.#freeSpace());
  }

  async #freeSpace(): Promise<void> {
    const target = Math.floor(this.#cfg.cleanupThreshold * this.#cfg.maxArchivedBytes);
    for (const b of this.#archive.blocks()) {
      if (b.corrupt && this.#archive.totalBytes > target) {
        await this.#archive.remove(b);
        this.#bytesFreed += b.bytes;
      }
    }
    if (this.#archive.totalBytes > target) {
      // Decoded once; each round rewrites only the blocks that lose entries.
      let blocks = await this.#archivedEntries();
      // One ranking: least important first (oldest on ties), referenced entries never.
      const ranking = blocks
        .flatMap(({ entries }) => entries)
        .filter((e) => !this.#refs.has(e.id))
        .sort((a, b) => a.importance - b.importance || a.id - b.id);
      const victims = new Set<number>();
      let next = 0;
      for (let round = 0; round < 32 && this.#archive.totalBytes > target && next < ranking.length; round++) {
        const entries = blocks.reduce((a, b) => a + b.entries.length, 0);
        const per = this.#archive.totalBytes / Math.max(1, entries);
        let excess = this.#archive.totalBytes - target;
        while (excess > 0 && next < ranking.length) {
          victims.add(ranking[next++]!.id);
          excess -= per;
        }
        const r = await this.#rewrite(blocks, (e) => !victims.has(e.id));
        this.#dropped += r.removed;
        blocks = r.blocks;
      }
    }
  }

  /** Runs cleanup by importance now; returns its duration in ms. */
  cleanup(): Promise<number> {
    this.#check();
    return this.#queue.run(() => this.#cleanup());
  }

  /** Removes the entries older than ttlMs (before `now`), except referenced ones and the current emotion. Returns how many. */
  expire(now?: number): Promise<number> {
    this.#check();
    const t = parseInput(timestamp.optional(), now, 'expiry time');
    return this.#queue.run(async () => {
      if (this.#cfg.ttlMs === 0) return 0;
      const cutoff = (t ?? this.#clock()) - this.#cfg.ttlMs;
      const current = this.#active.at(-1);
      const keep = (e: EmotionEntry) => e.timestamp >= cutoff || this.#refs.has(e.id) || e === current || e.id === current?.id;
      let n = 0;
      const before = this.#active.length;
      this.#active = this.#active.filter(keep);
      n += before - this.#active.length;
      const segs = this.#recent;
      this.#recent = [];
      this.#recentEntries = 0;
      for (const s of segs) {
        if (s.minTs >= cutoff) {
          this.#recent.push(s);
          this.#recentEntries += s.count;
          continue;
        }
        const es = entriesOf(decodeBlock(s.bytes));
        const kept = es.filter(keep);
        n += es.length - kept.length;
        this.#addSegment(kept);
      }
      const old = (await this.#archivedEntries()).filter(({ info }) => (info.header?.minTimestamp ?? 0) < cutoff);
      n += (await this.#rewrite(old, keep)).removed;
      this.#expiryRuns++;
      this.#expired += n;
      if (n > 0) await this.#writeLive();
      return n;
    });
  }

  async #findEntry(id: number): Promise<EmotionEntry | undefined> {
    const a = this.#active.find((e) => e.id === id);
    if (a) return a;
    for (const s of this.#recent) if (id >= s.minId && id <= s.maxId) return entriesOf(decodeBlock(s.bytes)).find((e) => e.id === id);
    for (const b of this.#archive.blocks()) {
      const m = b.header?.meta;
      if (!isArchivedMeta(m) || id < m.idMin || id > m.idMax) continue;
      const e = entriesOf(await this.#archive.read(b)).find((x) => x.id === id);
      if (e) return e;
    }
    return undefined;
  }

  /** One history entry by id; throws ArchiveNotFoundError when it is not (or no longer) stored. */
  get(id: number): Promise<EmotionEntry> {
    this.#check();
    const v = parseInput(z.number().int().positive(), id, 'emotion id');
    return this.#queue.run(async () => {
      this.#gets++;
      const e = await this.#findEntry(v);
      if (!e) throw new ArchiveNotFoundError(`no emotion entry ${v}`);
      return e;
    });
  }

  /** History entries with from ≤ timestamp ≤ to, oldest first, from every stage. */
  history(range: { from?: number; to?: number; limit?: number } = {}): Promise<{ entries: EmotionEntry[]; corrupt: CorruptionReport[] }> {
    this.#check();
    const r = parseInput(
      z.object({ from: timestamp.optional(), to: timestamp.optional(), limit: z.number().int().positive().optional() }).strict(),
      range,
      'history range',
    );
    return this.#queue.run(async () => {
      this.#historyQueries++;
      const from = r.from ?? Number.NEGATIVE_INFINITY;
      const to = r.to ?? Number.POSITIVE_INFINITY;
      const out: EmotionEntry[] = [];
      const corrupt: CorruptionReport[] = [];
      const inRange = (e: EmotionEntry) => e.timestamp >= from && e.timestamp <= to;
      for (const b of this.#archive.blocks()) {
        if (b.header && (b.header.maxTimestamp < from || b.header.minTimestamp > to)) continue;
        try {
          out.push(...entriesOf(await this.#archive.read(b)).filter(inRange));
        } catch (err) {
          if (!(err instanceof CorruptBlockError)) throw err;
          corrupt.push({ key: b.key, reason: err.message, at: Date.now() });
        }
      }
      for (const s of this.#recent) if (s.maxTs >= from && s.minTs <= to) out.push(...entriesOf(decodeBlock(s.bytes)).filter(inRange));
      out.push(...this.#active.filter(inRange));
      out.sort((a, b) => a.timestamp - b.timestamp || a.id - b.id);
      return { entries: r.limit !== undefined ? out.slice(0, r.limit) : out, corrupt };
    });
  }

  /** Pins an entry: cleanup and expiry keep it until every retain is released. Returns the new count. */
  retain(id: number): Promise<number> {
    this.#check();
    const v = parseInput(z.number().int().positive(), id, 'emotion id');
    return this.#queue.run(async () => {
      if (!this.#refs.has(v) && !(await this.#findEntry(v))) throw new ArchiveNotFoundError(`no emotion entry ${v}`);
      const n = (this.#refs.get(v) ?? 0) + 1;
      this.#refs.set(v, n);
      return n;
    });
  }

  /** Releases one retain; throws ArchiveInputError when the entry holds none. Returns the new count. */
  release(id: number): Promise<number> {
    this.#check();
    const v = parseInput(z.number().int().positive(), id, 'emotion id');
    return this.#queue.run(async () => {
      const n = this.#refs.get(v);
      if (!n) throw new ArchiveInputError('release', [{ path: 'id', message: `emotion entry ${v} holds no reference` }]);
      if (n === 1) this.#refs.delete(v);
      else this.#refs.set(v, n - 1);
      return n - 1;
    });
  }

  refCount(id: number): number {
    return this.#refs.get(id) ?? 0;
  }

  /** Makes the active and recent stages durable. */
  flush(): Promise<void> {
    this.#check();
    return this.#queue.run(() => this.#writeLive());
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue.run(() => this.#writeLive());
    this.#closed = true;
  }

  problems(): readonly CorruptionReport[] {
    return this.#archive.problems();
  }

  /** Bytes and entries of each stage, now. */
  monitor(): EmotionMonitor {
    const a = this.#archive.stats();
    let archivedEntries = 0;
    for (const b of this.#archive.blocks()) archivedEntries += b.header?.count ?? 0;
    let activeBytes = 0;
    for (const e of this.#active) activeBytes += 112 + (e.label ? e.label.length * 2 + 24 : 0);
    const recentBytes = this.#recent.reduce((s, x) => s + x.bytes.length, 0);
    let total = 0;
    for (const n of this.#refs.values()) total += n;
    return {
      at: this.#clock(),
      stages: {
        active: { entries: this.#active.length, bytes: activeBytes },
        recent: { entries: this.#recentEntries, bytes: recentBytes, segments: this.#recent.length },
        archived: { entries: archivedEntries, bytes: a.bytes, blocks: a.blocks, maxBytes: this.#cfg.maxArchivedBytes, corruptBlocks: a.corruptBlocks },
      },
      totalBytes: activeBytes + recentBytes + a.bytes,
      references: { entries: this.#refs.size, total },
    };
  }

  stats(): EmotionStats {
    const m = this.monitor();
    const a = this.#archive.stats();
    const recentJson = this.#recent.reduce((s, x) => s + x.jsonBytes, 0);
    let archJson = 0;
    let archBytes = 0;
    for (const b of this.#archive.blocks()) {
      const meta = b.header?.meta;
      if (isArchivedMeta(meta)) {
        archJson += meta.jsonBytes;
        archBytes += b.bytes;
      }
    }
    return {
      ...m,
      compression: {
        recentRatio: m.stages.recent.bytes > 0 ? recentJson / m.stages.recent.bytes : 0,
        archivedRatio: archBytes > 0 ? archJson / archBytes : 0,
        moves: this.#moves,
      },
      access: { sets: this.#sets, gets: this.#gets, historyQueries: this.#historyQueries, blockReads: a.reads, cacheHits: a.cacheHits },
      cleanup: { runs: this.#cleanups.runs, lastMs: this.#cleanups.lastMs, totalMs: this.#cleanups.totalMs, entriesDropped: this.#dropped, bytesFreed: this.#bytesFreed },
      expiry: { runs: this.#expiryRuns, entriesExpired: this.#expired },
      problems: this.#archive.problems(),
    };
  }
}
