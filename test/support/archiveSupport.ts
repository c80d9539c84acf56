/** Helpers for the archive tests: NAB series, a BlobStore that crashes or corrupts on demand. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EmotionInput } from '../../host/archive/emotionManager.js';
import { type BlobStore, MemoryBlobStore } from '../../host/storage/blobStore.js';
import { seededRandom } from '../../host/util/random.js';

/** Seeded synthetic data for the archive tests. */
export { seededRandom as rng } from '../../host/util/random.js';

export const NAB_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'metrics', 'nab');

export function nabAvailable(): boolean {
  return existsSync(NAB_DIR) && readdirSync(NAB_DIR).some((f) => f.endsWith('.csv'));
}

export const NAB_SKIP_MESSAGE = `NAB data not found at ${NAB_DIR} (../shared/data/metrics/nab from the project root): skipping the tests on real series`;

export interface Series {
  readonly name: string;
  readonly timestamps: number[];
  readonly values: number[];
}

/** Every NAB series (CSV `timestamp,value`), timestamps as ms since the epoch (UTC). */
export function loadNab(): Series[] {
  return readdirSync(NAB_DIR)
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => {
      const lines = readFileSync(join(NAB_DIR, f), 'utf8').trim().split('\n').slice(1);
      const timestamps: number[] = [];
      const values: number[] = [];
      for (const l of lines) {
        const [t, v] = l.split(',');
        timestamps.push(Date.parse(`${t!.replace(' ', 'T')}Z`));
        values.push(Number(v));
      }
      return { name: f.replace(/\.csv$/, ''), timestamps, values };
    });
}

export class CrashError extends Error {
  override readonly name = 'CrashError';
}

/**
 * A BlobStore over a shared MemoryBlobStore ("the disk") that crashes: after `budget`
 * successful writes (put or delete) every further write throws CrashError and changes
 * nothing. Opening a new store over the same disk is a restart after the crash.
 */
export class CrashingBlobStore implements BlobStore {
  writes = 0;
  constructor(
    readonly disk: MemoryBlobStore,
    public budget = Number.POSITIVE_INFINITY,
  ) {}

  #write(): void {
    if (this.writes >= this.budget) throw new CrashError(`crash after ${this.writes} writes`);
    this.writes++;
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.disk.get(key);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.#write();
    await this.disk.put(key, bytes);
  }

  async delete(key: string): Promise<void> {
    this.#write();
    await this.disk.delete(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.disk.list(prefix);
  }

  async close(): Promise<void> {}
}

/** Flips one bit of a stored blob, as storage rot would. */
export async function flipBit(store: BlobStore, key: string, byteOffset: number, bit = 0): Promise<void> {
  const b = await store.get(key);
  if (!b) throw new Error(`no blob ${key}`);
  const i = Math.min(b.length - 1, Math.max(0, byteOffset));
  b[i] = b[i]! ^ (1 << bit);
  await store.put(key, b);
}

/** Same bits, so NaN payloads and −0 count. */
export function sameBits(a: number, b: number): boolean {
  const x = new Float64Array([a, b]);
  const u = new Uint32Array(x.buffer);
  return u[0] === u[2] && u[1] === u[3];
}

/** A double from two 32-bit words (any bit pattern: NaN payloads, subnormals…). */
export function fromBits(hi: number, lo: number): number {
  const u = new Uint32Array([lo >>> 0, hi >>> 0]);
  return new Float64Array(u.buffer)[0]!;
}

/** Start of the synthetic emotion streams (ms since the epoch). */
export const EMOTION_T0 = 1_700_000_000_000;
export const EMOTION_LABELS = ['joy', 'calm', 'fear', 'anger', 'surprise'];

export interface EmotionStreamOptions {
  readonly seed?: number;
  readonly start?: number;
  /** Milliseconds between entries. */
  readonly step?: number;
  /** Every 7th entry carries an explicit intensity. */
  readonly intensity?: boolean;
  /** Timestamps off the step grid by 0..28 ms, so they are not all multiples of the step. */
  readonly jitter?: boolean;
}

/** A seeded stream of emotions: every 3rd with a dominance, 3 of 4 labelled. */
export function emotionStream(n: number, o: EmotionStreamOptions = {}): EmotionInput[] {
  const r = seededRandom(o.seed ?? 1);
  const start = o.start ?? EMOTION_T0;
  const step = o.step ?? 1000;
  return Array.from({ length: n }, (_, i) => ({
    valence: Math.round((r() * 2 - 1) * 1000) / 1000,
    arousal: Math.round(r() * 1000) / 1000,
    ...(i % 3 === 0 ? { dominance: Math.round((r() * 2 - 1) * 100) / 100 } : {}),
    ...(i % 4 !== 0 ? { label: EMOTION_LABELS[i % EMOTION_LABELS.length]! } : {}),
    ...(o.intensity && i % 7 === 0 ? { intensity: Math.round(r() * 100) / 100 } : {}),
    timestamp: start + i * step + (o.jitter ? (i % 5) * 7 : 0),
  }));
}
