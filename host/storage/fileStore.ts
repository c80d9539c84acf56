/**
 * The file backend, the embedded default. One directory per account, `<root>/account_<id>/`
 * (mode 0700; files 0600):
 *
 *   history.log            the whole history: append-only, one checksummed record per message (recordLog.ts)
 *   short_term.json        the last `shortTerm` messages           ┐ snapshots of the tiers, replaced
 *   mid_term.json          the `midTerm` messages before them       ┘ atomically; rebuilt from the log
 *   history_context.json   summaries (versioned; compare-and-set)
 *   status.json            per-component status, counts, recent repairs
 *   lock                   present while a process commits (lock.ts)
 *
 * Appends are group-committed: callers queue; one flusher takes the account lock, reads
 * whatever other processes appended meanwhile, decides duplicates and seqs, writes every
 * queued record with one write() and one fdatasync(), and only then resolves the callers.
 * The tier snapshots (and status.json) follow `snapshotLagMs` later (default 100 ms; 0:
 * after every commit), each an atomic replace, so they trail the log by at most that, and
 * close() writes them. They are never needed to recover anything: the tiers are rebuilt
 * from the log's tail at open, and a stale snapshot is simply rewritten.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { accountDirName, accountIdOfDir, checkAccountId } from '../tiers/accountId.js';
import type { TierShape } from '../tiers/config.js';
import type { HistoryContext } from '../tiers/context.js';
import { emptyContext } from '../tiers/context.js';
import { toIssues } from '../tiers/errors.js';
import type { Message, PendingMessage } from '../tiers/message.js';
import { checkPending } from '../tiers/message.js';
import { TierWindow } from '../tiers/window.js';
import { AppendQueue, type PendingAppend } from './appendQueue.js';
import { ComponentStates } from './componentStates.js';
import { StorageError, StoreConfigError } from './errors.js';
import { atomicWrite, ensureDir, exists, fsyncDir, readIfExists, removeDeadTemps } from './fsutil.js';
import { FileLock } from './lock.js';
import { Mutex } from './mutex.js';
import type { ScanIssues } from './recordLog.js';
import { RecordLog } from './recordLog.js';
import type { BaseFile, StatusFile } from './snapshots.js';
import { FILES, baseFileSchema, contextFileSchema, parseFile, statusFileSchema, tierFile, tierFileSchema } from './snapshots.js';
import type {
  AccountStore,
  AppendOutcome,
  ComponentName,
  ComponentState,
  ComponentStatus,
  HealthEntry,
  HistoryQuery,
  OpenReport,
  RepairKind,
  RepairReport,
  StoreFactory,
} from './types.js';
import { COMPONENTS, nowIso } from './types.js';

export const fileStoreConfigSchema = z
  .object({
    /** Directory holding the account directories. */
    root: z.string().min(1).default('memory'),
    /** Longest wait for another live process's lock before LockTimeoutError. */
    lockTimeoutMs: z.number().int().positive().default(30_000),
    /** Under continuous appends, the tier snapshots trail the log by at most this (0: after every commit). */
    snapshotLagMs: z.number().int().nonnegative().default(100),
    /** Open without locking, repairing or writing anything (inspection, e.g. the CLI). */
    readOnly: z.boolean().default(false),
    /**
     * Whether other processes may write the same accounts. When true (default) every read
     * first picks up their appends (one stat); when false reads are served from memory.
     */
    shared: z.boolean().default(true),
  })
  .strict();
export type FileStoreConfigInput = z.input<typeof fileStoreConfigSchema>;
export type FileStoreConfig = z.output<typeof fileStoreConfigSchema>;

export function parseFileStoreConfig(input: unknown): FileStoreConfig {
  const r = fileStoreConfigSchema.safeParse(input ?? {});
  if (!r.success) throw new StoreConfigError(`invalid file store config: ${toIssues(r.error.issues).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return r.data;
}

const MAX_REPAIRS_KEPT = 20;

export class FileAccountStore implements AccountStore {
  readonly backend = 'file' as const;
  readonly dir: string;
  readonly #cfg: FileStoreConfig;
  readonly #lock: FileLock;
  readonly #mutex = new Mutex();
  #log: RecordLog | undefined;
  #window: TierWindow;
  #base: BaseFile | undefined;
  readonly #appends = new AppendQueue(() => this.#flushLoop());
  #snapshotDirty = false;
  #snapshotTimer: NodeJS.Timeout | undefined;
  #snapshotRun: Promise<void> | undefined;
  #repairs: RepairReport[] = [];
  #persistedRepairs: RepairReport[] = [];
  readonly #components = new ComponentStates();
  #opened = false;
  #closed = false;
  #context: { stamp: string; value: HistoryContext } | undefined;

  constructor(
    readonly account: string,
    readonly shape: TierShape,
    config: FileStoreConfigInput | FileStoreConfig = {},
  ) {
    checkAccountId(account);
    this.#cfg = parseFileStoreConfig(config);
    this.dir = join(this.#cfg.root, accountDirName(account));
    this.#window = new TierWindow(shape);
    this.#lock = new FileLock(join(this.dir, FILES.lock), {
      timeoutMs: this.#cfg.lockTimeoutMs,
      onStale: (info) =>
        this.#report('storage', 'stale-lock', `removed the lock of dead process ${info ? `pid ${info.pid}` : '(unreadable lock file)'}`),
    });
  }

  #path(name: string): string {
    return join(this.dir, name);
  }

  #report(component: ComponentName, kind: RepairKind, detail: string, lost?: number): void {
    this.#repairs.push({ component, kind, detail, ...(lost !== undefined ? { lost } : {}), at: nowIso() });
  }

  repairs(): readonly RepairReport[] {
    return this.#repairs.slice();
  }

  /** Repairs recorded in status.json by earlier opens (and this one once persisted). */
  pastRepairs(): readonly RepairReport[] {
    return this.#persistedRepairs.slice();
  }

  async open(): Promise<OpenReport> {
    if (this.#opened) throw new StorageError(`account ${this.account} is already open`);
    if (this.#cfg.readOnly) {
      if (!(await exists(this.dir))) throw new StorageError(`no account ${this.account} under ${this.#cfg.root}`);
      await this.#load(false);
    } else {
      await ensureDir(this.#cfg.root);
      await ensureDir(this.dir);
      // Make the directory entries durable (a new account's directory in the root, and the
      // root in its parent), so an acknowledged append cannot vanish with its directory.
      await fsyncDir(dirname(this.#cfg.root));
      await fsyncDir(this.#cfg.root);
      await this.#lock.with(async () => {
        await removeDeadTemps(this.dir);
        await this.#load(true);
        await fsyncDir(this.dir); // history.log's entry, when it was just created
      });
    }
    this.#opened = true;
    this.#components.opened();
    return { messageCount: this.#window.count, lastSeq: this.#window.lastSeq, repairs: this.repairs() };
  }

  /** Loads (and with `repair`, repairs) everything from disk. Caller holds the lock when repairing. */
  async #load(repair: boolean): Promise<void> {
    const S = this.shape.shortTerm;
    const M = this.shape.midTerm;
    // Status first: what an earlier run knew (counts, repairs), to tell data loss from a new account.
    let prior: StatusFile | undefined;
    const statusBytes = await readIfExists(this.#path(FILES.status));
    if (statusBytes) {
      const r = parseFile(statusFileSchema, statusBytes);
      if (r.ok) prior = r.value;
      else this.#report('storage', 'garbled-file', `${FILES.status}: ${r.reason}; rebuilt from the history`);
    }
    this.#persistedRepairs = (prior?.repairs ?? []) as RepairReport[];

    // A failover journal's base (absent for ordinary accounts).
    this.#base = undefined;
    const baseBytes = await readIfExists(this.#path(FILES.base));
    if (baseBytes) {
      const r = parseFile(baseFileSchema, baseBytes);
      if (r.ok && r.value.account === this.account) this.#base = r.value;
      else this.#report('history', 'garbled-file', `${FILES.base}: ${r.ok ? 'another account' : r.reason}; ignored`);
    }

    // The whole history.
    await this.#log?.close().catch(() => {});
    const { log, issues, quarantined } = await RecordLog.open(this.#path(FILES.log), { repair, create: repair });
    this.#log = log;
    this.#reportScan(issues, repair, quarantined);

    // Tiers from the history's tail.
    const tail = await this.#tail(S + M);
    const baseCount = this.#base?.base_count ?? 0;
    this.#window = new TierWindow(this.shape, tail, Math.max(this.#base?.base_seq ?? 0, log.lastSeq), baseCount + log.count);

    // Nothing readable left although an earlier run stored messages (or the log was all
    // garbage): salvage what the tier snapshots hold, and say what was lost.
    const allGarbage = log.count === 0 && issues.torn?.from === 0 && issues.torn.bytes > 0;
    if (this.#window.count === 0 && ((prior && prior.message_count > 0) || allGarbage)) {
      const salvaged = repair ? await this.#salvage() : 0;
      const known = prior?.message_count;
      const lost = known !== undefined ? Math.max(0, known - salvaged) : undefined;
      if (salvaged > 0) this.#report('history', 'salvaged', `history was unreadable; recovered ${salvaged} messages from the tier snapshots`);
      this.#report(
        'history',
        'reinitialised',
        `${known !== undefined ? `status.json recorded ${known} messages but` : 'status unknown;'} the history held none readable; ${repair ? (salvaged > 0 ? `restarted with the ${salvaged} salvaged` : 'restarted empty') : 'not repaired (read-only)'}`,
        lost,
      );
    }

    // Tier snapshots: compare with what the history says.
    const shortSnap = await this.#readTier(FILES.shortTerm, 'short_term');
    const midSnap = await this.#readTier(FILES.midTerm, 'mid_term');
    const wantShort = this.#window.shortTerm();
    const wantMid = this.#window.midTerm();
    const same = (snap: Message[] | undefined, want: Message[]) =>
      snap !== undefined && snap.length === want.length && snap.every((m, i) => m.seq === want[i]!.seq && m.hash === want[i]!.hash);
    let rewrite = false;
    if (shortSnap.state === 'garbled' || midSnap.state === 'garbled') {
      this.#report('short_term', 'rebuilt-tiers', 'tier snapshot garbled; short-term and mid-term rebuilt from the whole history');
      rewrite = true;
    } else if (!same(shortSnap.messages, wantShort) || !same(midSnap.messages, wantMid)) {
      if (shortSnap.state !== 'absent' || midSnap.state !== 'absent' || this.#window.count > 0) {
        this.#report('short_term', 'stale-snapshot', 'tier snapshots behind the whole history (interrupted run); rebuilt from it');
      }
      rewrite = true;
    }

    // History context.
    this.#context = undefined;
    const ctxBytes = await readIfExists(this.#path(FILES.context));
    let ctxRewrite = ctxBytes === undefined;
    if (ctxBytes) {
      const r = parseFile(contextFileSchema, ctxBytes);
      if (!r.ok || r.value.account !== this.account) {
        const reason = r.ok ? 'belongs to another account' : r.reason;
        if (repair) await this.#quarantine(FILES.context);
        this.#report('history_context', 'reinitialised', `${FILES.context}: ${reason}; summaries start over (they will be regenerated from the history)`);
        ctxRewrite = true;
      } else if (r.value.coveredThrough > this.#window.lastSeq) {
        this.#report('history_context', 'rebuilt-tiers', `summaries covered seq ${r.value.coveredThrough} beyond the history's last (${this.#window.lastSeq}); coverage pulled back`);
        const { format: _f, account: _a, ...ctx } = r.value;
        const kept = ctx.summaries.filter((s) => s.toSeq <= this.#window.lastSeq);
        await this.#writeContext({ ...ctx, coveredThrough: kept.at(-1)?.toSeq ?? 0, summaries: kept }, repair);
      }
    }
    if (ctxRewrite && repair) await this.#writeContext(emptyContext(), true);

    if (repair && (rewrite || !prior || this.#repairs.length > 0)) await this.#writeSnapshots();
    if (!repair) this.#snapshotDirty = false;
  }

  #reportScan(issues: ScanIssues, repaired: boolean, quarantined?: string): void {
    const verb = repaired ? 'removed' : 'found (read-only: not repaired)';
    if (issues.torn) {
      const all = this.#log!.count === 0 && issues.torn.from === 0;
      this.#report(
        'history',
        all ? 'garbled-records' : 'torn-tail',
        all
          ? `${FILES.log}: no readable record in ${issues.torn.bytes} bytes ${verb}`
          : `${FILES.log}: torn tail of ${issues.torn.bytes} bytes at offset ${issues.torn.from} ${verb} (a write interrupted by a crash)`,
      );
    }
    if (issues.garbled.length > 0) {
      const bytes = issues.garbled.reduce((a, g) => a + g.to - g.from, 0);
      const records = issues.garbled.reduce((a, g) => a + g.records, 0);
      this.#report(
        'history',
        'garbled-records',
        `${FILES.log}: ${bytes} garbled bytes in ${issues.garbled.length} place(s) (${records} bad record(s), ${issues.missingSeqs} seq(s) missing) ${verb}${quarantined ? `; original kept as ${quarantined}` : ''}`,
        issues.missingSeqs,
      );
    }
  }

  async #readTier(name: string, _c: ComponentName): Promise<{ state: 'ok' | 'absent' | 'garbled'; messages?: Message[] }> {
    const bytes = await readIfExists(this.#path(name));
    if (!bytes) return { state: 'absent' };
    const r = parseFile(tierFileSchema, bytes);
    if (!r.ok || r.value.account !== this.account) return { state: 'garbled' };
    return { state: 'ok', messages: r.value.messages as Message[] };
  }

  /** Rebuilds a log from the messages in the tier snapshots (when the log is lost). */
  async #salvage(): Promise<number> {
    const got = new Map<number, Message>();
    for (const name of [FILES.midTerm, FILES.shortTerm]) {
      const bytes = await readIfExists(this.#path(name));
      if (!bytes) continue;
      const r = parseFile(tierFileSchema, bytes);
      if (r.ok && r.value.account === this.account) for (const m of r.value.messages) got.set(m.seq, m as Message);
    }
    const msgs = [...got.values()].sort((a, b) => a.seq - b.seq);
    if (msgs.length === 0) return 0;
    await this.#log!.append(msgs);
    this.#window = new TierWindow(this.shape, msgs, msgs.at(-1)!.seq, msgs.length);
    return msgs.length;
  }

  async #quarantine(name: string): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    await fsp.rename(this.#path(name), this.#path(`${name}.corrupt-${stamp}`)).catch(() => {});
  }

  /** The last `n` messages: the base tail (journal) followed by the log. */
  async #tail(n: number): Promise<Message[]> {
    const log = this.#log!;
    const fromLog = await log.readIndex(log.count - n, log.count);
    if (fromLog.length >= n || !this.#base) return fromLog;
    return [...this.#base.tail.slice(-(n - fromLog.length)), ...fromLog] as Message[];
  }

  // ---- appends -------------------------------------------------------------------------

  #check(): void {
    if (this.#closed) throw new StorageError(`account ${this.account} is closed`);
    if (!this.#opened) throw new StorageError(`account ${this.account} is not open`);
  }

  append(batch: readonly PendingMessage[]): Promise<AppendOutcome[]> {
    try {
      this.#check();
      if (this.#cfg.readOnly) throw new StorageError('store opened read-only');
      checkPending(batch);
    } catch (err) {
      return Promise.reject(err);
    }
    if (batch.length === 0) return Promise.resolve([]);
    return this.#appends.push(batch);
  }

  async #flushLoop(): Promise<void> {
    while (this.#appends.waiting.length > 0) {
      const items = this.#appends.waiting.splice(0, this.#appends.waiting.length);
      try {
        await this.#lock.acquire();
      } catch (err) {
        for (const it of items) it.reject(err);
        continue;
      }
      try {
        await this.#commit(items);
        if (this.#cfg.snapshotLagMs === 0) await this.#snapshotLocked();
      } finally {
        await this.#lock.release().catch(() => {});
      }
    }
    this.#scheduleSnapshot();
  }

  /** Writes the tier snapshots `snapshotLagMs` after the first unsnapshotted commit. */
  #scheduleSnapshot(): void {
    if (!this.#snapshotDirty || this.#snapshotTimer || this.#closed) return;
    this.#snapshotTimer = setTimeout(() => {
      this.#snapshotTimer = undefined;
      if (this.#closed || !this.#snapshotDirty) return;
      this.#snapshotRun = this.#lock
        .with(() => this.#snapshotLocked())
        .catch((err) => this.#components.fail('short_term', `snapshot write failed: ${(err as Error).message}`))
        .finally(() => {
          this.#snapshotRun = undefined;
          this.#scheduleSnapshot();
        });
    }, this.#cfg.snapshotLagMs);
    this.#snapshotTimer.unref();
  }

  /** Caller holds the lock. Catches up first, so a snapshot never rolls back another writer's newer one. */
  async #snapshotLocked(): Promise<void> {
    try {
      await this.#mutex.run(() => this.#catchUp(true));
      await this.#writeSnapshots();
    } catch (err) {
      this.#components.fail('short_term', `snapshot write failed: ${(err as Error).message}`);
    }
  }

  async #commit(items: PendingAppend[]): Promise<void> {
    await this.#mutex.run(async () => {
      try {
        await this.#catchUp(true);
      } catch (err) {
        for (const it of items) it.reject(err);
        return;
      }
      const cp = this.#window.checkpoint();
      const fresh: Message[] = [];
      const outcomes = items.map((it) =>
        it.batch.map((m): AppendOutcome => {
          const v = this.#window.verdict(m);
          if (v.duplicate) return { message: v.of, duplicate: true };
          const rec = this.#window.assign(m);
          fresh.push(rec);
          return { message: rec, duplicate: false };
        }),
      );
      try {
        await this.#log!.append(fresh);
      } catch (err) {
        this.#window.restore(cp);
        this.#components.fail('storage', (err as Error).message);
        for (const it of items) it.reject(err);
        return;
      }
      if (fresh.length > 0) {
        const now = Date.now();
        for (const c of ['storage', 'short_term', 'history'] as const) this.#touch(c, now);
        if (this.#window.count > this.shape.shortTerm) this.#touch('mid_term', now); // something overflowed
        this.#snapshotDirty = true;
      }
      items.forEach((it, i) => it.resolve(outcomes[i]!));
    });
  }

  #touch(c: ComponentName, now: number): void {
    const rt = this.#components.get(c);
    rt.lastUpdate = now;
    if (rt.status === 'failing' && c !== 'history_context') {
      rt.status = 'active';
      delete rt.issue;
    }
  }

  /** Picks up records other processes appended. Caller holds the mutex (and the lock when repairing). */
  async #catchUp(repair: boolean): Promise<void> {
    const log = this.#log!;
    const r = await log.catchUp(repair);
    if (r === 'reset') {
      if (!repair) {
        // Replaced or shortened by another process's repair: reload without repairing.
        await this.#load(false);
        return;
      }
      await this.#load(true);
      return;
    }
    if (r.issues) this.#reportScan(r.issues, repair);
    for (const rec of r.records) this.#window.push(rec);
  }

  async #refresh(): Promise<void> {
    this.#check();
    if (!this.#cfg.shared || this.#cfg.readOnly) return;
    await this.#mutex.run(() => this.#catchUp(false));
  }

  async #writeSnapshots(): Promise<void> {
    if (this.#cfg.readOnly) return;
    // Capture everything before the first await: one consistent state.
    const w = this.#window;
    const seq = w.lastSeq;
    const short = JSON.stringify(tierFile('short', this.account, this.shape.shortTerm, seq, w.shortTerm()));
    const mid = JSON.stringify(tierFile('mid', this.account, this.shape.midTerm, seq, w.midTerm()));
    const status = this.#statusJson();
    await atomicWrite(this.#path(FILES.shortTerm), short, { syncDir: false });
    await atomicWrite(this.#path(FILES.midTerm), mid, { syncDir: false });
    await atomicWrite(this.#path(FILES.status), status, { syncDir: false });
    await fsyncDir(this.dir);
    this.#snapshotDirty = false;
  }

  #statusJson(): string {
    const known = new Set(this.#persistedRepairs.map((r) => `${r.at}|${r.kind}|${r.detail}`));
    const repairs = [...this.#persistedRepairs, ...this.#repairs.filter((r) => !known.has(`${r.at}|${r.kind}|${r.detail}`))].slice(-MAX_REPAIRS_KEPT);
    this.#persistedRepairs = repairs;
    const counts = this.#componentCounts();
    const file: StatusFile = {
      format: 'janela.status/1',
      account: this.account,
      backend: 'file',
      updated_at: nowIso(),
      message_count: this.#window.count,
      last_seq: this.#window.lastSeq,
      shape: { ...this.shape },
      components: Object.fromEntries(
        COMPONENTS.map((c) => {
          const rt = this.#components.get(c);
          return [
            c,
            {
              status: rt.status,
              last_update: rt.lastUpdate === null ? null : nowIso(rt.lastUpdate),
              message_count: counts[c],
              ...(rt.issue ? { issue: rt.issue } : {}),
            },
          ];
        }),
      ),
      repairs,
    };
    return JSON.stringify(file, null, 1);
  }

  #componentCounts(): Record<ComponentName, number> {
    const w = this.#window;
    const covered = this.#context?.value.summaries.reduce((a, s) => a + s.messageCount, 0) ?? 0;
    return {
      storage: w.count,
      short_term: w.shortTerm().length,
      mid_term: w.midTerm().length,
      history: w.count,
      history_context: covered,
    };
  }

  // ---- reads ---------------------------------------------------------------------------

  async shortTerm(): Promise<Message[]> {
    await this.#refresh();
    return this.#window.shortTerm();
  }

  async midTerm(): Promise<Message[]> {
    await this.#refresh();
    return this.#window.midTerm();
  }

  async counts(): Promise<{ messageCount: number; lastSeq: number }> {
    await this.#refresh();
    return { messageCount: this.#window.count, lastSeq: this.#window.lastSeq };
  }

  async history(query: HistoryQuery): Promise<Message[]> {
    await this.#refresh();
    const limit = Math.max(0, Math.floor(query.limit));
    if (limit === 0) return [];
    const log = this.#log!;
    const baseTail = (this.#base?.tail ?? []) as Message[];
    if (query.afterSeq !== undefined) {
      const after = query.afterSeq;
      const fromBase = baseTail.filter((m) => m.seq > after).slice(0, limit);
      const i = log.indexAfter(after);
      return [...fromBase, ...(await log.readIndex(i, i + limit - fromBase.length))];
    }
    const before = query.beforeSeq ?? Number.POSITIVE_INFINITY;
    const j = before === Number.POSITIVE_INFINITY ? log.count : log.indexAfter(before - 1);
    const fromLog = await log.readIndex(j - limit, j);
    if (fromLog.length >= limit || baseTail.length === 0) return fromLog;
    const firstLog = fromLog[0]?.seq ?? before;
    const fromBase = baseTail.filter((m) => m.seq < Math.min(before, firstLog)).slice(-(limit - fromLog.length));
    return [...fromBase, ...fromLog];
  }

  // ---- context -------------------------------------------------------------------------

  async getContext(): Promise<HistoryContext> {
    this.#check();
    const path = this.#path(FILES.context);
    let stamp = 'absent';
    try {
      const st = await fsp.stat(path);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (this.#context?.stamp === stamp) return this.#context.value;
    let value = emptyContext();
    const bytes = stamp === 'absent' ? undefined : await readIfExists(path);
    if (bytes) {
      const r = parseFile(contextFileSchema, bytes);
      if (r.ok && r.value.account === this.account) {
        const { format: _f, account: _a, ...ctx } = r.value;
        value = ctx;
      } else this.#components.fail('history_context', `${FILES.context} unreadable; reopen to repair`);
    }
    this.#context = { stamp, value };
    return value;
  }

  async putContext(context: HistoryContext, expectedVersion: number): Promise<boolean> {
    this.#check();
    if (this.#cfg.readOnly) throw new StorageError('store opened read-only');
    return this.#lock.with(async () => {
      this.#context = undefined;
      const current = await this.getContext();
      if (current.version !== expectedVersion) return false;
      await this.#writeContext({ ...context, version: expectedVersion + 1, updatedAt: Date.now() }, true);
      this.#touch('history_context', Date.now());
      const rt = this.#components.get('history_context');
      if (rt.status === 'failing' && !rt.issue?.startsWith('context generation')) rt.status = 'active';
      return true;
    });
  }

  async #writeContext(ctx: HistoryContext, durable: boolean): Promise<void> {
    if (!durable) return;
    await atomicWrite(this.#path(FILES.context), JSON.stringify({ format: 'janela.history_context/1', account: this.account, ...ctx }));
    this.#context = undefined;
  }

  // ---- status --------------------------------------------------------------------------

  setComponent(component: ComponentName, status: ComponentState, issue?: string): void {
    this.#components.set(component, status, issue);
    this.#snapshotDirty = true;
  }

  async status(): Promise<ComponentStatus[]> {
    if (this.#opened && !this.#closed) {
      await this.#refresh();
      await this.getContext().catch(() => {});
    }
    const counts = this.#componentCounts();
    const checks = await this.#checks();
    return COMPONENTS.map((c) => {
      const rt = this.#components.get(c);
      const problems = checks.get(c) ?? [];
      return {
        component: c,
        status: rt.status,
        last_update: rt.lastUpdate === null ? null : nowIso(rt.lastUpdate),
        message_count: counts[c],
        health_check: {
          ok: rt.status === 'active' && problems.length === 0,
          checked_at: nowIso(),
          detail: [rt.issue, ...problems].filter(Boolean).join('; ') || 'ok',
        },
      };
    });
  }

  /** Live checks of the files behind each component. */
  async #checks(): Promise<Map<ComponentName, string[]>> {
    const out = new Map<ComponentName, string[]>();
    const add = (c: ComponentName, s: string) => out.set(c, [...(out.get(c) ?? []), s]);
    if (!(await exists(this.dir))) {
      add('storage', `directory ${this.dir} is missing`);
      return out;
    }
    try {
      const st = await fsp.stat(this.#path(FILES.log));
      if (this.#log && st.size < this.#log.end) add('history', `${FILES.log} is shorter than what was read (${st.size} < ${this.#log.end})`);
    } catch {
      if (this.#window.count > 0 && (this.#base === undefined || (this.#log?.count ?? 0) > 0)) add('history', `${FILES.log} is missing`);
    }
    for (const [name, c] of [
      [FILES.shortTerm, 'short_term'],
      [FILES.midTerm, 'mid_term'],
    ] as const) {
      const t = await this.#readTier(name, c);
      if (t.state === 'garbled') add(c, `${name} is garbled (rebuilt from the history at the next open)`);
      if (t.state === 'absent' && this.#window.count > 0 && !this.#cfg.readOnly) add(c, `${name} is missing`);
    }
    return out;
  }

  async health(): Promise<HealthEntry[]> {
    const st = await this.status();
    return st.map((s) => {
      const issues: string[] = [];
      if (s.health_check.detail !== 'ok') issues.push(s.health_check.detail);
      const how = this.#cfg.readOnly ? 'found at open (read-only, not repaired)' : 'repaired at open';
      for (const r of this.#repairs) if (r.component === s.component) issues.push(`${how}: ${r.kind}: ${r.detail}`);
      return { component: s.component, status: s.status, last_check: s.health_check.checked_at, issues };
    });
  }

  // ---- failover journal (used by failoverStore.ts) --------------------------------------

  /** The journal's epoch and base seq, or undefined when this account is not a journal. */
  journalBase(): { epoch: string; baseSeq: number; baseCount: number } | undefined {
    return this.#base && { epoch: this.#base.epoch, baseSeq: this.#base.base_seq, baseCount: this.#base.base_count };
  }

  /** Records in the journal's log (not its base), oldest first. */
  async journalRecords(): Promise<Message[]> {
    await this.#refresh();
    return this.#log!.readIndex(0, this.#log!.count);
  }

  /**
   * Makes this account an empty journal whose tiers start from `tail` (the primary's last
   * known state). Refuses (returns false) when the log holds records not yet replayed.
   */
  async startJournal(tail: readonly Message[], lastSeq: number, count: number): Promise<boolean> {
    this.#check();
    return this.#lock.with(() =>
      this.#mutex.run(async () => {
        await this.#catchUp(true);
        if (this.#log!.count > 0) return false;
        const base: BaseFile = {
          format: 'janela.base/1',
          account: this.account,
          epoch: randomBytes(8).toString('hex'),
          base_seq: lastSeq,
          base_count: count,
          tail: tail.slice(-(this.shape.shortTerm + this.shape.midTerm)),
        };
        await atomicWrite(this.#path(FILES.base), JSON.stringify(base));
        this.#base = base;
        this.#window = new TierWindow(this.shape, base.tail as Message[], lastSeq, count);
        await this.#writeSnapshots();
        return true;
      }),
    );
  }

  /** Empties the journal once its first `replayed` records are in the primary; false if more arrived meanwhile. */
  async clearJournal(replayed: number): Promise<boolean> {
    this.#check();
    return this.#lock.with(() =>
      this.#mutex.run(async () => {
        await this.#catchUp(true);
        if (this.#log!.count !== replayed) return false;
        await fsp.rm(this.#path(FILES.base), { force: true });
        await this.#log!.close();
        await atomicWrite(this.#path(FILES.log), new Uint8Array(0));
        const { log } = await RecordLog.open(this.#path(FILES.log), { repair: true, create: true });
        this.#log = log;
        this.#base = undefined;
        this.#window = new TierWindow(this.shape);
        await this.#writeSnapshots();
        return true;
      }),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#appends.idle();
    this.#closed = true;
    if (this.#snapshotTimer) clearTimeout(this.#snapshotTimer);
    this.#snapshotTimer = undefined;
    while (this.#snapshotRun) await this.#snapshotRun;
    if (this.#opened && this.#snapshotDirty && !this.#cfg.readOnly) {
      await this.#lock.with(() => this.#snapshotLocked()).catch(() => {});
    }
    await this.#log?.close().catch(() => {});
  }
}

export class FileStoreFactory implements StoreFactory {
  readonly backend = 'file' as const;
  readonly config: FileStoreConfig;

  constructor(
    readonly shape: TierShape,
    config: FileStoreConfigInput = {},
  ) {
    this.config = parseFileStoreConfig(config);
  }

  account(id: string): FileAccountStore {
    return new FileAccountStore(checkAccountId(id), this.shape, this.config);
  }

  async listAccounts(): Promise<string[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.config.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names.map(accountIdOfDir).filter((x): x is string => x !== undefined).sort();
  }

  async close(): Promise<void> {}
}
