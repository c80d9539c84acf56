/**
 * A set of codec blocks persisted in a BlobStore under `<prefix>/b/<id>`: the key listing is
 * the source of truth (no manifest to get out of step), every block is verified (CRC and
 * header) when the archive is opened, a corrupt block is reported and kept out of reads while
 * the others stay readable, and decoded blocks are cached (a small LRU) for repeated reads.
 */
import type { BlobStore } from '../storage/blobStore.js';
import { checkBlobKey } from '../storage/blobStore.js';
import { type BlockHeader, type DecodedBlock, decodeBlock, readBlockHeader } from './codec/block.js';
import { BlockFormatError, CorruptBlockError } from './errors.js';

export interface BlockInfo {
  readonly key: string;
  readonly id: number;
  readonly bytes: number;
  /** Absent when the block is corrupt. */
  readonly header?: BlockHeader;
  /** Why the block cannot be read, when it cannot. */
  readonly corrupt?: string;
}

/** What a rewritten block's meta says it replaces (see BlockArchive.finishReplacements). */
export interface Replacement {
  readonly replaces: readonly number[];
  /** Set when several blocks replace `replaces` together; `key` names the group. */
  readonly group?: { readonly key: number; readonly size: number };
}

export interface CorruptionReport {
  readonly key: string;
  readonly reason: string;
  /** When it was found (ms since the epoch). */
  readonly at: number;
}

export interface BlockArchiveStats {
  readonly blocks: number;
  readonly bytes: number;
  readonly corruptBlocks: number;
  readonly reads: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly writes: number;
  readonly deletes: number;
  readonly cachedBlocks: number;
}

const ID_DIGITS = 10;

export class BlockArchive {
  readonly #store: BlobStore;
  readonly #dir: string;
  readonly #cacheSize: number;
  readonly #blocks = new Map<number, BlockInfo>();
  readonly #cache = new Map<string, DecodedBlock>();
  readonly #problems: CorruptionReport[] = [];
  #nextId = 1;
  #bytes = 0;
  #reads = 0;
  #hits = 0;
  #misses = 0;
  #writes = 0;
  #deletes = 0;

  constructor(store: BlobStore, prefix: string, cacheBlocks = 4) {
    this.#store = store;
    this.#dir = `${checkBlobKey(prefix)}/b/`;
    this.#cacheSize = cacheBlocks;
  }

  /** Lists and verifies every stored block. Returns the corrupt ones (also kept in problems()). */
  async open(): Promise<CorruptionReport[]> {
    this.#blocks.clear();
    this.#cache.clear();
    this.#bytes = 0;
    const found: CorruptionReport[] = [];
    for (const key of await this.#store.list(this.#dir)) {
      const tail = key.slice(this.#dir.length);
      if (!/^\d+$/.test(tail)) continue;
      const id = Number(tail);
      const bytes = await this.#store.get(key);
      if (!bytes) continue;
      let info: BlockInfo;
      try {
        info = { key, id, bytes: bytes.length, header: readBlockHeader(bytes) };
      } catch (err) {
        if (!(err instanceof CorruptBlockError || err instanceof BlockFormatError)) throw err;
        info = { key, id, bytes: bytes.length, corrupt: err.message };
        found.push(this.#report(key, err.message));
      }
      this.#blocks.set(id, info);
      this.#bytes += info.bytes;
      if (id >= this.#nextId) this.#nextId = id + 1;
    }
    return found;
  }

  /** Records a problem found outside the blocks (a snapshot that does not decode). */
  report(key: string, reason: string): CorruptionReport {
    return this.#report(key, reason);
  }

  #report(key: string, reason: string): CorruptionReport {
    const r = { key, reason, at: Date.now() };
    this.#problems.push(r);
    if (this.#problems.length > 1000) this.#problems.shift();
    return r;
  }

  /** Blocks in id (write) order. */
  blocks(): BlockInfo[] {
    return [...this.#blocks.values()].sort((a, b) => a.id - b.id);
  }

  /** The block with this id, if any. */
  info(id: number): BlockInfo | undefined {
    return this.#blocks.get(id);
  }

  get totalBytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#blocks.size;
  }

  problems(): readonly CorruptionReport[] {
    return this.#problems;
  }

  /** Stores an encoded block under the next id; durable when resolved. */
  async add(bytes: Uint8Array): Promise<BlockInfo> {
    const header = readBlockHeader(bytes);
    const id = this.#nextId++;
    const key = `${this.#dir}${String(id).padStart(ID_DIGITS, '0')}`;
    await this.#store.put(key, bytes);
    const info: BlockInfo = { key, id, bytes: bytes.length, header };
    this.#blocks.set(id, info);
    this.#bytes += bytes.length;
    this.#writes++;
    return info;
  }

  /**
   * Reads and decodes a block (only `fields` when given; the cache holds whole blocks).
   * A block that turns out corrupt is marked, reported, and CorruptBlockError is thrown.
   */
  async read(info: BlockInfo, fields?: readonly string[]): Promise<DecodedBlock> {
    this.#reads++;
    const cached = this.#cache.get(info.key);
    if (cached) {
      this.#hits++;
      this.#cache.delete(info.key);
      this.#cache.set(info.key, cached);
      return cached;
    }
    this.#misses++;
    const current = this.#blocks.get(info.id);
    if (current?.corrupt) throw new CorruptBlockError(current.corrupt, info.key);
    const bytes = await this.#store.get(info.key);
    try {
      if (!bytes) throw new CorruptBlockError('block is missing from the store');
      const block = decodeBlock(bytes, this.#cacheSize > 0 ? undefined : fields);
      if (this.#cacheSize > 0) {
        this.#cache.set(info.key, block);
        while (this.#cache.size > this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
      }
      return block;
    } catch (err) {
      if (!(err instanceof CorruptBlockError || err instanceof BlockFormatError)) throw err;
      this.#markCorrupt(info, err.message);
      throw new CorruptBlockError(err.message, info.key);
    }
  }

  /** Decodes only `fields` of a block, bypassing the cache (for rebuilding indexes). */
  async readFields(info: BlockInfo, fields: readonly string[]): Promise<DecodedBlock> {
    const cached = this.#cache.get(info.key);
    if (cached) return cached;
    const current = this.#blocks.get(info.id);
    if (current?.corrupt) throw new CorruptBlockError(current.corrupt, info.key);
    const bytes = await this.#store.get(info.key);
    try {
      if (!bytes) throw new CorruptBlockError('block is missing from the store');
      return decodeBlock(bytes, fields);
    } catch (err) {
      if (!(err instanceof CorruptBlockError || err instanceof BlockFormatError)) throw err;
      this.#markCorrupt(info, err.message);
      throw new CorruptBlockError(err.message, info.key);
    }
  }

  #markCorrupt(info: BlockInfo, reason: string): void {
    const cur = this.#blocks.get(info.id);
    if (cur && !cur.corrupt) {
      this.#blocks.set(info.id, { key: cur.key, id: cur.id, bytes: cur.bytes, corrupt: reason });
      this.#report(info.key, reason);
    }
  }

  /** Deletes a block (corrupt ones too); absent ids are fine. */
  async remove(info: BlockInfo): Promise<void> {
    const cur = this.#blocks.get(info.id);
    if (!cur) return;
    await this.#store.delete(cur.key);
    this.#blocks.delete(info.id);
    this.#cache.delete(cur.key);
    this.#bytes -= cur.bytes;
    this.#deletes++;
  }

  /**
   * Finishes or undoes a rewrite a crash interrupted. A rewritten block is added (its meta
   * naming the blocks it replaces) before the old ones are removed; several new blocks may
   * replace a set together, as a group of `size`. On opening: a group with members missing
   * while every block it replaces is still there is dropped (the old blocks stay whole), then
   * replaced blocks still listed go.
   */
  async finishReplacements(replacementOf: (meta: unknown) => Replacement | undefined): Promise<void> {
    const groups = new Map<number, { size: number; replaces: readonly number[]; members: BlockInfo[] }>();
    for (const b of this.blocks()) {
      const r = replacementOf(b.header?.meta);
      if (!r?.group) continue;
      const g = groups.get(r.group.key) ?? { size: r.group.size, replaces: r.replaces, members: [] };
      g.members.push(b);
      groups.set(r.group.key, g);
    }
    for (const g of groups.values()) {
      if (g.members.length >= g.size || !g.replaces.every((id) => this.info(id) !== undefined)) continue;
      for (const b of g.members) await this.remove(b);
    }
    const replaced = new Set<number>();
    for (const b of this.blocks()) for (const id of replacementOf(b.header?.meta)?.replaces ?? []) replaced.add(id);
    for (const b of this.blocks()) if (replaced.has(b.id)) await this.remove(b);
  }

  stats(): BlockArchiveStats {
    let corrupt = 0;
    for (const b of this.#blocks.values()) if (b.corrupt) corrupt++;
    return {
      blocks: this.#blocks.size,
      bytes: this.#bytes,
      corruptBlocks: corrupt,
      reads: this.#reads,
      cacheHits: this.#hits,
      cacheMisses: this.#misses,
      writes: this.#writes,
      deletes: this.#deletes,
      cachedBlocks: this.#cache.size,
    };
  }
}

/** Serialises async operations: each runs after the previous one settled. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(op, op);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

/** How often a store's cleanup ran and how long it took, for its stats. */
export class CleanupTimes {
  runs = 0;
  lastMs = 0;
  totalMs = 0;

  /** Runs one cleanup and returns its duration in ms; a cleanup that throws is not counted. */
  async time(cleanup: () => Promise<void>): Promise<number> {
    const t0 = performance.now();
    await cleanup();
    this.runs++;
    this.lastMs = performance.now() - t0;
    this.totalMs += this.lastMs;
    return this.lastMs;
  }
}
