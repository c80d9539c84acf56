/**
 * The memory windows of the board, shared by every account: which account (and label) owns
 * each open window, and which account each stored item belongs to, so that whatever leaves
 * working memory goes to its account's short-term tier.
 *
 * - An item leaves when the board evicts it (a full window or a full store: cause 'store'),
 *   when DECAY forgets it ('decay'), or when its window gives way or the memory closes
 *   ('close': the window's items are recalled and spilled before it is closed, because a
 *   CLOSE frees items without reporting them). Each goes to `spill` exactly once.
 * - Ownership is per item (window, handle), not per window: a window that cannot be closed
 *   (the board keeps at least minWindows open) is spilled, its leftover items marked as
 *   spilled, and handed to the next account; its later evictions are not spilled again.
 * - An account holds at most `perAccount` windows; beyond that its least important window
 *   gives way. When the board has no window left, the least important window of any account
 *   gives way (importance.ts: window salience, last use, stores).
 *
 * Every operation runs under one lock, so the ownership always matches the board.
 */
import type { EvictedItem, RecalledItem, WindowsDevice } from '../device/index.js';
import type { SalienceInput } from '../../spec/index.js';
import type { Content } from '../content/contentStore.js';
import { ImportanceScorer } from './importance.js';

export type SpillCause = 'store' | 'decay' | 'close';

export interface SpillRequest {
  readonly account: string;
  readonly label: string;
  readonly cause: SpillCause;
  readonly window: number;
  readonly salience: number;
  readonly handle: bigint;
  readonly content: Content;
}

interface Owner {
  readonly account: string;
  readonly label: string;
}

interface Slot {
  readonly id: number;
  owner: string | undefined;
  label: string | undefined;
  /** Composite salience of the window (u8). */
  salience: number;
  lastUse: number;
  stores: number;
}

export interface WindowInfo {
  readonly id: number;
  readonly account: string | undefined;
  readonly label: string | undefined;
  /** Composite salience, 0..1. */
  readonly salience: number;
  /** Items on the board in this window (any owner). */
  readonly items: number;
  /** Items of the owning account. */
  readonly owned: number;
  readonly importance: number;
}

export interface PoolStats {
  readonly maxWindows: number;
  readonly minWindows: number;
  readonly capacity: number;
  readonly quota: number;
  readonly stores: number;
  readonly recalls: number;
  readonly windowsOpened: number;
  readonly windowsClosed: number;
  /** Windows handed to another account without closing (the board was at minWindows). */
  readonly windowsReassigned: number;
  readonly evictions: Readonly<Record<SpillCause, number>>;
  /** Evicted items whose content this host never held (left by another process). */
  readonly foreignEvictions: number;
  /** Evictions of items already spilled when their window gave way. */
  readonly staleEvictions: number;
  /** Items held, by the ownership map. */
  readonly ownedItems: number;
}

export interface RememberResult {
  readonly window: number;
  readonly label: string;
  readonly handle: bigint;
  /** Composite salience of the item, 0..1. */
  readonly salience: number;
  readonly stamp: number;
  /** The item this store pushed out of working memory, if any (spilled to its owner). */
  readonly evicted?: { readonly account: string | undefined; readonly label: string | undefined; readonly salience: number };
}

export interface PoolRecallQuery {
  readonly label?: string;
  readonly order: 'insertion' | 'salience';
  /** u8 */
  readonly minSalience: number;
  readonly limit?: number;
}

export class WindowPool {
  readonly #device: WindowsDevice;
  readonly #scorer: ImportanceScorer;
  readonly #perAccount: number;
  readonly #spill: (r: SpillRequest) => void;
  readonly #slots = new Map<number, Slot>();
  readonly #byAccount = new Map<string, Map<string, number>>();
  /** window → handle → owners in store order (null: spilled already when its window gave way). */
  readonly #owners = new Map<number, Map<bigint, (Owner | null)[]>>();
  #lock: Promise<unknown> = Promise.resolve();
  #maxWindows = 0;
  #minWindows = 0;
  #capacity = 0;
  #quota = 0;
  #ownedItems = 0;
  #lastEvicted: { account: string | undefined; label: string | undefined; salience: number } | undefined;
  readonly #c = {
    stores: 0,
    recalls: 0,
    opened: 0,
    closed: 0,
    reassigned: 0,
    foreign: 0,
    stale: 0,
    evictions: { store: 0, decay: 0, close: 0 } as Record<SpillCause, number>,
  };

  private constructor(device: WindowsDevice, scorer: ImportanceScorer, perAccount: number, spill: (r: SpillRequest) => void) {
    this.#device = device;
    this.#scorer = scorer;
    this.#perAccount = perAccount;
    this.#spill = spill;
  }

  /** Attaches to an open device: learns its bounds, takes its open windows as free (clearing a board's leftovers when asked). */
  static async attach(
    device: WindowsDevice,
    options: { scorer: ImportanceScorer; perAccount: number; spill: (r: SpillRequest) => void; clear: boolean },
  ): Promise<WindowPool> {
    const pool = new WindowPool(device, options.scorer, options.perAccount, options.spill);
    device.on('evict', (item) => pool.#onEvict(item));
    const info = await device.info();
    pool.#maxWindows = info.maxWindows;
    pool.#minWindows = info.minWindows;
    pool.#capacity = info.capacity;
    pool.#quota = info.quota;
    if (options.clear) await device.decay(255, 255); // leftovers of another host process: their content is gone
    for (const w of await device.listWindows()) {
      pool.#slots.set(w.id, { id: w.id, owner: undefined, label: undefined, salience: w.salience, lastUse: 0, stores: 0 });
    }
    return pool;
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #importance(s: Slot, now: number): number {
    return this.#scorer.score({ salience: ImportanceScorer.fromByte(s.salience), lastAccess: s.lastUse, accesses: s.stores }, now);
  }

  #addOwner(window: number, handle: bigint, owner: Owner | null): void {
    let m = this.#owners.get(window);
    if (!m) this.#owners.set(window, (m = new Map()));
    const list = m.get(handle);
    if (list) list.push(owner);
    else m.set(handle, [owner]);
    if (owner) this.#ownedItems++;
  }

  /** Takes the oldest ownership entry of (window, handle): an owner, null (spilled already) or undefined (unknown). */
  #takeOwner(window: number, handle: bigint): Owner | null | undefined {
    const m = this.#owners.get(window);
    const list = m?.get(handle);
    if (!m || !list || list.length === 0) return undefined;
    const o = list.shift();
    if (list.length === 0) {
      m.delete(handle);
      if (m.size === 0) this.#owners.delete(window);
    }
    if (o) this.#ownedItems--;
    return o;
  }

  #onEvict(item: EvictedItem): void {
    const owner = this.#takeOwner(item.window, item.handle);
    if (owner === null) {
      this.#c.stale++;
      this.#lastEvicted = { account: undefined, label: undefined, salience: item.salience };
      return;
    }
    if (owner === undefined || item.content === undefined) {
      this.#c.foreign++;
      this.#lastEvicted = { account: undefined, label: undefined, salience: item.salience };
      return;
    }
    this.#c.evictions[item.cause]++;
    this.#lastEvicted = { account: owner.account, label: owner.label, salience: item.salience };
    this.#spill({ account: owner.account, label: owner.label, cause: item.cause, window: item.window, salience: item.salience, handle: item.handle, content: item.content });
  }

  /** What the last eviction reported (set by #onEvict during a device call). */
  #evictedNow(): { account: string | undefined; label: string | undefined; salience: number } | undefined {
    return this.#lastEvicted;
  }

  /** Recalls a window's items and spills each owned one (cause 'close'); returns the recalled items. */
  async #spillWindow(slot: Slot): Promise<RecalledItem[]> {
    const items = await this.#device.recall({ window: slot.id });
    for (const it of items) {
      const owner = this.#takeOwner(it.window, it.handle);
      if (!owner || it.content === undefined) continue;
      this.#c.evictions.close++;
      this.#spill({ account: owner.account, label: owner.label, cause: 'close', window: it.window, salience: it.salience, handle: it.handle, content: it.content });
    }
    this.#owners.delete(slot.id);
    return items;
  }

  #unassign(slot: Slot): void {
    if (slot.owner !== undefined && slot.label !== undefined) {
      const m = this.#byAccount.get(slot.owner);
      m?.delete(slot.label);
      if (m && m.size === 0) this.#byAccount.delete(slot.owner);
    }
    slot.owner = undefined;
    slot.label = undefined;
  }

  /** Spills a window and closes it, or (at minWindows) leaves it open and free with its leftovers marked spilled. */
  async #giveWay(slot: Slot): Promise<void> {
    const items = await this.#spillWindow(slot);
    this.#unassign(slot);
    if (this.#slots.size > this.#minWindows) {
      await this.#device.closeWindow(slot.id);
      this.#slots.delete(slot.id);
      this.#c.closed++;
    } else {
      for (const it of items) this.#addOwner(slot.id, it.handle, null);
      slot.stores = 0;
      slot.lastUse = 0;
      this.#c.reassigned++;
    }
  }

  async #acquire(account: string, label: string, salience: SalienceInput | undefined): Promise<Slot> {
    const mine = this.#byAccount.get(account);
    const id = mine?.get(label);
    if (id !== undefined) {
      const s = this.#slots.get(id);
      if (s && s.owner === account) return s;
    }
    const now = this.#scorer.now();
    if (mine && mine.size >= this.#perAccount) {
      const own = [...mine.values()].map((w) => this.#slots.get(w)!).filter(Boolean);
      own.sort((a, b) => this.#importance(a, now) - this.#importance(b, now) || a.lastUse - b.lastUse);
      if (own[0]) await this.#giveWay(own[0]);
    }
    let slot = [...this.#slots.values()].find((s) => s.owner === undefined);
    if (!slot && this.#slots.size >= this.#maxWindows) {
      const owned = [...this.#slots.values()].filter((s) => s.owner !== undefined);
      owned.sort((a, b) => this.#importance(a, now) - this.#importance(b, now) || a.lastUse - b.lastUse);
      if (owned[0]) await this.#giveWay(owned[0]);
      slot = [...this.#slots.values()].find((s) => s.owner === undefined);
    }
    if (!slot) {
      const ref = await this.#device.openWindow(`${account}/${label}`, salience);
      slot = { id: ref.id, owner: undefined, label: undefined, salience: ref.salience, lastUse: 0, stores: 0 };
      this.#slots.set(ref.id, slot);
      this.#c.opened++;
    }
    slot.owner = account;
    slot.label = label;
    slot.lastUse = now;
    slot.stores = 0;
    let m = this.#byAccount.get(account);
    if (!m) this.#byAccount.set(account, (m = new Map()));
    m.set(label, slot.id);
    return slot;
  }

  /** Stores content in the account's window `label` (acquiring it first). */
  store(account: string, label: string, content: Content, salience: SalienceInput | undefined): Promise<RememberResult> {
    return this.#locked(async () => {
      const slot = await this.#acquire(account, label, salience);
      this.#lastEvicted = undefined;
      const r = await this.#device.store(slot.id, content, salience);
      this.#addOwner(slot.id, r.handle, { account, label });
      if (salience !== undefined) slot.salience = r.salience;
      slot.lastUse = this.#scorer.now();
      slot.stores++;
      this.#c.stores++;
      const evicted = r.evicted ? this.#evictedNow() : undefined;
      return {
        window: slot.id,
        label,
        handle: r.handle,
        salience: ImportanceScorer.fromByte(r.salience),
        stamp: r.stamp,
        ...(evicted && { evicted: { ...evicted, salience: ImportanceScorer.fromByte(evicted.salience) } }),
      };
    });
  }

  /** The account's items (its windows, or the one labelled), merged in the query's order. */
  recall(account: string, q: PoolRecallQuery): Promise<(RecalledItem & { label: string })[]> {
    return this.#locked(async () => {
      this.#c.recalls++;
      const mine = this.#byAccount.get(account);
      if (!mine) return [];
      const ids = q.label !== undefined ? (mine.has(q.label) ? [mine.get(q.label)!] : []) : [...mine.values()];
      const out: (RecalledItem & { label: string })[] = [];
      const now = this.#scorer.now();
      for (const id of ids) {
        const slot = this.#slots.get(id);
        if (!slot || slot.owner !== account) continue;
        slot.lastUse = now;
        const items = await this.#device.recall({ window: id, order: q.order, minSalience: q.minSalience });
        // Ownership by multiplicity: at most as many records per handle as the account owns.
        const budget = new Map<bigint, number>();
        for (const [h, owners] of this.#owners.get(id) ?? []) budget.set(h, owners.filter((o) => o?.account === account).length);
        for (const it of items) {
          const left = budget.get(it.handle) ?? 0;
          if (left <= 0 || it.content === undefined) continue;
          budget.set(it.handle, left - 1);
          out.push({ ...it, label: slot.label! });
        }
      }
      if (q.order === 'salience') out.sort((a, b) => b.salience - a.salience || a.stamp - b.stamp);
      else out.sort((a, b) => a.stamp - b.stamp);
      return q.limit !== undefined ? out.slice(0, q.limit) : out;
    });
  }

  /** Gives up the account's window `label` (its items are spilled first); returns how many were spilled. */
  release(account: string, label: string): Promise<number> {
    return this.#locked(async () => {
      const id = this.#byAccount.get(account)?.get(label);
      const slot = id === undefined ? undefined : this.#slots.get(id);
      if (!slot || slot.owner !== account) return 0;
      const before = this.#c.evictions.close;
      await this.#giveWay(slot);
      return this.#c.evictions.close - before;
    });
  }

  /** Lowers every salience by `step` and forgets what falls below `threshold` (spilled, cause 'decay'). */
  decay(step: number, threshold: number): Promise<number> {
    return this.#locked(async () => (await this.#device.decay(step, threshold)).length);
  }

  /** The most salient window and who holds it. */
  focus(): Promise<{ window: number; salience: number; account: string | undefined; label: string | undefined }> {
    return this.#locked(async () => {
      const f = await this.#device.focus();
      const s = this.#slots.get(f.id);
      return { window: f.id, salience: ImportanceScorer.fromByte(f.salience), account: s?.owner, label: s?.label };
    });
  }

  /** Every open window with its owner. */
  list(): Promise<WindowInfo[]> {
    return this.#locked(async () => {
      const now = this.#scorer.now();
      const listed = await this.#device.listWindows();
      return listed.map((w) => {
        const s = this.#slots.get(w.id);
        let owned = 0;
        for (const owners of this.#owners.get(w.id)?.values() ?? []) for (const o of owners) if (o && o.account === s?.owner) owned++;
        return {
          id: w.id,
          account: s?.owner,
          label: s?.label,
          salience: ImportanceScorer.fromByte(w.salience),
          items: w.items,
          owned,
          importance: s ? this.#importance({ ...s, salience: w.salience }, now) : 0,
        };
      });
    });
  }

  /** Windows an account holds (label → id). */
  accountWindows(account: string): ReadonlyMap<string, number> {
    return this.#byAccount.get(account) ?? new Map();
  }

  /**
   * Spills every owned item (cause 'close'): the host keeps the items' content, which would
   * not outlive this process. On a board (`clear`), the leftovers are then swept off it.
   */
  drain(clear: boolean): Promise<number> {
    return this.#locked(async () => {
      const before = this.#c.evictions.close;
      for (const slot of [...this.#slots.values()]) {
        if (slot.owner === undefined && !this.#owners.has(slot.id)) continue;
        const items = await this.#spillWindow(slot);
        this.#unassign(slot);
        for (const it of items) this.#addOwner(slot.id, it.handle, null);
      }
      if (clear) await this.#device.decay(255, 255);
      return this.#c.evictions.close - before;
    });
  }

  /** Waits for the operations queued so far. */
  async idle(): Promise<void> {
    await this.#lock;
  }

  stats(): PoolStats {
    return {
      maxWindows: this.#maxWindows,
      minWindows: this.#minWindows,
      capacity: this.#capacity,
      quota: this.#quota,
      stores: this.#c.stores,
      recalls: this.#c.recalls,
      windowsOpened: this.#c.opened,
      windowsClosed: this.#c.closed,
      windowsReassigned: this.#c.reassigned,
      evictions: { ...this.#c.evictions },
      foreignEvictions: this.#c.foreign,
      staleEvictions: this.#c.stale,
      ownedItems: this.#ownedItems,
    };
  }
}
