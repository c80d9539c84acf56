/**
 * Streaming over blocks: a writer that takes records one at a time and emits a block every
 * `blockRecords` records, and a scanner that walks concatenated blocks, reporting a corrupt
 * block and resynchronising on the next magic so the others stay readable.
 */
import { z } from 'zod';
import { BLOCK_MAGIC, LENGTH_OFFSET, MIN_BLOCK, type DecodedBlock, type EncodeOptions, decodeBlock, encodeBlock } from './block.js';
import { type FieldSpec, type Value, schemaSchema } from './schema.js';
import { INT_LIMIT } from './intColumn.js';
import { TIMESTAMP_LIMIT } from './timestampColumn.js';
import { ArchiveInputError, CorruptBlockError } from '../errors.js';
import { parseInput } from '../validate.js';

export const streamOptionsSchema = z
  .object({
    blockRecords: z.number().int().min(1).max(1 << 24).default(4096),
  })
  .strict();

export class BlockStreamWriter {
  readonly #schema: readonly FieldSpec[];
  readonly #blockRecords: number;
  readonly #encode: EncodeOptions;
  #ts: number[] = [];
  #cols: Value[][];

  constructor(schema: readonly FieldSpec[], options: { blockRecords?: number; encode?: EncodeOptions } = {}) {
    this.#schema = parseInput(schemaSchema, schema, 'stream schema');
    this.#blockRecords = parseInput(streamOptionsSchema, { blockRecords: options.blockRecords }, 'stream options').blockRecords;
    this.#encode = options.encode ?? {};
    this.#cols = this.#schema.map(() => []);
  }

  get pending(): number {
    return this.#ts.length;
  }

  /**
   * Adds a record; returns a block when this record completed one. A record that does not
   * fit the schema throws ArchiveInputError and is not added.
   */
  append(timestamp: number, values: Readonly<Record<string, Value>>): Uint8Array | undefined {
    const bad = (path: string, message: string) => new ArchiveInputError('stream record', [{ path, message }]);
    if (!Number.isInteger(timestamp) || Math.abs(timestamp) > TIMESTAMP_LIMIT) throw bad('timestamp', `an integer of magnitude at most 2^50, got ${timestamp}`);
    for (const f of this.#schema) {
      const v = values[f.name];
      if (v === null || v === undefined) continue;
      if (f.type === 'category' ? typeof v !== 'string' : typeof v !== 'number') throw bad(f.name, `expected a ${f.type === 'category' ? 'string' : 'number'}`);
      if (f.type === 'int' && (!Number.isInteger(v) || Math.abs(v as number) > INT_LIMIT)) throw bad(f.name, 'expected an integer of magnitude at most 2^50');
    }
    this.#ts.push(timestamp);
    this.#schema.forEach((f, c) => this.#cols[c]!.push(values[f.name] ?? null));
    return this.#ts.length >= this.#blockRecords ? this.flush() : undefined;
  }

  /** Encodes the pending records (if any) as a block. */
  flush(): Uint8Array | undefined {
    if (this.#ts.length === 0) return undefined;
    const block = encodeBlock({ schema: this.#schema, timestamps: this.#ts, columns: this.#cols }, this.#encode);
    this.#ts = [];
    this.#cols = this.#schema.map(() => []);
    return block;
  }
}

export type ScanItem =
  | { readonly offset: number; readonly length: number; readonly block: DecodedBlock }
  | { readonly offset: number; readonly length: number; readonly error: CorruptBlockError };

function findMagic(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 4 <= bytes.length; i++) {
    if (bytes[i] === BLOCK_MAGIC[0] && bytes[i + 1] === BLOCK_MAGIC[1] && bytes[i + 2] === BLOCK_MAGIC[2] && bytes[i + 3] === BLOCK_MAGIC[3]) return i;
  }
  return bytes.length;
}

/**
 * Walks blocks laid end to end. Each good block is decoded; a bad one is reported with its
 * offset and the scan resumes at the next "JARB" magic after it.
 */
export function* scanBlocks(bytes: Uint8Array, fields?: readonly string[]): Generator<ScanItem> {
  let off = 0;
  while (off < bytes.length) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const len = off + LENGTH_OFFSET + 4 <= bytes.length ? view.getUint32(off + LENGTH_OFFSET, true) : 0;
    if (len >= MIN_BLOCK && off + len <= bytes.length) {
      try {
        const block = decodeBlock(bytes.subarray(off, off + len), fields);
        yield { offset: off, length: len, block };
        off += len;
        continue;
      } catch (err) {
        if (!(err instanceof CorruptBlockError)) throw err;
        const next = findMagic(bytes, off + 1);
        yield { offset: off, length: next - off, error: err };
        off = next;
        continue;
      }
    }
    const next = findMagic(bytes, off + 1);
    yield { offset: off, length: next - off, error: new CorruptBlockError(`no valid block at offset ${off}`) };
    off = next;
  }
}
