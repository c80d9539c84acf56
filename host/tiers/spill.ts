/**
 * Link to the hardware: when a memory window on the board evicts an item, the device client
 * reports it through its `onEvict` callback with the item's content; spilling appends it to
 * an account's short-term tier (and so to its whole history) as a `memory` message, so what
 * the bounded working memory forgets is still recallable from the host tiers.
 *
 * Wiring (the device client's options are its own; this needs only `content`):
 *
 *   const alice = await memory.account('alice');
 *   const device = await openDevice({ ..., onEvict: evictionSpiller(alice, (err) => log(err)) });
 *
 * `evictionSpiller` returns a synchronous callback (what an event emitter expects) that
 * appends evictions one after another, in the order they were reported. Its item type is
 * structural and accepts the device client's EvictedItem (content: bytes, JSON, or undefined
 * for another client's item, which has nothing to spill and is skipped).
 */
import { z } from 'zod';
import type { AppendResult } from './account.js';
import { InvalidMessageError, toIssues } from './errors.js';
import type { JsonObject, JsonValue, MessageInput } from './message.js';

export interface EvictedItem {
  /**
   * The evicted item's content: text; bytes (UTF-8 when valid, else stored as base64); any
   * other JSON value (stored as its JSON text, metadata contentType "json"); undefined when
   * this host never held the content (nothing to spill).
   */
  readonly content: string | Uint8Array | JsonValue | undefined;
  /** The window it was evicted from, its salience and handle, as the device reports them. */
  readonly window?: number;
  readonly salience?: number;
  readonly handle?: bigint | number | string;
  /** Why it was evicted, as the device reports it ('store', 'decay'). */
  readonly cause?: string;
  /** When it was evicted (epoch ms); default now. */
  readonly at?: number;
}

/** What spilling needs of an account (AccountMemory has it). */
export interface SpillTarget {
  append(input: MessageInput): Promise<AppendResult>;
}

const evictedSchema = z
  .object({
    content: z.union([z.string(), z.instanceof(Uint8Array), z.json()]),
    window: z.number().int().nonnegative().optional(),
    salience: z.number().finite().optional(),
    handle: z.union([z.bigint(), z.number().int(), z.string().max(64)]).optional(),
    cause: z.string().max(64).optional(),
    at: z.number().int().nonnegative().optional(),
  })
  .passthrough();

/** The message a spilled item becomes (InvalidMessageError when there is no content). */
export function evictedMessage(item: EvictedItem): MessageInput {
  const r = evictedSchema.safeParse(item);
  if (!r.success) throw new InvalidMessageError(toIssues(r.error.issues));
  const it = r.data;
  let content: string;
  const metadata: JsonObject = { source: 'janela-device', evicted: true };
  if (typeof it.content === 'string') content = it.content;
  else if (!(it.content instanceof Uint8Array)) {
    content = JSON.stringify(it.content);
    metadata.contentType = 'json';
  } else {
    try {
      content = new TextDecoder('utf-8', { fatal: true }).decode(it.content);
    } catch {
      content = Buffer.from(it.content).toString('base64');
      metadata.encoding = 'base64';
    }
  }
  if (it.window !== undefined) metadata.window = it.window;
  if (it.salience !== undefined) metadata.salience = it.salience;
  if (it.handle !== undefined) metadata.handle = String(it.handle);
  if (it.cause !== undefined) metadata.cause = it.cause;
  return { role: 'memory', content, metadata, ...(it.at !== undefined ? { timestamp: it.at } : {}) };
}

/**
 * Appends one evicted item to the account's short-term tier; durable when resolved. Resolves
 * undefined (nothing stored) for an item without content.
 */
export function spillEvicted(tiers: SpillTarget, item: EvictedItem): Promise<AppendResult | undefined> {
  if (item !== null && typeof item === 'object' && item.content === undefined) return Promise.resolve(undefined);
  let msg: MessageInput;
  try {
    msg = evictedMessage(item);
  } catch (err) {
    return Promise.reject(err);
  }
  return tiers.append(msg);
}

/**
 * An `onEvict` callback: spills each evicted item in order; errors go to `onError`
 * (default: printed to stderr) because an event callback has nobody to throw to.
 * `drain()` on the returned function waits for every spill reported so far.
 */
export function evictionSpiller(
  tiers: SpillTarget,
  onError: (err: unknown, item: EvictedItem) => void = (err) => console.error(`janela: spilling an evicted item failed: ${(err as Error)?.message ?? err}`),
): ((item: EvictedItem) => void) & { drain(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  const fn = (item: EvictedItem) => {
    chain = chain.then(() => spillEvicted(tiers, item).then(
      () => {},
      (err) => onError(err, item),
    ));
  };
  return Object.assign(fn, { drain: () => chain });
}
