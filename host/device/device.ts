/**
 * WindowsDevice: the working-memory device behind one API, whatever carries the bytes
 * (a board's tty, the simulator's pty, or the in-process virtual board).
 *
 * The core holds 64-bit handles; the host keeps the content (content-addressed) and a
 * mirror of which handles each window holds, so evicted or freed content can be handed
 * to the caller (onEvict) and then dropped.
 */
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import {
  ALL_WINDOWS,
  MAX_PAGE,
  RecallOrder,
  toRawSalience,
  salienceInputSchema,
  type OpName,
  type SalienceInput,
  type Weights,
} from '../../spec/index.js';
import { decodeResponse, encodeRequest, type InfoPayload, type OpRequests, type OpResponses } from '../protocol/messages.js';
import { ContentStore, contentSchema, type Content } from '../content/contentStore.js';
import { statusError, validateInput } from './errors.js';
import type { LinkClient, LinkStats } from './link.js';
import type { LinkEngine } from '../model/linkEngine.js';

export interface WindowRef {
  readonly id: number;
  /** Composite salience of the window (u8). */
  readonly salience: number;
  readonly label?: string;
}

export interface WindowListing extends WindowRef {
  readonly items: number;
}

export interface EvictedItem {
  readonly window: number;
  readonly salience: number;
  readonly handle: bigint;
  /** The content, or undefined when this host never stored it (another client's item). */
  readonly content: Content | undefined;
  readonly cause: 'store' | 'decay';
}

export interface StoredItem {
  readonly handle: bigint;
  readonly salience: number;
  readonly stamp: number;
  /** The item this store pushed out, if any (also reported through onEvict). */
  readonly evicted?: EvictedItem;
}

export interface RecalledItem {
  readonly window: number;
  readonly salience: number;
  readonly stamp: number;
  readonly handle: bigint;
  readonly content: Content | undefined;
}

const u8 = z.number().int().min(0).max(255);
const windowIdSchema = z.number().int().min(0).max(0xfffe);

export const recallQuerySchema = z
  .object({
    /** A window id, or 'all' (the default) for every open window. */
    window: z.union([windowIdSchema, z.literal('all')]).default('all'),
    /** Only items with composite salience ≥ this (u8). */
    minSalience: u8.default(0),
    /** Most items returned; pages of MAX_PAGE are fetched until it is reached. Default: all. */
    limit: z.number().int().positive().optional(),
    order: z.enum(['insertion', 'salience']).default('insertion'),
    /** Records per RECALL request (1..15): smaller pages get through a noisy line more often. */
    pageSize: z.number().int().min(1).max(MAX_PAGE).default(MAX_PAGE),
    /** Continue after this item (the last one of a previous recall). */
    after: z.object({ salience: u8, stamp: z.number().int().min(0).max(2 ** 40 - 1) }).optional(),
  })
  .strict();
export type RecallQuery = z.input<typeof recallQuerySchema>;

const rawWeightsSchema = z.tuple([u8, u8, u8, u8, u8]);

export interface WindowsDeviceEvents {
  evict: [EvictedItem];
}

const parse = validateInput;
/** Salience input with unknown keys refused, so a typo is not silently the default. */
const salienceSchema = salienceInputSchema.strict();

export class WindowsDevice extends EventEmitter<WindowsDeviceEvents> {
  readonly #link: LinkClient;
  readonly #content = new ContentStore();
  readonly #labels = new Map<number, string>();
  /** window id → handle → number of items with that handle. */
  readonly #resident = new Map<number, Map<bigint, number>>();
  readonly #stop: () => Promise<void>;
  readonly #engine: LinkEngine | undefined;
  #closed = false;

  /** @internal openDevice builds devices. */
  constructor(link: LinkClient, options: { onEvict?: (item: EvictedItem) => void; stop?: () => Promise<void>; engine?: LinkEngine }) {
    super();
    this.#link = link;
    this.#stop = options.stop ?? (async () => {});
    this.#engine = options.engine;
    if (options.onEvict) this.on('evict', options.onEvict);
  }

  /** The virtual board behind a `{ model: true }` device (tests, diagnostics). */
  get engine(): LinkEngine | undefined {
    return this.#engine;
  }

  /** Contents the host currently holds for items on the device. */
  get contentCount(): number {
    return this.#content.size;
  }

  stats(): LinkStats {
    return this.#link.stats;
  }

  async info(): Promise<InfoPayload> {
    return this.#call('info', {});
  }

  async openWindow(label?: string, salience?: SalienceInput): Promise<WindowRef> {
    const l = parse('openWindow', z.string().optional(), label);
    const s = salience === undefined ? undefined : toRawSalience(parse('openWindow', salienceSchema, salience));
    const r = await this.#call('open', s ? { salience: s } : {});
    if (l !== undefined) this.#labels.set(r.window, l);
    return { id: r.window, salience: r.salience, ...(l !== undefined && { label: l }) };
  }

  /** Closes a window; its items are freed (not reported as evictions). Returns how many. */
  async closeWindow(id: number): Promise<number> {
    const window = parse('closeWindow', windowIdSchema, id);
    const r = await this.#call('close', { window }, window);
    for (const [handle, n] of this.#resident.get(window) ?? []) for (let i = 0; i < n; i++) this.#content.release(handle);
    this.#resident.delete(window);
    this.#labels.delete(window);
    return r.freed;
  }

  async store(window: number, content: Content, salience?: SalienceInput): Promise<StoredItem> {
    const id = parse('store', windowIdSchema, window);
    const value = parse('store', contentSchema, content) as Content;
    const s = salience === undefined ? undefined : toRawSalience(parse('store', salienceSchema, salience));
    const handle = this.#content.retain(value);
    let r: OpResponses['store'];
    try {
      r = await this.#call('store', { window: id, handle, ...(s && { salience: s }) }, id);
    } catch (e) {
      this.#content.release(handle);
      throw e;
    }
    const evicted = r.evicted
      ? this.#evict(r.evictedWindow, r.evictedSalience, r.evictedHandle, 'store')
      : undefined;
    this.#addResident(id, handle);
    return { handle, salience: r.salience, stamp: r.stamp, ...(evicted && { evicted }) };
  }

  /** Items matching the query, in the query's order, with their content; pages as needed. */
  async recall(query: RecallQuery = {}): Promise<RecalledItem[]> {
    const q = parse('recall', recallQuerySchema, query);
    const window = q.window === 'all' ? ALL_WINDOWS : q.window;
    const limit = q.limit ?? Infinity;
    const items: RecalledItem[] = [];
    let cursor = q.after;
    for (;;) {
      const r = await this.#call(
        'recall',
        {
          window,
          minSalience: q.minSalience,
          limit: Math.min(q.pageSize, limit - items.length),
          order: RecallOrder[q.order],
          hasCursor: cursor ? 1 : 0,
          cursorSalience: cursor?.salience ?? 0,
          cursorStamp: cursor?.stamp ?? 0,
        },
        window,
      );
      for (const rec of r.records) items.push({ ...rec, content: this.#content.get(rec.handle) });
      const last = r.records.at(-1);
      if (!r.more || !last || items.length >= limit) return items;
      cursor = { salience: last.salience, stamp: last.stamp };
    }
  }

  async listWindows(): Promise<WindowListing[]> {
    const r = await this.#call('list', {});
    return r.records.map((w) => {
      const label = this.#labels.get(w.window);
      return { id: w.window, salience: w.salience, items: w.items, ...(label !== undefined && { label }) };
    });
  }

  /** Open windows and stored items. */
  async windowCount(): Promise<{ open: number; items: number }> {
    return this.#call('count', {});
  }

  /** The most salient open window (lowest slot on ties). */
  async focus(): Promise<WindowRef> {
    const r = await this.#call('focus', {});
    const label = this.#labels.get(r.window);
    return { id: r.window, salience: r.salience, ...(label !== undefined && { label }) };
  }

  /** New scorer weights, five u8 summing to 256 (the device refuses other sums: InvalidSalienceError). */
  async setWeights(weights: Weights): Promise<void> {
    const w = parse('setWeights', rawWeightsSchema, weights);
    await this.#call('setWeights', { weights: w });
  }

  /**
   * Lowers every salience by `step`, then evicts the items below `threshold`, sweeping until
   * none is left. Returns every evicted item (each also reported through onEvict).
   */
  async decay(step: number, threshold: number): Promise<EvictedItem[]> {
    const args = parse('decay', z.object({ step: u8, threshold: u8 }), { step, threshold });
    const evicted: EvictedItem[] = [];
    let request = args;
    for (;;) {
      const r = await this.#call('decay', request);
      for (const rec of r.records) evicted.push(this.#evict(rec.window, rec.salience, rec.handle, 'decay'));
      if (r.remaining === 0) return evicted;
      request = { step: 0, threshold: args.threshold };
    }
  }

  /** A raw request (status byte + payload back), bypassing the host's bookkeeping: diagnostics. */
  raw(code: number, payload: Uint8Array): Promise<Uint8Array> {
    return this.#link.requestRaw(code, payload);
  }

  /** Puts bytes on the line as they are (tests: garbage must not wedge the link). */
  writeRaw(bytes: Uint8Array): void {
    this.#link.writeRaw(bytes);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#link.close();
    } finally {
      await this.#stop();
    }
  }

  async #call<N extends OpName>(op: N, request: OpRequests[N], window?: number): Promise<OpResponses[N]> {
    const bytes = await this.#link.request(op, encodeRequest(op, request));
    const response = decodeResponse(op, bytes);
    if (response.status !== 'ok') throw statusError(op, response, window);
    return response.value;
  }

  #addResident(window: number, handle: bigint): void {
    let m = this.#resident.get(window);
    if (!m) this.#resident.set(window, (m = new Map()));
    m.set(handle, (m.get(handle) ?? 0) + 1);
  }

  /** Takes an evicted item off the mirror, reports it with its content, then lets the content go. */
  #evict(window: number, salience: number, handle: bigint, cause: EvictedItem['cause']): EvictedItem {
    const item: EvictedItem = { window, salience, handle, content: this.#content.get(handle), cause };
    const m = this.#resident.get(window);
    const n = m?.get(handle) ?? 0;
    if (m && n > 0) {
      if (n === 1) m.delete(handle);
      else m.set(handle, n - 1);
      this.#content.release(handle);
    }
    this.emit('evict', item);
    return item;
  }
}
