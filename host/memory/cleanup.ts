/**
 * Unified cleanup: one global memory threshold over every component the memory holds —
 * caches, buffers (context sessions, open accounts) and archives — and one order to free
 * them in: lowest importance first (importance.ts), across components.
 *
 * Each component implements {@link Reclaimable}: its bytes now, and the candidates it could
 * free now, each with the scorer's inputs and a `free()`. A cleanup takes one snapshot of
 * every candidate, scores them all at one instant, sorts them ascending (older first on ties)
 * and frees from the bottom until the estimate of what is freed reaches the request.
 * Synchronous frees (cache entries, context sessions) happen in the loop; asynchronous ones
 * (closing an idle account flushes it; an archive's own cleanup) are started in order and
 * awaited together, at most until `deadlineMs` (750 ms) after the start: a run always reports
 * within about a second, and frees still running then finish in the background. The report says what was asked, what was
 * freed (measured from the components' own byte counts before and after), which items went
 * with their importance, and how long it took.
 *
 * Nothing freed here is lost: cache entries are recomputable, a closed context session has
 * been folded into the account's history context, a closed account is on disk, and archives
 * drop only what their own cleanup would (their least important content).
 */
import type { ImportanceScorer } from './importance.js';

export type ComponentKind = 'cache' | 'buffer' | 'archive';

export interface ReclaimCandidate {
  /** What it is, for the report: a cache key, a session id, an account id, an archive. */
  readonly key: string;
  /** Bytes freeing it is expected to give back. */
  readonly bytes: number;
  /** Scorer inputs (importance.ts). */
  readonly salience: number;
  readonly lastAccess: number;
  readonly accesses: number;
  /** Frees it; returns the bytes freed. */
  free(): number | Promise<number>;
}

export interface Reclaimable {
  readonly name: string;
  readonly kind: ComponentKind;
  /** Bytes the component holds now, by its own measure. */
  bytes(): number;
  /** What could be freed now (a snapshot: the cleaner iterates it once). */
  candidates(): Iterable<ReclaimCandidate>;
}

export interface FreedItem {
  readonly component: string;
  readonly kind: ComponentKind;
  readonly key: string;
  readonly importance: number;
  readonly bytes: number;
}

export type CleanupTrigger = 'threshold' | 'manual';

export interface MemoryCleanupReport {
  readonly trigger: CleanupTrigger;
  readonly at: number;
  readonly thresholdBytes: number;
  /** The total this run aimed at. */
  readonly targetBytes: number;
  readonly before: number;
  readonly after: number;
  /** before − target (0 when already at or below it). */
  readonly requested: number;
  /** before − after, as the components measure themselves. */
  readonly freed: number;
  readonly reached: boolean;
  readonly durationMs: number;
  /** Candidates considered. */
  readonly candidates: number;
  readonly components: readonly {
    readonly name: string;
    readonly kind: ComponentKind;
    readonly before: number;
    readonly after: number;
    readonly freed: number;
    readonly items: number;
  }[];
  /** The freed items, lowest importance first (at most 10 000 listed; `itemCount` has them all). */
  readonly items: readonly FreedItem[];
  readonly itemCount: number;
  /** Highest importance among the freed items. */
  readonly highestFreed: number | undefined;
  /** Lowest importance among the candidates that were kept. */
  readonly lowestKept: number | undefined;
  /** Frees that failed (the item stays). */
  readonly errors: readonly string[];
  /**
   * Asynchronous frees still running when the deadline came (they finish in the background;
   * their bytes are not in `freed` and their items not in `items`).
   */
  readonly unfinished: number;
}

interface Scored {
  readonly c: ReclaimCandidate;
  readonly component: Reclaimable;
  readonly importance: number;
}

const MAX_LISTED = 10_000;

export class UnifiedCleaner {
  readonly #components: Reclaimable[] = [];
  readonly #scorer: ImportanceScorer;
  thresholdBytes: number;
  targetRatio: number;
  /** Longest a run waits for its asynchronous frees (closing accounts, archive cleanups) before it reports. */
  deadlineMs: number;
  #running: Promise<MemoryCleanupReport> | undefined;

  constructor(scorer: ImportanceScorer, options: { thresholdBytes: number; targetRatio: number; deadlineMs?: number }) {
    this.#scorer = scorer;
    this.thresholdBytes = options.thresholdBytes;
    this.targetRatio = options.targetRatio;
    this.deadlineMs = options.deadlineMs ?? 750;
  }

  add(component: Reclaimable): void {
    if (this.#components.some((c) => c.name === component.name)) throw new Error(`a component named '${component.name}' is already registered`);
    this.#components.push(component);
  }

  remove(name: string): boolean {
    const i = this.#components.findIndex((c) => c.name === name);
    if (i < 0) return false;
    this.#components.splice(i, 1);
    return true;
  }

  components(): readonly Reclaimable[] {
    return this.#components;
  }

  /** Bytes of every component now. */
  total(): number {
    let t = 0;
    for (const c of this.#components) t += c.bytes();
    return t;
  }

  /** Per component, bytes now. */
  breakdown(): { name: string; kind: ComponentKind; bytes: number }[] {
    return this.#components.map((c) => ({ name: c.name, kind: c.kind, bytes: c.bytes() }));
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Frees lowest importance first until the total is at most `targetBytes` (default
   * threshold × targetRatio). One run at a time: a call during a run waits for it, then runs.
   */
  async cleanup(options: { targetBytes?: number; trigger?: CleanupTrigger } = {}): Promise<MemoryCleanupReport> {
    while (this.#running) await this.#running.catch(() => undefined);
    const run = this.#run(options.targetBytes ?? Math.floor(this.thresholdBytes * this.targetRatio), options.trigger ?? 'manual');
    this.#running = run;
    try {
      return await run;
    } finally {
      this.#running = undefined;
    }
  }

  async #run(targetBytes: number, trigger: CleanupTrigger): Promise<MemoryCleanupReport> {
    const t0 = performance.now();
    const at = Date.now();
    const beforeBy = new Map<Reclaimable, number>();
    let before = 0;
    for (const c of this.#components) {
      const b = c.bytes();
      beforeBy.set(c, b);
      before += b;
    }
    const requested = Math.max(0, before - targetBytes);
    const items: FreedItem[] = [];
    const counts = new Map<Reclaimable, number>();
    const errors: string[] = [];
    let highestFreed: number | undefined;
    let lowestKept: number | undefined;
    let considered = 0;
    let unfinished = 0;
    if (requested > 0) {
      const now = this.#scorer.now();
      const all: Scored[] = [];
      for (const component of this.#components) {
        for (const c of component.candidates()) {
          if (!(c.bytes > 0)) continue;
          all.push({ c, component, importance: this.#scorer.score(c, now) });
        }
      }
      considered = all.length;
      all.sort((a, b) => a.importance - b.importance || a.c.lastAccess - b.c.lastAccess);
      let progress = 0;
      const pending: Promise<void>[] = [];
      const isDone: (() => boolean)[] = [];
      let late = false;
      let i = 0;
      for (; i < all.length && progress < requested; i++) {
        const s = all[i]!;
        const record = (bytes: number) => {
          counts.set(s.component, (counts.get(s.component) ?? 0) + 1);
          if (items.length < MAX_LISTED) items.push({ component: s.component.name, kind: s.component.kind, key: s.c.key, importance: s.importance, bytes });
          if (highestFreed === undefined || s.importance > highestFreed) highestFreed = s.importance;
        };
        let out: number | Promise<number>;
        try {
          out = s.c.free();
        } catch (err) {
          errors.push(`${s.component.name} ${s.c.key}: ${(err as Error)?.message ?? String(err)}`);
          continue;
        }
        if (typeof out === 'number') {
          record(out);
          progress += out;
        } else {
          progress += s.c.bytes;
          let done = false;
          pending.push(
            out.then(
              (n) => {
                if (!late) record(n);
              },
              (err) => {
                if (!late) errors.push(`${s.component.name} ${s.c.key}: ${(err as Error)?.message ?? String(err)}`);
              },
            ).finally(() => {
              done = true;
            }),
          );
          isDone.push(() => done);
        }
      }
      // Asynchronous frees run together; past the deadline the run reports and they finish in the background.
      const left = this.deadlineMs - (performance.now() - t0);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(pending),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.max(0, left));
        }),
      ]);
      clearTimeout(timer);
      late = true;
      unfinished = isDone.filter((d) => !d()).length;
      if (i < all.length) lowestKept = all[i]!.importance;
      items.sort((a, b) => a.importance - b.importance);
    }
    let after = 0;
    const components = this.#components.map((c) => {
      const b = c.bytes();
      after += b;
      const was = beforeBy.get(c) ?? b;
      return { name: c.name, kind: c.kind, before: was, after: b, freed: was - b, items: counts.get(c) ?? 0 };
    });
    const itemCount = [...counts.values()].reduce((a, b) => a + b, 0);
    return {
      trigger,
      at,
      thresholdBytes: this.thresholdBytes,
      targetBytes,
      before,
      after,
      requested,
      freed: before - after,
      reached: after <= targetBytes,
      durationMs: performance.now() - t0,
      candidates: considered,
      components,
      items,
      itemCount,
      highestFreed,
      lowestKept,
      errors,
      unfinished,
    };
  }
}
