/**
 * One memory budget for many caches. Caches register with a priority; the manager keeps the
 * sum of their bytes under a global budget and sheds memory when the process or the machine
 * is under pressure, so an agent can run indefinitely.
 *
 * Triggers, in order of severity (checked by `check()`, which the background monitor calls
 * every `intervalMs`; the budget is also enforced synchronously whenever a cache grows):
 * - budget: total > budgetBytes → free down to budgetBytes × targetRatio;
 * - pressure: pressure ≥ pressureThreshold (0.8) → free pressureShed (25 %) of the total;
 * - emergency: pressure ≥ emergencyThreshold (0.95) → free emergencyShed (50 %) of the total.
 *
 * Cleanup: expired entries first (they are dead already); then lowest priority first; within a
 * priority the amount is split in proportion to each cache's bytes, and each cache's own
 * policy chooses the victims (so high-utility / frequent entries stay). A priority is drained
 * before the next is touched. The report says what was asked, what was freed and whether the
 * reduction was reached.
 */
import { z } from 'zod';
import { CacheError, CacheOptionsError, formatIssues } from './errors.js';
import type { CacheAccount, ManagedCache } from './managed.js';
import { type PressureReading, readPressure } from './pressure.js';

export const MB = 1024 * 1024;

const ratio = z.number().gt(0).lte(1);

export const memoryManagerOptionsSchema = z
  .strictObject({
    /** Global byte budget for all registered caches; default 500 MB. */
    budgetBytes: z.number().positive().default(500 * MB),
    /** After a budget cleanup the total is at most budgetBytes × targetRatio (hysteresis). */
    targetRatio: ratio.default(0.9),
    pressureThreshold: ratio.default(0.8),
    emergencyThreshold: ratio.default(0.95),
    /** Share of the managed bytes freed by a pressure cleanup. */
    pressureShed: ratio.default(0.25),
    /** Share of the managed bytes freed by an emergency cleanup. */
    emergencyShed: ratio.default(0.5),
    /** Background check interval in ms (the timer is unref'd). */
    intervalMs: z.number().int().min(10).default(5000),
    /** Pressure source; default readPressure() (heap, cgroup, machine). */
    pressure: z.custom<() => PressureReading | number>((v) => typeof v === 'function').optional(),
    /** Called with every cleanup report. */
    onCleanup: z.custom<(report: CleanupReport) => void>((v) => typeof v === 'function').optional(),
  })
  .refine((o) => o.pressureThreshold <= o.emergencyThreshold, {
    message: 'pressureThreshold must be ≤ emergencyThreshold',
  });

export type MemoryManagerOptions = z.input<typeof memoryManagerOptionsSchema>;

export type CleanupTrigger = 'budget' | 'pressure' | 'emergency' | 'manual';

export interface CleanupReport {
  readonly trigger: CleanupTrigger;
  /** Pressure ratio that triggered it (undefined for budget and manual). */
  readonly pressure: number | undefined;
  readonly totalBefore: number;
  readonly totalAfter: number;
  /** Bytes the cleanup set out to free. */
  readonly requested: number;
  readonly freed: number;
  /** Whether freed ≥ requested. */
  readonly reached: boolean;
  /** Per cache that lost anything, in cleanup order. */
  readonly caches: readonly {
    readonly name: string;
    readonly priority: number;
    readonly before: number;
    readonly after: number;
    readonly freed: number;
  }[];
}

export interface ManagerStats {
  readonly budgetBytes: number;
  readonly totalBytes: number;
  readonly peakBytes: number;
  readonly monitoring: boolean;
  readonly caches: readonly { readonly name: string; readonly priority: number; readonly bytes: number; readonly entries: number }[];
  readonly cleanups: Readonly<Record<CleanupTrigger, number>>;
  readonly freedBytes: Readonly<Record<CleanupTrigger, number>>;
  /** Cleanups that freed less than they asked for. */
  readonly unreached: number;
  readonly lastPressure: PressureReading | undefined;
  readonly lastCleanup: CleanupReport | undefined;
}

export interface RegisterOptions {
  /** Higher = kept longer; default 0. */
  readonly priority?: number;
}

class Registration implements CacheAccount {
  lastBytes: number;
  constructor(
    readonly manager: MemoryManager,
    readonly cache: ManagedCache,
    readonly priority: number,
    readonly order: number,
  ) {
    this.lastBytes = cache.bytes;
  }

  changed(): void {
    this.manager._changed(this);
  }
}

const zero = (): Record<CleanupTrigger, number> => ({ budget: 0, pressure: 0, emergency: 0, manual: 0 });

export class MemoryManager {
  readonly budgetBytes: number;
  readonly #o: z.output<typeof memoryManagerOptionsSchema>;
  readonly #regs = new Map<ManagedCache, Registration>();
  #order = 0;
  #total = 0;
  #peak = 0;
  #cleaning = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #cleanups = zero();
  readonly #freed = zero();
  #unreached = 0;
  #lastPressure: PressureReading | undefined;
  #lastCleanup: CleanupReport | undefined;

  constructor(options: MemoryManagerOptions = {}) {
    const r = memoryManagerOptionsSchema.safeParse(options);
    if (!r.success) throw new CacheOptionsError('memory manager options', formatIssues(r.error.issues));
    this.#o = r.data;
    this.budgetBytes = r.data.budgetBytes;
  }

  /** Sum of the registered caches' bytes. */
  get totalBytes(): number {
    return this.#total;
  }

  /** Adds a cache; enforces the budget at once. Throws CacheError if already registered. */
  register(cache: ManagedCache, options: RegisterOptions = {}): void {
    const priority = options.priority ?? 0;
    if (!Number.isFinite(priority)) throw new CacheOptionsError('register options', ['priority: must be a finite number']);
    if (this.#regs.has(cache)) throw new CacheError(`cache '${cache.name}' is already registered`);
    const reg = new Registration(this, cache, priority, this.#order++);
    this.#regs.set(cache, reg);
    cache.attach(reg);
    this.#total += reg.lastBytes;
    this.#enforce();
  }

  /** Removes a cache from management (its entries stay); false when it was not registered. */
  unregister(cache: ManagedCache): boolean {
    const reg = this.#regs.get(cache);
    if (reg === undefined) return false;
    cache.attach(null);
    this.#regs.delete(cache);
    this.#total -= reg.lastBytes;
    return true;
  }

  /** @internal Called by a registered cache after its bytes changed. */
  _changed(reg: Registration): void {
    const b = reg.cache.bytes;
    this.#total += b - reg.lastBytes;
    reg.lastBytes = b;
    this.#enforce();
  }

  /**
   * Reads the pressure and cleans as needed (see the class comment); returns the report, or
   * undefined when nothing was needed.
   */
  check(): CleanupReport | undefined {
    const reading = this.#readPressure();
    this.#lastPressure = reading;
    if (reading.ratio >= this.#o.emergencyThreshold) {
      return this.cleanup(this.#total * this.#o.emergencyShed, 'emergency', reading.ratio);
    }
    if (reading.ratio >= this.#o.pressureThreshold) {
      return this.cleanup(this.#total * this.#o.pressureShed, 'pressure', reading.ratio);
    }
    if (this.#total > this.budgetBytes) return this.#budgetCleanup();
    return undefined;
  }

  /** Frees at least `bytes` if the caches hold that much (see the class comment for the order). */
  cleanup(bytes: number, trigger: CleanupTrigger = 'manual', pressure?: number): CleanupReport {
    if (!(bytes >= 0)) throw new CacheOptionsError('cleanup', [`bytes: must be a number ≥ 0, got ${bytes}`]);
    const wasCleaning = this.#cleaning;
    this.#cleaning = true;
    const totalBefore = this.#total;
    const touched = new Map<Registration, number>();
    const remember = (r: Registration) => {
      if (!touched.has(r)) touched.set(r, r.cache.bytes);
    };
    try {
      let need = bytes;
      // 1. Expired entries, everywhere.
      for (const r of this.#regs.values()) {
        if (need <= 0) break;
        remember(r);
        need -= r.cache.purgeExpired();
      }
      // 2. By priority, lowest first; proportional to size within a priority.
      for (const group of this.#byPriority()) {
        while (need > 0) {
          const groupBytes = group.reduce((s, r) => s + r.cache.bytes, 0);
          if (groupBytes <= 0) break;
          const share = Math.min(need, groupBytes);
          let freed = 0;
          for (const r of group) {
            const b = r.cache.bytes;
            if (b <= 0) continue;
            remember(r);
            freed += r.cache.shrinkBy(Math.ceil((share * b) / groupBytes));
          }
          need -= freed;
          if (freed <= 0) break; // nothing more to get here
        }
        if (need <= 0) break;
      }
    } finally {
      this.#cleaning = wasCleaning;
    }
    const totalAfter = this.#total;
    const freed = totalBefore - totalAfter;
    const report: CleanupReport = {
      trigger,
      pressure,
      totalBefore,
      totalAfter,
      requested: bytes,
      freed,
      reached: freed >= bytes,
      caches: [...touched]
        .map(([r, before]) => ({
          name: r.cache.name,
          priority: r.priority,
          before,
          after: r.cache.bytes,
          freed: before - r.cache.bytes,
        }))
        .filter((c) => c.freed > 0),
    };
    this.#cleanups[trigger]++;
    this.#freed[trigger] += freed;
    if (!report.reached) this.#unreached++;
    this.#lastCleanup = report;
    this.#o.onCleanup?.(report);
    return report;
  }

  /** Starts the background monitor (idempotent). The timer does not keep the process alive. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      try {
        this.check();
      } catch {
        // A failing pressure source or dispose callback must not kill the process; the next
        // tick tries again. Call check() directly to see the error.
      }
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  stats(): ManagerStats {
    return {
      budgetBytes: this.budgetBytes,
      totalBytes: this.#total,
      peakBytes: this.#peak,
      monitoring: this.#timer !== undefined,
      caches: [...this.#regs.values()].map((r) => ({
        name: r.cache.name,
        priority: r.priority,
        bytes: r.cache.bytes,
        entries: r.cache.size,
      })),
      cleanups: { ...this.#cleanups },
      freedBytes: { ...this.#freed },
      unreached: this.#unreached,
      lastPressure: this.#lastPressure,
      lastCleanup: this.#lastCleanup,
    };
  }

  #enforce(): void {
    if (this.#total > this.#peak) this.#peak = this.#total;
    if (!this.#cleaning && this.#total > this.budgetBytes) this.#budgetCleanup();
  }

  #budgetCleanup(): CleanupReport {
    return this.cleanup(this.#total - this.budgetBytes * this.#o.targetRatio, 'budget');
  }

  #byPriority(): Registration[][] {
    const regs = [...this.#regs.values()].sort((a, b) => a.priority - b.priority || a.order - b.order);
    const groups: Registration[][] = [];
    for (const r of regs) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[0]!.priority === r.priority) last.push(r);
      else groups.push([r]);
    }
    return groups;
  }

  #readPressure(): PressureReading {
    const p = this.#o.pressure;
    if (p === undefined) return readPressure();
    const v = p();
    if (typeof v !== 'number') return v;
    if (!Number.isFinite(v) || v < 0) throw new CacheOptionsError('pressure reading', [`must be a finite number ≥ 0, got ${v}`]);
    const none = { used: 0, limit: 0, ratio: 0 };
    return { ratio: v, source: 'injected', heap: none, memory: { source: 'system', ...none } };
  }
}
