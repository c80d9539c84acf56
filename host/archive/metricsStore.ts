/**
 * MetricsStore: consciousness metrics in a circular buffer of recent records; when the buffer
 * reaches maxRecentSize records, its oldest records (compressionThreshold of the buffer) are
 * encoded into archive blocks, one block per priority class, so that cleanup can drop whole
 * blocks of the lowest class without re-encoding anything. The archive is kept at or below
 * maxArchiveSize bytes: when a move takes it above, cleanup removes blocks (corrupt ones,
 * then the lowest class, oldest first) until it is at or below cleanupThreshold ×
 * maxArchiveSize. Queries by time range and by field read both the buffer and the archive.
 *
 * Persistence (BlobStore): archive blocks under `<prefix>/b/`, and the buffer as one block at
 * `<prefix>/recent`, rewritten at every move, flush() and close(). A move writes its blocks
 * first and the buffer after, so a crash in between leaves records in both; reopening drops
 * from the buffer every record whose sequence number an archive block holds. Records appended
 * after the last write of the buffer are lost by a crash (call flush() to make them durable).
 */
import { z } from 'zod';
import type { BlobStore } from '../storage/blobStore.js';
import { checkBlobKey } from '../storage/blobStore.js';
import { BlockArchive, type BlockInfo, CleanupTimes, type CorruptionReport, SerialQueue } from './blockArchive.js';
import { type DecodedBlock, type EncodeOptions, decodeBlock, encodeBlock, encodeOptionsSchema, valueAt } from './codec/block.js';
import type { FieldSpec, Value } from './codec/schema.js';
import { TIMESTAMP_LIMIT } from './codec/timestampColumn.js';
import { ArchiveClosedError, ArchiveInputError, BlockFormatError, CorruptBlockError } from './errors.js';
import { PRIORITY_CLASSES, priorityClass, priorityConfigSchema, priorityFlags } from './metricsPriority.js';
import { parseInput } from './validate.js';

const finite = z.number().finite();
/** Extra fields are stored as `x.<name>`, within the codec's 128-character field names. */
const EXTRA_NAME = /^[\p{L}\p{N}_.:/-]{1,120}$/u;
const timestamp = z.number().int().min(-TIMESTAMP_LIMIT).max(TIMESTAMP_LIMIT);

export const metricRecordSchema = z
  .object({
    /** Milliseconds since the epoch (any integer clock works). */
    timestamp,
    phi: finite,
    valence: finite.min(-1).max(1),
    arousal: finite.min(0).max(1),
    attentionFocus: z.string().min(1).max(256),
    attentionIntensity: finite.min(0).max(1).optional(),
    metacognitionLevel: z.number().int().min(0).max(1_000_000),
    /** Free extra fields: numbers or categories (strings); a field keeps its kind for the store's life. */
    extra: z
      .record(z.string().regex(EXTRA_NAME, 'extra field names are 1–120 letters, digits or _ . : / -'), z.union([finite, z.string().max(1024)]))
      .refine((r) => Object.keys(r).length <= 64, { message: 'at most 64 extra fields' })
      .optional(),
  })
  .strict();
export type MetricRecord = z.input<typeof metricRecordSchema>;

/** A record as stored: with its sequence number (arrival order) and priority flags. */
export interface StoredMetric {
  readonly seq: number;
  /** Bit set of the priorities met (metricsPriority.ts); the class is their count. */
  readonly flags: number;
  readonly timestamp: number;
  readonly phi: number;
  readonly valence: number;
  readonly arousal: number;
  readonly attentionFocus: string;
  readonly attentionIntensity?: number;
  readonly metacognitionLevel: number;
  readonly extra?: Readonly<Record<string, number | string>>;
}

export const metricsStoreConfigSchema = z
  .object({
    /** Key prefix in the BlobStore. */
    prefix: z.string().default('archive/metrics'),
    /** Capacity of the recent buffer, in records; reaching it moves records to the archive. */
    maxRecentSize: z.number().int().min(1).max(1 << 20).default(1024),
    /** Upper bound of the archive, in bytes of stored blocks. */
    maxArchiveSize: z.number().int().min(4096).default(16 << 20),
    /** Fraction of the buffer moved to the archive when it is full (1: all of it). */
    compressionThreshold: z.number().gt(0).max(1).default(1),
    /** Cleanup frees the archive down to this fraction of maxArchiveSize. */
    cleanupThreshold: z.number().gt(0).max(1).default(0.8),
    priority: priorityConfigSchema.default(priorityConfigSchema.parse({})),
    /** Declared precision per numeric field (phi, valence, arousal, attentionIntensity, x.<extra>): lossy, bounded. */
    precision: z.record(z.string(), z.number().positive().finite()).default({}),
    encode: encodeOptionsSchema.default(encodeOptionsSchema.parse({})),
    /** Decoded blocks kept for repeated queries. */
    cacheBlocks: z.number().int().min(0).max(1024).default(4),
  })
  .strict();
export type MetricsStoreConfig = z.input<typeof metricsStoreConfigSchema>;

export const metricsQuerySchema = z
  .object({
    from: timestamp.optional(),
    to: timestamp.optional(),
    /** Only records of at least this priority class. */
    minClass: z.number().int().min(0).max(4).optional(),
    limit: z.number().int().positive().optional(),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: 'from must be ≤ to' });
export type MetricsQuery = z.input<typeof metricsQuerySchema>;

export interface QueryResult<T> {
  readonly records: T[];
  /** Blocks that overlapped the query but could not be read. */
  readonly corrupt: CorruptionReport[];
  readonly blocksRead: number;
}

export interface SeriesResult {
  readonly timestamps: number[];
  readonly seqs: number[];
  readonly values: Value[];
  readonly corrupt: CorruptionReport[];
}

interface BlockMeta {
  readonly kind: 'metrics';
  readonly cls: number;
  readonly seqMin: number;
  readonly seqMax: number;
  readonly jsonBytes: number;
}

interface RecentMeta {
  readonly kind: 'metrics-recent';
  readonly nextSeq: number;
  readonly last: StoredMetric | null;
}

export interface MetricsStoreStats {
  readonly recent: { readonly records: number; readonly capacity: number; readonly approxBytes: number };
  readonly archive: {
    readonly blocks: number;
    readonly records: number;
    readonly bytes: number;
    readonly maxBytes: number;
    /** Bytes the archived records take as JSON. */
    readonly jsonBytes: number;
    /** jsonBytes / bytes. */
    readonly compressionRatio: number;
    readonly corruptBlocks: number;
    readonly byClass: readonly { readonly cls: number; readonly blocks: number; readonly records: number; readonly bytes: number }[];
  };
  readonly access: {
    readonly appends: number;
    readonly queries: number;
    readonly recordsReturned: number;
    readonly blockReads: number;
    readonly cacheHits: number;
    readonly cacheMisses: number;
  };
  readonly compression: { readonly moves: number; readonly recordsArchived: number; readonly lastMoveMs: number; readonly totalMoveMs: number };
  readonly cleanup: {
    readonly runs: number;
    readonly lastMs: number;
    readonly totalMs: number;
    readonly bytesFreed: number;
    readonly blocksDropped: number;
    readonly recordsDropped: number;
    readonly droppedByClass: readonly number[];
  };
  readonly problems: readonly CorruptionReport[];
}

const BASE_FIELDS = ['seq', 'flags', 'phi', 'valence', 'arousal', 'attention', 'attentionIntensity', 'metacognition'] as const;

function isBlockMeta(m: unknown): m is BlockMeta {
  const o = m as BlockMeta | undefined;
  return !!o && o.kind === 'metrics' && Number.isInteger(o.cls) && Number.isFinite(o.seqMin) && Number.isFinite(o.seqMax);
}

export class MetricsStore {
  readonly #store: BlobStore;
  readonly #cfg: z.output<typeof metricsStoreConfigSchema>;
  readonly #archive: BlockArchive;
  readonly #recentKey: string;
  readonly #queue = new SerialQueue();
  readonly #ring: (StoredMetric | undefined)[];
  #head = 0;
  #size = 0;
  #nextSeq = 1;
  #last: StoredMetric | undefined;
  readonly #extraKinds = new Map<string, 'float' | 'category'>();
  #closed = false;
  #recovering = false;
  // Monitoring.
  #appends = 0;
  #queries = 0;
  #returned = 0;
  #moves = 0;
  #archived = 0;
  #lastMoveMs = 0;
  #totalMoveMs = 0;
  readonly #cleanups = new CleanupTimes();
  #bytesFreed = 0;
  #blocksDropped = 0;
  #recordsDropped = 0;
  readonly #droppedByClass = new Array<number>(PRIORITY_CLASSES).fill(0);

  private constructor(store: BlobStore, cfg: z.output<typeof metricsStoreConfigSchema>) {
    this.#store = store;
    this.#cfg = cfg;
    this.#archive = new BlockArchive(store, cfg.prefix, cfg.cacheBlocks);
    this.#recentKey = `${cfg.prefix}/recent`;
    this.#ring = new Array(cfg.maxRecentSize);
  }

  /** Opens (or creates) the store under `prefix`, recovering what a previous run left. */
  static async open(store: BlobStore, config: MetricsStoreConfig = {}): Promise<MetricsStore> {
    const cfg = parseInput(metricsStoreConfigSchema, config, 'MetricsStore config');
    try {
      checkBlobKey(`${cfg.prefix}/recent`);
    } catch (err) {
      throw new ArchiveInputError('MetricsStore config', [{ path: 'prefix', message: (err as Error).message }]);
    }
    const s = new MetricsStore(store, cfg);
    await s.#recover();
    return s;
  }

  get config(): Readonly<z.output<typeof metricsStoreConfigSchema>> {
    return this.#cfg;
  }

  async #recover(): Promise<void> {
    await this.#archive.open();
    let maxSeq = 0;
    for (const b of this.#archive.blocks()) {
      const meta = b.header?.meta;
      if (isBlockMeta(meta)) maxSeq = Math.max(maxSeq, meta.seqMax);
      for (const f of b.header?.schema ?? []) this.#learnExtra(f);
    }
    let buffered: StoredMetric[] = [];
    let meta: RecentMeta | undefined;
    const bytes = await this.#store.get(this.#recentKey);
    if (bytes) {
      try {
        const block = decodeBlock(bytes);
        meta = block.header.meta as RecentMeta;
        for (const f of block.header.schema) this.#learnExtra(f);
        buffered = rowsOf(block);
      } catch (err) {
        if (!(err instanceof CorruptBlockError || err instanceof BlockFormatError)) throw err;
        // The buffer snapshot is unreadable: the archive stays, the buffered records are lost.
        this.#archive.report(this.#recentKey, err.message);
      }
    }
    // Records that a move archived before the crash are dropped from the buffer.
    if (buffered.length > 0) {
      const lo = buffered[0]!.seq;
      const archived = new Set<number>();
      for (const b of this.#archive.blocks()) {
        const m = b.header?.meta;
        if (!isBlockMeta(m) || m.seqMax < lo) continue;
        try {
          const block = await this.#archive.read(b, ['seq']);
          const seqs = block.columns.get('seq')!.values as Float64Array;
          for (const s of seqs) archived.add(s);
        } catch (err) {
          if (!(err instanceof CorruptBlockError)) throw err;
        }
      }
      buffered = buffered.filter((r) => !archived.has(r.seq));
    }
    for (const r of buffered) maxSeq = Math.max(maxSeq, r.seq);
    this.#nextSeq = Math.max(maxSeq + 1, meta?.kind === 'metrics-recent' && Number.isSafeInteger(meta.nextSeq) ? meta.nextSeq : 1);
    this.#last = buffered.at(-1) ?? (meta?.last ? meta.last : undefined);
    // The capacity may have shrunk since the last run: archive what does not fit, and write
    // the buffer once at the end (the old snapshot covers a crash in between).
    this.#recovering = true;
    try {
      for (const r of buffered) {
        this.#push(r);
        if (this.#size >= this.#cfg.maxRecentSize) await this.#move();
      }
    } finally {
      this.#recovering = false;
    }
    if (this.#moves > 0) await this.#writeRecent();
    if (this.#archive.totalBytes > this.#cfg.maxArchiveSize) await this.#cleanup();
  }

  #learnExtra(f: FieldSpec): void {
    if (f.name.startsWith('x.')) this.#extraKinds.set(f.name.slice(2), f.type === 'category' ? 'category' : 'float');
  }

  #push(r: StoredMetric): void {
    const cap = this.#cfg.maxRecentSize;
    this.#ring[(this.#head + this.#size) % cap] = r;
    this.#size++;
  }

  /** The buffered records, oldest first. */
  #recent(): StoredMetric[] {
    const out: StoredMetric[] = [];
    const cap = this.#cfg.maxRecentSize;
    for (let i = 0; i < this.#size; i++) out.push(this.#ring[(this.#head + i) % cap]!);
    return out;
  }

  #check(): void {
    if (this.#closed) throw new ArchiveClosedError('MetricsStore');
  }

  /**
   * Appends a record. When the buffer reaches maxRecentSize, its oldest records move to the
   * archive before the promise resolves. A bad record throws ArchiveInputError and changes
   * nothing. A storage error during the move rejects the promise with the record kept in the
   * buffer; the move is retried by the next append (which is refused while it keeps failing).
   */
  append(record: MetricRecord): Promise<StoredMetric> {
    this.#check();
    const r = parseInput(metricRecordSchema, record, 'metric record');
    if (r.extra) {
      for (const [k, v] of Object.entries(r.extra)) {
        const kind = typeof v === 'number' ? 'float' : 'category';
        const known = this.#extraKinds.get(k);
        if (known && known !== kind) {
          throw new ArchiveInputError('metric record', [{ path: `extra.${k}`, message: `field '${k}' holds ${known === 'float' ? 'numbers' : 'strings'} in this store` }]);
        }
      }
    }
    return this.#queue.run(async () => {
      this.#check();
      // A move that failed earlier (storage error) left the buffer full: retry it first, and
      // refuse the record if it fails again, so nothing buffered is ever overwritten.
      if (this.#size >= this.#cfg.maxRecentSize) await this.#move();
      if (r.extra) for (const [k, v] of Object.entries(r.extra)) this.#extraKinds.set(k, typeof v === 'number' ? 'float' : 'category');
      const stored: StoredMetric = {
        seq: this.#nextSeq++,
        flags: priorityFlags(this.#last, r, this.#cfg.priority),
        ...publicRecord(r),
      };
      this.#push(stored);
      this.#last = stored;
      this.#appends++;
      if (this.#size >= this.#cfg.maxRecentSize) await this.#move();
      return stored;
    });
  }

  #schemaFor(records: readonly StoredMetric[]): FieldSpec[] {
    const p = this.#cfg.precision;
    const f = (name: string, type: FieldSpec['type']): FieldSpec =>
      type === 'float' && p[name] !== undefined ? { name, type, maxError: p[name] } : { name, type };
    const schema: FieldSpec[] = [
      f('seq', 'int'),
      f('flags', 'int'),
      f('phi', 'float'),
      f('valence', 'float'),
      f('arousal', 'float'),
      f('attention', 'category'),
      f('attentionIntensity', 'float'),
      f('metacognition', 'int'),
    ];
    const extras = new Set<string>();
    for (const r of records) if (r.extra) for (const k of Object.keys(r.extra)) extras.add(k);
    for (const k of [...extras].sort()) {
      schema.push(f(`x.${k}`, this.#extraKinds.get(k) === 'category' ? 'category' : 'float'));
    }
    return schema;
  }

  #encode(records: readonly StoredMetric[], meta: unknown, encode: EncodeOptions): Uint8Array {
    const schema = this.#schemaFor(records);
    const columns: Value[][] = schema.map(() => new Array<Value>(records.length));
    records.forEach((r, i) => {
      columns[0]![i] = r.seq;
      columns[1]![i] = r.flags;
      columns[2]![i] = r.phi;
      columns[3]![i] = r.valence;
      columns[4]![i] = r.arousal;
      columns[5]![i] = r.attentionFocus;
      columns[6]![i] = r.attentionIntensity ?? null;
      columns[7]![i] = r.metacognitionLevel;
      for (let c = BASE_FIELDS.length; c < schema.length; c++) columns[c]![i] = r.extra?.[schema[c]!.name.slice(2)] ?? null;
    });
    return encodeBlock({ schema, timestamps: records.map((r) => r.timestamp), columns, meta }, encode);
  }

  async #writeRecent(): Promise<void> {
    const meta: RecentMeta = { kind: 'metrics-recent', nextSeq: this.#nextSeq, last: this.#last ?? null };
    await this.#store.put(this.#recentKey, this.#encode(this.#recent(), meta, { ...this.#cfg.encode, entropy: 'off' }));
  }

  /** Moves the oldest compressionThreshold of the buffer into the archive, one block per class. */
  async #move(): Promise<void> {
    const t0 = performance.now();
    const cap = this.#cfg.maxRecentSize;
    const count = Math.min(this.#size, Math.max(1, Math.ceil(this.#cfg.compressionThreshold * cap)));
    const moving = this.#recent().slice(0, count);
    const byClass: StoredMetric[][] = Array.from({ length: PRIORITY_CLASSES }, () => []);
    for (const r of moving) byClass[priorityClass(r.flags)]!.push(r);
    const added: BlockInfo[] = [];
    try {
      for (let cls = 0; cls < PRIORITY_CLASSES; cls++) {
        const recs = byClass[cls]!;
        if (recs.length === 0) continue;
        const meta: BlockMeta = {
          kind: 'metrics',
          cls,
          seqMin: recs[0]!.seq,
          seqMax: recs.at(-1)!.seq,
          jsonBytes: Buffer.byteLength(JSON.stringify(recs.map(publicRecord))),
        };
        added.push(await this.#archive.add(this.#encode(recs, meta, this.#cfg.encode)));
      }
    } catch (err) {
      // Undo the partial move so the records are not archived twice later.
      for (const b of added) await this.#archive.remove(b).catch(() => undefined);
      throw err;
    }
    for (let i = 0; i < count; i++) this.#ring[(this.#head + i) % cap] = undefined;
    this.#head = (this.#head + count) % cap;
    this.#size -= count;
    if (!this.#recovering) await this.#writeRecent();
    this.#moves++;
    this.#archived += count;
    this.#lastMoveMs = performance.now() - t0;
    this.#totalMoveMs += this.#lastMoveMs;
    if (this.#archive.totalBytes > this.#cfg.maxArchiveSize) await this.#cleanup();
  }

  /**
   * Frees the archive down to cleanupThreshold × maxArchiveSize: corrupt blocks first, then
   * the lowest priority class, oldest first within a class.
   */
  #cleanup(): Promise<number> {
    return this.#cleanups.time(() => this.#freeSpace());
  }

  async #freeSpace(): Promise<void> {
    const target = Math.floor(this.#cfg.cleanupThreshold * this.#cfg.maxArchiveSize);
    const rank = (b: BlockInfo): number => {
      if (b.corrupt) return -1;
      const m = b.header?.meta;
      return isBlockMeta(m) ? m.cls : -1;
    };
    const order = this.#archive.blocks().sort((a, b) => rank(a) - rank(b) || a.id - b.id);
    for (const b of order) {
      if (this.#archive.totalBytes <= target) break;
      const cls = rank(b);
      await this.#archive.remove(b);
      this.#bytesFreed += b.bytes;
      this.#blocksDropped++;
      if (cls >= 0) {
        this.#recordsDropped += b.header!.count;
        this.#droppedByClass[cls]! += b.header!.count;
      }
    }
  }

  /** Runs cleanup now (down to cleanupThreshold × maxArchiveSize); returns its duration in ms. */
  cleanup(): Promise<number> {
    this.#check();
    return this.#queue.run(() => this.#cleanup());
  }

  /** Makes the recent buffer durable. */
  flush(): Promise<void> {
    this.#check();
    return this.#queue.run(() => this.#writeRecent());
  }

  /** Flushes and closes; further calls throw ArchiveClosedError. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue.run(() => this.#writeRecent());
    this.#closed = true;
  }

  /**
   * Records with from ≤ timestamp ≤ to (both optional), from the buffer and the archive,
   * ordered by timestamp then arrival. Blocks that cannot be read are skipped and reported.
   */
  query(query: MetricsQuery = {}): Promise<QueryResult<StoredMetric>> {
    this.#check();
    const q = parseInput(metricsQuerySchema, query, 'metrics query');
    return this.#queue.run(async () => {
      this.#queries++;
      const from = q.from ?? Number.NEGATIVE_INFINITY;
      const to = q.to ?? Number.POSITIVE_INFINITY;
      const minClass = q.minClass ?? 0;
      const out: StoredMetric[] = [];
      const corrupt: CorruptionReport[] = [];
      let blocksRead = 0;
      for (const b of this.#archive.blocks()) {
        if (b.header && (b.header.maxTimestamp < from || b.header.minTimestamp > to || b.header.count === 0)) continue;
        const m = b.header?.meta;
        if (isBlockMeta(m) && m.cls < minClass) continue;
        try {
          const block = await this.#archive.read(b);
          blocksRead++;
          for (const r of rowsOf(block)) if (r.timestamp >= from && r.timestamp <= to) out.push(r);
        } catch (err) {
          if (!(err instanceof CorruptBlockError)) throw err;
          corrupt.push({ key: b.key, reason: err.message, at: Date.now() });
        }
      }
      for (const r of this.#recent()) {
        if (r.timestamp >= from && r.timestamp <= to && priorityClass(r.flags) >= minClass) out.push(r);
      }
      out.sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
      const records = q.limit !== undefined ? out.slice(0, q.limit) : out;
      this.#returned += records.length;
      return { records, corrupt, blocksRead };
    });
  }

  /**
   * One field over a time range: 'phi', 'valence', 'arousal', 'attentionFocus',
   * 'attentionIntensity', 'metacognitionLevel', 'flags' or an extra field by its name. Only
   * that column of each block is decoded (when the block is not cached).
   */
  series(field: string, range: { from?: number; to?: number } = {}): Promise<SeriesResult> {
    this.#check();
    const q = parseInput(metricsQuerySchema, range, 'metrics series range');
    const column = (
      { phi: 'phi', valence: 'valence', arousal: 'arousal', attentionFocus: 'attention', attentionIntensity: 'attentionIntensity', metacognitionLevel: 'metacognition', flags: 'flags' } as Record<string, string>
    )[field] ?? `x.${field}`;
    if (column.startsWith('x.') && !this.#extraKinds.has(field)) {
      throw new ArchiveInputError('metrics series', [{ path: 'field', message: `unknown field '${field}'` }]);
    }
    return this.#queue.run(async () => {
      this.#queries++;
      const from = q.from ?? Number.NEGATIVE_INFINITY;
      const to = q.to ?? Number.POSITIVE_INFINITY;
      const rows: { t: number; s: number; v: Value }[] = [];
      const corrupt: CorruptionReport[] = [];
      for (const b of this.#archive.blocks()) {
        if (b.header && (b.header.maxTimestamp < from || b.header.minTimestamp > to || b.header.count === 0)) continue;
        try {
          const block = await this.#archive.read(b, ['seq', column]);
          const seqs = block.columns.get('seq')!;
          const col = block.columns.get(column);
          for (let i = 0; i < block.header.count; i++) {
            const t = block.timestamps[i]!;
            if (t < from || t > to) continue;
            rows.push({ t, s: valueAt(seqs, i) as number, v: col ? valueAt(col, i) : null });
          }
        } catch (err) {
          if (!(err instanceof CorruptBlockError)) throw err;
          corrupt.push({ key: b.key, reason: err.message, at: Date.now() });
        }
      }
      for (const r of this.#recent()) {
        if (r.timestamp < from || r.timestamp > to) continue;
        const v = (r as unknown as Record<string, unknown>)[field];
        rows.push({ t: r.timestamp, s: r.seq, v: column.startsWith('x.') ? (r.extra?.[field] ?? null) : ((v as Value | undefined) ?? null) });
      }
      rows.sort((a, b) => a.t - b.t || a.s - b.s);
      this.#returned += rows.length;
      return { timestamps: rows.map((r) => r.t), seqs: rows.map((r) => r.s), values: rows.map((r) => r.v), corrupt };
    });
  }

  /** Corrupt blocks found so far (on open or on read). */
  problems(): readonly CorruptionReport[] {
    return this.#archive.problems();
  }

  stats(): MetricsStoreStats {
    const a = this.#archive.stats();
    const byClass = Array.from({ length: PRIORITY_CLASSES }, (_, cls) => ({ cls, blocks: 0, records: 0, bytes: 0 }));
    let records = 0;
    let jsonBytes = 0;
    let goodBytes = 0;
    for (const b of this.#archive.blocks()) {
      const m = b.header?.meta;
      if (!isBlockMeta(m)) continue;
      const c = byClass[m.cls];
      if (!c) continue;
      c.blocks++;
      c.records += b.header!.count;
      c.bytes += b.bytes;
      records += b.header!.count;
      jsonBytes += m.jsonBytes;
      goodBytes += b.bytes;
    }
    let approx = 0;
    for (const r of this.#recent()) approx += 96 + r.attentionFocus.length * 2 + (r.extra ? Object.keys(r.extra).length * 48 : 0);
    return {
      recent: { records: this.#size, capacity: this.#cfg.maxRecentSize, approxBytes: approx },
      archive: {
        blocks: a.blocks,
        records,
        bytes: a.bytes,
        maxBytes: this.#cfg.maxArchiveSize,
        jsonBytes,
        compressionRatio: goodBytes > 0 ? jsonBytes / goodBytes : 0,
        corruptBlocks: a.corruptBlocks,
        byClass,
      },
      access: {
        appends: this.#appends,
        queries: this.#queries,
        recordsReturned: this.#returned,
        blockReads: a.reads,
        cacheHits: a.cacheHits,
        cacheMisses: a.cacheMisses,
      },
      compression: { moves: this.#moves, recordsArchived: this.#archived, lastMoveMs: this.#lastMoveMs, totalMoveMs: this.#totalMoveMs },
      cleanup: {
        runs: this.#cleanups.runs,
        lastMs: this.#cleanups.lastMs,
        totalMs: this.#cleanups.totalMs,
        bytesFreed: this.#bytesFreed,
        blocksDropped: this.#blocksDropped,
        recordsDropped: this.#recordsDropped,
        droppedByClass: [...this.#droppedByClass],
      },
      problems: this.#archive.problems(),
    };
  }
}

/** The record as the user gave it (what JSON would store); an empty `extra` is left out. */
function publicRecord(r: MetricRecord): MetricRecord {
  return {
    timestamp: r.timestamp,
    phi: r.phi,
    valence: r.valence,
    arousal: r.arousal,
    attentionFocus: r.attentionFocus,
    ...(r.attentionIntensity !== undefined ? { attentionIntensity: r.attentionIntensity } : {}),
    metacognitionLevel: r.metacognitionLevel,
    ...(r.extra && Object.keys(r.extra).length > 0 ? { extra: { ...r.extra } } : {}),
  };
}

function rowsOf(block: DecodedBlock): StoredMetric[] {
  const col = (name: string) => block.columns.get(name);
  const seq = col('seq');
  const flags = col('flags');
  const phi = col('phi');
  const valence = col('valence');
  const arousal = col('arousal');
  const attention = col('attention');
  const intensity = col('attentionIntensity');
  const meta = col('metacognition');
  if (!seq || !flags || !phi || !valence || !arousal || !attention || !meta) {
    throw new CorruptBlockError('not a metrics block (missing columns)');
  }
  const extras = [...block.columns.values()].filter((c) => c.field.name.startsWith('x.'));
  const out: StoredMetric[] = [];
  for (let i = 0; i < block.header.count; i++) {
    let extra: Record<string, number | string> | undefined;
    for (const c of extras) {
      const v = valueAt(c, i);
      if (v === null) continue;
      (extra ??= {})[c.field.name.slice(2)] = v;
    }
    const ai = intensity ? valueAt(intensity, i) : null;
    out.push({
      seq: valueAt(seq, i) as number,
      flags: valueAt(flags, i) as number,
      timestamp: block.timestamps[i]!,
      phi: valueAt(phi, i) as number,
      valence: valueAt(valence, i) as number,
      arousal: valueAt(arousal, i) as number,
      attentionFocus: valueAt(attention, i) as string,
      ...(ai !== null ? { attentionIntensity: ai as number } : {}),
      metacognitionLevel: valueAt(meta, i) as number,
      ...(extra ? { extra } : {}),
    });
  }
  return out;
}
