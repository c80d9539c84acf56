/**
 * EmotionManager: the current emotion and its history in three stages, each more compressed:
 *   active    the newest entries (activeSize, the current emotion last), plain objects;
 *   recent    compressed segments of recentSegmentSize entries (column codecs, no brotli:
 *             quick to decode), in memory, at most maxRecentEntries entries;
 *   archived  each move of archiveBlockEntries entries is split by importance into
 *             archiveTiers blocks (column codecs + brotli 11; each block in id order, its
 *             importance range in its metadata), stored in the BlobStore under
 *             `<prefix>/archive/b/`, indexed by time, id and importance range;
 * then cleanup: above maxArchivedBytes the least important archived entries are dropped
 * (emotionImportance.ts) down to cleanupThreshold × maxArchivedBytes. Cleanup locates the
 * importance threshold with the blocks' importance ranges, deletes the blocks that lie wholly
 * below it unread and re-encodes only the blocks that straddle it; it records the threshold
 * at `<prefix>/cleanup` before deleting anything, so reopening after a crash finishes it.
 * Entries older than ttlMs expire from every stage. Entries with a positive reference count
 * (retain/release) are never dropped by cleanup or expiry, and the current emotion never
 * expires. monitor() reports the bytes of each stage.
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
import type { FloatCodecName } from './codec/floatColumn.js';
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
    maxRecentEntries: z.number().int().min(1).max(1 << 20).default(4096),
    /** Entries a move to the archive takes from the recent stage. */
    archiveBlockEntries: z.number().int().min(1).max(1 << 20).default(4096),
    /** A move is split by importance into this many blocks (at least MIN_TIER_ENTRIES entries each). */
    archiveTiers: z.number().int().min(1).max(256).default(32),
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
  /** Bounds of the stored importances (with a margin beyond the declared precision); absent in older blocks. */
  readonly impLo?: number;
  readonly impHi?: number;
  readonly replaces?: readonly number[];
  /**
   * A cleanup re-encodes the survivors of the blocks it cuts into `size` blocks sorted by
   * importance, each naming all the blocks they replace; `key` is the lowest replaced id.
   * Reopening drops an incomplete group while every block it replaces is still there.
   */
  readonly group?: { readonly key: number; readonly size: number };
}

interface CleanupPlan {
  readonly threshold: CleanupIntent;
  /** Blocks whose entries all go. */
  readonly whole: readonly BlockInfo[];
  /** Blocks that lose some entries, decoded. */
  readonly partial: { info: BlockInfo; entries: EmotionEntry[] }[];
  /** The float codecs the partial blocks used: the survivors are re-encoded with these (and raw). */
  readonly floatCodecs: FloatCodecName[];
}

/** The threshold of a cleanup: entries ranked at or below (importance, id) go. */
interface CleanupIntent {
  readonly importance: number;
  readonly id: number;
}

const FLOAT_CODECS: ReadonlySet<string> = new Set<FloatCodecName>(['raw', 'gorilla', 'chimp', 'xor-ac', 'decimal']);

/** The smallest block a move is split into, and the smallest block of survivors a cleanup writes. */
const MIN_TIER_ENTRIES = 16;

/** Margin of the importance bounds in block metadata: beyond the declared precision (5·10⁻⁷). */
const IMP_MARGIN = 1e-6;

const SCHEMA: FieldSpec[] = [
  { name: 'id', type: 'int' },
  { name: 'valence', type: 'float' },
  { name: 'arousal', type: 'float' },
  { name: 'dominance', type: 'float' },
  { name: 'label', type: 'category' },
  { name: 'intensity', type: 'float' },
  { name: 'importance', type: 'float', maxError: 5e-7 },
];

/**
 * Intensity is stored only when it is not the default one (√(valence² + arousal²)/√2, which
 * decoding recomputes bit for bit from the losslessly stored valence and arousal): null marks it.
 */
function storedIntensity(e: EmotionEntry): number | null {
  return Object.is(e.intensity, defaultIntensity(e.valence, e.arousal)) ? null : e.intensity;
}

function encodeEntries(es: readonly EmotionEntry[], meta: unknown, brotli: boolean, floatCodecs?: FloatCodecName[]): Uint8Array {
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
        es.map(storedIntensity),
        es.map((e) => e.importance),
      ],
      meta,
    },
    brotli ? { entropy: 'auto', brotliQuality: 11, ...(floatCodecs ? { floatCodecs } : {}) } : { entropy: 'off' },
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
    const valence = valueAt(va!, i) as number;
    const arousal = valueAt(ar!, i) as number;
    const intensity = valueAt(int!, i) as number | null;
    out.push({
      id: valueAt(id!, i) as number,
      timestamp: block.timestamps[i]!,
      valence,
      arousal,
      ...(d !== null ? { dominance: d as number } : {}),
      ...(l !== null ? { label: l as string } : {}),
      intensity: intensity ?? defaultIntensity(valence, arousal),
      importance: valueAt(imp!, i) as number,
    });
  }
  return out;
}

/** How many of the sorted values are below x. */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How many of the sorted values are at most x. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
  readonly #intentKey: string;
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
    this.#intentKey = `${cfg.prefix}/cleanup`;
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
    await this.#archive.finishReplacements((m) =>
      isArchivedMeta(m) && m.replaces ? { replaces: m.replaces, ...(m.group ? { group: m.group } : {}) } : undefined,
    );
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
    await this.#finishInterruptedCleanup();
    if (this.#recentEntries > this.#cfg.maxRecentEntries) await this.#archiveRecent();
    if (this.#archive.totalBytes > this.#cfg.maxArchivedBytes) await this.#cleanup();
  }

  /** A cleanup records its threshold before deleting anything: finish one a crash left half done. */
  async #finishInterruptedCleanup(): Promise<void> {
    const bytes = await this.#store.get(this.#intentKey);
    if (!bytes) return;
    let intent: CleanupIntent | undefined;
    try {
      const o = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<CleanupIntent>;
      if (typeof o.importance === 'number' && Number.isFinite(o.importance) && Number.isSafeInteger(o.id)) intent = { importance: o.importance, id: o.id! };
    } catch {
      // reported below
    }
    if (intent) await this.#evict(intent);
    else this.#archive.report(this.#intentKey, 'unreadable cleanup record: ignored');
    await this.#store.delete(this.#intentKey);
    // The interrupted cleanup may have had rounds to go: finish down to the threshold.
    if (this.#archive.totalBytes > Math.floor(this.#cfg.cleanupThreshold * this.#cfg.maxArchivedBytes)) await this.#cleanup();
  }

  #check(): void {
    if (this.#closed) throw new ArchiveClosedError('EmotionManager');
  }

  #segment(es: EmotionEntry[]): Segment {
    return {
      bytes: encodeEntries(es, undefined, false),
      count: es.length,
      minId: es[0]!.id,
      maxId: es.at(-1)!.id,
      minTs: Math.min(...es.map((e) => e.timestamp)),
      maxTs: Math.max(...es.map((e) => e.timestamp)),
      jsonBytes: jsonSize(es),
    };
  }

  #addSegment(es: EmotionEntry[]): void {
    if (es.length === 0) return;
    this.#recent.push(this.#segment(es));
    this.#recentEntries += es.length;
  }

  /**
   * Splits a move by importance into parts of 1/archiveTiers of its entries, each in id order.
   * The cut points are shifted by a fraction that varies from move to move (golden-ratio
   * sequence on the move's first id): with a steady flow of emotions, the same tier of every
   * move would otherwise span the same importance range, and one cleanup would cut them all.
   */
  #tiers(es: readonly EmotionEntry[]): EmotionEntry[][] {
    const k = Math.max(1, Math.min(this.#cfg.archiveTiers, Math.floor(es.length / MIN_TIER_ENTRIES)));
    if (k === 1) return [[...es]];
    const ranked = [...es].sort((a, b) => a.importance - b.importance || a.id - b.id);
    const shift = (es[0]!.id * 0.6180339887498949) % 1;
    const cuts = [0];
    for (let i = 1; i < k; i++) {
      const c = Math.round(((i + shift) * es.length) / k);
      if (c > cuts.at(-1)!) cuts.push(c);
    }
    if (cuts.at(-1)! < es.length) cuts.push(es.length);
    const out: EmotionEntry[][] = [];
    for (let i = 1; i < cuts.length; i++) out.push(ranked.slice(cuts[i - 1], cuts[i]).sort((a, b) => a.id - b.id));
    return out;
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

  /**
   * Moves the oldest recent segments (archiveBlockEntries entries or more) into the archive:
   * archiveTiers blocks, split by importance. When a put fails, the entries not yet archived
   * go back to the front of the recent stage.
   */
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
      const archived = new Set<number>();
      try {
        for (const tier of this.#tiers(es)) {
          await this.#archive.add(encodeEntries(tier, this.#metaFor(tier), true));
          for (const e of tier) archived.add(e.id);
        }
      } catch (err) {
        if (archived.size === 0) this.#recent.unshift(...take);
        else {
          const rest = es.filter((e) => !archived.has(e.id));
          const segs: Segment[] = [];
          for (let i = 0; i < rest.length; i += this.#cfg.recentSegmentSize) segs.push(this.#segment(rest.slice(i, i + this.#cfg.recentSegmentSize)));
          this.#recent.unshift(...segs);
          this.#recentEntries -= archived.size;
        }
        throw err;
      }
      this.#recentEntries -= n;
      this.#moves++;
    }
    await this.#writeLive();
    if (this.#archive.totalBytes > this.#cfg.maxArchivedBytes) await this.#cleanup();
  }

  #metaFor(es: readonly EmotionEntry[], replaces?: number[], group?: ArchivedMeta['group'], jsonBytes?: number): ArchivedMeta {
    let idMin = Number.POSITIVE_INFINITY;
    let idMax = Number.NEGATIVE_INFINITY;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const e of es) {
      if (e.id < idMin) idMin = e.id;
      if (e.id > idMax) idMax = e.id;
      if (e.importance < lo) lo = e.importance;
      if (e.importance > hi) hi = e.importance;
    }
    return {
      kind: 'emotions',
      idMin,
      idMax,
      jsonBytes: jsonBytes ?? jsonSize(es),
      impLo: lo - IMP_MARGIN,
      impHi: hi + IMP_MARGIN,
      ...(replaces ? { replaces } : {}),
      ...(group ? { group } : {}),
    };
  }

  /** The importance range a block's entries lie in (anything, for a block without bounds). */
  #bounds(b: BlockInfo): { lo: number; hi: number } {
    const m = b.header?.meta;
    if (isArchivedMeta(m) && typeof m.impLo === 'number' && typeof m.impHi === 'number') return { lo: m.impLo, hi: m.impHi };
    return { lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY };
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
    floatCodecs?: FloatCodecName[],
  ): Promise<{ removed: number; blocks: { info: BlockInfo; entries: EmotionEntry[] }[] }> {
    let removed = 0;
    const out: { info: BlockInfo; entries: EmotionEntry[] }[] = [];
    let acc: EmotionEntry[] = [];
    let accBlocks: BlockInfo[] = [];
    const emit = async (): Promise<void> => {
      if (accBlocks.length === 0) return;
      if (acc.length > 0) {
        acc.sort((a, b) => a.id - b.id);
        const info = await this.#archive.add(encodeEntries(acc, this.#metaFor(acc, accBlocks.map((b) => b.id)), true, floatCodecs));
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
    // Each round: find the threshold, record it, drop the blocks below it whole and re-encode
    // the ones that straddle it. One round is the rule; another runs only when re-encoded
    // survivors took more bytes than estimated.
    for (let round = 0; round < 8 && this.#archive.totalBytes > target; round++) {
      // A margin (1 % of the bound) for what re-encoded survivors cost beyond their share.
      const plan = await this.#plan(this.#archive.totalBytes - target + 0.01 * this.#cfg.maxArchivedBytes);
      if (!plan) break;
      await this.#store.put(this.#intentKey, Buffer.from(JSON.stringify(plan.threshold)));
      await this.#apply(plan);
      await this.#store.delete(this.#intentKey);
    }
  }

  /**
   * The lowest threshold (importance, id) whose eviction frees about `excess` bytes — entries
   * ranked least important first, oldest on ties, referenced ones never — and what it does to
   * each block. Each block's importance range (metadata) locates the threshold; only the
   * blocks whose range contains it are decoded (they are the ones to re-encode), every block
   * wholly below it is deleted without being read. Each entry counts at its block's bytes per
   * entry.
   */
  async #plan(excess: number): Promise<CleanupPlan | undefined> {
    interface Cand {
      readonly info: BlockInfo;
      readonly lo: number;
      readonly hi: number;
      readonly per: number;
      /** Decoded: its entries, the importances of the unreferenced ones sorted. */
      dec?: { entries: EmotionEntry[]; sorted: Float64Array; codecs: string[] };
    }
    const refs = this.#refs;
    const hasRef = (m: unknown): boolean => {
      if (refs.size === 0) return false;
      if (!isArchivedMeta(m)) return true;
      for (const id of refs.keys()) if (id >= m.idMin && id <= m.idMax) return true;
      return false;
    };
    const cands: Cand[] = [];
    for (const b of this.#archive.blocks()) {
      if (b.corrupt || !b.header || b.header.count === 0) continue;
      const { lo, hi } = this.#bounds(b);
      cands.push({ info: b, lo, hi, per: b.bytes / b.header.count });
    }
    const decode = async (c: Cand): Promise<void> => {
      let entries: EmotionEntry[] = [];
      const codecs: string[] = [];
      try {
        const block = await this.#archive.read(c.info);
        entries = entriesOf(block);
        for (const col of block.columns.values()) if (col.field.type === 'float') codecs.push(col.codec);
      } catch (err) {
        if (!(err instanceof CorruptBlockError)) throw err;
      }
      const imps: number[] = [];
      for (const e of entries) if (!refs.has(e.id)) imps.push(e.importance);
      c.dec = { entries, sorted: Float64Array.from(imps).sort(), codecs };
    };
    // Estimated bytes freed by evicting everything below x: exact for decoded blocks, and for
    // the others as if their entries were spread evenly over their importance range.
    const estimate = (x: number): number => {
      let f = 0;
      for (const c of cands) {
        if (c.dec) f += c.per * lowerBound(c.dec.sorted, x);
        else if (c.hi < x) f += c.info.bytes;
        else if (c.lo < x) f += c.info.bytes * (Number.isFinite(c.hi - c.lo) ? (x - c.lo) / (c.hi - c.lo) : 0.5);
      }
      return f;
    };
    for (;;) {
      // Locate the threshold by bisection on the estimate.
      let a = 0;
      let b = 1;
      for (const c of cands) {
        const lo = c.dec ? (c.dec.sorted[0] ?? Number.POSITIVE_INFINITY) : c.lo;
        const hi = c.dec ? (c.dec.sorted.at(-1) ?? Number.NEGATIVE_INFINITY) : c.hi;
        if (Number.isFinite(lo) && lo < a) a = lo;
        if (Number.isFinite(hi) && hi > b) b = hi;
      }
      b = b + 1;
      if (estimate(b) < excess) a = b;
      for (let i = 0; i < 60 && a < b; i++) {
        const mid = a + (b - a) / 2;
        if (mid === a || mid === b) break;
        if (estimate(mid) >= excess) b = mid;
        else a = mid;
      }
      const x = b;
      // Blocks to read: the undecoded ones whose range holds x, and those below it that hold a referenced entry.
      const todo = cands.filter((c) => !c.dec && c.lo <= x && (c.hi >= x || hasRef(c.info.header?.meta)));
      if (todo.length > 0) {
        for (const c of todo) await decode(c);
        continue;
      }
      // No undecoded range holds x: in (H, L) every undecoded block is wholly below or above.
      let H = Number.NEGATIVE_INFINITY;
      let L = Number.POSITIVE_INFINITY;
      let base = 0;
      for (const c of cands) {
        if (c.dec) continue;
        if (c.hi < x) {
          H = Math.max(H, c.hi);
          base += c.info.bytes;
        } else L = Math.min(L, c.lo);
      }
      const keys: { imp: number; id: number; c: Cand }[] = [];
      for (const c of cands) {
        if (!c.dec) continue;
        base += c.per * upperBound(c.dec.sorted, H);
        for (const e of c.dec.entries) if (e.importance > H && e.importance < L && !refs.has(e.id)) keys.push({ imp: e.importance, id: e.id, c });
      }
      if (base >= excess && Number.isFinite(H)) {
        // The threshold lies lower: read the blocks that end highest below x.
        for (const c of cands) if (!c.dec && c.hi === H) await decode(c);
        continue;
      }
      keys.sort((p, q) => p.imp - q.imp || p.id - q.id);
      let cut = -1;
      let freed = base;
      for (let i = 0; i < keys.length; i++) {
        freed += keys[i]!.c.per;
        if (freed >= excess) {
          cut = i;
          break;
        }
      }
      if (cut < 0 && Number.isFinite(L)) {
        // Not enough below L: read the blocks that start there.
        for (const c of cands) if (!c.dec && c.lo === L) await decode(c);
        continue;
      }
      if (cut < 0) cut = keys.length - 1;
      let threshold: CleanupIntent;
      if (cut >= 0) threshold = { importance: keys[cut]!.imp, id: keys[cut]!.id };
      else if (Number.isFinite(H)) threshold = { importance: H, id: Number.MAX_SAFE_INTEGER };
      else return undefined;
      // What the threshold does to each block.
      const goes = (imp: number, id: number): boolean => (imp < threshold.importance || (imp === threshold.importance && id <= threshold.id)) && !refs.has(id);
      const whole: BlockInfo[] = [];
      const partial: { info: BlockInfo; entries: EmotionEntry[] }[] = [];
      const codecs = new Set<FloatCodecName>();
      for (const c of cands) {
        if (!c.dec) {
          if (c.hi < x) whole.push(c.info);
          continue;
        }
        let v = 0;
        for (const e of c.dec.entries) if (goes(e.importance, e.id)) v++;
        if (v === 0) continue;
        if (v === c.dec.entries.length && v === c.info.header!.count) whole.push(c.info);
        else {
          partial.push({ info: c.info, entries: c.dec.entries });
          for (const k of c.dec.codecs) if (FLOAT_CODECS.has(k)) codecs.add(k as FloatCodecName);
        }
      }
      if (whole.length === 0 && partial.length === 0) return undefined;
      return { threshold, whole, partial, floatCodecs: [...codecs] };
    }
  }

  /**
   * Carries out a plan: deletes the blocks wholly below the threshold, then re-encodes the
   * survivors of the blocks that straddle it, sorted by importance into blocks of
   * archiveBlockEntries / archiveTiers entries (each in id order), so that a later cleanup
   * cuts few of them. The new blocks form a group naming every block they replace; the old
   * ones are deleted only once the whole group is stored.
   */
  async #apply(plan: CleanupPlan): Promise<void> {
    const t = plan.threshold;
    for (const b of plan.whole) {
      await this.#archive.remove(b);
      this.#bytesFreed += b.bytes;
      this.#dropped += b.header!.count;
    }
    if (plan.partial.length === 0) return;
    const keep = (e: EmotionEntry): boolean => this.#refs.has(e.id) || e.importance > t.importance || (e.importance === t.importance && e.id > t.id);
    let before = 0;
    const survivors: EmotionEntry[] = [];
    // JSON size of a survivor: its block's average (stringifying them all would cost a tenth of the cleanup).
    const json = new Map<number, number>();
    for (const p of plan.partial) {
      before += p.entries.length;
      const m = p.info.header?.meta;
      const per = isArchivedMeta(m) && p.entries.length > 0 ? m.jsonBytes / p.entries.length : undefined;
      for (const e of p.entries) {
        if (!keep(e)) continue;
        survivors.push(e);
        json.set(e.id, per ?? jsonSize([e]));
      }
    }
    survivors.sort((a, b) => a.importance - b.importance || a.id - b.id);
    const size = Math.max(MIN_TIER_ENTRIES, Math.ceil(this.#cfg.archiveBlockEntries / this.#cfg.archiveTiers));
    const parts = Math.ceil(survivors.length / size);
    const replaces = plan.partial.map((p) => p.info.id).sort((a, b) => a - b);
    const group = { key: replaces[0]!, size: parts };
    for (let i = 0; i < parts; i++) {
      const chunk = survivors.slice(Math.floor((i * survivors.length) / parts), Math.floor(((i + 1) * survivors.length) / parts)).sort((a, b) => a.id - b.id);
      let jsonBytes = 0;
      for (const e of chunk) jsonBytes += json.get(e.id)!;
      await this.#archive.add(encodeEntries(chunk, this.#metaFor(chunk, replaces, group, Math.round(jsonBytes)), true, plan.floatCodecs));
    }
    for (const p of plan.partial) {
      await this.#archive.remove(p.info);
      this.#bytesFreed += p.info.bytes;
    }
    this.#dropped += before - survivors.length;
  }

  /**
   * Finishes a cleanup a crash interrupted (on reopening, so no references): the plan of its
   * threshold over the blocks that are left — those wholly below it go, the ones it cuts are
   * re-encoded as #apply does.
   */
  async #evict(t: CleanupIntent): Promise<void> {
    const goes = (imp: number, id: number): boolean => imp < t.importance || (imp === t.importance && id <= t.id);
    const whole: BlockInfo[] = [];
    const partial: { info: BlockInfo; entries: EmotionEntry[] }[] = [];
    const codecs = new Set<FloatCodecName>();
    for (const b of this.#archive.blocks()) {
      if (b.corrupt || !b.header || this.#bounds(b).lo > t.importance) continue;
      let block;
      try {
        block = await this.#archive.read(b);
      } catch (err) {
        if (!(err instanceof CorruptBlockError)) throw err;
        continue;
      }
      const entries = entriesOf(block);
      let v = 0;
      for (const e of entries) if (goes(e.importance, e.id)) v++;
      if (v === 0) continue;
      if (v === entries.length) whole.push(b);
      else {
        partial.push({ info: b, entries });
        for (const c of block.columns.values()) if (c.field.type === 'float' && FLOAT_CODECS.has(c.codec)) codecs.add(c.codec as FloatCodecName);
      }
    }
    await this.#apply({ threshold: t, whole, partial, floatCodecs: [...codecs] });
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
    // A move's tiers share its id range: find the block by its id column, then decode that one.
    for (const b of this.#archive.blocks()) {
      const m = b.header?.meta;
      if (!isArchivedMeta(m) || id < m.idMin || id > m.idMax) continue;
      const ids = (await this.#archive.readFields(b, ['id'])).columns.get('id')?.values;
      if (ids instanceof Float64Array && !ids.includes(id)) continue;
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
