/**
 * Append-only audit log of memory access: one JSON object per line, hash-chained.
 *
 * Record: { seq, ts, principal, kind, action, permission, resource, decision, outcome?,
 * error?, prev, hash } where `prev` is the previous record's `hash` (64 zeros for the
 * first) and `hash` = SHA-256 — or HMAC-SHA256 when a key is configured — of
 * `prev + "\n" + canonical JSON of the record without hash` (keys sorted). Changing,
 * removing, inserting or reordering any record breaks the chain from there on; `verify`
 * names the first broken line. Cutting records off the end is detectable by comparing
 * `head()` with a copy kept elsewhere; forging a whole new chain needs the HMAC key.
 */
import { createHash, createHmac } from 'node:crypto';
import { z } from 'zod';
import type { AppendLog } from './appendLog.js';
import { AuditIntegrityError, AuditWriteError } from './errors.js';

export const GENESIS = '0'.repeat(64);

export const auditEventSchema = z
  .object({
    principal: z.string().max(128),
    kind: z.string().max(32).default('user'),
    action: z.string().min(1).max(128),
    permission: z.enum(['read', 'write', 'admin']),
    resource: z.object({ account: z.string().max(64), session: z.string().max(128).optional() }).strict(),
    decision: z.enum(['allow', 'deny']),
    outcome: z.enum(['ok', 'error']).optional(),
    error: z.string().max(500).optional(),
  })
  .strict();
export type AuditEvent = z.input<typeof auditEventSchema>;

export interface AuditRecord extends z.output<typeof auditEventSchema> {
  readonly seq: number;
  readonly ts: string;
  readonly prev: string;
  readonly hash: string;
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v as object)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

function chainHash(prev: string, body: unknown, key: Uint8Array | undefined): string {
  const h = key ? createHmac('sha256', key) : createHash('sha256');
  return h.update(prev).update('\n').update(canonicalJson(body)).digest('hex');
}

export type VerifyResult = { ok: true; records: number; head: string } | { ok: false; line: number; reason: string; records: number };

/** Checks every line of an audit log's text. */
export function verifyAuditText(text: string, key?: Uint8Array): VerifyResult {
  let prev = GENESIS;
  let seq = 0;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(lines[i] as string) as Record<string, unknown>;
    } catch {
      return { ok: false, line: i + 1, reason: 'not JSON', records: i };
    }
    if (!rec || typeof rec !== 'object') return { ok: false, line: i + 1, reason: 'not an object', records: i };
    const { hash, ...body } = rec;
    if (body.seq !== seq + 1) return { ok: false, line: i + 1, reason: `seq ${String(body.seq)} where ${seq + 1} was due`, records: i };
    if (body.prev !== prev) return { ok: false, line: i + 1, reason: 'prev does not match the previous hash', records: i };
    if (chainHash(prev, body, key) !== hash) return { ok: false, line: i + 1, reason: 'hash does not match the record', records: i };
    prev = hash as string;
    seq++;
  }
  return { ok: true, records: seq, head: prev };
}

export interface AuditLogOptions {
  /** HMAC key for the chain (recommended: without it anyone can recompute a forged chain). */
  key?: Uint8Array;
  now?: () => number;
}

export class AuditLog {
  readonly #log: AppendLog;
  readonly #key: Uint8Array | undefined;
  readonly #now: () => number;
  #seq: number;
  #head: string;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(log: AppendLog, options: AuditLogOptions, seq: number, head: string) {
    this.#log = log;
    this.#key = options.key;
    this.#now = options.now ?? Date.now;
    this.#seq = seq;
    this.#head = head;
  }

  /**
   * Opens a log: verifies the existing chain (AuditIntegrityError if broken), drops a torn
   * last line left by a crash mid-append, and continues the chain.
   */
  static async open(log: AppendLog, options: AuditLogOptions = {}): Promise<AuditLog> {
    let text = await log.readAll();
    if (text.length && !text.endsWith('\n')) {
      const keep = text.lastIndexOf('\n') + 1;
      await log.truncate(Buffer.byteLength(text.slice(0, keep)));
      text = text.slice(0, keep);
    }
    const v = verifyAuditText(text, options.key);
    if (!v.ok) throw new AuditIntegrityError(v.line, v.reason);
    return new AuditLog(log, options, v.records, v.head);
  }

  /** Hash of the last record: keep a copy elsewhere to detect truncation. */
  head(): { seq: number; hash: string } {
    return { seq: this.#seq, hash: this.#head };
  }

  /** Appends one record durably; serialised so the chain stays in order. Throws AuditWriteError. */
  append(event: AuditEvent): Promise<AuditRecord> {
    const e = auditEventSchema.parse(event);
    const run = this.#queue.then(async () => {
      const body = { ...e, seq: this.#seq + 1, ts: new Date(this.#now()).toISOString(), prev: this.#head };
      const hash = chainHash(this.#head, body, this.#key);
      const record: AuditRecord = { ...body, hash };
      try {
        await this.#log.append(`${JSON.stringify(record)}\n`);
      } catch (err) {
        throw new AuditWriteError(err);
      }
      this.#seq = record.seq;
      this.#head = hash;
      return record;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Re-reads and verifies the whole log. */
  async verify(): Promise<VerifyResult> {
    await this.#queue;
    return verifyAuditText(await this.#log.readAll(), this.#key);
  }

  /** Every record (parsed), oldest first. */
  async records(): Promise<AuditRecord[]> {
    await this.#queue;
    return (await this.#log.readAll())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditRecord);
  }
}
