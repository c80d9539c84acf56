/**
 * Content-addressed store of the host: the core holds 64-bit handles, the host the bytes.
 * A handle is the first 8 bytes of SHA-256 over a kind tag and the bytes, so equal content
 * gets equal handles and bytes never collide with JSON text. Entries are reference counted
 * by the items that point at them and dropped when the last one goes.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../../spec/index.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** What an agent stores: raw bytes, or any JSON value. */
export type Content = Uint8Array | Json;

export const contentSchema = z.union([z.instanceof(Uint8Array), z.json()]);

type Kind = 'bytes' | 'json';
const KIND_TAG: Record<Kind, number> = { bytes: 0x62, json: 0x6a };

interface Entry {
  kind: Kind;
  bytes: Uint8Array;
  refs: number;
}

export class ContentCollisionError extends Error {
  override readonly name = 'ContentCollisionError';
  constructor(readonly handle: bigint) {
    super(`two different contents hash to handle 0x${handle.toString(16).padStart(16, '0')}`);
  }
}

/** Canonical bytes and kind of a content value (JSON with sorted keys, so equal values hash equally). */
export function contentBytes(content: Content): { kind: Kind; bytes: Uint8Array } {
  if (content instanceof Uint8Array) return { kind: 'bytes', bytes: content.slice() };
  return { kind: 'json', bytes: new TextEncoder().encode(canonicalJson(content)) };
}

export function contentHandle(content: Content): bigint {
  const { kind, bytes } = contentBytes(content);
  return hashHandle(kind, bytes);
}

function hashHandle(kind: Kind, bytes: Uint8Array): bigint {
  const digest = createHash('sha256').update(Uint8Array.of(KIND_TAG[kind])).update(bytes).digest();
  return digest.readBigUInt64BE(0);
}

function decode(entry: Entry): Content {
  return entry.kind === 'bytes' ? entry.bytes.slice() : (JSON.parse(new TextDecoder().decode(entry.bytes)) as Json);
}

export class ContentStore {
  readonly #entries = new Map<bigint, Entry>();

  /** Number of distinct contents held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Adds one reference to the content; returns its handle. */
  retain(content: Content): bigint {
    const { kind, bytes } = contentBytes(content);
    const handle = hashHandle(kind, bytes);
    const entry = this.#entries.get(handle);
    if (!entry) this.#entries.set(handle, { kind, bytes, refs: 1 });
    else if (entry.kind !== kind || Buffer.compare(entry.bytes, bytes) !== 0) throw new ContentCollisionError(handle);
    else entry.refs += 1;
    return handle;
  }

  /** Drops one reference; the content goes with the last one. */
  release(handle: bigint): void {
    const entry = this.#entries.get(handle);
    if (entry && --entry.refs <= 0) this.#entries.delete(handle);
  }

  /** The content of a handle, or undefined when the host no longer holds it. */
  get(handle: bigint): Content | undefined {
    const entry = this.#entries.get(handle);
    return entry && decode(entry);
  }

  refs(handle: bigint): number {
    return this.#entries.get(handle)?.refs ?? 0;
  }
}
