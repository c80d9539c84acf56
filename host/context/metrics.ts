/**
 * The spec's metrics as plain objects: memory used, context size, state count, and per
 * operation its type, duration and memory delta. "Memory" is the component's own estimate
 * of the bytes its data holds (UTF-16 string sizes plus a fixed overhead per record), not
 * the process heap: it is exact to compute, cheap, and attributable to a session.
 */

export interface OperationRecord {
  /** Component that ran it: 'context', 'state', 'optimizer', … */
  readonly component: string;
  /** Operation type: 'append', 'update', 'optimize', … */
  readonly op: string;
  readonly sessionId?: string;
  /** Wall-clock start (ms since the epoch, from the component's clock). */
  readonly at: number;
  readonly durationMs: number;
  /** Component's estimated bytes after the operation. */
  readonly memoryUsedBytes: number;
  /** Change of that estimate caused by the operation. */
  readonly memoryDeltaBytes: number;
  /** Tokens in the session's window after the operation, where it applies. */
  readonly contextTokens?: number;
  /** States held for the session after the operation, where it applies. */
  readonly stateCount?: number;
  readonly ok: boolean;
}

export interface OperationSummary {
  readonly count: number;
  readonly failures: number;
  readonly totalMs: number;
  readonly maxMs: number;
  readonly meanMs: number;
  readonly memoryDeltaBytes: number;
}

export interface MetricsSnapshot {
  /** Latest records, oldest first (at most `keep`). */
  readonly recent: readonly OperationRecord[];
  /** Aggregates per `component.op`. */
  readonly byOperation: Readonly<Record<string, OperationSummary>>;
}

/** Keeps the last `keep` operation records and running aggregates per operation type. */
export class MetricsRecorder {
  readonly #recent: OperationRecord[] = [];
  #next = 0;
  readonly #agg = new Map<string, { count: number; failures: number; totalMs: number; maxMs: number; memoryDeltaBytes: number }>();

  constructor(readonly keep = 256) {}

  record(r: OperationRecord): void {
    if (this.keep > 0) {
      if (this.#recent.length < this.keep) this.#recent.push(r);
      else this.#recent[this.#next] = r;
      this.#next = (this.#next + 1) % this.keep;
    }
    const k = `${r.component}.${r.op}`;
    let a = this.#agg.get(k);
    if (!a) this.#agg.set(k, (a = { count: 0, failures: 0, totalMs: 0, maxMs: 0, memoryDeltaBytes: 0 }));
    a.count++;
    if (!r.ok) a.failures++;
    a.totalMs += r.durationMs;
    if (r.durationMs > a.maxMs) a.maxMs = r.durationMs;
    a.memoryDeltaBytes += r.memoryDeltaBytes;
  }

  snapshot(): MetricsSnapshot {
    const recent =
      this.#recent.length < this.keep ? [...this.#recent] : [...this.#recent.slice(this.#next), ...this.#recent.slice(0, this.#next)];
    const byOperation: Record<string, OperationSummary> = {};
    for (const [k, a] of this.#agg) byOperation[k] = { ...a, meanMs: a.count ? a.totalMs / a.count : 0 };
    return { recent, byOperation };
  }
}
